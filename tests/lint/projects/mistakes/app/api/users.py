import asyncpg
import psycopg2
from fastapi import APIRouter, Depends
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Session

from app import crud, services
from app.deps import get_async_session, get_db, get_reporting_engine
from app.legacy import fetch_flags

router = APIRouter()


@router.get("/users/{user_id}")
async def read_user(user_id: int, db: Session = Depends(get_db)):
    return crud.get_user(db, user_id)


@router.get("/users/{user_id}/summary")
async def summary(user_id: int, db=Depends(get_db)):
    return services.user_summary(db, user_id)


@router.get("/count")
async def count(db: Session = Depends(get_db)):
    db.execute("select 1")
    return db.query(User).count()


@router.post("/users")
async def create(session: AsyncSession = Depends(get_async_session)):
    session.add(object())
    session.commit()
    return {}


@router.get("/flags")
async def flags():
    return fetch_flags()


@router.get("/raw")
async def raw():
    conn = psycopg2.connect("dbname=shop")
    return conn


@router.get("/reports")
async def reports(engine=Depends(get_reporting_engine)):
    conn = await asyncpg.connect(user="reports", password="Rep0rts", host="db.internal")
    return conn

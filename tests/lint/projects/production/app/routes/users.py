from fastapi import APIRouter, Depends, Request
from sqlalchemy import select, text
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Session

from app.deps import get_async_db, get_db
from app.helpers import get_session
from app.models import User
from app.repository import UserRepository

router = APIRouter(prefix="/users")


@router.get("/")
async def list_users(request: Request):
    return request.state.db.query(User).all()


@router.get("/repo")
async def list_from_repo(request: Request):
    repo: UserRepository = request.app.state.repo
    return repo.list_users()


@router.get("/{user_id}")
async def get_user(user_id: int, db: Session = Depends(get_db)):
    return db.get(User, user_id)


@router.post("/touch")
async def touch():
    get_session().commit()


@router.get("/sync/{user_id}")
def get_user_sync(user_id: int, request: Request):
    repo: UserRepository = request.app.state.repo
    return repo.get(user_id) or request.state.db.get(User, user_id)


@router.get("/async/{user_id}")
async def get_user_async(user_id: int, session: AsyncSession = Depends(get_async_db)):
    result = await session.execute(select(User).where(User.id == user_id))
    await session.execute(text("select 1"))
    return result.scalar_one_or_none()

from fastapi import Depends, FastAPI
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

import models
import schemas
from database import Base, SessionLocal, engine
from reports import count_users

app = FastAPI(title="tutorial app")


# pitfall DBC301: on_event is deprecated in favour of a lifespan handler
@app.on_event("startup")
async def on_startup():
    async with engine.begin() as conn:
        await conn.run_sync(Base.metadata.create_all)


# pitfall DBC306: the session is returned, never closed
async def get_db():
    db = SessionLocal()
    return db


@app.post("/users/", response_model=schemas.UserOut)
async def create_user(user: schemas.UserCreate, db: AsyncSession = Depends(get_db)):
    db_user = models.User(name=user.name)
    db.add(db_user)
    await db.commit()
    await db.refresh(db_user)  # needed because expire_on_commit is left at True
    return db_user


@app.get("/users/", response_model=list[schemas.UserOut])
async def read_users(skip: int = 0, limit: int = 100, db: AsyncSession = Depends(get_db)):
    result = await db.execute(select(models.User).order_by(models.User.id).offset(skip).limit(limit))
    return result.scalars().all()


@app.get("/users/count")
async def users_count():
    # pitfall DBC103: blocking database I/O on the event loop (through reports.count_users)
    return {"count": count_users()}

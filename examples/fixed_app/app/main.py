"""Run with ``uvicorn app.main:app --app-dir examples/fixed_app`` and DATABASE_URL set."""

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Annotated

from fastapi import Depends, FastAPI, status
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.db import get_session, make_engine, make_sessionmaker
from app.models import Base, User
from app.schemas import UserCreate, UserOut
from app.settings import Settings


@asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[None]:
    engine = make_engine(Settings())
    async with engine.begin() as conn:
        await conn.run_sync(Base.metadata.create_all)
    app.state.sessionmaker = make_sessionmaker(engine)
    try:
        yield
    finally:
        await engine.dispose()


app = FastAPI(title="fixed app", lifespan=lifespan)

Session = Annotated[AsyncSession, Depends(get_session)]


@app.post("/users/", response_model=UserOut, status_code=status.HTTP_201_CREATED)
async def create_user(user: UserCreate, session: Session) -> User:
    db_user = User(name=user.name)
    session.add(db_user)
    await session.commit()
    return db_user


@app.get("/users/", response_model=list[UserOut])
async def list_users(session: Session, skip: int = 0, limit: int = 100) -> list[User]:
    result = await session.execute(select(User).order_by(User.id).offset(skip).limit(limit))
    return list(result.scalars())

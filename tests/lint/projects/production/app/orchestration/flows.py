"""Orchestration-server style: `session: sa.orm.Session` annotations (an AsyncSession at
run time), every database call awaited."""

import sqlalchemy as sa

from app.models import User


async def read_user(session: sa.orm.Session, user_id: int):
    result = await session.execute(sa.select(User).where(User.id == user_id))
    return result.scalar()


async def create_user(session: sa.orm.Session, email: str):
    user = User(email=email)
    session.add(user)
    await session.flush()
    await session.commit()
    return user


async def count_users(session: sa.orm.Session) -> int:
    return await session.scalar(sa.select(sa.func.count()).select_from(User))


async def rename_user(session: sa.orm.Session, user_id: int, email: str):
    user = await session.get(User, user_id)
    user.email = email
    await session.merge(user)
    await session.refresh(user)

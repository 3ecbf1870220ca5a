from sqlalchemy.ext.asyncio import create_async_engine

from app.db import AsyncSessionLocal, SessionLocal


def get_db():
    db = SessionLocal()
    try:
        yield db
    finally:
        db.close()


async def get_async_session():
    session = AsyncSessionLocal()
    return session


async def get_reporting_engine():
    return create_async_engine("postgresql+asyncpg://reports@db.internal/reports")

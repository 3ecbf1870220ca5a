from fastapi import Request
from sqlalchemy.orm import Session

from app.db import AsyncSessionLocal


def get_db(request: Request) -> Session:
    return request.state.db


async def get_async_db():
    async with AsyncSessionLocal() as session:
        yield session

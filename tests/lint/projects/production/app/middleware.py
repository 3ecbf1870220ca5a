"""Session per request, stored on request.state (the old FastAPI tutorial's pattern)."""

from fastapi import Request

from app.db import SessionLocal


async def db_session_middleware(request: Request, call_next):
    request.state.db = SessionLocal()
    try:
        return await call_next(request)
    finally:
        request.state.db.close()

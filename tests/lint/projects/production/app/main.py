from contextlib import asynccontextmanager

from fastapi import FastAPI
from sqlalchemy import inspect

from app.auth import basic_auth_middleware
from app.db import engine
from app.middleware import db_session_middleware
from app.repository import UserRepository
from app.routes import reports, users
from app.settings import REPORTS_DSN


@asynccontextmanager
async def lifespan(app: FastAPI):
    app.state.repo = UserRepository(REPORTS_DSN)
    tables = inspect(engine).get_table_names()
    app.state.has_users = "users" in tables
    yield
    app.state.repo.close()


app = FastAPI(lifespan=lifespan)
app.middleware("http")(db_session_middleware)
app.include_router(users.router)
app.include_router(reports.router)
app.middleware("http")(basic_auth_middleware)

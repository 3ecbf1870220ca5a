"""Basic auth against a user store without `__init__` (`init_db` opens its engine and a
managed session factory, plain or routing reads to a replica); the async middleware
queries it per request and runs an after-request hook looked up in a module dict."""

import os
from contextlib import contextmanager

from fastapi import Request
from fastapi.responses import PlainTextResponse
from sqlalchemy import create_engine, select, text
from sqlalchemy.orm import sessionmaker

from app.models import User


def managed_session_maker(maker):
    @contextmanager
    def make_managed_session(read_only=True):
        with maker() as session:
            yield session
            if not read_only:
                session.commit()

    return make_managed_session


def routing_session_maker(write_maker, read_maker):
    write = managed_session_maker(write_maker)
    read = managed_session_maker(read_maker)

    @contextmanager
    def make_managed_session(read_only=True):
        with (read if read_only else write)(read_only=read_only) as session:
            yield session

    return make_managed_session


class UserStore:
    def init_db(self, db_uri, read_db_uri=None):
        self.engine = create_engine(db_uri)
        if read_db_uri:
            read_engine = create_engine(read_db_uri)
            self.ManagedSessionMaker = routing_session_maker(
                sessionmaker(bind=self.engine), sessionmaker(bind=read_engine)
            )
        else:
            self.ManagedSessionMaker = managed_session_maker(sessionmaker(bind=self.engine))

    def get_user(self, email):
        with self.ManagedSessionMaker() as session:
            return self._get_user(session, email)

    @staticmethod
    def _get_user(session, email):
        return session.scalars(select(User).where(User.email == email)).one_or_none()


store = UserStore()


def authenticate(request: Request):
    email = request.headers.get("x-user")
    return store.get_user(email) if email else None


async def basic_auth_middleware(request: Request, call_next):
    if os.environ.get("AUTH_DISABLED"):
        return await call_next(request)
    user = authenticate(request)
    if user is None:
        return PlainTextResponse("unauthorized", status_code=401)
    request.state.user = user
    response = await call_next(request)
    after = AFTER_REQUEST.get(request.method)
    if after is not None and response.status_code < 400:
        after(user.email, request)
    return response


def note_read(email, request: Request) -> None:
    request.state.read_by = email  # no database


def record_write(email, request: Request) -> None:
    with store.ManagedSessionMaker(read_only=False) as session:
        session.execute(text("update users set last_write = now() where email = :e"), {"e": email})


# the after-request hooks, by method: looked up per request, any of them may run
AFTER_REQUEST = {"GET": note_read, "POST": record_write, "DELETE": record_write}

"""Stores chosen at run time: a plugin registry maps URI schemes to store classes
(`registry.register(scheme, builder)`), the configuration builds its store lazily on the
first read of a property, and the stores' base class calls an abstract `_initialize`
hook that the SQL store implements (it connects and creates its table)."""

from abc import ABC, abstractmethod

from fastapi import Request
from sqlalchemy import create_engine, text
from sqlalchemy.orm import Session

from app.settings import DATABASE_URL


class BaseStore(ABC):
    def __init__(self, url: str) -> None:
        self.url = url
        self._initialize()

    @abstractmethod
    def _initialize(self) -> None:
        """Connect to the backend."""

    @abstractmethod
    def get_workspace(self, name: str):
        """The workspace called `name`."""


class SqlStore(BaseStore):
    def _initialize(self) -> None:
        self._engine = create_engine(self.url)
        with self._engine.begin() as conn:
            conn.execute(text("create table if not exists workspaces (name text)"))

    @property
    def engine(self):
        return self._engine

    def get_workspace(self, name: str):
        with Session(self.engine) as session:
            query = text("select * from workspaces where name = :n")
            return session.execute(query, {"n": name}).first()


class RestStore(BaseStore):
    def _initialize(self) -> None:
        self.base = self.url

    def get_workspace(self, name: str):
        return {"name": name}


class StoreRegistry:
    def __init__(self) -> None:
        self._builders = {}

    def register(self, scheme, builder):
        self._builders[scheme] = builder

    def build(self, url: str):
        return self._builders[url.split(":", 1)[0]](url)


registry = StoreRegistry()
registry.register("postgresql", SqlStore)
registry.register("https", RestStore)


class Config:
    _store: BaseStore | None = None

    @property
    def store(self) -> BaseStore:
        if Config._store is None:
            Config._store = registry.build(DATABASE_URL)
        return Config._store


def init_store() -> None:
    Config().store


async def warm_up() -> None:
    init_store()


async def workspace_middleware(request: Request, call_next):
    name = request.headers.get("x-workspace", "default")
    request.state.workspace = registry.build(DATABASE_URL).get_workspace(name)
    return await call_next(request)

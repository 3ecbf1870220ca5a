"""The project index: names resolved across modules the way Python would resolve them."""

from __future__ import annotations

CRUD = """from sqlalchemy.orm import Session


def get_user(db: Session, uid):
    return db.query(User).get(uid)


def pure(x):
    return x
"""


def found(result) -> list[tuple[str, int, str]]:
    return [(f.path, f.line, f.code) for f in result.findings]


def route(import_line: str, call: str) -> str:
    return f"""{import_line}
from fastapi import APIRouter
from sqlalchemy.orm import Session

router = APIRouter()


@router.get("/u")
async def read(db: Session):
    return {call}
"""


def test_relative_import(lint_tree) -> None:
    files = {
        "app/__init__.py": "",
        "app/crud.py": CRUD,
        "app/api.py": route("from .crud import get_user", "get_user(db, 1)"),
    }
    assert found(lint_tree(files)) == [("app/api.py", 10, "DBC103")]


def test_parent_relative_import_and_module_alias(lint_tree) -> None:
    files = {
        "app/__init__.py": "",
        "app/crud.py": CRUD,
        "app/api/__init__.py": "",
        "app/api/v1.py": route("from .. import crud as c", "c.get_user(db, 1)"),
        "app/api/v2.py": route("import app.crud as crud", "crud.get_user(db, 1)"),
        "app/api/v3.py": route("from app.crud import pure", "pure(db)"),
    }
    assert found(lint_tree(files)) == [
        ("app/api/v1.py", 10, "DBC103"),
        ("app/api/v2.py", 10, "DBC103"),
    ]


def test_reexport_through_package_init(lint_tree) -> None:
    files = {
        "app/__init__.py": "",
        "app/db/__init__.py": "from .crud import get_user\n",
        "app/db/crud.py": CRUD,
        "app/api.py": route("from app.db import get_user", "get_user(db, 1)"),
    }
    assert found(lint_tree(files)) == [("app/api.py", 10, "DBC103")]


def test_src_layout_resolves_by_module_suffix(lint_tree) -> None:
    files = {
        "src/shop/__init__.py": "",
        "src/shop/crud.py": CRUD,
        "src/shop/api.py": route("from shop.crud import get_user", "get_user(db, 1)"),
    }
    assert found(lint_tree(files)) == [("src/shop/api.py", 10, "DBC103")]


def test_same_module_name_in_two_projects_resolves_to_the_nearest(lint_tree) -> None:
    files = {
        "one/app/__init__.py": "",
        "one/app/crud.py": CRUD,
        "one/app/api.py": route("from app.crud import get_user", "get_user(db, 1)"),
        "two/app/__init__.py": "",
        "two/app/crud.py": "def get_user(db, uid):\n    return uid\n",
        "two/app/api.py": route("from app.crud import get_user", "get_user(db, 1)"),
    }
    assert found(lint_tree(files)) == [("one/app/api.py", 10, "DBC103")]


def test_recursive_and_mutually_recursive_helpers_terminate(lint_tree) -> None:
    helpers = """from sqlalchemy.orm import Session


def a(db: Session, n):
    return b(db, n - 1) if n else db.execute("select 1")


def b(db, n):
    return a(db, n)


def loop(n):
    return loop(n - 1)
"""
    files = {
        "h.py": helpers,
        "api.py": route("from h import a, loop", "a(db, 3), loop(3)"),
    }
    assert found(lint_tree(files)) == [("api.py", 10, "DBC103")]


def test_engine_and_factory_across_three_modules(lint_tree) -> None:
    files = {
        "app/__init__.py": "",
        "app/engine.py": "from sqlalchemy import create_engine\n\n"
        "engine = create_engine('postgresql+psycopg2://app@db/app')\n",
        "app/session.py": "from sqlalchemy.orm import sessionmaker\n\n"
        "from app.engine import engine\n\nSessionLocal = sessionmaker(engine)\n",
        "app/api.py": "from fastapi import FastAPI\n\nfrom app.session import SessionLocal\n\n"
        "app = FastAPI()\n\n\n@app.get('/x')\nasync def x():\n"
        "    with SessionLocal() as s:\n        s.execute('select 1')\n",
    }
    assert found(lint_tree(files)) == [
        ("app/api.py", 11, "DBC103"),
        ("app/engine.py", 3, "DBC102"),
    ]


def test_dependency_yield_kind_flows_into_unannotated_parameter(lint_tree) -> None:
    files = {
        "deps.py": "from sqlalchemy.orm import sessionmaker\n\nSessionLocal = sessionmaker()\n\n\n"
        "def get_db():\n    db = SessionLocal()\n    try:\n        yield db\n    finally:\n"
        "        db.close()\n",
        "api.py": "from fastapi import Depends, FastAPI\n\nfrom deps import get_db\n\n"
        "app = FastAPI()\n\n\n@app.get('/x')\nasync def x(db=Depends(get_db)):\n"
        "    return db.query(User).all()\n",
    }
    assert found(lint_tree(files)) == [("api.py", 10, "DBC103")]


def test_add_api_route_and_router_dependencies_are_handlers(lint_tree) -> None:
    files = {
        "api.py": """from fastapi import APIRouter, Depends, FastAPI
from sqlalchemy.ext.asyncio import create_async_engine


def verify():
    return create_async_engine("postgresql+asyncpg://app@db/app")


async def endpoint():
    return create_async_engine("postgresql+asyncpg://app@db/app")


router = APIRouter(dependencies=[Depends(verify)])
app = FastAPI()
app.add_api_route("/e", endpoint)
"""
    }
    assert found(lint_tree(files)) == [("api.py", 6, "DBC305"), ("api.py", 10, "DBC305")]


def test_router_imported_from_another_module(lint_tree) -> None:
    files = {
        "routers.py": "from fastapi import APIRouter\n\nrouter = APIRouter()\n",
        "api.py": "from routers import router\n\n\n@router.on_event('startup')\n"
        "async def s():\n    pass\n",
        "other.py": "from celery import Celery\n\napp = Celery()\n\n\n"
        "@app.on_event('startup')\ndef s():\n    pass\n",
    }
    assert found(lint_tree(files)) == [("api.py", 4, "DBC301")]


def test_annotated_dependency_alias_imported_from_another_module(lint_tree) -> None:
    files = {
        "app/__init__.py": "",
        "app/deps.py": """from typing import Annotated

from fastapi import Depends
from sqlmodel import Session, create_engine

engine = create_engine("postgresql+psycopg2://app@db/app")


def get_session():
    with Session(engine) as session:
        yield session


SessionDep = Annotated[Session, Depends(get_session)]
""",
        "app/api.py": """from fastapi import FastAPI

from app.deps import SessionDep

app = FastAPI()


@app.get("/sync")
def sync_route(session: SessionDep):
    return session.exec("select 1")


@app.get("/async")
async def async_route(session: SessionDep):
    return session.exec("select 1")
""",
    }
    assert found(lint_tree(files)) == [
        ("app/api.py", 15, "DBC103"),
        ("app/deps.py", 6, "DBC102"),
    ]
    only_sync = {**files, "app/api.py": files["app/api.py"].split('\n\n@app.get("/async")')[0]}
    assert found(lint_tree(only_sync)) == []


STORE = """from sqlalchemy.orm import sessionmaker


def make(store, engine):
    if store.ready:
        return store.query(None)
    return sessionmaker(bind=engine)


class Store:
    def init(self, engine):
        self.maker = make(self, engine)

    def peek(self):
        with self.maker() as s:
            s.flush()

    def get(self):
        with self.maker() as s:
            return self.query(s)

    @staticmethod
    def query(session):
        return session.execute("select 1")


store = Store()
"""


def test_an_answer_does_not_depend_on_which_question_came_first(lint_tree) -> None:
    """`make` may return `store.query(…)`, whose kind depends on the session `get` passes,
    which comes from `make`: a cycle. Asked first through `peek` (`self.maker()`), the
    cycle's inner question (what `query`'s `session` is) meets the open outer one; its
    "unknown" is provisional and asked again later, so `get` is found as well, whichever
    route comes first."""
    for first, second in (("peek", "get"), ("get", "peek")):
        api = (
            "from fastapi import FastAPI\n\nfrom store import store\n\napp = FastAPI()\n\n\n"
            f"@app.get('/a')\nasync def a():\n    return store.{first}()\n\n\n"
            f"@app.get('/b')\nasync def b():\n    return store.{second}()\n"
        )
        assert found(lint_tree({"store.py": STORE, "api.py": api})) == [
            ("api.py", 10, "DBC103"),
            ("api.py", 15, "DBC103"),
        ], first

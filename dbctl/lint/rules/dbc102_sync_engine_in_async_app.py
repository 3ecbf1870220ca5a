"""DBC102 sync-engine-in-async-app (a project-wide rule)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import ClassVar

from dbctl.lint.model import Severity
from dbctl.lint.rule import Rule
from dbctl.lint.semantic.kinds import Res
from dbctl.lint.semantic.project import ProjectFinding, ProjectIndex


class SyncEngineInAsyncApp(Rule):
    """
    ## What it does
    Flags a module-level sync SQLAlchemy engine (`create_engine`) whose sessions or
    connections reach `async def` code: routes, dependencies, middleware, lifespan
    handlers, or sync dependencies and helpers that async code calls. Reported where
    the engine is created, naming one async user.

    It follows the engine through module-level factories, sessions and connections
    derived from it, across modules, including middleware that stores a session on
    `request.state`. `AsyncEngine(create_engine(...))` is async.

    ## Why is this bad?
    Every query through a sync engine blocks the event loop. Engines used only by
    Alembic's `env.py`, scripts, schedulers, tests or plain-`def` routes (FastAPI runs
    those in a threadpool) are fine and not flagged.

    ## Example
    ```python
    from sqlalchemy import create_engine
    from sqlalchemy.orm import sessionmaker

    engine = create_engine("postgresql+psycopg2://app@db/app")
    SessionLocal = sessionmaker(bind=engine)

    async def list_users():
        with SessionLocal() as session:
            return session
    ```

    Use instead:
    ```python
    from sqlalchemy.ext.asyncio import async_sessionmaker, create_async_engine

    engine = create_async_engine("postgresql+asyncpg://app@db/app")
    SessionLocal = async_sessionmaker(engine, expire_on_commit=False)

    async def list_users():
        async with SessionLocal() as session:
            return session
    ```
    """

    code: ClassVar[str] = "DBC102"
    name: ClassVar[str] = "sync-engine-in-async-app"
    category: ClassVar[str] = "correctness"
    severity: ClassVar[Severity] = Severity.error

    @classmethod
    def check_project(cls, index: ProjectIndex) -> Iterator[ProjectFinding]:
        for r in index.resources_reaching_async(frozenset({Res.SYNC_ENGINE})):
            yield ProjectFinding(
                r.module, r.loc, f"sync engine `{r.name}` is used from async code "
                f"({index.describe(r.user)}); use create_async_engine and AsyncSession",
            )

"""DBC101 sync-driver-in-async-app."""

from __future__ import annotations

import ast
from collections.abc import Iterator
from typing import ClassVar

from dbctl.lint.entrypoints import cli_coroutines
from dbctl.lint.model import Severity
from dbctl.lint.rule import Rule
from dbctl.lint.semantic.conditions import AsyncReached
from dbctl.lint.semantic.kinds import Res
from dbctl.lint.semantic.model import FileContext
from dbctl.lint.semantic.project import ProjectFinding, ProjectIndex
from dbctl.lint.semantic.vocabulary import SYNC_DRIVER_CALLS


class SyncDriverInAsyncApp(Rule):
    """
    ## What it does
    Flags a synchronous database driver (psycopg2, pg8000, psycopg 3's sync `connect`
    or `ConnectionPool`, and the other DB-API drivers: sqlite3, PyMySQL, MySQLdb,
    mysql-connector, oracledb, pyodbc) opened inside `async def` code, inside a sync function that
    `async def` code calls (directly or through other project functions), or at module
    level when async code then uses that connection or pool.

    It follows the calls async code makes into project functions and classes: a class
    whose `__init__` opens a sync pool (`self.pool = psycopg_pool.ConnectionPool(...)`)
    and that an `async` lifespan or route constructs is reported at the pool. psycopg 3's
    `AsyncConnection` and `AsyncConnectionPool`, asyncpg and aiopg are async.

    ## Why is this bad?
    A sync driver blocks the event loop for the whole network round trip: while one
    request waits for PostgreSQL, the server answers nobody. Importing a driver only for
    its exception classes, Alembic's `env.py`, scripts and plain-`def` routes (run in a
    threadpool) are not flagged, nor is an `async def` that only the module's own command
    line runs (`asyncio.run(upgrade())` from an argparse `main()` or the
    `if __name__ == "__main__":` block of a module that imports neither FastAPI nor
    Starlette, a coroutine a sync worker function defines and runs that way, and the
    coroutines these await or hand on, `asyncio.wait_for(execute())`,
    `create_task(...)`): that event loop serves nobody else. A coroutine that anything
    else in the module also uses (a route, a method, a registration) is reported.

    ## Example
    ```python
    import psycopg2

    async def count_users():
        conn = psycopg2.connect("dbname=app")
        return conn
    ```

    Use instead:
    ```python
    import asyncpg

    async def count_users():
        conn = await asyncpg.connect("postgresql://app@localhost/app")
        return conn
    ```
    """

    code: ClassVar[str] = "DBC101"
    name: ClassVar[str] = "sync-driver-in-async-app"
    category: ClassVar[str] = "correctness"
    severity: ClassVar[Severity] = Severity.error
    node_types: ClassVar[tuple[type[ast.AST], ...]] = (ast.Call,)
    triggers: ClassVar[tuple[bytes, ...]] = (
        b"psycopg", b"pg8000", b"pgdb", b"sqlite3", b"mysql", b"oracle", b"pyodbc"
    )

    @classmethod
    def check(cls, node: ast.AST, ctx: FileContext) -> None:
        assert isinstance(node, ast.Call)
        if ctx.is_alembic:
            return
        canon = ctx.canonical(node.func)
        if canon not in SYNC_DRIVER_CALLS:
            return
        fn = ctx.function
        if fn is None:
            return
        message = f"sync driver call `{canon}()` blocks the event loop of the async app"
        if fn.is_async:
            if fn.qualname in cli_coroutines(ctx.tree):
                return  # a script's own event loop (asyncio.run from its main)
            ctx.report(cls, node, f"{message} (inside `async def {fn.qualname}`)")
        else:
            ctx.defer(
                cls, node, f"{message} (`{fn.qualname}` is called from async code)",
                [AsyncReached(ctx.func_canonical(fn) or "")],
            )

    @classmethod
    def check_project(cls, index: ProjectIndex) -> Iterator[ProjectFinding]:
        """A module-level sync driver connection or pool that async code uses."""
        for r in index.resources_reaching_async(frozenset({Res.DRIVER_CONN, Res.DRIVER_POOL})):
            yield ProjectFinding(
                r.module, r.loc, f"sync driver connection `{r.name}` is used from async code "
                f"({index.describe(r.user)}); use asyncpg or psycopg's AsyncConnection",
            )

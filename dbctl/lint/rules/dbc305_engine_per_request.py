"""DBC305 engine-per-request."""

from __future__ import annotations

import ast
from typing import ClassVar

from dbctl.lint.model import Severity
from dbctl.lint.rule import Rule
from dbctl.lint.semantic.conditions import Handler
from dbctl.lint.semantic.model import FileContext
from dbctl.lint.semantic.vocabulary import ASYNC_ENGINE_FACTORIES, ENGINE_FACTORIES, sqla_last


class EnginePerRequest(Rule):
    """
    ## What it does
    Flags `create_engine` / `create_async_engine` called inside a FastAPI route, a
    dependency (a `Depends(...)` target) or middleware. A function cached with
    `functools.lru_cache` / `functools.cache` is not flagged.

    It follows routes, dependencies (`Depends`, `Annotated` aliases, router and app
    `dependencies=[...]`), middleware and lifespans across modules.

    ## Why is this bad?
    Each request builds a new engine and a new connection pool, opens fresh
    connections (TLS and authentication included) and never disposes of them:
    slow requests and, soon, `too many connections`.

    ## Example
    ```python
    from fastapi import FastAPI
    from sqlalchemy.ext.asyncio import create_async_engine

    app = FastAPI()

    @app.get("/users")
    async def users():
        engine = create_async_engine(DATABASE_URL)
        return engine
    ```

    Use instead:
    ```python
    from fastapi import FastAPI
    from sqlalchemy.ext.asyncio import create_async_engine

    app = FastAPI()
    engine = create_async_engine(DATABASE_URL)

    @app.get("/users")
    async def users():
        return engine
    ```
    """

    code: ClassVar[str] = "DBC305"
    name: ClassVar[str] = "engine-per-request"
    category: ClassVar[str] = "performance"
    severity: ClassVar[Severity] = Severity.error
    node_types: ClassVar[tuple[type[ast.AST], ...]] = (ast.Call,)
    triggers: ClassVar[tuple[bytes, ...]] = (
        b"create_engine", b"create_async_engine", b"engine_from_config"
    )

    @classmethod
    def check(cls, node: ast.AST, ctx: FileContext) -> None:
        assert isinstance(node, ast.Call)
        last = sqla_last(ctx.canonical(node.func))
        if last not in ENGINE_FACTORIES and last not in ASYNC_ENGINE_FACTORIES:
            return
        fn = ctx.function
        if fn is None or fn.info is None or fn.info.cached:
            return
        ctx.defer(
            cls, node, f"`{last}()` inside request handler `{fn.qualname}` creates a new "
            "engine and pool per request; create it once at module level or in the lifespan",
            [Handler(ctx.func_canonical(fn) or "")],
        )

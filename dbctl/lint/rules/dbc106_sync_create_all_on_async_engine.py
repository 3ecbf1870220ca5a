"""DBC106 sync-create-all-on-async-engine."""

from __future__ import annotations

import ast
from typing import ClassVar

from dbctl.lint.model import Severity
from dbctl.lint.rule import Rule
from dbctl.lint.semantic.model import FileContext
from dbctl.lint.semantic.nodes import arg_or_keyword
from dbctl.lint.semantic.vocabulary import DDL_ASYNC_BINDS, DDL_METHODS


class SyncCreateAllOnAsyncEngine(Rule):
    """
    ## What it does
    Flags `metadata.create_all(engine)` / `drop_all(engine)` given an `AsyncEngine` or
    `AsyncConnection`.

    The engine is followed as for DBC103: module-level engines across modules,
    annotations, attributes (`self.engine`, `app.state.engine`) and helpers' return
    annotations.

    ## Why is this bad?
    `MetaData.create_all` is synchronous: with an async engine it fails
    (`'AsyncEngine' object has no attribute '_run_ddl_visitor'`). It must run on a
    connection through `run_sync`.

    ## Example
    ```python
    from sqlalchemy.ext.asyncio import create_async_engine

    engine = create_async_engine("postgresql+asyncpg://app@db/app")

    async def init_models():
        Base.metadata.create_all(engine)
    ```

    Use instead:
    ```python
    from sqlalchemy.ext.asyncio import create_async_engine

    engine = create_async_engine("postgresql+asyncpg://app@db/app")

    async def init_models():
        async with engine.begin() as conn:
            await conn.run_sync(Base.metadata.create_all)
    ```
    """

    code: ClassVar[str] = "DBC106"
    name: ClassVar[str] = "sync-create-all-on-async-engine"
    category: ClassVar[str] = "correctness"
    severity: ClassVar[Severity] = Severity.error
    node_types: ClassVar[tuple[type[ast.AST], ...]] = (ast.Call,)
    triggers: ClassVar[tuple[bytes, ...]] = (b"create_all", b"drop_all")

    @classmethod
    def check(cls, node: ast.AST, ctx: FileContext) -> None:
        assert isinstance(node, ast.Call)
        func = node.func
        if not isinstance(func, ast.Attribute) or func.attr not in DDL_METHODS:
            return
        bind = arg_or_keyword(node, 0, "bind")
        ctx.check_kind(
            cls, node, f"`{func.attr}()` is synchronous and cannot take an async engine; use "
            f"`await conn.run_sync(metadata.{func.attr})`", ctx.kind_of(bind),
            DDL_ASYNC_BINDS,
        )

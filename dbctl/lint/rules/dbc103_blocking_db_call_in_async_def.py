"""DBC103 blocking-db-call-in-async-def."""

from __future__ import annotations

import ast
from typing import ClassVar

from dbctl.lint.model import Severity
from dbctl.lint.rule import Rule
from dbctl.lint.semantic.conditions import SyncIO
from dbctl.lint.semantic.model import FileContext
from dbctl.lint.semantic.nodes import arg_or_keyword
from dbctl.lint.semantic.vocabulary import (
    DDL_METHODS,
    DDL_SYNC_BINDS,
    SYNC_IO_KINDS_BY_METHOD,
    is_library,
)


class BlockingDbCallInAsyncDef(Rule):
    """
    ## What it does
    Flags synchronous database I/O inside `async def`: calls on a sync `Session`,
    `Connection`, engine or DB-API cursor, and calls to project functions that do such
    I/O themselves or through other project functions (across modules).

    ## Why is this bad?
    The call blocks the event loop until PostgreSQL answers; under load every other
    request stalls behind it. Passing the function to `run_in_threadpool` /
    `asyncio.to_thread` (not calling it) is the escape hatch and is not flagged.

    ## Example
    ```python
    from sqlalchemy.orm import Session

    async def get_user(db: Session, user_id: int):
        return db.get(User, user_id)
    ```

    Use instead:
    ```python
    from sqlalchemy.ext.asyncio import AsyncSession

    async def get_user(db: AsyncSession, user_id: int):
        return await db.get(User, user_id)
    ```
    """

    code: ClassVar[str] = "DBC103"
    name: ClassVar[str] = "blocking-db-call-in-async-def"
    category: ClassVar[str] = "correctness"
    severity: ClassVar[Severity] = Severity.error
    node_types: ClassVar[tuple[type[ast.AST], ...]] = (ast.Call,)
    triggers: ClassVar[tuple[bytes, ...]] = (b"async",)

    @classmethod
    def check(cls, node: ast.AST, ctx: FileContext) -> None:
        assert isinstance(node, ast.Call)
        fn = ctx.function
        if fn is None or not fn.is_async or ctx.is_alembic:
            return
        func = node.func
        if isinstance(func, ast.Attribute):
            if func.attr in DDL_METHODS:
                kind = ctx.kind_of(arg_or_keyword(node, 0, "bind"))
                ctx.check_kind(
                    cls, node, f"`{func.attr}()` on a sync engine blocks the event loop "
                    f"inside `async def {fn.qualname}`", kind, DDL_SYNC_BINDS,
                )
                return
            kinds = SYNC_IO_KINDS_BY_METHOD.get(func.attr)
            if kinds:
                base = ctx.kind_of(func.value)
                if base is not None:
                    ctx.check_kind(
                        cls, node, f"blocking database call `.{func.attr}()` on a sync "
                        f"session/connection inside `async def {fn.qualname}`", base, kinds,
                    )
        canon = ctx.canonical(func)
        if (
            canon is not None
            and id(node) not in ctx.awaited  # an awaited call returns an awaitable
            and not is_library(canon)
        ):
            short = canon.rsplit(".", 1)[-1]
            ctx.defer(
                cls, node, f"`{short}()` does blocking database I/O and is called inside "
                f"`async def {fn.qualname}`", [SyncIO(canon)],
            )

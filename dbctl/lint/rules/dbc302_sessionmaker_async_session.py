"""DBC302 sessionmaker-async-session."""

from __future__ import annotations

import ast
from typing import ClassVar

from dbctl.lint.model import Severity
from dbctl.lint.rule import Rule
from dbctl.lint.semantic.model import FileContext
from dbctl.lint.semantic.nodes import keyword
from dbctl.lint.semantic.vocabulary import sqla_last


class SessionmakerAsyncSession(Rule):
    """
    ## What it does
    Flags `sessionmaker(..., class_=AsyncSession)`.

    It looks at the call itself (import aliases resolved: `import sqlalchemy as sa`).

    ## Why is this bad?
    `sessionmaker` is typed and documented for sync sessions; SQLAlchemy 2.0 has
    `async_sessionmaker`, which type checkers understand (`async with Session() as s`
    gives an `AsyncSession`) and which is the documented API.

    ## Example
    ```python
    from sqlalchemy.ext.asyncio import AsyncSession
    from sqlalchemy.orm import sessionmaker

    SessionLocal = sessionmaker(engine, class_=AsyncSession, expire_on_commit=False)
    ```

    Use instead:
    ```python
    from sqlalchemy.ext.asyncio import async_sessionmaker

    SessionLocal = async_sessionmaker(engine, expire_on_commit=False)
    ```
    """

    code: ClassVar[str] = "DBC302"
    name: ClassVar[str] = "sessionmaker-async-session"
    category: ClassVar[str] = "deprecated"
    severity: ClassVar[Severity] = Severity.warning
    node_types: ClassVar[tuple[type[ast.AST], ...]] = (ast.Call,)
    triggers: ClassVar[tuple[bytes, ...]] = (b"sessionmaker",)

    @classmethod
    def check(cls, node: ast.AST, ctx: FileContext) -> None:
        assert isinstance(node, ast.Call)
        if sqla_last(ctx.canonical(node.func)) != "sessionmaker":
            return
        cls_arg = keyword(node, "class_")
        if cls_arg is not None and sqla_last(ctx.canonical(cls_arg)) == "AsyncSession":
            ctx.report(cls, node, "`sessionmaker(class_=AsyncSession)`: use "
                       "`async_sessionmaker(...)` instead")

"""DBC304 expire-on-commit-default."""

from __future__ import annotations

import ast
from typing import ClassVar

from dbctl.lint.model import Severity
from dbctl.lint.rule import Rule
from dbctl.lint.semantic.model import FileContext
from dbctl.lint.semantic.nodes import has_star_kwargs, keyword
from dbctl.lint.semantic.vocabulary import sqla_last


class ExpireOnCommitDefault(Rule):
    """
    ## What it does
    Flags an async session factory (`async_sessionmaker`, or `sessionmaker` with
    `class_=AsyncSession`) created without `expire_on_commit=False`.

    It looks at the call itself (import aliases resolved: `import sqlalchemy as sa`).

    ## Why is this bad?
    After `await session.commit()` every loaded object is expired; the next attribute
    access tries to lazy-load, which an `AsyncSession` cannot do implicitly:
    `MissingGreenlet` when a route returns the object it just committed.

    ## Example
    ```python
    from sqlalchemy.ext.asyncio import async_sessionmaker

    SessionLocal = async_sessionmaker(engine)
    ```

    Use instead:
    ```python
    from sqlalchemy.ext.asyncio import async_sessionmaker

    SessionLocal = async_sessionmaker(engine, expire_on_commit=False)
    ```
    """

    code: ClassVar[str] = "DBC304"
    name: ClassVar[str] = "expire-on-commit-default"
    category: ClassVar[str] = "correctness"
    severity: ClassVar[Severity] = Severity.warning
    node_types: ClassVar[tuple[type[ast.AST], ...]] = (ast.Call,)
    triggers: ClassVar[tuple[bytes, ...]] = (b"sessionmaker",)

    @classmethod
    def check(cls, node: ast.AST, ctx: FileContext) -> None:
        assert isinstance(node, ast.Call)
        last = sqla_last(ctx.canonical(node.func))
        if last == "sessionmaker":
            cls_arg = keyword(node, "class_")
            if cls_arg is None or sqla_last(ctx.canonical(cls_arg)) != "AsyncSession":
                return
        elif last != "async_sessionmaker":
            return
        if has_star_kwargs(node):
            return
        value = keyword(node, "expire_on_commit")
        if value is None or (isinstance(value, ast.Constant) and value.value is True):
            ctx.report(cls, node, "async session factory without `expire_on_commit=False`: "
                       "objects expire on commit and lazy-load fails (MissingGreenlet)")

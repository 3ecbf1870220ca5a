"""DBC105 missing-await."""

from __future__ import annotations

import ast
from typing import ClassVar

from dbctl.lint.model import Severity
from dbctl.lint.rule import Rule
from dbctl.lint.semantic.model import FileContext
from dbctl.lint.semantic.vocabulary import ASYNC_KINDS_BY_METHOD


class MissingAwait(Rule):
    """
    ## What it does
    Flags a coroutine method of an `AsyncSession`, `AsyncConnection`, `AsyncEngine` or
    async driver connection (`execute`, `commit`, `scalars`, `dispose`, …) called without
    `await`, as a statement or assigned to a name.

    The receiver's kind is followed as for DBC103: annotations, factories, dependencies,
    attributes (`self.session`, `request.state.db`) and helpers' return annotations.

    ## Why is this bad?
    The coroutine is created and never run: the query is not sent, the transaction is
    not committed, and Python only warns "coroutine was never awaited" at garbage
    collection.

    ## Example
    ```python
    from sqlalchemy.ext.asyncio import AsyncSession

    async def save(session: AsyncSession, user):
        session.add(user)
        session.commit()
    ```

    Use instead:
    ```python
    from sqlalchemy.ext.asyncio import AsyncSession

    async def save(session: AsyncSession, user):
        session.add(user)
        await session.commit()
    ```
    """

    code: ClassVar[str] = "DBC105"
    name: ClassVar[str] = "missing-await"
    category: ClassVar[str] = "correctness"
    severity: ClassVar[Severity] = Severity.error
    node_types: ClassVar[tuple[type[ast.AST], ...]] = (ast.Expr, ast.Assign, ast.AnnAssign)
    triggers: ClassVar[tuple[bytes, ...]] = (b"async",)

    @classmethod
    def check(cls, node: ast.AST, ctx: FileContext) -> None:
        assert isinstance(node, ast.Expr | ast.Assign | ast.AnnAssign)
        call = node.value
        if not isinstance(call, ast.Call) or not isinstance(call.func, ast.Attribute):
            return
        method = call.func.attr
        kinds = ASYNC_KINDS_BY_METHOD.get(method)
        if not kinds:
            return
        base = ctx.kind_of(call.func.value)
        ctx.check_kind(
            cls, call, f"coroutine `.{method}()` of an async session/connection/engine is "
            "called without `await` (it never runs)", base, kinds,
        )

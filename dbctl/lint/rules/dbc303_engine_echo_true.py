"""DBC303 engine-echo-true."""

from __future__ import annotations

import ast
from typing import ClassVar

from dbctl.lint.entrypoints import under_main_guard
from dbctl.lint.model import Severity
from dbctl.lint.rule import Rule
from dbctl.lint.semantic.model import FileContext
from dbctl.lint.semantic.nodes import keyword
from dbctl.lint.semantic.vocabulary import ASYNC_ENGINE_FACTORIES, ENGINE_FACTORIES, sqla_last


class EngineEchoTrue(Rule):
    """
    ## What it does
    Flags a literal `echo=True` (or `echo="debug"`) passed to `create_engine` /
    `create_async_engine`.

    It looks at the call itself (import aliases resolved: `import sqlalchemy as sa`). An
    engine created in a module's `if __name__ == "__main__":` block (a script run by
    hand, which shows its statements on purpose) is not flagged.

    ## Why is this bad?
    Every statement and its parameters are logged: noisy, slow, and it writes personal
    data and sometimes secrets into production logs. Drive it from settings instead.

    ## Example
    ```python
    from sqlalchemy.ext.asyncio import create_async_engine

    engine = create_async_engine(DATABASE_URL, echo=True)
    ```

    Use instead:
    ```python
    from sqlalchemy.ext.asyncio import create_async_engine

    engine = create_async_engine(DATABASE_URL, echo=settings.sql_echo)
    ```
    """

    code: ClassVar[str] = "DBC303"
    name: ClassVar[str] = "engine-echo-true"
    category: ClassVar[str] = "performance"
    severity: ClassVar[Severity] = Severity.warning
    node_types: ClassVar[tuple[type[ast.AST], ...]] = (ast.Call,)
    triggers: ClassVar[tuple[bytes, ...]] = (b"echo",)

    @classmethod
    def check(cls, node: ast.AST, ctx: FileContext) -> None:
        assert isinstance(node, ast.Call)
        last = sqla_last(ctx.canonical(node.func))
        if last not in ENGINE_FACTORIES and last not in ASYNC_ENGINE_FACTORIES:
            return
        echo = keyword(node, "echo")
        if isinstance(echo, ast.Constant) and (echo.value is True or echo.value == "debug"):
            if under_main_guard(ctx.tree, node):
                return  # a script run by hand shows its statements on purpose
            ctx.report(cls, echo, f"literal `echo={echo.value!r}` on an engine logs every "
                       "statement; take it from settings")

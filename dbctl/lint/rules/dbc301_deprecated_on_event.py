"""DBC301 deprecated-on-event."""

from __future__ import annotations

import ast
from typing import ClassVar

from dbctl.lint.model import Severity
from dbctl.lint.rule import Rule
from dbctl.lint.semantic.model import FileContext
from dbctl.lint.semantic.vocabulary import APP_KINDS

_EVENTS = frozenset({"startup", "shutdown"})


class DeprecatedOnEvent(Rule):
    """
    ## What it does
    Flags `@app.on_event("startup")` / `@app.on_event("shutdown")` and
    `app.add_event_handler(...)` on a FastAPI app or APIRouter.

    It follows the app across modules (`from app.main import app`) and through
    annotations (`def setup(app: FastAPI)`).

    ## Why is this bad?
    FastAPI deprecated event handlers in favour of a lifespan context manager; they are
    ignored as soon as a lifespan is set, and the engine created at startup is not tied
    to the one disposed at shutdown.

    ## Example
    ```python
    from fastapi import FastAPI

    app = FastAPI()

    @app.on_event("startup")
    async def startup():
        pass
    ```

    Use instead:
    ```python
    from contextlib import asynccontextmanager

    from fastapi import FastAPI

    @asynccontextmanager
    async def lifespan(app: FastAPI):
        yield

    app = FastAPI(lifespan=lifespan)
    ```
    """

    code: ClassVar[str] = "DBC301"
    name: ClassVar[str] = "deprecated-on-event"
    category: ClassVar[str] = "deprecated"
    severity: ClassVar[Severity] = Severity.warning
    node_types: ClassVar[tuple[type[ast.AST], ...]] = (ast.Call,)
    triggers: ClassVar[tuple[bytes, ...]] = (b"on_event", b"add_event_handler")

    @classmethod
    def check(cls, node: ast.AST, ctx: FileContext) -> None:
        assert isinstance(node, ast.Call)
        func = node.func
        if not isinstance(func, ast.Attribute):
            return
        if func.attr not in {"on_event", "add_event_handler"} or not node.args:
            return
        event = node.args[0]
        if not (isinstance(event, ast.Constant) and event.value in _EVENTS):
            return
        ctx.check_kind(
            cls, node, f"`{func.attr}(\"{event.value}\")` is deprecated; use a lifespan "
            "handler (`FastAPI(lifespan=...)`)", ctx.kind_of(func.value), APP_KINDS,
        )

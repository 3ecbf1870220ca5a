"""DBC306 session-not-closed."""

from __future__ import annotations

import ast
from typing import ClassVar

from dbctl.lint.model import Severity
from dbctl.lint.rule import Rule
from dbctl.lint.semantic.conditions import Dependency, NotGenerator
from dbctl.lint.semantic.model import FileContext
from dbctl.lint.semantic.vocabulary import SESSION_KINDS


class SessionNotClosed(Rule):
    """
    ## What it does
    Flags a FastAPI dependency (a `Depends(...)` target) that `return`s a new session
    instead of `yield`ing it inside `with` / `try: … finally: close()`.

    The session's kind is followed as for DBC103; returning an attribute
    (`request.state.db`, opened and closed by middleware) is not reported.

    ## Why is this bad?
    Nobody closes a returned session: its connection goes back to the pool only when
    the garbage collector finds it, and under load the pool runs dry
    (`QueuePool limit … overflow … reached`).

    ## Example
    ```python
    from fastapi import Depends, FastAPI
    from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

    app = FastAPI()
    SessionLocal = async_sessionmaker(engine, expire_on_commit=False)

    async def get_session():
        return SessionLocal()

    @app.get("/users")
    async def users(session: AsyncSession = Depends(get_session)):
        return []
    ```

    Use instead:
    ```python
    from fastapi import Depends, FastAPI
    from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

    app = FastAPI()
    SessionLocal = async_sessionmaker(engine, expire_on_commit=False)

    async def get_session():
        async with SessionLocal() as session:
            yield session

    @app.get("/users")
    async def users(session: AsyncSession = Depends(get_session)):
        return []
    ```
    """

    code: ClassVar[str] = "DBC306"
    name: ClassVar[str] = "session-not-closed"
    category: ClassVar[str] = "correctness"
    severity: ClassVar[Severity] = Severity.warning
    node_types: ClassVar[tuple[type[ast.AST], ...]] = (ast.Return,)

    @classmethod
    def check(cls, node: ast.AST, ctx: FileContext) -> None:
        assert isinstance(node, ast.Return)
        fn = ctx.function
        if fn is None or node.value is None or isinstance(node.value, ast.Attribute):
            return  # an attribute (`request.state.db`) is its owner's to close
        canon = ctx.func_canonical(fn) or ""
        ctx.check_kind(
            cls, node, f"dependency `{fn.qualname}` returns a session that is never closed; "
            "`yield` it from a `with` block instead", ctx.kind_of(node.value), SESSION_KINDS,
            extra=[Dependency(canon), NotGenerator(canon)],
        )

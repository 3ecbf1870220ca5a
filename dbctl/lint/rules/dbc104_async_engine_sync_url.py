"""DBC104 async-engine-sync-url."""

from __future__ import annotations

import ast
from typing import ClassVar

from dbctl.lint.model import Severity
from dbctl.lint.rule import Rule
from dbctl.lint.secrets import SYNC_DRIVERS, literal_text, mask_url_text
from dbctl.lint.semantic.model import FileContext
from dbctl.lint.semantic.nodes import arg_or_keyword
from dbctl.lint.semantic.vocabulary import ASYNC_ENGINE_FACTORIES, sqla_last


def sync_scheme(text: str) -> str | None:
    """The scheme of ``text`` if it selects a sync PostgreSQL driver, else ``None``."""
    scheme, sep, _ = text.strip().partition("://")
    if not sep:
        return None
    dialect, _, driver = scheme.lower().partition("+")
    if dialect not in {"postgresql", "postgres"}:
        return None
    if not driver or driver in SYNC_DRIVERS:
        return scheme
    return None


class AsyncEngineSyncUrl(Rule):
    """
    ## What it does
    Flags `create_async_engine` given a URL whose driver is not async:
    `postgresql://`, `postgres://`, `postgresql+psycopg2://`, `postgresql+pg8000://`.

    It follows a literal URL or a module-level string constant of the same module.

    ## Why is this bad?
    SQLAlchemy refuses it at start-up (`InvalidRequestError: The asyncio extension
    requires an async driver`) or, for `postgres://`, cannot even load the dialect.

    ## Example
    ```python
    from sqlalchemy.ext.asyncio import create_async_engine

    engine = create_async_engine("postgresql://app@db/app")
    ```

    Use instead:
    ```python
    from sqlalchemy.ext.asyncio import create_async_engine

    engine = create_async_engine("postgresql+asyncpg://app@db/app")
    ```
    """

    code: ClassVar[str] = "DBC104"
    name: ClassVar[str] = "async-engine-sync-url"
    category: ClassVar[str] = "correctness"
    severity: ClassVar[Severity] = Severity.error
    node_types: ClassVar[tuple[type[ast.AST], ...]] = (ast.Call,)
    triggers: ClassVar[tuple[bytes, ...]] = (b"create_async_engine", b"async_engine_from_config")

    @classmethod
    def check(cls, node: ast.AST, ctx: FileContext) -> None:
        assert isinstance(node, ast.Call)
        if sqla_last(ctx.canonical(node.func)) not in ASYNC_ENGINE_FACTORIES:
            return
        url = arg_or_keyword(node, 0, "url")
        if url is None:
            return
        text = literal_text(url)
        if text is None and isinstance(url, ast.Name):
            text = ctx.str_consts.get(url.id) if ctx.function is None or url.id not in (
                ctx.function.env
            ) else None
        if text is None:
            return
        scheme = sync_scheme(text)
        if scheme is None:
            return
        shown = mask_url_text(text.replace("\x00", "{…}"))
        ctx.report(
            cls, url, f"`create_async_engine` is given the sync URL scheme '{scheme}://' "
            f"('{shown}'); use postgresql+asyncpg://",
        )

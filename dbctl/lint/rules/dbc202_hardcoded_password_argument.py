"""DBC202 hardcoded-password-argument."""

from __future__ import annotations

import ast
from typing import ClassVar

from dbctl.lint.context import (
    ASYNC_ENGINE_FACTORIES,
    CONNECT_CALLS,
    ENGINE_FACTORIES,
    FileContext,
    keyword,
    sqla_last,
)
from dbctl.lint.model import Severity
from dbctl.lint.rule import Rule
from dbctl.lint.secrets import literal_secret

_PASSWORD_KWARGS = frozenset({"password", "passwd"})


class HardcodedPasswordArgument(Rule):
    """
    ## What it does
    Flags a literal `password=` (or `passwd=`) passed to a database connect call, an
    engine (`connect_args={"password": …}`) or `URL.create(...)`: psycopg2, psycopg,
    pg8000, asyncpg, SQLAlchemy. The message never shows the value.

    ## Why is this bad?
    The password is in the source code, hence in version control and every copy of it.

    ## Example
    ```python
    import asyncpg

    async def connect():
        return await asyncpg.connect(user="app", password="s3cret", host="db")
    ```

    Use instead:
    ```python
    import os

    import asyncpg

    async def connect():
        return await asyncpg.connect(user="app", password=os.environ["PGPASSWORD"], host="db")
    ```
    """

    code: ClassVar[str] = "DBC202"
    name: ClassVar[str] = "hardcoded-password-argument"
    category: ClassVar[str] = "credentials"
    severity: ClassVar[Severity] = Severity.error
    node_types: ClassVar[tuple[type[ast.AST], ...]] = (ast.Call,)
    triggers: ClassVar[tuple[bytes, ...]] = (b"password", b"passwd")

    @classmethod
    def check(cls, node: ast.AST, ctx: FileContext) -> None:
        assert isinstance(node, ast.Call)
        canon = ctx.canonical(node.func)
        if canon is None:
            return
        last = sqla_last(canon)
        is_engine = last in ENGINE_FACTORIES or last in ASYNC_ENGINE_FACTORIES
        if canon not in CONNECT_CALLS and not is_engine and not (
            last == "create" and canon.endswith("URL.create")
        ):
            return
        short = canon.rsplit(".", 2)[-2:] if canon.endswith(".create") else [canon]
        shown = ".".join(short)
        for kw in node.keywords:
            if kw.arg in _PASSWORD_KWARGS and literal_secret(kw.value):
                ctx.report(cls, kw.value, f"hardcoded password passed to `{shown}()` "
                           f"(`{kw.arg}='***'`)")
        connect_args = keyword(node, "connect_args")
        if isinstance(connect_args, ast.Dict):
            for key, value in zip(connect_args.keys, connect_args.values, strict=False):
                if (
                    isinstance(key, ast.Constant)
                    and key.value in _PASSWORD_KWARGS
                    and literal_secret(value)
                ):
                    ctx.report(cls, value, f"hardcoded password in `connect_args` of "
                               f"`{shown}()` (`'{key.value}': '***'`)")

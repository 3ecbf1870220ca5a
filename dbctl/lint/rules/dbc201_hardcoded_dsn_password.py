"""DBC201 hardcoded-dsn-password."""

from __future__ import annotations

import ast
from collections.abc import Sequence
from typing import ClassVar

from dbctl.lint.context import FileContext
from dbctl.lint.model import Severity
from dbctl.lint.parsing import source_lines
from dbctl.lint.rule import Rule
from dbctl.lint.secrets import (
    DB_SCHEMES,
    DSN_NAME_RE,
    keyvalue_secret,
    literal_text,
    url_secrets,
)

_URL_MESSAGE = "hardcoded password in database URL '{}'"
_KV_MESSAGE = "hardcoded password in connection string '{}'"


def _callee(func: ast.expr) -> str:
    if isinstance(func, ast.Attribute):
        return func.attr
    return func.id if isinstance(func, ast.Name) else ""


def _connect_like(name: str) -> bool:
    low = name.lower()
    return "connect" in low or "pool" in low or low.endswith("engine")


def _target_names(targets: Sequence[ast.expr]) -> list[str]:
    names: list[str] = []
    for target in targets:
        if isinstance(target, ast.Name):
            names.append(target.id)
        elif isinstance(target, ast.Attribute):
            names.append(target.attr)
        elif isinstance(target, ast.Subscript) and isinstance(target.slice, ast.Constant):
            names.append(str(target.slice.value))
    return names


class HardcodedDsnPassword(Rule):
    """
    ## What it does
    Flags a database URL, libpq key/value or ODBC connection string literal with a
    non-empty password, in Python code and in `alembic.ini` (`sqlalchemy.url`).

    A URL's password is its userinfo password or a `?password=` / `?sslpassword=`
    query parameter (`?passfile=` names a file, which is never read). A libpq
    key/value string (`"host=db dbname=app password=…"`) or an ODBC string
    (`"…;UID=app;PWD=…"`, `Password=…`) is flagged when it is passed to a connect call
    or assigned to a DSN-like name (`dsn`, `conninfo`, `connection_string`,
    `DATABASE_URL`, …). `${VAR}`, f-string fields, `%s` / `%(name)s`, `{{…}}`
    placeholders, empty passwords and Alembic's stock
    `driver://user:pass@localhost/dbname` are not secrets. Settings defaults and
    environment fallbacks are reported by DBC203 instead. Docstrings are not checked.
    Messages show the string with every secret replaced by `***`.

    ## Why is this bad?
    The password ends up in version control, in every clone and CI log, and cannot be
    rotated without a commit. bandit and ruff match variable names and miss it.

    ## Example
    ```python
    from sqlalchemy.ext.asyncio import create_async_engine

    engine = create_async_engine("postgresql+asyncpg://app:s3cret@db/app")
    ```

    Use instead:
    ```python
    import os

    from sqlalchemy.ext.asyncio import create_async_engine

    engine = create_async_engine(os.environ["DATABASE_URL"])
    ```
    """

    code: ClassVar[str] = "DBC201"
    name: ClassVar[str] = "hardcoded-dsn-password"
    category: ClassVar[str] = "credentials"
    severity: ClassVar[Severity] = Severity.error
    node_types: ClassVar[tuple[type[ast.AST], ...]] = (
        ast.Expr, ast.JoinedStr, ast.Constant, ast.Call, ast.Assign, ast.AnnAssign,
    )
    #: the scheme words of the URLs it looks for, and the keys of key/value strings
    #: (matched case-insensitively)
    triggers: ClassVar[tuple[bytes, ...]] = (
        *(s.encode() for s in DB_SCHEMES), b"password", b"pwd",
    )

    @classmethod
    def check(cls, node: ast.AST, ctx: FileContext) -> None:
        if isinstance(node, ast.Call):
            if _connect_like(_callee(node.func)):
                for arg in node.args:
                    cls._keyvalue(arg, ctx)
            for kw in node.keywords:
                if kw.arg and DSN_NAME_RE.search(kw.arg):
                    cls._keyvalue(kw.value, ctx)
            return
        if isinstance(node, ast.Assign | ast.AnnAssign):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            if node.value is not None and any(
                DSN_NAME_RE.search(n) for n in _target_names(targets)
            ):
                cls._keyvalue(node.value, ctx)
            return
        if isinstance(node, ast.Expr):
            if isinstance(node.value, ast.Constant | ast.JoinedStr):  # docstring / bare string
                ctx.claimed.add(id(node.value))
            return
        if isinstance(node, ast.JoinedStr):
            for part in node.values:  # judged as a whole, not part by part
                ctx.claimed.add(id(part))
        elif not (isinstance(node, ast.Constant) and isinstance(node.value, str)):
            return
        if id(node) in ctx.claimed:  # a docstring, an f-string part, or DBC203's
            return
        text = literal_text(node)
        if not text or "://" not in text:
            return
        for secret in url_secrets(text):
            ctx.report(cls, node, _URL_MESSAGE.format(secret.masked))

    @classmethod
    def _keyvalue(cls, node: ast.AST, ctx: FileContext) -> None:
        """A libpq key/value or ODBC string with a literal password."""
        if not isinstance(node, ast.Constant | ast.JoinedStr) or id(node) in ctx.claimed:
            return
        text = literal_text(node)
        if not text or "://" in text:  # URLs are checked wherever they are
            return
        secret = keyvalue_secret(text)
        if secret is not None:
            ctx.report(cls, node, _KV_MESSAGE.format(secret.masked))


def check_ini(text: str) -> list[tuple[int, int, int, str]]:
    """(line, col, end_col, message) for each ``sqlalchemy.url`` with a password in an
    ``alembic.ini`` (the file is read as text; interpolation is never performed)."""
    out: list[tuple[int, int, int, str]] = []
    for lineno, line in enumerate(source_lines(text), start=1):
        stripped = line.strip()
        if stripped.startswith(("#", ";")):
            continue
        key, sep, value = line.partition("=")
        if not sep or key.strip().lower() != "sqlalchemy.url":
            continue
        col = len(key) + 1 + (len(value) - len(value.lstrip())) + 1
        for secret in url_secrets(value):
            out.append(
                (lineno, col, col + len(value.strip()),
                 _URL_MESSAGE.format(secret.masked))
            )
    return out

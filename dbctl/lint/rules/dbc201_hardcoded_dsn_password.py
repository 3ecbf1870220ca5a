"""DBC201 hardcoded-dsn-password."""

from __future__ import annotations

import ast
from typing import ClassVar

from dbctl.lint.context import DB_SCHEMES, FileContext, literal_text, url_secrets
from dbctl.lint.model import Severity
from dbctl.lint.rule import Rule


class HardcodedDsnPassword(Rule):
    """
    ## What it does
    Flags a database URL literal with a non-empty password, in Python code and in
    `alembic.ini` (`sqlalchemy.url`). `${VAR}`, f-string fields, `%s` / `%(name)s`,
    `{{…}}` placeholders, empty passwords and Alembic's stock
    `driver://user:pass@localhost/dbname` are not secrets. Settings defaults and
    environment fallbacks are reported by DBC203 instead. Docstrings are not checked.

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
    node_types: ClassVar[tuple[type[ast.AST], ...]] = (ast.Expr, ast.JoinedStr, ast.Constant)
    #: the scheme words of the URLs it looks for (matched case-insensitively)
    triggers: ClassVar[tuple[bytes, ...]] = tuple(s.encode() for s in DB_SCHEMES)
    requires: ClassVar[bytes] = b"://"

    @classmethod
    def check(cls, node: ast.AST, ctx: FileContext) -> None:
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
            ctx.report(cls, node, f"hardcoded password in database URL '{secret.masked}'")


def check_ini(text: str) -> list[tuple[int, int, int, str]]:
    """(line, col, end_col, message) for each ``sqlalchemy.url`` with a password in an
    ``alembic.ini`` (the file is read as text; interpolation is never performed)."""
    out: list[tuple[int, int, int, str]] = []
    for lineno, line in enumerate(text.splitlines(), start=1):
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
                 f"hardcoded password in database URL '{secret.masked}'")
            )
    return out

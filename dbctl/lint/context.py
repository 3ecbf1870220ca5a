"""What the rules share besides the semantic model: the URL/secret parsing of the
credential rules and the settings-class helpers of DBC203.

The semantic model (scopes, bindings, kinds, the library vocabulary, the walker and the
project index) lives in :mod:`dbctl.lint.semantic`; a few of its names are re-exported
here for the credential rules. Nothing here imports or executes the code being read, nor
pydantic/SQLAlchemy.
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from dbctl.lint.semantic.nodes import arg_or_keyword, keyword
from dbctl.lint.semantic.vocabulary import (
    ASYNC_DRIVER_CALLS,
    ASYNC_ENGINE_FACTORIES,
    ENGINE_FACTORIES,
    SYNC_DRIVER_CALLS,
    sqla_last,
)

if TYPE_CHECKING:
    from dbctl.lint.semantic.model import FileContext

__all__ = [
    "ASYNC_ENGINE_FACTORIES", "CONNECT_CALLS", "ENGINE_FACTORIES", "FileContext",
    "arg_or_keyword", "keyword", "sqla_last",
]

#: Calls that take connection credentials (for DBC202), besides the driver calls above.
CONNECT_CALLS = frozenset(
    set(SYNC_DRIVER_CALLS)
    | set(ASYNC_DRIVER_CALLS)
    | {
        "sqlalchemy.URL.create", "sqlalchemy.engine.URL.create", "sqlalchemy.engine.url.URL.create",
        "sqlalchemy.create_engine", "sqlalchemy.ext.asyncio.create_async_engine",
        "databases.Database", "pymysql.connect", "aiomysql.connect", "mysql.connector.connect",
    }
)


# -- secrets ----------------------------------------------------------------------------
# (URL splitting as in dbctl.urls, copied so that `dbctl lint` does not import pydantic)
SYNC_DRIVERS = frozenset({"psycopg2", "psycopg2cffi", "pg8000", "pygresql", "py-postgresql"})
_SCHEME_RE = re.compile(r"^([A-Za-z][A-Za-z0-9+.\-]*)://(.*)$", re.DOTALL)
_HOSTPART_RE = re.compile(r"^(\[[^\]/?#@]*\]|[^/?#@\[\]\s]*)(:[^/?#@\s]*)?(?:[/?]|$)")


def _split_userinfo(rest: str) -> tuple[str | None, str]:
    """Split ``userinfo@hostpart`` at the ``@`` after which a plausible host part starts."""
    positions = [i for i, ch in enumerate(rest) if ch == "@"]
    for at in reversed(positions):
        if _HOSTPART_RE.match(rest[at + 1 :]):
            return rest[:at], rest[at + 1 :]
    if positions:
        return rest[: positions[-1]], rest[positions[-1] + 1 :]
    return None, rest


def mask_url_text(raw: str) -> str:
    """The URL with its password replaced by ``***`` (never the secret)."""
    m = _SCHEME_RE.match(raw.strip())
    if not m:
        return "***"
    userinfo, hostpart = _split_userinfo(m.group(2))
    if userinfo is None:
        return m.group(0)
    user, sep, _ = userinfo.partition(":")
    return f"{m.group(1)}://{user}{':***' if sep else ''}@{hostpart}"


DB_SCHEMES = ("postgresql", "postgres", "mysql", "mariadb", "mssql", "oracle", "cockroachdb",
              "redshift", "timescaledb")
_URL_RE = re.compile(
    r"\b((?:" + "|".join(DB_SCHEMES) + r")(?:\+[A-Za-z0-9_]+)?)://([^\s'\"<>`]*)",
    re.IGNORECASE,
)
PASSWORD_NAME_RE = re.compile(r"(?:^|_|\b)(?:password|passwd|pwd|pass)(?:$|_|\b)", re.IGNORECASE)
_PLACEHOLDER_CHARS = re.compile(r"\$|\{|\}|%s|%\(|^<.*>$|\x00")
_FILLER_RE = re.compile(r"^[*xX.…?_-]*$")
#: The interpolation sentinel put in place of f-string fields.
FIELD = "\x00"


def is_placeholder(password: str, user: str = "") -> bool:
    """A password that is a template, not a secret (``${VAR}``, ``{{x}}``, ``%s``, ``***``)."""
    if not password or _PLACEHOLDER_CHARS.search(password) or _FILLER_RE.match(password):
        return True
    # Alembic's stock alembic.ini: driver://user:pass@localhost/dbname
    return user.lower() in {"user", "username"} and password.lower() in {"pass", "password"}


@dataclass(frozen=True, slots=True)
class UrlSecret:
    start: int  # offset in the text
    end: int
    masked: str


def url_secrets(text: str) -> list[UrlSecret]:
    """Database URLs with a literal (non-placeholder) password inside ``text``."""
    out: list[UrlSecret] = []
    if "://" not in text:
        return out
    for m in _URL_RE.finditer(text):
        rest = m.group(2)
        userinfo, _ = _split_userinfo(rest)
        if userinfo is None:
            continue
        user, sep, password = userinfo.partition(":")
        if not sep or is_placeholder(password, user):
            continue
        masked = mask_url_text(m.group(0)).replace(FIELD, "{…}")
        out.append(UrlSecret(m.start(), m.end(), masked))
    return out


def literal_text(node: ast.AST) -> str | None:
    """The text of a string literal; f-string fields become the sentinel ``FIELD``."""
    if isinstance(node, ast.Constant):
        return node.value if isinstance(node.value, str) else None
    if isinstance(node, ast.JoinedStr):
        parts: list[str] = []
        for v in node.values:
            if isinstance(v, ast.Constant) and isinstance(v.value, str):
                parts.append(v.value)
            else:
                parts.append(FIELD)
        return "".join(parts)
    return None


def literal_secret(node: ast.AST | None) -> bool:
    """A non-empty, non-placeholder string literal (a plain constant, no interpolation)."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return not is_placeholder(node.value)
    return False



def settings_defaults(value: ast.AST, ctx: FileContext) -> list[ast.AST]:
    """The literal default(s) of a settings field value (``"x"``, ``Field("x")``,
    ``Field(default="x")``, ``SecretStr("x")``)."""
    if isinstance(value, ast.Constant | ast.JoinedStr):
        return [value]
    if isinstance(value, ast.Call):
        name = (ctx.canonical(value.func) or "").rsplit(".", 1)[-1]
        if name in {"Field", "SecretStr", "PostgresDsn", "AnyUrl"}:
            d = arg_or_keyword(value, 0, "default")
            return settings_defaults(d, ctx) if d is not None else []
    return []


def settings_fields(node: ast.ClassDef) -> list[tuple[str, ast.AST]]:
    out: list[tuple[str, ast.AST]] = []
    for stmt in node.body:
        if isinstance(stmt, ast.AnnAssign) and isinstance(stmt.target, ast.Name) and stmt.value:
            out.append((stmt.target.id, stmt.value))
        elif isinstance(stmt, ast.Assign) and len(stmt.targets) == 1 and isinstance(
            stmt.targets[0], ast.Name
        ):
            out.append((stmt.targets[0].id, stmt.value))
    return out



def __getattr__(name: str) -> Any:
    """``FileContext`` for the rules that import it from here (loaded on first use: the
    semantic model itself imports this module)."""
    if name == "FileContext":
        from dbctl.lint.semantic.model import FileContext

        return FileContext
    raise AttributeError(name)

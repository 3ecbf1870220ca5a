"""What the rules share besides the semantic model: the settings-class helpers of DBC203
(the URL/secret parsing of the credential rules is :mod:`dbctl.lint.secrets`).

The semantic model (scopes, bindings, kinds, the library vocabulary, the walker and the
project index) lives in :mod:`dbctl.lint.semantic`; a few of its names are re-exported
here for the credential rules. Nothing here imports or executes the code being read, nor
pydantic/SQLAlchemy.
"""

from __future__ import annotations

import ast
from typing import TYPE_CHECKING, Any

from dbctl.lint.semantic.nodes import arg_or_keyword, keyword
from dbctl.lint.semantic.vocabulary import (
    ASYNC_DRIVER_CALLS,
    ASYNC_ENGINE_FACTORIES,
    ENGINE_FACTORIES,
    SYNC_PG_DRIVER_CALLS,
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
    set(SYNC_PG_DRIVER_CALLS)
    | set(ASYNC_DRIVER_CALLS)
    | {
        "sqlalchemy.URL.create", "sqlalchemy.engine.URL.create", "sqlalchemy.engine.url.URL.create",
        "sqlalchemy.create_engine", "sqlalchemy.ext.asyncio.create_async_engine",
        "databases.Database", "pymysql.connect", "aiomysql.connect", "mysql.connector.connect",
    }
)


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

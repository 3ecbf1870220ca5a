"""Model loading (``MODULE:ATTR``) and dbctl's built-in reference model.

``--models app.models:Base`` names a ``DeclarativeBase`` subclass, a ``MetaData``, or
anything with a ``.metadata`` attribute holding one (SQLModel included). The project
directory (``--app-dir``) goes on ``sys.path`` first. Every failure is a one-line
:class:`~dbctl.errors.ConfigError` (exit 2) carrying the import's own message.

SQLAlchemy is imported inside the functions.
"""

from __future__ import annotations

import importlib
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

from dbctl.errors import ConfigError

if TYPE_CHECKING:
    from sqlalchemy import MetaData


def reference_metadata() -> MetaData:
    """The built-in model: ``users`` with ``id`` (primary key) and ``name`` (indexed)."""
    from sqlalchemy import Column, Integer, MetaData, String, Table

    metadata = MetaData()
    Table(
        "users",
        metadata,
        Column("id", Integer, primary_key=True),
        Column("name", String(255), index=True),
    )
    return metadata


def import_object(spec: str, app_dir: Path | None = None, *, what: str = "models") -> Any:
    """The object named by ``spec`` (``MODULE:ATTR``, ATTR may be dotted), imported with
    ``app_dir`` on ``sys.path``; whatever goes wrong is a one-line ConfigError (exit 2)."""
    if spec.count(":") != 1 or not all(spec.split(":")):
        raise ConfigError(f"invalid {what} {spec!r}: expected MODULE:ATTR, e.g. app.models:Base")
    module_name, attr_path = spec.split(":")
    base = app_dir or Path(".")
    if not base.is_dir():  # not "cannot import …: the module must be importable from there"
        problem = "is not a directory" if base.exists() else "does not exist"
        raise ConfigError(
            f"--app-dir {problem}: {base}",
            hint=f"give the directory the {what} module {module_name!r} is imported from",
        )
    directory = str(base.resolve())
    if directory not in sys.path:
        sys.path.insert(0, directory)
    try:
        module = importlib.import_module(module_name)
    except (Exception, SystemExit) as exc:  # whatever the user's module raises: one line
        raise ConfigError(
            f"cannot import {what} module {module_name!r}: {_one_line(exc)}",
            hint=f"--app-dir is {directory}; the module must be importable from there",
        ) from None
    obj: Any = module
    for part in attr_path.split("."):
        try:
            obj = getattr(obj, part)
        except AttributeError:
            raise ConfigError(
                f"module {module_name!r} has no attribute {attr_path!r}",
                hint="name a DeclarativeBase subclass, a MetaData or an object with .metadata"
                if what == "models"
                else "name the app's AsyncEngine or its session factory",
            ) from None
        except Exception as exc:  # a property of the user's that raises: one line
            raise ConfigError(f"{spec}: reading {part!r} raised {_one_line(exc)}") from None
    return obj


def _one_line(exc: BaseException) -> str:
    from dbctl.urls import mask_urls_in_text

    # the app's own error may quote its database URL (settings, create_async_engine at import)
    first = mask_urls_in_text((str(exc).splitlines() or [""])[0])
    return f"{type(exc).__name__}: {first}"


def load_metadata(spec: str | None, app_dir: Path | None = None) -> MetaData:
    """The MetaData named by ``spec`` (``MODULE:ATTR``), or the reference model when None."""
    from sqlalchemy import MetaData

    if spec is None:
        return reference_metadata()
    obj = import_object(spec, app_dir)
    if isinstance(obj, MetaData):
        return obj
    try:
        metadata = getattr(obj, "metadata", None)
    except Exception as exc:  # a .metadata property that raises
        raise ConfigError(f"{spec}: reading .metadata raised {_one_line(exc)}") from None
    if isinstance(metadata, MetaData):
        return metadata
    raise ConfigError(
        f"{spec} is of type {type(obj).__name__}, not a DeclarativeBase subclass, a MetaData or "
        "an object with a .metadata",
        hint="point --models at your declarative Base (e.g. app.models:Base) or SQLModel",
    )


def schema_map(schema: str) -> dict[str | None, str] | None:
    """The ``schema_translate_map`` putting tables without an explicit schema in ``schema``
    (None for ``public``: such tables go where the server's search_path puts them)."""
    return None if schema == "public" else {None: schema}


def table_schema(table: Any, default: str) -> str:
    return str(table.schema) if table.schema is not None else default


def tables_of(metadata: MetaData) -> list[Any]:
    """The tables by (schema, name); no dependency sort (a cycle would warn)."""
    return sorted(metadata.tables.values(), key=lambda t: (t.schema or "", t.name))


def render_ddl(metadata: MetaData, what: str, schema: str) -> list[str]:
    """The DDL ``metadata.create_all`` (``what="create"``) or ``drop_all`` emits on an empty
    database, rendered by the asyncpg dialect with ``--schema``'s translate map — the same
    statements, events (``before_create`` DDL) and order as a real run (mock strategy)."""
    from sqlalchemy import create_mock_engine, make_url

    statements: list[str] = []
    translate = schema_map(schema)

    def executor(sql: Any, *multiparams: Any, **params: Any) -> None:
        compiled = sql.compile(
            dialect=engine.dialect,
            schema_translate_map=translate,
            render_schema_translate=translate is not None,
        )
        text = str(compiled).strip()
        if text:
            statements.append(text)

    engine = create_mock_engine(make_url("postgresql+asyncpg://"), executor)
    if what == "create":
        metadata.create_all(engine, checkfirst=False)
    else:
        metadata.drop_all(engine, checkfirst=False)
    return statements

"""The ``schema`` check of ``dbctl check``: the models against the database.

Called by ``dbctl.core.check`` with an open asyncpg connection after the
``privileges`` check, only when models are configured (``settings.models``).

Which tables exist comes from the catalogs (as in ``init-db``). How the present ones
differ comes from Alembic's autogenerate comparison (``compare_metadata``) when Alembic
is installed — columns, types, nullability, indexes, unique constraints, foreign keys,
extra tables in the models' schemas — run through SQLAlchemy on the same connection; plus
enum labels, which Alembic does not compare. Without Alembic, the catalog comparison of
``init-db`` (columns and base types, enum labels). A missing table or model column, or an
extra NOT NULL column without a default, fails (the ORM's queries or inserts fail); every
other difference is a warning.
"""

from __future__ import annotations

import importlib.util
import time
import warnings
from typing import TYPE_CHECKING, Any

from dbctl.core.result import CheckResult
from dbctl.settings import LoadedSettings

if TYPE_CHECKING:
    from sqlalchemy import MetaData

    from dbctl.core.init_db import Comparison

#: tables never reported as extra (migration bookkeeping)
IGNORED_TABLES = frozenset({"alembic_version"})


def alembic_available() -> bool:
    return importlib.util.find_spec("alembic") is not None


async def run(conn: Any, loaded: LoadedSettings) -> CheckResult | None:
    """Return the ``schema`` row (``schema.missing_tables`` / ``schema.drift``), or None
    when no models are configured. A models setting that cannot be imported raises
    :class:`~dbctl.errors.ConfigError` (exit 2)."""
    settings = loaded.settings
    if settings.models is None:
        return None
    from dbctl.core.init_db import compare
    from dbctl.db.models import load_metadata

    started = time.perf_counter()
    schema = settings.db_schema
    metadata = load_metadata(settings.models, settings.app_dir)
    cmp = await compare(conn, metadata, schema)
    compared_by = "catalog"
    if alembic_available():
        compared_by = "alembic"
        await _alembic_drift(conn, metadata, schema, cmp)
    elapsed = (time.perf_counter() - started) * 1000
    data: dict[str, Any] = {
        "models": settings.models,
        "compared_by": compared_by,
        "tables": len(cmp.missing) + len(cmp.present),
        "missing": cmp.missing,
        "drift": cmp.drift,
        "failing": cmp.failing,
    }
    details = "; ".join(f"{t}: {', '.join(p)}" for t, p in cmp.drift.items())
    if cmp.missing:
        return CheckResult(
            id="schema",
            title="Schema",
            status="fail",
            summary=f"{len(cmp.missing)} of {data['tables']} model tables missing: "
            + ", ".join(cmp.missing)
            + (f"; {details}" if details else ""),
            duration_ms=elapsed,
            code="schema.missing_tables",
            hint="create them: dbctl init-db (or run your migrations)",
            data=data,
        )
    if cmp.drift:
        failing = bool(cmp.failing)
        return CheckResult(
            id="schema",
            title="Schema",
            status="fail" if failing else "warn",
            summary=f"{len(cmp.drift)} table(s) differ from the models: {details}",
            duration_ms=elapsed,
            code="schema.drift",
            hint="write a migration for the difference (init-db never alters existing tables)"
            + ("; the app's queries fail until then" if failing else ""),
            data=data,
        )
    return CheckResult(
        id="schema",
        title="Schema",
        status="pass",
        summary=f"all {data['tables']} model tables exist and match",
        duration_ms=elapsed,
        data=data,
    )


async def _alembic_drift(conn: Any, metadata: MetaData, schema: str, cmp: Comparison) -> None:
    """Replace ``cmp``'s column drift of the present tables by Alembic's comparison (enum
    labels and the failing extra columns stay from the catalog comparison)."""
    from dbctl.db.engine import engine_on

    engine = engine_on(conn)
    async with engine.connect() as aconn, aconn.begin():
        if schema != "public":
            # tables without a schema are compared with those of --schema: reflection
            # without a schema looks along the search_path (SET LOCAL: transaction only)
            from dbctl.db.catalog import quote_ident

            await aconn.exec_driver_sql(f"SET LOCAL search_path TO {quote_ident(schema)}")
        diffs = await aconn.run_sync(_compare, metadata)
    drift: dict[str, list[str]] = {}
    failing: dict[str, list[str]] = {}
    missing = set(cmp.missing)
    for diff in diffs:
        described = describe(diff, schema)
        if described is None:
            continue
        table, message, fails = described
        if table in missing:  # reported as a missing table already
            continue
        drift.setdefault(table, []).append(message)
        if fails:
            failing.setdefault(table, []).append(message)
    for table, problems in cmp.drift.items():  # what Alembic does not compare
        for p in problems:
            if p.startswith("column ") and ": enum " in p:
                drift.setdefault(table, []).append(p)
    cmp.drift, cmp.failing = drift, failing


def _compare(sync_conn: Any, metadata: MetaData) -> list[Any]:
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    schemas = {t.schema for t in metadata.tables.values()}

    def include_name(name: str | None, type_: str, parent_names: Any) -> bool:
        if type_ == "schema":
            return name in schemas
        if type_ == "table":
            return name not in IGNORED_TABLES
        return True

    context = MigrationContext.configure(
        sync_conn,
        opts={
            "include_schemas": True,
            "include_name": include_name,
            "compare_type": True,
            "target_metadata": metadata,
        },
    )
    with warnings.catch_warnings():  # e.g. "Did not recognize type": not dbctl's to show
        warnings.simplefilter("ignore")
        diffs = compare_metadata(context, metadata)
    flat: list[Any] = []
    for d in diffs:
        flat.extend(d if isinstance(d, list) else [d])
    return flat


def _where(kind: str) -> str:
    added = kind.startswith("add_")
    return (
        "is in the model but not in the database"
        if added
        else "is in the database but not in the model"
    )


def _cols(columns: Any) -> str:
    return ", ".join(str(getattr(c, "name", c)) for c in columns)


def describe(diff: Any, schema: str) -> tuple[str, str, bool] | None:
    """One entry of Alembic's ``compare_metadata`` as (table, message, fails)."""
    kind = diff[0]

    def label(s: str | None, name: str) -> str:
        return f"{s or schema}.{name}"

    if kind in {"add_table", "remove_table"}:
        t = diff[1]
        if t.name in IGNORED_TABLES:
            return None
        return label(t.schema, t.name), f"table {_where(kind)}s", kind == "add_table"
    if kind == "add_column":
        _, s, tname, col = diff
        return label(s, tname), f"column {col.name} {_where(kind)}", True
    if kind == "remove_column":
        _, s, tname, col = diff
        message = f"column {col.name} {_where(kind)}"
        blocking = not col.nullable and col.server_default is None and col.identity is None
        if blocking:
            from dbctl.core.init_db import BLOCKING

            return label(s, tname), message + BLOCKING, True
        return label(s, tname), message, False
    if kind in {"add_index", "remove_index"}:
        ix = diff[1]
        what = "unique index" if ix.unique else "index"
        return (
            label(ix.table.schema, ix.table.name),
            f"{what} {ix.name} ({_cols(ix.expressions)}) {_where(kind)}",
            False,
        )
    if kind in {"add_constraint", "remove_constraint"}:
        con = diff[1]
        name = f" {con.name}" if con.name else ""
        return (
            label(con.table.schema, con.table.name),
            f"unique constraint{name} ({_cols(con.columns)}) {_where(kind)}",
            False,
        )
    if kind in {"add_fk", "remove_fk"}:
        fk = diff[1]
        ref = fk.referred_table
        return (
            label(fk.table.schema, fk.table.name),
            f"foreign key ({_cols(fk.columns)}) → {label(ref.schema, ref.name)} {_where(kind)}",
            False,
        )
    if kind == "modify_type":
        _, s, tname, cname, _kw, old, new = diff
        return (
            label(s, tname),
            f"column {cname} is {old} in the database, {new} in the model",
            False,
        )
    if kind == "modify_nullable":
        _, s, tname, cname, _kw, old, new = diff

        def word(nullable: bool) -> str:
            return "nullable" if nullable else "NOT NULL"

        return (
            label(s, tname),
            f"column {cname} is {word(old)} in the database, {word(new)} in the model",
            False,
        )
    return None

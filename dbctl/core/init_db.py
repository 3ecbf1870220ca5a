"""``dbctl init-db``: SQLAlchemy's own ``metadata.create_all`` through an ``AsyncEngine``
(NullPool, connections from :func:`dbctl.db.connect.connect`), run with
``AsyncConnection.run_sync`` inside one transaction after a one-query preflight and a
transaction-level advisory lock (two init-db on one database run one after the other).
``--schema`` is a ``schema_translate_map``; ``--dry-run`` renders the same ``create_all``
with a mock engine. An optional seed is loaded through the engine connection's asyncpg
connection (COPY) in the same transaction.

:func:`run` / :func:`run_with_settings` are the public entry points (``dbctl prestart``
calls them too)."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from dbctl.core.seed import ProgressSink, SeedResult
from dbctl.db.catalog import quote_ident, reflect, resolve_types
from dbctl.db.errors import translate as translate_error
from dbctl.errors import DatabaseError, UsageError
from dbctl.settings import LoadedSettings
from dbctl.urls import DatabaseUrl

if TYPE_CHECKING:
    from sqlalchemy import MetaData


#: The transaction-level advisory lock (per database) that serialises concurrent init-db.
ADVISORY_LOCK_KEY = 0x6462_6374_6C5F_6462  # "dbctl_db"


@dataclass(slots=True)
class Comparison:
    """The models' tables against the database."""

    missing: list[str] = field(default_factory=list)
    present: list[str] = field(default_factory=list)
    drift: dict[str, list[str]] = field(default_factory=dict)
    #: the differences that break the app (a model column the database lacks, an extra
    #: NOT NULL column without a default): a failure in ``check``, not a warning
    failing: dict[str, list[str]] = field(default_factory=dict)
    missing_tables: list[Any] = field(default_factory=list)  # sqlalchemy Table objects
    present_tables: list[Any] = field(default_factory=list)


@dataclass(slots=True)
class InitDbResult:
    target: str
    schema: str
    dry_run: bool
    statements: list[str] = field(default_factory=list)
    created: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    drift: dict[str, list[str]] = field(default_factory=dict)
    dropped: list[str] = field(default_factory=list)
    seed: SeedResult | None = None
    duration_ms: float = 0.0
    notes: list[str] = field(default_factory=list)


def _label(schema: str, name: str) -> str:
    return f"{schema}.{name}"


async def compare(conn: Any, metadata: MetaData, schema: str) -> Comparison:
    """Which model tables are missing, present, and how present ones drifted (columns, types)."""
    from sqlalchemy.dialects import postgresql

    from dbctl.db.models import table_schema, tables_of

    dialect = postgresql.dialect()  # type: ignore[no-untyped-call]
    tables = tables_of(metadata)
    keys = [(table_schema(t, schema), t.name) for t in tables]
    found = await reflect(conn, keys)
    model_types: dict[tuple[str, str, str], str] = {}
    for t, key in zip(tables, keys, strict=True):
        if key in found:
            for col in t.columns:
                try:
                    model_types[(*key, col.name)] = str(col.type.compile(dialect=dialect))
                except Exception:  # noqa: S112 - a type PostgreSQL cannot name: not compared
                    continue
    resolved = await resolve_types(conn, list(model_types.values()))
    out = Comparison()
    for t, key in zip(tables, keys, strict=True):
        label = _label(*key)
        db_table = found.get(key)
        if db_table is None:
            out.missing.append(label)
            out.missing_tables.append(t)
            continue
        out.present.append(label)
        out.present_tables.append(t)
        problems: list[str] = []
        failing: list[str] = []
        db_cols = {c.name: c for c in db_table.columns}
        for col in t.columns:
            db_col = db_cols.get(col.name)
            if db_col is None:
                failing.append(f"column {col.name} is in the model but not in the database")
                continue
            problems += enum_drift(col, db_col)
            type_sql = model_types.get((*key, col.name))
            oid = resolved.get(type_sql) if type_sql else None
            if oid is not None and oid != db_col.type_oid:
                problems.append(
                    f"column {col.name} is {db_col.type_sql} in the database, "
                    f"{type_sql} in the model"
                )
        model_cols = {c.name for c in t.columns}
        for name, db_col in db_cols.items():
            if name not in model_cols:
                msg = f"column {name} is in the database but not in the model"
                if db_col.not_null and not db_col.auto:
                    failing.append(msg + BLOCKING)
                else:
                    problems.append(msg)
        if failing:
            out.failing[label] = failing
        if failing or problems:
            out.drift[label] = failing + problems
    return out


#: said of an extra NOT NULL column without a default (the ORM's INSERTs fail)
BLOCKING = " (NOT NULL without a default: the app's inserts fail)"


def enum_drift(col: Any, db_col: Any) -> list[str]:
    """A model enum's labels that the database type lacks (inserting them fails)."""
    labels = getattr(col.type, "enums", None)
    if not labels or db_col.typtype != "e":
        return []
    lacking = [v for v in labels if v not in db_col.enum_labels]
    if not lacking:
        return []
    return [
        f"column {col.name}: enum {db_col.type_sql} lacks "
        + ", ".join(repr(v) for v in lacking)
        + " (in the model)"
    ]


_PREFLIGHT = """
SELECT pg_is_in_recovery() AS in_recovery,
       current_setting('transaction_read_only') = 'on' AS read_only,
       current_user::text AS role, current_database()::text AS database,
       has_database_privilege(current_database(), 'CREATE') AS db_create,
       ARRAY(SELECT s FROM unnest($1::text[]) AS s
             WHERE NOT EXISTS (SELECT 1 FROM pg_namespace n WHERE n.nspname = s)) AS missing,
       ARRAY(SELECT n.nspname::text FROM pg_namespace n
             WHERE n.nspname = ANY($1::text[]) AND NOT has_schema_privilege(n.oid, 'CREATE'))
         AS no_create
"""


async def preflight(conn: Any, schemas: list[str], target: str) -> list[str]:
    """Refuse (DatabaseError, exit 1) before any DDL when the session cannot create tables.

    Returns the schemas that do not exist yet (they will be created)."""
    r = await conn.fetchrow(_PREFLIGHT, schemas)
    role, db = r["role"], r["database"]
    if r["in_recovery"]:
        raise DatabaseError(
            f"{target} is a read-only replica (pg_is_in_recovery() is true): nothing was changed",
            code="session.read_only",
            hint="point the URL at the primary server",
        )
    if r["read_only"]:
        raise DatabaseError(
            f"the session on {target} is read-only (default_transaction_read_only is on): "
            "nothing was changed",
            code="session.read_only",
            hint=f"point the URL at the primary, or as an admin: ALTER ROLE {quote_ident(role)} "
            "SET default_transaction_read_only = off",
        )
    if r["no_create"]:
        names = ", ".join(r["no_create"])
        first = quote_ident(r["no_create"][0])
        raise DatabaseError(
            f"role {role} has no CREATE privilege on schema {names}: nothing was changed",
            code="privileges.no_create",
            hint=f"as the schema owner: GRANT CREATE ON SCHEMA {first} TO {quote_ident(role)}; "
            f"or make the role the owner: ALTER DATABASE {quote_ident(db)} OWNER TO "
            f"{quote_ident(role)} (PostgreSQL 15 removed CREATE on public from other roles)",
        )
    missing = list(r["missing"])
    if missing and not r["db_create"]:
        raise DatabaseError(
            f"schema {', '.join(missing)} does not exist and role {role} may not create it: "
            "nothing was changed",
            code="privileges.no_create",
            hint=f"GRANT CREATE ON DATABASE {quote_ident(db)} TO {quote_ident(role)}, or "
            "create the schema as an admin",
        )
    return missing


def _schemas_to_create(metadata: MetaData, schema: str) -> list[str]:
    from dbctl.db.models import table_schema

    return sorted({table_schema(t, schema) for t in metadata.tables.values()} - {"public"})


def _create_schema(name: str) -> Any:
    from sqlalchemy.schema import CreateSchema

    return CreateSchema(name, if_not_exists=True)


def dry_run_ddl(metadata: MetaData, schema: str, *, drop: bool) -> list[str]:
    """The DDL init-db runs on an empty database (no connection needed): the same
    ``create_all`` as a real run, through a mock engine."""
    from sqlalchemy.dialects import postgresql

    from dbctl.db.models import render_ddl

    dialect = postgresql.dialect()  # type: ignore[no-untyped-call]
    statements = [
        str(_create_schema(s).compile(dialect=dialect))
        for s in _schemas_to_create(metadata, schema)
    ]
    if drop:  # a dry run cannot know which tables exist
        statements += [
            s.replace("DROP TABLE ", "DROP TABLE IF EXISTS ", 1)
            if s.startswith("DROP TABLE ")
            else s
            for s in render_ddl(metadata, "drop", schema)
        ]
    statements += render_ddl(metadata, "create", schema)
    return statements


class _Recorder:
    """Follows the statements SQLAlchemy sends: the DDL (what ran), the last one (errors)."""

    def __init__(self) -> None:
        self.ddl: list[str] = []
        self.current = "connecting"

    def before_cursor_execute(
        self, conn: Any, cursor: Any, statement: str, parameters: Any, context: Any, many: bool
    ) -> None:
        from sqlalchemy.sql.compiler import DDLCompiler

        self.current = statement
        if context is not None and isinstance(context.compiled, DDLCompiler):
            text = statement.strip()
            if text:
                self.ddl.append(text)


async def run(
    url: DatabaseUrl | None,
    *,
    metadata: MetaData,
    schema: str,
    timeout: float,
    dry_run: bool = False,
    drop: bool = False,
    seed_path: Path | None = None,
    batch_size: int = 10_000,
    progress: ProgressSink | None = None,
) -> InitDbResult:
    """Create the models' missing tables (``--drop``: all of them) in one transaction."""
    started = time.perf_counter()
    result = InitDbResult(
        target=url.masked() if url is not None else "", schema=schema, dry_run=dry_run
    )
    if dry_run:
        result.statements = dry_run_ddl(metadata, schema, drop=drop)
        if seed_path is not None:
            result.notes.append(f"--seed {seed_path.name} is not loaded in a dry run")
        result.duration_ms = (time.perf_counter() - started) * 1000
        return result
    if url is None:
        raise UsageError("no database URL")
    if seed_path is not None:  # exit 2 before connecting, as `dbctl seed` does
        from dbctl.core.seed import check_file

        check_file(seed_path)

    import asyncpg
    from sqlalchemy import event
    from sqlalchemy.exc import DBAPIError

    from dbctl.db.bounds import current as current_bounds
    from dbctl.db.bounds import ms
    from dbctl.db.connect import target_label
    from dbctl.db.engine import async_engine, driver_connection
    from dbctl.db.models import schema_map, table_schema

    target = target_label(url)
    schemas = sorted({table_schema(t, schema) for t in metadata.tables.values()})
    recorder = _Recorder()
    engine = async_engine(url, timeout=timeout)
    try:
        async with engine.connect() as aconn:
            translate = schema_map(schema)
            if translate is not None:
                await aconn.execution_options(schema_translate_map=translate)
            event.listen(
                aconn.sync_connection, "before_cursor_execute", recorder.before_cursor_execute
            )
            async with aconn.begin():
                # DDL waits for locks held by a running app: give up after --lock-timeout
                # instead of hanging (SET LOCAL: nothing outlives the transaction on a
                # pooler). It is also the statement that makes SQLAlchemy send BEGIN, so
                # the advisory lock below is held until COMMIT.
                lock_ms = ms(current_bounds().lock)
                await aconn.exec_driver_sql(f"SET LOCAL lock_timeout = '{lock_ms}'")
                conn = await driver_connection(aconn)
                recorder.current = "preflight"
                missing_schemas = await preflight(conn, schemas, target)
                recorder.current = "waiting for another init-db on this database"
                await conn.execute("SELECT pg_advisory_xact_lock($1)", ADVISORY_LOCK_KEY)
                if missing_schemas:  # another init-db may have made them meanwhile
                    missing_schemas = list(
                        await conn.fetchval(
                            "SELECT ARRAY(SELECT s FROM unnest($1::text[]) AS s "
                            "WHERE to_regnamespace(s) IS NULL)",
                            missing_schemas,
                        )
                    )
                for s in missing_schemas:
                    await aconn.execute(_create_schema(s))
                recorder.current = "comparing the models with the database"
                cmp = await compare(conn, metadata, schema)
                if drop and cmp.present_tables:
                    await aconn.run_sync(lambda c: metadata.drop_all(c, checkfirst=True))
                    result.dropped = list(cmp.present)
                    result.created = [*cmp.present, *cmp.missing]
                else:
                    result.skipped = list(cmp.present)
                    result.drift = cmp.drift
                    result.created = list(cmp.missing)
                if progress is not None and result.created:
                    progress.phase(f"creating {len(result.created)} tables and their indexes")
                await aconn.run_sync(lambda c: metadata.create_all(c, checkfirst=True))
                if seed_path is not None:
                    from dbctl.core.seed import seed_file

                    recorder.current = f"seeding {seed_path.name}"
                    result.seed = await seed_file(
                        conn,
                        seed_path,
                        schema=schema,
                        batch_size=batch_size,
                        progress=progress,
                        metadata=metadata,
                    )
                if progress is not None:  # deferred foreign keys are checked at COMMIT
                    progress.phase("committing")
    except (asyncpg.PostgresError, DBAPIError) as exc:
        err = translate_error(exc, target=target, timeout=timeout)
        if err is None:
            raise
        what = recorder.current.strip().splitlines()[0][:120]
        hint = err.hint
        raise DatabaseError(
            f"{what}: {err.message} — nothing was changed (the transaction was rolled back)",
            code=err.code or "db.error",
            hint=hint,
            sqlstate=err.sqlstate,
        ) from None
    finally:
        await engine.dispose()
    result.statements = recorder.ddl
    result.duration_ms = (time.perf_counter() - started) * 1000
    return result


async def run_with_settings(
    loaded: LoadedSettings,
    *,
    dry_run: bool = False,
    drop: bool = False,
    seed_path: Path | None = None,
    progress: ProgressSink | None = None,
) -> InitDbResult:
    """:func:`run` with the models, schema, URL and timeout from the settings (the URL is
    not needed for a dry run)."""
    from dbctl.db.models import load_metadata

    s = loaded.settings
    metadata = load_metadata(s.models, s.app_dir)
    url = None if dry_run else loaded.database_url()
    return await run(
        url,
        metadata=metadata,
        schema=s.db_schema,
        timeout=s.timeout,
        dry_run=dry_run,
        drop=drop,
        seed_path=seed_path,
        progress=progress,
    )

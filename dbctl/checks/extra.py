"""``schema`` (when models are configured) and ``migrations`` (when Alembic is): rows
contributed by :mod:`dbctl.core.schema_check` and :mod:`dbctl.core.migrations_check`."""

from __future__ import annotations

from dbctl.checks.base import Check, Context
from dbctl.settings import LoadedSettings


async def _schema(ctx: Context) -> None:
    from dbctl.core import schema_check

    row = await schema_check.run(ctx.conn, ctx.loaded)
    if row is not None:
        ctx.rows[row.id] = row


async def _migrations(ctx: Context) -> None:
    from dbctl.core import migrations_check

    if ctx.conn is None:  # several heads or a broken revision graph show without a database
        row = migrations_check.run_without_database(ctx.loaded, "an earlier check failed")
    else:
        row = await migrations_check.run(ctx.conn, ctx.loaded)
    if row is not None:
        ctx.rows[row.id] = row


def _has_models(loaded: LoadedSettings) -> bool:
    return bool(loaded.settings.models)


SCHEMA = Check(
    id="schema",
    title="Schema",
    codes=("schema.missing_tables", "schema.drift"),
    needs=("conn",),
    run=_schema,
    applies=_has_models,
)
MIGRATIONS = Check(
    id="migrations",
    title="Migrations",
    codes=(
        "migrations.behind",
        "migrations.unknown_revision",
        "migrations.multiple_heads",
        "migrations.invalid_graph",
    ),
    needs=(),  # without a connection it reads the scripts alone
    run=_migrations,
)

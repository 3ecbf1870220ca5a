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

    row = await migrations_check.run(ctx.conn, ctx.loaded)
    if row is not None:
        ctx.rows[row.id] = row


def _has_models(loaded: LoadedSettings) -> bool:
    return bool(loaded.settings.models)


def _has_alembic(loaded: LoadedSettings) -> bool:
    """Configured, or an alembic.ini found where the app keeps it (a configured path
    that is missing is reported by the row itself)."""
    from dbctl.core.migrations_check import find_config

    return loaded.settings.alembic_config is not None or find_config(loaded) is not None


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
    codes=("migrations.behind", "migrations.unknown_revision"),
    needs=("conn",),
    run=_migrations,
    applies=_has_alembic,
)

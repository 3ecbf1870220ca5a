"""The ``schema`` check of ``dbctl check``: the models' tables against the database.

Called by ``dbctl.core.check`` with an open asyncpg connection after the
``privileges`` check, only when models are configured (``settings.models``).
"""

from __future__ import annotations

import time
from typing import Any

from dbctl.core.result import CheckResult
from dbctl.settings import LoadedSettings


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
    metadata = load_metadata(settings.models, settings.app_dir)
    cmp = await compare(conn, metadata, settings.db_schema)
    elapsed = (time.perf_counter() - started) * 1000
    data: dict[str, Any] = {
        "models": settings.models,
        "tables": len(cmp.missing) + len(cmp.present),
        "missing": cmp.missing,
        "drift": cmp.drift,
    }
    if cmp.missing:
        return CheckResult(
            id="schema",
            title="Schema",
            status="fail",
            summary=f"{len(cmp.missing)} of {data['tables']} model tables missing: "
            + ", ".join(cmp.missing),
            duration_ms=elapsed,
            code="schema.missing_tables",
            hint="create them: dbctl init-db (or run your migrations)",
            data=data,
        )
    if cmp.drift:
        details = "; ".join(f"{t}: {', '.join(p)}" for t, p in cmp.drift.items())
        return CheckResult(
            id="schema",
            title="Schema",
            status="warn",
            summary=f"{len(cmp.drift)} table(s) differ from the models: {details}",
            duration_ms=elapsed,
            code="schema.drift",
            hint="write a migration for the difference (init-db never alters existing tables)",
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

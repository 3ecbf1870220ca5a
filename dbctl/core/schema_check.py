"""The ``schema`` check of ``dbctl check``: the models' tables against the database.

Called by ``dbctl.core.check`` with an open asyncpg connection after the
``privileges`` check, only when models are configured (``settings.models``).
"""

from __future__ import annotations

from typing import Any

from dbctl.core.result import CheckResult
from dbctl.settings import LoadedSettings


async def run(conn: Any, loaded: LoadedSettings) -> CheckResult | None:
    """Return the ``schema`` row (``schema.missing_tables`` / ``schema.drift``), or None
    when no models are configured."""
    if loaded.settings.models is None:
        return None
    raise NotImplementedError("schema check: implemented with init-db (issue 4)")

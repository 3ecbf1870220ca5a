"""The ``migrations`` check of ``dbctl check``: alembic_version against the script heads.

Called by ``dbctl.core.check`` with an open asyncpg connection after ``schema``.
"""

from __future__ import annotations

from typing import Any

from dbctl.core.result import CheckResult
from dbctl.settings import LoadedSettings


async def run(conn: Any, loaded: LoadedSettings) -> CheckResult | None:
    """Return the ``migrations`` row (``migrations.behind`` / ``migrations.unknown_revision``),
    or None when no Alembic configuration is found."""
    return None

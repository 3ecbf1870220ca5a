"""The checks of ``dbctl check``, one module each, in the order the runner walks them.

Each module defines ``CHECK`` (:class:`~dbctl.checks.base.Check`): id, title, the failure
codes it can emit (catalogued in :mod:`dbctl.checks.codes`), what it needs from earlier
checks, and its run function. :mod:`dbctl.core.check` walks :data:`CHECKS`. Only asyncpg
is used here, never SQLAlchemy: ``dbctl check`` must start fast.
"""

from __future__ import annotations

from dbctl.checks import (
    auth,
    capacity,
    config,
    dns,
    extra,
    latency,
    privileges,
    server,
    session,
    tcp,
    tls,
)
from dbctl.checks.base import Check

#: Every check, in the order they run and are reported (DESIGN.md §6).
CHECKS: tuple[Check, ...] = (
    config.CHECK,
    dns.CHECK,
    tcp.CHECK,
    tls.CHECK,
    auth.CHECK,
    server.CHECK,
    latency.CHECK,
    capacity.CHECK,
    session.CHECK,
    privileges.CHECK,
    extra.SCHEMA,
    extra.MIGRATIONS,
)
#: The ids of the checks every run reports (schema and migrations only where configured).
CHECK_IDS = tuple(c.id for c in CHECKS if c not in (extra.SCHEMA, extra.MIGRATIONS))
TITLES = {c.id: c.title for c in CHECKS}

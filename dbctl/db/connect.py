"""Raw asyncpg connections (used by ``check``: no SQLAlchemy import on that path)."""

from __future__ import annotations

import asyncio
from typing import Any

from dbctl.db.errors import translate
from dbctl.errors import DatabaseError
from dbctl.urls import DatabaseUrl


def target_label(url: DatabaseUrl) -> str:
    """``host:port`` for messages (no credentials)."""
    return ",".join(f"{h or 'localhost'}:{p or 5432}" for h, p in url.hosts)


async def connect(url: DatabaseUrl, *, timeout: float, **extra: Any) -> Any:
    """Open one asyncpg connection with an explicit timeout, translating failures.

    Raises :class:`~dbctl.errors.DatabaseError` (or its UnreachableError subclass) for
    every expected failure; anything else propagates.
    """
    import asyncpg

    kwargs = url.asyncpg_kwargs(timeout=timeout)
    # no named prepared statements: behind a pooler in transaction mode they land on a
    # server connection other clients inherit (dbctl's sessions are too short to gain)
    kwargs["statement_cache_size"] = 0
    kwargs.update(extra)
    try:
        # asyncpg's own timeout covers the handshake; wait_for also bounds DNS.
        return await asyncio.wait_for(asyncpg.connect(**kwargs), timeout=timeout + 1)
    except DatabaseError:
        raise
    except (TimeoutError, OSError, asyncpg.PostgresError, asyncpg.InterfaceError) as exc:
        err = translate(exc, target=target_label(url), timeout=timeout)
        if err is None:
            raise
        raise err from None

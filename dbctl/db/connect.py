"""Every dbctl connection is opened here: asyncpg, bounded and fault-aware by construction.

The connection is a :class:`~dbctl.db.guarded.GuardedConnection` carrying the current
:class:`~dbctl.db.bounds.Bounds` (set by the CLI from ``--lock-timeout``,
``--statement-timeout`` and ``--stall-timeout``). SQLAlchemy users pass
:func:`connect` as ``async_creator=`` and get the same guards.
"""

from __future__ import annotations

import asyncio
import functools
import logging
from typing import Any

from dbctl.db.bounds import CLOSE_GRACE
from dbctl.db.errors import translate
from dbctl.errors import DatabaseError, expected_error
from dbctl.urls import DatabaseUrl


def target_label(url: DatabaseUrl) -> str:
    """``host:port`` for messages (no credentials)."""
    return ",".join(f"{h or 'localhost'}:{p or 5432}" for h, p in url.hosts)


async def connect(url: DatabaseUrl, *, timeout: float, **extra: Any) -> Any:
    """Open one guarded asyncpg connection with an explicit timeout, translating failures.

    Raises :class:`~dbctl.errors.DatabaseError` (or its UnreachableError subclass) for
    every expected failure; anything else propagates.
    """
    import asyncpg

    from dbctl.db.guarded import GuardedConnection

    _quiet_asyncio(asyncio.get_running_loop())
    kwargs = url.asyncpg_kwargs(timeout=timeout)
    kwargs.setdefault("connection_class", GuardedConnection)
    # no named prepared statements: behind a pooler in transaction mode they land on a
    # server connection other clients inherit (dbctl's sessions are too short to gain)
    kwargs["statement_cache_size"] = 0
    kwargs.update(extra)
    try:
        # asyncpg's own timeout covers the handshake; wait_for also bounds DNS.
        conn = await asyncio.wait_for(asyncpg.connect(**kwargs), timeout=timeout + 1)
    except DatabaseError:
        raise
    except UnicodeError as exc:  # the IDNA codec refuses the host name (label > 63 chars)
        err = expected_error(exc)
        if err is None:
            raise
        raise err from None
    except (TimeoutError, OSError, asyncpg.PostgresError, asyncpg.InterfaceError) as exc:
        err = translate(exc, target=target_label(url), timeout=timeout)
        if err is None:
            raise
        raise err from None
    if isinstance(conn, GuardedConnection):
        conn.dbctl_target = target_label(url)
        conn.dbctl_reopen = functools.partial(
            connect, url, timeout=min(timeout, CLOSE_GRACE), **extra
        )
    return conn


class _SocketNoise(logging.Filter):
    """asyncio's "socket.send() raised exception." after a lost connection: the fault is
    reported once, as a dbctl error."""

    def filter(self, record: logging.LogRecord) -> bool:
        return not str(record.msg).startswith("socket.send() raised exception")


_NOISE = _SocketNoise()


def _quiet_asyncio(loop: asyncio.AbstractEventLoop) -> None:
    """No socket noise and no "exception was never retrieved" for a connection that broke:
    the error the command raises says it once."""
    logger = logging.getLogger("asyncio")
    if _NOISE not in logger.filters:
        logger.addFilter(_NOISE)
    if loop.get_exception_handler() is None:
        loop.set_exception_handler(_exception_handler)


def _exception_handler(loop: asyncio.AbstractEventLoop, context: dict[str, Any]) -> None:
    import asyncpg

    exc = context.get("exception")
    if isinstance(exc, OSError | asyncpg.InterfaceError | asyncpg.PostgresError | TimeoutError):
        return
    loop.default_exception_handler(context)

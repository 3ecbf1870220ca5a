"""The bounds every database command runs under, and the faults they end in.

Cheap to import (no asyncpg): the CLI sets the bounds from the settings
(:func:`use`), :func:`dbctl.db.connect.connect` hands them to every connection
(:mod:`dbctl.db.guarded` enforces them).

==================  ===================  =======  =============================================
bound               flag / setting       default  what happens
==================  ===================  =======  =============================================
connect             ``--timeout``        5 s      exit 3, ``tcp.timeout``
lock wait           ``--lock-timeout``   10 s     exit 1, ``lock.timeout`` (``SET LOCAL``)
statement (reads)   ``--statement-       30 s     exit 1, ``statement.timeout``; paged reads,
                    timeout``                     counts, catalog queries (not writes/streams)
stalled connection  ``--stall-timeout``  300 s    exit 3, ``connection.stalled``: no answer
                                                  and no data moving for that long; the query
                                                  is cancelled on the server
==================  ===================  =======  =============================================
"""

from __future__ import annotations

from dataclasses import dataclass

from dbctl.errors import DatabaseError, UnreachableError

DEFAULT_LOCK_TIMEOUT = 10.0
DEFAULT_STATEMENT_TIMEOUT = 30.0
DEFAULT_STALL_TIMEOUT = 300.0
#: How long closing a broken connection may take (sending the cancel request included).
CLOSE_GRACE = 2.0


@dataclass(frozen=True, slots=True)
class Bounds:
    """Seconds; every value is > 0 (settings validate that)."""

    lock: float = DEFAULT_LOCK_TIMEOUT
    statement: float = DEFAULT_STATEMENT_TIMEOUT
    stall: float = DEFAULT_STALL_TIMEOUT


_current: list[Bounds] = [Bounds()]


def use(bounds: Bounds) -> None:
    """Set the bounds of the connections opened from now on (the CLI does it per command)."""
    _current[0] = bounds


def current() -> Bounds:
    return _current[0]


def ms(seconds: float) -> str:
    """A PostgreSQL duration literal (integer milliseconds, at least 1)."""
    return f"{max(1, round(seconds * 1000))}ms"


class ConnectionStalled(UnreachableError):
    """No byte from the server for ``stall`` seconds while a result was pending."""

    def __init__(self, message: str, *, hint: str | None = None) -> None:
        super().__init__(message, code="connection.stalled", hint=hint)


class ConnectionLost(UnreachableError):
    """The server closed or reset the connection (crash, restart, admin shutdown, network)."""

    def __init__(self, message: str, *, hint: str | None = None, sqlstate: str | None = None):
        super().__init__(message, code="connection.lost", hint=hint, sqlstate=sqlstate)


class LockWaitTimeout(DatabaseError):
    """A lock was not granted within ``--lock-timeout`` (SQLSTATE 55P03)."""

    def __init__(self, message: str, *, hint: str | None = None) -> None:
        super().__init__(message, code="lock.timeout", hint=hint, sqlstate="55P03")


class StatementTimeout(DatabaseError):
    """A read ran longer than ``--statement-timeout`` (SQLSTATE 57014)."""

    def __init__(self, message: str, *, hint: str | None = None) -> None:
        super().__init__(message, code="statement.timeout", hint=hint, sqlstate="57014")

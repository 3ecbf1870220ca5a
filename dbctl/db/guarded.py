"""The asyncpg connection class of every dbctl connection: bounds and faults by construction.

:func:`dbctl.db.connect.connect` opens connections of :class:`GuardedConnection`
(asyncpg's documented ``connection_class``), so every command — raw asyncpg or
SQLAlchemy's asyncpg dialect on top of it — gets, without doing anything:

* **a stall guard**: while a call waits for the server, no answer and no data moving
  (COPY chunks in or out, cursor batches) for ``Bounds.stall`` seconds cancels the
  call; asyncpg then sends a cancel request to the server, the connection is dropped
  and :class:`~dbctl.db.bounds.ConnectionStalled` (exit 3) is raised. Time spent by
  dbctl's own output (a slow pipe reader) does not count.
* **a lock timeout** in every top-level transaction (``SET LOCAL lock_timeout``: nothing
  leaks to a pooled server connection), and a **statement timeout** in read-only
  transactions (``SET LOCAL statement_timeout``) and for statements outside any
  transaction (catalog queries; enforced with asyncpg's timeout, which cancels the
  query on the server);
* **named faults**: a lost connection (crash, reset, admin shutdown) is
  :class:`~dbctl.db.bounds.ConnectionLost` (exit 3) saying whether anything was
  written; a lock wait that timed out names the sessions holding locks.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from typing import Any

import asyncpg

from dbctl.checks.codes import hint as hint_for
from dbctl.db.bounds import (
    CLOSE_GRACE,
    Bounds,
    ConnectionLost,
    ConnectionStalled,
    LockWaitTimeout,
    StatementTimeout,
    current,
    ms,
)
from dbctl.db.errors import LOST_STATES, find_sqlstate
from dbctl.errors import DatabaseError, DbctlError

#: Server errors of the data commands that come with advice: SQLSTATE -> (code, hint).
HINTS = {
    "40P01": (
        "db.deadlock",
        "another session locked the same rows in the opposite order: retry, or seed the "
        "tables one at a time (one file per run)",
    ),
    "53200": (
        "server.out_of_shared_memory",
        "one transaction locked more objects than the server's lock table holds: raise "
        "max_locks_per_transaction (needs a restart), or create fewer tables per run",
    ),
}

_GUARDED_STATEMENT_METHODS = frozenset(
    {"fetch", "fetchrow", "fetchval", "fetchmany", "executemany", "explain"}
)

_BLOCKERS_SQL = """
SELECT l.pid, l.mode, c.relname::text AS rel,
       to_char(a.query_start, 'HH24:MI:SS') AS started,
       EXTRACT(EPOCH FROM now() - a.query_start)::int AS age
FROM pg_locks l
JOIN pg_class c ON c.oid = l.relation
LEFT JOIN pg_stat_activity a ON a.pid = l.pid
WHERE l.granted AND l.locktype = 'relation' AND l.pid <> pg_backend_pid()
  AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())
  AND c.relnamespace <> 'pg_catalog'::regnamespace
ORDER BY array_position(ARRAY['AccessExclusiveLock', 'ExclusiveLock',
         'ShareRowExclusiveLock', 'ShareLock', 'ShareUpdateExclusiveLock',
         'RowExclusiveLock', 'RowShareLock', 'AccessShareLock'], l.mode::text),
         a.query_start NULLS LAST
LIMIT 3
"""


class GuardedConnection(asyncpg.Connection):  # type: ignore[misc]  # asyncpg is untyped
    """An asyncpg connection that enforces :class:`~dbctl.db.bounds.Bounds`."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.dbctl_bounds: Bounds = current()
        self.dbctl_target = "the server"
        #: opens a side connection to the same server (set by ``connect``)
        self.dbctl_reopen: Callable[[], Awaitable[Any]] | None = None
        self._dbctl_guard: asyncio.Timeout | None = None
        self._dbctl_broken: DbctlError | None = None
        self._dbctl_sink_error: BaseException | None = None
        self._dbctl_write_tx = False  # a top-level read-write transaction is open
        self._dbctl_committing = False
        self._dbctl_lock_error: LockWaitTimeout | None = None  # named after the rollback
        self._dbctl_lost = False
        self._dbctl_expected_wait = 0.0  # see expect_wait()
        # asyncpg calls this when the socket closes under it; a COPY paused by flow
        # control would otherwise wait for the stall guard (asyncpg does not wake it)
        self.add_termination_listener(GuardedConnection._dbctl_on_lost)

    def _dbctl_on_lost(self) -> None:
        self._dbctl_lost = True
        guard = self._dbctl_guard
        if guard is not None and not guard.expired():
            guard.reschedule(asyncio.get_running_loop().time())

    # -- the guard -----------------------------------------------------------------------
    def dbctl_tick(self) -> None:
        """Data moved: push the stall deadline back."""
        guard = self._dbctl_guard
        if guard is not None and not guard.expired():
            stall = max(self.dbctl_bounds.stall, self._dbctl_expected_wait)
            guard.reschedule(asyncio.get_running_loop().time() + stall)

    @contextlib.contextmanager
    def _dbctl_paused(self) -> Any:
        """dbctl's own work (writing output) is not a stalled server."""
        guard = self._dbctl_guard
        if guard is not None and not guard.expired():
            guard.reschedule(None)
        try:
            yield
        finally:
            self.dbctl_tick()

    async def _dbctl_run(
        self,
        fn: Callable[..., Awaitable[Any]],
        args: tuple[Any, ...],
        kwargs: dict[str, Any],
        *,
        read: bool = True,
    ) -> Any:
        if self._dbctl_broken is not None:
            raise self._dbctl_broken
        added = False
        if read and kwargs.get("timeout") is None and not self.is_in_transaction():
            # outside a transaction dbctl only reads (catalog queries, probes): bounded
            kwargs["timeout"] = self.dbctl_bounds.statement
            added = True
        outer = self._dbctl_guard is None
        guard: asyncio.Timeout | None = None
        try:
            if not outer:
                result = await fn(*args, **kwargs)
                self.dbctl_tick()
                return result
            stall = max(self.dbctl_bounds.stall, self._dbctl_expected_wait)
            async with asyncio.timeout(stall) as guard:
                self._dbctl_guard = guard
                try:
                    return await fn(*args, **kwargs)
                finally:
                    self._dbctl_guard = None
        except Exception as exc:
            stalled = guard is not None and guard.expired()
            err = self._dbctl_fault(exc, stalled=stalled, statement_timeout=added)
            if err is None:
                raise
            await self._dbctl_abandon(err)
            raise err from None

    def _dbctl_suffix(self) -> str:
        if self._dbctl_committing:
            return (
                " while committing: the changes may or may not have been saved — check "
                "before re-running"
            )
        if self._dbctl_write_tx:
            return " — nothing was written (the transaction was not committed)"
        return ""

    def _dbctl_fault(
        self, exc: BaseException, *, stalled: bool, statement_timeout: bool
    ) -> DbctlError | None:
        """The dbctl error for a fault, or None to let ``exc`` through."""
        if isinstance(exc, DbctlError) or exc is self._dbctl_sink_error:
            return None
        b = self.dbctl_bounds
        lost = self._dbctl_lost or self.is_closed()
        if stalled and isinstance(exc, TimeoutError) and not lost:
            return ConnectionStalled(
                f"the connection stalled: no data from {self.dbctl_target} for "
                f"{max(b.stall, self._dbctl_expected_wait):g} s "
                f"while waiting for the server; the query was cancelled{self._dbctl_suffix()}",
                hint="a network device, a proxy or the server stopped answering; if one "
                "statement legitimately runs that long, raise --stall-timeout",
            )
        if statement_timeout and isinstance(exc, TimeoutError):
            return self._dbctl_statement_timeout()
        state, carrier = find_sqlstate(exc)
        if state == "55P03":
            self._dbctl_lock_error = LockWaitTimeout(
                f"gave up waiting for a lock after {b.lock:g} s (--lock-timeout): another "
                f"session holds a conflicting lock{self._dbctl_suffix()}",
                hint="a running app or an open transaction holds the table; retry when it is "
                "idle, or raise --lock-timeout",
            )
            return self._dbctl_lock_error
        if state == "57014" and "statement timeout" in str(carrier):
            return self._dbctl_statement_timeout()
        if state in HINTS:
            code, hint = HINTS[state]
            message = (carrier.args[0] if carrier.args else str(carrier)).splitlines()[0]
            return DatabaseError(
                message + self._dbctl_suffix(), code=code, hint=hint, sqlstate=state
            )
        if (
            state in LOST_STATES
            or _is_lost(exc)
            or lost  # whatever asyncpg raised (InterfaceError, InternalClientError…)
        ):
            why = LOST_STATES.get(state or "", "")
            if not why:
                reset = isinstance(exc, ConnectionResetError)
                why = "the connection was reset" if reset else "the server closed the connection"
            return ConnectionLost(
                f"lost the connection to {self.dbctl_target}: {why}{self._dbctl_suffix()}",
                hint=hint_for("connection.lost"),
                sqlstate=state,
            )
        return None

    def _dbctl_statement_timeout(self) -> StatementTimeout:
        return StatementTimeout(
            f"the query ran longer than {self.dbctl_bounds.statement:g} s "
            "(--statement-timeout) and was cancelled",
            hint="narrow it (--search, --limit) or raise --statement-timeout",
        )

    async def _dbctl_abandon(self, err: DbctlError) -> None:
        if isinstance(err, ConnectionLost):
            self._dbctl_broken = err
            self.terminate()
        elif isinstance(err, ConnectionStalled):
            self._dbctl_broken = err
            if await self._dbctl_end_remotely():
                self.terminate()
            else:  # closing waits (bounded) for asyncpg to deliver its cancel request
                await self.close()

    async def _dbctl_end_remotely(self) -> bool:
        """End our backend from a side connection: a cancel request does not reach a
        backend blocked on the stalled socket (COPY FROM STDIN, a large result)."""
        if self.dbctl_reopen is None:
            return False
        pid = self.get_server_pid()
        try:
            side = await asyncio.wait_for(self.dbctl_reopen(), CLOSE_GRACE + 1)
        except Exception:
            return False
        try:
            # only a session of ours, busy for at least the stall time (behind a pooler
            # the pid dbctl knows may not be the server's)
            ended = await asyncpg.Connection.fetchval(
                side,
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                "WHERE pid = $1 AND usename = current_user AND datname = current_database() "
                "AND state <> 'idle' AND query_start <= now() - make_interval(secs => $2)",
                pid,
                self.dbctl_bounds.stall,
                timeout=CLOSE_GRACE,
            )
        except Exception:
            return False
        finally:
            side.terminate()
        return bool(ended)

    async def close(self, *, timeout: float | None = None) -> None:
        """Close within :data:`~dbctl.db.bounds.CLOSE_GRACE` seconds, or drop it."""
        if self.is_closed():
            return
        try:
            await super().close(timeout=CLOSE_GRACE if timeout is None else timeout)
        except Exception:
            self.terminate()

    async def dbctl_name_lock_holders(self, err: LockWaitTimeout) -> None:
        """Add who holds locks to ``err`` (outside a transaction, best effort)."""
        try:
            rows = await super().fetch(_BLOCKERS_SQL, timeout=CLOSE_GRACE)
        except Exception:
            return
        holders = []
        for r in rows:
            since = f", its query started {r['age']} s ago at {r['started']}" if r["age"] else ""
            holders.append(f"pid {r['pid']} ({r['mode']} on {r['rel']}{since})")
        if holders:
            err.message += "; held by " + "; ".join(holders)
            err.args = (err.message,)

    # -- the public API, guarded -----------------------------------------------------------
    async def execute(self, query: str, *args: Any, timeout: float | None = None) -> str:
        result: str = await self._dbctl_run(super().execute, (query, *args), {"timeout": timeout})
        return result

    async def executemany(self, command: str, args: Any, *, timeout: float | None = None) -> Any:
        return await self._dbctl_run(super().executemany, (command, args), {"timeout": timeout})

    async def fetch(self, query: str, *args: Any, **kwargs: Any) -> Any:
        return await self._dbctl_run(super().fetch, (query, *args), kwargs)

    async def fetchval(self, query: str, *args: Any, **kwargs: Any) -> Any:
        return await self._dbctl_run(super().fetchval, (query, *args), kwargs)

    async def fetchrow(self, query: str, *args: Any, **kwargs: Any) -> Any:
        return await self._dbctl_run(super().fetchrow, (query, *args), kwargs)

    async def fetchmany(self, query: str, args: Any, **kwargs: Any) -> Any:
        return await self._dbctl_run(super().fetchmany, (query, args), kwargs)

    async def prepare(self, query: str, **kwargs: Any) -> Any:
        stmt = await self._dbctl_run(super().prepare, (query,), kwargs)
        return _GuardedStatement(self, stmt)

    async def copy_from_table(self, table_name: str, *, output: Any, **kwargs: Any) -> Any:
        kwargs["output"] = self._dbctl_sink(output)
        return await self._dbctl_run(super().copy_from_table, (table_name,), kwargs, read=False)

    async def copy_from_query(self, query: str, *args: Any, output: Any, **kwargs: Any) -> Any:
        kwargs["output"] = self._dbctl_sink(output)
        return await self._dbctl_run(super().copy_from_query, (query, *args), kwargs, read=False)

    async def copy_to_table(self, table_name: str, *, source: Any, **kwargs: Any) -> Any:
        if hasattr(source, "__aiter__"):
            source = self._dbctl_source(source)
        kwargs["source"] = source
        return await self._dbctl_run(super().copy_to_table, (table_name,), kwargs, read=False)

    async def copy_records_to_table(self, table_name: str, *, records: Any, **kwargs: Any) -> Any:
        if hasattr(records, "__aiter__"):
            records = self._dbctl_source(records)
        kwargs["records"] = records
        return await self._dbctl_run(
            super().copy_records_to_table, (table_name,), kwargs, read=False
        )

    def cursor(self, query: str, *args: Any, **kwargs: Any) -> Any:
        # asyncpg's timeout on a cursor bounds each batch fetch: a stall guard per batch
        added = kwargs.get("timeout") is None
        if added:
            kwargs["timeout"] = self.dbctl_bounds.stall
        return _GuardedCursor(self, super().cursor(query, *args, **kwargs), added)

    def transaction(self, **kwargs: Any) -> Any:
        return BoundedTransaction(self, super().transaction(**kwargs), kwargs)

    # -- helpers for COPY --------------------------------------------------------------------
    def _dbctl_sink(self, output: Any) -> Any:
        if not callable(output):
            return output

        async def write(chunk: bytes) -> None:
            self.dbctl_tick()
            with self._dbctl_paused():
                try:
                    await output(chunk)
                except BaseException as exc:  # the sink's own failure (e.g. a closed pipe)
                    self._dbctl_sink_error = exc
                    raise

        return write

    async def _dbctl_source(self, source: Any) -> AsyncIterator[Any]:
        async for chunk in source:
            self.dbctl_tick()
            yield chunk


@contextlib.contextmanager
def expect_wait(conn: Any, seconds: float) -> Iterator[None]:
    """A statement that legitimately waits this long (an advisory lock another process
    holds) is not a stall: the guard allows at least ``seconds`` inside the block."""
    if not isinstance(conn, GuardedConnection):
        yield
        return
    before = conn._dbctl_expected_wait
    conn._dbctl_expected_wait = max(before, seconds)
    try:
        yield
    finally:
        conn._dbctl_expected_wait = before


class _GuardedStatement:
    """A prepared statement whose calls are guarded like the connection's."""

    def __init__(self, conn: GuardedConnection, stmt: Any) -> None:
        self._conn = conn
        self._stmt = stmt

    def __getattr__(self, name: str) -> Any:
        attr = getattr(self._stmt, name)
        if name not in _GUARDED_STATEMENT_METHODS:
            return attr

        async def call(*args: Any, **kwargs: Any) -> Any:
            return await self._conn._dbctl_run(attr, args, kwargs)

        return call


class _GuardedCursor:
    """``conn.cursor(...)``: awaitable (a Cursor) and async-iterable, faults named."""

    def __init__(self, conn: GuardedConnection, factory: Any, added_timeout: bool) -> None:
        self._conn = conn
        self._factory = factory
        self._added = added_timeout

    def __await__(self) -> Any:
        return self._factory.__await__()

    async def __aiter__(self) -> AsyncIterator[Any]:
        conn = self._conn
        iterator = self._factory.__aiter__()
        while True:
            try:
                record = await iterator.__anext__()
            except StopAsyncIteration:
                return
            except Exception as exc:
                stalled = self._added and isinstance(exc, TimeoutError)
                err = conn._dbctl_fault(exc, stalled=stalled, statement_timeout=False)
                if err is None:
                    raise
                await conn._dbctl_abandon(err)
                raise err from None
            yield record


class BoundedTransaction:
    """asyncpg's transaction, plus ``SET LOCAL`` bounds and fault-aware rollback.

    A top-level transaction sets ``lock_timeout``; a read-only one also
    ``statement_timeout``. A connection that was lost or stalled is not rolled back (the
    server does it); the original error propagates instead of asyncpg's complaint about
    a closed connection.
    """

    def __init__(self, conn: GuardedConnection, tx: Any, options: dict[str, Any]) -> None:
        self._conn = conn
        self._tx = tx
        self._readonly = bool(options.get("readonly"))
        self._top = False

    def __getattr__(self, name: str) -> Any:
        return getattr(self._tx, name)

    async def start(self) -> None:
        conn = self._conn
        self._top = not conn.is_in_transaction()
        await self._tx.start()
        if not self._top:
            return
        conn._dbctl_write_tx = not self._readonly
        b = conn.dbctl_bounds
        sets = f"SET LOCAL lock_timeout = '{ms(b.lock)}'"
        if self._readonly:
            sets += f"; SET LOCAL statement_timeout = '{ms(b.statement)}'"
        await conn.execute(sets)

    async def commit(self) -> None:
        conn = self._conn
        conn._dbctl_committing = self._top and not self._readonly
        try:
            await self._tx.commit()
        finally:
            conn._dbctl_committing = False
            if self._top:
                conn._dbctl_write_tx = False

    async def rollback(self) -> None:
        conn = self._conn
        try:
            if conn._dbctl_broken is None and not conn.is_closed():
                await self._tx.rollback()
        finally:
            if self._top:
                conn._dbctl_write_tx = False
        lock_error, conn._dbctl_lock_error = conn._dbctl_lock_error, None
        if self._top and lock_error is not None:  # the session is usable again: who held it?
            await conn.dbctl_name_lock_holders(lock_error)

    async def __aenter__(self) -> BoundedTransaction:
        await self.start()
        return self

    async def __aexit__(self, exc_type: Any, exc: BaseException | None, tb: Any) -> bool:
        if exc is None:
            await self.commit()
            return False
        try:
            await self.rollback()
        except DbctlError:
            if not isinstance(exc, DbctlError):
                raise
            return False  # the connection broke while rolling back: the first error counts
        return False


def _is_lost(exc: BaseException) -> bool:
    if isinstance(exc, ConnectionError):  # reset, aborted, broken pipe of the socket
        return True
    return (
        isinstance(exc, OSError)
        and exc.errno is not None
        and not isinstance(exc, FileNotFoundError | PermissionError | IsADirectoryError)
    )

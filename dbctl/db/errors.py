"""Translate driver and OS errors into dbctl errors — by SQLSTATE and type, never by text.

SQLAlchemy 2.0 passes connect errors through raw; 2.1 wraps them in ``DBAPIError``
(the asyncpg error is reachable through ``.orig`` / ``__cause__``). OS-level errors
(refused, DNS, timeout) are never wrapped. :func:`find_sqlstate` walks the chain.
"""

from __future__ import annotations

import socket
import ssl
from collections.abc import Iterator

from dbctl.errors import DatabaseError, UnreachableError


def _chain(exc: BaseException) -> Iterator[BaseException]:
    seen: set[int] = set()
    todo: list[BaseException | None] = [exc]
    while todo:
        cur = todo.pop(0)
        if cur is None or id(cur) in seen:
            continue
        seen.add(id(cur))
        yield cur
        todo.extend(
            [
                getattr(cur, "orig", None),
                getattr(cur, "driver_exception", None),
                cur.__cause__,
                cur.__context__,
            ]
        )


def find_sqlstate(exc: BaseException) -> tuple[str | None, BaseException]:
    """The first SQLSTATE in the exception chain and the exception that carries it."""
    for cur in _chain(exc):
        state = getattr(cur, "sqlstate", None)
        if isinstance(state, str) and len(state) == 5:
            return state, cur
    return None, exc


def _server_message(exc: BaseException) -> str:
    # asyncpg's PostgresError has .args[0] == server message; it never contains a password.
    msg = str(exc.args[0]) if exc.args else ""
    return msg.splitlines()[0] if msg else type(exc).__name__


def translate(exc: BaseException, *, target: str, timeout: float) -> DatabaseError | None:
    """Map an exception raised while connecting/querying to a DatabaseError, or None.

    ``target`` is the masked ``host:port`` shown to the user. A dbctl error already in
    the chain (a guarded connection named the fault) is returned as it is.
    """
    for cur in _chain(exc):
        if isinstance(cur, DatabaseError):
            return cur
    state, carrier = find_sqlstate(exc)
    if state is not None:
        return _from_sqlstate(state, carrier, target)
    for cur in _chain(exc):
        err = _from_os_error(cur, target=target, timeout=timeout)
        if err is not None:
            return err
    return None


def _from_sqlstate(state: str, exc: BaseException, target: str) -> DatabaseError:
    msg = _server_message(exc)
    if state == "28P01":
        return DatabaseError(
            f"password authentication failed at {target}: {msg}",
            code="auth.failed",
            sqlstate=state,
            hint="the server is reachable but rejected the credentials: check the user and "
            "password (PostgreSQL reports an unknown role the same way), .pgpass, and that "
            "special characters in the password are URL-encoded",
        )
    if state == "28000":
        hint = (
            "the server's pg_hba.conf refuses this client/user/database combination: "
            "add a matching line on the server or connect as an allowed user"
        )
        code = "auth.rejected"
        if "no encryption" in msg or "SSL off" in msg:
            code = "tls.required"
            hint = (
                "the server only accepts encrypted connections from here: "
                "add ?ssl=require to the URL"
            )
        return DatabaseError(f"{msg}", code=code, sqlstate=state, hint=hint)
    if state == "3D000":
        return DatabaseError(
            msg,
            code="db.missing",
            sqlstate=state,
            hint="the credentials are fine; create the database (createdb NAME, or "
            "CREATE DATABASE) or fix the database name in the URL",
        )
    if state == "57P03":
        return UnreachableError(
            msg,
            code="server.starting",
            sqlstate=state,
            hint="the server is starting up or shutting down; retry (dbctl check --wait 30)",
        )
    if state == "53300":
        return DatabaseError(
            msg,
            code="server.too_many_connections",
            sqlstate=state,
            retryable=True,
            hint="max_connections is reached: lower pool_size x workers, add PgBouncer, or "
            "raise max_connections; pg_isready still reports OK in this state",
        )
    if state == "42501":
        return DatabaseError(
            msg,
            code="privileges.no_create",
            sqlstate=state,
            hint="run as the schema/database owner or GRANT CREATE ON SCHEMA public TO the "
            "app's role (PostgreSQL 15 removed CREATE on public from other roles)",
        )
    if state == "25006":
        return DatabaseError(
            msg,
            code="session.read_only",
            sqlstate=state,
            hint="connected to a replica or a read-only role: point the URL at the primary "
            "(pg_is_in_recovery() is true on replicas)",
        )
    if state in {"26000", "42P05"}:
        return DatabaseError(
            msg,
            code="pgbouncer.transaction_mode",
            sqlstate=state,
            hint='PgBouncer in transaction mode: connect_args={"statement_cache_size": 0} '
            "and prepared_statement_cache_size=0, or PgBouncer >= 1.21 max_prepared_statements",
        )
    if state in LOST_STATES:
        return UnreachableError(
            f"lost the connection to {target}: {LOST_STATES[state]} ({msg})",
            code="connection.lost",
            sqlstate=state,
            hint="the server restarted, crashed or was shut down, or the network dropped the "
            "connection; retry when it is back (dbctl check --wait 30)",
        )
    if state == "40P01":
        return DatabaseError(
            msg,
            code="db.deadlock",
            sqlstate=state,
            retryable=True,
            hint="another session locked the same rows in the opposite order: retry, or seed "
            "the tables one at a time (one file per run)",
        )
    if state == "53200":
        return DatabaseError(
            msg,
            code="server.out_of_shared_memory",
            sqlstate=state,
            hint="one transaction locked more objects than the lock table holds: raise "
            "max_locks_per_transaction on the server (needs a restart), or create fewer "
            "tables per run",
        )
    if state == "55P03":
        return DatabaseError(
            msg,
            code="lock.timeout",
            sqlstate=state,
            hint="another session holds a conflicting lock (a running app or an open "
            "transaction): retry when it is idle, or raise --lock-timeout",
        )
    if state == "57014":
        return DatabaseError(
            msg,
            code="statement.timeout" if "statement timeout" in msg else "query.cancelled",
            sqlstate=state,
            hint="raise --statement-timeout or narrow the query"
            if "statement timeout" in msg
            else None,
        )
    return DatabaseError(f"{msg} (SQLSTATE {state})", code=f"sqlstate.{state}", sqlstate=state)


#: SQLSTATEs that end the connection (exit 3, retryable).
LOST_STATES = {
    "08000": "the connection failed",
    "08003": "the server closed the connection",
    "08006": "the connection failed",
    "57P01": "the server is shutting down (administrator command)",
    "57P02": "the server crashed (a server process ended abnormally)",
}


def _from_os_error(exc: BaseException, *, target: str, timeout: float) -> DatabaseError | None:
    if isinstance(exc, socket.gaierror):
        return UnreachableError(
            f"cannot resolve the host of {target}",
            code="dns.unresolved",
            hint="check the host name; a docker-compose service name (e.g. 'db') only "
            "resolves inside that compose network — from the host use localhost and the "
            "published port",
        )
    if isinstance(exc, ConnectionRefusedError):
        return UnreachableError(
            f"connection refused by {target}: nothing is listening",
            code="tcp.refused",
            hint="the server is down, the port is wrong, or listen_addresses does not "
            "include this interface",
        )
    if isinstance(exc, TimeoutError):
        return UnreachableError(
            f"no response from {target} within {timeout:g} s",
            code="tcp.timeout",
            hint="a firewall, security group or wrong address drops the packets, or the "
            "server is overloaded; raise --timeout only if the network is known to be slow",
        )
    if isinstance(exc, ssl.SSLCertVerificationError):
        return DatabaseError(
            f"TLS certificate verification failed for {target}: {exc.verify_message}",
            code="tls.verify_failed",
            hint="connect using the host name in the server certificate, or point "
            "sslrootcert at the right CA",
        )
    if isinstance(exc, ssl.SSLError):
        return DatabaseError(
            f"TLS handshake with {target} failed: {exc.reason or type(exc).__name__}",
            code="tls.verify_failed",
            hint="check the server's certificate and the ssl= parameter",
        )
    name = type(exc).__name__
    if name == "ConnectionError" and "SSL" in str(exc):
        # asyncpg: "PostgreSQL server at ... rejected SSL upgrade" (client asked ssl=require)
        return DatabaseError(
            f"the server at {target} does not offer TLS but the URL requires it",
            code="tls.unavailable",
            hint="enable ssl on the server, or drop ?ssl=require / use ssl=prefer",
        )
    if name == "ClientConfigurationError":
        return DatabaseError(
            f"client TLS configuration error: {exc}",
            code="tls.verify_failed",
            hint="point sslrootcert at an existing CA file",
        )
    if name == "TargetServerAttributeNotMatched":
        return DatabaseError(
            f"no host of {target} matches target_session_attrs",
            code="session.read_only",
            hint="none of the hosts is a primary/standby as asked",
        )
    if isinstance(exc, OSError) and exc.errno is not None:
        return UnreachableError(
            f"cannot connect to {target}: {exc.strerror or name}",
            code="tcp.refused",
            hint="check the host, the port and the network path",
        )
    return None

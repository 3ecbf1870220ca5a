"""Translate driver and OS errors into dbctl errors — by SQLSTATE and type, never by text.

SQLAlchemy 2.0 passes connect errors through raw; 2.1 wraps them in ``DBAPIError``
(the asyncpg error is reachable through ``.orig`` / ``__cause__``). OS-level errors
(refused, DNS, timeout) are never wrapped. :func:`find_sqlstate` walks the chain.
"""

from __future__ import annotations

import socket
import ssl
from collections.abc import Iterator

from dbctl.checks.codes import hint
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


def _named(exc: BaseException | None) -> DatabaseError | None:
    """A DatabaseError that ``exc`` is or wraps (SQLAlchemy's ``.orig``, ``raise … from``);
    never one that was merely being handled when ``exc`` happened (``__context__``)."""
    seen = 0
    while exc is not None and seen < 10:
        if isinstance(exc, DatabaseError):
            return exc
        exc = getattr(exc, "orig", None) or exc.__cause__
        seen += 1
    return None


def translate(exc: BaseException, *, target: str, timeout: float) -> DatabaseError | None:
    """Map an exception raised while connecting/querying to a DatabaseError, or None.

    ``target`` is the masked ``host:port`` shown to the user. A dbctl error already in
    the chain (a guarded connection named the fault) is returned as it is.
    """
    named = _named(exc)
    if named is not None:
        return named
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
            hint=hint("auth.failed"),
        )
    if state == "28000":
        code = "auth.rejected"
        # 28000 covers every pg_hba refusal; only the message says the line that matched
        # required encryption ("… no encryption" / "SSL off")
        if "no encryption" in msg or "SSL off" in msg:
            code = "tls.required"
        return DatabaseError(msg, code=code, sqlstate=state, hint=hint(code))
    if state == "3D000":
        return DatabaseError(
            msg,
            code="db.missing",
            sqlstate=state,
            hint=hint("db.missing"),
        )
    if state == "57P03":
        return UnreachableError(
            msg,
            code="server.starting",
            sqlstate=state,
            hint=hint("server.starting"),
        )
    if state == "53300":
        return DatabaseError(
            msg,
            code="server.too_many_connections",
            sqlstate=state,
            retryable=True,
            hint=hint("server.too_many_connections"),
        )
    if state == "42501":
        return DatabaseError(
            msg,
            code="privileges.no_create",
            sqlstate=state,
            hint=hint("privileges.no_create"),
        )
    if state == "25006":
        return DatabaseError(
            msg,
            code="session.read_only",
            sqlstate=state,
            hint=hint("session.read_only"),
        )
    if state == "08P01":
        pooled = _from_pgbouncer(msg, state, target)
        if pooled is not None:
            return pooled
    if state in {"26000", "42P05"}:
        return DatabaseError(
            msg,
            code="pgbouncer.transaction_mode",
            sqlstate=state,
            hint=hint("pgbouncer.transaction_mode"),
        )
    if state in LOST_STATES:
        return UnreachableError(
            f"lost the connection to {target}: {LOST_STATES[state]} ({msg})",
            code="connection.lost",
            sqlstate=state,
            hint=hint("connection.lost"),
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


#: PgBouncer reports nearly every refusal as 08P01 (protocol violation): its message is the
#: only thing that tells them apart, so these few are classified by text — and only under
#: 08P01, where PostgreSQL itself offers nothing better.
_PGBOUNCER_MESSAGES: tuple[tuple[tuple[str, ...], str], ...] = (
    (
        ("SASL authentication failed", "password authentication failed", "no such user"),
        "auth.failed",
    ),
    (("does not exist", "no such database"), "db.missing"),
    (("max_client_conn", "max_db_connections", "max_user_connections"), "pgbouncer.pool_full"),
    (
        (
            "query_wait_timeout",
            "server login has been failing",
            "cannot connect to server",
            "server conn crashed",
        ),
        "pgbouncer.server_unavailable",
    ),
)


def _from_pgbouncer(msg: str, state: str, target: str) -> DatabaseError | None:
    for needles, code in _PGBOUNCER_MESSAGES:
        if any(n in msg for n in needles):
            cls = UnreachableError if code == "pgbouncer.server_unavailable" else DatabaseError
            text = f"PgBouncer at {target}: {msg}"
            retryable = code in {"pgbouncer.pool_full", "pgbouncer.server_unavailable"}
            return cls(text, code=code, sqlstate=state, hint=hint(code), retryable=retryable)
    return None


def _from_os_error(exc: BaseException, *, target: str, timeout: float) -> DatabaseError | None:
    if isinstance(exc, socket.gaierror):
        return UnreachableError(
            f"cannot resolve the host of {target}",
            code="dns.unresolved",
            hint=hint("dns.unresolved"),
        )
    if isinstance(exc, ConnectionRefusedError):
        return UnreachableError(
            f"connection refused by {target}: nothing is listening",
            code="tcp.refused",
            hint=hint("tcp.refused"),
        )
    if isinstance(exc, TimeoutError):
        return UnreachableError(
            f"no response from {target} within {timeout:g} s",
            code="tcp.timeout",
            hint=hint("tcp.timeout"),
        )
    if isinstance(exc, ssl.SSLCertVerificationError):
        return DatabaseError(
            f"TLS certificate verification failed for {target}: {exc.verify_message}",
            code="tls.verify_failed",
            hint=hint("tls.verify_failed"),
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
            hint=hint("tls.unavailable"),
        )
    if name == "ClientConfigurationError":  # asyncpg's: raised before any byte is sent
        text = str(exc).splitlines()[0] if str(exc) else name
        if "certificate" in text or "ssl" in text.lower():  # only its text says which
            return DatabaseError(
                f"no CA to verify the server certificate with: {text}",
                code="tls.verify_failed",
                hint=hint("tls.verify_failed"),
            )
        return DatabaseError(
            f"asyncpg refuses the connect arguments: {text}",
            code="config.bad_parameter",
            hint=hint("config.bad_parameter"),
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

"""``auth``: log in with asyncpg, as the app would. A connect error lands on the row it
belongs to: ``tls.*`` on ``tls``, server states (starting, full) on ``server``."""

from __future__ import annotations

import time

from dbctl.checks.base import Check, Context
from dbctl.checks.codes import hint
from dbctl.errors import DatabaseError, UnreachableError

#: Connect failures that say the server (or the pooler in front) is not ready for us.
SERVER_STATES = frozenset(
    {
        "server.starting",
        "server.too_many_connections",
        "server.login_timeout",
        "pgbouncer.pool_full",
        "pgbouncer.server_unavailable",
    }
)


def _row_for(code: str | None) -> str:
    if code and code.startswith("tls."):
        return "tls"
    if code in SERVER_STATES:
        return "server"
    return "auth"


def _refine_tls_required(err: DatabaseError, offered: bool | None) -> DatabaseError:
    """pg_hba refused an unencrypted connection (28000, "... no encryption").

    When the server offers TLS, encrypting would help: ``tls.required``. When it does not,
    an explicit ``reject`` line is a plain rejection, and a missing line (only ``hostssl``
    lines match) is a server that demands TLS it cannot provide.
    """
    if err.code != "tls.required" or offered is not False:
        return err
    # the server's message is the only way to tell a reject line from a missing hostssl
    # line: both are SQLSTATE 28000 "... no encryption"
    if "rejects connection" in err.message:  # "pg_hba.conf rejects connection for …"
        return DatabaseError(
            err.message,
            code="auth.rejected",
            sqlstate=err.sqlstate,
            hint="a pg_hba.conf line explicitly rejects this client/user/database "
            "combination: change that line on the server or connect as an allowed user",
        )
    err.hint = (
        "pg_hba.conf only admits this client over TLS (hostssl lines), but the server does "
        "not offer TLS: enable ssl on the server, or add a matching host line"
    )
    return err


async def _rejected_with_tls_too(ctx: Context, err: DatabaseError) -> DatabaseError:
    """pg_hba refused the unencrypted attempt and the server offers TLS: try once with TLS.
    A refusal again is an explicit reject line (TLS would not help): ``auth.rejected``."""
    from dbctl.db.connect import connect

    try:
        conn = await connect(ctx.url, timeout=ctx.timeout, ssl="require")
    except DatabaseError as again:
        if again.sqlstate == "28000":
            return DatabaseError(
                f"{err.message}; over TLS too: {again.message}",
                code="auth.rejected",
                sqlstate=again.sqlstate,
                hint="a pg_hba.conf line rejects this client/user/database whether encrypted "
                "or not (TLS would not help): change that line on the server or connect as "
                "an allowed user",
            )
        return err
    await conn.close()
    return err


async def run(ctx: Context) -> None:
    from dbctl.db.connect import connect, target_label

    url = ctx.url
    start = time.perf_counter()
    try:
        # statement_cache_size=0: unnamed prepared statements work through PgBouncer too
        conn = await connect(url, timeout=ctx.timeout, statement_cache_size=0)
    except DatabaseError as caught:
        err = _refine_tls_required(caught, ctx.offered)
        if err.code == "tls.required" and ctx.offered:
            err = await _rejected_with_tls_too(ctx, err)
        if err.code == "tcp.timeout" and "tcp" in ctx.provides:
            # the port answered the SSL request a moment ago: the login is what stalls
            err = UnreachableError(
                f"{target_label(url)} answered the PostgreSQL protocol but the login did not "
                f"finish within {ctx.timeout:g} s",
                code="server.login_timeout",
                hint=hint("server.login_timeout"),
            )
        row = _row_for(err.code)
        ctx.fail_from(row, err, start=start)
        if row != "auth":
            ctx.set("auth", "skip", "unknown: the server ended the connection attempt first")
        return
    ctx.conn = conn
    ctx.provides.add("conn")
    user = url.user or "(default user)"
    db = url.database or "(default database)"
    ctx.set(
        "auth",
        "pass",
        f"logged in as {user} to {db}",
        start=start,
        data={"user": url.user, "database": url.database},
    )


CHECK = Check(
    id="auth",
    title="Authentication",
    codes=("auth.failed", "auth.rejected", "db.missing"),
    needs=("transport",),
    run=run,
)

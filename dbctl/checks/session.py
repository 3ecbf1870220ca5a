"""``session``: is the session writable (standby, read-only role) and is a proxy between
us and the server?"""

from __future__ import annotations

from typing import Any

from dbctl.checks.base import Check, Context


async def run(ctx: Context) -> None:
    facts, url = ctx.facts, ctx.url
    in_recovery = bool(facts["in_recovery"])
    read_only = facts["transaction_read_only"] == "on"
    server_port = facts.get("server_port")
    data: dict[str, Any] = {
        "in_recovery": in_recovery,
        "transaction_read_only": read_only,
        "user": facts["current_user"],
        "database": facts["current_database"],
        "server_port": server_port,
    }
    proxy_note = ""
    if server_port is not None and url.port is not None and int(server_port) != url.port:
        data["proxy_suspected"] = True
        proxy_note = (
            f"; the server listens on port {server_port}, not {url.port}: a proxy "
            "(PgBouncer?) or a port mapping is in between"
        )
    if in_recovery or read_only:
        why = (
            "the server is a standby (pg_is_in_recovery() is true)"
            if in_recovery
            else f"the session is read-only (default_transaction_read_only = "
            f"{facts['default_read_only']})"
        )
        ctx.set(
            "session",
            "warn",
            f"{why}: writes will fail with 25006{proxy_note}",
            code="session.read_only",
            hint="fine for a read-only app; otherwise point the URL at the primary, or "
            "ALTER ROLE … SET default_transaction_read_only = off",
            data=data,
        )
        return
    if data.get("proxy_suspected") and url.port == 6432:
        ctx.set(
            "session",
            "warn",
            "read-write session" + proxy_note,
            code="pgbouncer.transaction_mode",
            hint="port 6432 is PgBouncer's: if it runs in transaction mode, asyncpg's "
            'prepared statements break — connect_args={"statement_cache_size": 0} and '
            "prepared_statement_cache_size=0, or PgBouncer >= 1.21 max_prepared_statements",
            data=data,
        )
        return
    ctx.set("session", "pass", "read-write session" + proxy_note, data=data)


CHECK = Check(
    id="session",
    title="Session",
    codes=("session.read_only", "pgbouncer.transaction_mode"),
    needs=("facts",),
    run=run,
)

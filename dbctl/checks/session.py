"""``session``: is the session writable (standby, read-only role) and is a proxy between
us and the server?"""

from __future__ import annotations

from typing import Any

from dbctl.checks.base import Check, Context
from dbctl.checks.codes import hint


async def _shares_backend(ctx: Context) -> bool | None:
    """Does a second client connection land on the same server backend as ours? Only a
    pooler in transaction/statement mode does that (in session mode, and without a
    pooler, our connection keeps its backend). None when the probe could not run."""
    import asyncio

    from dbctl.db.connect import connect
    from dbctl.errors import DatabaseError

    pid = ctx.facts.get("backend_pid")
    if pid is None:
        return None
    try:
        other = await connect(ctx.url, timeout=ctx.timeout, statement_cache_size=0)
    except DatabaseError:
        return None
    try:
        return bool(await other.fetchval("select pg_backend_pid()", timeout=ctx.timeout) == pid)
    except Exception:
        return None
    finally:
        try:
            await asyncio.wait_for(other.close(), timeout=2)
        except Exception:
            other.terminate()


def _caches_off(ctx: Context) -> bool:
    """The app turned off both statement caches (SQLAlchemy's and asyncpg's)."""
    adapter = dict(ctx.url.adapter_kwargs)
    kwargs = dict(ctx.url.app_kwargs)
    return adapter.get("prepared_statement_cache_size") == 0 and kwargs.get(
        "statement_cache_size"
    ) == 0


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
        "application_name": facts.get("application_name"),
    }
    proxy_note = ""
    if server_port is not None and url.port is not None and int(server_port) != url.port:
        data["proxy_suspected"] = True
        proxy_note = (
            f"; the server listens on port {server_port}, not {url.port}: a proxy "
            "(PgBouncer?) or a port mapping is in between"
        )
    if in_recovery:
        ctx.set(
            "session",
            "warn",
            f"hot standby (read-only replica): writes fail with 25006{proxy_note}",
            code="session.read_only",
            hint="fine for a read-only app; otherwise point the URL at the primary (a "
            "standby cannot be made writable: role or database settings do nothing there)",
            data=data,
        )
        return
    if read_only:
        ctx.set(
            "session",
            "warn",
            "the session is read-only (default_transaction_read_only = "
            f"{facts['default_read_only']}): writes fail with 25006{proxy_note}",
            code="session.read_only",
            hint="fine for a read-only app; otherwise ALTER ROLE … SET "
            "default_transaction_read_only = off (or ALTER DATABASE …)",
            data=data,
        )
        return
    shared = await _shares_backend(ctx)
    if shared is not None:
        data["pooler"] = {"multiplexed": shared, "backend_pid": facts.get("backend_pid")}
    if shared:
        pooled = (
            "read-write session; transaction pooling: a second client connection was served "
            f"by the same server backend (pid {facts.get('backend_pid')}), so the pooler "
            "hands one server connection to several clients" + proxy_note
        )
        if _caches_off(ctx):
            ctx.set("session", "pass", pooled + "; the app's statement caches are off", data=data)
            return
        ctx.set(
            "session",
            "warn",
            pooled,
            code="pgbouncer.transaction_mode",
            hint=hint("pgbouncer.transaction_mode"),
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

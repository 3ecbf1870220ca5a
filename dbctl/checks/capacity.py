"""``capacity``: client backends against ``max_connections`` minus reserved slots, and
against what the app's pool may open."""

from __future__ import annotations

from dbctl.checks.base import Check, Context
from dbctl.checks.codes import hint


async def run(ctx: Context) -> None:
    facts, settings = ctx.facts, ctx.loaded.settings
    pool_size, max_overflow, workers = settings.pool_size, settings.max_overflow, settings.workers
    used = int(facts["client_backends"])
    max_conn = int(facts["max_connections"])
    reserved = int(facts["superuser_reserved"]) + int(facts["reserved"])
    usable = max(max_conn - reserved, 0)
    free = max(usable - used, 0)
    app = (pool_size + max_overflow) * workers
    data = {
        "client_backends": used,
        "max_connections": max_conn,
        "reserved_connections": reserved,
        "usable": usable,
        "free": free,
        "app_pool_capacity": app,
    }
    summary = (
        f"{used} of {usable} usable connections in use ({free} free); "
        f"the app may open {app} ((pool_size {pool_size} + max_overflow {max_overflow}) "
        f"x {workers} worker{'s' if workers != 1 else ''})"
    )
    if free < app:
        ctx.set(
            "capacity",
            "warn",
            summary,
            code="capacity.low_headroom",
            hint=hint("capacity.low_headroom"),
            data=data,
        )
        return
    ctx.set("capacity", "pass", summary, data=data)


CHECK = Check(
    id="capacity",
    title="Connection capacity",
    codes=("capacity.low_headroom",),
    needs=("facts",),
    run=run,
)

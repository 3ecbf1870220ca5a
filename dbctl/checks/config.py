"""``config``: URL hygiene before any connection. A ``fail`` still lets the rest run
with the corrected URL, so one run tells the whole story."""

from __future__ import annotations

import time
from typing import Any

from dbctl.checks.base import Check, Context
from dbctl.core.result import Status


async def run(ctx: Context) -> None:
    start = time.perf_counter()
    corrected = ctx.url.masked()
    problems = ctx.analysis.problems
    data: dict[str, Any] = {
        "url": corrected,
        "problems": [
            {"code": p.code, "severity": p.severity, "message": p.message, "hint": p.hint}
            for p in problems
        ],
    }
    if ctx.url.is_tcp_single():
        ctx.provides.add("tcp_host")
    else:  # dns, tcp and tls do not apply: asyncpg finds its way (see auth)
        reason = (
            "several hosts: asyncpg tries each in turn (see auth)"
            if len(ctx.url.hosts) > 1
            else "no TCP host: asyncpg uses a Unix-domain socket (see auth)"
        )
        ctx.skip_reasons.update(dict.fromkeys(("tcp_host", "addrs", "tcp"), reason))
        ctx.provides.add("transport")
    if not problems:
        ctx.set("config", "pass", "the URL is a valid asyncpg URL", start=start, data=data)
        return
    worst = next((p for p in problems if p.severity == "fail"), problems[0])
    status: Status = "fail" if worst.severity == "fail" else "warn"
    summary = "; ".join(p.message for p in problems)
    hint = "; ".join(p.hint for p in problems)
    if status == "fail":
        summary += f" (the other checks use the corrected URL {corrected})"
    ctx.set("config", status, summary, start=start, code=worst.code, hint=hint, data=data)


CHECK = Check(
    id="config",
    title="Configuration",
    codes=(
        "config.invalid_url",
        "config.unsupported_scheme",
        "config.sync_driver",
        "config.libpq_param",
        "config.unencoded_password",
        "config.bad_parameter",
    ),
    needs=(),
    run=run,
)

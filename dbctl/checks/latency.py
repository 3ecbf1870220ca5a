"""``latency``: the median of a few ``SELECT 1`` round trips."""

from __future__ import annotations

import statistics
import time

from dbctl.checks.base import Check, Context, ms_since

LATENCY_ROUND_TRIPS = 5


async def run(ctx: Context) -> None:
    from dbctl.db.connect import target_label
    from dbctl.db.errors import translate

    start = time.perf_counter()
    samples = []
    try:
        for _ in range(LATENCY_ROUND_TRIPS):
            t0 = time.perf_counter()
            await ctx.conn.fetchval("select 1", timeout=ctx.timeout)
            samples.append(ms_since(t0))
    except Exception as exc:  # the server stalled or the connection broke meanwhile
        err = translate(exc, target=target_label(ctx.url), timeout=ctx.timeout)
        if err is None:
            raise
        ctx.fail_from("latency", err, start=None)
        return
    median = statistics.median(samples)
    ctx.set(
        "latency",
        "pass",
        f"median {median:.1f} ms over {LATENCY_ROUND_TRIPS} round trips",
        start=start,
        data={"median_ms": round(median, 2), "samples_ms": [round(s, 2) for s in samples]},
    )


CHECK = Check(id="latency", title="Latency", codes=(), needs=("facts",), run=run)

"""Several targets at once: ``dbctl check`` on 20 targets vs the slowest single target.

Starts its own sandbox with 20 databases and runs, in one go:

A. 20 healthy databases: each target checked alone (one after the other), then all 20
   concurrently (``run_check_many``, what ``--url … --url …`` does); and the same through
   the CLI (fresh processes: ``dbctl check --url ×20`` vs ``dbctl check --url <slowest>``).
B. 18 healthy + 2 that accept TCP and never answer, ``--timeout 1``: the slow ones set
   the pace; the healthy ones must not add up behind them.

Prints total / slowest-single ratios (target: about 1x) and sum / total (the speed-up).
Usage: ``python bench/check_multi.py [--rounds N]``.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import socket
import statistics
import subprocess
import sys
import time
from pathlib import Path

from dbctl import sandbox
from dbctl.core.check import resolve_targets, run_check, run_check_many
from dbctl.settings import LoadedSettings, load_settings

N = 20


def _loaded(timeout: float) -> LoadedSettings:
    return load_settings({"timeout": timeout}, cwd=Path("/"), environ={})


async def _singles(targets: list[tuple[str, LoadedSettings]]) -> list[float]:
    times = []
    for _name, loaded in targets:
        t0 = time.perf_counter()
        await run_check(loaded)
        times.append((time.perf_counter() - t0) * 1000)
    return times


async def _together(targets: list[tuple[str, LoadedSettings]]) -> tuple[float, float, int]:
    t0, c0 = time.perf_counter(), time.process_time()
    multi = await run_check_many(targets)
    cpu = (time.process_time() - c0) * 1000
    return (time.perf_counter() - t0) * 1000, cpu, multi.exit_code


def scenario(label: str, urls: list[str], timeout: float, rounds: int) -> None:
    targets = resolve_targets(_loaded(timeout), urls)
    assert targets is not None
    slowest, sums, totals, cpus = [], [], [], []
    code = 0
    for _ in range(rounds):
        singles = asyncio.run(_singles(targets))
        total, cpu, code = asyncio.run(_together(targets))
        cpus.append(cpu)
        slowest.append(max(singles))
        sums.append(sum(singles))
        totals.append(total)
    s, m, t = (statistics.median(x) for x in (slowest, sums, totals))
    print(f"{label}")
    print(f"  slowest single target   {s:8.1f} ms")
    print(f"  sum of single targets   {m:8.1f} ms")
    print(f"  all {len(urls)} concurrently     {t:8.1f} ms   (exit {code})")
    print(f"  total / slowest single  {t / s:8.2f}x")
    print(f"  sum / total (speed-up)  {m / t:8.2f}x")
    print(f"  dbctl's own CPU time    {statistics.median(cpus):8.1f} ms of the {t:.0f} ms")


def cli_scenario(urls: list[str], rounds: int) -> None:
    bindir = Path(sys.executable).parent
    dbctl = str(bindir / "dbctl")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PG", "DBCTL_"))}
    # like an installed package: byte-code is cached (the warm-up run writes it), or
    # every run would compile dbctl from source while the peers load cached .pyc files
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    env.pop("DATABASE_URL", None)
    many = [dbctl, "check", "--format", "json", *[a for u in urls for a in ("--url", u)]]
    one = [dbctl, "check", "--format", "json", "--url", urls[-1]]
    t_many, t_one = [], []
    for _ in range(rounds):
        for cmd, acc in ((many, t_many), (one, t_one)):
            t0 = time.perf_counter()
            subprocess.run(cmd, env=env, capture_output=True, check=False)
            acc.append((time.perf_counter() - t0) * 1000)
    a, b = statistics.median(t_many), statistics.median(t_one)
    print("C. through the CLI (fresh processes, imports included)")
    print(f"  dbctl check --url x{len(urls)}     {a:8.1f} ms")
    print(f"  dbctl check --url x1      {b:8.1f} ms")
    print(f"  ratio                     {a / b:8.2f}x")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    server = sandbox.start()
    silent = [socket.socket(socket.AF_INET, socket.SOCK_STREAM) for _ in range(2)]
    try:
        names = [f"bench_multi_{i}" for i in range(N)]

        async def create() -> None:
            import asyncpg

            conn = await asyncpg.connect(server.libpq_dsn(), timeout=10)
            try:
                for name in names:
                    await conn.execute(f'CREATE DATABASE "{name}"')
            finally:
                await conn.close()

        asyncio.run(create())
        healthy = [server.url(name) for name in names]
        scenario(f"A. {N} healthy databases on one server", healthy, 5.0, args.rounds)
        ports = []
        for sock in silent:
            sock.bind(("127.0.0.1", 0))
            sock.listen(64)
            ports.append(sock.getsockname()[1])
        slow = [f"postgresql+asyncpg://app:pw@127.0.0.1:{p}/app" for p in ports]
        scenario(
            f"B. {N - 2} healthy + 2 silent ports, --timeout 1",
            healthy[: N - 2] + slow,
            1.0,
            max(1, args.rounds // 2),
        )
        cli_scenario(healthy, args.rounds)
    finally:
        for sock in silent:
            sock.close()
        server.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())

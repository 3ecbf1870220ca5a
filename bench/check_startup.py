"""Start-up cost of ``dbctl --help`` and ``dbctl check``, against their peers, in one run.

Starts its own sandbox, then times (median of N runs, each a fresh process):

* ``dbctl --help``            vs ``python -c "import typer"``                      (target <= 1.3x)
* ``dbctl check`` (healthy)   vs ``python -c "import asyncpg, typer, pydantic_settings"``
                                                                                   (target <= 1.5x)
* ``dbctl check``             vs ``psql -c "select 1"`` and ``pg_isready``          (for context;
  the C programs of ``pg_config --bindir``, not Debian's Perl wrapper on PATH)

Usage: ``python bench/check_startup.py [--runs N]``. Prints the medians and the ratios;
exit status 0 even when a target is missed (it is a measurement, not a test).
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

from dbctl import sandbox


def timed_all(
    cases: dict[str, tuple[list[str], dict[str, str]]], runs: int
) -> dict[str, tuple[float, int]]:
    """Median wall time in ms of each command over ``runs`` fresh processes.

    Rounds are interleaved (every command once per round, after one warm-up round) so
    that the load of a shared machine drifts over all commands alike.
    """
    samples: dict[str, list[float]] = {name: [] for name in cases}
    codes: dict[str, int] = {}
    for round_no in range(runs + 1):
        for name, (cmd, env) in cases.items():
            t0 = time.perf_counter()
            proc = subprocess.run(cmd, env=env, capture_output=True, check=False)
            elapsed = (time.perf_counter() - t0) * 1000
            codes[name] = proc.returncode
            if round_no:
                samples[name].append(elapsed)
    return {name: (statistics.median(s), codes[name]) for name, s in samples.items()}


def server_bindir(server: sandbox.Sandbox) -> Path | None:
    """``pg_config --bindir`` (the C programs), else the sandbox's server binaries."""
    pg_config = shutil.which("pg_config")
    if pg_config:
        out = subprocess.run([pg_config, "--bindir"], capture_output=True, text=True, check=False)
        if out.returncode == 0 and out.stdout.strip():
            return Path(out.stdout.strip())
    return server.bindir


def _program(bindir: Path | None, name: str) -> str | None:
    return str(bindir / name) if bindir is not None and (bindir / name).exists() else None


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=15)
    args = parser.parse_args()

    bindir = Path(sys.executable).parent
    dbctl = str(bindir / "dbctl") if (bindir / "dbctl").exists() else shutil.which("dbctl")
    if dbctl is None:
        print("the dbctl console script is not installed (pip install -e .)", file=sys.stderr)
        return 2
    server = sandbox.start()
    try:
        env = {k: v for k, v in os.environ.items() if not k.startswith(("PG", "DBCTL_"))}
        # like an installed package: byte-code is cached (the warm-up run writes it), or
        # every run would compile dbctl from source while the peers load cached .pyc files
        env.pop("PYTHONDONTWRITEBYTECODE", None)
        env.pop("DATABASE_URL", None)
        check_env = {**env, "DATABASE_URL": server.url()}
        pg_env = {**env, "PGPASSWORD": server.password}
        host, port = server.host, str(server.port)
        py = sys.executable
        cases = {
            "dbctl --help": [dbctl, "--help"],
            "python -c 'import typer'": [py, "-c", "import typer"],
            "dbctl check": [dbctl, "check"],
            "dbctl check --format json": [dbctl, "check", "--format", "json"],
            "python -c 'import asyncpg, typer, pydantic_settings'": [
                py,
                "-c",
                "import asyncpg, typer, pydantic_settings",
            ],
        }
        bindir = server_bindir(server)
        # the C programs of the server's bin directory: Debian's /usr/bin/psql and
        # /usr/bin/pg_isready are a Perl wrapper (pg_wrapper) that adds a Perl start-up
        psql = _program(bindir, "psql")
        isready = _program(bindir, "pg_isready")
        if psql:
            cases["psql -c 'select 1'"] = [
                psql, "-h", host, "-p", port, "-U", server.user, "-d", "postgres",
                "-X", "-q", "-c", "select 1",
            ]  # fmt: skip
        if isready:
            print(f"pg_isready: {isready}")
            cases["pg_isready"] = [isready, "-h", host, "-p", port, "-U", server.user]
        envs = {name: check_env if name.startswith("dbctl check") else pg_env for name in cases}
        measured = timed_all({n: (cmd, envs[n]) for n, cmd in cases.items()}, args.runs)
        results = {name: ms for name, (ms, _code) in measured.items()}
        print(f"{args.runs} runs each, interleaved; median wall time of a fresh process")
        print(f"{'command':<56} {'median ms':>10}  exit")
        for name, (ms, code) in measured.items():
            print(f"{name:<56} {ms:>10.1f}  {code}")
        floor = results["python -c 'import asyncpg, typer, pydantic_settings'"]
        ratios = [
            ("dbctl --help / import typer", results["dbctl --help"],
             results["python -c 'import typer'"], 1.3),
            ("dbctl check / import floor", results["dbctl check"], floor, 1.5),
            ("dbctl check --format json / import floor",
             results["dbctl check --format json"], floor, 1.5),
        ]  # fmt: skip
        if psql:
            ratios.append(
                ("dbctl check / psql", results["dbctl check"], results["psql -c 'select 1'"], None)
            )
        if isready:
            ratios.append(("dbctl check / pg_isready", results["dbctl check"],
                           results["pg_isready"], None))  # fmt: skip
        print()
        for label, num, den, target in ratios:
            ratio = num / den
            verdict = ""
            if target is not None:
                verdict = f"target <= {target}x: {'met' if ratio <= target else 'MISSED'}"
            print(f"{label:<44} {ratio:5.2f}x  {verdict}")
    finally:
        server.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())

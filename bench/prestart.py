"""``dbctl prestart`` against the FastAPI full-stack template's pre-start sequence, in one run.

Starts its own sandbox and writes an Alembic project (async env.py, two revisions) with a
seed file, as the prestart tests use. Then times, median of N fresh processes each, the
restart case — the database already at head with the seed loaded, what every container
start after the first one meets:

* ``dbctl prestart --seed seed.json``
* the template's way: ``backend_pre_start.py`` (an engine, ``SELECT 1``), then
  ``alembic upgrade head``, then ``initial_data.py`` (insert the rows unless present),
  as ``sh -c 'python wait.py && alembic upgrade head && python seed.py'``
* ``alembic upgrade head`` alone (for context)

and once each, the first start on an empty database (both ways, same work).

Usage: ``python bench/prestart.py [--runs N]``. Prints the medians and the ratios; exit
status 0 (it is a measurement, not a test).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from dbctl import sandbox  # noqa: E402
from tests.prestart.conftest import (  # noqa: E402 - the project the tests migrate
    ALEMBIC_INI,
    ASYNC_ENV_PY,
    REV_A,
    REV_B,
    REVISION_A,
    REVISION_B,
    SEED,
)

WAIT_PY = """\
import asyncio, os
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

async def main():
    engine = create_async_engine(os.environ["DATABASE_URL"])
    async with engine.connect() as conn:
        await conn.execute(text("SELECT 1"))
    await engine.dispose()

asyncio.run(main())
"""

SEED_PY = """\
import asyncio, json, os
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

async def main():
    engine = create_async_engine(os.environ["DATABASE_URL"])
    rows = json.load(open("seed.json"))["items"]
    async with engine.begin() as conn:
        await conn.execute(
            text("INSERT INTO items (id, name, price) VALUES (:id, :name, :price) "
                 "ON CONFLICT DO NOTHING"),
            rows,
        )
    await engine.dispose()

asyncio.run(main())
"""


def write_project(root: Path, url: str) -> None:
    versions = root / "migrations" / "versions"
    versions.mkdir(parents=True)
    # the template's alembic.ini names the database itself (env.py reads the settings)
    (root / "alembic.ini").write_text(
        ALEMBIC_INI.replace("driver://user:pass@localhost/dbname", url.replace("%", "%%"))
    )
    (root / "migrations" / "env.py").write_text(ASYNC_ENV_PY)
    (versions / f"{REV_A}_items.py").write_text(REVISION_A)
    (versions / f"{REV_B}_price.py").write_text(REVISION_B)
    (root / "seed.json").write_text(json.dumps(SEED))
    (root / "wait.py").write_text(WAIT_PY)
    (root / "seed.py").write_text(SEED_PY)


def run(cmd: list[str], cwd: Path, env: dict[str, str]) -> tuple[float, int]:
    t0 = time.perf_counter()
    proc = subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, check=False)
    return (time.perf_counter() - t0) * 1000, proc.returncode


def reset(dsn_env: dict[str, str], server: sandbox.Sandbox) -> None:
    psql = shutil.which("psql") or str(server.bindir / "psql")
    subprocess.run(
        [psql, "-h", server.host, "-p", str(server.port), "-U", server.user, "-d", "postgres",
         "-X", "-q", "-c", "DROP TABLE IF EXISTS items, applied_log, alembic_version"],
        env=dsn_env, check=True, capture_output=True,
    )  # fmt: skip


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=9)
    args = parser.parse_args()
    bindir = Path(sys.executable).parent
    dbctl = str(bindir / "dbctl") if (bindir / "dbctl").exists() else shutil.which("dbctl")
    alembic = str(bindir / "alembic") if (bindir / "alembic").exists() else shutil.which("alembic")
    if dbctl is None or alembic is None:
        print("needs the dbctl and alembic console scripts (pip install -e '.[test]')")
        return 2
    server = sandbox.start()
    try:
        env = {k: v for k, v in os.environ.items() if not k.startswith(("PG", "DBCTL_"))}
        env.pop("PYTHONDONTWRITEBYTECODE", None)
        env["DATABASE_URL"] = server.url()
        pg_env = {**env, "PGPASSWORD": server.password}
        with tempfile.TemporaryDirectory(prefix="dbctl-bench-") as tmp:
            root = Path(tmp)
            write_project(root, server.url())
            cases = {
                "dbctl prestart --seed seed.json": [dbctl, "prestart", "--seed", "seed.json"],
                "template: wait.py && alembic upgrade head && seed.py": [
                    "sh", "-c",
                    f"{sys.executable} wait.py && {alembic} upgrade head && "
                    f"{sys.executable} seed.py",
                ],
                "alembic upgrade head": [alembic, "upgrade", "head"],
            }  # fmt: skip
            first = {}
            for name in list(cases)[:2]:  # the first start, on an empty database
                reset(pg_env, server)
                first[name] = run(cases[name], root, env)
            samples: dict[str, list[float]] = {name: [] for name in cases}
            codes: dict[str, int] = {}
            for round_no in range(args.runs + 1):  # interleaved; round 0 warms up
                for name, cmd in cases.items():
                    ms, codes[name] = run(cmd, root, env)
                    if round_no:
                        samples[name].append(ms)
    finally:
        server.stop()
    print("first start (empty database), one run each")
    for name, (ms, code) in first.items():
        print(f"  {name:<56} {ms:>9.1f} ms  exit {code}")
    print(f"restart (at head, seed present): median of {args.runs} interleaved runs")
    medians = {name: statistics.median(s) for name, s in samples.items()}
    for name, ms in medians.items():
        print(f"  {name:<56} {ms:>9.1f} ms  exit {codes[name]}")
    names = list(cases)
    print()
    for label, num, den in [
        ("restart: dbctl prestart / template sequence", medians[names[0]], medians[names[1]]),
        ("restart: dbctl prestart / alembic upgrade head", medians[names[0]], medians[names[2]]),
        ("first start: dbctl prestart / template sequence", first[names[0]][0],
         first[names[1]][0]),
    ]:  # fmt: skip
        print(f"{label:<50} {num / den:.2f}x")
    return 0


if __name__ == "__main__":
    sys.exit(main())

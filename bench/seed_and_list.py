#!/usr/bin/env python
"""Benchmark: dbctl seed / seed --fake / users list --all against their peers, in one run.

Starts its own throwaway PostgreSQL (dbctl.sandbox), then, for N rows (default 1 million)
into the default users table (``dbctl init-db``'s reference model, id + indexed name):

1. ``dbctl seed users.csv``                    vs ``psql -c "\\copy users FROM users.csv"``
2. ``dbctl seed --fake N --table users``       vs an async SQLAlchemy ORM ``add_all`` loop
   with Faker per row (the naive way; also shown: the ORM insert alone, names made
   beforehand). The ORM loop runs on ``--orm-rows`` rows (default 20 000) and is
   extrapolated per row to N — the output says so.
3. ``dbctl users list --all --format csv``     vs ``psql -c "COPY users TO STDOUT (FORMAT csv)"``
   (both to /dev/null), with dbctl's peak memory (VmHWM polled from /proc).
4. ``dbctl init-db --models`` of a 300-table model vs a Python process running
   ``metadata.create_all`` through SQLAlchemy's async engine (``run_sync``), both on an
   empty database.

Each dbctl and psql number is a whole process (start-up included), best of two runs.
Targets: seed within 2x of \\copy; listing within 2x of psql's COPY and under 150 MB;
--fake at least 10x faster than the ORM loop; init-db within 1.2x of create_all.
Usage: ``python bench/seed_and_list.py [--rows N] [--orm-rows M]``.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from dbctl import sandbox

MODELS_300 = """
import enum
from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, Text, func
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


class Base(DeclarativeBase):
    pass


class Kind(enum.Enum):
    a = "a"
    b = "b"


def _table(i: int) -> type:
    ns = {
        "__tablename__": f"t{i:03d}",
        "__annotations__": {
            "id": Mapped[int],
            "name": Mapped[str],
            "body": Mapped[str | None],
            "kind": Mapped[Kind],
            "created_at": Mapped[datetime],
        },
        "id": mapped_column(primary_key=True),
        "name": mapped_column(String(100), index=True),
        "body": mapped_column(Text),
        "kind": mapped_column(default=Kind.a),
        "created_at": mapped_column(server_default=func.now()),
    }
    if i:
        ns["__annotations__"]["parent_id"] = Mapped[int | None]
        ns["parent_id"] = mapped_column(ForeignKey(f"t{i - 1:03d}.id"))
    return type(f"T{i:03d}", (Base,), ns)


for _i in range(300):
    _table(_i)
"""

PEER_300 = """
import asyncio, sys
sys.path.insert(0, sys.argv[2])
from sqlalchemy.ext.asyncio import create_async_engine
from sqlalchemy.pool import NullPool
from models300 import Base

async def main() -> None:
    engine = create_async_engine(sys.argv[1], poolclass=NullPool)
    async with engine.begin() as conn:
        await conn.run_sync(Base.metadata.create_all)
    await engine.dispose()

asyncio.run(main())
"""


def run(cmd: list[str], env: dict[str, str], *, stdout: int | None = None) -> float:
    """Run a command; its wall time in seconds (fails loudly)."""
    started = time.perf_counter()
    proc = subprocess.run(
        cmd, check=False, env=env, stdout=stdout or subprocess.PIPE, stderr=subprocess.PIPE
    )
    elapsed = time.perf_counter() - started
    if proc.returncode != 0:
        sys.exit(f"{' '.join(cmd[:4])}… failed ({proc.returncode}): {proc.stderr.decode()[-500:]}")
    return elapsed


def run_peak(cmd: list[str], env: dict[str, str]) -> tuple[float, int]:
    """Wall time and peak RSS (KiB, VmHWM polled from /proc) of a command writing to /dev/null."""
    peak = 0
    started = time.perf_counter()
    with open(os.devnull, "wb") as null:
        proc = subprocess.Popen(cmd, env=env, stdout=null, stderr=subprocess.DEVNULL)
        while proc.poll() is None:
            try:
                for line in Path(f"/proc/{proc.pid}/status").read_text().splitlines():
                    if line.startswith("VmHWM:"):
                        peak = max(peak, int(line.split()[1]))
            except OSError:
                break
            time.sleep(0.005)
    elapsed = time.perf_counter() - started
    if proc.returncode != 0:
        sys.exit(f"{' '.join(cmd[:4])}… failed ({proc.returncode})")
    return elapsed, peak


async def orm_loop(url: str, rows: int, *, faker_per_row: bool = True) -> float:
    """The naive way: ORM objects with Faker values, session.add_all, commit.

    With ``faker_per_row=False`` the names are generated before the clock starts
    (the ORM insert alone)."""
    from faker import Faker
    from sqlalchemy import Integer, String
    from sqlalchemy.ext.asyncio import async_sessionmaker, create_async_engine
    from sqlalchemy.orm import DeclarativeBase, mapped_column

    class Base(DeclarativeBase):
        pass

    class User(Base):
        __tablename__ = "users"
        id = mapped_column(Integer, primary_key=True)
        name = mapped_column(String(255), index=True)

    fake = Faker()
    engine = create_async_engine(url)
    session_factory = async_sessionmaker(engine, expire_on_commit=False)
    names = None if faker_per_row else [fake.name() for _ in range(rows)]
    started = time.perf_counter()
    async with session_factory() as session:
        if names is None:
            session.add_all([User(name=fake.name()) for _ in range(rows)])
        else:
            session.add_all([User(name=name) for name in names])
        await session.commit()
    elapsed = time.perf_counter() - started
    await engine.dispose()
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--orm-rows", type=int, default=20_000)
    args = parser.parse_args()
    n, orm_n = args.rows, args.orm_rows
    psql = shutil.which("psql")
    if psql is None:
        sys.exit("psql not found on PATH: it is the peer this benchmark compares against")
    dbctl = [sys.executable, "-m", "dbctl"]

    server = sandbox.start()
    workdir = Path(tempfile.mkdtemp(prefix="dbctl-bench-"))
    try:
        env = {k: v for k, v in os.environ.items() if not k.startswith(("DBCTL_", "PG"))}
        env["DATABASE_URL"] = server.url()
        dsn = server.libpq_dsn()
        csv_path = workdir / "users.csv"
        with csv_path.open("w") as fh:
            fh.write("id,name\n")
            fh.writelines(f"{i},User Number {i}\n" for i in range(1, n + 1))
        size_mb = csv_path.stat().st_size / 1e6

        def reset() -> None:
            run([psql, dsn, "-qc", "DROP TABLE IF EXISTS users"], env)
            run([*dbctl, "init-db"], env)

        print(
            f"dbctl benchmark: {n:,} rows into the reference users table "
            f"(PostgreSQL {server.version}, local sandbox, {size_mb:.0f} MB CSV)\n"
        )
        results: list[tuple[str, float, float, str, str]] = []

        t_seed = t_copy = float("inf")
        for _ in range(2):  # best of two: the machine is shared
            reset()
            t_seed = min(t_seed, run([*dbctl, "seed", str(csv_path)], env))
            reset()
            copy_cmd = [psql, dsn, "-qc", f"\\copy users FROM '{csv_path}' CSV HEADER"]
            t_copy = min(t_copy, run(copy_cmd, env))
        results.append(
            ("seed users.csv vs psql \\copy", t_seed, t_copy, "<= 2.0x", f"{t_seed / t_copy:.2f}x")
        )

        reset()
        t_fake = run([*dbctl, "seed", "--fake", str(n), "--table", "users"], env)
        reset()
        t_orm_part = asyncio.run(orm_loop(server.url(), orm_n))
        t_orm = t_orm_part / orm_n * n
        reset()
        t_orm_insert = asyncio.run(orm_loop(server.url(), orm_n, faker_per_row=False)) / orm_n * n
        results.append(
            (
                f"seed --fake vs ORM add_all, Faker per row ({orm_n:,} rows, extrapolated)",
                t_fake,
                t_orm,
                ">= 10x faster",
                f"{t_orm / t_fake:.1f}x faster",
            )
        )
        results.append(
            (
                f"seed --fake vs ORM add_all, insert only ({orm_n:,} rows, extrapolated)",
                t_fake,
                t_orm_insert,
                "(for reference)",
                f"{t_orm_insert / t_fake:.1f}x faster",
            )
        )

        reset()
        run([*dbctl, "seed", "--fake", str(n), "--table", "users"], env)
        t_start, _ = run_peak([*dbctl, "users", "list", "--limit", "1", "--format", "csv"], env)
        t_list = t_pcopy = float("inf")
        peak = 0
        for _ in range(2):
            t, p = run_peak([*dbctl, "users", "list", "--all", "--format", "csv"], env)
            t_list, peak = min(t_list, t), max(peak, p)
            t, _ = run_peak([psql, dsn, "-c", "COPY users TO STDOUT (FORMAT csv)"], env)
            t_pcopy = min(t_pcopy, t)
        results.append(
            (
                "users list --all --format csv vs psql COPY",
                t_list,
                t_pcopy,
                "<= 2.0x",
                f"{t_list / t_pcopy:.2f}x",
            )
        )

        (workdir / "models300.py").write_text(MODELS_300)
        (workdir / "peer300.py").write_text(PEER_300)

        def empty() -> None:
            run([psql, dsn, "-qc", "DROP SCHEMA public CASCADE; CREATE SCHEMA public"], env)

        t_init = t_peer = float("inf")
        init_cmd = [*dbctl, "init-db", "--models", "models300:Base", "--app-dir", str(workdir)]
        peer_cmd = [sys.executable, str(workdir / "peer300.py"), server.url(), str(workdir)]
        for _ in range(3):
            empty()
            t_init = min(t_init, run(init_cmd, env))
            empty()
            t_peer = min(t_peer, run(peer_cmd, env))
        results.append(
            (
                "init-db 300 tables vs async create_all",
                t_init,
                t_peer,
                "<= 1.2x",
                f"{t_init / t_peer:.2f}x",
            )
        )

        width = max(len(r[0]) for r in results)
        print(f"{'measurement':<{width}}  {'dbctl s':>8}  {'peer s':>8}  {'target':>14}  result")
        for name, ours, peer, target, ratio in results:
            print(f"{name:<{width}}  {ours:8.2f}  {peer:8.2f}  {target:>14}  {ratio}")
        print()
        print(f"users list --all peak memory: {peak / 1024:.0f} MB (target < 150 MB)")
        stream = max(t_list - t_start, 1e-3)
        print(
            f"dbctl process start-up (users list --limit 1): {t_start:.2f} s; listing "
            f"without it: {stream:.2f} s = {stream / t_pcopy:.2f}x psql's COPY"
        )
        print(
            f"rows/s: seed {n / t_seed:,.0f}, fake {n / t_fake:,.0f}, "
            f"ORM {orm_n / t_orm_part:,.0f}, list {n / t_list:,.0f}"
        )
    finally:
        server.stop()
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    main()

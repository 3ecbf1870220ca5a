"""Real deadlocks and a real lock-table overflow come with the hint that helps."""

from __future__ import annotations

import asyncio
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from dbctl import sandbox


def test_a_deadlock_comes_with_a_hint(pg: Any) -> None:
    """Two dbctl sessions write two rows in opposite order: the server picks a victim
    (40P01), and the connection layer names it."""
    from dbctl.db.connect import connect
    from dbctl.errors import DatabaseError
    from dbctl.urls import analyze_url

    pg.sql("CREATE TABLE t (id int PRIMARY KEY)", "INSERT INTO t VALUES (1), (2)")
    url = analyze_url(pg.url).url
    assert url is not None

    async def session(first: int, second: int, both_hold: asyncio.Barrier) -> None:
        conn = await connect(url, timeout=10)
        try:
            async with conn.transaction():
                await conn.execute("UPDATE t SET id = id WHERE id = $1", first)
                await both_hold.wait()
                await conn.execute("UPDATE t SET id = id WHERE id = $1", second)
        finally:
            await conn.close()

    async def both() -> list[Any]:
        barrier = asyncio.Barrier(2)
        return await asyncio.gather(
            session(1, 2, barrier), session(2, 1, barrier), return_exceptions=True
        )

    results = asyncio.run(both())
    [err] = [r for r in results if isinstance(r, BaseException)]
    assert isinstance(err, DatabaseError), err
    assert err.code == "db.deadlock" and err.sqlstate == "40P01" and err.exit_code == 1
    assert "nothing was written" in err.message
    assert err.hint is not None and "one at a time" in err.hint and "retry" in err.hint


@pytest.fixture(scope="module")
def small_lock_table() -> Iterator[sandbox.Sandbox]:
    """A dedicated server whose lock table holds a few hundred locks."""
    try:
        server = sandbox.start(
            "local", settings={"max_locks_per_transaction": "10", "max_connections": "10"}
        )
    except sandbox.SandboxError as exc:
        if os.environ.get("CI"):
            pytest.fail(f"CI is set and no sandbox could start: {exc.message}")
        pytest.skip(exc.message)
    try:
        yield server
    finally:
        server.stop()


def test_out_of_shared_memory_during_ddl_names_max_locks(
    cli: Any, small_lock_table: sandbox.Sandbox, tmp_path: Path
) -> None:
    tables = "\n".join(
        f"Table('t{i}', Base.metadata, Column('id', Integer, primary_key=True))"
        for i in range(1500)
    )
    (tmp_path / "wide_models.py").write_text(
        "from sqlalchemy import Column, Integer, Table\n"
        "from sqlalchemy.orm import DeclarativeBase\n"
        "class Base(DeclarativeBase):\n    pass\n" + tables + "\n"
    )
    res = cli("init-db", "--url", small_lock_table.url(), "--models", "wide_models:Base")
    assert res.exit_code == 1, res.all
    assert "out of shared memory" in res.stderr
    assert "max_locks_per_transaction" in res.stderr and "fewer tables" in res.stderr
    assert "Traceback" not in res.all
    count = "SELECT count(*) FROM pg_tables WHERE schemaname = 'public'"
    from tests.conftest import run_sql

    assert run_sql(small_lock_table.libpq_dsn(), count)[0][0] == 0

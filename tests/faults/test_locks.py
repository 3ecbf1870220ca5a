"""A table held in ACCESS EXCLUSIVE mode by another session: every command gives up after
``--lock-timeout``, exit 1, naming the lock and who holds it; nothing leaks into the
session (``SET LOCAL``)."""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.faults.conftest import assert_no_backend_left
from tests.faults.test_faults import MODELS

LOCK_S = 2


class LockHolder:
    """Another session (its own thread and event loop) holding a lock until stopped."""

    def __init__(self, dsn: str, sql: str) -> None:
        self.dsn, self.sql = dsn, sql
        self.pid = 0
        self.ready = threading.Event()
        self.stop = threading.Event()
        self.error: BaseException | None = None
        self.thread = threading.Thread(target=lambda: asyncio.run(self._run()), daemon=True)
        self.thread.start()
        assert self.ready.wait(10), self.error

    async def _run(self) -> None:
        import asyncpg

        try:
            conn = await asyncpg.connect(self.dsn, timeout=10)
            await conn.execute("BEGIN")
            await conn.execute(self.sql)
            self.pid = conn.get_server_pid()
        except BaseException as exc:
            self.error = exc
            self.ready.set()
            raise
        self.ready.set()
        while not self.stop.is_set():
            await asyncio.sleep(0.05)
        await conn.close()

    def release(self) -> None:
        self.stop.set()
        self.thread.join(10)


@pytest.fixture
def locked(pg: Any, tmp_path: Path) -> Iterator[LockHolder]:
    pg.sql(
        "CREATE TABLE users (id serial PRIMARY KEY, name varchar(255))",
        "INSERT INTO users (name) SELECT 'user ' || g FROM generate_series(1, 100) g",
    )
    (tmp_path / "lock_models.py").write_text(MODELS)
    (tmp_path / "users.csv").write_text("id,name\n1000,new\n")
    holder = LockHolder(pg.dsn, "LOCK TABLE users IN ACCESS EXCLUSIVE MODE")
    try:
        yield holder
    finally:
        holder.release()


@pytest.mark.parametrize(
    "args",
    [
        ["seed", "users.csv"],
        ["seed", "--fake", "10", "--table", "users"],
        ["users", "list", "--format", "json"],
        ["users", "list", "--all", "--format", "csv"],
        ["users", "count"],
        ["init-db", "--models", "lock_models:Base"],  # posts REFERENCES users
    ],
    ids=lambda a: "-".join(a[:3]),
)
def test_a_held_lock_ends_within_the_lock_timeout(
    cli: Any, pg: Any, locked: LockHolder, args: list[str]
) -> None:
    if args[0] == "init-db":  # import SQLAlchemy and the models first: time the lock wait
        assert cli(*args, "--url", pg.url, "--dry-run").exit_code == 0
    started = time.monotonic()
    res = cli(*args, "--url", pg.url, "--lock-timeout", str(LOCK_S))
    elapsed = time.monotonic() - started
    # LOCK_S + 5 s: well under the default 10 s lock timeout (so --lock-timeout is what
    # ended the wait), with room for start-up on a loaded machine (4.1 s seen at -n 4)
    assert elapsed < LOCK_S + 5, f"{args} took {elapsed:.1f} s"
    assert res.exit_code == 1, res.all
    assert "Traceback" not in res.all and "internal error" not in res.all
    errors = [line for line in res.stderr.splitlines() if line.startswith("error:")]
    assert len(errors) == 1, res.stderr
    assert f"gave up waiting for a lock after {LOCK_S} s" in errors[0]
    assert f"held by pid {locked.pid} (AccessExclusiveLock on users" in errors[0]
    assert "[lock.timeout]" in errors[0]
    if args[0] in {"seed", "init-db"}:
        assert "nothing was written" in errors[0]
    locked.release()
    assert pg.sql("SELECT count(*) FROM users")[0][0] == 100
    tables = pg.sql("SELECT tablename FROM pg_tables WHERE schemaname = 'public'")
    assert [r[0] for r in tables] == ["users"]
    assert_no_backend_left(pg)


def test_the_bounds_do_not_leak_into_the_session(cli: Any, pg: Any, tmp_path: Path) -> None:
    """SET LOCAL: after dbctl's transaction the session's settings are the server's."""
    from dbctl.db.bounds import Bounds, use
    from dbctl.db.connect import connect
    from dbctl.urls import analyze_url

    url = analyze_url(pg.url).url
    assert url is not None

    async def go() -> tuple[str, str, str]:
        use(Bounds(lock=3, statement=4, stall=60))
        conn = await connect(url, timeout=5)
        try:
            async with conn.transaction(readonly=True):
                inside = await conn.fetchval("SHOW lock_timeout")
            after = await conn.fetchval("SHOW lock_timeout")
            statement = await conn.fetchval("SHOW statement_timeout")
            return inside, after, statement
        finally:
            await conn.close()
            use(Bounds())

    assert asyncio.run(go()) == ("3s", "0", "0")

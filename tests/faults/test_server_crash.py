"""kill -9 of the whole server while ``seed`` / ``init-db`` write: exit 3, "nothing was
written", the data unchanged after the restart, and the re-run succeeds.

A dedicated sandbox (not the session's shared server) is killed and restarted on the
same data directory.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from dbctl import sandbox
from tests.conftest import run_sql

pytestmark = [
    pytest.mark.db,
    pytest.mark.skipif(not Path("/proc").is_dir(), reason="needs /proc to find the backends"),
]


@pytest.fixture(scope="module")
def own_server() -> Iterator[sandbox.Sandbox]:
    try:
        server = sandbox.start("local")
    except sandbox.SandboxError as exc:
        if os.environ.get("CI"):
            pytest.fail(f"CI is set and no sandbox could start: {exc.message}")
        pytest.skip(f"no local PostgreSQL server binaries: {exc.message}")
    try:
        yield server
    finally:
        server.stop()


def children(pid: int) -> list[int]:
    found = []
    for proc in Path("/proc").glob("[0-9]*"):
        with contextlib.suppress(OSError, IndexError):
            if int((proc / "stat").read_text().rsplit(")", 1)[1].split()[1]) == pid:
                found.append(int(proc.name))
    return found


def crash_and_restart(server: sandbox.Sandbox) -> None:
    """SIGKILL the postmaster and every backend, then start it again (crash recovery)."""
    assert server.pid is not None and server.tmpdir is not None and server.bindir is not None
    # every backend is its own session leader: kill the postmaster and each child by pid
    for pid in [server.pid, *children(server.pid)]:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)
    if server._proc is not None:
        server._proc.wait(10)
    env = {k: v for k, v in os.environ.items() if not k.startswith("PG")}
    env["LC_ALL"] = "C"
    # the dead postmaster's pid file still says "ready": the new one writes its own
    (server.tmpdir / "data" / "postmaster.pid").unlink(missing_ok=True)
    deadline = time.monotonic() + 30
    while True:  # the killed backends may take a moment to release the shared memory
        fresh = sandbox._launch(
            server.bindir,
            server.tmpdir,
            server.port,
            dict(sandbox.SERVER_SETTINGS),
            env,
            sandbox._unprivileged_ids(),
        )
        if sandbox._wait_ready(fresh, 30):
            break
        assert time.monotonic() < deadline, fresh.log_tail()
        time.sleep(0.5)
    server.pid, server._proc = fresh.pid, fresh._proc
    if server._watchdog is not None:
        server._watchdog.tell(f"pid {fresh.pid} {server.tmpdir}")


@pytest.fixture
def db(own_server: sandbox.Sandbox) -> Iterator[tuple[str, str]]:
    """(URL, DSN) of a fresh database on the dedicated server."""
    name = f"crash_{os.getpid()}_{time.monotonic_ns()}"
    run_sql(own_server.libpq_dsn(), f'CREATE DATABASE "{name}"')
    yield own_server.url(name), own_server.libpq_dsn(name)
    run_sql(own_server.libpq_dsn(), f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _wait_for_query(dsn: str, like: str, timeout: float = 60) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        n = run_sql(
            dsn,
            "SELECT count(*) FROM pg_stat_activity WHERE pid <> pg_backend_pid() "
            f"AND state = 'active' AND query LIKE '{like}'",
        )[0][0]
        if n:
            return True
        time.sleep(0.02)
    return False


def _dbctl(args: list[str], url: str, cwd: Path) -> subprocess.Popen[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DBCTL_", "PG"))}
    env["DATABASE_URL"] = url
    return subprocess.Popen(
        [sys.executable, "-m", "dbctl", *args],
        env=env,
        cwd=cwd,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def _killed_midway(
    server: sandbox.Sandbox, proc: subprocess.Popen[str], dsn: str, like: str
) -> tuple[int, str]:
    try:
        assert _wait_for_query(dsn, like), f"never saw {like!r}"
        crash_and_restart(server)
        _out, err = proc.communicate(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    return proc.returncode, err


def test_kill_9_of_the_server_mid_seed(
    own_server: sandbox.Sandbox, db: tuple[str, str], tmp_path: Path
) -> None:
    url, dsn = db
    run_sql(dsn, "CREATE TABLE users (id serial PRIMARY KEY, name text)")
    run_sql(dsn, "INSERT INTO users (name) VALUES ('before')")
    proc = _dbctl(["seed", "--fake", "3000000", "--table", "users"], url, tmp_path)
    code, err = _killed_midway(own_server, proc, dsn, "COPY%")
    assert code == 3, err
    assert "nothing was written" in err and "lost the connection" in err
    assert "Traceback" not in err and "socket.send" not in err
    assert len([ln for ln in err.splitlines() if ln.startswith("error:")]) == 1
    assert run_sql(dsn, "SELECT count(*) FROM users")[0][0] == 1
    rerun = _dbctl(["seed", "--fake", "100", "--table", "users"], url, tmp_path)
    _out, err = rerun.communicate(timeout=120)
    assert rerun.returncode == 0, err
    assert run_sql(dsn, "SELECT count(*) FROM users")[0][0] == 101


def test_kill_9_of_the_server_mid_init_db(
    own_server: sandbox.Sandbox, db: tuple[str, str], tmp_path: Path
) -> None:
    url, dsn = db
    tables = "\n".join(
        f"Table('t{i}', Base.metadata, Column('id', Integer, primary_key=True), "
        f"Column('name', String(50), index=True))"
        for i in range(600)
    )
    (tmp_path / "many_models.py").write_text(
        "from sqlalchemy import Column, Integer, String, Table\n"
        "from sqlalchemy.orm import DeclarativeBase\n"
        "class Base(DeclarativeBase):\n    pass\n" + tables + "\n"
    )
    proc = _dbctl(["init-db", "--models", "many_models:Base"], url, tmp_path)
    code, err = _killed_midway(own_server, proc, dsn, "CREATE %")
    assert code == 3, err
    assert "nothing was written" in err and "lost the connection" in err
    assert "Traceback" not in err
    count = "SELECT count(*) FROM pg_tables WHERE schemaname = 'public'"
    assert run_sql(dsn, count)[0][0] == 0
    rerun = _dbctl(["init-db", "--models", "many_models:Base"], url, tmp_path)
    _out, err = rerun.communicate(timeout=300)
    assert rerun.returncode == 0, err
    assert run_sql(dsn, count)[0][0] == 600

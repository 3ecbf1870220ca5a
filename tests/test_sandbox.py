"""dbctl sandbox: run / start / status / stop against local server binaries."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from dbctl import sandbox

pytestmark = pytest.mark.db


def _dbctl(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    full_env = {**os.environ, **(env or {})}
    full_env.pop("DATABASE_URL", None)
    return subprocess.run(
        [sys.executable, "-m", "dbctl", *args],
        capture_output=True,
        text=True,
        env=full_env,
        timeout=120,
        check=False,
    )


@pytest.fixture(autouse=True)
def _need_binaries() -> None:
    if sandbox.find_bindir() is None:
        if os.environ.get("CI"):
            pytest.fail("CI is set and no PostgreSQL server binaries were found")
        pytest.skip("no PostgreSQL server binaries")


def test_run_sets_database_url_and_returns_the_command_exit_code(tmp_path: Path) -> None:
    script = (
        "import asyncio, os, sys, asyncpg\n"
        "u = os.environ['DATABASE_URL'].replace('postgresql+asyncpg', 'postgresql')\n"
        "async def main():\n"
        "    c = await asyncpg.connect(u)\n"
        "    print(await c.fetchval('select 40 + 2'))\n"
        "    await c.close()\n"
        "asyncio.run(main())\n"
        "sys.exit(7)\n"
    )
    res = _dbctl("sandbox", "run", "--", sys.executable, "-c", script)
    assert res.returncode == 7, res.stderr
    assert res.stdout.strip() == "42"
    leftovers = [p for p in Path(os.environ.get("TMPDIR", "/tmp")).glob("dbctl-sandbox-*")]
    assert not any(str(p) in res.stderr for p in leftovers)


def test_run_stops_the_server_even_when_the_command_fails() -> None:
    script = "import os; print(os.environ['DATABASE_URL'].rsplit(':', 1)[1].split('/')[0])"
    res = _dbctl("sandbox", "run", "--", sys.executable, "-c", script + "; raise SystemExit(3)")
    assert res.returncode == 3
    port = int(res.stdout.strip())
    import socket

    with socket.socket() as s, pytest.raises(OSError):
        s.settimeout(1)
        s.connect(("127.0.0.1", port))


def test_run_without_command_is_a_usage_error() -> None:
    res = _dbctl("sandbox", "run")
    assert res.returncode == 2
    assert "nothing to run" in res.stderr


def test_unknown_command_is_a_usage_error() -> None:
    res = _dbctl("sandbox", "run", "--", "no-such-command-dbctl")
    assert res.returncode == 2
    assert "command not found" in res.stderr


def test_start_status_stop(tmp_path: Path) -> None:
    env = {"DBCTL_SANDBOX_STATE": str(tmp_path / "state.json")}
    assert _dbctl("sandbox", "status", env=env).returncode == 1
    started = _dbctl("sandbox", "start", env=env)
    assert started.returncode == 0, started.stderr
    url = started.stdout.strip()
    assert url.startswith("postgresql+asyncpg://postgres:")
    try:
        status = _dbctl("sandbox", "status", env=env)
        assert status.returncode == 0
        password = url.split(":")[2].split("@")[0]
        assert password not in status.stdout + status.stderr
        assert ":***@" in status.stdout
        again = _dbctl("sandbox", "start", env=env)
        assert again.returncode == 1 and "already running" in again.stderr
    finally:
        stopped = _dbctl("sandbox", "stop", env=env)
    assert stopped.returncode == 0, stopped.stderr
    assert _dbctl("sandbox", "status", env=env).returncode == 1
    assert not (tmp_path / "state.json").exists()


def test_sandbox_api_context_manager_cleans_up() -> None:
    with sandbox.start() as server:
        tmp = server.tmpdir
        assert tmp is not None and tmp.exists()
        assert server.version is not None and int(server.version) >= 12
    assert not tmp.exists()


def test_ctrl_c_stops_the_command_and_the_server(tmp_path: Path) -> None:
    import signal
    import socket
    import time

    marker = tmp_path / "url"
    script = (
        "import os, pathlib, time\n"
        f"pathlib.Path({str(marker)!r}).write_text(os.environ['DATABASE_URL'])\n"
        "time.sleep(60)\n"
    )
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    proc = subprocess.Popen(
        [sys.executable, "-m", "dbctl", "sandbox", "run", "--", sys.executable, "-c", script],
        env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        start_new_session=True,  # its own process group, like a terminal's foreground job
        # and SIGINT's default disposition even when the test run was started in the
        # background of a shell (an ignored signal stays ignored across exec)
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )
    try:
        deadline = time.monotonic() + 60
        while not marker.exists() and time.monotonic() < deadline:
            time.sleep(0.1)
        assert marker.exists(), "the command never started"
        port = int(marker.read_text().rsplit(":", 1)[1].split("/")[0])
        os.killpg(proc.pid, signal.SIGINT)  # what Ctrl-C does
        _out, err = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 130, err
    assert "dbctl/" not in err, "no traceback from dbctl itself (the command's own is its business)"
    with socket.socket() as s, pytest.raises(OSError):
        s.settimeout(1)
        s.connect(("127.0.0.1", port))


def test_start_cleans_up_when_the_state_cannot_be_written(tmp_path: Path) -> None:
    import shutil
    import tempfile

    blocker = tmp_path / "not-a-dir"
    blocker.write_text("a file where the state directory should be")
    # a private parent for this test's sandbox, traversable by the server's user
    base = Path(tempfile.mkdtemp(prefix="dbctl-test-sandboxes-"))
    base.chmod(0o755)
    try:
        res = _dbctl(
            "sandbox", "start",
            env={"DBCTL_SANDBOX_STATE": str(blocker / "state.json"),
                 "DBCTL_SANDBOX_TMPDIR": str(base)},
        )
        assert res.returncode == 2, res.stderr
        assert res.stdout == ""
        assert "cannot write the sandbox state file" in res.stderr
        assert list(base.iterdir()) == [], "the started server and its data are gone again"
    finally:
        shutil.rmtree(base, ignore_errors=True)

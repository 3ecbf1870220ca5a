"""A sandbox that can neither orphan a server nor delete a directory it did not make.

Every test gives dbctl a private DBCTL_SANDBOX_TMPDIR and state file, so "nothing left
behind" is checkable: no process whose command line names that directory, and the
directory empty.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.test_sandbox import _need_binaries

pytestmark = pytest.mark.db
__all__ = ["_need_binaries"]  # autouse: skip (or fail under CI) without server binaries
RUN = [sys.executable, "-m", "dbctl", "sandbox", "run", "--"]


@pytest.fixture
def base() -> Iterator[Path]:
    """A private parent for this test's sandboxes (traversable by the server's user)."""
    path = Path(tempfile.mkdtemp(prefix="dbctl-test-sandboxes-"))
    path.chmod(0o755)
    yield path
    for pid in processes_under(path):
        os.kill(pid, signal.SIGKILL)
    shutil.rmtree(path, ignore_errors=True)


def processes_under(path: Path) -> list[int]:
    """Processes whose command line mentions ``path`` (postgres, initdb)."""
    found = []
    for proc in Path("/proc").glob("[0-9]*"):
        try:
            cmdline = (proc / "cmdline").read_bytes().decode(errors="replace")
        except OSError:
            continue
        if str(path) in cmdline and "pytest" not in cmdline:
            found.append(int(proc.name))
    return found


def env_for(base: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    env["DBCTL_SANDBOX_TMPDIR"] = str(base)
    env["DBCTL_SANDBOX_STATE"] = str(base / "state.json")
    env.update(extra)
    return env


def dbctl(
    *args: str, env: dict[str, str], timeout: float = 120
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "dbctl", *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=timeout,
        check=False,
    )


def spawn(args: list[str], base: Path) -> subprocess.Popen[str]:
    """dbctl in its own session (signals go to it alone), output captured."""
    return subprocess.Popen(
        args,
        env=env_for(base),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )


def wait_for(predicate: object, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():  # type: ignore[operator]
            return
        time.sleep(0.05)
    raise AssertionError(f"timed out after {timeout} s waiting for {what}")


def sandbox_dirs(base: Path) -> list[Path]:
    return sorted(base.glob("dbctl-sandbox-*"))


def assert_nothing_left(base: Path, within: float = 10.0) -> None:
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        if not processes_under(base) and not sandbox_dirs(base):
            return
        time.sleep(0.1)
    assert not processes_under(base), "a server (or initdb) outlived dbctl"
    assert not sandbox_dirs(base), f"left behind: {sandbox_dirs(base)}"


def server_running(base: Path) -> bool:
    return any((d / "data" / "postmaster.pid").exists() for d in sandbox_dirs(base)) and bool(
        processes_under(base)
    )


def test_timeout_sigterm_stops_the_server(base: Path) -> None:
    timeout = shutil.which("timeout")
    if timeout is None:
        pytest.skip("coreutils timeout is not installed")
    started = time.monotonic()
    res = subprocess.run(
        [timeout, "-s", "TERM", "3", *RUN, "sleep", "60"],
        capture_output=True,
        text=True,
        env=env_for(base),
        timeout=60,
        check=False,
    )
    assert time.monotonic() - started < 20
    assert res.returncode == 124, res.stderr  # timeout's own code: the command was stopped
    assert "Traceback" not in res.stderr
    assert_nothing_left(base)


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGHUP, signal.SIGINT])
def test_a_signal_to_dbctl_stops_the_command_and_the_server(base: Path, sig: int) -> None:
    proc = spawn([*RUN, "sleep", "60"], base)
    try:
        wait_for(lambda: server_running(base) and _has_child(proc.pid, "sleep"), 60, "CMD")
        os.kill(proc.pid, sig)  # to dbctl alone, not its process group
        _out, err = proc.communicate(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert proc.returncode == 128 + sig, err
    assert "Traceback" not in err
    assert_nothing_left(base)


def _has_child(pid: int, name: str) -> bool:
    for proc in Path("/proc").glob("[0-9]*"):
        try:
            stat = (proc / "stat").read_text()
        except OSError:
            continue
        fields = stat.rsplit(")", 1)[1].split()
        if int(fields[1]) == pid and f"({name})" in stat:
            return True
    return False


def test_sigkill_of_sandbox_run_leaves_nothing_behind(base: Path) -> None:
    proc = spawn([*RUN, "sleep", "60"], base)
    try:
        wait_for(lambda: server_running(base), 60, "the server")
        proc.kill()
        proc.wait()
        assert_nothing_left(base)
    finally:
        with_sleep = [p for p in Path("/proc").glob("[0-9]*") if _is_orphan_sleep(p)]
        for p in with_sleep:
            os.kill(int(p.name), signal.SIGKILL)


def _is_orphan_sleep(proc: Path) -> bool:
    try:
        return (proc / "cmdline").read_bytes() == b"sleep\x0060\x00" and (
            proc / "stat"
        ).read_text().rsplit(")", 1)[1].split()[1] == "1"
    except OSError:
        return False


@pytest.mark.parametrize("moment", ["initdb", "server"])
def test_sigkill_of_sandbox_start_midway_leaves_nothing_behind(base: Path, moment: str) -> None:
    env = env_for(base)
    proc = spawn([sys.executable, "-m", "dbctl", "sandbox", "start"], base)
    try:
        if moment == "initdb":  # initdb is running next to the password file
            wait_for(lambda: any((d / "pwfile").exists() for d in sandbox_dirs(base)), 60, "initdb")
        else:  # the server process exists, not yet ready
            wait_for(
                lambda: any((d / "server.log").exists() for d in sandbox_dirs(base)), 60, "postgres"
            )
        state = json.loads((base / "state.json").read_text())
        assert state["status"] == "starting"  # written before the server was started
        proc.kill()
        proc.wait()
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert_nothing_left(base)
    status = dbctl("sandbox", "status", env=env)
    assert status.returncode == 1 and "no sandbox is running" in status.stderr
    stop = dbctl("sandbox", "stop", env=env)
    assert stop.returncode == 0, stop.stderr
    assert not (base / "state.json").exists()


def test_start_then_stop_finds_what_start_began(base: Path) -> None:
    env = env_for(base)
    started = dbctl("sandbox", "start", env=env)
    assert started.returncode == 0, started.stderr
    state = json.loads((base / "state.json").read_text())
    assert state["status"] == "running" and len(state["marker"]) == 32
    [directory] = sandbox_dirs(base)
    assert (directory / ".dbctl-sandbox").read_text().strip() == state["marker"]
    assert not (directory / "pwfile").exists()
    time.sleep(1)  # the server is detached: dbctl's watchdog must not take it down
    assert server_running(base)
    assert dbctl("sandbox", "status", env=env).returncode == 0
    stopped = dbctl("sandbox", "stop", env=env)
    assert stopped.returncode == 0, stopped.stderr
    assert_nothing_left(base)


def _write_state(base: Path, data: object) -> None:
    (base / "state.json").write_text(json.dumps(data))


def _valid_state(directory: Path, marker: str) -> dict[str, object]:
    return {
        "backend": "local",
        "host": "127.0.0.1",
        "port": 5999,
        "user": "postgres",
        "password": "x",
        "database": "postgres",
        "pid": None,
        "tmpdir": str(directory),
        "bindir": None,
        "version": "15",
        "marker": marker,
        "status": "running",
    }


def test_stop_refuses_a_directory_without_the_marker(base: Path) -> None:
    victim = base / "dbctl-sandbox-precious"
    victim.mkdir()
    (victim / "keep.txt").write_text("mine")
    (victim / ".dbctl-sandbox").write_text("0" * 32)  # a marker, but not the recorded one
    _write_state(base, _valid_state(victim, "f" * 32))
    res = dbctl("sandbox", "stop", env=env_for(base))
    assert res.returncode == 2, res.stderr
    assert "does not carry the marker" in res.stderr
    assert len([ln for ln in res.stderr.splitlines() if ln.startswith("error:")]) == 1
    assert (victim / "keep.txt").read_text() == "mine"
    assert (base / "state.json").exists()


@pytest.mark.parametrize(
    "state",
    [
        {},
        [],
        "text",
        {"backend": "local", "host": "h", "port": "x", "user": "u"},
        {"tmpdir": "VICTIM"},  # any directory named in a crafted state
        {"port": 0},
        {"pid": -1},
        {"marker": "not-hex"},
        {"backend": "docker"},
    ],
    ids=str,
)
def test_invalid_state_is_a_one_line_error_and_deletes_nothing(base: Path, state: object) -> None:
    victim = base / "victim"
    victim.mkdir()
    (victim / "keep.txt").write_text("mine")
    if isinstance(state, dict) and len(state) <= 1:
        full = _valid_state(base / "dbctl-sandbox-x", "a" * 32)
        full.update({k: (str(victim) if v == "VICTIM" else v) for k, v in state.items()})
        state = full if state else {}
    _write_state(base, state)
    for command in ("stop", "status"):
        res = dbctl("sandbox", command, env=env_for(base))
        assert res.returncode == 2, (command, res.stdout, res.stderr)
        assert "Traceback" not in res.stderr and "internal error" not in res.stderr
        assert "is not valid" in res.stderr
        assert len([ln for ln in res.stderr.splitlines() if ln.startswith("error:")]) == 1
    assert (victim / "keep.txt").read_text() == "mine"


def test_a_missing_tmpdir_root_is_a_one_line_error(base: Path) -> None:
    res = dbctl(
        "sandbox", "run", "--", "true", env=env_for(base, DBCTL_SANDBOX_TMPDIR="/nonexistent")
    )
    assert res.returncode == 2, res.stderr
    assert "/nonexistent is not a directory" in res.stderr
    assert "Traceback" not in res.stderr and "internal error" not in res.stderr

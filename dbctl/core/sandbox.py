"""Sandbox orchestration for the CLI: run a command against one, or keep one running."""

from __future__ import annotations

import os
import signal
import subprocess
from pathlib import Path

from dbctl import sandbox as sb
from dbctl.errors import EXIT_INTERRUPTED, OperationError, UsageError


def run_with_sandbox(cmd: list[str], *, backend: str) -> int:
    """Start a sandbox, run ``cmd`` with DATABASE_URL set, always stop it; CMD's exit code.

    Ctrl-C reaches CMD (same terminal process group); we wait for it to end, stop the
    server and return 130.
    """
    server = sb.start(backend)  # type: ignore[arg-type]
    interrupted = False
    try:
        env = dict(os.environ)
        env["DATABASE_URL"] = server.url()
        env["DBCTL_SANDBOX_URL"] = server.url()
        try:
            proc = subprocess.Popen(cmd, env=env)
        except FileNotFoundError:
            raise UsageError(f"command not found: {cmd[0]}") from None
        except PermissionError:
            raise UsageError(f"command is not executable: {cmd[0]}") from None
        while True:
            try:
                code = proc.wait()
                break
            except KeyboardInterrupt:
                interrupted = True
                proc.send_signal(signal.SIGINT)
        if interrupted:
            return EXIT_INTERRUPTED
        return code if code >= 0 else 128 - code
    finally:
        server.stop()


def start_detached(*, backend: str) -> tuple[sb.Sandbox, Path]:
    existing = sb.load_state()
    if existing is not None and sb.is_running(existing):
        raise OperationError(
            f"a sandbox is already running at {existing.masked_url()} (pid {existing.pid})",
            hint="dbctl sandbox stop",
        )
    if backend == "docker" or sb.find_bindir() is None:
        raise UsageError(
            "dbctl sandbox start needs local PostgreSQL server binaries",
            hint="with Docker, use `dbctl sandbox run -- CMD` (the container lives as long "
            "as CMD) or `docker run -d -p 5432:5432 -e POSTGRES_PASSWORD=… postgres:16`",
        )
    server = sb.start("local")
    try:
        path = sb.save_state(server)
    except BaseException:
        server.stop()  # a server nobody can find again must not outlive us
        raise
    if server._proc is not None:
        server._proc.returncode = 0  # detach: do not reap/kill on interpreter exit
    return server, path


def detached_status() -> sb.Sandbox:
    state = sb.load_state()
    if state is None or (state.backend == "local" and not sb.is_running(state)):
        raise OperationError("no sandbox is running", hint="dbctl sandbox start")
    return state


def stop_detached() -> bool:
    state = sb.load_state()
    if state is None:
        raise OperationError("no sandbox is running", hint="dbctl sandbox start")
    running = sb.is_running(state)
    if running and state.pid is not None:
        sb._stop_pid(state.pid, None)
    if state.tmpdir is not None and state.backend == "local":
        import shutil

        shutil.rmtree(state.tmpdir, ignore_errors=True)
    sb.clear_state()
    return running

"""Sandbox orchestration for the CLI: run a command against one, or keep one running."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
from collections.abc import Iterator
from pathlib import Path

from dbctl import sandbox as sb
from dbctl.errors import EXIT_INTERRUPTED, Interrupted, OperationError, UsageError

#: How long CMD may take to end after the signal was passed on before it is killed.
CMD_GRACE_S = 10.0


@contextlib.contextmanager
def signals_as_interrupts() -> Iterator[None]:
    """SIGTERM and SIGHUP (a CI runner cancelling, a closed terminal, ``timeout``) end
    the sandbox exactly like Ctrl-C: :class:`~dbctl.errors.Interrupted` is raised where
    the process is, and the cleanup that follows stops the server."""

    def raise_interrupted(signum: int, _frame: object) -> None:
        raise Interrupted(signum)

    previous = {}
    for sig in (signal.SIGTERM, signal.SIGHUP):
        with contextlib.suppress(ValueError, OSError):  # not the main thread
            previous[sig] = signal.signal(sig, raise_interrupted)
    try:
        yield
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


def run_with_sandbox(cmd: list[str], *, backend: str) -> int:
    """Start a sandbox, run ``cmd`` with DATABASE_URL set, always stop it; CMD's exit code.

    Ctrl-C reaches CMD (same terminal process group); SIGTERM/SIGHUP sent to dbctl are
    passed on to CMD. We wait for CMD to end (killing it after :data:`CMD_GRACE_S`),
    stop the server and return 128 + the signal number (130 for Ctrl-C).
    """
    with signals_as_interrupts():
        server = sb.start(backend)  # type: ignore[arg-type]
        try:
            return _run(cmd, server)
        finally:
            server.stop()


def _run(cmd: list[str], server: sb.Sandbox) -> int:
    env = dict(os.environ)
    env["DATABASE_URL"] = server.url()
    env["DBCTL_SANDBOX_URL"] = server.url()
    try:
        proc = subprocess.Popen(cmd, env=env)
    except FileNotFoundError:
        raise UsageError(f"command not found: {cmd[0]}") from None
    except PermissionError:
        raise UsageError(f"command is not executable: {cmd[0]}") from None
    signum: int | None = None
    timeout: float | None = None
    while True:
        try:
            code = proc.wait(timeout=timeout)
            break
        except subprocess.TimeoutExpired:
            proc.kill()  # it ignored the signal: the sandbox must not wait forever
            timeout = None
        except KeyboardInterrupt as exc:
            if signum is not None:  # a second signal: stop waiting politely
                proc.kill()
                continue
            signum = exc.signum if isinstance(exc, Interrupted) else signal.SIGINT
            with contextlib.suppress(ProcessLookupError):
                proc.send_signal(signum)
            timeout = CMD_GRACE_S
    if signum is not None:
        return EXIT_INTERRUPTED if signum == signal.SIGINT else 128 + signum
    return code if code >= 0 else 128 - code


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
            "as CMD) or `docker run -d -p 127.0.0.1:5432:5432 -e POSTGRES_PASSWORD=… "
            "postgres:16`",
        )
    path = sb.state_path()
    with signals_as_interrupts():
        try:
            # the state is written before the server starts and finalised once it is ready
            server = sb.start("local", record=sb.save_state)
        except BaseException:
            sb.clear_state()
            raise
    server.detach()
    return server, path


def detached_status() -> sb.Sandbox:
    state = sb.load_state()
    if state is None or not sb.is_running(state):
        raise OperationError("no sandbox is running", hint="dbctl sandbox start")
    return state


def stop_detached() -> bool:
    """Stop the detached sandbox and delete its directory — only if the directory carries
    the marker recorded in the state (anything else: exit 2, nothing touched)."""
    state = sb.load_state()
    if state is None:
        raise OperationError("no sandbox is running", hint="dbctl sandbox start")
    tmpdir = state.tmpdir
    if (
        tmpdir is not None
        and (tmpdir.exists() or tmpdir.is_symlink())
        and not (sb.owns_directory(state))
    ):
        raise sb.SandboxError(
            f"refusing to stop or delete anything: {tmpdir} does not carry the marker "
            "of the sandbox this state file describes",
            hint=f"the state file {sb.state_path()} is stale or was not written by "
            "dbctl; remove it if you are sure",
        )
    running = sb.is_running(state)
    if running and state.pid is not None:
        sb._stop_pid(state.pid, None)
    if tmpdir is not None:
        sb.remove_marked(tmpdir, state.marker)
    sb.clear_state()
    return running

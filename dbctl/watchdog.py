"""The sandbox watchdog: a tiny process that cleans up after a dbctl that died.

``dbctl.sandbox`` starts it (``python -m dbctl.watchdog``, in its own session) with a
pipe on its stdin and tells it, one line each, what to clean up::

    pid <pid> <tag>        a process to stop (only while its command line holds <tag>)
    unpid <pid>            that process ended normally
    dir <path> <marker>    a directory to remove (only if it carries the marker)
    container <id>         a Docker container to remove
    detach                 the work is finished or handed over: exit, touch nothing

When the pipe closes without ``detach`` — dbctl exited, crashed or was killed with
SIGKILL; the kernel closes the pipe in every case — or the watchdog gets SIGTERM, it
stops the processes (SIGINT, then SIGQUIT, then SIGKILL), removes the containers and the
marked directories, and exits. Standard library only; Linux and macOS.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

MARKER_FILE = ".dbctl-sandbox"


def has_marker(path: Path, marker: str) -> bool:
    """``path`` is a real directory (not a symlink) holding our marker file."""
    try:
        if path.is_symlink() or not path.is_dir():
            return False
        mark = path / MARKER_FILE
        return not mark.is_symlink() and mark.read_text().strip() == marker
    except (OSError, UnicodeDecodeError):
        return False


def process_matches(pid: int, tag: str) -> bool:
    """The process exists and (where its command line is readable) mentions ``tag``."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        pass
    if not tag:
        return True
    cmdline = Path(f"/proc/{pid}/cmdline")
    if cmdline.parent.exists():
        try:
            return tag in cmdline.read_bytes().decode(errors="replace")
        except OSError:
            return False
    try:  # macOS: no /proc
        out = subprocess.run(
            ["ps", "-o", "command=", "-p", str(pid)],
            capture_output=True,
            text=True,
            timeout=5,
            check=False,
        )
    except (OSError, subprocess.SubprocessError):
        return False
    return tag in out.stdout


def _gone(pid: int, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return True
        except PermissionError:
            return False
        with contextlib.suppress(ChildProcessError, OSError):
            os.waitpid(pid, os.WNOHANG)
        with contextlib.suppress(OSError):  # a zombie counts as gone
            if Path(f"/proc/{pid}/stat").read_text().split()[2] == "Z":
                return True
        time.sleep(0.05)
    return False


def stop_process(pid: int, fast: float = 4.0) -> None:
    """Fast shutdown of a PostgreSQL server (SIGINT, ``fast`` seconds), then immediate
    (SIGQUIT), then SIGKILL."""
    for sig, wait in ((signal.SIGINT, fast), (signal.SIGQUIT, 3.0), (signal.SIGKILL, 3.0)):
        try:
            os.kill(pid, sig)
        except ProcessLookupError:
            return
        if _gone(pid, wait):
            return


def remove_container(container_id: str) -> None:
    with contextlib.suppress(Exception):  # best effort: the container may be gone already
        import docker

        docker.from_env(timeout=10).containers.get(container_id).remove(force=True, v=True)


class _Stop(Exception):
    pass


def main() -> int:
    pids: dict[int, str] = {}
    dirs: dict[str, str] = {}
    containers: list[str] = []

    def on_term(signum: int, frame: object) -> None:
        raise _Stop

    signal.signal(signal.SIGTERM, on_term)
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # dbctl's Ctrl-C is dbctl's to handle
    signal.signal(signal.SIGHUP, signal.SIG_IGN)
    try:
        for line in sys.stdin:
            word, _, rest = line.strip().partition(" ")
            if word == "detach":
                return 0
            if word == "pid":
                pid, _, tag = rest.partition(" ")
                pids[int(pid)] = tag
            elif word == "unpid":
                pids.pop(int(rest), None)
            elif word == "dir":
                path, _, marker = rest.rpartition(" ")
                dirs[path] = marker
            elif word == "container":
                containers.append(rest)
    except _Stop:
        pass
    signal.signal(signal.SIGTERM, signal.SIG_IGN)  # finish the cleanup
    for pid, tag in pids.items():
        if process_matches(pid, tag):
            stop_process(pid)
    for container_id in containers:
        remove_container(container_id)
    for path, marker in dirs.items():
        if has_marker(Path(path), marker):
            shutil.rmtree(path, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())

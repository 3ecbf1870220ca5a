"""A throwaway PostgreSQL: local server binaries on 127.0.0.1, or Docker via testcontainers.

Local binaries are found on PATH, through ``pg_config --bindir``, or in the usual
Debian / Homebrew / Postgres.app locations. The cluster lives in a temporary
directory, listens only on 127.0.0.1 on a random free port, and uses password
(scram-sha-256) authentication with a generated password. As root (initdb refuses
root), the server runs as the unprivileged ``postgres`` (or ``nobody``) user.

The test-suite fixture is built on :func:`start`; so are ``dbctl sandbox run|start``.
"""

from __future__ import annotations

import contextlib
import glob
import json
import os
import secrets
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any, Literal
from urllib.parse import quote

from dbctl.errors import UsageError, register_secret
from dbctl.watchdog import MARKER_FILE, has_marker, process_matches, stop_process

Backend = Literal["auto", "local", "docker"]
DEFAULT_IMAGE = "postgres:16-alpine"
SERVER_SETTINGS: dict[str, str] = {
    "listen_addresses": "127.0.0.1",
    "fsync": "off",
    "synchronous_commit": "off",
    "full_page_writes": "off",
    "max_connections": "100",
    "logging_collector": "off",
    "log_min_messages": "warning",
}
_COMMON_BINDIRS = (
    "/usr/lib/postgresql/*/bin",
    "/usr/pgsql-*/bin",
    "/opt/homebrew/opt/postgresql@*/bin",
    "/usr/local/opt/postgresql@*/bin",
    "/opt/homebrew/bin",
    "/usr/local/bin",
    "/Applications/Postgres.app/Contents/Versions/latest/bin",
)


class SandboxError(UsageError):
    """A sandbox could not be started or found (exit 2)."""


@dataclass
class Sandbox:
    """A running throwaway server. ``url()`` contains the password: never print it."""

    backend: str
    host: str
    port: int
    user: str
    password: str = field(repr=False)
    database: str = "postgres"
    pid: int | None = None
    tmpdir: Path | None = None
    bindir: Path | None = None
    version: str | None = None
    #: random id written into the data directory's marker file; only a directory that
    #: carries it is ever deleted
    marker: str | None = None
    #: "starting" until the server accepts connections, then "running"
    status: str = "running"
    _container: Any = field(default=None, repr=False)
    _proc: subprocess.Popen[bytes] | None = field(default=None, repr=False)
    _watchdog: Watchdog | None = field(default=None, repr=False)

    def __post_init__(self) -> None:
        register_secret(self.password)

    # -- URLs --------------------------------------------------------------------------
    def url(self, database: str | None = None, *, driver: str = "asyncpg") -> str:
        scheme = f"postgresql+{driver}" if driver else "postgresql"
        user = quote(self.user, safe="")
        pw = quote(self.password, safe="")
        return f"{scheme}://{user}:{pw}@{self.host}:{self.port}/{database or self.database}"

    def masked_url(self, database: str | None = None) -> str:
        return (
            f"postgresql+asyncpg://{self.user}:***@{self.host}:{self.port}/"
            f"{database or self.database}"
        )

    def libpq_dsn(self, database: str | None = None) -> str:
        """A ``postgresql://`` DSN for psql / asyncpg.connect."""
        return self.url(database, driver="")

    def log_tail(self, lines: int = 20) -> str:
        if self.tmpdir is None:
            return ""
        log = self.tmpdir / "server.log"
        try:
            return "\n".join(log.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return ""

    # -- lifecycle ---------------------------------------------------------------------
    def stop(self) -> None:
        """Stop the server this object started and remove its data. Idempotent."""
        if self._container is not None:
            with contextlib.suppress(Exception):
                self._container.stop()
            self._container = None
        if self.pid is not None:
            _stop_pid(self.pid, self._proc)
            self.pid = None
            self._proc = None
        if self.tmpdir is not None and self.backend == "local":
            remove_marked(self.tmpdir, self.marker)
            self.tmpdir = None
        if self._watchdog is not None:
            self._watchdog.detach()
            self._watchdog = None

    def detach(self) -> None:
        """Hand the server over (``sandbox start``): it outlives this process."""
        if self._proc is not None:
            self._proc.returncode = 0  # do not reap/kill it on interpreter exit
        if self._watchdog is not None:
            self._watchdog.detach()
            self._watchdog = None

    def __enter__(self) -> Sandbox:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def to_state(self) -> dict[str, Any]:
        data = {f.name: getattr(self, f.name) for f in fields(self) if not f.name.startswith("_")}
        data["tmpdir"] = str(self.tmpdir) if self.tmpdir else None
        data["bindir"] = str(self.bindir) if self.bindir else None
        return data


# --------------------------------------------------------------------------------------
# discovery


def find_bindir() -> Path | None:
    """A directory holding ``initdb`` and ``postgres``, or None."""
    env = os.environ.get("DBCTL_PG_BINDIR")
    candidates: list[Path] = [Path(env)] if env else []
    initdb = shutil.which("initdb")
    if initdb:
        candidates.append(Path(os.path.realpath(initdb)).parent)
    pg_config = shutil.which("pg_config")
    if pg_config:
        with contextlib.suppress(OSError, subprocess.SubprocessError):
            out = subprocess.run(
                [pg_config, "--bindir"], capture_output=True, text=True, timeout=10, check=True
            )
            candidates.append(Path(out.stdout.strip()))
    for pattern in _COMMON_BINDIRS:
        matches = sorted(glob.glob(pattern), key=_version_key, reverse=True)
        candidates.extend(Path(m) for m in matches)
    for cand in candidates:
        if (cand / "initdb").is_file() and (cand / "postgres").is_file():
            return cand
    return None


def _version_key(path: str) -> tuple[int, ...]:
    digits = "".join(c if c.isdigit() else " " for c in path).split()
    return tuple(int(d) for d in digits) or (0,)


def docker_image() -> str:
    return os.environ.get("DBCTL_SANDBOX_IMAGE") or DEFAULT_IMAGE


def docker_problem() -> tuple[str, str] | None:
    """Why the Docker backend cannot be used (message, hint), or None when it can."""
    from dbctl import DISTRIBUTION

    try:
        import docker
        import testcontainers.core.container  # noqa: F401
    except ImportError:
        return (
            "the Docker backend is not installed",
            f"pip install '{DISTRIBUTION}[docker]' (it adds testcontainers)",
        )
    try:
        docker.from_env(timeout=3).ping()
    except Exception:  # any failure means: no engine answers
        where = os.environ.get("DOCKER_HOST") or "the default socket"
        return (
            f"no Docker engine answers at {where} (image {docker_image()})",
            "start the Docker daemon (or set DOCKER_HOST); the image comes from "
            "DBCTL_SANDBOX_IMAGE",
        )
    return None


def docker_available() -> bool:
    """True when a Docker engine answers (and testcontainers is installed)."""
    return docker_problem() is None


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


# --------------------------------------------------------------------------------------
# start


def start(
    backend: Backend = "auto",
    *,
    settings: dict[str, str] | None = None,
    hba: list[str] | None = None,
    password: str | None = None,
    user: str = "postgres",
    ready_timeout: float = 60.0,
    record: Callable[[Sandbox], object] | None = None,
) -> Sandbox:
    """Start a sandbox. ``settings`` are extra server settings, ``hba`` extra pg_hba lines
    placed before the defaults (local backend only). ``record`` is called with the
    sandbox before the server starts (``status="starting"``) and once it is ready.

    A watchdog process removes the server and its directory if this process dies."""
    password = password or secrets.token_urlsafe(18)
    if backend in ("auto", "local"):
        bindir = find_bindir()
        if bindir is not None:
            return _start_local(
                bindir, settings or {}, hba or [], user, password, ready_timeout, record
            )
        if backend == "local":
            raise SandboxError(
                "no PostgreSQL server binaries (initdb, postgres) found",
                hint="install them (apt-get install postgresql / brew install postgresql@16) "
                "or set DBCTL_PG_BINDIR",
            )
    problem = docker_problem()
    if problem is None:
        return _start_docker(user, password)
    if backend == "docker":
        raise SandboxError(problem[0], hint=problem[1])
    raise SandboxError(
        f"cannot start a PostgreSQL sandbox: no server binaries, and {problem[0]}",
        hint="install PostgreSQL (apt-get install postgresql, brew install postgresql@16) "
        f"or set DBCTL_PG_BINDIR to its bin directory; or: {problem[1]}",
    )


def _unprivileged_ids() -> tuple[int, int] | None:
    if os.geteuid() != 0:
        return None
    import pwd

    for name in ("postgres", "nobody"):
        with contextlib.suppress(KeyError):
            entry = pwd.getpwnam(name)
            return entry.pw_uid, entry.pw_gid
    raise SandboxError(
        "initdb refuses to run as root and there is no 'postgres' or 'nobody' user",
        hint="run dbctl as an unprivileged user",
    )


def _run_as(ids: tuple[int, int] | None) -> dict[str, Any]:
    if ids is None:
        return {}
    return {"user": ids[0], "group": ids[1], "extra_groups": []}


def _chown_tree(path: Path, ids: tuple[int, int] | None) -> None:
    if ids is None:
        return
    os.chown(path, *ids)
    for root, dirs, files in os.walk(path):
        for name in dirs + files:
            os.chown(os.path.join(root, name), *ids)


def temp_root() -> Path:
    """Where sandbox directories are created: ``DBCTL_SANDBOX_TMPDIR`` or the system's."""
    env = os.environ.get("DBCTL_SANDBOX_TMPDIR")
    root = Path(env) if env else Path(tempfile.gettempdir())
    if not root.is_dir():
        raise SandboxError(
            f"the sandbox directory root {root} is not a directory",
            hint="set DBCTL_SANDBOX_TMPDIR to an existing, writable directory (or unset it)",
        )
    if "\n" in str(root):
        raise SandboxError("DBCTL_SANDBOX_TMPDIR must not contain a line break")
    return root


def _make_dir() -> tuple[Path, str]:
    """A new sandbox directory with its marker file (random id) written first."""
    root = temp_root()
    try:
        tmp = Path(tempfile.mkdtemp(prefix="dbctl-sandbox-", dir=root))
    except OSError as exc:
        raise SandboxError(
            f"cannot create a sandbox directory in {root}: {exc.strerror or exc}",
            hint="set DBCTL_SANDBOX_TMPDIR to a writable directory",
        ) from None
    marker = secrets.token_hex(16)
    (tmp / MARKER_FILE).write_text(marker + "\n")
    return tmp, marker


def remove_marked(path: Path, marker: str | None) -> bool:
    """Delete ``path`` only if it carries ``marker``; True if it was deleted."""
    if marker is None or not has_marker(path, marker):
        return False
    shutil.rmtree(path, ignore_errors=True)
    return True


class Watchdog:
    """The cleanup process of :mod:`dbctl.watchdog`, fed through a pipe.

    If this process dies in any way (SIGKILL included) the pipe closes and the watchdog
    stops the server, the container and removes the marked directory within seconds.
    """

    def __init__(self) -> None:
        script = Path(__file__).with_name("watchdog.py")
        self._proc: subprocess.Popen[str] | None = subprocess.Popen(
            [sys.executable, str(script)],
            stdin=subprocess.PIPE,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,  # no terminal signals: it must outlive a Ctrl-C'd dbctl
            text=True,
        )

    def tell(self, line: str) -> None:
        proc = self._proc
        if proc is None or proc.stdin is None:
            return
        with contextlib.suppress(OSError, ValueError):
            proc.stdin.write(line + "\n")
            proc.stdin.flush()

    def detach(self) -> None:
        """Nothing to clean up (any more): let the watchdog go."""
        proc, self._proc = self._proc, None
        if proc is None:
            return
        with contextlib.suppress(OSError, ValueError):
            assert proc.stdin is not None
            proc.stdin.write("detach\n")
            proc.stdin.close()
        with contextlib.suppress(subprocess.TimeoutExpired):
            proc.wait(timeout=5)


def _start_local(
    bindir: Path,
    settings: dict[str, str],
    hba: list[str],
    user: str,
    password: str,
    ready_timeout: float,
    record: Callable[[Sandbox], object] | None = None,
) -> Sandbox:
    ids = _unprivileged_ids()
    tmp, marker = _make_dir()
    dog: Watchdog | None = None
    init: subprocess.Popen[str] | None = None
    sandbox: Sandbox | None = None
    try:
        dog = Watchdog()
        dog.tell(f"dir {tmp} {marker}")
        if record is not None:  # status/stop find what start began, even if it dies here
            record(
                Sandbox(
                    backend="local",
                    host="127.0.0.1",
                    port=0,
                    user=user,
                    password=password,
                    tmpdir=tmp,
                    bindir=bindir,
                    marker=marker,
                    status="starting",
                )
            )
        _chown_tree(tmp, ids)
        datadir = tmp / "data"
        pwfile = tmp / "pwfile"
        fd = os.open(pwfile, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as fh:
            fh.write(password + "\n")
        _chown_tree(tmp, ids)
        env = {k: v for k, v in os.environ.items() if not k.startswith("PG")}
        env["LC_ALL"] = "C"
        init = subprocess.Popen(
            [
                str(bindir / "initdb"),
                "-D",
                str(datadir),
                "-U",
                user,
                f"--pwfile={pwfile}",
                "--auth=scram-sha-256",
                "-E",
                "UTF8",
                "--locale=C",
                "--no-sync",
                "--no-instructions",
            ],
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            env=env,
            cwd=tmp,
            **_run_as(ids),
        )
        dog.tell(f"pid {init.pid} {tmp}")
        try:
            output, _ = init.communicate(timeout=120)
        finally:
            pwfile.unlink(missing_ok=True)  # initdb has read it (or is gone)
        dog.tell(f"unpid {init.pid}")
        if init.returncode != 0:
            raise SandboxError(f"initdb failed: {output.strip()[-500:]}")
        init = None
        if hba:
            hba_file = datadir / "pg_hba.conf"
            hba_file.write_text("\n".join(hba) + "\n" + hba_file.read_text())
            _chown_tree(datadir, ids)
        version = (datadir / "PG_VERSION").read_text().strip()
        last_error = ""
        for _attempt in range(3):
            port = free_port()
            sandbox = _launch(bindir, tmp, port, {**SERVER_SETTINGS, **settings}, env, ids)
            dog.tell(f"pid {sandbox.pid} {tmp}")
            sandbox.user, sandbox.password, sandbox.version = user, password, version
            sandbox.marker, sandbox._watchdog = marker, dog
            register_secret(password)
            if _wait_ready(sandbox, ready_timeout):
                if record is not None:
                    record(sandbox)
                return sandbox
            last_error = sandbox.log_tail()
            if sandbox._proc is not None and sandbox._proc.poll() is None:
                _stop_pid(sandbox.pid or 0, sandbox._proc)
            dog.tell(f"unpid {sandbox.pid}")
            sandbox = None
            if "in use" not in last_error:
                break
        raise SandboxError(f"the sandbox server did not start:\n{last_error}")
    except BaseException:
        if init is not None and init.poll() is None:
            init.kill()
            init.wait()
        if sandbox is not None and sandbox.pid is not None:
            _stop_pid(sandbox.pid, sandbox._proc)
        remove_marked(tmp, marker)
        if dog is not None:
            dog.detach()
        raise


def _launch(
    bindir: Path,
    tmp: Path,
    port: int,
    settings: dict[str, str],
    env: dict[str, str],
    ids: tuple[int, int] | None,
) -> Sandbox:
    args = [str(bindir / "postgres"), "-D", str(tmp / "data"), "-p", str(port), "-k", str(tmp)]
    for key, value in settings.items():
        args += ["-c", f"{key}={value}"]
    log = tmp / "server.log"
    with log.open("ab") as fh:
        if ids is not None:
            os.chown(log, *ids)
        proc = subprocess.Popen(
            args,
            stdout=fh,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            env=env,
            cwd=tmp,
            start_new_session=True,  # Ctrl-C in the terminal is handled by us, not postgres
            **_run_as(ids),
        )
    return Sandbox(
        backend="local",
        host="127.0.0.1",
        port=port,
        user="",
        password="",
        pid=proc.pid,
        tmpdir=tmp,
        bindir=bindir,
        _proc=proc,
    )


def _wait_ready(sandbox: Sandbox, timeout: float) -> bool:
    """postmaster.pid's 8th line says 'ready' once the server accepts connections."""
    assert sandbox.tmpdir is not None
    pidfile = sandbox.tmpdir / "data" / "postmaster.pid"
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if sandbox._proc is not None and sandbox._proc.poll() is not None:
            return False
        with contextlib.suppress(OSError):
            lines = pidfile.read_text().splitlines()
            if len(lines) >= 8 and lines[7].strip() == "ready":
                return True
        time.sleep(0.05)
    return False


def _stop_pid(pid: int, proc: subprocess.Popen[bytes] | None, timeout: float = 15.0) -> None:
    """Fast shutdown (SIGINT) of a server we started, then immediate, then kill."""
    stop_process(pid, timeout)
    if proc is not None:
        with contextlib.suppress(Exception):
            proc.wait(timeout=1)


def _start_docker(user: str, password: str) -> Sandbox:
    import warnings

    with warnings.catch_warnings():  # testcontainers.postgres announces its move
        warnings.simplefilter("ignore", DeprecationWarning)
        from testcontainers.postgres import PostgresContainer

    image = docker_image()
    container = PostgresContainer(
        image,
        username=user,
        password=password,
        dbname="postgres",
        labels=docker_labels(),
    )
    # published on 127.0.0.1 only (a random port), never on every interface of the host:
    # docker's port binding (HostIp,) — testcontainers passes ``ports`` to docker as is
    container.ports["5432"] = ("127.0.0.1",)  # type: ignore[assignment]
    dog = Watchdog()
    try:
        try:
            container.start()
        finally:
            wrapped = _wrapped(container)
            if wrapped is not None:
                dog.tell(f"container {wrapped.id}")
        port = int(container.get_exposed_port(5432))
    except BaseException as exc:
        with contextlib.suppress(Exception):
            container.stop()
        dog.detach()
        if isinstance(exc, Exception):
            raise SandboxError(
                f"cannot start the Docker image {image}: {_docker_reason(exc)}",
                hint="set DBCTL_SANDBOX_IMAGE to a PostgreSQL image this engine has or can "
                "pull (docker images); check that the Docker daemon is running",
            ) from None
        raise
    return Sandbox(
        backend="docker",
        host="127.0.0.1",
        port=port,
        user=user,
        password=password,
        _container=container,
        _watchdog=dog,
    )


DOCKER_LABEL = "org.fastapi-dbctl.sandbox"


def docker_labels() -> dict[str, str]:
    """The labels of a sandbox container: what made it, and which dbctl process owns it
    (``docker ps --filter label=org.fastapi-dbctl.sandbox`` lists them)."""
    return {DOCKER_LABEL: "1", f"{DOCKER_LABEL}.pid": str(os.getpid())}


def _wrapped(container: Any) -> Any:
    with contextlib.suppress(Exception):
        return container.get_wrapped_container()
    return None


def _docker_reason(exc: Exception) -> str:
    """One line from a docker/testcontainers error (the API's explanation if any)."""
    explanation = getattr(exc, "explanation", None)
    text = str(explanation or exc).strip().splitlines()
    line = text[0] if text else type(exc).__name__
    return line[:300]


# --------------------------------------------------------------------------------------
# detached sandboxes (dbctl sandbox start / status / stop)


def state_path() -> Path:
    override = os.environ.get("DBCTL_SANDBOX_STATE")
    if override:
        return Path(override)
    base = os.environ.get("XDG_STATE_HOME") or os.path.join(Path.home(), ".local", "state")
    return Path(base) / "dbctl" / "sandbox.json"


def save_state(sandbox: Sandbox) -> Path:
    """Write the state atomically (mode 0600): never a half-written file."""
    path = state_path()
    text = json.dumps(sandbox.to_state())
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as fh:
            fh.write(text)
        os.replace(tmp, path)
    except OSError as exc:
        raise SandboxError(
            f"cannot write the sandbox state file {path}: {exc.strerror or exc}",
            hint="set DBCTL_SANDBOX_STATE to a writable path",
        ) from None
    return path


def load_state() -> Sandbox | None:
    """The detached sandbox's state, validated; None if there is none.

    Anything unexpected is a :class:`SandboxError` (exit 2): dbctl stops and deletes
    nothing it cannot verify."""
    path = state_path()
    if path.exists() and not path.is_file() and not path.is_dir():
        # a FIFO or device: opening it could wait forever for a writer
        raise SandboxError(
            f"cannot read the sandbox state file {path}: not a regular file",
            hint="set DBCTL_SANDBOX_STATE to a file path (or unset it)",
        )
    try:
        data = json.loads(path.read_text())
    except (FileNotFoundError, NotADirectoryError):
        return None
    except (OSError, ValueError) as exc:
        raise SandboxError(
            f"cannot read the sandbox state file {path}: {exc}",
            hint=f"nothing was stopped or deleted; remove it (rm {path}) if it is stale",
        ) from None
    try:
        return _from_state(data)
    except ValueError as exc:
        raise SandboxError(
            f"the sandbox state file {path} is not valid: {exc}",
            hint=f"nothing was stopped or deleted; remove it (rm {path}) if it is stale",
        ) from None


def _from_state(data: Any) -> Sandbox:
    if not isinstance(data, dict):
        raise ValueError("not a JSON object")

    def text(name: str, *, optional: bool = False, default: str | None = None) -> Any:
        value = data.get(name, default)
        if value is None and optional:
            return None
        if not isinstance(value, str) or (not value and not optional):
            raise ValueError(f"{name} must be a non-empty string")
        return value

    def number(name: str, low: int, high: int, *, optional: bool = False) -> Any:
        value = data.get(name)
        if value is None and optional:
            return None
        if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
            raise ValueError(f"{name} must be an integer from {low} to {high}")
        return value

    backend = text("backend")
    if backend != "local":
        raise ValueError(f"backend {backend!r} is not one a detached sandbox uses (local)")
    status = text("status", default="running")
    if status not in {"starting", "running"}:
        raise ValueError("status must be 'starting' or 'running'")
    tmpdir = text("tmpdir", optional=True)
    marker = text("marker", optional=True)
    if tmpdir is not None:
        path = Path(tmpdir)
        if not path.is_absolute() or not path.name.startswith("dbctl-sandbox-"):
            raise ValueError("tmpdir is not a sandbox directory (dbctl-sandbox-*)")
        if marker is None or len(marker) != 32 or not all(c in "0123456789abcdef" for c in marker):
            raise ValueError("marker must be the 32 hex digits dbctl wrote")
    return Sandbox(
        backend=backend,
        host=text("host"),
        port=number("port", 0 if status == "starting" else 1, 65535),
        user=text("user"),
        password=text("password", optional=True) or "",
        database=text("database", default="postgres"),
        pid=number("pid", 1, 2**31 - 1, optional=True),
        tmpdir=Path(tmpdir) if tmpdir else None,
        bindir=Path(text("bindir", optional=True)) if data.get("bindir") else None,
        version=text("version", optional=True),
        marker=marker,
        status=status,
    )


def owns_directory(sandbox: Sandbox) -> bool:
    """The recorded directory exists and carries the recorded marker."""
    return (
        sandbox.tmpdir is not None
        and sandbox.marker is not None
        and (has_marker(sandbox.tmpdir, sandbox.marker))
    )


def is_running(sandbox: Sandbox) -> bool:
    """True when the recorded pid is still *our* postgres (its cmdline names our datadir)."""
    if sandbox.pid is None or sandbox.tmpdir is None:
        return False
    return process_matches(sandbox.pid, str(sandbox.tmpdir))


def clear_state() -> None:
    with contextlib.suppress(FileNotFoundError, NotADirectoryError):
        state_path().unlink()

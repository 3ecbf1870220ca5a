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
import signal
import socket
import subprocess
import tempfile
import time
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any, Literal
from urllib.parse import quote

from dbctl.errors import UsageError, register_secret

Backend = Literal["auto", "local", "docker"]
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
    _container: Any = field(default=None, repr=False)
    _proc: subprocess.Popen[bytes] | None = field(default=None, repr=False)

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
            shutil.rmtree(self.tmpdir, ignore_errors=True)
            self.tmpdir = None

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


def docker_available() -> bool:
    """True when a Docker engine answers (and testcontainers is installed)."""
    try:
        import docker  # from testcontainers' dependencies
    except ImportError:
        return False
    try:
        client = docker.from_env(timeout=3)
        client.ping()
    except Exception:
        return False
    return True


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
) -> Sandbox:
    """Start a sandbox. ``settings`` are extra server settings, ``hba`` extra pg_hba lines
    placed before the defaults (local backend only)."""
    password = password or secrets.token_urlsafe(18)
    if backend in ("auto", "local"):
        bindir = find_bindir()
        if bindir is not None:
            return _start_local(bindir, settings or {}, hba or [], user, password, ready_timeout)
        if backend == "local":
            raise SandboxError(
                "no PostgreSQL server binaries (initdb, postgres) found",
                hint="install them (apt-get install postgresql / brew install postgresql@16) "
                "or set DBCTL_PG_BINDIR",
            )
    if docker_available():
        return _start_docker(user, password)
    raise SandboxError(
        "cannot start a PostgreSQL sandbox: no server binaries and no Docker engine",
        hint="install PostgreSQL (apt-get install postgresql, brew install postgresql@16), "
        "set DBCTL_PG_BINDIR to its bin directory, or start Docker",
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


def _start_local(
    bindir: Path,
    settings: dict[str, str],
    hba: list[str],
    user: str,
    password: str,
    ready_timeout: float,
) -> Sandbox:
    ids = _unprivileged_ids()
    base = os.environ.get("DBCTL_SANDBOX_TMPDIR") or None
    tmp = Path(tempfile.mkdtemp(prefix="dbctl-sandbox-", dir=base))
    try:
        _chown_tree(tmp, ids)
        datadir = tmp / "data"
        pwfile = tmp / "pwfile"
        pwfile.write_text(password + "\n")
        pwfile.chmod(0o600)
        _chown_tree(tmp, ids)
        env = {k: v for k, v in os.environ.items() if not k.startswith("PG")}
        env["LC_ALL"] = "C"
        init = subprocess.run(
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
            capture_output=True,
            text=True,
            env=env,
            cwd=tmp,
            timeout=120,
            check=False,
            **_run_as(ids),
        )
        pwfile.unlink()
        if init.returncode != 0:
            raise SandboxError(f"initdb failed: {(init.stderr or init.stdout).strip()[-500:]}")
        if hba:
            hba_file = datadir / "pg_hba.conf"
            hba_file.write_text("\n".join(hba) + "\n" + hba_file.read_text())
            _chown_tree(datadir, ids)
        version = (datadir / "PG_VERSION").read_text().strip()
        last_error = ""
        for _attempt in range(3):
            port = free_port()
            sandbox = _launch(bindir, tmp, port, {**SERVER_SETTINGS, **settings}, env, ids)
            sandbox.user, sandbox.password, sandbox.version = user, password, version
            register_secret(password)
            if _wait_ready(sandbox, ready_timeout):
                return sandbox
            last_error = sandbox.log_tail()
            if sandbox._proc is not None and sandbox._proc.poll() is None:
                _stop_pid(sandbox.pid or 0, sandbox._proc)
            if "in use" not in last_error:
                break
        raise SandboxError(f"the sandbox server did not start:\n{last_error}")
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
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
    for sig, wait in ((signal.SIGINT, timeout), (signal.SIGQUIT, 5.0), (signal.SIGKILL, 5.0)):
        try:
            os.kill(pid, sig)
        except ProcessLookupError:
            break
        if _wait_gone(pid, proc, wait):
            break
    if proc is not None:
        with contextlib.suppress(Exception):
            proc.wait(timeout=1)


def _wait_gone(pid: int, proc: subprocess.Popen[bytes] | None, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc is not None:
            if proc.poll() is not None:
                return True
        else:
            try:
                os.kill(pid, 0)
            except ProcessLookupError:
                return True
            with contextlib.suppress(OSError):  # a zombie counts as gone
                if Path(f"/proc/{pid}/stat").read_text().split()[2] == "Z":
                    return True
        time.sleep(0.05)
    return False


def _start_docker(user: str, password: str) -> Sandbox:
    from testcontainers.postgres import PostgresContainer

    image = os.environ.get("DBCTL_SANDBOX_IMAGE", "postgres:16-alpine")
    container = PostgresContainer(image, username=user, password=password, dbname="postgres")
    container.start()
    host = container.get_container_host_ip()
    if host == "localhost":
        host = "127.0.0.1"
    return Sandbox(
        backend="docker",
        host=host,
        port=int(container.get_exposed_port(5432)),
        user=user,
        password=password,
        _container=container,
    )


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
    path = state_path()
    try:
        data = json.loads(path.read_text())
    except (FileNotFoundError, NotADirectoryError):
        return None
    except (OSError, ValueError) as exc:
        raise SandboxError(f"cannot read the sandbox state file {path}: {exc}") from None
    sandbox = Sandbox(
        backend=data["backend"],
        host=data["host"],
        port=int(data["port"]),
        user=data["user"],
        password=data["password"],
        database=data.get("database", "postgres"),
        pid=data.get("pid"),
        tmpdir=Path(data["tmpdir"]) if data.get("tmpdir") else None,
        bindir=Path(data["bindir"]) if data.get("bindir") else None,
        version=data.get("version"),
    )
    return sandbox


def is_running(sandbox: Sandbox) -> bool:
    """True when the recorded pid is still *our* postgres (its cmdline names our datadir)."""
    if sandbox.pid is None or sandbox.tmpdir is None:
        return False
    try:
        cmdline = Path(f"/proc/{sandbox.pid}/cmdline").read_bytes().decode(errors="replace")
    except OSError:
        try:
            os.kill(sandbox.pid, 0)
        except (ProcessLookupError, PermissionError):
            return False
        return True
    return str(sandbox.tmpdir) in cmdline


def clear_state() -> None:
    with contextlib.suppress(FileNotFoundError):
        state_path().unlink()

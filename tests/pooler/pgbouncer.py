"""A real PgBouncer (the Debian ``pgbouncer`` binary) on 127.0.0.1 in front of a sandbox.

:func:`start` writes a configuration into a private directory, starts ``pgbouncer`` in the
foreground as a child process (``-u`` to an unprivileged user when we are root: PgBouncer
refuses to run as root), waits until it accepts connections and returns a
:class:`PgBouncer`; :meth:`PgBouncer.stop` ends exactly that process.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import quote

from dbctl import sandbox
from tests.check.conftest import _has_user


class PgBouncerUnavailable(Exception):
    """No pgbouncer binary on this machine."""


@dataclass
class PgBouncer:
    host: str
    port: int
    mode: str
    user: str
    password: str = field(repr=False)
    tmpdir: Path
    proc: subprocess.Popen[bytes] | None = field(default=None, repr=False)

    def url(self, database: str, *, user: str | None = None, password: str | None = None) -> str:
        u = quote(user or self.user, safe="")
        pw = quote(self.password if password is None else password, safe="")
        return f"postgresql+asyncpg://{u}:{pw}@{self.host}:{self.port}/{database}"

    def dsn(self, database: str) -> str:
        return self.url(database).replace("postgresql+asyncpg://", "postgresql://")

    def log(self) -> str:
        with contextlib.suppress(OSError):
            return (self.tmpdir / "pgbouncer.log").read_text(errors="replace")
        return ""

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGINT)  # "safe shutdown" for pgbouncer: immediate
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.proc = None
        shutil.rmtree(self.tmpdir, ignore_errors=True)


def binary() -> str:
    found = shutil.which("pgbouncer") or (
        "/usr/sbin/pgbouncer" if os.path.exists("/usr/sbin/pgbouncer") else None
    )
    if found is None:
        raise PgBouncerUnavailable("pgbouncer is not installed (apt-get install pgbouncer)")
    return found


def start(
    server: Any,
    mode: str,
    *,
    pool_size: int = 1,
    max_client_conn: int = 20,
    extra: dict[str, str] | None = None,
    server_port: int | None = None,
    port: int | None = None,
) -> PgBouncer:
    """PgBouncer in ``mode`` (session/transaction/statement) in front of ``server``.

    ``server_port`` points it at another port (a server that is down). ``pool_size`` 1
    makes every client share one server connection, so leftovers are visible."""
    exe = binary()
    tmp = Path(tempfile.mkdtemp(prefix="dbctl-pgbouncer-"))
    port = port or sandbox.free_port()
    users = tmp / "userlist.txt"
    users.write_text(f'"{server.user}" "{server.password}"\n')
    settings = {
        "listen_addr": "127.0.0.1",
        "listen_port": str(port),
        "unix_socket_dir": "",
        "auth_type": "scram-sha-256",
        "auth_file": str(users),
        "pool_mode": mode,
        "default_pool_size": str(pool_size),
        "min_pool_size": "0",
        "reserve_pool_size": "0",
        "max_client_conn": str(max_client_conn),
        "logfile": str(tmp / "pgbouncer.log"),
        "pidfile": "",
        "admin_users": server.user,
        "server_login_retry": "1",
        "query_wait_timeout": "3",
        "ignore_startup_parameters": "extra_float_digits",
        **(extra or {}),
    }
    target = server_port or server.port
    config = "[databases]\n" + f"* = host=127.0.0.1 port={target}\n\n[pgbouncer]\n"
    config += "".join(f"{k} = {v}\n" for k, v in settings.items())
    ini = tmp / "pgbouncer.ini"
    ini.write_text(config)
    args = [exe, str(ini)]
    if os.geteuid() == 0:
        import pwd

        entry = pwd.getpwnam("postgres") if _has_user("postgres") else pwd.getpwnam("nobody")
        for path in (tmp, users, ini):
            os.chown(path, entry.pw_uid, entry.pw_gid)
        users.chmod(0o600)
        args = [exe, "-u", entry.pw_name, str(ini)]
    proc = subprocess.Popen(
        args,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    bouncer = PgBouncer("127.0.0.1", port, mode, server.user, server.password, tmp, proc)
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            log = bouncer.log()
            bouncer.stop()
            raise RuntimeError(f"pgbouncer exited ({proc.returncode}): {log[-800:]}")
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), 0.2):
            return bouncer
        time.sleep(0.05)
    log = bouncer.log()
    bouncer.stop()
    raise RuntimeError(f"pgbouncer did not listen on {port}: {log[-800:]}")


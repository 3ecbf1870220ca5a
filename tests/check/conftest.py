"""Fixtures for the ``dbctl check`` tests: dedicated sandboxes, held connections,
a port that accepts and never answers, and a helper that runs human + JSON output."""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from dbctl import sandbox
from tests.conftest import CANARY, CliResult, _no_server


@dataclass
class Checked:
    """Both renderings of one ``dbctl check`` run."""

    human: CliResult
    json_result: CliResult
    data: dict[str, Any]

    @property
    def exit_code(self) -> int:
        return self.human.exit_code

    def row(self, check_id: str) -> dict[str, Any]:
        return next(c for c in self.data["checks"] if c["id"] == check_id)

    def status(self, check_id: str) -> str:
        return str(self.row(check_id)["status"])


@pytest.fixture
def check(cli: Any) -> Callable[..., Checked]:
    """``check("--url", u)`` runs ``dbctl check`` in human and in JSON form and proves the
    CANARY password appears in neither stdout nor stderr, and both agree on the exit code."""

    def run(*args: str, env: dict[str, str] | None = None) -> Checked:
        human = cli("check", *args, env=env)
        js = cli("check", *args, "--format", "json", env=env)
        for res in (human, js):
            assert CANARY not in res.stdout, res.stdout
            assert CANARY not in res.stderr, res.stderr
        assert human.exit_code == js.exit_code, (human, js)
        data = json.loads(js.stdout) if js.stdout.strip() else {}
        return Checked(human, js, data)

    return run


def _dedicated(**kwargs: Any) -> Iterator[sandbox.Sandbox]:
    try:
        server = sandbox.start(**kwargs)
    except sandbox.SandboxError as exc:
        _no_server(exc.message)  # skips locally, fails when CI is set
        return
    try:
        yield server
    finally:
        server.stop()


HBA = [
    "host rejectdb all 127.0.0.1/32 reject",
    "hostnossl tlsonly all 127.0.0.1/32 reject",
]


@pytest.fixture(scope="module")
def hba_server() -> Iterator[sandbox.Sandbox]:
    """A server without TLS whose pg_hba rejects databases ``rejectdb`` and ``tlsonly``."""
    yield from _dedicated(hba=HBA)


@pytest.fixture(scope="module")
def tls_server() -> Iterator[sandbox.Sandbox]:
    """A server with TLS (a self-signed certificate for 'localhost') whose pg_hba rejects
    unencrypted connections to database ``tlsonly``."""
    openssl = shutil.which("openssl")
    if openssl is None:
        if os.environ.get("CI"):
            pytest.fail("CI is set and openssl (for a test certificate) is missing", pytrace=False)
        pytest.skip("openssl is needed to make a test certificate")
    # not under pytest's tmp dirs: their parents are private to us, the server is not us
    certdir = Path(tempfile.mkdtemp(prefix="dbctl-test-tls-"))
    crt, key = certdir / "server.crt", certdir / "server.key"
    subprocess.run(
        [
            openssl,
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-days",
            "2",
            "-subj",
            "/CN=localhost",
            "-keyout",
            str(key),
            "-out",
            str(crt),
        ],
        check=True,
        capture_output=True,
        timeout=60,
    )
    key.chmod(0o600)
    if os.geteuid() == 0:  # the server runs as an unprivileged user and must own its key
        import pwd

        entry = pwd.getpwnam("postgres") if _has_user("postgres") else pwd.getpwnam("nobody")
        for path in (certdir, crt, key):
            os.chown(path, entry.pw_uid, entry.pw_gid)
    try:
        yield from _dedicated(
            hba=HBA,
            settings={"ssl": "on", "ssl_cert_file": str(crt), "ssl_key_file": str(key)},
        )
    finally:
        shutil.rmtree(certdir, ignore_errors=True)


def _has_user(name: str) -> bool:
    import pwd

    try:
        pwd.getpwnam(name)
    except KeyError:
        return False
    return True


@pytest.fixture(scope="module")
def tiny_server() -> Iterator[sandbox.Sandbox]:
    """A server with three connection slots and none reserved."""
    yield from _dedicated(settings={"max_connections": "3", "superuser_reserved_connections": "0"})


@pytest.fixture
def own_server() -> Iterator[sandbox.Sandbox]:
    """A server for one test (which may shut it down)."""
    yield from _dedicated()


HOLD_SCRIPT = """
import asyncio, sys
import asyncpg

async def main():
    conns = [await asyncpg.connect(sys.argv[1], timeout=10) for _ in range(int(sys.argv[2]))]
    print("ready", flush=True)
    await asyncio.get_running_loop().run_in_executor(None, sys.stdin.read)
    for c in conns:
        c.terminate()

asyncio.run(main())
"""


@contextmanager
def hold_connections(dsn: str, count: int) -> Iterator[None]:
    """Hold ``count`` connections open from another process until the block ends."""
    proc = subprocess.Popen(
        [sys.executable, "-c", HOLD_SCRIPT, dsn, str(count)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert proc.stdout is not None
        line = proc.stdout.readline()
        assert line.strip() == "ready", proc.stderr.read() if proc.stderr else line
        yield
    finally:
        if proc.stdin is not None:
            proc.stdin.close()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


@pytest.fixture
def silent_port() -> Iterator[int]:
    """A port on 127.0.0.1 that accepts TCP connections (the kernel's backlog) and never
    answers a byte."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen(16)
        yield int(sock.getsockname()[1])


@pytest.fixture
def refused_port() -> int:
    """A port on 127.0.0.1 where nothing listens."""
    return sandbox.free_port()


@contextmanager
def delayed_proxy(target_port: int, delay: float) -> Iterator[int]:
    """A TCP forwarder to 127.0.0.1:target_port that starts listening only after
    ``delay`` seconds: a database that "comes up" while ``--wait`` is retrying."""
    import threading

    port = sandbox.free_port()
    stop = threading.Event()
    threads: list[threading.Thread] = []

    def pump(src: socket.socket, dst: socket.socket) -> None:
        try:
            while data := src.recv(65536):
                dst.sendall(data)
        except OSError:
            pass
        finally:
            for s in (src, dst):
                with contextlib.suppress(OSError):
                    s.shutdown(socket.SHUT_RDWR)

    def serve() -> None:
        if stop.wait(delay):
            return
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as lsock:
            lsock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            lsock.bind(("127.0.0.1", port))
            lsock.listen(16)
            lsock.settimeout(0.1)
            while not stop.is_set():
                try:
                    client, _ = lsock.accept()
                except TimeoutError:
                    continue
                upstream = socket.create_connection(("127.0.0.1", target_port))
                for a, b in ((client, upstream), (upstream, client)):
                    t = threading.Thread(target=pump, args=(a, b), daemon=True)
                    t.start()
                    threads.append(t)

    server = threading.Thread(target=serve, daemon=True)
    server.start()
    try:
        yield port
    finally:
        stop.set()
        server.join(timeout=5)

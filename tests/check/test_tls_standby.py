"""TLS with a CA given the libpq ways (PGSSLROOTCERT, ~/.postgresql/root.crt), an explicit
pg_hba reject on a server that offers TLS, and a real streaming standby
(pg_basebackup -R on a second port)."""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest

from dbctl import sandbox
from tests.check.conftest import HBA, _dedicated, _has_user
from tests.conftest import _no_server

pytestmark = pytest.mark.db


def _openssl(*args: str, cwd: Path) -> None:
    openssl = shutil.which("openssl")
    if openssl is None:
        if os.environ.get("CI"):
            pytest.fail("CI is set and openssl (for test certificates) is missing", pytrace=False)
        pytest.skip("openssl is needed to make test certificates")
    subprocess.run([openssl, *args], cwd=cwd, check=True, capture_output=True, timeout=60)


def _server_ids() -> tuple[int, int] | None:
    if os.geteuid() != 0:
        return None
    import pwd

    entry = pwd.getpwnam("postgres") if _has_user("postgres") else pwd.getpwnam("nobody")
    return entry.pw_uid, entry.pw_gid


@dataclass
class CaServer:
    server: sandbox.Sandbox
    ca: Path


@pytest.fixture(scope="module")
def ca_server() -> Iterator[CaServer]:
    """A TLS server whose certificate (CN and SAN localhost) is signed by a test CA."""
    certdir = Path(tempfile.mkdtemp(prefix="dbctl-test-ca-"))
    _openssl(
        "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj", "/CN=dbctl test CA",
        "-keyout", "ca.key", "-out", "ca.crt", cwd=certdir,
    )  # fmt: skip
    _openssl(
        "req", "-newkey", "rsa:2048", "-nodes", "-subj", "/CN=localhost",
        "-keyout", "server.key", "-out", "server.csr", cwd=certdir,
    )  # fmt: skip
    (certdir / "san.ext").write_text("subjectAltName=DNS:localhost,IP:127.0.0.1\n")
    _openssl(
        "x509", "-req", "-in", "server.csr", "-CA", "ca.crt", "-CAkey", "ca.key",
        "-CAcreateserial", "-days", "2", "-extfile", "san.ext", "-out", "server.crt",
        cwd=certdir,
    )  # fmt: skip
    key = certdir / "server.key"
    key.chmod(0o600)
    ids = _server_ids()
    if ids is not None:
        for path in (certdir, certdir / "server.crt", key):
            os.chown(path, *ids)
    try:
        for server in _dedicated(
            hba=HBA,
            settings={
                "ssl": "on",
                "ssl_cert_file": str(certdir / "server.crt"),
                "ssl_key_file": str(key),
            },
        ):
            yield CaServer(server, certdir / "ca.crt")
    finally:
        shutil.rmtree(certdir, ignore_errors=True)


def _url(server: sandbox.Sandbox, host: str, db: str, query: str) -> str:
    pw = quote(server.password, safe="")
    return f"postgresql+asyncpg://{server.user}:{pw}@{host}:{server.port}/{db}{query}"


def test_verify_full_with_ca_from_pgsslrootcert(
    check: Any, ca_server: CaServer, tmp_path: Path
) -> None:
    url = _url(ca_server.server, "localhost", "postgres", "?ssl=verify-full")
    res = check("--url", url, env={"PGSSLROOTCERT": str(ca_server.ca), "HOME": str(tmp_path)})
    assert res.exit_code == 0, res.human.all
    tls = res.row("tls")
    assert tls["status"] == "pass" and tls["data"]["encrypted"] is True


def test_verify_full_with_ca_in_home_root_crt(
    check: Any, ca_server: CaServer, tmp_path: Path
) -> None:
    (tmp_path / ".postgresql").mkdir()
    shutil.copy(ca_server.ca, tmp_path / ".postgresql" / "root.crt")
    url = _url(ca_server.server, "localhost", "postgres", "?ssl=verify-full")
    res = check("--url", url, env={"HOME": str(tmp_path)})
    assert res.exit_code == 0, res.human.all


def test_verify_full_without_ca_says_how_to_give_one(
    check: Any, ca_server: CaServer, tmp_path: Path
) -> None:
    url = _url(ca_server.server, "localhost", "postgres", "?ssl=verify-full")
    res = check("--url", url, env={"HOME": str(tmp_path)})
    assert res.exit_code == 1
    tls = res.row("tls")
    assert tls["code"] == "tls.verify_failed"
    assert "PGSSLROOTCERT" in tls["hint"] and "connect_args" in tls["hint"]
    assert "<" not in tls["summary"]  # no Python repr


def test_hba_reject_on_a_tls_server_is_a_rejection_not_tls_required(
    check: Any, ca_server: CaServer
) -> None:
    res = check("--url", _url(ca_server.server, "127.0.0.1", "rejectdb", "?ssl=disable"))
    assert res.exit_code == 1
    auth = res.row("auth")
    assert auth["code"] == "auth.rejected", res.human.all
    assert "TLS would not help" in auth["hint"]


def test_invalid_ssl_value_is_a_config_failure(check: Any, ca_server: CaServer) -> None:
    res = check("--url", _url(ca_server.server, "127.0.0.1", "postgres", "?ssl=junk"))
    assert res.exit_code == 1
    config = res.row("config")
    assert config["code"] == "config.bad_parameter" and "ssl" in config["summary"]
    assert "<" not in config["summary"] and "'junk'" in config["summary"]


# --- a streaming standby ------------------------------------------------------------------


@dataclass
class Standby:
    primary: sandbox.Sandbox
    port: int
    proc: subprocess.Popen[bytes]
    datadir: Path


@pytest.fixture(scope="module")
def standby() -> Iterator[Standby]:
    """A primary sandbox and a hot standby made with ``pg_basebackup -R`` on a second port."""
    for primary in _dedicated():
        assert primary.bindir is not None and primary.tmpdir is not None
        ids = _server_ids()
        datadir = Path(tempfile.mkdtemp(prefix="dbctl-standby-")) / "data"
        env = {**{k: v for k, v in os.environ.items() if not k.startswith("PG")}}
        env["PGPASSWORD"] = primary.password
        base = subprocess.run(
            [
                str(primary.bindir / "pg_basebackup"), "-D", str(datadir), "-R", "-X", "stream",
                "-h", "127.0.0.1", "-p", str(primary.port), "-U", primary.user, "--no-sync",
            ],
            env=env, capture_output=True, text=True, timeout=120, check=False,
        )  # fmt: skip
        if base.returncode != 0:
            _no_server(f"pg_basebackup failed: {base.stderr.strip()[-300:]}")
        if ids is not None:
            for root, dirs, files in os.walk(datadir.parent):
                os.chown(root, *ids)
                for name in dirs + files:
                    os.chown(os.path.join(root, name), *ids)
        datadir.chmod(0o700)
        port = sandbox.free_port()
        args = [
            str(primary.bindir / "postgres"), "-D", str(datadir), "-p", str(port),
            "-k", str(datadir.parent), "-c", "listen_addresses=127.0.0.1", "-c", "fsync=off",
        ]  # fmt: skip
        extra: dict[str, Any] = {}
        if ids is not None:
            extra = {"user": ids[0], "group": ids[1], "extra_groups": []}
        log = (datadir.parent / "standby.log").open("wb")
        clean = {k: v for k, v in os.environ.items() if not k.startswith("PG")}
        proc = subprocess.Popen(
            args, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
            start_new_session=True, env=clean, **extra,
        )  # fmt: skip
        try:
            deadline = time.monotonic() + 60
            pidfile = datadir / "postmaster.pid"
            while time.monotonic() < deadline:
                lines = pidfile.read_text().splitlines() if pidfile.exists() else []
                if len(lines) >= 8 and lines[7].strip() == "ready":
                    break
                if proc.poll() is not None:
                    break
                time.sleep(0.1)
            else:
                _no_server("the standby did not become ready")
            if proc.poll() is not None:
                _no_server((datadir.parent / "standby.log").read_text()[-500:])
            yield Standby(primary, port, proc, datadir)
        finally:
            proc.terminate()
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
            log.close()
            shutil.rmtree(datadir.parent, ignore_errors=True)


def test_standby_wording(check: Any, standby: Standby) -> None:
    p = standby.primary
    url = (
        f"postgresql+asyncpg://{p.user}:{quote(p.password, safe='')}@127.0.0.1:{standby.port}"
        "/postgres"
    )
    res = check("--url", url)
    assert res.exit_code == 0, res.human.all  # warnings only
    session = res.row("session")
    assert session["code"] == "session.read_only"
    assert session["summary"].startswith("hot standby (read-only replica)")
    assert "point the URL at the primary" in session["hint"]
    assert "ALTER ROLE" not in session["hint"]
    privileges = res.row("privileges")
    assert privileges["status"] == "skip" and "may create" not in privileges["summary"]
    assert res.row("server")["status"] == "pass"

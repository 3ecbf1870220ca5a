"""``dbctl check`` against real servers: every reproducible failure mode of FAILURE-MODES.md.

Each test asserts the failure code, the exit code, and (through the ``check`` fixture)
that the CANARY password appears nowhere in stdout/stderr, in human and JSON output.
"""

from __future__ import annotations

import json
import os
import secrets
import signal
import time
from collections.abc import Iterator
from typing import Any
from urllib.parse import quote

import pytest

from dbctl.core.check import CHECK_IDS
from tests.check.conftest import delayed_proxy, hold_connections
from tests.conftest import CANARY, run_sql
from tests.conftest import TestDatabase as PgDatabase

pytestmark = pytest.mark.db

ALL_PASS = dict.fromkeys(CHECK_IDS, "pass")


def statuses(res: Any) -> dict[str, str]:
    return {c["id"]: c["status"] for c in res.data["checks"]}


@pytest.fixture
def plain_role(pg: PgDatabase) -> Iterator[str]:
    """A login role (password CANARY) that owns nothing."""
    role = f"plain_{secrets.token_hex(3)}"
    pg.sql(f"CREATE ROLE {role} LOGIN PASSWORD '{CANARY}'")
    try:
        yield role
    finally:
        pg.sql(f"DROP OWNED BY {role}")
        run_sql(pg.server.libpq_dsn(), f"DROP ROLE IF EXISTS {role}")


# --- healthy ------------------------------------------------------------------------


def test_healthy(check: Any, pg: PgDatabase, canary_role: tuple[str, str]) -> None:
    role, pw = canary_role
    res = check("--url", pg.url_for(role, pw))
    assert res.exit_code == 0, res.human.all
    assert statuses(res) == ALL_PASS
    data = res.data
    assert set(data) == {
        "schema_version",
        "tool",
        "target",
        "status",
        "exit_code",
        "duration_ms",
        "checks",
    }
    assert data["schema_version"] == 1 and data["tool"]["name"] == "dbctl"
    assert data["status"] == "pass" and data["exit_code"] == 0
    assert data["target"] == (
        f"postgresql+asyncpg://{role}:***@{pg.server.host}:{pg.server.port}/{pg.name}"
    )
    assert [c["id"] for c in data["checks"]] == list(CHECK_IDS)
    for c in data["checks"]:
        assert set(c) == {"id", "title", "status", "duration_ms", "summary", "code", "hint", "data"}
        assert c["code"] is None and c["hint"] is None
    assert res.row("server")["data"]["major"] >= 10
    assert res.row("latency")["data"]["median_ms"] > 0
    assert res.row("capacity")["data"]["client_backends"] >= 1
    # human output: data on stdout, one line per check, nothing on stderr
    assert res.human.stderr == ""
    for check_id in CHECK_IDS:
        assert f"PASS  {check_id}" in res.human.stdout
    assert "***" in res.human.stdout


# --- authentication -----------------------------------------------------------------


def test_wrong_password(check: Any, pg: PgDatabase) -> None:
    role = f"other_{secrets.token_hex(3)}"
    pg.sql(f"CREATE ROLE {role} LOGIN PASSWORD 'not-the-canary'")
    try:
        res = check("--url", pg.url_for(role, CANARY))
    finally:
        run_sql(pg.server.libpq_dsn(), f"DROP ROLE {role}")
    assert res.exit_code == 1
    assert res.row("auth")["code"] == "auth.failed"
    assert res.status("auth") == "fail" and res.status("tcp") == "pass"
    assert res.status("server") == "skip"
    assert "auth.failed" in res.human.stdout and "hint:" in res.human.stdout


def test_unknown_role(check: Any, pg: PgDatabase) -> None:
    res = check("--url", pg.url_for("no_such_role_x", CANARY))
    assert res.exit_code == 1
    assert res.row("auth")["code"] == "auth.failed"


def test_database_missing(check: Any, pg: PgDatabase, canary_role: tuple[str, str]) -> None:
    role, pw = canary_role
    res = check("--url", pg.url_for(role, pw, "no_such_db"))
    assert res.exit_code == 1
    assert res.row("auth")["code"] == "db.missing"
    assert res.row("auth")["data"]["sqlstate"] == "3D000"


def test_pg_hba_reject(check: Any, hba_server: Any) -> None:
    url = f"postgresql+asyncpg://postgres:{CANARY}@127.0.0.1:{hba_server.port}/rejectdb"
    res = check("--url", url)
    assert res.exit_code == 1
    assert res.row("auth")["code"] == "auth.rejected"
    assert res.status("tls") == "pass"


def test_hostnossl_reject_on_server_without_tls_is_a_rejection(check: Any, hba_server: Any) -> None:
    # "... no encryption", but the server cannot encrypt: ssl=require would not help
    url = f"postgresql+asyncpg://postgres:{CANARY}@127.0.0.1:{hba_server.port}/tlsonly"
    res = check("--url", url)
    assert res.exit_code == 1
    assert res.row("auth")["code"] == "auth.rejected"
    assert res.row("tls")["data"]["server_offers_tls"] is False


def test_ssl_require_without_server_tls(
    check: Any, pg: PgDatabase, canary_role: tuple[str, str]
) -> None:
    role, pw = canary_role
    res = check("--url", pg.url_for(role, pw) + "?ssl=require")
    assert res.exit_code == 1
    assert res.row("tls")["code"] == "tls.unavailable"
    assert res.status("auth") == "skip"


# --- unreachable --------------------------------------------------------------------


def test_nothing_listening(check: Any, refused_port: int) -> None:
    res = check("--url", f"postgresql+asyncpg://app:{CANARY}@127.0.0.1:{refused_port}/app")
    assert res.exit_code == 3
    assert res.row("tcp")["code"] == "tcp.refused"
    assert [res.status(i) for i in CHECK_IDS[4:]] == ["skip"] * 6


def test_unresolvable_host(check: Any) -> None:
    res = check(
        "--url",
        f"postgresql+asyncpg://app:{CANARY}@nonexistent.invalid:5432/app",
        "--timeout",
        "3",
    )
    assert res.exit_code == 3
    assert res.row("dns")["code"] == "dns.unresolved"
    assert res.status("tcp") == "skip"


def test_port_that_never_answers_ends_at_timeout(check: Any, silent_port: int) -> None:
    url = f"postgresql+asyncpg://app:{CANARY}@127.0.0.1:{silent_port}/app"
    t0 = time.monotonic()
    res = check("--url", url, "--timeout", "1")
    elapsed = time.monotonic() - t0  # two runs: human and JSON
    assert res.exit_code == 3
    assert res.row("tcp")["code"] == "tcp.timeout"
    assert 2.0 <= elapsed < 5.0, elapsed
    assert "within 1 s" in res.row("tcp")["summary"]


# --- server states ------------------------------------------------------------------


def test_too_many_connections(check: Any, cli: Any, tiny_server: Any) -> None:
    url = f"postgresql+asyncpg://postgres:{CANARY}@127.0.0.1:{tiny_server.port}/postgres"
    with hold_connections(tiny_server.libpq_dsn(), 3):
        res = check("--url", url)
        waited = cli("check", "--url", url, "--wait", "1")
    assert res.exit_code == 1
    assert res.row("server")["code"] == "server.too_many_connections"
    assert res.status("auth") == "skip"
    # 53300 is transient (exit 1, not 3): --wait retries it
    assert waited.exit_code == 1 and "server.too_many_connections" in waited.stderr
    assert "waiting: attempt" in waited.stderr and CANARY not in waited.all


def test_low_headroom_warns_and_strict_fails(check: Any, tiny_server: Any) -> None:
    url = tiny_server.url()  # the right password: registered as a secret by the sandbox
    res = check("--url", url)
    assert res.exit_code == 0, res.human.all
    assert res.row("capacity")["code"] == "capacity.low_headroom"
    assert res.status("capacity") == "warn" and res.data["status"] == "warn"
    assert res.row("capacity")["data"]["usable"] == 3
    assert tiny_server.password not in res.human.all + res.json_result.all
    strict = check("--url", url, "--strict")
    assert strict.exit_code == 1 and strict.data["exit_code"] == 1


def test_server_shutting_down(check: Any, cli: Any, own_server: Any) -> None:
    url = f"postgresql+asyncpg://postgres:{CANARY}@127.0.0.1:{own_server.port}/postgres"
    with hold_connections(own_server.libpq_dsn(), 1):
        os.kill(own_server.pid, signal.SIGTERM)  # smart shutdown: waits for our session
        time.sleep(0.5)
        res = check("--url", url)
        waited = cli("check", "--url", url, "--wait", "1")
    assert res.exit_code == 3
    assert res.row("server")["code"] == "server.starting"
    assert res.row("server")["data"]["sqlstate"] == "57P03"
    assert res.status("auth") == "skip"
    # 57P03 is transient: --wait retries it
    assert waited.exit_code == 3 and "server.starting" in waited.stderr
    assert waited.stderr.count("waiting: attempt") >= 2 and CANARY not in waited.all


# --- session and privileges ---------------------------------------------------------


def test_read_only_session_warns(check: Any, pg: PgDatabase, canary_role: tuple[str, str]) -> None:
    role, pw = canary_role
    pg.sql(f'ALTER ROLE {role} IN DATABASE "{pg.name}" SET default_transaction_read_only = on')
    res = check("--url", pg.url_for(role, pw))
    assert res.exit_code == 0
    assert res.row("session")["code"] == "session.read_only"
    assert res.status("session") == "warn"
    assert check("--url", pg.url_for(role, pw), "--strict").exit_code == 1


def test_no_create_on_schema_warns(check: Any, pg: PgDatabase, plain_role: str) -> None:
    res = check("--url", pg.url_for(plain_role, CANARY))
    assert res.exit_code == 0
    assert res.row("privileges")["code"] == "privileges.no_create"
    assert res.status("privileges") == "warn"
    assert "GRANT CREATE ON SCHEMA public" in res.row("privileges")["hint"]
    pg.sql(f"GRANT CREATE ON SCHEMA public TO {plain_role}")
    assert check("--url", pg.url_for(plain_role, CANARY)).data["status"] == "pass"


def test_missing_schema_setting_warns(
    check: Any, pg: PgDatabase, canary_role: tuple[str, str]
) -> None:
    role, pw = canary_role
    res = check("--url", pg.url_for(role, pw), env={"DBCTL_DB_SCHEMA": "nope"})
    assert res.row("privileges")["code"] == "privileges.no_create"
    assert "does not exist" in res.row("privileges")["summary"]


# --- URL problems: config fails, the rest still runs --------------------------------


def _rewrite(url: str, how: str) -> str:
    rest = url.split("://", 1)[1]
    return {
        "postgres": f"postgres://{rest}",
        "sync": f"postgresql://{rest}",
        "psycopg2": f"postgresql+psycopg2://{rest}",
        "sslmode": f"{url}?sslmode=disable",
        "application_name": f"{url}?application_name=myapp",
        "connect_timeout": f"{url}?connect_timeout=10",
    }[how]


@pytest.mark.parametrize(
    ("how", "code"),
    [
        ("postgres", "config.unsupported_scheme"),
        ("sync", "config.sync_driver"),
        ("psycopg2", "config.sync_driver"),
        ("sslmode", "config.libpq_param"),
        ("application_name", "config.libpq_param"),
        ("connect_timeout", "config.libpq_param"),
    ],
)
def test_url_problem_fails_config_but_runs_the_rest(
    check: Any, pg: PgDatabase, canary_role: tuple[str, str], how: str, code: str
) -> None:
    role, pw = canary_role
    res = check("--url", _rewrite(pg.url_for(role, pw), how))
    assert res.exit_code == 1
    assert res.row("config")["code"] == code and res.status("config") == "fail"
    assert {res.status(i) for i in CHECK_IDS[1:]} == {"pass"}
    assert res.data["target"].startswith("postgresql+asyncpg://")


def test_unencoded_password(check: Any, pg: PgDatabase) -> None:
    role = f"enc_{secrets.token_hex(3)}"
    password = CANARY + "@5"
    pg.sql(f"CREATE ROLE {role} LOGIN PASSWORD '{password}'")
    try:
        url = f"postgresql+asyncpg://{role}:{password}@127.0.0.1:{pg.server.port}/{pg.name}"
        res = check("--url", url)
    finally:
        run_sql(pg.server.libpq_dsn(), f"DROP ROLE {role}")
    assert res.exit_code == 1
    assert res.row("config")["code"] == "config.unencoded_password"
    assert res.status("auth") == "pass"  # with the corrected (encoded) URL
    assert quote(password, safe="") not in res.human.all + res.json_result.all


@pytest.mark.parametrize(
    "url",
    [
        f"not a url {CANARY}",
        f"postgresql+asyncpg://app:{CANARY}@localhost:abc/db",
        f"mysql://app:{CANARY}@localhost/db",
    ],
)
def test_unusable_url_exits_2(check: Any, url: str) -> None:
    res = check("--url", url)
    assert res.exit_code == 2
    assert res.data == {} and res.human.stdout == ""
    assert "error:" in res.human.stderr and "config." in res.human.stderr


def test_no_url_exits_2(check: Any) -> None:
    res = check()
    assert res.exit_code == 2
    assert "no database URL" in res.human.stderr


# --- --wait -------------------------------------------------------------------------


def test_wait_retries_transient_until_deadline(cli: Any, refused_port: int) -> None:
    url = f"postgresql+asyncpg://app:{CANARY}@127.0.0.1:{refused_port}/app"
    t0 = time.monotonic()
    res = cli("check", "--url", url, "--wait", "1.5", "--format", "json")
    elapsed = time.monotonic() - t0
    assert res.exit_code == 3
    assert 1.5 <= elapsed < 4, elapsed
    retries = [ln for ln in res.stderr.splitlines() if ln.startswith("waiting: attempt")]
    assert len(retries) >= 2 and "tcp.refused" in retries[0]
    assert CANARY not in res.all
    assert '"tcp.refused"' in res.stdout  # the last attempt's report


def test_wait_until_the_server_comes_up(cli: Any, pg: PgDatabase) -> None:
    with delayed_proxy(pg.server.port, delay=1.0) as port:
        url = pg.url.replace(f":{pg.server.port}/", f":{port}/")
        res = cli("check", "--url", url, "--wait", "20", "--format", "json")
    assert res.exit_code == 0, res.all
    assert "waiting: attempt 1 failed (tcp.refused" in res.stderr
    data = json.loads(res.stdout)
    assert data["status"] == "pass"
    # the server sees another port than the URL names: a proxy in between, noted
    session = next(c for c in data["checks"] if c["id"] == "session")
    assert session["data"]["proxy_suspected"] is True and "proxy" in session["summary"]
    assert pg.password not in res.all


def test_wait_does_not_retry_wrong_password(cli: Any, pg: PgDatabase) -> None:
    t0 = time.monotonic()
    res = cli("check", "--url", pg.url_for("no_such_role_x", CANARY), "--wait", "30")
    assert time.monotonic() - t0 < 3
    assert res.exit_code == 1
    assert "waiting" not in res.stderr and CANARY not in res.all


def test_wait_returns_at_once_when_healthy(cli: Any, pg: PgDatabase) -> None:
    res = cli("check", "--url", pg.url, "--wait", "30")
    assert res.exit_code == 0 and res.stderr == ""


# --- TLS ----------------------------------------------------------------------------


def _tls_url(server: Any, database: str, query: str = "") -> str:
    return f"postgresql+asyncpg://postgres:{CANARY}@127.0.0.1:{server.port}/{database}{query}"


def test_tls_offered_and_used(check: Any, tls_server: Any) -> None:
    res = check("--url", tls_server.url())
    assert res.exit_code == 0, res.human.all
    tls = res.row("tls")
    assert tls["status"] == "pass"
    assert tls["data"]["server_offers_tls"] is True and tls["data"]["encrypted"] is True
    assert tls_server.password not in res.human.all + res.json_result.all


def test_tls_probe_leaves_no_noise_in_the_server_log(check: Any, tls_server: Any) -> None:
    check("--url", tls_server.url())
    assert "could not accept SSL connection" not in tls_server.log_tail(500)


def test_tls_required_by_server_but_disabled_in_url(check: Any, tls_server: Any) -> None:
    res = check("--url", _tls_url(tls_server, "tlsonly", "?ssl=disable"))
    assert res.exit_code == 1
    assert res.row("tls")["code"] == "tls.required"
    assert res.status("auth") == "skip"
    assert "ssl=require" in res.row("tls")["hint"]


def test_tls_verify_full_without_root_certificate(
    check: Any, tls_server: Any, tmp_path: Any
) -> None:
    res = check(
        "--url", _tls_url(tls_server, "postgres", "?ssl=verify-full"), env={"HOME": str(tmp_path)}
    )
    assert res.exit_code == 1
    assert res.row("tls")["code"] == "tls.verify_failed"
    assert res.status("tls") == "fail" and res.status("auth") == "skip"


def test_unix_socket(check: Any, own_server: Any) -> None:
    sock = f"{own_server.tmpdir}&port={own_server.port}"  # the sandbox's socket directory
    pw = quote(own_server.password, safe="")
    res = check("--url", f"postgresql+asyncpg://postgres:{pw}@/postgres?host={sock}")
    assert res.exit_code == 0, res.human.all
    assert [res.status(i) for i in ("dns", "tcp")] == ["skip", "skip"]
    assert res.status("auth") == "pass" and res.row("tls")["data"]["encrypted"] is False
    assert own_server.password not in res.human.all + res.json_result.all


def test_pghost_socket_directory_with_pgport(cli: Any, own_server: Any) -> None:
    """PGHOST=/socket/dir PGPORT=N is that socket (as libpq and the app read it), not
    localhost:N."""
    env = {
        "PGHOST": str(own_server.tmpdir),
        "PGPORT": str(own_server.port),
        "PGUSER": "postgres",
        "PGPASSWORD": own_server.password,
        "PGDATABASE": "postgres",
    }
    res = cli("check", "--format", "json", env=env)
    assert res.exit_code == 0, res.all
    data = json.loads(res.stdout)
    assert f"host={own_server.tmpdir}&port={own_server.port}" in data["target"]
    assert "localhost" not in data["target"] and own_server.password not in res.all


DNS_HANG = """
import socket, sys, time

def never_answers(*args, **kwargs):
    time.sleep(30)
    raise socket.gaierror("too late")

socket.getaddrinfo = never_answers  # a resolver that never answers
from dbctl.cli import main

sys.argv = ["dbctl", "check", "--url", "postgresql+asyncpg://app@db.invalid/app", "--timeout", "1"]
main()
"""


def test_dns_that_never_answers_is_bounded_at_exit_too(tmp_path: Any) -> None:
    import subprocess
    import sys

    t0 = time.monotonic()
    proc = subprocess.run(
        [sys.executable, "-c", DNS_HANG], capture_output=True, text=True, timeout=60, cwd=tmp_path
    )
    elapsed = time.monotonic() - t0
    assert proc.returncode == 3, proc.stderr
    assert "dns.unresolved" in proc.stdout and "no answer within 1 s" in proc.stdout
    assert elapsed < 15, elapsed  # not the resolver's 30 s (loose: start-up on a loaded CI machine)

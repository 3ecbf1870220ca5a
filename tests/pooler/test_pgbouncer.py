"""dbctl behind a real PgBouncer: transaction pooling is detected by behaviour (not by
port), every command works through it and leaves nothing on the shared server
connection, and PgBouncer's own refusals get codes and hints."""

from __future__ import annotations

import asyncio
import json
import socket
import time
from pathlib import Path
from typing import Any

import asyncpg
import pytest

from dbctl import sandbox
from tests.check.conftest import hold_connections
from tests.conftest import CANARY
from tests.pooler.pgbouncer import PgBouncer

pytestmark = pytest.mark.db

MODELS = """
from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


class Base(DeclarativeBase):
    pass


class User(Base):
    __tablename__ = "users"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100))
    email: Mapped[str] = mapped_column(String(200))


class Note(Base):
    __tablename__ = "notes"
    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    body: Mapped[str] = mapped_column(String(200))
"""


def _json(res: Any) -> dict[str, Any]:
    assert res.stdout.strip(), res.all
    data: dict[str, Any] = json.loads(res.stdout)
    return data


def _row(data: dict[str, Any], check_id: str) -> dict[str, Any]:
    return next(c for c in data["checks"] if c["id"] == check_id)


#: Parameters PgBouncer itself sets on a server connection to match each client's startup
#: packet: not a leftover of the previous client.
PGBOUNCER_TRACKED = frozenset(
    {"client_encoding", "DateStyle", "TimeZone", "standard_conforming_strings", "application_name"}
)


def leftovers(bouncer: PgBouncer, database: str) -> dict[str, Any]:
    """What a client of the (single) pooled server connection inherits: prepared
    statements and settings changed at session level."""

    async def go() -> dict[str, Any]:
        conn = await asyncpg.connect(bouncer.dsn(database), timeout=10, statement_cache_size=0)
        try:
            return {
                "prepared": [
                    r["name"] for r in await conn.fetch("select name from pg_prepared_statements")
                ],
                "settings": [
                    r["name"]
                    for r in await conn.fetch(
                        "select name from pg_settings where source = 'session'"
                    )
                    if r["name"] not in PGBOUNCER_TRACKED
                ],
                "pid": await conn.fetchval("select pg_backend_pid()"),
            }
        finally:
            await conn.close()

    return asyncio.run(go())


# --- detection --------------------------------------------------------------------------


def test_transaction_pooling_detected_on_a_non_6432_port(
    cli: Any, pg: Any, bouncer_tx: PgBouncer
) -> None:
    assert bouncer_tx.port != 6432
    res = cli("check", "--url", bouncer_tx.url(pg.name), "--format", "json")
    assert res.exit_code == 0, res.all  # a warning
    session = _row(_json(res), "session")
    assert (session["status"], session["code"]) == ("warn", "pgbouncer.transaction_mode")
    assert session["data"]["pooler"]["multiplexed"] is True
    assert "statement_cache_size" in session["hint"]
    strict = cli("check", "--url", bouncer_tx.url(pg.name), "--strict")
    assert strict.exit_code == 1
    assert bouncer_tx.password not in res.all + strict.all


def _bouncer_on_6432(make_bouncer: Any) -> PgBouncer:
    deadline = time.monotonic() + 10
    while True:
        with socket.socket() as probe:
            try:
                probe.bind(("127.0.0.1", 6432))
                free = True
            except OSError:
                free = False
        if free:
            return make_bouncer("session", pool_size=5, port=6432)  # type: ignore[no-any-return]
        if time.monotonic() > deadline:
            pytest.skip("port 6432 on 127.0.0.1 is taken by another process of this machine")
        time.sleep(0.5)


def test_session_mode_on_6432_is_not_flagged(cli: Any, pg: Any, make_bouncer: Any) -> None:
    bouncer = _bouncer_on_6432(make_bouncer)
    res = cli("check", "--url", bouncer.url(pg.name), "--format", "json", "--strict")
    assert res.exit_code == 0, res.all
    session = _row(_json(res), "session")
    assert session["status"] == "pass" and session["code"] is None
    assert session["data"]["pooler"]["multiplexed"] is False
    assert session["data"].get("proxy_suspected") is True  # still noted, not warned about


def test_plain_server_is_not_a_pooler(cli: Any, pg: Any) -> None:
    res = cli("check", "--url", pg.url, "--format", "json")
    session = _row(_json(res), "session")
    assert session["status"] == "pass" and session["data"]["pooler"]["multiplexed"] is False


# --- every command through transaction pooling ----------------------------------------


def test_every_command_works_through_transaction_pooling_and_leaves_nothing(
    cli: Any, pg: Any, bouncer_tx: PgBouncer, tmp_path: Path
) -> None:
    (tmp_path / "pool_models.py").write_text(MODELS)
    (tmp_path / "app").mkdir()
    (tmp_path / "app" / "main.py").write_text("x = 1\n")
    url = bouncer_tx.url(pg.name)
    models = "pool_models:Base"
    seed = tmp_path / "seed.json"
    seed.write_text(json.dumps({"users": [{"id": 1, "name": "Ada", "email": "a@x.io"}]}))
    steps = [
        ("init-db", "--url", url, "--models", models),
        ("seed", str(seed), "--url", url),
        ("seed", "--fake", "20", "--table", "notes", "--url", url),
        ("users", "list", "--url", url),
        ("users", "list", "--url", url),
        ("users", "count", "--url", url),
        ("check", "--url", url),
        ("preflight", "app", "--url", url),
    ]
    for step in steps:
        res = cli(*step)
        assert res.exit_code == 0, (step, res.all)
        assert bouncer_tx.password not in res.all
        left = leftovers(bouncer_tx, pg.name)
        assert left["prepared"] == [] and left["settings"] == [], (step, left)
    assert pg.sql("select count(*) from notes")[0][0] == 20
    assert pg.sql("select name from users")[0][0] == "Ada"


# --- PgBouncer's refusals -------------------------------------------------------------


def test_wrong_password_at_the_pooler_is_auth_failed(
    cli: Any, pg: Any, bouncer_tx: PgBouncer
) -> None:
    res = cli("check", "--url", bouncer_tx.url(pg.name, password=CANARY), "--format", "json")
    assert res.exit_code == 1
    auth = _row(_json(res), "auth")
    assert auth["code"] == "auth.failed" and "PgBouncer" in auth["summary"]
    assert auth["hint"] and CANARY not in res.all


def test_unknown_database_behind_the_pooler_is_db_missing(cli: Any, bouncer_tx: PgBouncer) -> None:
    res = cli("check", "--url", bouncer_tx.url("no_such_db"), "--format", "json")
    assert res.exit_code == 1
    auth = _row(_json(res), "auth")
    assert auth["code"] == "db.missing" and "createdb" in auth["hint"]


def test_max_client_conn_is_retryable_pool_full(cli: Any, pg: Any, make_bouncer: Any) -> None:
    bouncer = make_bouncer("transaction", max_client_conn=1)
    with hold_connections(bouncer.dsn(pg.name), 1):
        res = cli("check", "--url", bouncer.url(pg.name), "--format", "json")
        waited = cli("check", "--url", bouncer.url(pg.name), "--wait", "1.5")
    assert res.exit_code == 1
    server = _row(_json(res), "server")
    assert server["code"] == "pgbouncer.pool_full" and "max_client_conn" in server["hint"]
    assert "waiting: attempt 1 failed (pgbouncer.pool_full" in waited.stderr


def test_server_down_behind_the_pooler_names_the_pooler(
    cli: Any, pg: Any, make_bouncer: Any
) -> None:
    bouncer = make_bouncer(
        "transaction", server_port=sandbox.free_port(), extra={"query_wait_timeout": "2"}
    )
    t0 = time.monotonic()
    res = cli("check", "--url", bouncer.url(pg.name), "--timeout", "5", "--format", "json")
    elapsed = time.monotonic() - t0
    assert res.exit_code == 3, res.all
    data = _json(res)
    assert _row(data, "tcp")["status"] == "pass"
    server = _row(data, "server")
    assert server["code"] == "pgbouncer.server_unavailable" and "PgBouncer" in server["summary"]
    assert elapsed < 8, elapsed
    # a --timeout shorter than the pooler's wait: the login stalls, not the network
    short = cli("check", "--url", bouncer.url(pg.name), "--timeout", "1", "--format", "json")
    assert short.exit_code == 3
    assert _row(_json(short), "server")["code"] == "server.login_timeout"
    assert "a firewall" not in short.stdout.replace("not a firewall", "")

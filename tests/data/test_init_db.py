"""dbctl init-db against a real server: models, idempotence, atomicity, refusals."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import run_sql
from tests.data.conftest import CANARY, scalar, tables

pytestmark = pytest.mark.db

MODELS = """
from sqlalchemy import ForeignKey, String, Text
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


class Base(DeclarativeBase):
    pass


class Author(Base):
    __tablename__ = "authors"
    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(200), unique=True)


class Post(Base):
    __tablename__ = "posts"
    id: Mapped[int] = mapped_column(primary_key=True)
    author_id: Mapped[int] = mapped_column(ForeignKey("authors.id"))
    body: Mapped[str] = mapped_column(Text)
"""


def test_reference_model_created_and_second_run_is_a_no_op(cli: Any, pg: Any) -> None:
    first = cli("init-db", "--url", pg.url)
    assert first.exit_code == 0, first.stderr
    assert "created  public.users" in first.stdout
    assert tables(pg) == ["users"]
    cols = pg.sql(
        "SELECT column_name FROM information_schema.columns WHERE table_name = 'users' "
        "ORDER BY ordinal_position"
    )
    assert [c[0] for c in cols] == ["id", "name"]
    assert scalar(pg, "SELECT count(*) FROM pg_indexes WHERE indexname = 'ix_users_name'") == 1
    pg.sql("INSERT INTO users (name) VALUES ('kept')")

    second = cli("init-db", "--url", pg.url, "--format", "json")
    assert second.exit_code == 0, second.stderr
    data = json.loads(second.stdout)
    assert data["schema_version"] == 1
    assert data["created"] == [] and data["skipped"] == ["public.users"]
    assert data["statements"] == [] and data["drift"] == {}
    assert scalar(pg, "SELECT count(*) FROM users") == 1


def test_declarative_base_metadata_and_dot_metadata_objects(
    cli: Any, pg: Any, write_models: Any
) -> None:
    spec = write_models(MODELS)
    module = spec.split(":")[0]
    for target in (spec, f"{module}:Base.metadata"):
        result = cli("init-db", "--url", pg.url, "--models", target, "--format", "json")
        assert result.exit_code == 0, result.stderr
    assert tables(pg) == ["authors", "posts"]
    holder = write_models(
        """
        from sqlalchemy import Column, Integer, MetaData, Table
        class Holder:  # SQLModel-style: anything with .metadata
            metadata = MetaData()
        Table("things", Holder.metadata, Column("id", Integer, primary_key=True))
        """,
        attr="Holder",
    )
    result = cli("init-db", "--url", pg.url, "--models", holder)
    assert result.exit_code == 0, result.stderr
    assert "things" in tables(pg)


@pytest.mark.parametrize(
    ("source", "attr", "expected"),
    [
        ("import no_such_module_xyz\n", "Base", "No module named 'no_such_module_xyz'"),
        ("raise RuntimeError('boom in models')\n", "Base", "boom in models"),
        ("X = 1\n", "Base", "has no attribute 'Base'"),
        ("Base = 42\n", "Base", "is of type int, not a DeclarativeBase"),
    ],
)
def test_bad_models_are_one_line_exit_2(
    cli: Any, pg: Any, write_models: Any, source: str, attr: str, expected: str
) -> None:
    spec = write_models(source, attr=attr)
    result = cli("init-db", "--url", pg.url, "--models", spec)
    assert result.exit_code == 2
    assert expected in result.stderr
    assert "Traceback" not in result.all
    assert result.stderr.startswith("error:")
    assert tables(pg) == []


def test_failure_in_last_table_leaves_nothing_behind(cli: Any, pg: Any, write_models: Any) -> None:
    spec = write_models(
        MODELS
        + """
from sqlalchemy import CheckConstraint


class Broken(Base):
    __tablename__ = "zz_broken"
    __table_args__ = (CheckConstraint("no_such_column > 0"),)
    id: Mapped[int] = mapped_column(primary_key=True)
"""
    )
    result = cli("init-db", "--url", pg.url, "--models", spec)
    assert result.exit_code == 1
    assert "nothing was changed" in result.stderr
    assert "zz_broken" in result.stderr
    assert tables(pg) == []


def test_drift_is_reported_not_changed(cli: Any, pg: Any) -> None:
    pg.sql("CREATE TABLE users (id bigint PRIMARY KEY, email text)")
    result = cli("init-db", "--url", pg.url)
    assert result.exit_code == 0
    assert "skipped  public.users (exists, differs from the model)" in result.stdout
    assert "column name is in the model but not in the database" in result.stderr
    assert "column email is in the database but not in the model" in result.stderr
    assert "column id is bigint in the database, INTEGER in the model" in result.stderr
    as_json = json.loads(cli("init-db", "--url", pg.url, "--format", "json").stdout)
    assert len(as_json["drift"]["public.users"]) == 3
    cols = pg.sql("SELECT column_name FROM information_schema.columns WHERE table_name='users'")
    assert sorted(c[0] for c in cols) == ["email", "id"]


def test_dry_run_prints_ddl_and_touches_nothing(cli: Any, pg: Any, write_models: Any) -> None:
    spec = write_models(MODELS)
    result = cli("init-db", "--url", pg.url, "--models", spec, "--dry-run", "--drop")
    assert result.exit_code == 0
    out = result.stdout
    assert "DROP TABLE IF EXISTS posts" in out
    assert out.index("CREATE TABLE authors") < out.index("CREATE TABLE posts")
    assert "REFERENCES authors (id)" in out
    assert "dry run" in result.stderr
    assert tables(pg) == []
    # no database needed at all
    offline = cli("init-db", "--dry-run", "--seed", "seed.json", "--schema", "app")
    assert offline.exit_code == 0
    assert "CREATE SCHEMA IF NOT EXISTS app;" in offline.stdout
    assert "CREATE TABLE app.users" in offline.stdout
    assert "--seed seed.json is not loaded in a dry run" in offline.stderr


def test_drop_needs_yes_when_not_a_terminal(cli: Any, pg: Any) -> None:
    assert cli("init-db", "--url", pg.url).exit_code == 0
    pg.sql("INSERT INTO users (name) VALUES ('precious')")
    refused = cli("init-db", "--url", pg.url, "--drop")
    assert refused.exit_code == 2
    assert "--yes" in refused.stderr
    assert scalar(pg, "SELECT count(*) FROM users") == 1
    done = cli("init-db", "--url", pg.url, "--drop", "--yes", "--format", "json")
    assert done.exit_code == 0, done.stderr
    data = json.loads(done.stdout)
    assert data["dropped"] == ["public.users"] and data["created"] == ["public.users"]
    assert scalar(pg, "SELECT count(*) FROM users") == 0


def test_schema_option_creates_schema_and_tables_there(cli: Any, pg: Any) -> None:
    result = cli("init-db", "--url", pg.url, "--schema", "app")
    assert result.exit_code == 0, result.stderr
    assert tables(pg, "app") == ["users"]
    assert tables(pg) == []


def test_read_only_session_is_refused_before_any_ddl(cli: Any, pg: Any) -> None:
    pg.sql(f'ALTER DATABASE "{pg.name}" SET default_transaction_read_only = on')
    result = cli("init-db", "--url", pg.url)
    assert result.exit_code == 1
    assert "[session.read_only]" in result.stderr
    assert "read-only" in result.stderr and "primary" in result.stderr
    assert tables(pg) == []
    run_sql(
        pg.server.libpq_dsn(), f'ALTER DATABASE "{pg.name}" RESET default_transaction_read_only'
    )


def test_role_without_create_is_refused_with_the_grant(cli: Any, pg: Any) -> None:
    role = f"nocreate_{pg.name[-8:]}"
    pg.sql(f"CREATE ROLE {role} LOGIN PASSWORD 'pw-nocreate-1'")
    try:
        url = pg.url_for(role, "pw-nocreate-1")
        result = cli("init-db", "--url", url)
        assert result.exit_code == 1
        assert "[privileges.no_create]" in result.stderr
        assert f'GRANT CREATE ON SCHEMA "public" TO "{role}"' in result.stderr
        assert "ALTER DATABASE" in result.stderr
        assert tables(pg) == []
    finally:
        pg.sql(f"DROP OWNED BY {role}", f"DROP ROLE {role}")


def test_seed_in_the_same_transaction(cli: Any, pg: Any, tmp_path: Path) -> None:
    (tmp_path / "seed.json").write_text(json.dumps({"users": [{"id": 1, "name": "Ann"}]}))
    ok = cli("init-db", "--url", pg.url, "--seed", "seed.json", "--format", "json")
    assert ok.exit_code == 0, ok.stderr
    assert json.loads(ok.stdout)["seed"]["inserted"] == 1
    again = cli("init-db", "--url", pg.url, "--seed", "seed.json", "--format", "json")
    assert json.loads(again.stdout)["seed"]["skipped"] == 1

    (tmp_path / "bad.json").write_text(json.dumps({"users": [{"id": "x", "name": "Ann"}]}))
    pg.sql("DROP TABLE users")
    bad = cli("init-db", "--url", pg.url, "--seed", "bad.json")
    assert bad.exit_code == 2
    assert "bad.json" in bad.stderr and "row 1" in bad.stderr and "'id'" in bad.stderr
    assert tables(pg) == []  # the CREATE TABLE was rolled back with the seed


def test_canary_password_never_shown(
    cli: Any, pg: Any, canary_role: tuple[str, str], tmp_path: Path
) -> None:
    role, password = canary_role
    url = pg.url_for(role, password)
    (tmp_path / "users.csv").write_text("id,name\n1,Ann\n")
    runs = [
        cli("init-db", "--url", url),
        cli("init-db", "--url", url, "--format", "json"),
        cli("init-db", "--url", url, "--dry-run"),
        cli("seed", "users.csv", "--url", url),
        cli("seed", "users.csv", "--url", url, "--format", "json"),
        cli("seed", "--fake", "10", "--table", "users", "--url", url),
        cli("users", "list", "--url", url),
        cli("users", "list", "--url", url, "--format", "json"),
        cli("users", "count", "--url", url, "--format", "json"),
        cli("users", "list", "--url", url, "--table", "missing"),
        cli("seed", "missing.csv", "--url", url),
    ]
    assert [r.exit_code for r in runs] == [0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 2]
    for r in runs:
        assert CANARY not in r.all
    assert "***" in runs[1].stdout


def test_a_table_locked_by_the_app_times_out_instead_of_hanging(
    cli: Any, pg: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    psql = shutil.which("psql")
    if psql is None:
        pytest.skip("psql is needed to hold a lock from another session")
    assert cli("init-db", "--url", pg.url).exit_code == 0
    holder = subprocess.Popen(
        [psql, pg.dsn, "-qc", "BEGIN; LOCK TABLE users IN ACCESS SHARE MODE; SELECT pg_sleep(20)"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 10
        while not scalar(
            pg,
            "SELECT count(*) FROM pg_locks l JOIN pg_class c ON c.oid = l.relation "
            "WHERE c.relname = 'users' AND l.granted",
        ):
            assert time.monotonic() < deadline, "the lock was never taken"
            time.sleep(0.05)
        started = time.monotonic()
        result = cli("init-db", "--url", pg.url, "--drop", "--yes", "--lock-timeout", "1")
        assert time.monotonic() - started < 8
        assert result.exit_code == 1
        assert "nothing was written" in result.stderr
        assert "gave up waiting for a lock after 1 s" in result.stderr
    finally:
        holder.kill()
        holder.wait()
    assert tables(pg) == ["users"]


@pytest.mark.parametrize(("answer", "dropped"), [("n", False), ("y", True)])
def test_drop_asks_on_a_terminal(pg: Any, answer: str, dropped: bool) -> None:
    pg.sql(
        "CREATE TABLE users (id serial PRIMARY KEY, name varchar(255))",
        "INSERT INTO users (name) VALUES ('precious')",
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DBCTL_", "PG"))}
    env["DATABASE_URL"] = pg.url
    primary, secondary = os.openpty()
    try:
        proc = subprocess.Popen(
            [sys.executable, "-m", "dbctl", "init-db", "--drop"],
            env=env,
            stdin=secondary,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        )
        os.write(primary, f"{answer}\n".encode())
        out, err = proc.communicate(timeout=60)
    finally:
        os.close(primary)
        os.close(secondary)
    assert b"Drop the models' tables" in err
    if dropped:
        assert proc.returncode == 0, err
        assert b"dropped  public.users" in out
        assert scalar(pg, "SELECT count(*) FROM users") == 0
    else:
        assert proc.returncode == 2
        assert b"aborted: nothing was changed" in err
        assert scalar(pg, "SELECT count(*) FROM users") == 1

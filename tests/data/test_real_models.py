"""init-db / check --models on models written like real apps (tests/data/real_models.py),
against a real server: SQLAlchemy's own create_all through the async engine."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.data.conftest import scalar, tables
from tests.data.real_models import APP, APP_TABLES, SQLMODEL

pytestmark = pytest.mark.db


def _statements(dry_run_stdout: str) -> list[str]:
    return [s.strip() for s in dry_run_stdout.split(";\n\n") if s.strip()]


def _init(cli: Any, *args: str) -> dict[str, Any]:
    result = cli("init-db", *args, "--format", "json")
    assert result.exit_code == 0, result.stderr
    data: dict[str, Any] = json.loads(result.stdout)
    return data


def test_app_model_created_by_create_all_and_dry_run_equals_what_runs(
    cli: Any, pg: Any, write_models: Any
) -> None:
    spec = write_models(APP)
    dry = cli("init-db", "--models", spec, "--dry-run")
    assert dry.exit_code == 0, dry.stderr
    first = _init(cli, "--url", pg.url, "--models", spec)
    assert sorted(first["created"]) == APP_TABLES and first["skipped"] == []
    # the dry run prints exactly the DDL the real run executed on the empty database
    assert _statements(dry.stdout) == first["statements"]
    ddl = "\n".join(first["statements"])
    assert ddl.startswith("CREATE SCHEMA IF NOT EXISTS crm")
    assert "CREATE EXTENSION IF NOT EXISTS citext" in ddl  # the before_create DDL event
    assert "CREATE TYPE status AS ENUM ('active', 'banned')" in ddl
    assert "ALTER TABLE teams ADD CONSTRAINT fk_teams_captain_id_members" in ddl  # use_alter

    # what the database has: naming convention, extension, partial index, checks, identity
    constraints = {
        r[0]
        for r in pg.sql(
            "SELECT conname FROM pg_constraint c JOIN pg_namespace n ON n.oid = c.connamespace "
            "WHERE n.nspname IN ('public', 'crm')"
        )
    }
    assert {
        "uq_users_email",
        "pk_users",
        "ck_users_age_positive",
        "ck_users_handle_length",
        "fk_users_manager_id_users",
        "fk_teams_captain_id_members",
        "fk_organizations_owner_id_users",
        "pk_memberships",
        "uq_teams_name",
    } <= constraints
    assert scalar(pg, "SELECT count(*) FROM pg_extension WHERE extname = 'citext'") == 1
    assert "WHERE (deleted_at IS NULL)" in scalar(
        pg, "SELECT indexdef FROM pg_indexes WHERE indexname = 'uq_users_handle_live'"
    )
    assert scalar(
        pg,
        "SELECT attidentity::text FROM pg_attribute WHERE attrelid = 'users'::regclass "
        "AND attname = 'id'",
    ) in ("a", "d")
    pg.sql(
        "INSERT INTO users (email, handle, hashed_password) VALUES ('A@x.org', 'a', 'h')",
        "INSERT INTO crm.organizations (id, name, owner_id) VALUES (gen_random_uuid(), 'acme', 1)",
    )
    assert scalar(pg, "SELECT status::text FROM users WHERE email = 'a@X.ORG'") == "active"

    second = _init(cli, "--url", pg.url, "--models", spec)
    assert second["created"] == [] and sorted(second["skipped"]) == APP_TABLES
    assert second["drift"] == {}
    # only the app's own idempotent DDL event runs again
    assert second["statements"] == ["CREATE EXTENSION IF NOT EXISTS citext"]
    assert scalar(pg, "SELECT count(*) FROM users") == 1

    check = cli("check", "--url", pg.url, "--models", spec, "--format", "json")
    schema_row = next(c for c in json.loads(check.stdout)["checks"] if c["id"] == "schema")
    assert schema_row["status"] == "pass", schema_row


def test_app_model_in_another_schema(cli: Any, pg: Any, write_models: Any) -> None:
    spec = write_models(APP)
    dry = cli("init-db", "--models", spec, "--dry-run", "--schema", "other")
    assert dry.exit_code == 0, dry.stderr
    data = _init(cli, "--url", pg.url, "--models", spec, "--schema", "other")
    expected = sorted(t.replace("public.", "other.") for t in APP_TABLES)
    assert sorted(data["created"]) == expected
    assert _statements(dry.stdout) == data["statements"]
    assert "CREATE TABLE crm.organizations" in dry.stdout
    assert "REFERENCES other.users (id)" in dry.stdout  # crm -> unqualified, translated
    assert tables(pg, "other") == ["members", "teams", "users"]
    assert tables(pg, "crm") == ["memberships", "organizations"]
    assert tables(pg) == []
    assert (
        scalar(
            pg,
            "SELECT count(*) FROM pg_type WHERE typname = 'status' "
            "AND typnamespace = 'other'::regnamespace",
        )
        == 1
    )
    again = _init(cli, "--url", pg.url, "--models", spec, "--schema", "other")
    assert again["created"] == [] and sorted(again["skipped"]) == expected
    check = cli(
        "check",
        "--url",
        pg.url,
        "--models",
        spec,
        "--format",
        "json",
        env={"DBCTL_SCHEMA": "other"},
    )
    schema_row = next(c for c in json.loads(check.stdout)["checks"] if c["id"] == "schema")
    assert schema_row["status"] == "pass", schema_row


def test_metadata_with_a_default_schema(cli: Any, pg: Any, write_models: Any) -> None:
    spec = write_models(
        """
        from sqlalchemy import Column, ForeignKey, Integer, MetaData, Table
        metadata = MetaData(schema="billing")
        Table("accounts", metadata, Column("id", Integer, primary_key=True))
        Table("invoices", metadata, Column("id", Integer, primary_key=True),
              Column("account_id", ForeignKey("billing.accounts.id")))
        """,
        attr="metadata",
    )
    data = _init(cli, "--url", pg.url, "--models", spec)
    assert sorted(data["created"]) == ["billing.accounts", "billing.invoices"]
    check = cli("check", "--url", pg.url, "--models", spec, "--format", "json")
    assert "internal error" not in check.stderr
    schema_row = next(c for c in json.loads(check.stdout)["checks"] if c["id"] == "schema")
    assert schema_row["status"] == "pass", schema_row


def test_sqlmodel_app(cli: Any, pg: Any, write_models: Any) -> None:
    spec = write_models(SQLMODEL)
    dry = cli("init-db", "--models", spec, "--dry-run")
    assert dry.exit_code == 0, dry.stderr
    data = _init(cli, "--url", pg.url, "--models", spec)
    assert sorted(data["created"]) == ["public.heroes", "public.squads"]
    assert _statements(dry.stdout) == data["statements"]
    assert (
        scalar(
            pg,
            "SELECT data_type FROM information_schema.columns "
            "WHERE table_name = 'heroes' AND column_name = 'id'",
        )
        == "uuid"
    )
    again = _init(cli, "--url", pg.url, "--models", spec)
    assert again["created"] == [] and again["statements"] == []
    check = cli("check", "--url", pg.url, "--models", spec, "--format", "json")
    schema_row = next(c for c in json.loads(check.stdout)["checks"] if c["id"] == "schema")
    assert schema_row["status"] == "pass", schema_row


def test_two_concurrent_init_db_serialise(pg: Any, tmp_path: Path, write_models: Any) -> None:
    """20 rounds of two init-db at once on an empty database (two connections, in one
    process): both succeed, one creates the tables, the other waits and finds them (no
    duplicate pg_type error). Then two rounds as two dbctl processes: both exit 0."""
    import asyncio

    from dbctl.core.init_db import run
    from dbctl.db.models import load_metadata
    from dbctl.urls import analyze_url

    spec = write_models(APP)
    metadata = load_metadata(spec, tmp_path)
    url = analyze_url(pg.url).url
    assert url is not None

    def reset() -> None:
        pg.sql("DROP SCHEMA crm CASCADE", "DROP SCHEMA public CASCADE", "CREATE SCHEMA public")

    async def both() -> list[int]:
        results = await asyncio.gather(
            *(run(url, metadata=metadata, schema="public", timeout=10) for _ in range(2))
        )
        return sorted(len(r.created) for r in results)

    for round_no in range(20):
        assert asyncio.run(both()) == [0, len(APP_TABLES)], round_no
        reset()

    env = {k: v for k, v in os.environ.items() if not k.startswith(("DBCTL_", "PG"))}
    env["DATABASE_URL"] = pg.url
    cmd = [sys.executable, "-m", "dbctl", "init-db", "--models", spec, "--format", "json"]
    for round_no in range(2):
        procs = [
            subprocess.Popen(
                cmd, cwd=tmp_path, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE
            )
            for _ in range(2)
        ]
        outs = [p.communicate(timeout=120) for p in procs]
        assert [p.returncode for p in procs] == [0, 0], [e.decode()[-500:] for _, e in outs]
        created = sorted(len(json.loads(o)["created"]) for o, _ in outs)
        assert created == [0, len(APP_TABLES)], round_no
        reset()

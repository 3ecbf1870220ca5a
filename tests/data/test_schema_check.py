"""The ``schema`` check (dbctl.core.schema_check.run) with a real asyncpg connection."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest

from dbctl.core.result import CheckResult
from dbctl.core.schema_check import run
from dbctl.errors import ConfigError
from dbctl.settings import load_settings

pytestmark = pytest.mark.db

MODELS = """
from sqlalchemy import String
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


class Base(DeclarativeBase):
    pass


class User(Base):
    __tablename__ = "users"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(50))


class Team(Base):
    __tablename__ = "teams"
    id: Mapped[int] = mapped_column(primary_key=True)
"""


def _check(pg: Any, tmp_path: Path, models: str | None, schema: str = "public") -> Any:
    cli: dict[str, Any] = {"url": pg.url, "app_dir": str(tmp_path), "db_schema": schema}
    if models is not None:
        cli["models"] = models
    loaded = load_settings(cli, cwd=tmp_path, environ={})

    async def go() -> CheckResult | None:
        import asyncpg

        conn = await asyncpg.connect(pg.dsn, timeout=10)
        try:
            return await run(conn, loaded)
        finally:
            await conn.close()

    return asyncio.run(go())


def test_no_models_no_row(pg: Any, tmp_path: Path) -> None:
    assert _check(pg, tmp_path, None) is None


def test_missing_tables_fail(pg: Any, tmp_path: Path, write_models: Any) -> None:
    spec = write_models(MODELS)
    pg.sql("CREATE TABLE users (id int PRIMARY KEY, name varchar(50))")
    row = _check(pg, tmp_path, spec)
    assert row.id == "schema" and row.status == "fail"
    assert row.code == "schema.missing_tables"
    assert row.data["missing"] == ["public.teams"]
    assert "init-db" in (row.hint or "")
    assert row.to_json()["status"] == "fail"


def test_drift_warns_and_match_passes(pg: Any, tmp_path: Path, write_models: Any) -> None:
    spec = write_models(MODELS)
    pg.sql(
        "CREATE TABLE users (id int PRIMARY KEY, name text, extra int)",
        "CREATE TABLE teams (id int PRIMARY KEY)",
    )
    row = _check(pg, tmp_path, spec)
    assert row.status == "warn" and row.code == "schema.drift"
    problems = row.data["drift"]["public.users"]
    assert any("extra" in p for p in problems) and any("name" in p for p in problems)
    pg.sql(
        "ALTER TABLE users DROP COLUMN extra",
        "ALTER TABLE users ALTER name TYPE varchar(50), ALTER name SET NOT NULL",
    )
    row = _check(pg, tmp_path, spec)
    assert row.status == "pass" and row.code is None
    assert "2 model tables" in row.summary


def test_schema_setting_is_used(pg: Any, tmp_path: Path, write_models: Any) -> None:
    spec = write_models(MODELS)
    pg.sql(
        "CREATE SCHEMA app",
        "CREATE TABLE app.users (id int PRIMARY KEY, name varchar(50) NOT NULL)",
        "CREATE TABLE app.teams (id int PRIMARY KEY)",
    )
    assert _check(pg, tmp_path, spec, schema="app").status == "pass"
    assert _check(pg, tmp_path, spec).status == "fail"


def test_unimportable_models_are_a_config_error(pg: Any, tmp_path: Path, write_models: Any) -> None:
    spec = write_models("import not_a_module_abc\n")
    with pytest.raises(ConfigError, match="not_a_module_abc"):
        _check(pg, tmp_path, spec)

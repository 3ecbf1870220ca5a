"""``--engine MOD:ATTR`` and ``--app-dir`` for check and preflight: the app's own engine."""

from __future__ import annotations

import json
import secrets
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import TestDatabase as PgDatabase

pytestmark = pytest.mark.db

APP = """
import os

from sqlalchemy.ext.asyncio import async_sessionmaker, create_async_engine

engine = create_async_engine(
    os.environ["APP_DB_URL"],
    pool_size=3,
    connect_args={{"server_settings": {{"application_name": "{name}"}}}},
)
Session = async_sessionmaker(engine, expire_on_commit=False)
"""


def _app(tmp_path: Path) -> tuple[str, str]:
    """An app package in a subdirectory (only importable with --app-dir)."""
    name = f"engine-app-{secrets.token_hex(3)}"
    module = f"appdb_{secrets.token_hex(3)}"
    (tmp_path / "src").mkdir()
    (tmp_path / "src" / f"{module}.py").write_text(APP.format(name=name))
    return module, name


@pytest.mark.parametrize("attr", ["engine", "Session"])
def test_check_connects_with_the_engines_connect_args_and_pool(
    cli: Any, pg: PgDatabase, tmp_path: Path, attr: str
) -> None:
    module, name = _app(tmp_path)
    env = {"APP_DB_URL": pg.url}
    res = cli(
        "check", "--engine", f"{module}:{attr}", "--app-dir", "src", "--format", "json", env=env
    )
    assert res.exit_code == 0, res.all
    data = json.loads(res.stdout)
    session = next(c for c in data["checks"] if c["id"] == "session")
    assert session["data"]["application_name"] == name  # seen in pg_stat_activity
    capacity = next(c for c in data["checks"] if c["id"] == "capacity")
    assert "pool_size 3" in capacity["summary"]
    assert capacity["data"]["app_pool_capacity"] == (3 + 10) * 1
    assert pg.password not in res.all


def test_engine_module_needs_app_dir(cli: Any, pg: PgDatabase, tmp_path: Path) -> None:
    module, _name = _app(tmp_path)
    res = cli("check", "--engine", f"{module}:engine", env={"APP_DB_URL": pg.url})
    assert res.exit_code == 2
    assert "cannot import engine module" in res.stderr and "--app-dir" in res.stderr


def test_engine_and_url_together_is_a_usage_error(cli: Any, pg: PgDatabase) -> None:
    res = cli("check", "--engine", "x:engine", "--url", pg.url)
    assert res.exit_code == 2 and "--engine" in res.stderr


def test_not_an_engine(cli: Any, tmp_path: Path) -> None:
    (tmp_path / "notengine.py").write_text("engine = 42\n")
    res = cli("check", "--engine", "notengine:engine")
    assert res.exit_code == 2 and "not an AsyncEngine" in res.stderr


def test_preflight_with_engine_and_app_dir(cli: Any, pg: PgDatabase, tmp_path: Path) -> None:
    module, name = _app(tmp_path)
    res = cli(
        "preflight", "src", "--engine", f"{module}:engine", "--app-dir", "src",
        "--format", "json", env={"APP_DB_URL": pg.url},
    )  # fmt: skip
    assert res.exit_code in {0, 1}, res.all  # lint may flag the sample app
    data = json.loads(res.stdout)
    text = json.dumps(data)
    assert name in text and pg.password not in res.all


def test_check_app_dir_imports_models_from_a_subdirectory(
    cli: Any, pg: PgDatabase, tmp_path: Path
) -> None:
    (tmp_path / "svc").mkdir()
    (tmp_path / "svc" / "svcmodels.py").write_text(
        "from sqlalchemy.orm import DeclarativeBase\n\n\nclass Base(DeclarativeBase):\n    pass\n"
    )
    res = cli(
        "check", "--url", pg.url, "--models", "svcmodels:Base", "--app-dir", "svc",
        "--format", "json",
    )  # fmt: skip
    assert res.exit_code == 0, res.all
    assert any(c["id"] == "schema" for c in json.loads(res.stdout)["checks"])

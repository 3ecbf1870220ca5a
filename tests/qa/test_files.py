"""QA: configuration files that are not what dbctl expects."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest


@pytest.mark.parametrize("command", [["config"], ["lint", "."]])
def test_pyproject_not_utf8_is_a_config_error(cli: Any, tmp_path: Path, command: list[str]) -> None:
    (tmp_path / "pyproject.toml").write_bytes(b"\xff\xfe[tool.dbctl]\n")
    r = cli(*command)
    assert r.exit_code == 2
    assert "cannot read" in r.stderr and "pyproject.toml" in r.stderr
    assert "internal error" not in r.all


def test_env_file_that_is_a_directory(cli: Any, tmp_path: Path) -> None:
    (tmp_path / "envdir").mkdir()
    r = cli("config", "--env-file", "envdir")
    assert r.exit_code == 2
    assert "env file is a directory: envdir" in r.stderr


@pytest.mark.db
@pytest.mark.parametrize("command", [["seed"], ["init-db", "--seed"]])
def test_seed_file_that_is_a_directory(
    cli: Any, pg: Any, tmp_path: Path, command: list[str]
) -> None:
    (tmp_path / "rows.json").mkdir()
    r = cli(*command, "rows.json", "--url", pg.url)
    assert r.exit_code == 2
    assert "seed file is a directory: rows.json" in r.stderr


def test_dbctl_schema_environment_variable(cli: Any) -> None:
    # README: the setting is `schema`, its variable DBCTL_SCHEMA (as in .env / pyproject)
    r = cli("config", "--format", "json", env={"DBCTL_SCHEMA": "app"})
    assert r.exit_code == 0, r.stderr
    settings = {s["name"]: s for s in json.loads(r.stdout)["settings"]}
    assert settings["db_schema"]["value"] == "app"
    assert settings["db_schema"]["source"].startswith("env")


@pytest.mark.db
def test_models_module_calling_sys_exit_is_an_import_error(
    cli: Any, pg: Any, tmp_path: Path
) -> None:
    (tmp_path / "exits.py").write_text("import sys\nsys.exit(3)\n")
    r = cli("init-db", "--url", pg.url, "--models", "exits:Base")
    assert r.exit_code == 2  # not the module's own 3 ("unreachable"), and not silent
    assert "cannot import models module 'exits': SystemExit: 3" in r.stderr

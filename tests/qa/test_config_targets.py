"""QA: `dbctl config` shows the named targets of [tool.dbctl.targets], passwords masked."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from tests.conftest import CANARY
from tests.test_schemas import validate

PYPROJECT = f"""\
[tool.dbctl.targets]
primary = "postgresql+asyncpg://app:{CANARY}@db-primary:5432/app"
replica = "postgresql+asyncpg://app@db-replica:5432/app?password={CANARY}"
"""
SOURCE = "pyproject.toml [tool.dbctl.targets]"


def test_config_lists_the_targets(cli: Any, tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text(PYPROJECT)
    r = cli("config")
    assert r.exit_code == 0, r.all
    lines = r.stdout.splitlines()
    assert lines[-2:] == [
        f"targets.primary    postgresql+asyncpg://app:***@db-primary:5432/app  ({SOURCE})",
        f"targets.replica    postgresql+asyncpg://app@db-replica:5432/app?password=***  ({SOURCE})",
    ]
    assert CANARY not in r.all


def test_config_json_lists_the_targets(cli: Any, tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text(PYPROJECT)
    r = cli("config", "--format", "json")
    assert r.exit_code == 0, r.all
    assert CANARY not in r.all
    assert validate("config", r)["targets"] == [
        {
            "name": "primary",
            "value": "postgresql+asyncpg://app:***@db-primary:5432/app",
            "source": SOURCE,
        },
        {
            "name": "replica",
            "value": "postgresql+asyncpg://app@db-replica:5432/app?password=***",
            "source": SOURCE,
        },
    ]


def test_config_without_targets_has_an_empty_list(cli: Any) -> None:
    r = cli("config", "--format", "json")
    assert json.loads(r.stdout)["targets"] == []
    assert not any(line.startswith("targets.") for line in cli("config").stdout.splitlines())


def test_an_unusable_target_is_the_same_error_as_in_check(cli: Any, tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text(
        f'[tool.dbctl.targets]\nbad = "mysql://app:{CANARY}@db/app"\n'
    )
    config, check = cli("config"), cli("check", "--offline")
    assert config.exit_code == check.exit_code == 2
    assert config.stderr == check.stderr and config.stderr.startswith("error: target bad: ")
    assert CANARY not in config.all

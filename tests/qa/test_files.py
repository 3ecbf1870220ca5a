"""QA: configuration files that are not what dbctl expects."""

from __future__ import annotations

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

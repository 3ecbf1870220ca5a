"""Fixtures for the init-db / seed / users tests."""

from __future__ import annotations

import secrets
import textwrap
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import CANARY

__all__ = ["CANARY"]


@pytest.fixture
def write_models(tmp_path: Path) -> Any:
    """``write_models(source) -> "mod_xxxx:Base"``: a models module in the test's directory,
    under a fresh module name (imports are cached per process)."""

    def write(source: str, attr: str = "Base") -> str:
        name = f"models_{secrets.token_hex(4)}"
        (tmp_path / f"{name}.py").write_text(textwrap.dedent(source))
        return f"{name}:{attr}"

    return write


def tables(pg: Any, schema: str = "public") -> list[str]:
    rows = pg.sql(
        f"SELECT tablename FROM pg_tables WHERE schemaname = '{schema}' ORDER BY tablename"
    )
    return [r["tablename"] for r in rows]


def scalar(pg: Any, sql: str) -> Any:
    return pg.sql(sql)[0][0]

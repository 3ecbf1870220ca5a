"""``dbctl check`` with several targets: repeated --url or [tool.dbctl.targets]."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import CANARY
from tests.conftest import TestDatabase as PgDatabase

pytestmark = pytest.mark.db


def _both(cli: Any, *args: str) -> tuple[Any, dict[str, Any]]:
    human = cli("check", *args)
    js = cli("check", *args, "--format", "json")
    for res in (human, js):
        assert CANARY not in res.stdout and CANARY not in res.stderr
    assert human.exit_code == js.exit_code
    return human, json.loads(js.stdout)


def test_repeated_url_worst_exit_code_wins(
    cli: Any, pg: PgDatabase, canary_role: tuple[str, str], refused_port: int
) -> None:
    role, pw = canary_role
    healthy = pg.url_for(role, pw)
    missing = pg.url_for(role, pw, "no_such_db")
    refused = f"postgresql+asyncpg://app:{CANARY}@127.0.0.1:{refused_port}/app"
    human, data = _both(cli, "--url", healthy, "--url", missing)
    assert human.exit_code == 1 and data["exit_code"] == 1 and data["status"] == "fail"
    assert data["schema_version"] == 1 and data["tool"]["name"] == "dbctl"
    port = pg.server.port
    assert [t["name"] for t in data["targets"]] == [
        f"127.0.0.1:{port}/{pg.name}",
        f"127.0.0.1:{port}/no_such_db",
    ]
    assert [t["exit_code"] for t in data["targets"]] == [0, 1]
    assert data["targets"][1]["checks"][4]["code"] == "db.missing"
    assert f"== 127.0.0.1:{port}/{pg.name} ==" in human.stdout
    assert "2 targets: 1 fail, 1 pass" in human.stdout
    human, data = _both(cli, "--url", healthy, "--url", missing, "--url", refused)
    assert human.exit_code == 3 and data["exit_code"] == 3


def test_targets_from_pyproject(cli: Any, pg: PgDatabase, canary_role: tuple[str, str]) -> None:
    role, pw = canary_role
    Path("pyproject.toml").write_text(
        "[tool.dbctl.targets]\n"
        f'primary = "{pg.url_for(role, pw)}"\n'
        f'reporting = "{pg.url_for(role, "wrong-" + CANARY)}"\n'
    )
    human, data = _both(cli)
    assert [t["name"] for t in data["targets"]] == ["primary", "reporting"]
    assert [t["status"] for t in data["targets"]] == ["pass", "fail"]
    assert data["targets"][1]["checks"][4]["code"] == "auth.failed"
    assert human.exit_code == 1
    assert "== primary ==" in human.stdout and "== reporting ==" in human.stdout
    # one --url still checks just that URL
    single = cli("check", "--url", pg.url_for(role, pw), "--format", "json")
    assert single.exit_code == 0 and "targets" not in json.loads(single.stdout)


def test_unusable_target_url_exits_2_naming_it(cli: Any) -> None:
    Path("pyproject.toml").write_text(
        f'[tool.dbctl.targets]\nbroken = "postgresql+asyncpg://app:{CANARY}@db:abc/app"\n'
    )
    res = cli("check")
    assert res.exit_code == 2
    assert "target broken" in res.stderr and CANARY not in res.all


def test_targets_are_checked_concurrently(cli: Any, silent_port: int) -> None:
    url = f"postgresql+asyncpg://app:{CANARY}@127.0.0.1:{silent_port}"
    args = [a for i in range(3) for a in ("--url", f"{url}/db{i}")]
    t0 = time.monotonic()
    res = cli("check", *args, "--timeout", "1", "--format", "json")
    elapsed = time.monotonic() - t0
    assert res.exit_code == 3
    data = json.loads(res.stdout)
    assert {t["checks"][2]["code"] for t in data["targets"]} == {"tcp.timeout"}
    assert elapsed < 2.5, elapsed  # one after the other would take 3 s or more


def test_unusable_url_among_several_is_named_by_its_masked_url(cli: Any) -> None:
    bad = f"postgresql+asyncpg://app:{CANARY}@db:abc/app"
    res = cli("check", "--url", "postgresql+asyncpg://app@127.0.0.1:1/app", "--url", bad)
    assert res.exit_code == 2
    assert "target postgresql+asyncpg://app:***@db:abc/app:" in res.stderr, res.stderr
    assert CANARY not in res.all

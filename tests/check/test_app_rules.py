"""``dbctl check`` reads the URL as the app's SQLAlchemy does: against a real server."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

import pytest

from tests.conftest import CANARY
from tests.conftest import TestDatabase as PgDatabase

pytestmark = pytest.mark.db


def _base(pg: PgDatabase, role: str) -> str:
    return f"postgresql+asyncpg://{role}@{pg.server.host}:{pg.server.port}/{pg.name}"


def test_password_in_the_query_logs_in_and_is_masked(
    check: Any, pg: PgDatabase, canary_role: tuple[str, str]
) -> None:
    role, pw = canary_role
    res = check("--url", f"{_base(pg, role)}?password={quote(pw, safe='')}")
    assert res.exit_code == 0, res.human.all
    assert res.status("auth") == "pass"
    assert "password=***" in res.data["target"]  # and the fixture proved CANARY nowhere


def test_user_in_the_query_wins_as_in_sqlalchemy(
    check: Any, pg: PgDatabase, canary_role: tuple[str, str]
) -> None:
    role, pw = canary_role
    url = (
        f"postgresql+asyncpg://nobody:{quote(pw, safe='')}@{pg.server.host}:{pg.server.port}"
        f"/{pg.name}?user={role}"
    )
    res = check("--url", url)
    assert res.exit_code == 0, res.human.all
    assert res.row("auth")["data"]["user"] == role


@pytest.mark.parametrize(
    ("query", "param"),
    [("ssl=false", "ssl"), ("statement_cache_size=0", "statement_cache_size")],
)
def test_parameters_the_app_dies_of_fail_config_and_the_rest_runs(
    check: Any, pg: PgDatabase, canary_role: tuple[str, str], query: str, param: str
) -> None:
    role, pw = canary_role
    url = f"{pg.url_for(role, pw)}?{query}"
    res = check("--url", url)
    assert res.exit_code == 1
    row = res.row("config")
    assert (row["status"], row["code"]) == ("fail", "config.bad_parameter")
    assert param in row["summary"] and "first connection" in row["summary"]
    assert res.status("auth") == "pass"  # checked with the evident value


def test_prepared_statement_cache_size_is_the_apps_and_accepted(
    check: Any, pg: PgDatabase, canary_role: tuple[str, str]
) -> None:
    role, pw = canary_role
    res = check("--url", f"{pg.url_for(role, pw)}?prepared_statement_cache_size=0")
    assert res.exit_code == 0, res.human.all
    assert res.status("config") == "pass"


def test_hostless_url_does_not_echo_the_password(check: Any) -> None:
    res = check("--url", f"postgresql+asyncpg://app:{CANARY}/app")
    assert res.exit_code in {2, 3}  # the app reads host 'app', port '<password>': unusable

"""QA: a seed that breaks a constraint shows PostgreSQL's DETAIL without the values of
columns named like secrets (the rule `users list` masks them by)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import CANARY

pytestmark = pytest.mark.db

ACCOUNTS = (
    "CREATE TABLE accounts (id int PRIMARY KEY, name text, hashed_password text, "
    "api_token text, age int CHECK (age > 0))"
)


def _seed(cli: Any, pg: Any, tmp_path: Path, rows: dict[str, Any]) -> Any:
    (tmp_path / "rows.json").write_text(json.dumps(rows))
    r = cli("seed", "rows.json", "--url", pg.url)
    assert r.exit_code == 1, r.all
    assert r.stdout == ""
    assert CANARY not in r.all
    return r


def test_failing_row_masks_secret_columns(cli: Any, pg: Any, tmp_path: Path) -> None:
    pg.sql(ACCOUNTS)
    row = {"id": 1, "name": "alice", "hashed_password": CANARY, "api_token": CANARY, "age": -1}
    r = _seed(cli, pg, tmp_path, {"accounts": [row]})
    assert r.stderr.splitlines()[0] == (
        'error: rows.json: table accounts: new row for relation "accounts" violates check '
        'constraint "accounts_age_check" (DETAIL: Failing row contains (1, alice, ***, ***, '
        "-1).) — nothing was inserted (rolled back) [sqlstate.23514]"
    )
    assert pg.sql("SELECT count(*) FROM accounts")[0][0] == 0


def test_failing_row_that_cannot_be_split_is_left_out(cli: Any, pg: Any, tmp_path: Path) -> None:
    # "a, b" makes the values impossible to match to the columns: none is shown
    pg.sql(ACCOUNTS)
    row = {"id": 1, "name": "a, b", "hashed_password": CANARY, "api_token": "t", "age": -1}
    r = _seed(cli, pg, tmp_path, {"accounts": [row]})
    assert (
        "(DETAIL: Failing row not shown: the table has columns named like secrets "
        "(hashed_password, api_token)) — nothing was inserted" in r.stderr.splitlines()[0]
    )


def test_key_of_a_secret_column_is_masked(cli: Any, pg: Any, tmp_path: Path) -> None:
    pg.sql(
        "CREATE TABLE orgs (secret_code text PRIMARY KEY)",
        "CREATE TABLE members (id int PRIMARY KEY, org_secret_code text REFERENCES orgs)",
    )
    r = _seed(cli, pg, tmp_path, {"members": [{"id": 1, "org_secret_code": CANARY}]})
    assert "(DETAIL: Key (org_secret_code)=(***) is not present in table" in r.stderr


def test_a_table_without_secrets_keeps_its_detail(cli: Any, pg: Any, tmp_path: Path) -> None:
    pg.sql("CREATE TABLE plain (id int PRIMARY KEY, name text, age int CHECK (age > 0))")
    r = _seed(cli, pg, tmp_path, {"plain": [{"id": 1, "name": "a, b", "age": -4}]})
    assert "(DETAIL: Failing row contains (1, a, b, -4).)" in r.stderr

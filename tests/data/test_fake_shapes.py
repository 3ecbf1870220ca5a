"""seed --fake: simple CHECK constraints respected, JSON/ARRAY columns of their shape,
--fake-column steering, and a violation that names the constraint."""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.data.conftest import scalar

pytestmark = pytest.mark.db

TABLE = (
    "CREATE TABLE accounts (id serial PRIMARY KEY, "
    "age int NOT NULL CHECK (age >= 18), "
    "status text NOT NULL CHECK (status IN ('new', 'done')), "
    "code varchar(50) NOT NULL CHECK (char_length(code) <= 5), "
    "price numeric(8,2) NOT NULL CHECK (price > 0), "
    "tags jsonb NOT NULL, meta jsonb NOT NULL, "
    "labels text[], scores int[] NOT NULL, country text NOT NULL)"
)


def test_checks_and_shapes(cli: Any, pg: Any) -> None:
    pg.sql(TABLE)
    r = cli("seed", "--fake", "500", "--table", "accounts", "--url", pg.url)
    assert r.exit_code == 0, r.stderr
    assert scalar(pg, "SELECT min(age) FROM accounts") >= 18
    assert {row[0] for row in pg.sql("SELECT DISTINCT status FROM accounts")} <= {"new", "done"}
    assert scalar(pg, "SELECT max(char_length(code)) FROM accounts") <= 5
    assert scalar(pg, "SELECT min(price) FROM accounts") > 0
    kinds = pg.sql("SELECT DISTINCT jsonb_typeof(tags) AS t, jsonb_typeof(meta) AS m FROM accounts")
    assert {(k["t"], k["m"]) for k in kinds} == {("array", "object")}
    assert scalar(pg, "SELECT count(*) FROM accounts WHERE labels IS NOT NULL") == 500
    assert scalar(pg, "SELECT count(*) FROM accounts WHERE cardinality(labels) > 0") > 0
    sample = pg.sql("SELECT scores FROM accounts WHERE cardinality(scores) > 0 LIMIT 1")
    assert all(isinstance(v, int) for v in sample[0][0])


def test_fake_column_steers_values(cli: Any, pg: Any) -> None:
    pg.sql(TABLE)
    r = cli(
        "seed",
        "--fake",
        "200",
        "--table",
        "accounts",
        "--url",
        pg.url,
        "--fake-column",
        "country=country_code",
        "--fake-column",
        "status=done",
        "--format",
        "json",
    )
    assert r.exit_code == 0, r.stderr
    assert json.loads(r.stdout)["inserted"] == 200
    assert [row[0] for row in pg.sql("SELECT DISTINCT status FROM accounts")] == ["done"]
    assert scalar(pg, "SELECT max(char_length(country)) FROM accounts") == 2
    bad = cli(
        "seed", "--fake", "1", "--table", "accounts", "--url", pg.url, "--fake-column", "nope=1"
    )
    assert bad.exit_code == 2 and "'nope' is not a column of accounts" in bad.stderr


def test_a_check_it_cannot_read_names_the_constraint(cli: Any, pg: Any) -> None:
    pg.sql(
        "CREATE TABLE spans (id serial PRIMARY KEY, a int NOT NULL, b int NOT NULL, "
        "CONSTRAINT a_before_b CHECK (a < b))"
    )
    r = cli("seed", "--fake", "100", "--table", "spans", "--url", pg.url)
    assert r.exit_code == 1
    assert "violate CHECK constraint a_before_b" in r.stderr
    assert "--fake-column" in r.stderr and "Traceback" not in r.stderr
    assert scalar(pg, "SELECT count(*) FROM spans") == 0
    ok = cli(
        "seed",
        "--fake",
        "10",
        "--table",
        "spans",
        "--url",
        pg.url,
        "--fake-column",
        "a=0",
        "--fake-column",
        "b=1",
    )
    assert ok.exit_code == 0, ok.stderr

"""users list: keyset paging that never loses or repeats a row (nullable order columns,
composite keys), --table schema.table, --columns, secret masking, search wording."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest

pytestmark = pytest.mark.db


def _page_all(cli: Any, pg: Any, *args: str, limit: int) -> list[dict[str, Any]]:
    """Every row, page by page, following the printed cursor."""
    rows: list[dict[str, Any]] = []
    after: list[str] = []
    for _ in range(2000):
        r = cli(
            "users",
            "list",
            "--url",
            pg.url,
            *args,
            "--limit",
            str(limit),
            "--format",
            "jsonl",
            *after,
        )
        assert r.exit_code == 0, r.stderr
        rows += [json.loads(line) for line in r.stdout.splitlines()]
        match = re.search(r"next page: --after (\S+)", r.stderr)
        if match is None:
            return rows
        after = ["--after", match[1].strip("'")]
    raise AssertionError("paging never ended")


@pytest.fixture
def people(pg: Any) -> None:
    # 1,005 rows; every third has a NULL score, scores repeat (not unique)
    pg.sql(
        "CREATE TABLE users (id int PRIMARY KEY, score int, hashed_password text, "
        "api_key text, email text)",
        "INSERT INTO users SELECT i, CASE WHEN i % 3 = 0 THEN NULL ELSE i % 17 END, "
        "'$2b$12$hash' || i, 'key-' || i, 'u' || i || '@x.io' FROM generate_series(1, 1005) i",
    )


@pytest.mark.parametrize("limit", [1, 7])
def test_paging_by_a_nullable_non_unique_column_sees_every_row_once(
    cli: Any, pg: Any, people: None, limit: int
) -> None:
    if limit == 1:  # 1,005 invocations in-process: keep it to a slice of the table
        pg.sql("DELETE FROM users WHERE id > 120")
    rows = _page_all(cli, pg, "--order", "score", limit=limit)
    ids = [r["id"] for r in rows]
    expected = 120 if limit == 1 else 1005
    assert sorted(ids) == list(range(1, expected + 1))  # every row exactly once
    scores = [r["score"] for r in rows]
    nulls = scores.index(None)
    assert all(s is None for s in scores[nulls:])  # NULLs last
    assert scores[:nulls] == sorted(scores[:nulls])


def test_paging_a_composite_key_table(cli: Any, pg: Any) -> None:
    pg.sql(
        "CREATE SCHEMA crm",
        "CREATE TABLE crm.memberships (org_id int, user_id int, role text, "
        "PRIMARY KEY (org_id, user_id))",
        "INSERT INTO crm.memberships SELECT i % 10, i, 'member' FROM generate_series(1, 1005) i",
    )
    for args in ([], ["--order", "role"], ["--order", "user_id"]):
        rows = _page_all(cli, pg, "--table", "crm.memberships", *args, limit=7)
        keys = [(r["org_id"], r["user_id"]) for r in rows]
        assert len(keys) == 1005 and len(set(keys)) == 1005, args
    count = cli("users", "count", "--url", pg.url, "--table", "crm.memberships")
    assert count.stdout == "1005\n"


def test_secret_columns_are_masked_and_columns_chosen(cli: Any, pg: Any, people: None) -> None:
    r = cli("users", "list", "--url", pg.url, "--limit", "2", "--format", "json")
    rows = json.loads(r.stdout)
    assert rows[0]["hashed_password"] == "***" and rows[0]["api_key"] == "***"
    assert "$2b$" not in r.stdout and "key-1" not in r.stdout
    assert "masked: hashed_password, api_key (--show-secrets" in r.stderr
    for fmt in ("csv", "jsonl", "table"):
        out = cli("users", "list", "--url", pg.url, "--all", "--format", fmt, "--limit", "5")
        assert "$2b$" not in out.stdout, fmt
    shown = cli(
        "users", "list", "--url", pg.url, "--limit", "1", "--format", "json", "--show-secrets"
    )
    assert json.loads(shown.stdout)[0]["hashed_password"] == "$2b$12$hash1"
    # searching does not probe masked columns
    probe = cli("users", "list", "--url", pg.url, "--search", "$2b$", "--format", "json")
    assert probe.stdout == "[]\n"
    assert "no rows match the search in public.users" in probe.stderr
    picked = cli(
        "users", "list", "--url", pg.url, "--columns", "email,id", "--limit", "1", "--format", "csv"
    )
    assert picked.stdout.splitlines() == ["email,id", "u1@x.io,1"]
    bad = cli("users", "list", "--url", pg.url, "--columns", "email,nope")
    assert bad.exit_code == 2 and "nope" in bad.stderr

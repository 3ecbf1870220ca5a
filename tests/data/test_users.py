"""dbctl users list|count against a real server."""

from __future__ import annotations

import csv
import io
import json
import os
from pathlib import Path
from typing import Any

import pytest

from dbctl import __version__
from tests.data.conftest import peak_rss_kb, scalar, tables

pytestmark = pytest.mark.db


def _users(pg: Any, n: int) -> None:
    pg.sql(
        "CREATE TABLE users (id serial PRIMARY KEY, name text, email varchar(80), "
        "created timestamptz DEFAULT '2024-05-01 10:00:00+00', score numeric(6,2))",
        f"INSERT INTO users (name, email, score) SELECT 'user ' || i, 'u' || i || '@x.io', "
        f"i / 4.0 FROM generate_series(1, {n}) AS i",
    )


def test_default_page_of_50_and_keyset_cursor(cli: Any, pg: Any) -> None:
    _users(pg, 120)
    first = cli("users", "list", "--url", pg.url, "--format", "jsonl")
    assert first.exit_code == 0, first.stderr
    rows = [json.loads(line) for line in first.stdout.splitlines()]
    assert [r["id"] for r in rows] == list(range(1, 51))
    assert rows[0]["created"] == "2024-05-01T10:00:00+00:00"
    assert "next page: --after 50" in first.stderr
    second = cli("users", "list", "--url", pg.url, "--format", "json", "--after", "50")
    ids = [r["id"] for r in json.loads(second.stdout)]
    assert ids == list(range(51, 101))
    last = cli("users", "list", "--url", pg.url, "--format", "json", "--after", "100")
    assert [r["id"] for r in json.loads(last.stdout)] == list(range(101, 121))
    assert "next page" not in last.stderr
    bad = cli("users", "list", "--url", pg.url, "--after", "abc")
    assert bad.exit_code == 2 and "--after 'abc'" in bad.stderr


def test_formats_table_csv_and_order(cli: Any, pg: Any) -> None:
    _users(pg, 5)
    table = cli("users", "list", "--url", pg.url, "--format", "table", "--limit", "2")
    assert table.exit_code == 0
    lines = table.stdout.splitlines()
    assert lines[0].split() == ["id", "name", "email", "created", "score"]
    assert "user 1" in lines[2] and len(lines) == 4
    out = cli("users", "list", "--url", pg.url, "--format", "csv", "--order", "email")
    assert "is not unique" not in out.stderr  # no page boundary, no warning
    rows = list(csv.DictReader(io.StringIO(out.stdout)))
    assert [r["email"] for r in rows] == sorted(r["email"] for r in rows)
    assert rows[0]["score"] == "0.25"
    unknown = cli("users", "list", "--url", pg.url, "--order", "id; DROP TABLE users")
    assert unknown.exit_code == 2 and "is not a column" in unknown.stderr
    paged = cli("users", "list", "--url", pg.url, "--order", "name", "--limit", "2")
    # a non-unique order: the cursor carries the whole sort key (name, id)
    assert "next page: --after k:" in paged.stderr
    plain = cli("users", "list", "--url", pg.url, "--order", "name", "--after", "user 2")
    assert "user 3" in plain.stdout and "user 2" not in plain.stdout  # a plain value still works
    # piped without --format: JSON lines
    piped = cli("users", "list", "--url", pg.url, "--limit", "1")
    assert json.loads(piped.stdout)["id"] == 1


def test_count_and_search(cli: Any, pg: Any) -> None:
    _users(pg, 30)
    pg.sql("INSERT INTO users (name) VALUES ('Ann 100%'), ('ANNA_B')")
    assert cli("users", "count", "--url", pg.url).stdout == "32\n"
    found = cli("users", "list", "--url", pg.url, "--search", "ann", "--format", "json")
    assert sorted(r["name"] for r in json.loads(found.stdout)) == ["ANNA_B", "Ann 100%"]
    pct = cli("users", "count", "--url", pg.url, "--search", "%", "--format", "json")
    assert json.loads(pct.stdout) == {
        "schema_version": 1,
        "tool": {"name": "dbctl", "version": __version__},
        "table": "public.users",
        "count": 1,
    }
    under = cli("users", "count", "--url", pg.url, "--search", "a_b")
    assert under.stdout == "1\n"


def test_hostile_search_and_table_names_are_harmless(cli: Any, pg: Any) -> None:
    _users(pg, 3)
    pg.sql("CREATE TABLE keep (x int)")
    hostile = "' OR 1=1; DROP TABLE keep; --"
    r = cli("users", "list", "--url", pg.url, "--search", hostile, "--format", "json")
    assert r.exit_code == 0 and r.stdout == "[]\n"
    r = cli("users", "list", "--url", pg.url, "--table", 'users"; DROP TABLE keep; --')
    assert r.exit_code == 1 and "does not exist" in r.stderr
    assert "keep" in tables(pg)
    assert scalar(pg, "SELECT count(*) FROM users") == 3
    # a table whose name needs quoting works
    pg.sql(
        'CREATE TABLE "we""ird; name" (id int PRIMARY KEY, "Na me" text)',
        """INSERT INTO "we""ird; name" VALUES (1, 'q"uote')""",
    )
    r = cli(
        "users",
        "list",
        "--url",
        pg.url,
        "--table",
        'we"ird; name',
        "--format",
        "json",
        "--search",
        "UOT",
    )
    assert r.exit_code == 0, r.stderr
    assert json.loads(r.stdout) == [{"id": 1, "Na me": 'q"uote'}]


def test_missing_and_empty_tables(cli: Any, pg: Any) -> None:
    missing = cli("users", "list", "--url", pg.url)
    assert missing.exit_code == 1
    assert "public.users does not exist" in missing.stderr and "dbctl init-db" in missing.stderr
    assert cli("users", "count", "--url", pg.url).exit_code == 1
    assert cli("init-db", "--url", pg.url).exit_code == 0
    empty = cli("users", "list", "--url", pg.url, "--format", "json")
    assert empty.exit_code == 0 and empty.stdout == "[]\n"
    assert "no rows in public.users" in empty.stderr
    table = cli("users", "list", "--url", pg.url, "--format", "table")
    assert table.stdout == "" and "no rows" in table.stderr
    assert cli("users", "count", "--url", pg.url).stdout == "0\n"


def test_all_as_table_is_refused_beyond_a_screenful(cli: Any, pg: Any) -> None:
    _users(pg, 1500)
    r = cli("users", "list", "--url", pg.url, "--all", "--format", "table")
    assert r.exit_code == 2 and "--format csv" in r.stderr
    ok = cli("users", "list", "--url", pg.url, "--all", "--format", "jsonl")
    assert len(ok.stdout.splitlines()) == 1500 and "next page" not in ok.stderr
    assert ok.stderr.strip().splitlines()[-1] == "1500 rows from public.users"  # when done
    j = cli("users", "list", "--url", pg.url, "--all", "--format", "json")
    assert len(json.loads(j.stdout)) == 1500


@pytest.mark.slow
def test_all_of_200k_rows_keeps_memory_flat(pg: Any, tmp_path: Path) -> None:
    pg.sql(
        "CREATE TABLE users (id serial PRIMARY KEY, name text)",
        "INSERT INTO users (name) SELECT repeat('x', 200) || i FROM generate_series(1, 200000) i",
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DBCTL_", "PG"))}
    env["DATABASE_URL"] = pg.url
    code, baseline = peak_rss_kb(
        ["users", "list", "--limit", "10", "--format", "csv"], env, tmp_path
    )
    assert code == 0
    # about 42 MB of output each: held in memory, it would show
    for fmt in ("csv", "jsonl", "json"):
        code, peak = peak_rss_kb(["users", "list", "--all", "--format", fmt], env, tmp_path)
        assert code == 0
        assert peak - baseline < 20_000, f"{fmt}: peak {peak} KiB vs baseline {baseline} KiB"
        assert peak < 150_000


def test_no_select_privilege_is_explained(cli: Any, pg: Any, tmp_path: Path) -> None:
    _users(pg, 2)
    role = f"reader_{pg.name[-8:]}"
    pg.sql(f"CREATE ROLE {role} LOGIN PASSWORD 'pw-reader-1'")
    try:
        url = pg.url_for(role, "pw-reader-1")
        r = cli("users", "list", "--url", url)
        assert r.exit_code == 1
        assert "[privileges.denied]" in r.stderr and "GRANT SELECT" in r.stderr
        (tmp_path / "users.json").write_text('[{"name": "x"}]')
        r = cli("seed", "users.json", "--url", url)
        assert r.exit_code == 1
        assert "[privileges.denied]" in r.stderr and "GRANT SELECT, INSERT" in r.stderr
    finally:
        pg.sql(f"DROP OWNED BY {role}", f"DROP ROLE {role}")


def test_users_table_and_schema_from_pyproject(cli: Any, pg: Any, tmp_path: Path) -> None:
    pg.sql(
        "CREATE SCHEMA auth",
        "CREATE TABLE auth.accounts (id int PRIMARY KEY, login text)",
        "INSERT INTO auth.accounts VALUES (1, 'root'), (2, 'ops')",
    )
    (tmp_path / "pyproject.toml").write_text(
        '[tool.dbctl]\nusers_table = "accounts"\nschema = "auth"\n'
    )
    r = cli("users", "list", "--url", pg.url, "--format", "json")
    assert r.exit_code == 0, r.stderr
    assert [row["login"] for row in json.loads(r.stdout)] == ["root", "ops"]
    assert cli("users", "count", "--url", pg.url).stdout == "2\n"

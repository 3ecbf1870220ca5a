"""dbctl seed against a real server: formats, FK order, coercion errors, re-runs, --fake,
and a SIGKILL in the middle of a large COPY."""

from __future__ import annotations

import csv
import io
import json
import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from tests.data.conftest import peak_rss_kb, scalar

pytestmark = pytest.mark.db

SCHEMA = (
    "CREATE TABLE authors (id int PRIMARY KEY, email text UNIQUE NOT NULL, "
    "active boolean, joined timestamptz, tags text[])",
    "CREATE TABLE posts (id serial PRIMARY KEY, author_id int NOT NULL REFERENCES authors(id), "
    "title varchar(20), meta jsonb)",
)


def _json_seed(tmp_path: Path) -> Path:
    data = {
        # the child first: dbctl must load authors before posts
        "posts": [
            {"id": 1, "author_id": 1, "title": "hello", "meta": {"k": [1, 2]}},
            {"id": 2, "author_id": 2, "title": "tab\there", "meta": None},
        ],
        "authors": [
            {
                "id": 1,
                "email": "a@x.io",
                "active": True,
                "joined": "2024-05-01T10:00:00Z",
                "tags": ["a", "b c"],
            },
            {"id": 2, "email": "b@x.io", "active": "no", "joined": None, "tags": []},
        ],
    }
    path = tmp_path / "seed.json"
    path.write_text(json.dumps(data))
    return path


def test_json_seed_fk_order_and_rerun_inserts_nothing(cli: Any, pg: Any, tmp_path: Path) -> None:
    pg.sql(*SCHEMA)
    _json_seed(tmp_path)
    first = cli("seed", "seed.json", "--url", pg.url, "--format", "json")
    assert first.exit_code == 0, first.stderr
    data = json.loads(first.stdout)
    assert data["schema_version"] == 1
    assert [(t["table"], t["inserted"], t["skipped"]) for t in data["tables"]] == [
        ("public.authors", 2, 0),
        ("public.posts", 2, 0),
    ]
    second = cli("seed", "seed.json", "--url", pg.url)
    assert second.exit_code == 0
    assert "public.authors: 0 inserted, 2 skipped" in second.stdout
    assert "public.posts: 0 inserted, 2 skipped" in second.stdout
    row = pg.sql("SELECT * FROM authors WHERE id = 1")[0]
    assert row["active"] is True and row["tags"] == ["a", "b c"]
    assert pg.sql("SELECT title, meta FROM posts WHERE id = 2")[0]["title"] == "tab\there"
    assert json.loads(pg.sql("SELECT meta FROM posts WHERE id = 1")[0]["meta"]) == {"k": [1, 2]}
    # the serial sequence was moved past the explicit ids
    pg.sql("INSERT INTO posts (author_id, title) VALUES (1, 'next')")
    assert scalar(pg, "SELECT max(id) FROM posts") == 3


def test_yaml_jsonl_and_csv(cli: Any, pg: Any, tmp_path: Path) -> None:
    pg.sql(*SCHEMA)
    (tmp_path / "seed.yaml").write_text(
        "authors:\n  - {id: 1, email: y@x.io, active: yes, joined: 2024-01-02}\n"
    )
    assert cli("seed", "seed.yaml", "--url", pg.url).exit_code == 0
    (tmp_path / "authors.jsonl").write_text(
        '{"id": 2, "email": "j@x.io"}\n\n{"id": 3, "email": "k@x.io"}\n'
    )
    r = cli("seed", "authors.jsonl", "--url", pg.url)
    assert r.exit_code == 0, r.stderr
    assert "2 inserted" in r.stdout
    (tmp_path / "people.csv").write_text('id,email,active\n4,"c,sv@x.io",t\n5,e@x.io,\n')
    r = cli("seed", "people.csv", "--table", "authors", "--url", pg.url)
    assert r.exit_code == 0, r.stderr
    assert scalar(pg, "SELECT count(*) FROM authors") == 5
    assert scalar(pg, "SELECT email FROM authors WHERE id = 4") == "c,sv@x.io"
    assert scalar(pg, "SELECT active FROM authors WHERE id = 5") is None


def test_coercion_errors_name_file_row_column(cli: Any, pg: Any, tmp_path: Path) -> None:
    pg.sql(*SCHEMA)
    (tmp_path / "bad.json").write_text(
        json.dumps({"authors": [{"id": 1, "email": "a"}, {"id": "two", "email": "b"}]})
    )
    r = cli("seed", "bad.json", "--url", pg.url)
    assert r.exit_code == 2
    assert "bad.json: table authors, row 2, column 'id': expected an integer, got 'two'" in r.stderr
    (tmp_path / "authors.csv").write_text("id,email,joined\n1,a@x,2024-01-01\n2,b@x,not-a-date\n")
    r = cli("seed", "authors.csv", "--url", pg.url)
    assert r.exit_code == 2
    assert "authors.csv: row 3, column 'joined'" in r.stderr
    (tmp_path / "long.json").write_text(
        json.dumps({"posts": [{"author_id": 1, "title": "x" * 30}]})
    )
    r = cli("seed", "long.json", "--url", pg.url)
    assert r.exit_code == 2 and "do not fit character varying(20)" in r.stderr
    assert scalar(pg, "SELECT count(*) FROM authors") == 0
    assert "Traceback" not in r.all


def test_unknown_tables_and_columns_are_listed(cli: Any, pg: Any, tmp_path: Path) -> None:
    pg.sql(*SCHEMA)
    (tmp_path / "s.json").write_text(json.dumps({"nope": [{"a": 1}], "zilch": [], "authors": []}))
    r = cli("seed", "s.json", "--url", pg.url)
    assert r.exit_code == 2
    assert "unknown table(s) in the seed: nope, zilch" in r.stderr
    (tmp_path / "c.json").write_text(
        json.dumps({"authors": [{"id": 1, "email": "a", "colour": 1, "size": 2}]})
    )
    r = cli("seed", "c.json", "--url", pg.url)
    assert r.exit_code == 2 and "authors: colour, size" in r.stderr
    (tmp_path / "authors.csv").write_text("id,email,id\n1,a,1\n")
    r = cli("seed", "authors.csv", "--url", pg.url)
    assert r.exit_code == 2 and "authors: id (more than once)" in r.stderr


def test_database_side_failure_rolls_back_everything(cli: Any, pg: Any, tmp_path: Path) -> None:
    pg.sql(*SCHEMA)
    (tmp_path / "fk.json").write_text(
        json.dumps({"authors": [{"id": 1, "email": "a"}], "posts": [{"author_id": 99}]})
    )
    r = cli("seed", "fk.json", "--url", pg.url)
    assert r.exit_code == 1
    assert "nothing was inserted" in r.stderr
    assert scalar(pg, "SELECT count(*) FROM authors") == 0


def test_fake_rows_respect_types_and_uniqueness(cli: Any, pg: Any) -> None:
    pg.sql(
        *SCHEMA,
        "CREATE TYPE mood AS ENUM ('ok', 'meh')",
        "CREATE TABLE people (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, "
        "email varchar(40) UNIQUE NOT NULL, name text NOT NULL, age int, m mood NOT NULL, "
        "born date, uid uuid UNIQUE, created timestamptz NOT NULL DEFAULT now())",
    )
    for _ in range(2):
        r = cli(
            "seed", "--fake", "3000", "--table", "people", "--url", pg.url, "--batch-size", "700"
        )
        assert r.exit_code == 0, r.stderr
        assert "3000 inserted" in r.stdout
    assert scalar(pg, "SELECT count(DISTINCT email) FROM people") == 6000
    assert scalar(pg, "SELECT count(DISTINCT uid) FROM people") == 6000
    assert scalar(pg, "SELECT max(length(email)) FROM people") <= 40
    assert scalar(pg, "SELECT count(*) FROM people WHERE email NOT LIKE '%@%'") == 0
    # foreign keys take existing values; an empty referenced table is explained
    r = cli("seed", "--fake", "10", "--table", "posts", "--url", pg.url)
    assert r.exit_code == 1 and "authors" in r.stderr and "seed authors first" in r.stderr
    assert cli("seed", "--fake", "50", "--table", "authors", "--url", pg.url).exit_code == 0
    assert cli("seed", "--fake", "200", "--table", "posts", "--url", pg.url).exit_code == 0
    assert scalar(pg, "SELECT count(*) FROM posts p JOIN authors a ON a.id = p.author_id") == 200
    r = cli("seed", "--fake", "5", "--table", "nope", "--url", pg.url)
    assert r.exit_code == 1 and "init-db" in r.stderr


def test_usage_errors(cli: Any, pg: Any, tmp_path: Path) -> None:
    assert cli("seed", "--url", pg.url).exit_code == 2
    assert cli("seed", "--fake", "3", "--url", pg.url).exit_code == 2
    (tmp_path / "x.txt").write_text("")
    r = cli("seed", "x.txt", "--url", pg.url)
    assert r.exit_code == 2 and ".csv" in r.stderr


def _wait_for_copy(pg: Any, timeout: float = 30) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        n = scalar(
            pg,
            "SELECT count(*) FROM pg_stat_activity "
            f"WHERE datname = '{pg.name}' AND query LIKE 'COPY%'",
        )
        if n:
            return True
        time.sleep(0.05)
    return False


@pytest.mark.slow
def test_sigkill_during_large_seed_leaves_db_as_before(pg: Any, tmp_path: Path) -> None:
    pg.sql(
        "CREATE TABLE users (id int PRIMARY KEY, name text)", "INSERT INTO users VALUES (0, 'x')"
    )
    big = tmp_path / "users.csv"
    with big.open("w") as fh:
        fh.write("id,name\n")
        for i in range(1, 1_500_001):
            fh.write(f"{i},user number {i} with a fairly long name to make the file big enough\n")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DBCTL_", "PG"))}
    env["DATABASE_URL"] = pg.url
    cmd = [sys.executable, "-m", "dbctl", "seed", str(big)]
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        assert _wait_for_copy(pg), "the seed never reached COPY"
        time.sleep(0.3)
        assert proc.poll() is None, "the seed finished before it could be killed"
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(10)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert proc.returncode == -signal.SIGKILL
    assert scalar(pg, "SELECT count(*) FROM users") == 1
    # the re-run succeeds, streaming: the ~100 MB file never sits in memory
    assert big.stat().st_size > 100_000_000
    code, peak = peak_rss_kb(["seed", str(big)], env, tmp_path)
    assert code == 0, (tmp_path / "stderr.txt").read_text()
    assert peak < 100_000, f"peak RSS {peak} KiB"
    assert scalar(pg, "SELECT count(*) FROM users") == 1_500_001


def test_bad_csv_files_are_explained(cli: Any, pg: Any, tmp_path: Path) -> None:
    pg.sql(*SCHEMA)
    (tmp_path / "authors.csv").write_text("id, email\n1,a@x\n2,b@x,extra\n")
    r = cli("seed", "authors.csv", "--url", pg.url)
    assert r.exit_code == 2
    assert "authors.csv: row 3: 3 fields, the header has 2" in r.stderr
    (tmp_path / "authors.csv").write_bytes(b"id,email\n1,caf\xe9@x\n")
    r = cli("seed", "authors.csv", "--url", pg.url)
    assert r.exit_code == 2 and "not UTF-8" in r.stderr
    assert "Traceback" not in r.all and "internal error" not in r.all
    (tmp_path / "authors.csv").write_text("id, email \n1,a@x\n")  # header spaces are ignored
    assert cli("seed", "authors.csv", "--url", pg.url).exit_code == 0
    assert scalar(pg, "SELECT count(*) FROM authors") == 1


def test_fake_numbers_fit_their_precision(cli: Any, pg: Any) -> None:
    pg.sql("CREATE TABLE prices (id serial PRIMARY KEY, amount numeric(4,2) NOT NULL, ok bool)")
    r = cli("seed", "--fake", "2000", "--table", "prices", "--url", pg.url)
    assert r.exit_code == 0, r.stderr
    assert scalar(pg, "SELECT max(amount) < 100 FROM prices") is True


def test_ids_below_one_do_not_break_the_sequence(cli: Any, pg: Any, tmp_path: Path) -> None:
    pg.sql("CREATE TABLE users (id serial PRIMARY KEY, name text)")
    (tmp_path / "users.json").write_text('[{"id": 0, "name": "root"}, {"id": -1, "name": "x"}]')
    r = cli("seed", "users.json", "--url", pg.url)
    assert r.exit_code == 0, r.stderr
    pg.sql("INSERT INTO users (name) VALUES ('next')")
    assert scalar(pg, "SELECT id FROM users WHERE name = 'next'") == 1


def test_duplicate_keys_inside_one_file_are_skipped(cli: Any, pg: Any, tmp_path: Path) -> None:
    pg.sql(*SCHEMA)
    (tmp_path / "authors.csv").write_text("id,email\n1,a@x\n2,b@x\n1,again@x\n3,b@x\n")
    r = cli("seed", "authors.csv", "--url", pg.url, "--format", "json")
    assert r.exit_code == 0, r.stderr
    table = json.loads(r.stdout)["tables"][0]
    assert (table["rows"], table["inserted"], table["skipped"]) == (4, 2, 2)
    assert scalar(pg, "SELECT string_agg(email, ',' ORDER BY id) FROM authors") == "a@x,b@x"


def test_awkward_text_survives_the_copy_round_trip(cli: Any, pg: Any, tmp_path: Path) -> None:
    pg.sql("CREATE TABLE notes (id int PRIMARY KEY, body text)")
    nasty = [
        "\\N",
        "",
        "tab\there",
        "line\nbreak\r\n",
        "back\\slash\\",
        "\\.",
        "é ✓ 日本",
        '"quoted", comma',
        "NULL",
        "  spaces  ",
    ]
    rng = random.Random(7)
    alphabet = "ab\\\t\n\r\"',;é✓\x01 "
    nasty += [
        "".join(rng.choice(alphabet) for _ in range(rng.randrange(1, 30))) for _ in range(200)
    ]
    rows = [{"id": i, "body": text} for i, text in enumerate(nasty)] + [{"id": -1, "body": None}]
    (tmp_path / "notes.json").write_text(json.dumps(rows))
    r = cli("seed", "notes.json", "--url", pg.url)
    assert r.exit_code == 0, r.stderr
    stored = {row["id"]: row["body"] for row in pg.sql("SELECT id, body FROM notes")}
    assert stored == {row["id"]: row["body"] for row in rows}
    # and back out through users list: JSON lines via COPY, CSV via COPY, JSON via a cursor
    out = cli("users", "list", "--url", pg.url, "--table", "notes", "--all", "--format", "jsonl")
    assert out.exit_code == 0, out.stderr
    listed = [json.loads(line) for line in out.stdout.splitlines()]
    assert {r["id"]: r["body"] for r in listed} == stored
    out = cli("users", "list", "--url", pg.url, "--table", "notes", "--all", "--format", "json")
    assert {r["id"]: r["body"] for r in json.loads(out.stdout)} == stored
    # CSV through a real process (CliRunner's .stdout folds \r\n into \n)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DBCTL_", "PG"))}
    env["DATABASE_URL"] = pg.url
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "dbctl",
            "users",
            "list",
            "--table",
            "notes",
            "--all",
            "--format",
            "csv",
        ],
        env=env,
        capture_output=True,
        check=True,
    )
    text = proc.stdout.decode()
    parsed = {int(r["id"]): r["body"] for r in csv.DictReader(io.StringIO(text, newline=""))}
    assert parsed == {k: (v or "") for k, v in stored.items()}

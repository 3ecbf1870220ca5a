"""Faithful seed input: YAML by the 1.2 core schema (text stays text, no binary/Python
tags, alias bombs refused in bounded time and memory), non-finite numbers, NUL
characters, numeric overflow, and missing keys the same in every format."""

from __future__ import annotations

import json
import os
import time
from pathlib import Path
from typing import Any

import pytest

from tests.data.conftest import peak_rss_kb, scalar

pytestmark = pytest.mark.db

TABLE = (
    "CREATE TABLE things (id int PRIMARY KEY, label text, flag boolean, n int, "
    "price numeric(5,2), ratio float8, meta jsonb, note text DEFAULT 'none')"
)


def test_yaml_text_stays_text_and_typed_columns_convert(cli: Any, pg: Any, tmp_path: Path) -> None:
    pg.sql(TABLE)
    (tmp_path / "seed.yaml").write_text(
        "things:\n"
        "  - {id: 1, label: no, flag: no, n: 0x1F}\n"
        "  - {id: 2, label: on, flag: on, n: 7}\n"
        "  - {id: 3, label: 0x1F, flag: true, n: 1}\n"
        "  - {id: 4, label: 2024-01-01, flag: false, ratio: .inf}\n"
        "  - {id: 5, label: ~, meta: {a: [1, yes]}}\n"
    )
    result = cli("seed", "seed.yaml", "--url", pg.url)
    assert result.exit_code == 0, result.stderr
    rows = pg.sql("SELECT id, label, flag, n, ratio::text, meta::text FROM things ORDER BY id")
    assert [r["label"] for r in rows] == ["no", "on", "0x1F", "2024-01-01", None]
    assert [r["flag"] for r in rows] == [False, True, True, False, None]
    assert rows[0]["n"] == 31
    assert rows[3]["ratio"] == "Infinity"
    assert json.loads(rows[4]["meta"]) == {"a": [1, "yes"]}


@pytest.mark.parametrize(
    ("document", "message"),
    [
        ("things:\n  - {id: 1, label: !!binary aGVsbG8=}\n", "binary values are not supported"),
        ("things:\n  - {id: 1, label: !!python/object:os.system x}\n", "python/object"),
        ("things:\n  - {id: 1, label: !!timestamp 2024-01-01}\n", "timestamp values"),
    ],
)
def test_yaml_binary_and_python_tags_are_refused(
    cli: Any, pg: Any, tmp_path: Path, document: str, message: str
) -> None:
    pg.sql(TABLE)
    (tmp_path / "seed.yaml").write_text(document)
    result = cli("seed", "seed.yaml", "--url", pg.url)
    assert result.exit_code == 2
    assert message in result.stderr and "seed.yaml" in result.stderr
    assert scalar(pg, "SELECT count(*) FROM things") == 0


def test_yaml_alias_bomb_is_refused_quickly_in_little_memory(
    pg: Any, tmp_path: Path
) -> None:
    pg.sql(TABLE)
    lines = ['a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    for i, name in enumerate("bcdefghi"):
        prev = "abcdefghi"[i]
        lines.append(f"{name}: &{name} [" + ",".join([f"*{prev}"] * 9) + "]")
    lines.append("things: [{id: 1, meta: *i}]")
    bomb = tmp_path / "bomb.yaml"
    bomb.write_text("\n".join(lines) + "\n")
    assert bomb.stat().st_size < 600
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DBCTL_", "PG"))}
    env["DATABASE_URL"] = pg.url
    started = time.monotonic()
    code, peak_kb = peak_rss_kb(["seed", str(bomb)], env, tmp_path)
    elapsed = time.monotonic() - started
    stderr = (tmp_path / "stderr.txt").read_text()
    assert code == 2, stderr
    assert "alias" in stderr and "bomb.yaml" in stderr
    assert elapsed < 20
    assert peak_kb < 200 * 1024
    assert scalar(pg, "SELECT count(*) FROM things") == 0


@pytest.mark.parametrize(
    ("row", "column", "message"),
    [
        ('{"id": 1, "price": NaN}', "price", "fits only a float column"),
        ('{"id": 1, "n": Infinity}', "n", "fits only a float column"),
        ('{"id": 1, "meta": {"x": NaN}}', "meta", "NaN/Infinity is not valid JSON"),
        ('{"id": 1, "label": "a\\u0000b"}', "label", "NUL character"),
        ('{"id": 1, "meta": {"k": "a\\u0000b"}}', "meta", "NUL character"),
        ('{"id": 1, "price": 1234.5}', "price", "out of range for numeric(5,2)"),
    ],
)
def test_file_problems_name_row_and_column_and_send_nothing(
    cli: Any, pg: Any, tmp_path: Path, row: str, column: str, message: str
) -> None:
    pg.sql(TABLE)
    (tmp_path / "seed.json").write_text('{"things": [{"id": 9}, ' + row + "]}")
    result = cli("seed", "seed.json", "--url", pg.url)
    assert result.exit_code == 2, result.stderr
    assert f"seed.json: table things, row 2, column '{column}'" in result.stderr
    assert message in result.stderr
    assert scalar(pg, "SELECT count(*) FROM things") == 0


def test_nan_into_a_float_column_is_kept(cli: Any, pg: Any, tmp_path: Path) -> None:
    pg.sql(TABLE)
    (tmp_path / "seed.json").write_text('{"things": [{"id": 1, "ratio": NaN}]}')
    assert cli("seed", "seed.json", "--url", pg.url).exit_code == 0
    assert scalar(pg, "SELECT ratio::text FROM things") == "NaN"


@pytest.mark.parametrize("fmt", ["json", "yaml", "jsonl"])
def test_a_missing_key_takes_the_default_in_every_format(
    cli: Any, pg: Any, tmp_path: Path, fmt: str
) -> None:
    pg.sql(TABLE)
    rows = [{"id": 1, "note": "given"}, {"id": 2}]
    path = tmp_path / f"things.{fmt}"
    if fmt == "jsonl":
        path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    else:
        path.write_text(json.dumps({"things": rows}))  # JSON is YAML too
    result = cli("seed", path.name, "--url", pg.url)
    assert result.exit_code == 0, result.stderr
    assert [r[0] for r in pg.sql("SELECT note FROM things ORDER BY id")] == ["given", "none"]

"""QA: `dbctl lint` as a team adopts it, following README.md and docs/ only: the
baseline workflow (`--format json -o .dbctl-baseline.json`, then `--baseline`) with every
kind of wrong file in place of the baseline."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.prestart.conftest import run_dbctl

DB = 'engine_url = "postgresql+asyncpg://app:s3cret@db/app"\n'


def _fifo(path: Path) -> None:
    os.mkfifo(path)


def _write(text: str) -> Callable[[Path], None]:
    return lambda path: path.write_text(text)


@pytest.mark.parametrize(
    ("make", "says"),
    [
        (None, "no such file: base.json"),
        (_write(""), "base.json is not a `dbctl lint --format json` report (an empty file)"),
        (
            _write("db.py:1:14: DBC201 hardcoded password\n"),  # the text report
            "base.json is not a `dbctl lint --format json` report (not JSON: Expecting value:"
            " line 1 column 1 (char 0))",
        ),
        (_write("[1, 2]"), "base.json is not a `dbctl lint --format json` report"),
        (  # a SARIF report
            _write('{"version": "2.1.0", "runs": []}'),
            "base.json is not a `dbctl lint --format json` report",
        ),
        (  # entries that are not findings used to match nothing, silently
            _write('{"findings": [{"code": "DBC201", "path": "db.py"}]}'),
            "base.json is not a `dbctl lint --format json` report (finding 1 has no string"
            " 'fingerprint')",
        ),
        (
            _write('{"findings": [7]}'),
            "base.json is not a `dbctl lint --format json` report (finding 1 is not an object)",
        ),
        (lambda path: path.mkdir(), "cannot read base.json: not a regular file"),
        (_fifo, "cannot read base.json: not a regular file"),  # never opened: no hang
    ],
    ids=["missing", "empty", "text-report", "list", "sarif", "no-fingerprint", "not-object",
         "directory", "fifo"],
)
def test_a_file_that_is_not_a_baseline_is_one_line_and_exit_2(
    tmp_path: Path, make: Callable[[Path], None] | None, says: str
) -> None:
    (tmp_path / "db.py").write_text(DB)
    if make is not None:
        make(tmp_path / "base.json")
    r = run_dbctl("lint", "--no-cache", "--baseline", "base.json", cwd=tmp_path, timeout=30)
    assert r.returncode == 2, r.all
    assert r.stdout == ""
    [line] = [x for x in r.stderr.splitlines() if not x.startswith("  hint:")]
    assert line.startswith(f"error: --baseline: {says}"), r.stderr

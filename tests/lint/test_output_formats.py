"""The lint renderers on constructed results: text, json, github, statistics, exit codes."""

from __future__ import annotations

import json
import re

from dbctl.lint.model import FileError, LintResult, Severity
from dbctl.output.lint import (
    exit_code,
    github_report,
    json_report,
    render_report,
    statistics_lines,
    summary_line,
    text_report,
)
from tests.lint.ux_support import CANARY, FAKE_RULES, FakeDsn, finding, sample_result


def test_text_is_ruff_like_sorted_and_one_line_per_finding() -> None:
    lines = text_report(sample_result()).splitlines()
    assert lines == [
        "app/db.py:3:11: DBC201 database URL with a password: postgresql+asyncpg://app:***@db/app",
        "app/db.py:9:1: DBC202 hardcoded-password-argument here",
        "app/main.py:7:5: DBC303 engine-echo-true here",
        "my dir/a,b:c.py:1:1: DBC201 50% done second line",
    ]


def test_json_has_exactly_the_documented_shape() -> None:
    data = json_report(sample_result(errors=True))
    assert list(data) == ["schema_version", "tool", "findings", "errors", "notices", "summary"]
    assert data["schema_version"] == 1
    assert data["tool"]["name"] == "dbctl"
    first = dict(data["findings"][0])
    assert re.fullmatch(r"[0-9a-f]{16}", first.pop("fingerprint"))
    assert first == {
        "code": "DBC201",
        "name": "hardcoded-dsn-password",
        "category": "credentials",
        "severity": "error",
        "message": "database URL with a password: postgresql+asyncpg://app:***@db/app",
        "path": "app/db.py",
        "line": 3,
        "col": 11,
        "end_line": 3,
        "end_col": 58,
    }
    assert data["findings"][1]["severity"] == "info"
    assert data["errors"] == [{"path": "broken/loop", "message": "symlink loop"}]
    assert data["summary"] == {
        "files": 3,
        "findings": 4,
        "by_code": {"DBC201": 2, "DBC202": 1, "DBC303": 1},
        "duration_ms": 12.3,
        "ignored": 0,
        "baselined": 0,
    }
    # the rendered text is the same document
    assert json.loads(render_report(sample_result(errors=True), "json", FAKE_RULES)) == data


def test_github_annotations_levels_and_escaping() -> None:
    lines = github_report(sample_result(errors=True)).splitlines()
    assert lines[0] == (
        "::error file=app/db.py,line=3,col=11,endLine=3,endColumn=58,"
        "title=DBC201::"
        "database URL with a password: postgresql+asyncpg://app:***@db/app"
    )
    assert lines[1].startswith("::notice file=app/db.py,line=9,")  # info -> notice
    assert lines[2].startswith("::warning file=app/main.py,line=7,col=5,")
    # ',' and ':' in a property, '%' and newlines in the message are escaped
    assert lines[3].startswith("::error file=my dir/a%2Cb%3Ac.py,line=1,")
    assert lines[3].endswith("::50%25 done%0Asecond line")
    assert lines[4] == "::error file=broken/loop,title=dbctl::could not lint: symlink loop"


def test_statistics_count_per_rule_most_frequent_first() -> None:
    assert statistics_lines(sample_result()) == [
        "2  DBC201  hardcoded-dsn-password",
        "1  DBC202  hardcoded-password-argument",
        "1  DBC303  engine-echo-true",
    ]
    assert text_report(sample_result(), statistics=True).count("\n") == 3


def test_exit_codes() -> None:
    clean = LintResult([], [], 5, 1.0)
    assert exit_code(clean) == 0
    assert exit_code(sample_result()) == 1
    assert exit_code(sample_result(), exit_zero=True) == 0
    # could not lint wins, even with --exit-zero
    assert exit_code(sample_result(errors=True)) == 2
    assert exit_code(sample_result(errors=True), exit_zero=True) == 2
    assert exit_code(LintResult([], [FileError("x", "unreadable")], 0, 1.0)) == 2


def test_summary_line() -> None:
    assert summary_line(LintResult([], [], 1, 1.0)) == "No findings in 1 file."
    assert summary_line(sample_result(errors=True)) == (
        "Found 4 findings (2 errors, 1 warning, 1 info) in 3 files. 1 path could not be linted."
    )


def test_a_password_that_reaches_a_renderer_is_masked_in_every_format() -> None:
    leaky = LintResult(
        [
            finding(
                FakeDsn,
                "app/db.py",
                1,
                message=f"URL postgresql+asyncpg://app:{CANARY}@db/app has a password",
                severity=Severity.error,
            )
        ],
        [FileError("cfg/alembic.ini", f"bad value postgresql://u:{CANARY}@h/d")],
        1,
        1.0,
    )
    for fmt in ("text", "json", "sarif", "github"):
        text = render_report(leaky, fmt, FAKE_RULES)
        assert CANARY not in text, fmt
        assert "app:***@db/app" in text, fmt

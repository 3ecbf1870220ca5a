"""`dbctl lint` / `dbctl rules` through the CLI with fake rules and a constructed result.

The engine is replaced here so that the CLI's own behaviour (options, exit codes,
streams, --output) is tested independently of the rules; the end-to-end tests against
the real engine are in test_cli_e2e.py.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest

import dbctl.lint.engine
import dbctl.lint.registry
from dbctl.lint.model import LintConfig, LintResult
from tests.lint.ux_support import CANARY, FAKE_RULES, sample_result


@pytest.fixture
def fake(monkeypatch: pytest.MonkeyPatch) -> dict[str, Any]:
    """Registry = the fake rules; the engine returns ``state['result']`` and records calls."""
    state: dict[str, Any] = {"result": sample_result(), "calls": []}

    def lint_paths(paths: Sequence[Path], config: LintConfig, config_for: Any = None) -> LintResult:
        state["calls"].append((list(paths), config))
        return state["result"]

    monkeypatch.setattr(dbctl.lint.registry, "ALL_RULES", FAKE_RULES)
    monkeypatch.setattr(dbctl.lint.engine, "lint_paths", lint_paths)
    return state


def test_findings_exit_1_data_on_stdout_summary_on_stderr(cli: Any, fake: dict[str, Any]) -> None:
    res = cli("lint")
    assert res.exit_code == 1
    assert res.stdout.splitlines()[0].startswith("app/db.py:3:11: DBC201 ")
    assert "\x1b[" not in res.stdout  # plain when piped
    assert "Found 4 findings" in res.stderr and "Found" not in res.stdout
    paths, config = fake["calls"][0]
    assert paths == [Path(".")]
    assert config.enabled == {"DBC000", "DBC201", "DBC202", "DBC303"}
    assert config.use_cache is True


def test_clean_exit_0_and_exit_zero(cli: Any, fake: dict[str, Any]) -> None:
    assert cli("lint", "--exit-zero").exit_code == 0
    fake["result"] = LintResult([], [], 2, 1.0)
    res = cli("lint")
    assert res.exit_code == 0
    assert res.stdout == ""
    assert "No findings in 2 files." in res.stderr


def test_could_not_lint_is_exit_2_even_with_exit_zero(cli: Any, fake: dict[str, Any]) -> None:
    fake["result"] = sample_result(errors=True)
    res = cli("lint", "--exit-zero")
    assert res.exit_code == 2
    assert "could not lint broken/loop: symlink loop" in res.stderr
    for fmt in ("json", "sarif", "github"):
        res = cli("lint", "--format", fmt)
        assert res.exit_code == 2
        assert "could not lint broken/loop: symlink loop" in res.stderr, fmt
    res = cli("lint", "--format", "json")
    assert json.loads(res.stdout)["errors"] == [{"path": "broken/loop", "message": "symlink loop"}]


def test_missing_path_bad_format_unknown_code_are_usage_errors(
    cli: Any, fake: dict[str, Any]
) -> None:
    res = cli("lint", "nope/")
    assert res.exit_code == 2
    assert "no such file or directory: nope" in res.stderr and res.stdout == ""
    res = cli("lint", "--format", "xml")
    assert res.exit_code == 2
    res = cli("lint", "--select", "DBC9")
    assert res.exit_code == 2
    assert "unknown rule code or prefix 'DBC9' in --select" in res.stderr
    assert "dbctl rules" in res.stderr
    res = cli("lint", "--ignore", "E501")
    assert res.exit_code == 2
    assert fake["calls"] == []  # nothing was linted


def test_select_ignore_no_cache_exclude_reach_the_engine(cli: Any, fake: dict[str, Any]) -> None:
    Path("app").mkdir()
    cli(
        "lint",
        "app",
        "--select",
        "DBC2,dbc303",
        "--ignore",
        "DBC202",
        "--no-cache",
        "--exclude",
        "gen/",
        "--exclude",
        "*_pb2.py",
    )
    paths, config = fake["calls"][-1]
    assert paths == [Path("app")]
    assert config.enabled == {"DBC000", "DBC201", "DBC303"}
    assert config.use_cache is False
    assert config.exclude == ("gen/", "*_pb2.py")


@pytest.mark.parametrize("fmt", ["text", "json", "sarif", "github"])
def test_output_file_gets_the_report_and_stdout_stays_empty(
    cli: Any, fake: dict[str, Any], fmt: str
) -> None:
    res = cli("lint", "--format", fmt, "--output", "report.out")
    assert res.exit_code == 1
    assert res.stdout == ""
    text = Path("report.out").read_text()
    assert "DBC201" in text
    if fmt in ("json", "sarif"):
        json.loads(text)
    assert "Report written to report.out" in res.stderr


def test_output_creates_parent_directories(cli: Any, fake: dict[str, Any]) -> None:
    res = cli("lint", "--format", "sarif", "--output", "reports/ci/dbctl.sarif")
    assert res.exit_code == 1
    assert json.loads(Path("reports/ci/dbctl.sarif").read_text())["version"] == "2.1.0"


def test_output_to_unwritable_place_is_exit_2(cli: Any, fake: dict[str, Any]) -> None:
    Path("adir").mkdir()
    Path("afile").write_text("")
    for target in ("adir", "afile/report.txt"):
        res = cli("lint", "--output", target)
        assert res.exit_code == 2
        assert f"cannot write {target}" in res.stderr
        assert "Traceback" not in res.all


def test_statistics(cli: Any, fake: dict[str, Any]) -> None:
    res = cli("lint", "--statistics")
    assert res.exit_code == 1
    assert res.stdout.splitlines() == [
        "2  DBC201  hardcoded-dsn-password",
        "1  DBC202  hardcoded-password-argument",
        "1  DBC303  engine-echo-true",
    ]
    res = cli("lint", "--statistics", "--format", "json")
    assert json.loads(res.stdout)["summary"]["by_code"]["DBC201"] == 2
    assert "2  DBC201" in res.stderr


def test_colour_and_grouping_on_a_terminal(cli: Any, fake: dict[str, Any]) -> None:
    res = cli("lint", env={"FORCE_COLOR": "1", "TERM": "xterm-256color"})
    assert res.exit_code == 1
    assert "\x1b[" in res.stdout
    assert "\n\n" in res.stdout  # a blank line between files


def test_canary_in_a_finding_never_reaches_any_output(cli: Any, fake: dict[str, Any]) -> None:
    from dbctl.lint.model import FileError
    from tests.lint.ux_support import FakeDsn, finding

    fake["result"] = LintResult(
        [finding(FakeDsn, "a.py", 1, message=f"see postgresql://u:{CANARY}@h/d")],
        [FileError("b.py", f"postgresql+asyncpg://u:{CANARY}@h/d")],
        2,
        1.0,
    )
    for fmt in ("text", "json", "sarif", "github"):
        res = cli("lint", "--format", fmt)
        assert CANARY not in res.all, fmt
        cli("lint", "--format", fmt, "--output", "r.out")
        assert CANARY not in Path("r.out").read_text(), fmt


# --- dbctl rules --------------------------------------------------------------------------


def test_rules_lists_the_catalogue(cli: Any, fake: dict[str, Any]) -> None:
    res = cli("rules")
    assert res.exit_code == 0
    lines = res.stdout.splitlines()
    assert [ln.split()[0] for ln in lines] == ["DBC000", "DBC201", "DBC202", "DBC303"]
    assert lines[1].split()[1:3] == ["hardcoded-dsn-password", "credentials"]
    assert lines[1].endswith("Flags a database URL literal with a password.")
    data = json.loads(cli("rules", "--format", "json").stdout)
    assert data["schema_version"] == 1
    assert data["rules"][1]["code"] == "DBC201"
    assert data["rules"][1]["help_uri"].endswith("#dbc201-hardcoded-dsn-password")


def test_rules_code_prints_its_documentation(cli: Any, fake: dict[str, Any]) -> None:
    res = cli("rules", "dbc201")
    assert res.exit_code == 0
    assert res.stdout.startswith("DBC201 hardcoded-dsn-password\n")
    for section in ("## What it does", "## Why is this bad?", "## Example", "Use instead:"):
        assert section in res.stdout
    assert cli("rules", "hardcoded-dsn-password").stdout.startswith("DBC201 ")  # by name
    res = cli("rules", "DBC2")  # a prefix lists those rules
    assert [ln.split()[0] for ln in res.stdout.splitlines()] == ["DBC201", "DBC202"]
    doc = json.loads(cli("rules", "DBC303", "--format", "json").stdout)["rule"]
    assert doc["severity"] == "warning" and "## Example" in doc["documentation"]


def test_rules_unknown_code_is_exit_2(cli: Any, fake: dict[str, Any]) -> None:
    res = cli("rules", "DBC999")
    assert res.exit_code == 2
    assert "unknown rule code or prefix 'DBC999'" in res.stderr
    assert res.stdout == ""


def test_help_lists_every_option_and_keeps_bracketed_text(cli: Any) -> None:
    res = cli("lint", "--help", env={"COLUMNS": "200"})
    assert res.exit_code == 0
    for option in (
        "--select",
        "--ignore",
        "--exclude",
        "--format",
        "--output",
        "--statistics",
        "--exit-zero",
        "--no-cache",
    ):
        assert option in res.stdout, option
    text = " ".join(res.stdout.split())  # the help formatter wraps at its own width
    assert "pyproject.toml" in text and "current directory" in text
    assert "--format FORMAT" in text and "text, json, sarif, github" in text


def test_terminal_renderings_of_statistics_and_rules(cli: Any, fake: dict[str, Any]) -> None:
    env = {"FORCE_COLOR": "1", "TERM": "xterm-256color", "COLUMNS": "120"}
    res = cli("lint", "--statistics", env=env)
    assert res.exit_code == 1
    assert "DBC201" in res.stdout and "hardcoded-dsn-password" in res.stdout
    res = cli("rules", env=env)
    assert res.exit_code == 0 and "\x1b[" in res.stdout and "DBC303" in res.stdout
    res = cli("rules", "DBC201", env=env)
    assert res.exit_code == 0
    assert "What it does" in res.stdout and "#dbc201-hardcoded-dsn-password" in res.stdout

"""`dbctl lint` on the examples: every documented pitfall of tutorial_app, nothing in fixed_app.

The expected findings are the table in examples/tutorial_app/README.md, so the docs
and the behaviour cannot drift apart. These tests need the lint rules (issue 3); on a
branch where no rule is registered yet they skip with that reason, and they run for
real once the rules are merged.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.eco.conftest import EXAMPLES, REPO, clean_env

ROW = re.compile(r"^\| (DBC\d{3}) \| `([^`]+)` \|", re.MULTILINE)


def documented_pitfalls() -> set[tuple[str, str]]:
    text = (EXAMPLES / "tutorial_app" / "README.md").read_text()
    return {(code, file) for code, file in ROW.findall(text)}


def test_the_readme_table_lists_the_pitfalls() -> None:
    pitfalls = documented_pitfalls()
    codes = {code for code, _ in pitfalls}
    assert {"DBC201", "DBC203", "DBC303", "DBC302", "DBC304", "DBC301", "DBC306"} <= codes
    for _, file in pitfalls:
        assert (EXAMPLES / "tutorial_app" / file).is_file(), file
    # each documented pitfall is marked in the source where it is
    for code, file in pitfalls:
        assert code in (EXAMPLES / "tutorial_app" / file).read_text(), (code, file)


def _lint(target: str) -> tuple[int, dict[str, Any], str]:
    from dbctl.lint.registry import ALL_RULES

    if not ALL_RULES:
        pytest.skip("no lint rule registered on this branch yet (issue 3)")
    proc = subprocess.run(
        [sys.executable, "-m", "dbctl", "lint", target, "--format", "json", "--no-cache"],
        cwd=REPO,
        env=clean_env(),
        capture_output=True,
        text=True,
        timeout=120,
    )
    return proc.returncode, json.loads(proc.stdout), proc.stderr


def test_lint_reports_every_tutorial_pitfall() -> None:
    code, report, stderr = _lint("examples/tutorial_app")
    assert code == 1, stderr
    found = {(f["code"], Path(f["path"]).name) for f in report["findings"]}
    missing = documented_pitfalls() - found
    assert not missing, f"documented but not reported: {sorted(missing)}"
    assert report["errors"] == []
    assert "password123" not in json.dumps(report)  # messages show masked values


def test_lint_finds_nothing_in_the_fixed_app() -> None:
    code, report, stderr = _lint("examples/fixed_app")
    assert report["findings"] == [], report["findings"]
    assert report["errors"] == []
    assert code == 0, stderr

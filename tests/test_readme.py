"""The README's test commands: .ci/run runs exactly them, and they work from a fresh clone."""

from __future__ import annotations

import os
import re
import subprocess
from pathlib import Path

import pytest

from tests.test_quickstart import copy_repo

ROOT = Path(__file__).resolve().parent.parent
CI_RUN = ROOT / ".ci" / "run"
#: Set in the inner run of the fresh-clone test, so that it does not start itself again.
INNER = "DBCTL_README_TEST_INNER"


def readme_test_commands() -> list[str]:
    text = (ROOT / "README.md").read_text()
    section = text.split("## Running the tests", 1)[1].split("\n## ", 1)[0]
    match = re.search(r"```bash\n(.+?)\n```", section, re.DOTALL)
    assert match, "README has no test command block"
    return [ln.strip() for ln in match.group(1).splitlines() if ln.strip()]


def ci_lines() -> list[str]:
    return [
        ln.strip()
        for ln in CI_RUN.read_text().splitlines()
        if ln.strip() and not ln.lstrip().startswith("#")
    ]


def test_readme_gives_the_complete_commands_from_a_fresh_clone() -> None:
    create, install, run = readme_test_commands()
    assert create == "python3 -m venv .venv && . .venv/bin/activate"
    assert install == "python -m pip install -e '.[test]'"
    assert run.startswith("python -m ruff check . && python -m mypy && python -m pytest")


def test_ci_runs_exactly_the_readme_test_commands() -> None:
    """.ci/run installs and tests with the README's lines (its venvs live elsewhere)."""
    _create, install, run = readme_test_commands()
    lines = ci_lines()
    assert f"newest) {install} ;;  # the README's line" in lines  # the first run
    assert run in lines
    # the test line ends run_suite (its last if/else), so its exit status is the run's
    # and set -e stops .ci/run on a failure; the lowest versions run the tests only
    body = lines[lines.index("run_suite() {  # run_suite LABEL PYTHON newest|lowest") :]
    body = body[: body.index("}")]
    assert body[-3:] == ["else", run, "fi"]
    assert body[-4] == run.split(" && ")[-1]


def test_ci_runs_the_three_ways_after_the_provisioning() -> None:
    text = CI_RUN.read_text()
    calls = re.findall(r"^\s*run_suite (\S+) \S+ (newest|lowest)$", text, re.MULTILINE)
    assert calls == [("newest", "newest"), ("lowest", "lowest"), ("newest-python", "newest")]
    assert "uv pip install --quiet --resolution lowest-direct -e '.[test]'" in text
    provisioning = text.index("# ----------------------------------------------------------------")
    assert provisioning < text.index("run_suite newest")
    assert text.index("1. provisioning") < text.index("2. test runs")
    # every apt-get and service start sits in the provisioning section
    tests_part = text[text.index("2. test runs") :]
    assert "apt-get" not in tests_part and "apt_install" not in tests_part


@pytest.mark.slow
def test_readme_test_commands_run_verbatim_from_a_fresh_clone(tmp_path: Path) -> None:
    """The README's block, as written, in a copy of the repository with no environment.

    The inner pytest runs one small test file (PYTEST_ADDOPTS), not the whole suite again:
    what is proven is that the commands work as written — the venv, the install with the
    test extra (ruff, mypy, pytest-xdist), the static checks over the whole tree.
    """
    if os.environ.get(INNER):
        pytest.skip("inside the fresh-clone run of this very test")
    repo = tmp_path / "clone"
    copy_repo(repo)
    assert not (repo / ".venv").exists()
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("DBCTL_", "PG", "PYTEST")) and k not in {"DATABASE_URL", "VIRTUAL_ENV"}
    }
    env["PATH"] = os.pathsep.join(
        p for p in env.get("PATH", "").split(os.pathsep) if "/.venv/" not in p + "/"
    )
    env[INNER] = "1"
    env["PYTEST_ADDOPTS"] = "-p no:cacheprovider tests/test_urls.py"
    block = "\n".join(readme_test_commands())
    proc = subprocess.run(
        ["bash", "-ec", block],
        cwd=repo,
        env=env,
        capture_output=True,
        text=True,
        timeout=1500,
        check=False,
    )
    out = proc.stdout + proc.stderr
    # pip's notes about this machine's unused local indexes would bury the error
    said = "\n".join(ln for ln in out.splitlines() if "WARNING: Location" not in ln)
    assert proc.returncode == 0, said[-4000:]
    assert (repo / ".venv" / "bin" / "ruff").exists()
    assert "All checks passed!" in out  # ruff
    assert "Success: no issues found" in out  # mypy
    assert re.search(r"\b\d+ passed\b", out) and " failed" not in out
    assert "created: 4/4 workers" in out or "4 workers" in out  # pytest -n 4 ran

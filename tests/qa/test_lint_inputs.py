"""QA: `dbctl lint` given a configuration or ignore files that are not what it expects."""

from __future__ import annotations

import os
import time
from pathlib import Path
from typing import Any

import pytest

from tests.lint.gitrepo import SECRET, git, init_repo, write
from tests.prestart.conftest import run_dbctl


@pytest.mark.parametrize(
    ("make", "problem"),
    [
        (lambda p: p.mkdir(), "is a directory"),
        (lambda p: os.mkfifo(p), "not a regular file (a pipe or device)"),
        (lambda p: None, "no such file"),
    ],
)
def test_lint_config_that_is_not_a_file(tmp_path: Path, make: Any, problem: str) -> None:
    # a directory or a FIFO was "no such file"; a FIFO is never opened (it would block)
    make(tmp_path / "conf")
    started = time.monotonic()
    r = run_dbctl("lint", "--config", "conf", ".", cwd=tmp_path, timeout=30)
    assert r.returncode == 2, r.all
    assert time.monotonic() - started < 20
    assert r.stdout == ""
    assert r.stderr.splitlines() == [f"error: --config: {problem}: conf"]


@pytest.fixture
def repo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A git work tree with a home of its own (no machine git configuration)."""
    (tmp_path / "xdg" / "git").mkdir(parents=True)
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "xdg"))
    monkeypatch.setenv("GIT_CONFIG_NOSYSTEM", "1")
    monkeypatch.setenv("GIT_CONFIG_GLOBAL", os.devnull)
    path = init_repo(tmp_path / "repo")
    write(path, {"main.py": SECRET, "scratch_a.py": SECRET})
    git(path, "add", "main.py")
    os.chdir(path)
    return path


def test_summary_names_ignore_rules_for_info_exclude(cli: Any, repo: Path) -> None:
    # .git/info/exclude (or git's global excludes file) skipped the path, not .gitignore
    (repo / ".git" / "info" / "exclude").write_text("scratch_*.py\n")
    r = cli("lint", "--no-cache")
    assert r.exit_code == 1
    assert r.stderr.splitlines()[-1] == (
        "Found 1 finding (1 error) in 1 file. 1 path skipped by ignore rules."
    )


def test_summary_names_ignore_rules_for_global_excludes(
    cli: Any, repo: Path, tmp_path: Path
) -> None:
    (tmp_path / "xdg" / "git" / "ignore").write_text("scratch_*.py\n")
    r = cli("lint", "--no-cache")
    assert r.stderr.splitlines()[-1].endswith(" 1 path skipped by ignore rules.")
    assert ".gitignore" not in r.stderr


def test_ignore_file_over_the_cap_is_noted(cli: Any, repo: Path) -> None:
    # a .gitignore over 1 MB was dropped without a word: the files it names were linted
    (repo / ".gitignore").write_text("scratch_*.py\n" + "#" * (1 << 20) + "\n")
    r = cli("lint", "--no-cache")
    assert r.exit_code == 1
    note = ".gitignore: ignore file not read: larger than 1 MB, none of its patterns apply"
    assert r.stderr.splitlines().count(f"note: {note}") == 1, r.stderr
    assert "scratch_a.py" in r.stdout  # not applied, as the note says

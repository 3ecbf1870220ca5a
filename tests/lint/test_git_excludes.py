"""Git's view of the files, continued, in real temporary git repositories: git's global
excludes file (``core.excludesFile``, by default ``$XDG_CONFIG_HOME/git/ignore``) and
git's precedence between ignore files; and what happens when git cannot be asked.

The oracle is git itself: the files dbctl lints are those ``git ls-files --cached
--others --exclude-standard`` lists, run in the same environment."""

from __future__ import annotations

import json
import os
import time
from pathlib import Path
from typing import Any

import pytest

from tests.lint.gitrepo import SECRET, git, init_repo, write


@pytest.fixture
def git_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A home and XDG config directory of the test's own (no machine git config): the
    environment dbctl's own git calls and the tests' git calls (``HOME`` the parent of
    the repository, ``tests.lint.gitrepo.git_env``) both see."""
    home = tmp_path
    (home / "xdg" / "git").mkdir(parents=True)
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(home / "xdg"))
    monkeypatch.setenv("GIT_CONFIG_NOSYSTEM", "1")
    monkeypatch.setenv("GIT_CONFIG_GLOBAL", os.devnull)
    return home


def _lint(cli: Any, *args: str) -> tuple[set[str], dict[str, Any], str]:
    res = cli("lint", "--no-cache", "--format", "json", *args)
    assert res.exit_code in (0, 1), res.stderr
    data = json.loads(res.stdout)
    return {f["path"] for f in data["findings"]}, data, res.stderr


def _git_view(repo: Path) -> set[str]:
    """The .py files git shows: tracked, and untracked ones not ignored."""
    out = git(repo, "ls-files", "--cached", "--others", "--exclude-standard")
    return {line for line in out.splitlines() if line.endswith(".py")}


def test_global_excludes_file_applies_to_untracked_files(
    cli: Any, tmp_path: Path, git_home: Path
) -> None:
    repo = init_repo(tmp_path / "repo")
    (git_home / "xdg" / "git" / "ignore").write_text("scratch_*.py\n")
    write(repo, {"main.py": SECRET, "scratch_a.py": SECRET, "scratch_tracked.py": SECRET})
    git(repo, "add", "-f", "main.py", "scratch_tracked.py")
    os.chdir(repo)
    paths, data, _ = _lint(cli)
    assert paths == {"main.py", "scratch_tracked.py"} == _git_view(repo)
    assert data["summary"]["ignored"] == 1
    text = cli("lint", "--no-cache")
    assert "1 path skipped by ignore rules." in text.stderr


def test_configured_excludes_file_replaces_the_default(
    cli: Any, tmp_path: Path, git_home: Path
) -> None:
    repo = init_repo(tmp_path / "repo")
    (git_home / "xdg" / "git" / "ignore").write_text("default_*.py\n")
    (git_home / "my-ignore").write_text("mine_*.py\n")
    git(repo, "config", "core.excludesFile", "~/my-ignore")  # ~ is git's to expand
    write(repo, {"main.py": SECRET, "mine_a.py": SECRET, "default_a.py": SECRET})
    os.chdir(repo)
    paths, data, _ = _lint(cli)
    assert paths == {"main.py", "default_a.py"} == _git_view(repo)
    assert data["summary"]["ignored"] == 1


def test_precedence_between_ignore_files_is_gits(
    cli: Any, tmp_path: Path, git_home: Path
) -> None:
    repo = init_repo(tmp_path / "repo")
    (git_home / "xdg" / "git" / "ignore").write_text("tmp_*.py\n")
    (repo / ".git" / "info" / "exclude").write_text("local_*.py\n")
    write(repo, {
        ".gitignore": "!tmp_keep.py\ngen_*.py\n",  # re-includes over the global file
        "app/.gitignore": "!gen_keep.py\n!local_keep.py\n",  # over the root and info/exclude
        "tmp_a.py": SECRET, "tmp_keep.py": SECRET,
        "app/gen_a.py": SECRET, "app/gen_keep.py": SECRET,
        "app/local_a.py": SECRET, "app/local_keep.py": SECRET,
        "app/main.py": SECRET,
    })
    os.chdir(repo)
    expected = {"tmp_keep.py", "app/gen_keep.py", "app/local_keep.py", "app/main.py"}
    assert _git_view(repo) == expected
    paths, data, _ = _lint(cli)
    assert paths == expected
    assert data["summary"]["ignored"] == 3
    paths, _, _ = _lint(cli, "app")  # the same rules from a subdirectory
    assert paths == expected - {"tmp_keep.py"}


def test_fifo_as_global_excludes_or_info_exclude_does_not_hang(
    cli: Any, tmp_path: Path, git_home: Path
) -> None:
    repo = init_repo(tmp_path / "repo")
    os.mkfifo(git_home / "xdg" / "git" / "ignore")
    (repo / ".git" / "info" / "exclude").unlink()
    os.mkfifo(repo / ".git" / "info" / "exclude")
    write(repo, {"main.py": SECRET})
    os.chdir(repo)
    started = time.monotonic()
    paths, _, _ = _lint(cli)
    assert paths == {"main.py"}
    assert time.monotonic() - started < 10


def _without_git(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    empty = tmp_path / "no-git-bin"
    empty.mkdir()
    monkeypatch.setenv("PATH", str(empty))


def test_git_missing_applies_ignore_rules_to_tracked_files_and_says_so(
    cli: Any, tmp_path: Path, git_home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    repo = init_repo(tmp_path / "repo")
    write(repo, {
        ".gitignore": "gen_*.py\n",
        "main.py": SECRET, "gen_tracked.py": SECRET, "gen_untracked.py": SECRET,
        "pkg/gen_tracked_too.py": SECRET,
    })
    git(repo, "add", "-f", ".gitignore", "main.py", "gen_tracked.py", "pkg/gen_tracked_too.py")
    os.chdir(repo)
    assert _lint(cli)[0] == {"main.py", "gen_tracked.py", "pkg/gen_tracked_too.py"}
    _without_git(monkeypatch, tmp_path)
    note = (
        "cannot ask git which files are tracked (git is not installed): ignore rules "
        "were applied to tracked files too"
    )
    paths, data, stderr = _lint(cli)
    assert paths == {"main.py"}  # .gitignore hides the tracked files too, as ripgrep
    assert data["summary"]["ignored"] == 3
    assert [n["message"] for n in data["notices"]] == [f".: {note}"]
    text = cli("lint", "--no-cache")
    assert text.exit_code == 1
    assert text.stderr.count(note) == 1  # once, however many paths it skipped
    assert "3 paths skipped by ignore rules." in text.stderr
    # nothing skipped: the missing git changed nothing, and no note
    (repo / ".gitignore").write_text("")
    paths, data, stderr = _lint(cli)
    assert paths == {"main.py", "gen_tracked.py", "gen_untracked.py", "pkg/gen_tracked_too.py"}
    assert data["notices"] == [] and "cannot ask git" not in stderr


def test_git_failing_in_the_work_tree_is_named(
    cli: Any, tmp_path: Path, git_home: Path
) -> None:
    """A ``.git`` git does not accept (here: empty): git's own reason is in the note."""
    repo = tmp_path / "repo"
    (repo / ".git").mkdir(parents=True)
    write(repo, {".gitignore": "gen_*.py\n", "main.py": SECRET, "gen_a.py": SECRET})
    os.chdir(repo)
    paths, data, _ = _lint(cli)
    assert paths == {"main.py"}
    (notice,) = data["notices"]
    assert "cannot ask git which files are tracked (fatal: not a git repository" in (
        notice["message"]
    )

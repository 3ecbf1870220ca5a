"""Git's view of the files, in real temporary git repositories: tracked files are always
linted, untracked ones follow .gitignore and .git/info/exclude; outside a work tree no
.gitignore applies; the text summary counts what ignore rules skipped."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

from tests.lint.gitrepo import SECRET, git, init_repo, write


def _paths(cli: Any, *args: str) -> tuple[set[str], str]:
    res = cli("lint", "--no-cache", "--format", "json", *args)
    assert res.exit_code in (0, 1), res.stderr
    data = json.loads(res.stdout)
    return {f["path"] for f in data["findings"]}, data


def test_tracked_file_matched_by_gitignore_is_linted_untracked_is_not(
    cli: Any, tmp_path: Path
) -> None:
    init_repo(tmp_path)
    write(tmp_path, {
        ".gitignore": "*.py\n",
        "tracked.py": SECRET,
        "pkg/also_tracked.py": SECRET,
        "untracked.py": SECRET,
        "pkg/untracked_too.py": SECRET,
    })
    git(tmp_path, "add", "-f", ".gitignore", "tracked.py", "pkg/also_tracked.py")
    git(tmp_path, "commit", "-q", "-m", "init")
    paths, data = _paths(cli)
    assert paths == {"tracked.py", "pkg/also_tracked.py"}
    assert data["summary"]["ignored"] == 2
    text = cli("lint", "--no-cache")
    assert text.exit_code == 1
    assert "2 paths skipped by ignore rules." in text.stderr
    # outside a work tree the same tree lints every file, and nothing is "skipped"
    shutil.rmtree(tmp_path / ".git")
    paths, data = _paths(cli)
    assert paths == {"tracked.py", "pkg/also_tracked.py", "untracked.py", "pkg/untracked_too.py"}
    assert data["summary"]["ignored"] == 0
    assert "skipped by ignore rules" not in cli("lint", "--no-cache").stderr


def test_ignored_directory_with_tracked_files_inside(cli: Any, tmp_path: Path) -> None:
    init_repo(tmp_path)
    write(tmp_path, {
        ".gitignore": "generated/\n",
        "generated/kept.py": SECRET,
        "generated/scratch.py": SECRET,
        "generated/deeper/new.py": SECRET,
    })
    git(tmp_path, "add", "-f", "generated/kept.py")
    paths, _ = _paths(cli)
    assert paths == {"generated/kept.py"}


def test_info_exclude_and_nested_gitignore_apply_to_untracked_files(
    cli: Any, tmp_path: Path
) -> None:
    init_repo(tmp_path)
    write(tmp_path, {
        "app/.gitignore": "local_*.py\n!local_keep.py\n",
        "app/local_a.py": SECRET,
        "app/local_keep.py": SECRET,
        "mine.py": SECRET,
        "app/main.py": SECRET,
    })
    (tmp_path / ".git" / "info").mkdir(exist_ok=True)
    (tmp_path / ".git" / "info" / "exclude").write_text("mine.py\n")
    paths, data = _paths(cli)
    assert paths == {"app/local_keep.py", "app/main.py"}
    assert data["summary"]["ignored"] == 2
    # linting the subdirectory alone sees the same rules
    paths, _ = _paths(cli, "app")
    assert paths == {"app/local_keep.py", "app/main.py"}


def test_explicit_ignored_file_is_still_linted(cli: Any, tmp_path: Path) -> None:
    init_repo(tmp_path)
    write(tmp_path, {".gitignore": "*.py\n", "scratch.py": SECRET})
    paths, _ = _paths(cli, "scratch.py")
    assert paths == {"scratch.py"}


def test_nested_repository_has_its_own_view(cli: Any, tmp_path: Path) -> None:
    init_repo(tmp_path)
    write(tmp_path, {".gitignore": "*.py\n", "vendor/lib/.gitignore": "skip.py\n"})
    init_repo(tmp_path / "vendor" / "lib")
    write(tmp_path / "vendor" / "lib", {"mod.py": SECRET, "skip.py": SECRET})
    # the outer *.py does not reach into the nested repository; its own .gitignore does
    paths, _ = _paths(cli)
    assert paths == {"vendor/lib/mod.py"}


def test_linked_worktree_is_understood(cli: Any, tmp_path: Path) -> None:
    main = init_repo(tmp_path / "main")
    write(main, {".gitignore": "*.py\n", "tracked.py": SECRET})
    git(main, "add", "-f", ".gitignore", "tracked.py")
    git(main, "commit", "-q", "-m", "init")
    (main / ".git" / "info").mkdir(exist_ok=True)
    (main / ".git" / "info" / "exclude").write_text("excluded.py\n")
    git(main, "worktree", "add", "-q", str(tmp_path / "wt"), "-b", "other")
    write(tmp_path / "wt", {"excluded.py": SECRET})
    (tmp_path / "wt" / ".gitignore").write_text("")  # only info/exclude hides excluded.py
    paths, _ = _paths(cli, str(tmp_path / "wt"))
    assert {Path(p).name for p in paths} == {"tracked.py"}


def test_explicitly_named_ignored_directory_is_linted(cli: Any, tmp_path: Path) -> None:
    init_repo(tmp_path)
    write(tmp_path, {
        ".gitignore": "vendored/\n",
        "vendored/lib/.gitignore": "skip.py\n",
        "vendored/lib/mod.py": SECRET,
        "vendored/lib/skip.py": SECRET,
    })
    assert _paths(cli)[0] == set()
    paths, _ = _paths(cli, "vendored")
    assert paths == {"vendored/lib/mod.py"}  # the directory's own .gitignore still applies

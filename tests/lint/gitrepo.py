"""Real temporary git repositories for the lint tests (no global git configuration used)."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

SECRET = 'URL = "postgresql://app:s3cret@db/app"\n'


def git_env(home: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("GIT_")}
    env.update(
        HOME=str(home), GIT_CONFIG_NOSYSTEM="1", GIT_CONFIG_GLOBAL=os.devnull,
        GIT_AUTHOR_NAME="t", GIT_AUTHOR_EMAIL="t@example.com",
        GIT_COMMITTER_NAME="t", GIT_COMMITTER_EMAIL="t@example.com",
    )
    return env


def git(repo: Path, *args: str) -> str:
    if shutil.which("git") is None:
        pytest.fail("git is not installed (dbctl's git-aware discovery needs it)")
    proc = subprocess.run(
        ["git", "-C", str(repo), *args], capture_output=True, text=True, timeout=60,
        env=git_env(repo.parent), check=False,
    )
    assert proc.returncode == 0, proc.stderr
    return proc.stdout


def init_repo(repo: Path) -> Path:
    repo.mkdir(parents=True, exist_ok=True)
    git(repo, "init", "-q", "-b", "main")
    return repo


def write(root: Path, files: dict[str, str]) -> None:
    for rel, text in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")

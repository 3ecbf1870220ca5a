"""The pre-commit hook, run by real `pre-commit` in a temporary git repository: only
main.py is staged, the blocking helper it calls lives in an unstaged module, and the
DBC103 is reported; a staged alembic.ini is checked too."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from tests.lint.gitrepo import git, git_env, init_repo, write

ROOT = Path(__file__).resolve().parents[2]
CRUD = """\
from sqlalchemy.orm import Session


def get_user(db: Session, user_id: int):
    return db.execute("select * from users where id = :id", {"id": user_id}).first()
"""
MAIN = """\
from fastapi import Depends, FastAPI
from sqlalchemy.orm import Session

from app import crud
from app.deps import get_db

app = FastAPI()


@app.get("/users/{user_id}")
async def read_user(user_id: int, db: Session = Depends(get_db)):
    return crud.get_user(db, user_id)
"""
DEPS = """\
from sqlalchemy import create_engine
from sqlalchemy.orm import Session

engine = create_engine("postgresql+psycopg2://app@db/app")


def get_db():
    with Session(engine) as session:
        yield session
"""


def _hook_config() -> str:
    """The hook as .pre-commit-hooks.yaml defines it, run from this checkout's dbctl."""
    [hook] = yaml.safe_load((ROOT / ".pre-commit-hooks.yaml").read_text())
    dbctl = shutil.which("dbctl", path=str(Path(sys.executable).parent))
    if dbctl is None:
        pytest.fail("the dbctl console script is not installed next to the interpreter")
    command, *args = hook["entry"].split()
    assert command == "dbctl"
    local = {k: v for k, v in hook.items() if k != "minimum_pre_commit_version"}
    local.update(entry=" ".join([dbctl, *args]), language="system")
    return yaml.safe_dump({"repos": [{"repo": "local", "hooks": [local]}]})


def _pre_commit(repo: Path) -> subprocess.CompletedProcess[str]:
    env = git_env(repo.parent)
    env["PRE_COMMIT_HOME"] = str(repo.parent / "pre-commit-home")
    return subprocess.run(
        [sys.executable, "-m", "pre_commit", "run"], cwd=repo, capture_output=True,
        text=True, timeout=300, env=env, stdin=subprocess.DEVNULL, check=False,
    )


def test_precommit_reports_dbc103_caused_by_an_unstaged_module(tmp_path: Path) -> None:
    repo = init_repo(tmp_path / "repo")
    write(repo, {
        ".pre-commit-config.yaml": _hook_config(),
        "app/__init__.py": "",
        "app/crud.py": CRUD,
        "app/deps.py": DEPS,
        "app/main.py": "",
    })
    git(repo, "add", ".")
    git(repo, "commit", "-q", "-m", "init")
    (repo / "app" / "main.py").write_text(MAIN)
    git(repo, "add", "app/main.py")  # only main.py is staged
    proc = _pre_commit(repo)
    out = proc.stdout + proc.stderr
    assert proc.returncode == 1, out
    assert "app/main.py:12:12: DBC103" in out
    # findings outside the staged files are not reported (deps.py has a DBC102)
    assert "app/deps.py:" not in out and "app/crud.py:" not in out
    # the commit of a staged alembic.ini with a password is refused too
    git(repo, "commit", "-q", "--no-verify", "-m", "main")
    (repo / "alembic.ini").write_text(
        "[alembic]\nsqlalchemy.url = postgresql://app:s3cret@db/app\n"
    )
    git(repo, "add", "alembic.ini")
    proc = _pre_commit(repo)
    out = proc.stdout + proc.stderr
    assert proc.returncode == 1, out
    assert "alembic.ini:2:18: DBC201" in out and "s3cret" not in out
    assert "app/main.py" not in out  # not staged this time


def test_precommit_passes_a_clean_staged_file(tmp_path: Path) -> None:
    repo = init_repo(tmp_path / "repo")
    write(repo, {".pre-commit-config.yaml": _hook_config(), "ok.py": "x = 1\n"})
    git(repo, "add", ".")
    proc = _pre_commit(repo)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert os.path.isdir(repo / ".dbctl_cache")  # the project analysis is cached

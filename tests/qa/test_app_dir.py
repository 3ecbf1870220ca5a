"""QA: --app-dir naming a directory that is not there says so, before anything else."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import CANARY
from tests.prestart.conftest import run_dbctl

CLOSED = f"postgresql+asyncpg://app:{CANARY}@127.0.0.1:1/app"


@pytest.mark.parametrize(
    ("args", "what"),
    [
        (["check", "--engine", "app:engine"], "engine"),
        (["init-db", "--dry-run", "--models", "app:Base"], "models"),
        (["seed", "rows.json", "--models", "app:Base", "--url", CLOSED], "models"),
    ],
)
@pytest.mark.parametrize("given", ["missing", "afile"])
def test_app_dir_that_is_not_a_directory(
    tmp_path: Path, args: list[str], what: str, given: str
) -> None:
    # it was "cannot import models module 'app': ModuleNotFoundError …", hint "the module
    # must be importable from there" — about a directory that does not exist
    (tmp_path / "afile").write_text("")
    (tmp_path / "rows.json").write_text('{"users": []}')
    r = run_dbctl(*args, "--app-dir", given, cwd=tmp_path, timeout=60)
    assert r.returncode == 2, r.all
    problem = "does not exist" if given == "missing" else "is not a directory"
    assert r.stderr.splitlines() == [
        f"error: --app-dir {problem}: {given}",
        f"  hint: give the directory the {what} module 'app' is imported from",
    ]

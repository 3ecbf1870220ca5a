"""The cache re-parses only changed files and keeps cross-module results right;
the process pool gives the same answer as one process."""

from __future__ import annotations

import json
import multiprocessing
import threading
import warnings
from pathlib import Path
from typing import Any

import pytest

import dbctl.lint.engine as engine_mod
from tests.lint.conftest import PROJECTS, run_lint

CRUD_IO = """from sqlalchemy.orm import Session


def get_user(db: Session, uid):
    return db.get(User, uid)
"""
CRUD_PURE = "def get_user(db, uid):\n    return {'id': uid}\n"
ROUTE = """from fastapi import FastAPI
from sqlalchemy.orm import Session

from app.crud import get_user

app = FastAPI()


@app.get("/u")
async def read(db: Session):
    return get_user(db, 1)
"""


@pytest.fixture
def counting(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    seen: list[str] = []
    real = engine_mod.analyze

    def counted(rel: str, data: bytes):  # type: ignore[no-untyped-def]
        seen.append(rel)
        return real(rel, data)

    monkeypatch.setattr(engine_mod, "analyze", counted)
    return seen


def _write(root: Path, files: dict[str, str]) -> None:
    for rel, text in files.items():
        p = root / rel
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text(text)


def test_warm_run_reparses_only_changed_files_and_stays_correct(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, counting: list[str]
) -> None:
    monkeypatch.chdir(tmp_path)
    _write(tmp_path, {"app/__init__.py": "", "app/crud.py": CRUD_IO, "app/main.py": ROUTE})

    def run():  # type: ignore[no-untyped-def]
        counting.clear()
        return run_lint([Path(".")], tmp_path, use_cache=True)

    first = run()
    assert sorted(counting) == ["app/__init__.py", "app/crud.py", "app/main.py"]
    assert [(f.path, f.code) for f in first.findings] == [("app/main.py", "DBC103")]
    assert (tmp_path / ".dbctl_cache").is_dir()

    second = run()
    assert counting == []
    assert second.findings == first.findings

    # only crud.py changes; the finding in main.py (unchanged, cached) must go away
    (tmp_path / "app" / "crud.py").write_text(CRUD_PURE)
    third = run()
    assert counting == ["app/crud.py"]
    assert third.findings == []

    (tmp_path / "app" / "crud.py").write_text(CRUD_IO)
    fourth = run()
    assert counting == ["app/crud.py"]
    assert [(f.path, f.code) for f in fourth.findings] == [("app/main.py", "DBC103")]


def test_config_change_needs_no_reparse(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, counting: list[str]
) -> None:
    monkeypatch.chdir(tmp_path)
    _write(tmp_path, {"m.py": 'U = "postgresql://a:s3cret@h/d"\n'})
    assert len(run_lint([Path(".")], tmp_path, use_cache=True).findings) == 1
    counting.clear()
    again = run_lint([Path(".")], tmp_path, use_cache=True, enabled=frozenset({"DBC303"}))
    assert counting == [] and again.findings == []


def test_corrupt_or_unwritable_cache_is_ignored(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    _write(tmp_path, {"m.py": 'U = "postgresql://a:s3cret@h/d"\n'})
    run_lint([Path(".")], tmp_path, use_cache=True)
    for cache_file in (tmp_path / ".dbctl_cache").glob("lint-*.json"):
        cache_file.write_text("{not json")
    assert len(run_lint([Path(".")], tmp_path, use_cache=True).findings) == 1
    blocker = tmp_path / "blocker"
    blocker.write_text("a file where the cache directory should be")
    result = run_lint([Path(".")], tmp_path, use_cache=True, cache_dir=blocker / "cache")
    assert len(result.findings) == 1


def test_cache_is_json_keyed_by_content_hash(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    _write(tmp_path, {"m.py": "x = 1\n"})
    run_lint([Path(".")], tmp_path, use_cache=True)
    (cache_file,) = (tmp_path / ".dbctl_cache").glob("lint-*.json")
    data = json.loads(cache_file.read_text())
    digest, summary, _stamp = data["files"]["m.py"]
    assert len(digest) == 32 and summary["module"] == "m"
    assert (tmp_path / ".dbctl_cache" / "CACHEDIR.TAG").exists()


def _many_copies(root: Path) -> int:
    """The mistakes project copied under distinct package names, enough for the pool."""
    src = PROJECTS / "mistakes"
    copies = engine_mod.PARALLEL_THRESHOLD // 10 + 2
    for i in range(copies):
        for path in src.rglob("*"):
            if path.is_file() and path.name != "expected.txt":
                target = root / f"p{i}" / path.relative_to(src)
                target.parent.mkdir(parents=True, exist_ok=True)
                target.write_bytes(path.read_bytes())
    assert sum(1 for _ in root.rglob("*.py")) >= engine_mod.PARALLEL_THRESHOLD
    return copies


def test_parallel_equals_sequential(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    copies = _many_copies(tmp_path)
    monkeypatch.chdir(tmp_path)
    seq = run_lint([Path(".")], tmp_path, jobs=1)
    par = run_lint([Path(".")], tmp_path, jobs=2)
    assert par.findings == seq.findings
    assert len(seq.findings) > copies * 20


def test_a_process_with_threads_is_not_forked(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, counting: list[str]
) -> None:
    """fork() copies only the calling thread (and any lock another thread holds): with a
    thread alive the pool starts its workers from a fork server, same findings, and
    Python 3.12+ has nothing to warn about ("use of fork() may lead to deadlocks")."""
    _many_copies(tmp_path)
    monkeypatch.chdir(tmp_path)
    seq = run_lint([Path(".")], tmp_path, jobs=1)
    counting.clear()
    methods: list[str | None] = []
    real = multiprocessing.get_context

    def recording(method: str | None = None) -> Any:
        methods.append(method)
        return real(method)

    monkeypatch.setattr(multiprocessing, "get_context", recording)
    stop = threading.Event()
    thread = threading.Thread(target=stop.wait, daemon=True)
    thread.start()
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            par = run_lint([Path(".")], tmp_path, jobs=2)
    finally:
        stop.set()
        thread.join()
    assert methods == ["forkserver"]
    assert counting == []  # the workers analysed the files, not a fallback in this process
    assert par.findings == seq.findings
    assert not [w for w in caught if "fork" in str(w.message)], [str(w.message) for w in caught]


def test_unchanged_old_files_are_not_even_read(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import os

    monkeypatch.chdir(tmp_path)
    _write(tmp_path, {"old.py": 'U = "postgresql://a:s3cret@h/d"\n', "new.py": "x = 1\n"})
    os.utime(tmp_path / "old.py", ns=(1_600_000_000_000_000_000, 1_600_000_000_000_000_000))
    run_lint([Path(".")], tmp_path, use_cache=True)
    reads: list[str] = []
    real = engine_mod._read

    def counted(path: str, max_size: int | None = None) -> bytes:
        reads.append(Path(path).name)
        return real(path, max_size)

    monkeypatch.setattr(engine_mod, "_read", counted)
    again = run_lint([Path(".")], tmp_path, use_cache=True)
    assert reads == ["new.py"]  # just written: its stamp is "racy", so it is hashed
    assert [(f.path, f.code) for f in again.findings] == [("old.py", "DBC201")]
    # a change (new size, new mtime) is seen
    (tmp_path / "old.py").write_text("x = 2\n")
    assert run_lint([Path(".")], tmp_path, use_cache=True).findings == []

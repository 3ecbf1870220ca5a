"""The engine's resource behaviour: what a run leaves behind and how it reaches the
cross-module answers (same findings, less memory and work)."""

from __future__ import annotations

import gc
import json
from pathlib import Path

import pytest

from dbctl.lint.engine import analyze
from tests.lint.conftest import FIXTURES, PROJECTS, run_lint
from tests.lint.test_cache_parallel import CRUD_IO as CRUD
from tests.lint.test_cache_parallel import ROUTE


def _sources() -> list[tuple[str, bytes]]:
    files = sorted([*FIXTURES.rglob("*.py"), *PROJECTS.rglob("*.py")])
    assert len(files) > 20
    return [(p.relative_to(FIXTURES.parent).as_posix(), p.read_bytes()) for p in files]


def test_analyze_leaves_no_cyclic_garbage() -> None:
    """A run keeps the cyclic collector off (an AST is a burst of acyclic allocations),
    so a file's walk must free everything by reference counting alone: a cycle would keep
    the whole tree of every file a worker walks (hundreds of MB on a large project)."""
    sources = _sources()
    analyze(*sources[0])  # first-use imports and tables
    gc.collect()
    was_enabled = gc.isenabled()
    gc.disable()
    gc.set_debug(gc.DEBUG_SAVEALL)
    try:
        for rel, data in sources:
            summary = analyze(rel, data)
            assert not any("internal error" in f[-1] for f in summary["findings"]), rel
        gc.collect()
        leaked = [type(o).__name__ for o in gc.garbage]
    finally:
        gc.set_debug(0)
        gc.garbage.clear()
        if was_enabled:
            gc.enable()
    assert leaked == []


@pytest.mark.parametrize("name", ["production", "mistakes"])
def test_no_cyclic_garbage_even_when_a_walk_fails(
    name: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A rule that raises mid-walk is reported as an internal error and still leaves no
    cycles behind."""
    import ast

    import dbctl.lint.engine as engine_mod
    from dbctl.lint.semantic import walker

    def boom(node: object, ctx: object) -> None:
        raise RuntimeError("a rule bug")

    monkeypatch.setitem(walker._CORE, ast.Return, boom)
    monkeypatch.setattr(engine_mod, "_WALKER", None)  # rebuilt with the failing handler
    files = sorted((PROJECTS / name).rglob("*.py"))
    gc.collect()
    gc.disable()
    gc.set_debug(gc.DEBUG_SAVEALL)
    try:
        reports = [analyze(p.name, p.read_bytes()) for p in files]
        gc.collect()
        leaked = len(gc.garbage)
    finally:
        gc.set_debug(0)
        gc.garbage.clear()
        gc.enable()
    assert any("internal error" in f[-1] for r in reports for f in r["findings"])
    assert leaked == 0


@pytest.fixture
def indexes(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Counts the project indexes built (one per cross-module pass)."""
    from dbctl.lint.semantic import project

    built: list[int] = []
    real = project.ProjectIndex.__init__

    def counted(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        built.append(1)
        real(self, *args, **kwargs)

    monkeypatch.setattr(project.ProjectIndex, "__init__", counted)
    return built


def _project(root: Path) -> None:
    for rel, text in {"app/__init__.py": "", "app/crud.py": CRUD, "app/main.py": ROUTE}.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text(text)


def test_unchanged_tree_reuses_the_cross_module_result(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, indexes: list[int]
) -> None:
    monkeypatch.chdir(tmp_path)
    _project(tmp_path)
    first = run_lint([Path(".")], tmp_path, use_cache=True)
    assert [(f.path, f.code) for f in first.findings] == [("app/main.py", "DBC103")]
    assert len(indexes) == 1
    second = run_lint([Path(".")], tmp_path, use_cache=True)
    assert second.findings == first.findings and len(indexes) == 1  # no pass at all
    # the configuration is applied afterwards: a narrower selection needs no pass either
    only = run_lint([Path(".")], tmp_path, use_cache=True, enabled=frozenset({"DBC103"}))
    assert only.findings == first.findings
    none = run_lint([Path(".")], tmp_path, use_cache=True, enabled=frozenset({"DBC201"}))
    assert none.findings == []
    # a change in another module than the finding's: the pass runs again, right answer
    (tmp_path / "app" / "crud.py").write_text("def get_user(db, uid):\n    return {}\n")
    assert run_lint([Path(".")], tmp_path, use_cache=True).findings == []
    (tmp_path / "app" / "crud.py").write_text(CRUD)
    assert run_lint([Path(".")], tmp_path, use_cache=True).findings == first.findings
    # a file added (no finding of its own) also invalidates it
    before = len(indexes)
    (tmp_path / "app" / "extra.py").write_text("x = 1\n")
    assert run_lint([Path(".")], tmp_path, use_cache=True).findings == first.findings
    assert len(indexes) == before + 1


def test_paths_as_shown_are_part_of_the_reused_result(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Cross-module messages name other files as the user sees them: linting from another
    directory must not reuse messages with the old paths."""
    _project(tmp_path)
    (tmp_path / "app" / "db.py").write_text(
        "from sqlalchemy import create_engine\nengine = create_engine('postgresql://h/d')\n"
    )
    (tmp_path / "app" / "api.py").write_text(
        "from fastapi import FastAPI\nfrom app.db import engine\napp = FastAPI()\n\n"
        "@app.get('/')\nasync def r():\n    with engine.connect() as c:\n        pass\n"
    )
    monkeypatch.chdir(tmp_path)
    here = run_lint([Path(".")], tmp_path, use_cache=True)
    monkeypatch.chdir(tmp_path / "app")
    there = run_lint([Path(".")], tmp_path, use_cache=True)
    cold = run_lint([Path(".")], tmp_path, use_cache=False)
    assert [f.message for f in there.findings] == [f.message for f in cold.findings]
    assert [f.path for f in there.findings] == [f.path for f in cold.findings]
    assert len(here.findings) == len(there.findings) > 0


def test_corrupt_stored_cross_module_result_is_recomputed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    _project(tmp_path)
    first = run_lint([Path(".")], tmp_path, use_cache=True)
    (cache_file,) = (tmp_path / ".dbctl_cache").glob("lint-*.json")
    data = json.loads(cache_file.read_text())
    assert data["project"][1] == [["app/main.py", *data["project"][1][0][1:]]]
    for bad in ([["nowhere.py", "DBC103", 1, 1, 1, 1, "x"]], [["app/main.py"]], "x"):
        data["project"][1] = bad
        cache_file.write_text(json.dumps(data))
        assert run_lint([Path(".")], tmp_path, use_cache=True).findings == first.findings
        data = json.loads(cache_file.read_text())
    data["files"]["app/crud.py"][1]["lazy"] = "{not json"
    data["project"] = None
    cache_file.write_text(json.dumps(data))
    # a damaged entry costs that file's cross-module facts, never the run
    result = run_lint([Path(".")], tmp_path, use_cache=True)
    assert result.files == 3 and result.errors == []

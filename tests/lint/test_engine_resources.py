"""The engine's resource behaviour: what a run leaves behind and how it reaches the
cross-module answers (same findings, less memory and work)."""

from __future__ import annotations

import gc
import json
import os
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
    # the facts of app/crud.py (the cause of the finding) damaged, stale or lost: that
    # file is analysed again, the answer stays right
    facts_file = cache_file.with_suffix(".facts")
    lines = [ln for ln in facts_file.read_bytes().splitlines() if ln]
    assert sorted(json.loads(ln)[0] for ln in lines) == ["app/__init__.py", "app/crud.py",
                                                         "app/main.py"]

    def crud(ln: bytes) -> bool:
        return json.loads(ln)[0] == "app/crud.py"

    def stale(ln: bytes) -> bytes:
        rel, _digest, parts = json.loads(ln)
        return json.dumps([rel, "0" * 32, parts]).encode()

    def partial(ln: bytes) -> bytes:  # the deferred findings missing: not intact either
        rel, digest, parts = json.loads(ln)
        return json.dumps([rel, digest, {"facts": parts["facts"]}]).encode()

    for damaged in (
        [b"{not json" if crud(ln) else ln for ln in lines],
        [stale(ln) if crud(ln) else ln for ln in lines],
        [partial(ln) for ln in lines],
        [ln for ln in lines if not crud(ln)],
        None,
    ):
        if damaged is None:
            facts_file.unlink()
        else:
            facts_file.write_bytes(b"\n".join(damaged) + b"\n")
        data["project"] = None
        cache_file.write_text(json.dumps(data))
        result = run_lint([Path(".")], tmp_path, use_cache=True)
        assert result.findings == first.findings and result.errors == []
        data = json.loads(cache_file.read_text())
        assert data["project"][1] == [["app/main.py", *data["project"][1][0][1:]]]


def test_one_changed_file_appends_its_facts_and_stale_lines_are_compacted(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    _project(tmp_path)
    first = run_lint([Path(".")], tmp_path, use_cache=True)
    (facts_file,) = (tmp_path / ".dbctl_cache").glob("lint-*.facts")
    before = facts_file.read_bytes()
    (tmp_path / "app" / "__init__.py").write_text("# edited\n")
    assert run_lint([Path(".")], tmp_path, use_cache=True).findings == first.findings
    after = facts_file.read_bytes()
    assert after.startswith(before)  # appended, not rewritten
    assert [json.loads(ln)[0] for ln in after[len(before):].splitlines() if ln] == [
        "app/__init__.py"
    ]
    for i in range(40):  # many edits: the file is rewritten with the live lines only
        (tmp_path / "app" / "__init__.py").write_text(f"# edited {i}\n")
        assert run_lint([Path(".")], tmp_path, use_cache=True).findings == first.findings
    lines = [ln for ln in facts_file.read_bytes().splitlines() if ln]
    assert 3 <= len(lines) <= 2 * 3 + 16 + 1
    assert run_lint([Path(".")], tmp_path, use_cache=False).findings == first.findings


def test_a_run_after_a_change_keys_its_result_as_a_cold_run_does(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, indexes: list[int]
) -> None:
    """A re-analysed file keeps its place among the summaries: the run after an edit is
    undone stores the cross-module result under the key the next run computes."""
    monkeypatch.chdir(tmp_path)
    _project(tmp_path)
    first = run_lint([Path(".")], tmp_path, use_cache=True)
    crud = tmp_path / "app" / "crud.py"
    st = crud.stat()
    crud.write_text(CRUD + "# edited\n")
    assert run_lint([Path(".")], tmp_path, use_cache=True).findings == first.findings
    crud.write_text(CRUD)
    os.utime(crud, ns=(st.st_atime_ns, st.st_mtime_ns))
    assert run_lint([Path(".")], tmp_path, use_cache=True).findings == first.findings
    assert len(indexes) == 3
    assert run_lint([Path(".")], tmp_path, use_cache=True).findings == first.findings
    assert len(indexes) == 3  # reused, not computed again

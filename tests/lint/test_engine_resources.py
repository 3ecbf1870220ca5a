"""The engine's resource behaviour: what a run leaves behind and how it reaches the
cross-module answers (same findings, less memory and work)."""

from __future__ import annotations

import gc

import pytest

from dbctl.lint.engine import analyze
from tests.lint.conftest import FIXTURES, PROJECTS


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

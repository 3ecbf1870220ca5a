"""Helpers for the lint engine tests (lint-core): run the engine in-process."""

from __future__ import annotations

import re
from collections.abc import Sequence
from pathlib import Path

import pytest

from dbctl.lint.engine import lint_paths
from dbctl.lint.model import LintConfig, LintResult
from dbctl.lint.registry import by_code

#: the mini-projects and fixtures are data for the linter, not tests to run
collect_ignore_glob = ["projects/*", "fixtures/*"]

HERE = Path(__file__).parent
FIXTURES = HERE / "fixtures"
PROJECTS = HERE / "projects"
ALL_CODES = frozenset(by_code())
EXPECTED_RE = re.compile(r"#\s*((?:DBC\d{3})(?:\s*,\s*DBC\d{3})*)\s*$")


def run_lint(
    paths: Sequence[Path], root: Path, *, enabled: frozenset[str] = ALL_CODES, **kwargs: object
) -> LintResult:
    kwargs.setdefault("use_cache", False)
    config = LintConfig(enabled=enabled, root=root, **kwargs)
    return lint_paths(list(paths), config)


def expected_codes(path: Path) -> set[tuple[int, str]]:
    """(line, code) pairs declared by trailing ``# DBC201`` comments."""
    out: set[tuple[int, str]] = set()
    text = path.read_text(encoding="utf-8", errors="replace")
    for lineno, line in enumerate(text.splitlines(), start=1):
        m = EXPECTED_RE.search(line)
        if m:
            out.update((lineno, c.strip()) for c in m.group(1).split(","))
    return out


def expected_findings(path: Path) -> set[tuple[str, int, str, str]]:
    """(path, line, code, severity) of each ``path:line:code severity`` line of a
    mini-project's expected.txt (``#`` comments and blank lines skipped)."""
    out = set()
    for line in path.read_text(encoding="utf-8").splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        where, severity = line.split()
        rel, lineno, code = where.rsplit(":", 2)
        out.add((rel, int(lineno), code, severity))
    return out


@pytest.fixture
def lint_tree(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    """Write ``{relpath: text}`` under tmp_path (the cwd) and lint it."""
    monkeypatch.chdir(tmp_path)

    def _run(files: dict[str, str | bytes], **kwargs: object) -> LintResult:
        for rel, content in files.items():
            p = tmp_path / rel
            p.parent.mkdir(parents=True, exist_ok=True)
            if isinstance(content, bytes):
                p.write_bytes(content)
            else:
                p.write_text(content, encoding="utf-8")
        return run_lint([Path(".")], tmp_path, **kwargs)

    return _run

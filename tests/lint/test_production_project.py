"""A production-like mini-project (issue 8): session-per-request middleware on
`request.state`, a repository class holding a sync pool, helpers known only by their
return annotations, an orchestration-style module whose `Session`-annotated parameters
are always awaited, plus the places where sync code is fine (CLI, scheduled jobs,
scripts, Alembic, tests). Precision and recall are 100% against expected.txt."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from tests.lint.conftest import PROJECTS, expected_findings, run_lint

ROOT = PROJECTS / "production"


def _expected() -> set[tuple[str, int, str, str]]:
    return expected_findings(ROOT / "expected.txt")


def _found(root: Path, monkeypatch: pytest.MonkeyPatch, **kwargs: object):
    monkeypatch.chdir(root)
    result = run_lint([Path(".")], root, **kwargs)
    assert result.errors == []
    return {(f.path, f.line, f.code, str(f.severity)) for f in result.findings}


def test_precision_and_recall_are_100_percent(monkeypatch: pytest.MonkeyPatch) -> None:
    expected = _expected()
    actual = _found(ROOT, monkeypatch)
    true_positives = actual & expected
    assert len(true_positives) / len(actual) == 1.0, f"false positives: {actual - expected}"
    assert len(true_positives) / len(expected) == 1.0, f"missed: {expected - actual}"
    assert len(expected) >= 10


def test_every_pattern_is_exercised() -> None:
    paths = {p for p, _, _, _ in _expected()}
    assert {"app/routes/users.py", "app/routes/reports.py", "app/repository.py", "app/auth.py",
            "app/main.py", "app/db.py"} <= paths
    # the places where sync code or awaited `Session` calls are fine stay clean
    clean = {"app/orchestration/flows.py", "app/cli.py", "app/jobs.py", "scripts/seed.py",
             "alembic/env.py", "tests/test_users.py", "app/deps.py", "app/middleware.py"}
    assert not clean & paths
    assert all((ROOT / p).is_file() for p in clean)


def test_the_same_findings_from_the_cache(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Cold, then warm from the lint cache (every kind and condition through its codec)."""
    root = tmp_path / "production"
    shutil.copytree(ROOT, root)
    cold = _found(root, monkeypatch, use_cache=True)
    assert (root / ".dbctl_cache").is_dir()
    warm = _found(root, monkeypatch, use_cache=True)
    assert cold == warm == _expected()

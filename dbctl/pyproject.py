"""Locate the project's pyproject.toml (stdlib only: ``dbctl lint`` imports it too)."""

from __future__ import annotations

from pathlib import Path


def find_pyproject(start: Path) -> Path | None:
    """The nearest pyproject.toml at or above ``start``."""
    start = start.resolve()
    for directory in (start, *start.parents):
        candidate = directory / "pyproject.toml"
        if candidate.is_file():
            return candidate
    return None

"""Result types shared by ``check`` and the checks other modules contribute to it."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

Status = Literal["pass", "warn", "fail", "skip"]


@dataclass(slots=True)
class CheckResult:
    """One row of ``dbctl check``: see DESIGN.md §6 for the JSON shape."""

    id: str
    title: str
    status: Status
    summary: str
    duration_ms: float = 0.0
    code: str | None = None
    hint: str | None = None
    data: dict[str, Any] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "title": self.title,
            "status": self.status,
            "duration_ms": round(self.duration_ms, 1),
            "summary": self.summary,
            "code": self.code,
            "hint": self.hint,
            "data": self.data,
        }


def envelope() -> dict[str, Any]:
    """The header every machine format starts with: ``schema_version`` and ``tool``."""
    from dbctl import __version__

    return {"schema_version": 1, "tool": {"name": "dbctl", "version": __version__}}

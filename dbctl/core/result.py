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


def report_head(
    status: Status, exit_code: int, duration_ms: float, *, target: str | None = None
) -> dict[str, Any]:
    """The start of a report's JSON (``check``, ``prestart``, ``preflight``): the
    :func:`envelope`, the ``target`` when there is one, ``status``, ``exit_code`` and
    ``duration_ms`` (rounded to 0.1 ms)."""
    head = envelope()
    if target is not None:
        head["target"] = target
    head.update(status=status, exit_code=exit_code, duration_ms=round(duration_ms, 1))
    return head

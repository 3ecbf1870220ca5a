"""Typed conditions of deferred findings: a finding whose truth depends on other modules
is kept with the conditions that must all hold once the project index is known.
:meth:`dbctl.lint.semantic.project.ProjectIndex.holds` evaluates them, in one place."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from dbctl.lint.semantic.kinds import Kind, Res, decode, encode


@dataclass(frozen=True, slots=True)
class KindIn:
    """The value's kind resolves to one of ``wanted``; with ``any_member``, for a union
    (:class:`~dbctl.lint.semantic.kinds.AnyOf`), one of its members does (a blocking
    call: it blocks when the value is that member), else every member does (a
    coroutine left unawaited is only certain when no member is sync)."""

    kind: Kind
    wanted: frozenset[Res]
    any_member: bool = False


@dataclass(frozen=True, slots=True)
class SyncIO:
    """``qualname`` is a sync project function doing database I/O (itself or deeper)."""

    qualname: str


@dataclass(frozen=True, slots=True)
class SyncIOMethod:
    """``receiver.name(...)`` calls a sync project method doing database I/O."""

    receiver: Kind
    name: str


@dataclass(frozen=True, slots=True)
class SyncIOValue:
    """Calling ``value`` (a closure a factory returned, a callback parameter) runs a
    sync project function doing database I/O."""

    value: Kind


@dataclass(frozen=True, slots=True)
class Handler:
    """``qualname`` is a route, dependency, middleware or lifespan handler."""

    qualname: str


@dataclass(frozen=True, slots=True)
class Dependency:
    """``qualname`` is a FastAPI dependency (a ``Depends(...)`` target)."""

    qualname: str


@dataclass(frozen=True, slots=True)
class NotGenerator:
    """``qualname`` returns (does not yield)."""

    qualname: str


@dataclass(frozen=True, slots=True)
class AsyncReached:
    """``qualname`` is a sync project function called from ``async def`` code."""

    qualname: str


Condition = (
    KindIn | SyncIOMethod | SyncIOValue | SyncIO | Handler | Dependency | NotGenerator
    | AsyncReached
)
_BY_TAG: dict[str, type[SyncIO | Handler | Dependency | NotGenerator | AsyncReached]] = {
    "sync_io": SyncIO,
    "handler": Handler,
    "dependency": Dependency,
    "not_gen": NotGenerator,
    "async_reached": AsyncReached,
}
_TAG = {cls: tag for tag, cls in _BY_TAG.items()}


def encode_condition(cond: Condition) -> list[Any]:
    if isinstance(cond, KindIn):
        tag = "kind_any" if cond.any_member else "kind_in"
        return [tag, encode(cond.kind), *sorted(cond.wanted)]
    if isinstance(cond, SyncIOMethod):
        return ["sync_io_method", encode(cond.receiver), cond.name]
    if isinstance(cond, SyncIOValue):
        return ["sync_io_value", encode(cond.value)]
    return [_TAG[type(cond)], cond.qualname]


def decode_condition(data: list[Any]) -> Condition | None:
    """The condition of a JSON form (``None`` when unreadable: then it does not hold)."""
    if not data:
        return None
    tag = data[0]
    if tag in ("kind_in", "kind_any"):
        kind = decode(data[1]) if len(data) > 1 else None
        if kind is None:
            return None
        wanted = frozenset(Res(w) for w in data[2:] if w in _RES_VALUES)
        return KindIn(kind, wanted, tag == "kind_any")
    if tag == "sync_io_method":
        kind = decode(data[1]) if len(data) > 2 else None
        return SyncIOMethod(kind, data[2]) if kind is not None else None
    if tag == "sync_io_value":
        kind = decode(data[1]) if len(data) > 1 else None
        return SyncIOValue(kind) if kind is not None else None
    cls = _BY_TAG.get(tag)
    return cls(data[1]) if cls is not None and len(data) > 1 else None


_RES_VALUES = frozenset(r.value for r in Res)

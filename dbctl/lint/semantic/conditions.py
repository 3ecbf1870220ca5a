"""Typed conditions of deferred findings: a finding whose truth depends on other modules
is kept with the conditions that must all hold once the project index is known.
:meth:`dbctl.lint.semantic.project.ProjectIndex.holds` evaluates them, in one place."""

from __future__ import annotations

import ast
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from dbctl.lint.semantic.kinds import Kind, Res, decode, encode


@dataclass(frozen=True, slots=True)
class Args:
    """What a call passes: how many positional arguments (``-1``: a ``*args`` passes an
    unknown number), the keywords, and whether a ``**kwargs`` passes any keyword; the
    slots (positions before any ``*args``, keywords) given a literal ``None``; and the
    slots given one of the calling function's own optional parameters whose default is
    ``None`` (slot, that parameter's name): ``None`` whenever its caller leaves it out."""

    positional: int
    keywords: frozenset[str]
    any_keyword: bool = False
    nones: frozenset[int | str] = frozenset()
    forwards: tuple[tuple[int | str, str], ...] = ()

    @classmethod
    def of(cls, call: ast.Call, forwarded: Callable[[str], bool] | None = None) -> Args:
        """The arguments of ``call``; ``forwarded``: is a name one of the calling
        function's optional parameters (defaulting to ``None``, never rebound)?"""
        if not call.args and not call.keywords:
            return _NO_ARGS
        n = len(call.args)
        nones: list[int | str] = []
        forwards: list[tuple[int | str, str]] = []
        for i, a in enumerate(call.args):
            if type(a) is ast.Starred:
                n = -1
                break
            _slot(i, a, nones, forwards, forwarded)
        if not call.keywords:
            return cls(n, _NO_KEYWORDS, False, frozenset(nones), tuple(forwards))
        names = [k.arg for k in call.keywords]
        for k in call.keywords:
            if k.arg is not None:
                _slot(k.arg, k.value, nones, forwards, forwarded)
        return cls(n, frozenset(k for k in names if k is not None), None in names,
                   frozenset(nones), tuple(forwards))

    def passes(self, name: str, position: int) -> bool:
        """Does the call pass the parameter ``name`` at ``position`` (as a caller counts
        it; ``-1``: keyword-only)?"""
        if self.any_keyword or name in self.keywords:
            return True
        return position >= 0 and (self.positional < 0 or position < self.positional)

    def none_for(self, name: str, position: int, known: frozenset[str]) -> bool:
        """Is the parameter ``name`` at ``position`` ``None`` (or its falsy default) for
        this call, made by a function whose parameters ``known`` are ``None``?"""
        if not self.passes(name, position):
            return True
        slots = (name, position) if position >= 0 else (name,)
        if any(slot in self.nones for slot in slots):
            return True
        return bool(known) and any(
            slot in slots and source in known for slot, source in self.forwards
        )

    def encode(self) -> str:
        """A compact text (a project holds one per call): ``2*;kw;0,kw;1=db`` is two
        positional arguments and a ``**kwargs``; the keyword ``kw``; ``None`` at 0 and
        ``kw``; the caller's ``db`` at 1."""
        done = _TEXTS.get(self)
        if done is None:
            done = _TEXTS[self] = self._text()
        return done

    def _text(self) -> str:
        return ";".join((
            f"{self.positional}{'*' if self.any_keyword else ''}",
            ",".join(sorted(self.keywords)),
            ",".join(sorted(map(str, self.nones))),
            ",".join(f"{slot}={name}" for slot, name in self.forwards),
        ))

    @classmethod
    def decode(cls, data: Any) -> Args | None:
        try:
            head, keywords, nones, forwards = str(data).split(";")
            any_keyword = head.endswith("*")
            return cls(
                int(head.rstrip("*")), frozenset(keywords.split(",")) if keywords else _NO_KEYWORDS,
                any_keyword, frozenset(_slot_of(s) for s in nones.split(",") if s),
                tuple((_slot_of(s), p)
                      for s, p in (f.split("=") for f in forwards.split(",") if f)),
            )
        except ValueError:
            return None  # unreadable: the call is taken to pass everything


def _slot(slot: int | str, value: ast.expr, nones: list[int | str],
          forwards: list[tuple[int | str, str]], forwarded: Callable[[str], bool] | None) -> None:
    if type(value) is ast.Constant and value.value is None:
        nones.append(slot)
    elif forwarded is not None and type(value) is ast.Name and forwarded(value.id):
        forwards.append((slot, value.id))


def _slot_of(text: str) -> int | str:
    return int(text) if text.isdigit() else text


_NO_KEYWORDS: frozenset[str] = frozenset()
_NO_ARGS = Args(0, _NO_KEYWORDS)
#: the text of each :class:`Args` encoded (most calls pass alike)
_TEXTS: dict[Args, str] = {}


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
    """``qualname`` is a sync project function doing database I/O (itself or deeper);
    with ``args``, when called with those arguments (I/O that only runs under a test of
    an optional parameter the call leaves out does not count)."""

    qualname: str
    args: Args | None = None


@dataclass(frozen=True, slots=True)
class SyncIOMethod:
    """``receiver.name(...)`` calls a sync project method doing database I/O (with
    ``args``: as :class:`SyncIO`)."""

    receiver: Kind
    name: str
    args: Args | None = None


@dataclass(frozen=True, slots=True)
class SyncIOValue:
    """Calling ``value`` (a closure a factory returned, a callback parameter) runs a
    sync project function doing database I/O (with ``args``: as :class:`SyncIO`)."""

    value: Kind
    args: Args | None = None


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
_BY_TAG: dict[str, type[Handler | Dependency | NotGenerator | AsyncReached]] = {
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
        return ["sync_io_method", encode(cond.receiver), cond.name, *_args(cond.args)]
    if isinstance(cond, SyncIOValue):
        return ["sync_io_value", encode(cond.value), *_args(cond.args)]
    if isinstance(cond, SyncIO):
        return ["sync_io", cond.qualname, *_args(cond.args)]
    return [_TAG[type(cond)], cond.qualname]


def _args(args: Args | None) -> list[Any]:
    return [] if args is None else [args.encode()]


def _args_at(data: list[Any], index: int) -> Args | None:
    """The :class:`Args` that :func:`_args` put at ``data[index]`` (``None`` if none)."""
    return Args.decode(data[index]) if len(data) > index else None


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
        args = _args_at(data, 3)
        return SyncIOMethod(kind, data[2], args) if kind is not None else None
    if tag == "sync_io_value":
        kind = decode(data[1]) if len(data) > 1 else None
        args = _args_at(data, 2)
        return SyncIOValue(kind, args) if kind is not None else None
    if tag == "sync_io":
        args = _args_at(data, 2)
        return SyncIO(data[1], args) if len(data) > 1 else None
    cls = _BY_TAG.get(tag)
    return cls(data[1]) if cls is not None and len(data) > 1 else None


_RES_VALUES = frozenset(r.value for r in Res)

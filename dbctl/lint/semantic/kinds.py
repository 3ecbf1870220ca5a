"""Kinds: what the linter knows about a value, as a closed set of small frozen classes.

A *concrete* kind (:class:`Res`) names a resource whose behaviour the library
vocabulary describes: a sync engine, an ``AsyncSession``, a psycopg 2 cursor, a FastAPI
app. A *symbolic* kind says how to find the concrete one once every module is known
(the project index resolves it): :class:`Ref` a module-level name, :class:`Call` the
result of calling a value, :class:`Method` the result of a method call, :class:`Attr`
an attribute of a value (``self.pool``, ``request.state.db``: a member of its owner),
:class:`Dep` what a FastAPI dependency yields or returns, :class:`Alias` a dependency
alias such as ``SessionDep = Annotated[Session, Depends(f)]`` defined elsewhere.
:class:`Param` an unannotated parameter (what the application's callers pass).
:class:`Instance` (an instance of a project class), :class:`Klass` (a project class as a
value) and :class:`Func` (a project function
as a value: a closure a factory returns, a callback passed as an argument) are what
symbolic kinds may resolve to besides concrete ones: an instance's attributes are the
members its methods assign, calling a function gives what it returns. :class:`AnyOf` is
a union annotation (any of its members), :class:`Item` an element of a tuple a call
returns (its return annotation names the elements).

:func:`encode` / :func:`decode` are the one codec between kinds and the JSON of the
lint cache.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Any

#: the name suffix of the elements of a container attribute (``registry[]``) or of a
#: module-level dict (``HANDLERS[]``): ``registry[key]`` and ``HANDLERS.get(key)`` are
#: one of them
ELEMENTS = "[]"


class Res(StrEnum):
    """Concrete kinds."""

    SYNC_ENGINE = "sync_engine"
    ASYNC_ENGINE = "async_engine"
    SYNC_FACTORY = "sync_factory"
    ASYNC_FACTORY = "async_factory"
    SYNC_SESSION = "sync_session"
    ASYNC_SESSION = "async_session"
    SYNC_SCOPED = "sync_scoped"  # scoped_session: a factory that also proxies Session methods
    ASYNC_SCOPED = "async_scoped"
    SYNC_CONN = "sync_conn"
    ASYNC_CONN = "async_conn"
    DRIVER_CONN = "driver_conn"
    DRIVER_CURSOR = "driver_cursor"
    DRIVER_POOL = "driver_pool"
    ASYNC_DRIVER = "async_driver"
    SYNC_INSPECTOR = "sync_inspector"  # sqlalchemy.inspect(sync engine or connection)
    FASTAPI_APP = "fastapi_app"
    ROUTER = "router"
    REQUEST = "request"  # a Starlette/FastAPI Request or WebSocket
    REQUEST_STATE = "request_state"  # request.state: members shared by the whole project
    APP_STATE = "app_state"  # app.state, request.app.state


@dataclass(frozen=True, slots=True)
class Ref:
    """A module-level name (``app.db.engine``), possibly followed by attributes."""

    qualname: str


@dataclass(frozen=True, slots=True)
class Call:
    """The result of calling a value of kind ``base`` (a factory, a project function)."""

    base: Kind


@dataclass(frozen=True, slots=True)
class Method:
    """The result of ``base.name(...)``."""

    name: str
    base: Kind


@dataclass(frozen=True, slots=True)
class Attr:
    """The attribute ``name`` of a value of kind ``base``."""

    name: str
    base: Kind


@dataclass(frozen=True, slots=True)
class Instance:
    """An instance of the project class named ``qualname`` (canonical)."""

    qualname: str


@dataclass(frozen=True, slots=True)
class Klass:
    """The project class named ``qualname`` (canonical) as a value: a class chosen at run
    time (``store_class = get_store_class(t)``, ``-> type[Store]``). Calling it constructs
    an instance (runs its ``__init__``)."""

    qualname: str


@dataclass(frozen=True, slots=True)
class Func:
    """A project function as a value (``return inner``, ``callback=Pool.get_name``):
    ``qualname`` is its key (``module.qualname``, canonical). Calling it runs it."""

    qualname: str


@dataclass(frozen=True, slots=True)
class Param:
    """An unannotated parameter (``name``, at ``position`` among the positional ones as a
    caller passes them; -1 if keyword-only) of the project function ``func``: whatever
    its callers in the application pass."""

    func: str
    name: str
    position: int


@dataclass(frozen=True, slots=True)
class Checked:
    """A value after ``callee(value)`` returned: if the project function ``callee``
    raises unless its parameter at ``position`` is an instance of some class
    (``if not isinstance(store, SqlStore): raise``), that class; else ``base``."""

    callee: str
    position: int
    base: Kind | None


@dataclass(frozen=True, slots=True)
class Dep:
    """What the dependency (a project function) ``qualname`` yields or returns."""

    qualname: str


@dataclass(frozen=True, slots=True)
class Alias:
    """A name that may be a dependency alias (``Annotated[T, Depends(f)]``) elsewhere."""

    qualname: str


@dataclass(frozen=True, slots=True)
class AnyOf:
    """A value annotated with a union (``A | B``, ``Union[A, B]``, ``Optional[…]`` of one):
    any of ``members`` (two or more, in the annotation's order, ``None`` left out). Where
    one kind is asked for it is the first member that resolves; a call on it blocks if
    it blocks on any member (``Union[BaseDb, AsyncBaseDb]``: when the value is a
    ``BaseDb``)."""

    members: tuple[Kind, ...]


@dataclass(frozen=True, slots=True)
class Item:
    """Element ``index`` of the tuple a call returns (``db, uid = await f()`` where
    ``f`` is annotated ``-> tuple[Db, str | None]``): ``base`` is the call's result."""

    index: int
    base: Kind


Symbolic = (
    Ref | Call | Method | Attr | Instance | Klass | Func | Param | Checked | Dep | Alias
    | AnyOf | Item
)
Kind = Res | Symbolic
#: what a kind resolves to once every module is known
Resolved = Res | Instance | Klass | Func


def encode(kind: Kind | None) -> Any:
    """The JSON form of a kind: a string for a concrete kind, a list for a symbolic one
    (``None`` stays ``None``)."""
    if kind is None or isinstance(kind, Res):
        return kind and kind.value
    if isinstance(kind, Ref):
        return ["r", kind.qualname]
    if isinstance(kind, Call):
        return ["c", encode(kind.base)]
    if isinstance(kind, Method):
        return ["m", kind.name, encode(kind.base)]
    if isinstance(kind, Attr):
        return ["t", kind.name, encode(kind.base)]
    if isinstance(kind, Instance):
        return ["i", kind.qualname]
    if isinstance(kind, Func):
        return ["f", kind.qualname]
    if isinstance(kind, Klass):
        return ["k", kind.qualname]
    if isinstance(kind, Param):
        return ["p", kind.func, kind.name, kind.position]
    if isinstance(kind, Checked):
        return ["g", kind.callee, kind.position, encode(kind.base)]
    if isinstance(kind, Dep):
        return ["d", kind.qualname]
    if isinstance(kind, AnyOf):
        return ["u", [encode(m) for m in kind.members]]
    if isinstance(kind, Item):
        return ["e", kind.index, encode(kind.base)]
    return ["a", kind.qualname]


_RES = {r.value: r for r in Res}


def decode(data: Any) -> Kind | None:
    """The kind of a JSON form written by :func:`encode` (``None`` for anything else)."""
    if type(data) is str:
        return _RES.get(data)
    if type(data) is not list or not data:
        return None
    tag = data[0]
    try:
        if tag == "r":
            return Ref(data[1])
        if tag == "c":
            base = decode(data[1])
            return Call(base) if base is not None else None
        if tag == "m":
            base = decode(data[2])
            return Method(data[1], base) if base is not None else None
        if tag == "t":
            base = decode(data[2])
            return Attr(data[1], base) if base is not None else None
        if tag == "i":
            return Instance(data[1])
        if tag == "f":
            return Func(data[1])
        if tag == "k":
            return Klass(data[1])
        if tag == "p":
            return Param(data[1], data[2], int(data[3]))
        if tag == "g":
            return Checked(data[1], int(data[2]), decode(data[3]))
        if tag == "d":
            return Dep(data[1])
        if tag == "a":
            return Alias(data[1])
        if tag == "u":
            members = tuple(m for m in map(decode, data[1]) if m is not None)
            return AnyOf(members) if members else None
        if tag == "e":
            base = decode(data[2])
            return Item(int(data[1]), base) if base is not None else None
    except (IndexError, TypeError, ValueError):
        return None
    return None

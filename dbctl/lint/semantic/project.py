"""The project index: what the file facts say about each other.

Built from every file's summary (cached or fresh) on every run, so cross-module answers
stay right when only one file changed. It resolves symbolic kinds
(``Ref("app.db.engine")``) to concrete ones, knows which functions are routes,
dependencies, middleware and lifespan handlers, which sync functions do database I/O
(transitively) and which are reached from ``async def`` code, and evaluates the
conditions of deferred findings. Everything is computed lazily, and a module's facts
are decoded only when asked for: a tree without async code or SQLAlchemy pays almost
nothing.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from functools import cached_property
from typing import Any

from dbctl.lint.semantic.conditions import (
    Args,
    AsyncReached,
    Condition,
    Dependency,
    Handler,
    KindIn,
    NotGenerator,
    SyncIO,
    SyncIOMethod,
    SyncIOValue,
    decode_condition,
)
from dbctl.lint.semantic.facts import (
    FuncFacts,
    ModuleFacts,
    OptParam,
    decode_flow,
    decode_members,
)
from dbctl.lint.semantic.kinds import (
    ELEMENTS,
    Alias,
    AnyOf,
    Attr,
    Call,
    Checked,
    Dep,
    Each,
    Func,
    Instance,
    Item,
    Kind,
    Klass,
    Method,
    Of,
    Param,
    Ref,
    Res,
    Resolved,
)
from dbctl.lint.semantic.vocabulary import (
    APP_KINDS,
    ATTR_RESULT,
    CALL_RESULT,
    CONTAINER_GETTERS,
    CONTAINER_VIEWS,
    METHOD_RESULT,
    NAMESPACES,
    SYNC_DERIVED,
    derived_kind,
)

_MAX_DEPTH = 16
_NO_CYCLE = 1 << 30
_MAX_OVERRIDES = 32  # overrides of one method followed (class hierarchy analysis)
_MAX_CONSTRUCTION = 64  # methods a construction is followed through (:meth:`_constructed`)
_MAX_CANDIDATES = 32  # values one kind may resolve to (:meth:`ProjectIndex.resolve_all`)
Summary = dict[str, Any]
#: how many calls deep a parameter known to be ``None`` is followed (deeper: a callee
#: counts all it may do)
_MAX_NONE_DEPTH = 8
#: what a function runs: (functions and methods called, getters of the properties read,
#: values called)
_Edges = tuple[tuple[str, ...], tuple[str, ...], tuple[str, ...]]


@dataclass(frozen=True, slots=True)
class ProjectFinding:
    """A finding of a rule's project-wide half (:meth:`dbctl.lint.rule.Rule.check_project`),
    located in ``module``."""

    module: str
    loc: list[int]
    message: str


@dataclass(frozen=True, slots=True)
class Resource:
    """A module-level resource (an engine, a driver connection) and one async user."""

    module: str
    loc: list[int]
    name: str
    user: str  # function key of the async user


class ProjectIndex:
    def __init__(
        self, summaries: list[Summary], display: Callable[[str], str] = lambda rel: rel
    ) -> None:
        self.summaries: dict[str, Summary] = {}
        for s in summaries:
            if "module" in s and "facts" in s:
                self.summaries.setdefault(s["module"], s)
        self.display = display  # a root-relative path as the user sees it
        self._facts: dict[str, ModuleFacts] = {}
        self.suffix: dict[str, list[str]] = {}
        for name in self.summaries:
            parts = name.split(".")
            for i in range(len(parts)):
                self.suffix.setdefault(".".join(parts[i:]), []).append(name)
        self._funcs: dict[str, tuple[str, FuncFacts]] = {}  # filled on demand
        self._norm: dict[tuple[str, str], tuple[str, str] | None] = {}
        self._sync_io: dict[tuple[str, bool, str], bool] = {}
        self._sync_io_without: dict[tuple[str, frozenset[str]], bool] = {}
        self._optional: dict[str, tuple[OptParam, ...]] = {}
        self._none_depth = 0  # how deep :meth:`sync_io_with` asks
        self._resolved: dict[tuple[Kind, str], Resolved | None] = {}
        #: the questions being resolved (-> nesting level); the outermost one a cycle
        #: reached; the unknown answers given inside such a cycle (forgotten once the
        #: cycle's outermost question is answered: the same question asked from elsewhere
        #: may have an answer)
        self._active: dict[tuple[Kind, str], int] = {}
        self._floor = _NO_CYCLE
        self._provisional: list[tuple[Kind, str]] = []
        self._classes: dict[str, tuple[str, str]] = {}  # class key -> (module, local)
        self._members: dict[tuple[str, str], list[tuple[str, Kind]]] | None = None
        self._mros: dict[str, tuple[tuple[str, str, str], ...]] = {}
        self._methods: dict[tuple[str, str], str | None] = {}
        self._callees: dict[str, _Edges] = {}
        self._holds: dict[tuple[str, str], bool] = {}
        #: callee's last name -> (caller module, callee, arguments): built on demand
        #: callee's last name -> (caller module, the call's JSON): built on demand, each
        #: name's calls decoded when first asked for
        self._flows: dict[str, list[tuple[str, str]]] | None = None
        self._flows_of: dict[str, list[tuple[str, Kind, list[tuple[int, str, Kind]]]]] = {}
        self._subs: dict[str, list[tuple[str, str, str]]] | None = None  # base's last name ->
        self._subs_of: dict[str, list[str]] = {}  # class key -> direct subclasses
        self._overrides: dict[tuple[str, str], list[str]] = {}
        self._lazy: dict[str, tuple[tuple[str, tuple[str, ...]], ...]] = {}
        self._built: dict[str, frozenset[str]] = {}
        self._resolved_all: dict[tuple[Kind, str], tuple[Resolved, ...]] = {}
        self._elements_memo: dict[tuple[Kind, str, bool], tuple[tuple[Kind, str], ...]] = {}

    # -- modules -------------------------------------------------------------------------
    def facts(self, module: str) -> ModuleFacts:
        """The (decoded, memoised) facts of a project module."""
        m = self._facts.get(module)
        if m is None:
            m = self._facts[module] = ModuleFacts.from_json(
                module, self.summaries[module]["facts"]
            )
        return m

    def all_facts(self, *keys: str) -> Iterator[ModuleFacts]:
        """Every module's facts; with ``keys``, only modules whose facts or functions
        have one of them (the others are not decoded)."""
        for module, s in self.summaries.items():
            if keys:
                facts = s["facts"]
                if not any(k in facts for k in keys) and not any(
                    k in f for f in facts.get("funcs", {}).values() for k in keys
                ):
                    continue
            yield self.facts(module)

    def app_facts(self) -> Iterator[ModuleFacts]:
        """The modules of the application (not tests, not Alembic migrations)."""
        for module, s in self.summaries.items():
            if not s.get("test") and not s.get("alembic"):
                yield self.facts(module)

    # -- names ---------------------------------------------------------------------------
    def normalize(self, qn: str, from_module: str) -> tuple[str, str] | None:
        """(module, local name) of a canonical dotted name, or ``None`` if not in the project."""
        key = (qn, from_module)
        if key in self._norm:
            return self._norm[key]
        result: tuple[str, str] | None = None
        parts = qn.split(".")
        for i in range(len(parts) - 1, 0, -1):
            cands = self.suffix.get(".".join(parts[:i]))
            if cands:
                mod = cands[0] if len(cands) == 1 else _closest(cands, from_module)
                result = (mod, ".".join(parts[i:]))
                break
        self._norm[key] = result
        return result

    def func(self, qn: str, from_module: str, depth: int = 0) -> str | None:
        """The key (``module.qualname``) of a project function, following re-exports."""
        n = self.normalize(qn, from_module)
        if n is None or depth > _MAX_DEPTH:
            return None
        mod, local = n
        m = self.facts(mod)
        if local in m.funcs:
            return self._key(mod, local)
        if local in m.classes:  # calling a class runs its __init__
            return self.method(self._class_key(mod, local), "__init__")
        head, dot, rest = local.partition(".")
        if dot and "." not in rest and head in m.symbols:  # a method of a module-level object
            owner = self.resolve(m.symbols[head], mod, depth + 1)
            return self.method(owner.qualname, rest) if isinstance(owner, Instance) else None
        target = _imported(m, local)
        if target and target != qn:
            return self.func(target, mod, depth + 1)
        return None

    # -- classes -------------------------------------------------------------------------
    def cls(self, qn: str, from_module: str, depth: int = 0) -> str | None:
        """The key (``module.qualname``) of a project class, following re-exports."""
        n = self.normalize(qn, from_module)
        if n is None or depth > _MAX_DEPTH:
            return None
        mod, local = n
        m = self.facts(mod)
        if local in m.classes:
            return self._class_key(mod, local)
        target = _imported(m, local)
        if target and target != qn:
            return self.cls(target, mod, depth + 1)
        return None

    def _class_key(self, mod: str, local: str) -> str:
        key = f"{mod}.{local}"
        self._classes[key] = (mod, local)
        return key

    def _mro(self, key: str) -> tuple[tuple[str, str, str], ...]:
        """(class key, module, local) of a class and its project base classes (memoised)."""
        done = self._mros.get(key)
        if done is not None:
            return done
        out: list[tuple[str, str, str]] = []
        seen: set[str] = set()
        todo = [key]
        while todo and len(seen) <= _MAX_DEPTH:
            k = todo.pop(0)
            if k in seen or k not in self._classes:
                continue
            seen.add(k)
            mod, local = self._classes[k]
            out.append((k, mod, local))
            for base in self.facts(mod).classes.get(local, ()):
                bk = self.cls(base, mod)
                if bk is not None:
                    todo.append(bk)
        self._mros[key] = result = tuple(out)
        return result

    def method(self, class_key: str, name: str) -> str | None:
        """The function key of method ``name`` of a project class (or its bases)."""
        memo = (class_key, name)
        if memo in self._methods:
            return self._methods[memo]
        found: str | None = None
        self._methods[memo] = None  # cycle guard
        for _, mod, local in self._mro(class_key):
            if f"{local}.{name}" in self.facts(mod).funcs:
                found = self._key(mod, f"{local}.{name}")
                break
        else:  # a mixin's self: the method of a class that mixes it in
            for sub in self._subclasses(class_key):
                found = self.method(sub, name)
                if found is not None:
                    break
        self._methods[memo] = found
        return found

    def _shared_members(self) -> dict[tuple[str, str], list[tuple[str, Kind]]]:
        """(owner, attribute) -> (module, kind) of the attribute assignments whose owner
        is not ``self`` of a class of their own module: ``request.state.db = …``,
        ``app.state.pool = …``, ``obj.x = …``. Owners are class keys and the
        ``request.state`` / ``app.state`` namespaces. Built once; only modules that have
        such assignments are read."""
        if self._members is not None:
            return self._members
        out: dict[tuple[str, str], list[tuple[str, Kind]]] = {}
        self._members = out  # lookups made while it is built see what is there so far
        for module, s in self.summaries.items():
            raw = s["facts"].get("members")
            if not raw:
                continue
            for owner, attr, kind in decode_members(raw):
                resolved = self.resolve(owner, module)
                if isinstance(resolved, Instance):
                    key = resolved.qualname
                elif resolved in NAMESPACES:
                    key = resolved.value
                else:
                    continue
                out.setdefault((key, attr), []).append((module, kind))
        return out

    def _member(self, owner: Resolved, name: str, depth: int) -> Resolved | None:
        """The kind of member ``name`` of ``owner``: its first assignment (in any method
        of the class or its bases, or elsewhere) whose value resolves."""
        return next(self._members_of(owner, name, depth), None)

    def _members_of(self, owner: Resolved, name: str, depth: int) -> Iterator[Resolved]:
        """Every resolved kind member ``name`` of ``owner`` may have (a may-analysis:
        ``self.maker`` assigned one factory in a branch and another in the other branch,
        or in two methods), in assignment order; then a bound method of that name."""
        candidates: list[tuple[str, Kind]] = []
        if isinstance(owner, Res):
            known = ATTR_RESULT.get((owner, name))
            if known is not None or owner not in NAMESPACES:
                if known is not None:
                    yield known
                return
            candidates.extend(self._shared_members().get((owner.value, name), ()))
        elif isinstance(owner, Instance):
            for key, mod, local in self._mro(owner.qualname):
                own = self.facts(mod).class_members.get(local, {}).get(name, ())
                candidates.extend((mod, kind) for kind in own)
                candidates.extend(self._shared_members().get((key, name), ()))
        found = False
        for mod, kind in candidates:
            r = self.resolve(kind, mod, depth + 1)
            if r is not None:
                found = True
                yield r
        if found or not isinstance(owner, Instance):
            return
        method = self.method(owner.qualname, name)
        if method is not None:
            if self.info(method)[1].prop:  # a property: the handle its getter returns
                r = self._ret_kind(method, depth)
                if isinstance(r, Res):
                    yield r
                return
            yield Func(method)  # a bound method as a value
            return
        for sub in self._subclasses(owner.qualname):  # a mixin: what mixes it in
            r = self._member(Instance(sub), name, depth + 1)
            if r is not None:
                yield r
                return

    def _subclasses(self, key: str) -> list[str]:
        """The keys of the project classes that inherit ``key`` directly (by base name;
        only the candidates with the same last name are resolved)."""
        if self._subs is None:
            subs: dict[str, list[tuple[str, str, str]]] = {}
            for module, s in self.summaries.items():
                for local, bases in s["facts"].get("classes", {}).items():
                    for base in bases:
                        subs.setdefault(base.rsplit(".", 1)[-1], []).append((module, local, base))
            self._subs = subs
        done = self._subs_of.get(key)
        if done is not None:  # memoised: asked once per member lookup on the class
            return done
        out: list[str] = []
        short = key.rsplit(".", 1)[-1]
        for module, local, base in self._subs.get(short, ()):
            if self.cls(base, module) == key:
                out.append(self._class_key(module, local))
        self._subs_of[key] = out
        return out

    def alias_dep(self, qn: str, from_module: str, depth: int = 0) -> str | None:
        """The key of the dependency named through ``qn = Annotated[T, Depends(f)]``."""
        n = self.normalize(qn, from_module)
        if n is None or depth > _MAX_DEPTH:
            return None
        mod, local = n
        m = self.facts(mod)
        alias = m.aliases.get(local)
        if alias:
            return self.func(alias[1], mod, depth + 1) if alias[1] else None
        target = m.imports.get(local)
        return self.alias_dep(target, mod, depth + 1) if target and target != qn else None

    def dependencies_of(self, mod: str, info: FuncFacts) -> Iterator[str]:
        """The keys of the dependencies a function declares."""
        for dep in info.deps:
            key = self.func(dep, mod)
            if key:
                yield key
        for dep in info.alias_deps:
            key = self.alias_dep(dep, mod)
            if key:
                yield key

    def _key(self, mod: str, local: str) -> str:
        key = f"{mod}.{local}"
        if key not in self._funcs:
            self._funcs[key] = (mod, self.facts(mod).funcs[local])
        return key

    def info(self, key: str) -> tuple[str, FuncFacts]:
        """(module, function facts) of a function key."""
        return self._funcs[key]

    def describe(self, key: str) -> str:
        """A function for a message: ``async def `name` at path:line``."""
        mod, info = self.info(key)
        where = f"{self.display(self.summaries[mod]['path'])}:{info.line}"
        kind = "async def" if info.is_async else "def (called from async code)"
        return f"{kind} `{key[len(mod) + 1 :]}` at {where}"

    # -- kinds ---------------------------------------------------------------------------
    def resolve(self, kind: Kind | None, from_module: str, depth: int = 0) -> Resolved | None:
        """The concrete kind of a (possibly symbolic) kind, memoised; cycles give None."""
        if kind is None or depth > _MAX_DEPTH:
            return None
        if isinstance(kind, Res):
            return kind
        key = (kind, from_module)
        if key in self._resolved:
            level = self._active.get(key)
            if level is not None and level < self._floor:  # a cycle back to an open question
                self._floor = level
            return self._resolved[key]
        level = len(self._active)
        self._active[key] = level
        self._resolved[key] = None  # cycle guard
        try:
            result = self._resolve(kind, from_module, depth)
        finally:
            del self._active[key]
        self._resolved[key] = result
        if self._floor < level:  # the answer used the guard of a question still open
            if result is None:
                self._provisional.append(key)
        elif self._floor < _NO_CYCLE:  # the cycle's outermost question is answered:
            for k in self._provisional:  # the "no" answers inside it may be asked again
                self._resolved.pop(k, None)
            self._provisional.clear()
            self._floor = _NO_CYCLE
        return result

    def _resolve(self, kind: Kind, from_module: str, depth: int) -> Resolved | None:
        if isinstance(kind, Ref):  # a module-level name
            return self._ref_kind(kind.qualname, from_module, depth)
        if isinstance(kind, Instance):
            key = self.cls(kind.qualname, from_module)
            if key is not None:
                return self._instance(key)
            # not a class: maybe a type alias (``SessionMaker = sessionmaker | async_sessionmaker``)
            return self.resolve(Alias(kind.qualname), from_module, depth + 1)
        if isinstance(kind, Klass):
            key = self.cls(kind.qualname, from_module)
            return Klass(key) if key is not None else None
        if isinstance(kind, Param):
            return self._param_kind(kind, depth)
        if isinstance(kind, Checked):
            key = self.func(kind.callee, from_module)
            if key is not None:
                mod, info = self.info(key)
                guard = info.guards.get(kind.position)
                if guard is not None:
                    return self.resolve(guard, mod, depth + 1)
            return self.resolve(kind.base, from_module, depth + 1)
        if isinstance(kind, Func):
            return kind
        if isinstance(kind, AnyOf):  # a union: its first member that resolves
            return next((r for m in kind.members
                         if (r := self.resolve(m, from_module, depth + 1)) is not None), None)
        if isinstance(kind, Each):  # an element of a container: the first that resolves
            return next((r for e, mod in self._elements(kind.base, from_module, depth)
                         if (r := self.resolve(e, mod, depth + 1)) is not None), None)
        if isinstance(kind, Item):  # an element of a tuple a call returns
            item = self._item(kind, from_module)
            return self.resolve(item[0], item[1], depth + 1) if item is not None else None
        if isinstance(kind, Attr):
            owner = self.resolve(kind.base, from_module, depth + 1)
            return self._member(owner, kind.name, depth) if owner is not None else None
        if isinstance(kind, Call):
            if isinstance(kind.base, Ref):
                key = self.cls(kind.base.qualname, from_module)
                if key is not None:
                    return self._instance(key)
                key = self.func(kind.base.qualname, from_module)
                if key is not None:
                    return self._ret_kind(key, depth)
            if isinstance(kind.base, Attr):  # a member called: any value it may hold
                owner = self.resolve(kind.base.base, from_module, depth + 1)
                if owner is None:
                    return None
                for value in self._members_of(owner, kind.base.name, depth):
                    r = self._call_result(value, depth)
                    if r is not None:
                        return r
                return None
            return self._call_result(self.resolve(kind.base, from_module, depth + 1), depth)
        if isinstance(kind, Alias):
            n = self.normalize(kind.qualname, from_module)
            if n is None:
                return None
            mod, local = n
            m = self.facts(mod)
            alias = m.aliases.get(local)
            if alias:
                alias_kind, dep = alias
                if alias_kind is None and dep:
                    alias_kind = Dep(dep)
                return self.resolve(alias_kind, mod, depth + 1)
            target = m.imports.get(local)
            if target:
                return self.resolve(Alias(target), mod, depth + 1)
            return self.resolve(Instance(kind.qualname), from_module, depth + 1)
        if isinstance(kind, Dep):
            key = self.func(kind.qualname, from_module)
            return self._ret_kind(key, depth) if key else None
        if isinstance(kind, Method):
            base = self.resolve(kind.base, from_module, depth + 1)
            if isinstance(base, Instance):
                key = self.method(base.qualname, kind.name)
                if key is not None:
                    return self._ret_kind(key, depth)
                # a callable member: self.session_maker(), self.make_session()
                return self.resolve(Call(Attr(kind.name, kind.base)), from_module, depth + 1)
            if isinstance(base, Res):
                return METHOD_RESULT.get((base, kind.name))
            if isinstance(base, Klass):  # Store.create(...): a classmethod / staticmethod
                key = self.method(base.qualname, kind.name)
                return self._ret_kind(key, depth) if key is not None else None
            if base is None and kind.name in CONTAINER_GETTERS and isinstance(kind.base, Ref):
                values = Ref(kind.base.qualname + ELEMENTS)  # HANDLERS.get(key)
                if self._elements_of(values, from_module):
                    return self.resolve(values, from_module, depth + 1)
            if base is None and kind.name in CONTAINER_GETTERS and isinstance(kind.base, Attr):
                # self.registry.get(key): an element stored in that container
                elements = Attr(kind.base.name + ELEMENTS, kind.base.base)
                return self.resolve(elements, from_module, depth + 1)
            if base is None and isinstance(kind.base, Ref):  # module.function(...)
                ref = Ref(f"{kind.base.qualname}.{kind.name}")
                return self.resolve(Call(ref), from_module, depth + 1)
            return None
        return None

    def _result_of(self, call: Kind, from_module: str) -> str | None:
        """The key of the project function whose result ``call`` (``Call`` of a name,
        ``Method`` on an instance, ``Dep``) is."""
        if isinstance(call, Call):
            return self.callable_key(call.base, from_module)
        if isinstance(call, Dep):
            return self.func(call.qualname, from_module)
        if isinstance(call, Method):
            base = self.resolve(call.base, from_module)
            if isinstance(base, Instance | Klass):
                return self.method(base.qualname, call.name)
        return None

    def _item(self, kind: Item, from_module: str) -> tuple[Kind, str] | None:
        """The kind of the tuple element ``kind`` names (its return annotation's element
        of the function whose result it is) and the module to read it in."""
        key = self._result_of(kind.base, from_module)
        if key is None:
            return None
        mod, info = self.info(key)
        element = info.items[kind.index] if kind.index < len(info.items) else None
        return (element, mod) if element is not None else None

    def _instance(self, class_key: str) -> Resolved:
        """An instance of a project class: of a library database class's kind when the
        class derives from one (``class TimedSession(Session)`` is a sync session)."""
        for _, mod, local in self._mro(class_key):
            for base in self.facts(mod).classes.get(local, ()):
                kind = derived_kind(base)
                if kind is not None:
                    return kind
        return Instance(class_key)

    def _elements_of(self, ref: Ref, from_module: str) -> tuple[str, list[Kind]] | None:
        """(module, value kinds) of the module-level dict a ``HANDLERS[]`` reference names,
        imports followed; ``None`` if it names none."""
        qn = ref.qualname[: -len(ELEMENTS)]
        for _ in range(_MAX_DEPTH):
            n = self.normalize(qn, from_module)
            if n is None:
                return None
            mod, local = n
            m = self.facts(mod)
            if local in m.elements:
                return mod, m.elements[local]
            target = _imported(m, local)
            if not target or target == qn:
                return None
            qn, from_module = target, mod
        return None

    def _call_result(self, base: Resolved | None, depth: int) -> Resolved | None:
        """What calling a value of kind ``base`` gives."""
        if isinstance(base, Func):  # calling a closure or a callback
            return self._ret_kind(base.qualname, depth)
        if isinstance(base, Klass):  # a class chosen at run time: an instance of it
            return Instance(base.qualname)
        return CALL_RESULT.get(base) if isinstance(base, Res) else None

    def _ref_kind(self, qn: str, from_module: str, depth: int) -> Resolved | None:
        if qn.endswith(ELEMENTS):  # HANDLERS[key]: the first of its values that resolves
            found = self._elements_of(Ref(qn), from_module)
            if found is None:
                return None
            mod, kinds = found
            return next(
                (r for k in kinds if (r := self.resolve(k, mod, depth + 1)) is not None), None
            )
        n = self.normalize(qn, from_module)
        if n is None:
            return None
        mod, local = n
        m = self.facts(mod)
        if local in m.symbols:
            return self.resolve(m.symbols[local], mod, depth + 1)
        if local in m.funcs:  # a function as a value
            return Func(self._key(mod, local))
        if local in m.classes:  # a class as a value
            return Klass(self._class_key(mod, local))
        target = _imported(m, local)
        if target and target != qn:
            return self.resolve(Ref(target), mod, depth + 1)
        head, dot, rest = local.partition(".")
        if dot and head in m.symbols:  # an attribute of a module-level object: app.state.pool
            kind: Kind | None = m.symbols[head]
            for name in rest.split("."):
                kind = Attr(name, kind) if kind is not None else None
            return self.resolve(kind, mod, depth + 1)
        return None

    def _ret_kind(self, key: str, depth: int) -> Resolved | None:
        """What a function returns: the kinds of its return values, else what its
        return annotation says."""
        mod, info = self.info(key)
        for k in info.ret:
            r = self.resolve(k, mod, depth + 1)
            if r:
                return r
        return self.resolve(info.returns, mod, depth + 1)

    def _param_kind(self, param: Param, depth: int) -> Resolved | None:
        """What the application's callers pass for an unannotated parameter: the first
        argument whose kind resolves (tests and Alembic migrations do not count)."""
        for module, kind in self._arguments(param):
            r = self.resolve(kind, module, depth + 1)
            if r is not None:
                return r
        return None

    def _arguments(self, param: Param, receiver: str = "") -> Iterator[tuple[str, Kind]]:
        """(caller module, argument kind) of what the application's calls pass for a
        parameter; with ``receiver`` (a class key), only the calls of the method on
        instances of that class, its bases or subclasses."""
        short = param.func.rsplit(".", 1)[-1]
        if short == "__init__":
            short = param.func.rsplit(".", 2)[-2]  # called as the class
        for module, callee, args in self._calls_named(short):
            if receiver and not self._related(self._receiver_of(callee, module), receiver):
                continue
            for position, keyword, kind in args:
                if keyword != param.name and (keyword or position != param.position):
                    continue
                if self.callable_key(callee, module) != param.func:
                    break
                yield module, kind

    def _calls_named(self, short: str) -> list[tuple[str, Kind, list[tuple[int, str, Kind]]]]:
        """(caller module, callee, arguments) of the application's calls of callables
        named ``short`` with arguments of known kind."""
        done = self._flows_of.get(short)
        if done is not None:
            return done
        if self._flows is None:
            index: dict[str, list[tuple[str, str]]] = {}
            for module, s in self.summaries.items():
                raw = s["facts"].get("flows")
                if not raw or s.get("test") or s.get("alembic"):
                    continue
                for name, calls in raw.items():
                    index.setdefault(name, []).extend((module, c) for c in calls)
            self._flows = index
        out: list[tuple[str, Kind, list[tuple[int, str, Kind]]]] = []
        for module, text in self._flows.get(short, ()):
            flow = decode_flow(text)
            if flow is not None:
                out.append((module, *flow))
        self._flows_of[short] = out
        return out

    def callable_key(self, callee: Kind, module: str) -> str | None:
        """The key of the project function a callable value runs (a function, a bound
        method, a class's ``__init__``, a closure a factory returned)."""
        if isinstance(callee, Ref):
            key = self.func(callee.qualname, module)
            if key is not None:
                return key
        r = self.resolve(callee, module)
        if isinstance(r, Klass):  # constructing a class chosen at run time
            return self.method(r.qualname, "__init__")
        return r.qualname if isinstance(r, Func) else None

    def callable_keys(self, value: Kind, module: str) -> list[str]:
        """The keys of the project functions calling a value may run: every function,
        bound method or class (its ``__init__``) the value may be (:meth:`resolve_all`)."""
        out: list[str] = []
        key = self.callable_key(value, module)
        if key is not None:
            out.append(key)
        for r in self.resolve_all(value, module):
            if isinstance(r, Func):
                out.append(r.qualname)
            elif isinstance(r, Klass):
                init = self.method(r.qualname, "__init__")
                if init is not None:
                    out.append(init)
        return list(dict.fromkeys(out))

    # -- may-analysis --------------------------------------------------------------------
    def resolve_all(
        self, kind: Kind | None, from_module: str, depth: int = 0
    ) -> tuple[Resolved, ...]:
        """Every concrete kind a value may have (:meth:`resolve` gives one): all the
        arguments the application's callers pass for a parameter, all the elements stored
        in a container attribute (``self.registry[key] = builder``), all the values a
        function returns. For the project functions a call may run (a method call, a
        value called); the concrete kinds of resources keep :meth:`resolve`."""
        if kind is None or depth > _MAX_DEPTH:
            return ()
        if isinstance(kind, Res | Func):
            return (kind,)
        key = (kind, from_module)
        done = self._resolved_all.get(key)
        if done is not None:
            return done
        self._resolved_all[key] = ()  # cycle guard
        out: dict[Resolved, None] = {}
        for r in self._resolve_all(kind, from_module, depth):
            out[r] = None
            if len(out) >= _MAX_CANDIDATES:
                break
        if not out:
            one = self.resolve(kind, from_module, depth)
            if one is not None:
                out[one] = None
        result = self._resolved_all[key] = tuple(out)
        return result

    def _resolve_all(self, kind: Kind, from_module: str, depth: int) -> Iterator[Resolved]:
        if isinstance(kind, AnyOf):  # a union: any of its members
            for member in kind.members:
                yield from self.resolve_all(member, from_module, depth + 1)
        elif isinstance(kind, Item):
            item = self._item(kind, from_module)
            if item is not None:
                yield from self.resolve_all(item[0], item[1], depth + 1)
        elif isinstance(kind, Param):
            yield from self._param_kinds(kind, depth)
        elif isinstance(kind, Each):
            for element, mod in self._elements(kind.base, from_module, depth):
                yield from self.resolve_all(element, mod, depth + 1)
        elif isinstance(kind, Attr):
            for owner in self.resolve_all(kind.base, from_module, depth + 1):
                yield from self._members_all(owner, kind.name, depth)
        elif isinstance(kind, Call):
            if isinstance(kind.base, Ref):
                cls = self.cls(kind.base.qualname, from_module)
                if cls is not None:
                    yield Instance(cls)
                    return
                key = self.func(kind.base.qualname, from_module)
                if key is not None:
                    yield from self._rets_all(key, depth)
                    return
            for base in self.resolve_all(kind.base, from_module, depth + 1):
                if isinstance(base, Func):
                    yield from self._rets_all(base.qualname, depth)
                elif isinstance(base, Klass):
                    yield Instance(base.qualname)
        elif isinstance(kind, Ref) and kind.qualname.endswith(ELEMENTS):
            found = self._elements_of(kind, from_module)  # HANDLERS[key]: any of its values
            if found is not None:
                mod, kinds = found
                for k in kinds:
                    yield from self.resolve_all(k, mod, depth + 1)
        elif isinstance(kind, Method):
            if kind.name in CONTAINER_GETTERS and isinstance(kind.base, Ref):
                elements = Ref(kind.base.qualname + ELEMENTS)  # HANDLERS.get(key)
                if self._elements_of(elements, from_module):
                    yield from self.resolve_all(elements, from_module, depth + 1)
                    return
            for owner in self.resolve_all(kind.base, from_module, depth + 1):
                if isinstance(owner, Instance):
                    key = self.method(owner.qualname, kind.name)
                    if key is not None:
                        yield from self._rets_all(key, depth, owner.qualname)

    def _elements(
        self, kind: Kind, module: str, depth: int, keys: bool = True
    ) -> tuple[tuple[Kind, str], ...]:
        """(kind, module) of the elements of a container value of kind ``kind`` where they
        are known (:class:`Of`, wherever the value was stored: an instance member, a
        module-level name); without ``keys``, a mapping's values (``d.values()``), else its
        keys, of no known kind. Nothing for the rest. Memoised; a cycle gives nothing."""
        if depth > _MAX_DEPTH or isinstance(kind, Res):
            return ()
        memo = (kind, module, keys)
        done = self._elements_memo.get(memo)
        if done is not None:
            return done
        self._elements_memo[memo] = ()  # cycle guard
        found = dict.fromkeys(self._find_elements(kind, module, depth + 1, keys))
        result = self._elements_memo[memo] = tuple(found)[:_MAX_CANDIDATES]
        return result

    def _find_elements(
        self, kind: Kind, module: str, depth: int, keys: bool
    ) -> Iterator[tuple[Kind, str]]:
        if isinstance(kind, Of):
            if not (keys and kind.keyed):
                yield kind.element, module
        elif isinstance(kind, AnyOf):
            for member in kind.members:
                yield from self._elements(member, module, depth, keys)
        elif isinstance(kind, Each):  # the elements of an element
            for element, mod in self._elements(kind.base, module, depth):
                yield from self._elements(element, mod, depth, keys)
        elif isinstance(kind, Method) and kind.name in CONTAINER_VIEWS:  # d.values(), l.copy()
            yield from self._elements(kind.base, module, depth, keys and kind.name == "copy")
        elif isinstance(kind, Method) and kind.name in CONTAINER_GETTERS:  # d.get(k): a value
            for element, mod in self._elements(kind.base, module, depth, keys=False):
                yield from self._elements(element, mod, depth, keys)
        else:
            for value, mod in self._assigned(kind, module, depth):
                yield from self._elements(value, mod, depth, keys)

    def _assigned(self, kind: Kind, module: str, depth: int) -> Iterator[tuple[Kind, str]]:
        """(kind, module) of the values a symbolic value may be as they were assigned,
        unresolved (a container is not a resolved kind): an instance member's assignments
        (of ``registry[]``: also the values of the member ``registry``), a module-level
        name's. Not what a function returns or what callers pass for a parameter: a
        container is followed where it is stored, not through calls."""
        if isinstance(kind, Attr):
            name = kind.name
            for owner in self.resolve_all(kind.base, module, depth):
                if not isinstance(owner, Instance):
                    continue
                if name.endswith(ELEMENTS):  # self.dbs[key]: one of the values of self.dbs
                    yield from self._elements(
                        Method("values", Attr(name[: -len(ELEMENTS)], owner)), module, depth
                    )
                for key, mod, local in self._mro(owner.qualname):
                    for value in self.facts(mod).class_members.get(local, {}).get(name, ()):
                        yield value, mod
                    yield from ((v, m) for m, v in self._shared_members().get((key, name), ()))
        elif isinstance(kind, Ref):
            n = self.normalize(kind.qualname, module)
            if n is not None:
                mod, local = n
                symbol = self.facts(mod).symbols.get(local)
                target = _imported(self.facts(mod), local)
                if symbol is not None:
                    yield symbol, mod
                elif target and target != kind.qualname:
                    yield from self._assigned(Ref(target), mod, depth + 1)

    def _rets_all(self, key: str, depth: int, self_as: str = "") -> Iterator[Resolved]:
        """What a function may return; for a method inherited by the class ``self_as``,
        its ``self`` is an instance of that class (a registry subclass's own entries)."""
        mod, info = self.info(key)
        defined_in = key.rpartition(".")[0]
        for k in info.ret:
            as_self = _as_self(k, defined_in, self_as) if self_as not in ("", defined_in) else k
            yield from self.resolve_all(as_self, mod, depth + 1)
        r = self.resolve(info.returns, mod, depth + 1)
        if r is not None:
            yield r

    def _members_all(self, owner: Resolved, name: str, depth: int) -> Iterator[Resolved]:
        found = False
        if isinstance(owner, Instance):
            for key, mod, local in self._mro(owner.qualname):
                for kind in self.facts(mod).class_members.get(local, {}).get(name, ()):
                    if isinstance(kind, Param):  # stored by a method: this class's callers
                        for r in self._param_kinds(kind, depth, owner.qualname):
                            found = True
                            yield r
                    else:
                        for r in self.resolve_all(kind, mod, depth + 1):
                            found = True
                            yield r
                for mod2, kind in self._shared_members().get((key, name), ()):
                    for r in self.resolve_all(kind, mod2, depth + 1):
                        found = True
                        yield r
        if not found:  # a method as a value, a property, a namespace's member
            one = self._member(owner, name, depth)
            if one is not None:
                yield one

    def _param_kinds(self, param: Param, depth: int, receiver: str = "") -> Iterator[Resolved]:
        """Every kind the arguments the application's callers pass for a parameter may
        have (see :meth:`_arguments`)."""
        for module, kind in self._arguments(param, receiver):
            yield from self.resolve_all(kind, module, depth + 1)

    def _receiver_of(self, callee: Kind, module: str) -> Resolved | None:
        """What a method call's receiver is (``registry`` of ``registry.register``)."""
        if isinstance(callee, Attr):
            return self.resolve(callee.base, module)
        if isinstance(callee, Ref) and "." in callee.qualname:
            return self.resolve(Ref(callee.qualname.rpartition(".")[0]), module)
        return None

    def _related(self, r: Resolved | None, class_key: str) -> bool:
        """Is ``r`` an instance of the class ``class_key``, of a base or of a subclass?"""
        if not isinstance(r, Instance):
            return True  # not known: it may be
        if r.qualname == class_key:
            return True
        return any(k == class_key for k, _, _ in self._mro(r.qualname)) or any(
            k == r.qualname for k, _, _ in self._mro(class_key)
        )

    # -- roles ---------------------------------------------------------------------------
    @cached_property
    def routes(self) -> set[str]:
        out = self._decorated("route")
        for m in self.all_facts("extra_routes"):
            for recv, target in m.extra_routes:
                key = self.func(target, m.module)
                if key and self.resolve(recv, m.module) in APP_KINDS:
                    out.add(key)
        return out

    @cached_property
    def middleware(self) -> set[str]:
        return self._decorated("middleware")

    def _decorated(self, field: str) -> set[str]:
        out: set[str] = set()
        for m in self.all_facts(field):
            for local, raw in m.raw_funcs.items():
                if field not in raw:
                    continue
                if any(self.resolve(k, m.module) in APP_KINDS
                       for k in getattr(m.funcs[local], field)):
                    out.add(self._key(m.module, local))
        return out

    @cached_property
    def dependencies(self) -> set[str]:
        out: set[str] = set()
        for m in self.all_facts("deps", "alias_deps", "extra_deps"):
            for local, raw in m.raw_funcs.items():
                if "deps" in raw or "alias_deps" in raw:
                    out.update(self.dependencies_of(m.module, m.funcs[local]))
            for dep in m.extra_deps:
                key = self.func(dep, m.module)
                if key:
                    out.add(key)
        return out

    @cached_property
    def lifespans(self) -> set[str]:
        out: set[str] = set()
        for m in self.all_facts("lifespans"):
            for target in m.lifespans:
                key = self.func(target, m.module)
                if key:
                    out.add(key)
        return out

    @cached_property
    def handlers(self) -> set[str]:
        return self.routes | self.dependencies | self.middleware | self.lifespans

    def _blocks_here(self, facts: FuncFacts, mod: str) -> bool:
        """Does one of ``facts``' own blocking calls (``.io``) block on its receiver?"""
        return any(self.may_be(io.receiver, io.blocking_on, mod) for io in facts.io)

    def callees(self, key: str) -> tuple[str, ...]:
        """The keys of the project functions ``key`` calls, methods included (also those
        that build a lazily built member), and of the getters of the properties it reads
        (not from a getter: see :meth:`sync_io`)."""
        calls, getters, values = self._edges(key)
        lazy = tuple(k for _, keys in self._lazy_edges(key) for k in keys)
        return calls + (() if self.info(key)[1].prop else getters) + values + lazy

    def _edges(self, key: str) -> _Edges:
        """The keys of the project functions ``key`` runs (memoised): the functions and
        methods it calls (in a getter also the methods it calls on the value another
        property hands out, ``Config().store.get_id()``), the getters of the properties
        it reads, the values it calls. Not those that only run while a member is unset
        (:meth:`_lazy_edges`)."""
        done = self._callees.get(key)
        if done is None:
            done = self._callees[key] = self._edges_of(*self.info(key))
        return done

    def _edges_of(self, mod: str, info: FuncFacts) -> _Edges:
        """:meth:`_edges` of a function's facts (made in ``mod``)."""
        calls, values = self._runs(mod, info, info.prop)
        getters = [
            k
            for receiver, name in info.reads_of(self._property_names)
            for k in self.methods_of(receiver, name, mod)
            if self.info(k)[1].prop
        ]
        return (tuple(calls), tuple(getters), tuple(values))

    def _runs(self, mod: str, info: FuncFacts, prop: bool) -> tuple[list[str], list[str]]:
        """(functions and methods called, values called) of a function's facts."""
        calls: list[str] = []
        for qn in info.calls:
            callee = self.func(qn, mod)
            if callee:
                calls.append(callee)
        for receiver, name in info.method_calls:
            calls.extend(self.methods_of(receiver, name, mod))
            if prop and isinstance(receiver, Attr) and receiver.name in self._property_names:
                for value in self._property_values(receiver, mod):
                    calls.extend(self._methods_on(value, name))
        values = [k for value in info.value_calls for k in self.callable_keys(value, mod)]
        return calls, values

    def _lazy_edges(self, key: str) -> tuple[tuple[str, tuple[str, ...]], ...]:
        """(member, keys of the project functions run) of the calls of a method that run
        only while a member of ``self`` is unset (``if self.x is None: self.x = build()``);
        memoised."""
        done = self._lazy.get(key)
        if done is not None:
            return done
        mod, info = self.info(key)
        out: list[tuple[str, tuple[str, ...]]] = []
        for member, part in info.lazy.items():
            calls, values = self._runs(mod, part, info.prop)
            out.append((member, (*calls, *values)))
        self._lazy[key] = result = tuple(out)
        return result

    def _owner(self, key: str) -> str | None:
        """The class key of the class a method is defined in."""
        mod, _ = self.info(key)
        local = key[len(mod) + 1 :].rpartition(".")[0]
        return self._class_key(mod, local) if local in self.facts(mod).classes else None

    def _constructed(self, class_key: str) -> frozenset[str]:
        """The lazily built members an instance of the class has once it is constructed:
        those its ``__init__``, or a method of its own that ``__init__`` calls on ``self``
        (transitively), may assign, or may build through their lazy guard (memoised)."""
        done = self._built.get(class_key)
        if done is not None:
            return done
        self._built[class_key] = frozenset()  # cycle guard
        init = self.method(class_key, "__init__")
        own = {k for k, _, _ in self._mro(class_key)}
        out: set[str] = set()
        seen: set[str] = set()
        todo = [init] if init is not None else []
        while todo and len(seen) < _MAX_CONSTRUCTION:
            key = todo.pop()
            if key in seen:
                continue
            seen.add(key)
            mod, info = self.info(key)
            out.update(info.sets)
            out.update(info.lazy)
            for part in (info, *info.lazy.values()):
                for receiver, name in part.method_calls:
                    r = self.resolve(receiver, mod)
                    if isinstance(r, Instance) and r.qualname in own:
                        method = self.method(class_key, name)
                        if method is not None:
                            todo.append(method)
        self._built[class_key] = result = frozenset(out)
        return result

    @cached_property
    def _property_names(self) -> set[str]:
        """The names of the project's properties (``@property`` methods)."""
        return {
            local.rsplit(".", 1)[-1]
            for s in self.summaries.values()
            for local, raw in s["facts"].get("funcs", {}).items()
            if raw.get("prop")
        }

    def methods_of(self, receiver: Kind, name: str, module: str) -> list[str]:
        """The keys of the project methods ``receiver.name(...)`` may run: the method the
        receiver's class has, and when that one is abstract (``@abstractmethod``, or a body
        that is only a docstring, ``pass``, ``...`` or ``raise NotImplementedError``) the
        overrides in the project's subclasses of the receiver's class (class hierarchy
        analysis: any of them may be the object at run time)."""
        out: list[str] = []
        for owner in self.resolve_all(receiver, module):
            out.extend(self._methods_on(owner, name))
        return list(dict.fromkeys(out))

    def _methods_on(self, owner: Resolved, name: str) -> list[str]:
        """:meth:`methods_of` an owner of resolved kind."""
        if not isinstance(owner, Instance):
            return []
        key = self.method(owner.qualname, name)
        if key is None:
            return []
        if self.info(key)[1].abstract:
            return [key, *self.overrides(owner.qualname, name)]
        return [key]

    def _property_values(self, read: Attr, module: str) -> Iterator[Resolved]:
        """Every kind the value of a property read (``Config().store``) may have: what
        the getter may return, a project class instance included (:meth:`_member` gives
        only a handle)."""
        for owner in self.resolve_all(read.base, module):
            if not isinstance(owner, Instance):
                continue
            getter = self.method(owner.qualname, read.name)
            if getter is not None and self.info(getter)[1].prop:
                yield from self._rets_all(getter, 0)

    def overrides(self, class_key: str, name: str) -> list[str]:
        """The keys of the methods ``name`` that the project's subclasses of a class
        define (transitively; memoised)."""
        memo = (class_key, name)
        done = self._overrides.get(memo)
        if done is not None:
            return done
        out: list[str] = []
        seen = {class_key}
        todo = deque(self._subclasses(class_key))
        while todo and len(out) < _MAX_OVERRIDES:
            sub = todo.popleft()
            if sub in seen:
                continue
            seen.add(sub)
            mod, local = self._classes[sub]
            if f"{local}.{name}" in self.facts(mod).funcs:
                out.append(self._key(mod, f"{local}.{name}"))
            todo.extend(self._subclasses(sub))
        self._overrides[memo] = out
        return out

    @cached_property
    def async_reached(self) -> dict[str, str]:
        """Sync project functions reached from ``async def`` code -> the async caller."""
        reached: dict[str, str] = {}
        todo: list[str] = []
        for m in self.app_facts():
            for local, raw in m.raw_funcs.items():
                if not raw.get("async"):
                    continue
                info = m.funcs[local]
                caller = self._key(m.module, local)
                for key in (*self.callees(caller), *self.dependencies_of(m.module, info)):
                    if key not in reached and not self.info(key)[1].is_async:
                        reached[key] = caller
                        todo.append(key)
        while todo:
            key = todo.pop()
            for callee in self.callees(key):
                if callee not in reached and not self.info(callee)[1].is_async:
                    reached[callee] = reached[key]
                    todo.append(callee)
        return reached

    def sync_io(self, key: str, in_getter: bool = False, building: str = "") -> bool:
        """Does the sync function ``key`` do database I/O, itself or through callees?

        Reading a property runs its getter, and what the getter calls runs too; but the
        properties read while a getter runs (in its body or in a function it calls) are
        taken as values built already (a lazily built store is built by its first
        reader, not by every getter that hands it on or uses it): their getters are
        not followed, the methods a getter calls on their values are.

        Likewise a member of ``self`` built lazily (``if self.x is None: self.x =
        build()``) that the object's construction sets (:meth:`_constructed`) is built
        by the construction, not by later calls: what only runs while it is unset is
        followed while the class is being constructed (``building``: from its
        ``__init__`` through its own methods), not from elsewhere."""
        memo = (key, in_getter, building)
        done = self._sync_io.get(memo)
        if done is not None:
            return done
        self._sync_io[memo] = False  # cycle guard
        mod, info = self.info(key)
        result = self._does_io(key, mod, info, self._edges(key), in_getter, building)
        self._sync_io[memo] = result
        return result

    def _does_io(self, key: str, mod: str, info: FuncFacts, edges: _Edges,
                 in_getter: bool, building: str, known: frozenset[str] = frozenset()) -> bool:
        """:meth:`sync_io` of a function's facts and their :meth:`_edges`, with its
        optional parameters ``known`` to be ``None``: a callee is asked about the calls
        that reach it (:meth:`_callee_io`)."""
        if info.is_async:
            return False
        if key.endswith(".__init__"):
            building = self._owner(key) or ""
        calls, getters, values = edges
        quiet = in_getter or info.prop
        sites: list[dict[str, tuple[Args, ...] | None]] = []
        return (
            self._blocks_here(info, mod)
            or any(c != key and self._callee_io(c, quiet, self._carry(building, c),
                                                mod, info, known, sites)
                   for c in calls + values)
            or (not quiet and any(self.sync_io(g, True) for g in getters))
            or (bool(info.lazy) and self._lazy_io(key, quiet, building))
        )

    def _callee_io(self, callee: str, quiet: bool, building: str, mod: str,
                   caller: FuncFacts, known: frozenset[str],
                   sites: list[dict[str, tuple[Args, ...] | None]]) -> bool:
        """:meth:`sync_io` of a callee of ``caller`` (whose optional parameters ``known``
        are ``None``), as the calls that reach it pass their arguments: an optional
        parameter of the callee that every one of them leaves out, or gives ``None`` (a
        literal, or a parameter of the caller's it passes on that is ``None``), does not
        run what only runs when it is set (:meth:`sync_io_with`). ``sites``: the callees'
        calls, made on first need."""
        if quiet or building or not self._optional_of(callee):
            return self.sync_io(callee, quiet, building)
        if not sites:
            sites.append(self._sites_of(mod, caller))
        calls = sites[0].get(callee)
        if calls is None:  # also reached some other way: all it may do counts
            return self.sync_io(callee)
        return any(self.sync_io_with(callee, self._nones(callee, args, known)) for args in calls)

    def _optional_of(self, key: str) -> tuple[OptParam, ...]:
        """The optional parameters of ``key`` that gate what it runs or that it passes on."""
        done = self._optional.get(key)
        if done is None:
            info = self.info(key)[1]
            params = {p for _, _, ps in info.gated for p in ps}
            params.update(info.forwards)
            done = self._optional[key] = tuple(sorted(params))
        return done

    def _nones(self, key: str, args: Args | None, known: frozenset[str]) -> frozenset[str]:
        """The optional parameters of ``key`` that a call passing ``args``, made by a
        function whose parameters ``known`` are ``None``, leaves ``None`` (or falsy)."""
        if args is None:
            return frozenset()
        return frozenset(n for n, p in self._optional_of(key) if args.none_for(n, p, known))

    def _sites_of(self, mod: str, info: FuncFacts) -> dict[str, tuple[Args, ...] | None]:
        """Callee key -> what the calls of a function's facts that reach it pass (``None``:
        some are not known calls; see :attr:`FuncFacts.sites`)."""
        out: dict[str, tuple[Args, ...] | None] = {}
        sited_calls, sited_methods, sited_values = (
            info.sites_of(f) for f in ("calls", "mcalls", "vcalls")
        )

        def add(keys: Iterable[str], args: tuple[Args, ...] | None) -> None:
            for k in keys:
                prior = out.get(k, ())
                out[k] = None if args is None or prior is None else prior + args

        for qn in info.calls:
            callee = self.func(qn, mod)
            if callee:
                add((callee,), sited_calls.get(qn))
        for pair in info.method_calls:
            add(self.methods_of(pair[0], pair[1], mod), sited_methods.get(pair))
        for value in info.value_calls:
            add(self.callable_keys(value, mod), sited_values.get(value))
        return out

    def sync_io_call(self, key: str, args: Args | None) -> bool:
        """:meth:`sync_io` of a call of ``key`` that passes ``args``: the I/O that only
        runs under a test of an optional parameter the call leaves out or gives ``None``
        (``if db:`` with ``db=None`` the default) does not count, nor, as far as
        :data:`_MAX_NONE_DEPTH` calls deep, what the functions it calls only run under a
        test of an optional parameter they are handed the first one's ``None`` in."""
        if self.info(key)[1].is_async:
            return self.sync_io(key)
        return self.sync_io_with(key, self._nones(key, args, frozenset()))

    def sync_io_with(self, key: str, known: frozenset[str]) -> bool:
        """:meth:`sync_io` of ``key`` with its optional parameters ``known`` ``None``."""
        if not known or self._none_depth >= _MAX_NONE_DEPTH:
            return self.sync_io(key)
        memo = (key, known)
        done = self._sync_io_without.get(memo)
        if done is not None:
            return done
        self._sync_io_without[memo] = False  # cycle guard
        mod, info = self.info(key)
        reduced = info.without(known)
        self._none_depth += 1
        try:
            done = self._does_io(key, mod, reduced, self._edges_of(mod, reduced), False, "",
                                 known)
        finally:
            self._none_depth -= 1
        self._sync_io_without[memo] = done
        return done

    def _lazy_io(self, key: str, quiet: bool, building: str) -> bool:
        """:meth:`sync_io` of what a method runs only while a member is unset."""
        mod, info = self.info(key)
        owner = self._owner(key)
        built = self._constructed(owner) if owner is not None else frozenset()
        rebuilding = bool(building and self._carry(building, key))
        for member, keys in self._lazy_edges(key):
            if member in built and not rebuilding:
                continue  # the construction built it: later calls only hand it out
            if self._blocks_here(info.lazy[member], mod) or any(
                c != key and self.sync_io(c, quiet, self._carry(building, c)) for c in keys
            ):
                return True
        return False

    def _carry(self, building: str, callee: str) -> str:
        """``building`` for a callee that is a method of the class being constructed."""
        if not building:
            return ""
        owner = self._owner(callee)
        return building if owner is not None and any(
            k == owner for k, _, _ in self._mro(building)
        ) else ""

    def may_be(self, kind: Kind, wanted: frozenset[Res], module: str, depth: int = 0) -> bool:
        """Does ``kind`` resolve to one of ``wanted``; for a union (also one a tuple's
        element is annotated with), does one of its members?"""
        if depth < _MAX_DEPTH:
            if isinstance(kind, AnyOf):
                return any(self.may_be(m, wanted, module, depth + 1) for m in kind.members)
            if isinstance(kind, Item):
                item = self._item(kind, module)
                return item is not None and self.may_be(item[0], wanted, item[1], depth + 1)
        return self.resolve(kind, module) in wanted

    # -- deferred conditions -------------------------------------------------------------
    def holds_json(self, data: list[Any], module: str) -> bool:
        """:meth:`holds` for a condition as the cache stores it (memoised: the same
        condition made in the same module recurs, e.g. every call of one helper)."""
        key = (module, repr(data))
        result = self._holds.get(key)
        if result is None:
            result = self._holds[key] = self.holds(decode_condition(data), module)
        return result

    def holds(self, cond: Condition | None, module: str) -> bool:
        """Does the condition of a deferred finding (made in ``module``) hold?"""
        if cond is None:
            return False
        if isinstance(cond, KindIn):
            if cond.any_member:
                return self.may_be(cond.kind, cond.wanted, module)
            if isinstance(cond.kind, AnyOf):  # every member must be
                return all(self.resolve(m, module) in cond.wanted for m in cond.kind.members)
            return self.resolve(cond.kind, module) in cond.wanted
        if isinstance(cond, SyncIOMethod):
            return any(
                not self.info(key)[1].is_async and self.sync_io_call(key, cond.args)
                for key in self.methods_of(cond.receiver, cond.name, module)
            )
        if isinstance(cond, SyncIOValue):
            return any(
                not self.info(key)[1].is_async and self.sync_io_call(key, cond.args)
                for key in self.callable_keys(cond.value, module)
            )
        key = self.callable_key(Ref(cond.qualname), module)
        if key is None:
            return False
        if isinstance(cond, SyncIO):
            return not self.info(key)[1].is_async and self.sync_io_call(key, cond.args)
        if isinstance(cond, Handler):
            return key in self.handlers
        if isinstance(cond, Dependency):
            return key in self.dependencies
        if isinstance(cond, NotGenerator):
            return not self.info(key)[1].gen
        if isinstance(cond, AsyncReached):
            return key in self.async_reached
        return False

    # -- resources used from async code (DBC101, DBC102) ---------------------------------
    def resources_reaching_async(self, roots: frozenset[Res]) -> list[Resource]:
        """Each module-level resource of a kind in ``roots`` (a sync engine, a sync driver
        connection) whose engine/factories/sessions/connections async code uses."""
        resources = [
            (m.module, name)
            for m in self.app_facts()
            for name in m.sym_loc
            # created here (directly or by a project function), not an alias of another
            if not isinstance(m.symbols.get(name), Ref)
            and self.resolve(m.symbols.get(name), m.module) in roots
        ]
        if not resources:
            return []
        out: list[Resource] = []
        users = self._async_users()
        for mod, name in resources:
            derived = {(mod, name)}
            changed = True
            while changed:
                changed = False
                for m in self.app_facts():
                    for sym, deps in m.sym_deps.items():
                        if (m.module, sym) in derived:
                            continue
                        if any(self.normalize(d, m.module) in derived for d in deps) and (
                            self.resolve(m.symbols.get(sym), m.module) in SYNC_DERIVED
                        ):
                            derived.add((m.module, sym))
                            changed = True
            for key, uses in users:
                if uses & derived:
                    out.append(Resource(mod, self.facts(mod).sym_loc[name], name, key))
                    break
        return out

    def _async_users(self) -> list[tuple[str, set[tuple[str, str]]]]:
        reached = self.async_reached
        out: list[tuple[str, set[tuple[str, str]]]] = []
        for m in self.app_facts():
            for local, raw in m.raw_funcs.items():
                key = f"{m.module}.{local}"
                if not raw.get("async") and key not in reached:
                    continue
                info = m.funcs[local]
                key = self._key(m.module, local)
                uses = {n for u in info.uses if (n := self.normalize(u, m.module)) is not None}
                out.append((key, uses))
        out.sort(key=lambda item: (not self.info(item[0])[1].is_async, item[0]))
        return out


def _as_self(kind: Kind, defined_in: str, self_as: str) -> Kind:
    """``kind`` with the instances of the class ``defined_in`` (a method's ``self``) taken
    as instances of its subclass ``self_as``."""
    if isinstance(kind, Instance):
        return Instance(self_as) if kind.qualname == defined_in else kind
    if isinstance(kind, Attr):
        return Attr(kind.name, _as_self(kind.base, defined_in, self_as))
    if isinstance(kind, Method):
        return Method(kind.name, _as_self(kind.base, defined_in, self_as))
    if isinstance(kind, Call):
        return Call(_as_self(kind.base, defined_in, self_as))
    return kind


def _imported(m: ModuleFacts, local: str) -> str | None:
    """The canonical name ``local`` (``Pool`` or ``Pool.get_team``) has in ``m`` through
    an import of it or of its first component (a package re-exporting a class)."""
    target = m.imports.get(local)
    if target is None:
        head, dot, rest = local.partition(".")
        if dot and head in m.imports:
            target = f"{m.imports[head]}.{rest}"
    return target


def _closest(cands: list[str], from_module: str) -> str:
    here = from_module.split(".")

    def score(c: str) -> tuple[int, str]:
        parts = c.split(".")
        n = 0
        for a, b in zip(parts, here, strict=False):
            if a != b:
                break
            n += 1
        return (-n, c)

    return min(cands, key=score)

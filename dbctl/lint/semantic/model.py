"""The semantic model of one file while it is walked: scopes with their bindings,
import aliases resolved to qualified names, the kinds of expressions, and the facts
collected for the project index (:class:`~dbctl.lint.semantic.facts.ModuleFacts`).

Rules read it (``ctx.canonical(node)``, ``ctx.kind_of(node)``, ``ctx.function``) and
report through it (``ctx.report``, or ``ctx.defer`` / ``ctx.check_kind`` when the answer
depends on other modules). Nothing here imports or executes the code being read.
"""

from __future__ import annotations

import ast
import builtins
from collections.abc import Iterable
from dataclasses import dataclass, field
from itertools import islice
from typing import TYPE_CHECKING, Any

from dbctl.lint.secrets import literal_text
from dbctl.lint.semantic.conditions import Condition, KindIn, encode_condition
from dbctl.lint.semantic.facts import FuncFacts, ModuleFacts, OptParam
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
)
from dbctl.lint.semantic.nodes import arg_or_keyword, is_none, keyword, loc
from dbctl.lint.semantic.vocabulary import (
    ASYNC_DRIVER_CALLS,
    ATTR_RESULT,
    CALL_KINDS,
    CALL_RESULT,
    CHAIN,
    CHAIN_FROM_ITERABLE,
    CONTAINER_GETTERS,
    CONTAINER_VIEWS,
    DEPENDS,
    DEPENDS_ROOTS,
    INSPECT,
    ITERATING_BUILTINS,
    MAPPING_TYPES,
    METHOD_RESULT,
    NAMESPACES,
    RETURN_WRAPPERS,
    SEQUENCE_TYPES,
    SQLA_CALL_KINDS,
    SQLA_TYPE_KINDS,
    SYNC_DRIVER_CALLS,
    TYPE_KINDS,
    is_library,
    sqla_last,
)

if TYPE_CHECKING:
    from dbctl.lint.rule import Rule

_BUILTINS = BUILTIN_NAMES = frozenset(dir(builtins))


@dataclass(slots=True)
class Scope:
    """A function, lambda, class or the module being walked."""

    qualname: str  # local qualname ("" for the module)
    is_async: bool
    node: ast.AST | None
    parent: Scope | None
    #: names bound in this scope -> kind (``None``: bound, kind unknown)
    env: dict[str, Kind | None] = field(default_factory=dict)
    info: FuncFacts | None = None  # the function's facts
    func: Scope | None = None  # the innermost function scope (this one, if a function)
    names: set[str] = field(default_factory=set)  # names loaded in this function
    #: names this function binds (assigns, deletes, catches; nested functions: by ``nonlocal``)
    stored: set[str] = field(default_factory=set)
    #: names whose kind an annotation declares: a later assignment of a value of
    #: unknown or symbolic kind does not change it (``if store is None: store = get()``)
    declared: set[str] = field(default_factory=set)


def root_name(kind: Kind) -> str:
    """The first component of the qualified name a symbolic kind starts from."""
    while isinstance(kind, Call | Method | Attr | Item | Each | Of):
        kind = kind.element if isinstance(kind, Of) else kind.base
    if isinstance(kind, Ref | Dep | Alias | Instance | Klass | Func):
        return kind.qualname.split(".", 1)[0]
    if isinstance(kind, Param):
        return kind.func.split(".", 1)[0]
    if isinstance(kind, Checked):
        return kind.callee.split(".", 1)[0]
    return ""


def method_result(base: Kind, method: str) -> Kind | None:
    if isinstance(base, Res):
        return METHOD_RESULT.get((base, method))
    if isinstance(base, Of):  # a container of known elements
        if method in CONTAINER_VIEWS:
            return Of(base.element, base.keyed and method == "copy")
        return base.element if method in CONTAINER_GETTERS else None
    return Method(method, base)


def each(kind: Kind | None) -> Kind | None:
    """The kind of an element met by iterating a value of kind ``kind``: a known
    container's element (a mapping's keys: unknown), :class:`Each` of a symbolic value
    (the project index looks for its elements), ``None`` for a concrete kind."""
    if isinstance(kind, Of):
        return None if kind.keyed else kind.element
    if kind is None or isinstance(kind, Res):
        return None
    return Each(kind)


def container(
    elements: Iterable[Kind | None], keyed: bool = False, *, uniform: bool = False
) -> Of | None:
    """A container of the known ones of ``elements`` (any of them); ``None`` if none is
    known. A tuple is ``uniform``: a container only if its elements are all of one known
    kind (``pair[1]`` of ``(engine, name)`` is the name)."""
    listed = list(islice(elements, _MAX_ELEMENTS))  # the kinds of the rest are not asked
    kinds = list(dict.fromkeys(k for k in listed if k is not None))
    if not kinds or (uniform and (len(kinds) > 1 or None in listed)):
        return None
    return Of(kinds[0] if len(kinds) == 1 else AnyOf(tuple(kinds)), keyed)


def attr_result(base: Kind, name: str) -> Kind | None:
    if isinstance(base, Res):
        known = ATTR_RESULT.get((base, name))
        if known is not None or base not in NAMESPACES:
            return known
    return Attr(name, base)


def call_result(base: Kind) -> Kind | None:
    if isinstance(base, Res):
        return CALL_RESULT.get(base)
    return Call(base)


class FileContext:
    """Everything a rule needs about the file being walked; collects its facts."""

    def __init__(
        self, tree: ast.Module, module: str, *, is_package: bool, is_test: bool, is_alembic: bool
    ) -> None:
        self.tree = tree
        self.module = module  # dotted module name
        self.is_test = is_test
        self.is_alembic = is_alembic
        self.package = module if is_package else module.rpartition(".")[0]
        self.facts = ModuleFacts(module)
        self._prefix = module + "."
        self.imports = self.facts.imports
        self.symbols = self.facts.symbols
        self.funcs: dict[str, FuncFacts] = {}
        self.facts.funcs = self.funcs
        self.scope = Scope("", False, None, None)
        self.module_scope = self.scope
        self.str_consts: dict[str, str] = {}
        self.findings: list[list[Any]] = []
        self.deferred: list[list[Any]] = []
        self.claimed: set[int] = set()  # string nodes owned by DBC203 (not DBC201)
        self.settings_classes: set[str] = set()
        self.not_uses: set[int] = set()  # names only disposed of (`engine.dispose()`)
        self.awaited: set[int] = set()  # calls directly under `await`
        #: calls that run only while a member of ``self`` is unset -> (member, function)
        self.lazy_calls: dict[int, tuple[str, Scope]] = {}
        self.scopes: list[Scope] = []
        #: calls that run only when optional parameters are truthy (``if db:``): call node
        #: id -> the parameters; the entries such calls added to their function's facts
        #: (see :meth:`FuncFacts.gate`; function scope id -> the scope, the entries);
        #: each function's optional parameters (function node id ->)
        self.gates: dict[int, frozenset[OptParam]] = {}
        self.gate_hits: dict[int, tuple[Scope, list[tuple[str, int, frozenset[OptParam]]]]] = {}
        self.optional: dict[int, dict[str, tuple[int, bool]]] = {}
        #: the calls of project callables each function makes (function scope id -> the
        #: scope, field -> index of the entry the call added -> the call)
        self.site_hits: dict[int, tuple[Scope, dict[str, dict[int, ast.Call]]]] = {}
        self._fastapi: bool | None = None
        self._memo_node: ast.AST | None = None
        self._memo_value: str | None = None

    def finish(self) -> None:
        """After the walk: the module-level names each function uses (canonical), and
        calls of builtins dropped."""
        defined = set(self.symbols) | set(self.imports) | {q for q in self.funcs if "." not in q}
        prefix = self.module + "."
        cut = len(prefix)

        def is_builtin(call: str) -> bool:
            if not call.startswith(prefix):
                return False
            name = call[cut:]
            return name in _BUILTINS and name not in defined

        for scope in self.scopes:
            fn = scope.func
            if fn is None or fn.info is None or not scope.names:
                continue
            uses = fn.info.uses
            for name in sorted(scope.names):
                if name in _BUILTINS and name not in defined:
                    continue
                s: Scope | None = scope
                local = False
                while s is not None and s.node is not None:
                    if name in s.env:
                        local = True
                        break
                    s = s.parent
                if not local:
                    uses.append(self.imports.get(name, f"{self.module}.{name}"))
        for fn, hits in self.gate_hits.values():
            if fn.info is not None:  # a parameter the function rebinds gates nothing
                rebound = fn.stored
                fn.info.gate([
                    (f, i, kept) for f, i, params in hits
                    if (kept := frozenset(p for p in params if p[0] not in rebound))
                ] if rebound else hits)
        lazy: set[str] = set()
        for info in self.funcs.values():
            if info.calls:
                info.calls = [c for c in dict.fromkeys(info.calls) if not is_builtin(c)]
            if info.method_calls:
                info.method_calls = list(dict.fromkeys(info.method_calls))
            if info.reads:
                info.reads = list(dict.fromkeys(info.reads))
            if info.lazy:
                lazy.update(info.lazy)
                for part in info.lazy.values():
                    part.calls = [c for c in dict.fromkeys(part.calls) if not is_builtin(c)]
                    part.method_calls = list(dict.fromkeys(part.method_calls))
        for info in self.funcs.values():
            if info.sets:  # only the lazily built members matter
                info.sets = [m for m in dict.fromkeys(info.sets) if m in lazy]

    def close(self) -> None:
        """Once the facts are taken: break the reference cycles (a function scope is its
        own ``func``), so the file's scopes and tree are freed by reference counting.
        The engine runs with the cyclic collector off; without this a worker keeps every
        tree it walked (about 190 MB per 900 files)."""
        for scope in self.scopes:
            scope.func = None
        self.scopes.clear()

    # -- names ---------------------------------------------------------------------------
    def uses_fastapi(self) -> bool:
        """Does this module import FastAPI (so an imported annotation may be a dependency
        alias such as ``SessionDep``)?"""
        if not self._fastapi:  # imports may still come: only a yes is final
            self._fastapi = any(v.split(".", 1)[0] == "fastapi" for v in self.imports.values())
        return self._fastapi

    def canonical(self, node: ast.AST) -> str | None:
        """The canonical dotted name of a Name/Attribute chain, import aliases resolved;
        ``None`` for local variables and anything else."""
        if node is self._memo_node:
            return self._memo_value
        value = self._canonical(node)
        self._memo_node, self._memo_value = node, value
        return value

    def _canonical(self, node: ast.AST) -> str | None:
        parts: list[str] = []
        while isinstance(node, ast.Attribute):
            parts.append(node.attr)
            node = node.value
        if not isinstance(node, ast.Name):
            return None
        head = node.id
        scope: Scope | None = self.scope
        while scope is not None and scope.node is not None:  # a local variable?
            if head in scope.env:
                return None
            scope = scope.parent
        base = self.imports.get(head) or f"{self.module}.{head}"
        parts.reverse()
        return ".".join([base, *parts]) if parts else base

    def _local(self, name: str) -> tuple[bool, Kind | None]:
        """(is ``name`` a local variable, its kind) in the innermost function binding it."""
        scope: Scope | None = self.scope
        while scope is not None and scope.node is not None:
            env = scope.env
            if name in env:
                return True, env[name]
            scope = scope.parent
        return False, None

    def resolve_relative(self, module: str | None, level: int) -> str:
        if level == 0:
            return module or ""
        base = self.package.split(".") if self.package else []
        if level > 1:
            base = base[: len(base) - (level - 1)] if level - 1 <= len(base) else []
        return ".".join([*base, module] if module else base)

    # -- kinds ---------------------------------------------------------------------------
    def kind_of(self, node: ast.AST | None) -> Kind | None:
        """The kind of an expression (concrete or symbolic), or ``None`` if unknown."""
        if node is None:
            return None
        if isinstance(node, ast.Await):
            return self.kind_of(node.value)
        if isinstance(node, ast.Name):
            is_local, kind = self._local(node.id)
            if is_local:
                return kind
            if self.scope.node is None and node.id in self.symbols:
                return self.symbols[node.id]
            return Ref(self.imports.get(node.id, f"{self.module}.{node.id}"))
        if isinstance(node, ast.Attribute):
            canon = self.canonical(node)
            if canon:
                return Ref(canon)
            base = self.kind_of(node.value)
            return attr_result(base, node.attr) if base is not None else None
        if isinstance(node, ast.Call):
            if (
                isinstance(node.func, ast.Name) and node.func.id == "next" and node.args
                and isinstance(node.args[0], ast.GeneratorExp) and self._is_builtin("next")
            ):  # next((h for (k, h) in HANDLERS.items() if …), None): one of the values
                gen = node.args[0]
                kinds = self.comprehension_kinds(gen.elt, gen.generators)
                return kinds[0] if kinds else None
            return self._call_kind(node)
        if isinstance(node, ast.Subscript) and isinstance(node.value, ast.Name):
            canon = self.canonical(node.value)  # HANDLERS[key]: one of a module dict's values
            if canon is None:  # a local container of known elements: one of them
                held = self._local(node.value.id)[1]
                if isinstance(held, Of):
                    return held if isinstance(node.slice, ast.Slice) else held.element
                return None
            return Ref(canon + ELEMENTS) if not is_library(canon) else None
        if isinstance(node, ast.Subscript) and isinstance(node.value, ast.Attribute):
            # self.registry[key]: an element stored in that container (see bind)
            container = self.kind_of(node.value.value)
            if container is not None and not isinstance(container, Res):
                return Attr(node.value.attr + ELEMENTS, container)
        if isinstance(node, ast.IfExp):  # `a if c else b`: a branch whose kind is known
            body = self.kind_of(node.body)
            return body if body is not None else self.kind_of(node.orelse)
        return self._container_kind(node)

    def _container_kind(self, node: ast.AST) -> Of | None:
        """The kind of a display or a comprehension whose elements are known (``[f, g]``,
        ``{"a": f}``, ``{id(db): db for db in dbs}``)."""
        if isinstance(node, ast.List | ast.Tuple | ast.Set):
            return container(
                (self.kind_of(e) for e in node.elts if not isinstance(e, ast.Starred)),
                uniform=isinstance(node, ast.Tuple),
            )
        if isinstance(node, ast.Dict):  # `**other` (a key of None) left out
            return container(
                (self.kind_of(v) for k, v in zip(node.keys, node.values, strict=True) if k),
                keyed=True,
            )
        if isinstance(node, ast.ListComp | ast.SetComp | ast.GeneratorExp):
            return container(self.comprehension_kinds(node.elt, node.generators))
        if isinstance(node, ast.DictComp):
            return container(self.comprehension_kinds(node.value, node.generators), keyed=True)
        return None

    def _is_builtin(self, name: str) -> bool:
        """Does ``name`` here mean the builtin (not shadowed by a binding or an import)?"""
        return not self._local(name)[0] and name not in self.symbols and (
            name not in self.imports and name not in self.funcs
        )

    def comprehension_kinds(
        self, elt: ast.expr, generators: list[ast.comprehension]
    ) -> list[Kind]:
        """The kinds a comprehension's element ``elt`` (a name its targets bind) takes:
        from a literal sequence it iterates (``for m, h in (("POST", f), ("DELETE", g))``:
        ``f``, ``g``) or from a module-level dict's values (``for k, h in
        HANDLERS.items()``, ``for h in HANDLERS.values()``)."""
        if not isinstance(elt, ast.Name):
            return []
        for gen in reversed(generators):  # the innermost binding wins
            found = self.iterated_kinds(gen.target, elt.id, gen.iter)
            if found is not None:
                return found
        return []

    def iterated_kinds(self, target: ast.expr, name: str, it: ast.expr) -> list[Kind] | None:
        """The kinds ``name`` (bound by ``target``) takes while ``it`` is iterated;
        ``None`` if ``target`` does not bind it."""
        if not _binds(target, name):
            return None
        if isinstance(it, ast.Tuple | ast.List):
            out: list[Kind] = []
            for item in it.elts[:_MAX_ELEMENTS]:
                kind = self._unpacked_kind(target, name, item)
                if kind is not None:
                    out.append(kind)
            return out
        if isinstance(it, ast.Call) and isinstance(it.func, ast.Attribute) and not it.args and (
            it.func.attr in _DICT_ITERATORS
        ):  # `for h in HANDLERS.values()`, `for k, dbs in self.dbs.items()`: the values
            owner = self.canonical(it.func.value)
            values: Kind | None
            if owner is not None:  # a module-level dict
                values = Ref(owner + ELEMENTS) if not is_library(owner) else None
            else:
                held = self.kind_of(it.func.value)
                values = each(method_result(held, "values")) if held is not None else None
            if it.func.attr == "values":
                return [values] if values is not None and isinstance(target, ast.Name) else []
            return [values] if values is not None and _second(target, name) else []
        elements: ast.expr | None = it
        if (
            isinstance(it, ast.Call) and isinstance(it.func, ast.Name) and it.args
            and it.func.id == "enumerate" and self._is_builtin("enumerate")
        ):  # `for i, db in enumerate(dbs)`
            elements = it.args[0] if _second(target, name) else None
        elif not isinstance(target, ast.Name):
            elements = None
        kind = each(self.kind_of(elements)) if elements is not None else None
        return [kind] if kind is not None else []

    def _unpacked_kind(self, target: ast.expr, name: str, item: ast.expr) -> Kind | None:
        """The kind ``name`` gets when ``target`` is assigned the literal ``item``."""
        if isinstance(target, ast.Name):
            return self.kind_of(item) if target.id == name else None
        if isinstance(target, ast.Tuple | ast.List) and isinstance(item, ast.Tuple | ast.List):
            if len(target.elts) != len(item.elts):
                return None
            for sub, value in zip(target.elts, item.elts, strict=True):
                if _binds(sub, name):
                    return self._unpacked_kind(sub, name, value)
        return None

    def _call_kind(self, node: ast.Call) -> Kind | None:
        func = node.func
        canon = self.canonical(func)
        if canon is not None:
            res = SYNC_DRIVER_CALLS.get(canon)
            if res is not None:
                return res
            if canon in ASYNC_DRIVER_CALLS:
                return Res.ASYNC_DRIVER
            last = sqla_last(canon)
            if last is not None:
                if last == INSPECT:  # sqlalchemy.inspect(engine): an Inspector
                    bind = self.kind_of(arg_or_keyword(node, 0, "subject"))
                    return method_result(bind, INSPECT) if bind is not None else None
                if last == "sessionmaker":
                    cls = keyword(node, "class_")
                    if cls is not None and sqla_last(self.canonical(cls)) == "AsyncSession":
                        return Res.ASYNC_FACTORY
                return SQLA_CALL_KINDS.get(last)
            res = CALL_KINDS.get(canon)
            if res is not None:
                return res
            if canon == CHAIN:  # chain(a, b): the elements of a, then b's
                return container(
                    each(self.kind_of(a)) for a in node.args if not isinstance(a, ast.Starred)
                )
            if canon == CHAIN_FROM_ITERABLE and len(node.args) == 1:  # their elements' elements
                return container([each(each(self.kind_of(node.args[0])))])
            if is_library(canon):
                return None
            if (
                isinstance(func, ast.Name) and func.id in ITERATING_BUILTINS and node.args
                and self._is_builtin(func.id)
            ):  # list(x), sorted(x): x's elements
                return container([each(self.kind_of(node.args[0]))])
            if isinstance(func, ast.Name):
                # a project function, or a session factory, here or imported
                return Call(Ref(canon))
        if isinstance(func, ast.Attribute):
            base = self.kind_of(func.value)
            if base is None:
                return None
            return method_result(base, func.attr)
        if isinstance(func, ast.Name):
            _, local = self._local(func.id)
            if local is not None:
                return call_result(local)
        elif isinstance(func, ast.Call | ast.IfExp):  # sessionmaker(bind=engine)()
            made = self.kind_of(func)
            return call_result(made) if made is not None else None
        return None

    def annotation(
        self, ann: ast.AST | None, *, returns: bool = False, containers: bool = False
    ) -> tuple[Kind | None, str | None, bool]:
        """(kind, dependency, is the dependency an alias) of an annotation
        (``Annotated[T, Depends(x)]``, ``T | None``, ``Optional[T]``, ``Union[A, B]`` read
        as ``A | B`` (the first member that is not ``None``), a string; for a
        return annotation also ``Iterator[T]``, ``Generator[T, …]`` and the like). With
        ``containers`` (a declared local or member, not a parameter or a return value)
        also ``list[T]``, ``dict[K, V]`` and the like (:class:`Of`)."""
        dep: str | None = None
        while ann is not None:
            if isinstance(ann, ast.Subscript):
                head = self.canonical(ann.value) or ""
                last = head.rsplit(".", 1)[-1]
                position = RETURN_WRAPPERS.get(last) if returns else None
                if position is not None:
                    args = ann.slice.elts if isinstance(ann.slice, ast.Tuple) else [ann.slice]
                    ann = args[position] if args else None
                    continue
                if last == "Annotated" and isinstance(ann.slice, ast.Tuple) and ann.slice.elts:
                    for extra in ann.slice.elts[1:]:
                        dep = dep or self.depends_target(extra)
                    ann = ann.slice.elts[0]
                    continue
                if last in _TRANSPARENT:  # Optional[T], ClassVar[T], Final[T]
                    ann = ann.slice
                    continue
                if last == "Union":  # Union[A, B]: read as A | B
                    members = ann.slice.elts if isinstance(ann.slice, ast.Tuple) else [ann.slice]
                    members = [m for m in members if not is_none(m)]
                    if len(members) == 1:
                        ann = members[0]
                        continue
                    return self._union(members, returns, containers), dep, False
                if last in _CLASS_OF:  # type[T]: calling it constructs a T
                    of = self.annotation(ann.slice)[0]
                    return (Klass(of.qualname) if isinstance(of, Instance) else None), dep, False
                builtin = isinstance(ann.value, ast.Name) and ann.value.id in _BUILTINS
                if containers and (last in SEQUENCE_TYPES or last in MAPPING_TYPES) and (
                    builtin or is_library(head)
                ):  # list[Db], dict[str, list[Db]]: a container of known elements
                    return self._container_annotation(ann.slice, last), dep, False
                return None, dep, False
            if isinstance(ann, ast.BinOp) and isinstance(ann.op, ast.BitOr):
                if is_none(ann.right) and not isinstance(ann.left, ast.BinOp):
                    ann = ann.left  # T | None: T
                    continue
                return self._union(_union_members(ann), returns, containers), dep, False
            if isinstance(ann, ast.Constant) and isinstance(ann.value, str):
                try:
                    ann = ast.parse(ann.value, mode="eval").body
                except (SyntaxError, ValueError, RecursionError, MemoryError):
                    return None, dep, False
                continue
            canon = self.canonical(ann)
            tail = sqla_last(canon)
            if tail:
                return SQLA_TYPE_KINDS.get(tail), dep, False
            if canon in TYPE_KINDS:
                return TYPE_KINDS[canon], dep, False
            aliases = self.facts.aliases
            if isinstance(ann, ast.Name) and ann.id in aliases:  # SessionDep = Annotated[…]
                kind, alias_dep = aliases[ann.id]
                return kind, dep or alias_dep or None, False
            if isinstance(ann, ast.Name) and canon and ann.id in self.imports and (
                not is_library(canon) and self.uses_fastapi()
            ):  # maybe such an alias in another module: the index decides
                if dep:
                    return Alias(canon), dep, False
                return Alias(canon), canon, True
            if (
                canon and not is_library(canon) and isinstance(ann, ast.Name | ast.Attribute)
                and not (isinstance(ann, ast.Name) and ann.id in _BUILTINS)
            ):
                return Instance(canon), dep, False  # a project class, if the index finds one
            return None, dep, False
        return None, dep, False

    def _container_annotation(self, args: ast.expr, last: str) -> Of | None:
        """The kind of ``list[T]``, ``tuple[T, ...]`` (``tuple[A, B]``: if ``A`` and ``B``
        are one kind) or ``dict[K, V]`` (its values) from the subscript's ``args``."""
        elts = args.elts if isinstance(args, ast.Tuple) else [args]
        keyed = last in MAPPING_TYPES
        if keyed:
            elts = elts[1:2] if len(elts) == 2 else []
        return container(
            (self.annotation(e, containers=True)[0] for e in elts
             if not (isinstance(e, ast.Constant) and e.value is Ellipsis)),
            keyed, uniform=last in _TUPLES,
        )

    def tuple_items(self, ann: ast.AST | None) -> list[Kind | None]:
        """The kinds of the elements a return annotation ``tuple[A, B]`` / ``Tuple[A, B]``
        (also as a string) names; empty for anything else (``tuple[A, ...]`` included)."""
        if isinstance(ann, ast.Constant) and isinstance(ann.value, str):
            try:
                ann = ast.parse(ann.value, mode="eval").body
            except (SyntaxError, ValueError, RecursionError, MemoryError):
                return []
        if not (isinstance(ann, ast.Subscript) and isinstance(ann.slice, ast.Tuple)):
            return []
        if (self.canonical(ann.value) or "").rsplit(".", 1)[-1] not in _TUPLES:
            return []
        elts = ann.slice.elts[:_MAX_ELEMENTS]
        if any(isinstance(e, ast.Constant) and e.value is Ellipsis for e in elts):
            return []
        kinds = [self.annotation(e)[0] for e in elts]
        return kinds if any(k is not None for k in kinds) else []

    def _union(self, members: list[ast.expr], returns: bool, containers: bool) -> Kind | None:
        """The kind of a union annotation: its one member of known kind, or any of them
        (:class:`AnyOf`); ``None`` is left out."""
        kinds: list[Kind] = []
        for member in members[:_MAX_ELEMENTS]:
            if not is_none(member):
                kind = self.annotation(member, returns=returns, containers=containers)[0]
                if kind is not None and kind not in kinds:
                    kinds.append(kind)
        if len(kinds) > 1:
            return AnyOf(tuple(kinds))
        return kinds[0] if kinds else None

    def depends_target(self, node: ast.AST | None) -> str | None:
        """The canonical name of ``x`` in ``Depends(x)`` / ``Security(x)``."""
        if isinstance(node, ast.Call) and node.args:
            canon = self.canonical(node.func) or ""
            if canon.rsplit(".", 1)[-1] in DEPENDS and canon.split(".")[0] in DEPENDS_ROOTS:
                return self.canonical(node.args[0])
        return None

    # -- bindings ------------------------------------------------------------------------
    def bind(self, target: ast.AST, value: ast.AST | None, kind: Kind | None) -> None:
        """Bind ``target`` (a name, an attribute, or a tuple of them) in the current
        scope; at module level also record where and from which names."""
        if isinstance(target, ast.Tuple | ast.List):
            # `db, uid = await f()`: element i of the tuple f's annotation names; after a
            # starred target the positions are unknown
            # (an annotation's kind: like a parameter's, it stays when the name is
            # reassigned a value of unknown or symbolic kind, `db = cast(AsyncDb, db)`)
            unpacked = value is not None and isinstance(kind, Call | Method)
            scope = self.scope
            for i, elt in enumerate(target.elts):
                unpacked = unpacked and not isinstance(elt, ast.Starred)
                if not (unpacked and kind is not None):
                    self.bind(elt, None, None)
                    continue
                self.bind(elt, None, Item(i, kind))
                if isinstance(elt, ast.Name) and scope.func is scope:
                    scope.declared.add(elt.id)
            return
        if isinstance(target, ast.Attribute):  # a member of its owner
            if kind is not None:
                self._bind_member(target.value, target.attr, kind)
            if isinstance(value, ast.Dict):  # self.handlers = {"a": f, …}: its elements
                for v in value.values:
                    element = self.kind_of(v)
                    if element is not None:
                        self._bind_member(target.value, target.attr + ELEMENTS, element)
            return
        if isinstance(target, ast.Subscript):  # self.registry[key] = builder: an element
            container = target.value
            if kind is not None and isinstance(container, ast.Attribute):
                self._bind_member(container.value, container.attr + ELEMENTS, kind)
            return
        if not isinstance(target, ast.Name):
            return
        scope = self.scope
        name = target.id
        if scope.node is None:
            self.symbols[name] = kind
            elements: list[Kind] = []
            if isinstance(value, ast.Dict):  # HANDLERS = {"a": f, …}: its values' kinds
                elements = [k for v in value.values[:_MAX_ELEMENTS] if (k := self.kind_of(v))]
            elif isinstance(value, ast.DictComp):  # {(p, m): h for m, h in ((…, f), …)}
                elements = self.comprehension_kinds(value.value, value.generators)
            if elements:
                self.facts.elements[name] = elements
            if value is not None:
                self.facts.sym_loc[name] = list(loc(value))
                text = literal_text(value)
                if text is not None:
                    self.str_consts[name] = text
                refs = self._refs_in(value)
                if refs:
                    self.facts.sym_deps[name] = refs
            return
        if isinstance(scope.node, ast.ClassDef):  # a class attribute: a member of the class
            if kind is not None and scope.qualname in self.facts.classes:
                self.facts.class_members.setdefault(scope.qualname, {}).setdefault(
                    name, []
                ).append(kind)
            return
        if name in scope.declared and not isinstance(kind, Res):
            return  # the annotation's kind stays
        scope.env[name] = kind

    def _bind_member(self, owner_node: ast.AST, attr: str, kind: Kind) -> None:
        owner = self.kind_of(owner_node)
        facts = self.facts
        if isinstance(owner, Instance) and owner.qualname.startswith(self._prefix) and (
            owner.qualname[len(self._prefix) :] in facts.classes
        ):  # self.x = … in a method of a class of this module
            cls = owner.qualname[len(self._prefix) :]
            facts.class_members.setdefault(cls, {}).setdefault(attr, []).append(kind)
        elif owner is not None and (not isinstance(owner, Res) or owner in NAMESPACES):
            facts.members.append((owner, attr, kind))

    def _refs_in(self, node: ast.AST) -> list[str]:
        out: list[str] = []
        for sub in ast.walk(node):
            if isinstance(sub, ast.Name) and isinstance(sub.ctx, ast.Load):
                canon = self.canonical(sub)
                if canon:
                    out.append(canon)
        return out

    # -- reporting -----------------------------------------------------------------------
    def report(self, rule: type[Rule], node: ast.AST, message: str) -> None:
        self.findings.append([rule.code, *loc(node), message])

    def defer(
        self, rule: type[Rule], node: ast.AST, message: str, conds: Iterable[Condition]
    ) -> None:
        """Report ``message`` if every condition holds once the project index is known."""
        self.deferred.append(
            [rule.code, *loc(node), message, [encode_condition(c) for c in conds]]
        )

    def check_kind(
        self, rule: type[Rule], node: ast.AST, message: str, kind: Kind | None,
        wanted: Iterable[Res], extra: Iterable[Condition] = (), *, any_member: bool = False,
    ) -> None:
        """Report now if ``kind`` is concrete and wanted, defer if it is symbolic (with
        ``any_member``, a union is wanted if one of its members is: :class:`KindIn`)."""
        if kind is None:
            return
        wanted = frozenset(wanted)
        extra = tuple(extra)
        if isinstance(kind, Res):
            if kind in wanted:
                if extra:
                    self.defer(rule, node, message, extra)
                else:
                    self.report(rule, node, message)
            return
        self.defer(rule, node, message, [KindIn(kind, wanted, any_member), *extra])

    # -- scope facts ---------------------------------------------------------------------
    @property
    def function(self) -> Scope | None:
        """The innermost enclosing function scope (``None`` at module or class level)."""
        return self.scope.func

    def func_canonical(self, scope: Scope | None = None) -> str | None:
        scope = scope or self.function
        return f"{self.module}.{scope.qualname}" if scope is not None else None


_TRANSPARENT = frozenset({"Optional", "ClassVar", "Final"})
_MAX_ELEMENTS = 64  # values of one module-level dict recorded
_CLASS_OF = frozenset({"Type", "type"})
_TUPLES = frozenset({"Tuple", "tuple"})
_DICT_ITERATORS = frozenset({"values", "items"})


def _binds(target: ast.expr, name: str) -> bool:
    """Does the assignment target ``target`` bind ``name``?"""
    if isinstance(target, ast.Name):
        return target.id == name
    if isinstance(target, ast.Tuple | ast.List):
        return any(_binds(t, name) for t in target.elts)
    return False


def _second(target: ast.expr, name: str) -> bool:
    """Is ``target`` a pair whose second element is the name ``name``?"""
    return isinstance(target, ast.Tuple | ast.List) and len(target.elts) == 2 and (
        isinstance(target.elts[1], ast.Name) and target.elts[1].id == name
    )


def _union_members(node: ast.expr) -> list[ast.expr]:
    """The members of ``A | B | C`` (a chain of ``|``), in order."""
    out: list[ast.expr] = []
    while isinstance(node, ast.BinOp) and isinstance(node.op, ast.BitOr):
        out.append(node.right)
        node = node.left
    out.append(node)
    out.reverse()
    return out



"""The walker: one iterative pass over a file's tree that maintains scopes and
bindings (the core handlers, which build the semantic model and its facts) and
dispatches each node to the rules interested in its type."""

from __future__ import annotations

import ast
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any

from dbctl.lint.context import settings_defaults
from dbctl.lint.semantic.conditions import Args
from dbctl.lint.semantic.facts import GATED_FIELDS, BlockingCall, FuncFacts, OptParam
from dbctl.lint.semantic.kinds import (
    ELEMENTS,
    AnyOf,
    Attr,
    Call,
    Checked,
    Dep,
    Instance,
    Kind,
    Method,
    Param,
    Ref,
    Res,
)
from dbctl.lint.semantic.model import BUILTIN_NAMES, FileContext, Scope, root_name
from dbctl.lint.semantic.nodes import arg_or_keyword, is_none, keyword
from dbctl.lint.semantic.vocabulary import (
    ABSTRACT_DECORATORS,
    ADD_ROUTE,
    CACHE_DECORATORS,
    DDL_METHODS,
    DDL_SYNC_BINDS,
    ENV_GETTERS,
    INSPECT,
    INSPECT_BLOCKS_ON,
    METADATA_ATTRS,
    MIDDLEWARE_BASES,
    NOT_INSTANCE_METHODS,
    PROPERTY_DECORATORS,
    ROUTE_METHODS,
    SETTINGS_BASES,
    SYNC_DRIVER_CALLS,
    SYNC_IO_KINDS_BY_METHOD,
    is_library,
    sqla_last,
)

if TYPE_CHECKING:
    from dbctl.lint.rule import Rule

Handler = Callable[[ast.AST, FileContext], None]


class _Enter:
    """A marker on the walk stack: from here on, the scope is ``scope``."""

    __slots__ = ("scope",)

    def __init__(self, scope: Scope) -> None:
        self.scope = scope


class Walker:
    """Walks a tree once, iteratively (deep trees do not hit the recursion limit),
    maintaining imports and scopes and dispatching each node to the handlers
    interested in its type: the core fact collectors first, then the rules. A rule
    whose ``triggers`` do not occur in the file's bytes is not dispatched at all."""

    def __init__(self, rules: Iterable[type[Rule]]) -> None:
        self.rules = tuple(rules)
        self._tables: dict[tuple[str, ...], dict[type, list[Handler]]] = {}
        self._triggers = [
            (r.code, r.requires.lower(), tuple(dict.fromkeys(t.lower() for t in r.triggers)))
            for r in self.rules
            if r.node_types
        ]

    def table(self, data: bytes) -> dict[type, list[Handler]]:
        """The handlers for a file: the core ones and those of the rules it can trigger
        (triggers are matched case-insensitively, each searched at most once)."""
        low = data.lower()
        seen: dict[bytes, bool] = {}

        def has(trigger: bytes) -> bool:
            hit = seen.get(trigger)
            if hit is None:
                hit = seen[trigger] = trigger in low
            return hit

        active = tuple(
            code for code, required, triggers in self._triggers
            if (not required or has(required)) and (not triggers or any(has(t) for t in triggers))
        )
        table = self._tables.get(active)
        if table is None:
            table = {t: [h] for t, h in _CORE.items()}
            for rule in self.rules:
                if rule.code in active:
                    for node_type in rule.node_types:
                        table.setdefault(node_type, []).append(rule.check)
            self._tables[active] = table
        return table

    def walk(self, ctx: FileContext, data: bytes = b"") -> None:
        handlers = self.table(data)
        module_scope = ctx.module_scope
        module_scope.func = None
        ctx.scope = module_scope
        stack: list[Any] = [ctx.tree]
        pop, push = stack.pop, stack.append
        scope_types = _SCOPE_TYPES
        child_fields = _CHILD_FIELDS
        enter = _Enter
        name_type, const_type, attr_type = ast.Name, ast.Constant, ast.Attribute
        kw_type = ast.keyword
        assert attr_type not in handlers and kw_type not in handlers, "skipped over"
        name_hs = handlers.get(name_type, [])
        metadata = METADATA_ATTRS
        const_hs = handlers.get(const_type, [])
        while stack:
            node = pop()
            ntype = type(node)
            if ntype is enter:
                ctx.scope = node.scope
                continue
            hs = handlers.get(ntype)
            if hs is not None:
                for h in hs:
                    h(node, ctx)
            if ntype in scope_types:
                outer = ctx.scope
                inner = _enter_scope(node, ctx, outer)
                ctx.scope = outer
                ctx.scopes.append(inner)
                push(enter(outer))
                body = node.body
                if type(body) is list:
                    for v in reversed(body):
                        push(v)
                else:  # a lambda
                    push(body)
                push(enter(inner))
                for v in reversed(_outer_parts(node)):
                    push(v)
                continue
            fields = child_fields.get(ntype)
            if fields is None:
                fields = child_fields[ntype] = _child_fields(ntype)
            for name in fields:
                value = getattr(node, name)
                if value is None:
                    continue
                for item in reversed(value) if type(value) is list else (value,):
                    v, vt = item, type(item)
                    # leaves (and attribute chains down to their leaf) are handled right
                    # here instead of a trip through the stack: most nodes are leaves
                    link = None
                    while vt is attr_type or vt is kw_type:
                        link = v
                        v = v.value
                        vt = type(v)
                    if vt is name_type:
                        if link is not None and getattr(link, "attr", None) in metadata:
                            ctx.not_uses.add(id(v))  # `engine.url`: no database I/O
                        for h in name_hs:
                            h(v, ctx)
                    elif vt is const_type:
                        for h in const_hs:
                            h(v, ctx)
                    elif v is not None and vt is not str:
                        push(v)
        ctx.scope = module_scope
        _sites(ctx)
        ctx.finish()


def _outer_parts(node: Any) -> list[ast.AST]:
    """The parts of a def/class/lambda evaluated in the enclosing scope, in source order
    (annotations are not visited)."""
    parts: list[ast.AST] = list(getattr(node, "decorator_list", ()))
    if isinstance(node, ast.ClassDef):
        parts.extend(node.bases)
        parts.extend(node.keywords)
        return parts
    args = node.args
    parts.extend(args.defaults)
    parts.extend(d for d in args.kw_defaults if d is not None)
    return parts


#: fields that never hold a node worth visiting (expression contexts, operators, names)
_SKIP_FIELDS = frozenset(
    {"ctx", "op", "ops", "type_comment", "kind", "id", "attr", "name", "arg", "asname",
     "module", "level", "names", "conversion", "is_async", "simple", "lineno", "tag"}
)
_CHILD_FIELDS: dict[type, tuple[str, ...]] = {}


def _child_fields(ntype: type[ast.AST]) -> tuple[str, ...]:
    """The fields to visit, in reverse order (the stack reverses them back)."""
    if ntype is ast.Constant or not issubclass(ntype, ast.AST):
        return ()
    return tuple(reversed([f for f in ntype._fields if f not in _SKIP_FIELDS]))



_FUNC_TYPES = (ast.FunctionDef, ast.AsyncFunctionDef)
_SCOPE_TYPES = (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda, ast.ClassDef)


def _enter_scope(node: ast.AST, ctx: FileContext, parent: Scope) -> Scope:
    if isinstance(node, ast.ClassDef):
        qn = f"{parent.qualname}.{node.name}" if parent.qualname else node.name
        return Scope(qn, False, node, parent, func=None)
    if isinstance(node, ast.Lambda):
        lam = Scope(f"{parent.qualname}.<lambda>" if parent.qualname else "<lambda>",
                    False, node, parent)
        lam.func = lam
        return lam
    assert isinstance(node, _FUNC_TYPES)
    qn = f"{parent.qualname}.{node.name}" if parent.qualname else node.name
    if parent.func is parent and parent.info is not None:  # a nested def: a local value
        parent.env[node.name] = Ref(f"{ctx.module}.{qn}")
    scope = Scope(qn, isinstance(node, ast.AsyncFunctionDef), node, parent)
    scope.func = scope
    ctx.scope = parent
    info = _function_info(node, ctx, scope)
    scope.info = info
    if not (qn in ctx.funcs and _is_accessor(node)):  # a property's getter stays its facts
        ctx.funcs[qn] = info
    if node.returns is not None:
        info.returns = ctx.annotation(node.returns, returns=True)[0]
        info.items = ctx.tuple_items(node.returns)
    args = node.args
    env = scope.env
    for a in (*args.posonlyargs, *args.args, *args.kwonlyargs):
        env[a.arg] = None
    if args.vararg:
        env[args.vararg.arg] = None
    if args.kwarg:
        env[args.kwarg.arg] = None
    implicit = _implicit_params(node, ctx, parent, info)
    defaults: list[ast.expr | None] = [None] * (
        len(args.posonlyargs) + len(args.args) - len(args.defaults)
    ) + list(args.defaults)
    pairs = list(zip((*args.posonlyargs, *args.args), defaults, strict=False)) + list(
        zip(args.kwonlyargs, args.kw_defaults, strict=False)
    )
    # an unannotated parameter is whatever the callers pass: positions as a call of the
    # function (or of the bound method, or of the class for __init__) counts them
    shift = 1 if positional_self(node, ctx, parent) else 0
    n_positional = len(args.posonlyargs) + len(args.args)
    fkey = f"{ctx.module}.{qn}"
    for i, (a, default) in enumerate(pairs):
        kind, dep, is_alias = ctx.annotation(a.annotation)
        if not dep:
            dep, is_alias = ctx.depends_target(default), False
        if dep:
            (info.alias_deps if is_alias else info.deps).append(dep)
            if kind is None:
                kind = Dep(dep)
        if kind is not None:
            scope.declared.add(a.arg)
        else:
            kind = implicit.get(a.arg)
            if kind is None and i >= shift:
                kind = Param(fkey, a.arg, i - shift if i < n_positional else -1)
        env[a.arg] = kind
    return scope


def positional_self(
    node: ast.FunctionDef | ast.AsyncFunctionDef, ctx: FileContext, parent: Scope
) -> bool:
    """Is the first positional parameter bound by the call (a method's ``self``, a
    classmethod's ``cls``)?"""
    if not isinstance(parent.node, ast.ClassDef):
        return False
    return not any(
        (ctx.canonical(d) or "").rsplit(".", 1)[-1] == "staticmethod" for d in node.decorator_list
    )


def _implicit_params(
    node: ast.FunctionDef | ast.AsyncFunctionDef, ctx: FileContext, parent: Scope,
    info: FuncFacts,
) -> dict[str, Kind]:
    """Kinds that parameters have by construction, whatever their annotation says
    nothing about: ``self`` of a method (an instance of its class), the request of an
    ``@app.middleware`` function or of a ``BaseHTTPMiddleware.dispatch``."""
    positional = [*node.args.posonlyargs, *node.args.args]
    out: dict[str, Kind] = {}
    if isinstance(parent.node, ast.ClassDef) and positional:
        decorators = {ctx.canonical(d) or "" for d in node.decorator_list}
        if not any(d.rsplit(".", 1)[-1] in NOT_INSTANCE_METHODS for d in decorators):
            out[positional[0].arg] = Instance(f"{ctx.module}.{parent.qualname}")
            if node.name == "dispatch" and len(positional) > 1 and any(
                ctx.canonical(b) in MIDDLEWARE_BASES for b in parent.node.bases
            ):
                out[positional[1].arg] = Res.REQUEST
    elif info.middleware and positional:
        out[positional[0].arg] = Res.REQUEST
    return out


def _is_accessor(node: ast.FunctionDef | ast.AsyncFunctionDef) -> bool:
    """``@name.setter`` / ``@name.deleter``: the same name as the property's getter."""
    return any(
        isinstance(d, ast.Attribute) and d.attr in _ACCESSORS and isinstance(d.value, ast.Name)
        and d.value.id == node.name
        for d in node.decorator_list
    )


_ACCESSORS = frozenset({"setter", "deleter"})


def _is_stub(body: list[ast.stmt]) -> bool:
    """A body that only says "a subclass does this": a docstring, ``pass``, ``...``,
    ``raise NotImplementedError``."""
    for stmt in body:
        if isinstance(stmt, ast.Pass):
            continue
        if isinstance(stmt, ast.Expr) and isinstance(stmt.value, ast.Constant) and (
            isinstance(stmt.value.value, str) or stmt.value.value is Ellipsis
        ):
            continue
        if isinstance(stmt, ast.Raise) and stmt.exc is not None:
            exc = stmt.exc.func if isinstance(stmt.exc, ast.Call) else stmt.exc
            if isinstance(exc, ast.Name) and exc.id == "NotImplementedError":
                continue
        return False
    return True


def _function_info(node: ast.FunctionDef | ast.AsyncFunctionDef, ctx: FileContext,
                   scope: Scope) -> FuncFacts:
    info = FuncFacts(is_async=scope.is_async, line=node.lineno)
    in_class = isinstance(scope.parent.node if scope.parent else None, ast.ClassDef)
    for dec in node.decorator_list:
        target = dec.func if isinstance(dec, ast.Call) else dec
        canon = ctx.canonical(target)
        if canon in CACHE_DECORATORS:
            info.cached = True
        if in_class and canon:
            last = canon.rsplit(".", 1)[-1]
            if last in PROPERTY_DECORATORS or last == "abstractproperty":
                info.prop = True
            if last in ABSTRACT_DECORATORS:
                info.abstract = True
        if isinstance(target, ast.Attribute):
            recv = ctx.kind_of(target.value)
            if recv and target.attr in ROUTE_METHODS:
                info.route.append(recv)
            elif recv and target.attr == "middleware":
                info.middleware.append(recv)
        if isinstance(dec, ast.Call):
            deps = keyword(dec, "dependencies")
            if isinstance(deps, ast.List | ast.Tuple):
                for d in deps.elts:
                    t = ctx.depends_target(d)
                    if t:
                        info.deps.append(t)
    if in_class and not info.abstract and _is_stub(node.body):
        info.abstract = True
    return info


# -- core handlers (facts, before the rules) --------------------------------------------
def _on_import(node: ast.AST, ctx: FileContext) -> None:
    assert isinstance(node, ast.Import)
    for alias in node.names:
        if alias.asname:
            ctx.imports[alias.asname] = alias.name
        else:
            head = alias.name.split(".", 1)[0]
            ctx.imports[head] = head


def _on_import_from(node: ast.AST, ctx: FileContext) -> None:
    assert isinstance(node, ast.ImportFrom)
    base = ctx.resolve_relative(node.module, node.level)
    for alias in node.names:
        if alias.name == "*":
            continue
        ctx.imports[alias.asname or alias.name] = f"{base}.{alias.name}" if base else alias.name


def _on_assign(node: ast.AST, ctx: FileContext) -> None:
    if isinstance(node, ast.Assign):
        if ctx.scope.node is None and (
            isinstance(node.value, ast.Subscript) or _is_union(node.value)
        ):  # a dependency alias (Annotated[T, Depends(f)]) or a type alias (A | B)
            alias_kind, alias_dep, _ = ctx.annotation(node.value)
            if alias_dep or _concrete(alias_kind) or (
                alias_kind is not None and isinstance(node.value, ast.Subscript)
            ):
                for t in node.targets:
                    if isinstance(t, ast.Name):
                        ctx.facts.aliases[t.id] = (alias_kind, alias_dep or "")
        kind = ctx.kind_of(node.value)
        _reads(kind, ctx)
        for t in node.targets:
            ctx.bind(t, node.value, kind)
        if type(node.targets[0]) in _MEMBER_TARGETS or len(node.targets) > 1:
            _sets(node.targets, node.value, ctx)
    elif isinstance(node, ast.AnnAssign):
        declared = ctx.annotation(node.annotation, containers=True)[0]
        kind = ctx.kind_of(node.value) if node.value is not None else None
        _reads(kind, ctx)
        if kind is None or isinstance(declared, Res):
            kind = declared
        ctx.bind(node.target, node.value, kind)
        if node.value is not None and type(node.target) is ast.Attribute:
            _sets([node.target], node.value, ctx)
        scope = ctx.scope
        if declared is not None and isinstance(node.target, ast.Name) and scope.func is scope:
            scope.declared.add(node.target.id)


_MEMBER_TARGETS = (ast.Attribute, ast.Tuple, ast.List)


def _reads(kind: Kind | None, ctx: FileContext) -> None:
    """The attributes an expression of kind ``kind`` reads on values of symbolic kind
    (``Config().store``, ``self.engine.connect()``): reading a property runs its getter."""
    fn = ctx.scope.func
    if fn is None or fn.info is None:
        return
    while isinstance(kind, Attr | Method | Call):
        base = kind.base
        if (isinstance(kind, Attr) and not isinstance(base, Res)
                and not kind.name.endswith(ELEMENTS)):
            fn.info.reads.append((base, kind.name))
        kind = base


def _concrete(kind: Kind | None) -> bool:
    """A concrete kind, or a union with a concrete member (``sessionmaker | …``)?"""
    if isinstance(kind, AnyOf):
        return any(isinstance(m, Res) for m in kind.members)
    return isinstance(kind, Res)


def _is_union(node: ast.AST) -> bool:
    return isinstance(node, ast.BinOp) and isinstance(node.op, ast.BitOr)


def _on_with(node: ast.AST, ctx: FileContext) -> None:
    assert isinstance(node, ast.With | ast.AsyncWith)
    for item in node.items:
        if type(node) is ast.AsyncWith:  # `async with x.begin()`: awaited, an async x
            ctx.awaited.add(id(item.context_expr))
        kind = ctx.kind_of(item.context_expr)
        _reads(kind, ctx)
        if item.optional_vars is not None:
            ctx.bind(item.optional_vars, None, kind)


def _on_for(node: ast.AST, ctx: FileContext) -> None:
    assert isinstance(node, ast.For | ast.AsyncFor | ast.comprehension)
    ctx.bind(node.target, None, None)
    if not isinstance(node, ast.AsyncFor):  # `for h in HANDLERS.values()`: one of its values
        for name in ast.walk(node.target):
            if isinstance(name, ast.Name):
                kinds = ctx.iterated_kinds(node.target, name.id, node.iter)
                if kinds:
                    ctx.bind(name, None, kinds[0])


def _on_named(node: ast.AST, ctx: FileContext) -> None:
    assert isinstance(node, ast.NamedExpr)
    ctx.bind(node.target, None, ctx.kind_of(node.value))


def _gated_call(node: ast.Call, ctx: FileContext, gate: frozenset[OptParam]) -> None:
    """The facts of a call under ``if db:`` (see :func:`_gate`): its entries are gated."""
    fn = ctx.scope.func
    if fn is None or fn.info is None:
        _on_call(node, ctx, False)
        return
    info = fn.info
    lists: tuple[list[Any], ...] = (info.calls, info.method_calls, info.value_calls, info.io)
    before = [len(entries) for entries in lists]
    _on_call(node, ctx, False)
    hits = ctx.gate_hits.setdefault(id(fn), (fn, []))[1]
    for name, entries, n in zip(GATED_FIELDS, lists, before, strict=True):
        hits.extend((name, i, gate) for i in range(n, len(entries)))


def _on_call(node: ast.AST, ctx: FileContext, gated: bool = True) -> None:
    assert isinstance(node, ast.Call)
    if gated and ctx.gates:
        gate = ctx.gates.get(id(node))
        if gate is not None:
            _gated_call(node, ctx, gate)
            return
    func = node.func
    canon = ctx.canonical(func)
    attr = func.attr if type(func) is ast.Attribute else None
    if canon is not None:
        if canon in ENV_GETTERS:
            default = arg_or_keyword(node, 1, "default")
            if default is not None:
                ctx.claimed.add(id(default))
        elif canon.endswith(("FastAPI", "Starlette")):
            lifespan = keyword(node, "lifespan")
            if lifespan is not None:
                target = ctx.canonical(lifespan)
                if target:
                    ctx.facts.lifespans.append(target)
    if node.keywords:
        deps = keyword(node, "dependencies")  # FastAPI(...), APIRouter(...), include_router(...)
        if isinstance(deps, ast.List | ast.Tuple):
            for d in deps.elts:
                t = ctx.depends_target(d)
                if t:
                    ctx.facts.extra_deps.append(t)
    if attr is not None and attr in ADD_ROUTE:
        endpoint = arg_or_keyword(node, 1, "endpoint")
        recv = ctx.kind_of(func.value)  # type: ignore[attr-defined]
        target = ctx.canonical(endpoint) if endpoint is not None else None
        if recv and target:
            ctx.facts.extra_routes.append((recv, target))
    fn = ctx.scope.func
    callee: Kind | None = None  # a project callable, for the flows of its arguments
    base_kind: Kind | None = None  # the receiver's kind of a method call (canon is None)
    if canon is not None:
        if not is_library(canon):
            callee = Ref(canon)
    elif attr is not None:
        base_kind = ctx.kind_of(func.value)  # type: ignore[attr-defined]
        if base_kind is not None and not isinstance(base_kind, Res):
            callee = Attr(attr, base_kind)
    if callee is not None and (node.args or node.keywords) and not (ctx.is_test or ctx.is_alembic):
        _flows(node, ctx, callee)
    if fn is None or fn.info is None:
        return
    info = fn.info
    for a in (*node.args, *(k.value for k in node.keywords)):
        if type(a) is ast.Attribute:  # `f(config.deployment_id)`: a property read
            _reads(ctx.kind_of(a), ctx)
    lazy = ctx.lazy_calls.get(id(node))
    if lazy is not None and lazy[1] is fn:  # runs only while a member is unset
        info = info.lazy.setdefault(lazy[0], FuncFacts())
    awaited = id(node) in ctx.awaited  # an awaited call never blocks
    if canon is not None:
        if canon in SYNC_DRIVER_CALLS:  # connecting with a sync driver is blocking I/O
            info.io.append(BlockingCall(Res.DRIVER_CONN, frozenset({Res.DRIVER_CONN})))
        elif not is_library(canon):
            if info is fn.info:
                _site(ctx, fn, "calls", len(info.calls), node)
            info.calls.append(canon)
        elif sqla_last(canon) == INSPECT and not awaited:
            bind = ctx.kind_of(arg_or_keyword(node, 0, "subject"))
            if bind is not None:
                info.io.append(BlockingCall(bind, INSPECT_BLOCKS_ON))
    elif attr is None:  # a value called: a closure a factory returned, a callback
        value = ctx.kind_of(func)
        if value is not None and not isinstance(value, Res):
            if info is fn.info:
                _site(ctx, fn, "vcalls", len(info.value_calls), node)
            info.value_calls.append(value)
    if attr is None:
        return
    if attr == "dispose":
        ctx.not_uses.add(id(func.value))  # type: ignore[attr-defined]
    methods = SYNC_IO_KINDS_BY_METHOD.get(attr)
    base: Kind | None = None
    if canon is None or methods:
        base = base_kind if canon is None else ctx.kind_of(func.value)  # type: ignore[attr-defined]
        if canon is None and base is not None and not isinstance(base, Res):
            if info is fn.info:
                _site(ctx, fn, "mcalls", len(info.method_calls), node)
            info.method_calls.append((base, attr))  # a method of a project class?
            _reads(base, ctx)
    if methods and base is not None and not awaited and (
        base in methods or (not isinstance(base, Res) and not is_library(root_name(base)))
    ):
        info.io.append(BlockingCall(base, methods))
    if attr in DDL_METHODS:
        kind = ctx.kind_of(arg_or_keyword(node, 0, "bind"))
        if kind is not None:
            info.io.append(BlockingCall(kind, DDL_SYNC_BINDS))


def _sites(ctx: FileContext) -> None:
    """What each call a function makes of a project callable passes (see
    :func:`_site`), once the walk knows which parameters the function rebinds."""
    for fn, hits in ctx.site_hits.values():
        info, func = fn.info, fn.node
        if info is None:
            continue
        own: dict[str, tuple[int, bool]] = {}
        if isinstance(func, _FUNC_TYPES):
            own = _optional_params(fn, ctx)
        passed_on = {n for n, (_, is_none) in own.items() if is_none and n not in fn.stored}
        forwarded = passed_on.__contains__ if passed_on else None
        used: set[str] = set()
        by_field: dict[str, dict[int, Args]] = {}
        for f, nodes in hits.items():
            out = by_field[f] = {}
            for i, node in nodes.items():
                args = Args.of(node, forwarded)
                args = out[i] = _ARGS.setdefault(args, args)  # most calls pass alike
                used.update(name for _, name in args.forwards)
        info.site(by_field)
        if used:
            info.forwards = tuple(sorted((n, own[n][0]) for n in used))


#: each distinct :class:`Args` a call has passed (one instance for all the calls alike)
_ARGS: dict[Args, Args] = {}


def _site(ctx: FileContext, fn: Scope, f: str, index: int, node: ast.Call) -> None:
    """The entry ``index`` of the field ``f`` of ``fn``'s facts is a call (``node``):
    what it passes is read once the function is walked (see :meth:`FuncFacts.site`)."""
    hits = ctx.site_hits.get(id(fn))
    if hits is None:
        hits = ctx.site_hits[id(fn)] = (fn, {})
    hits[1].setdefault(f, {})[index] = node


def _flows(node: ast.Call, ctx: FileContext, callee: Kind) -> None:
    """Record the arguments of known kind a call passes to a project callable."""
    args: list[tuple[int, str, Kind]] = []
    for i, a in enumerate(node.args):
        if isinstance(a, ast.Starred):
            break
        kind = ctx.kind_of(a)
        if kind is not None and not _builtin_ref(kind, ctx):
            args.append((i, "", kind))
    for kw in node.keywords:
        if kw.arg is not None:
            kind = ctx.kind_of(kw.value)
            if kind is not None and not _builtin_ref(kind, ctx):
                args.append((-1, kw.arg, kind))
    if args:
        ctx.facts.flows.append((callee, args))


def _builtin_ref(kind: Kind, ctx: FileContext) -> bool:
    return isinstance(kind, Ref) and kind.qualname.startswith(ctx.module) and (
        kind.qualname[len(ctx.module) + 1 :] in BUILTIN_NAMES
    )


def _on_name(node: ast.AST, ctx: FileContext) -> None:
    fn = ctx.scope.func
    if fn is None:
        return
    if type(node.ctx) is ast.Load:  # type: ignore[attr-defined]
        if id(node) not in ctx.not_uses:
            fn.names.add(node.id)  # type: ignore[attr-defined]
    else:
        fn.stored.add(node.id)  # type: ignore[attr-defined]


def _on_bound(node: ast.AST, ctx: FileContext) -> None:
    """``except … as e`` binds ``e``; ``nonlocal db`` lets a nested function rebind the
    enclosing functions' ``db`` (see :attr:`Scope.stored`)."""
    if isinstance(node, ast.ExceptHandler):
        if node.name and ctx.scope.func is not None:
            ctx.scope.func.stored.add(node.name)
        return
    assert isinstance(node, ast.Nonlocal)
    s = ctx.scope.parent
    while s is not None:
        if s.func is s:
            s.stored.update(node.names)
        s = s.parent


def _on_return(node: ast.AST, ctx: FileContext) -> None:
    assert isinstance(node, ast.Return | ast.Yield | ast.YieldFrom)
    fn = ctx.function
    if fn is None or fn.info is None:
        return
    if not isinstance(node, ast.Return):
        fn.info.gen = True
    kind = ctx.kind_of(node.value)
    _reads(kind, ctx)
    if kind is not None:
        fn.info.ret.append(kind)


def _on_class(node: ast.AST, ctx: FileContext) -> None:
    assert isinstance(node, ast.ClassDef)
    bases = [ctx.canonical(b) for b in node.bases]
    parent = ctx.scope.qualname
    ctx.facts.classes[f"{parent}.{node.name}" if parent else node.name] = [
        b for b in bases if b
    ]
    if not any(b in SETTINGS_BASES or (b and b.rsplit(".", 1)[-1] in ctx.settings_classes)
               for b in bases):
        return
    ctx.settings_classes.add(node.name)
    for stmt in node.body:
        value = stmt.value if isinstance(stmt, ast.AnnAssign | ast.Assign) else None
        if value is None:
            continue
        for default in settings_defaults(value, ctx):
            ctx.claimed.add(id(default))


def _isinstance_of(test: ast.AST, ctx: FileContext) -> tuple[str, Kind] | None:
    """(name, kind of the class) of ``isinstance(name, Class)``."""
    if not (isinstance(test, ast.Call) and len(test.args) == 2 and not test.keywords):
        return None
    target = test.args[0]
    if not isinstance(target, ast.Name) or ctx.canonical(test.func) != f"{ctx.module}.isinstance":
        return None
    if isinstance(test.args[1], ast.Tuple):
        return None
    kind = ctx.annotation(test.args[1])[0]
    return (target.id, kind) if kind is not None else None


def _narrow(node: ast.stmt, name: str, kind: Kind, ctx: FileContext) -> None:
    """From here on ``name`` is an instance of the checked class; a check of a parameter
    at the function's top level is a guard its callers rely on (:class:`Checked`)."""
    fn = ctx.scope.func
    if fn is None or fn is not ctx.scope or fn.info is None or name not in fn.env:
        return
    fn.env[name] = kind
    func = fn.node
    assert isinstance(func, _FUNC_TYPES)
    if not any(stmt is node for stmt in func.body):
        return
    params = [a.arg for a in (*func.args.posonlyargs, *func.args.args)]
    if name in params:
        position = params.index(name) - (1 if positional_self(func, ctx, fn.parent or fn) else 0)
        if position >= 0:
            fn.info.guards[position] = kind


def _tested(test: ast.expr, truthy: bool) -> list[tuple[str, bool]]:
    """The names a test needs truthy (``truthy``: for its ``if`` branch, ``x``,
    ``x is not None``, ``x and …``; else for its ``else`` branch, ``not x``,
    ``x is None``, ``x is None or …``), each with whether the test only needs it not
    ``None`` (``x is not None``: then a ``False`` default passes it)."""
    op = ast.And if truthy else ast.Or
    atoms = test.values if isinstance(test, ast.BoolOp) and isinstance(test.op, op) else [test]
    out: list[tuple[str, bool]] = []
    for atom in atoms:
        if truthy and type(atom) is ast.Name:
            out.append((atom.id, False))
        elif not truthy and isinstance(atom, ast.UnaryOp) and isinstance(atom.op, ast.Not):
            if type(atom.operand) is ast.Name:
                out.append((atom.operand.id, False))
        elif (
            isinstance(atom, ast.Compare) and type(atom.left) is ast.Name
            and len(atom.ops) == 1 and type(atom.ops[0]) is (ast.IsNot if truthy else ast.Is)
            and is_none(atom.comparators[0])
        ):
            out.append((atom.left.id, True))
    return out


def _optional_params(fn: Scope, ctx: FileContext) -> dict[str, tuple[int, bool]]:
    """The parameters of an undecorated function (``staticmethod`` / ``classmethod``
    aside) whose default is falsy (``None``, ``False``, ``0``, ``""``): name -> (position
    as a caller passes it, ``-1``: keyword-only; is the default ``None``). Memoised in
    ``ctx.optional``."""
    func = fn.node
    assert isinstance(func, _FUNC_TYPES)
    known = ctx.optional.get(id(func))
    if known is not None:
        return known
    out: dict[str, tuple[int, bool]] = {}
    ctx.optional[id(func)] = out
    args = func.args
    if not any(_is_falsy(d) for d in (*args.defaults, *args.kw_defaults)) or any(
        (ctx.canonical(d) or "").rsplit(".", 1)[-1] not in _PLAIN_DECORATORS
        for d in func.decorator_list
    ):
        return out  # no optional parameter; or a decorator may pass what the caller leaves out
    positional = [*args.posonlyargs, *args.args]
    shift = 1 if positional_self(func, ctx, fn.parent or fn) else 0
    defaults = [None] * (len(positional) - len(args.defaults)) + list(args.defaults)
    for i, (a, default) in enumerate(zip(positional, defaults, strict=True)):
        if _is_falsy(default) and i >= shift:
            out[a.arg] = (i - shift, is_none(default))
    for a, default in zip(args.kwonlyargs, args.kw_defaults, strict=True):
        if _is_falsy(default):
            out[a.arg] = (-1, is_none(default))
    return out


_PLAIN_DECORATORS = frozenset({"staticmethod", "classmethod"})


def _is_falsy(node: ast.expr | None) -> bool:
    return isinstance(node, ast.Constant) and not node.value


def _gate(node: ast.If, ctx: FileContext) -> None:
    """Calls that only run when optional parameters are truthy: the ``if`` branch of
    ``if db:`` / ``if db is not None:`` (``db and …``), the ``else`` branch of
    ``if not db:`` / ``if db is None:`` (``… or db is None``), and at the top level of the
    function what follows ``if db is None: return`` (or ``raise``)."""
    fn = ctx.scope.func
    if fn is None or fn is not ctx.scope or fn.info is None:
        return
    func = fn.node
    if not isinstance(func, _FUNC_TYPES):
        return
    optional = _optional_params(fn, ctx)
    if not optional:
        return
    when_true, when_false = _tested(node.test, True), _tested(node.test, False)
    if not any(n in optional for n, _ in (*when_true, *when_false)):
        return
    for names, stmts in ((when_true, node.body), (when_false, node.orelse)):
        params = frozenset(  # those the function rebinds are left out at its end
            (n, optional[n][0]) for n, identity in names
            if n in optional and (optional[n][1] or not identity)
        )
        if not params:
            continue
        _mark(stmts, params, ctx)
        if stmts is node.orelse and not stmts and isinstance(node.body[-1], ast.Return | ast.Raise):
            for i, stmt in enumerate(func.body):  # `if db is None: return` at the top level
                if stmt is node:
                    _mark(func.body[i + 1 :], params, ctx)
                    break


def _mark(stmts: list[ast.stmt], params: frozenset[OptParam], ctx: FileContext) -> None:
    """Gate the calls of ``stmts`` (not those of nested functions and classes)."""
    gates = ctx.gates
    todo: list[Any] = list(stmts)
    pop, extend, push = todo.pop, todo.extend, todo.append
    scope_types, call_type, node_type = _SCOPE_TYPES, ast.Call, ast.AST
    child_fields = _CHILD_FIELDS
    while todo:
        node = pop()
        ntype = type(node)
        if ntype in scope_types or not isinstance(node, node_type):
            continue
        if ntype is call_type:
            prior = gates.get(id(node))
            gates[id(node)] = params | prior if prior else params
        fields = child_fields.get(ntype)
        if fields is None:
            fields = child_fields[ntype] = _child_fields(ntype)
        for name in fields:
            value = getattr(node, name)
            if type(value) is list:
                extend(value)
            elif value is not None:
                push(value)


def _on_if(node: ast.AST, ctx: FileContext) -> None:
    """``if db:`` (see :func:`_gate`); ``if not isinstance(x, C): raise …`` (or return);
    a lazily built member."""
    assert isinstance(node, ast.If)
    _gate(node, ctx)
    _lazy_build(node, ctx)
    test = node.test
    if not (isinstance(test, ast.UnaryOp) and isinstance(test.op, ast.Not)):
        return
    if node.orelse or not isinstance(node.body[-1], ast.Raise | ast.Return):
        return
    checked = _isinstance_of(test.operand, ctx)
    if checked is not None:
        _narrow(node, *checked, ctx)


# -- lazily built members ---------------------------------------------------------------
def _self_name(fn: Scope) -> str | None:
    """The name of a method's ``self`` (``None`` outside an instance method)."""
    func = fn.node
    if not isinstance(func, _FUNC_TYPES) or fn is not fn.func:
        return None
    positional = [*func.args.posonlyargs, *func.args.args]
    if not positional or not isinstance(fn.env.get(positional[0].arg), Instance):
        return None
    return positional[0].arg


def _unset_owner(test: ast.expr) -> ast.Attribute | None:
    """``self.x`` of ``self.x is None`` / ``not self.x`` (any ``name.x``)."""
    target: ast.expr | None = None
    if type(test) is ast.UnaryOp:
        if type(test.op) is ast.Not:
            target = test.operand
    elif type(test) is ast.Compare and len(test.ops) == 1 and type(test.ops[0]) is ast.Is:
        target = test.left if is_none(test.comparators[0]) else None
    return target if type(target) is ast.Attribute else None


def _self_targets(targets: Iterable[ast.expr], me: str) -> Iterable[str]:
    for t in targets:
        if isinstance(t, ast.Tuple | ast.List):
            yield from _self_targets(t.elts, me)
        elif isinstance(t, ast.Attribute) and isinstance(t.value, ast.Name) and t.value.id == me:
            yield t.attr


def _assigns(body: list[ast.stmt], me: str, member: str) -> bool:
    """Does ``body`` assign ``self.<member>``?"""
    for stmt in body:
        for sub in ast.walk(stmt):
            if isinstance(sub, ast.Assign) and member in _self_targets(sub.targets, me):
                return True
            if (isinstance(sub, ast.AnnAssign) and sub.value is not None
                    and member in _self_targets([sub.target], me)):
                return True
    return False


def _lazy_build(node: ast.If, ctx: FileContext) -> None:
    """``if self.x is None [and …]: … self.x = …`` in a method: the calls of the
    guard's later conditions and of its body run only while ``x`` is unset (they build
    it); the project index decides whether the object's construction sets it first."""
    test = node.test
    if type(test) is ast.BoolOp:
        parts = test.values if type(test.op) is ast.And else []
        checked = [(i, owner) for i, part in enumerate(parts) if (owner := _unset_owner(part))]
    else:
        owner = _unset_owner(test)
        if owner is None:
            return
        parts, checked = [test], [(0, owner)]
    if not checked:
        return
    fn = ctx.scope.func
    if fn is None or fn is not ctx.scope or fn.info is None:
        return
    me = _self_name(fn)
    if me is None:
        return
    found = next(((i, owner.attr) for i, owner in checked
                  if isinstance(owner.value, ast.Name) and owner.value.id == me), None)
    if found is None or not _assigns(node.body, me, found[1]):
        return
    first, member = found
    for region in (*parts[first + 1 :], *node.body):
        for sub in ast.walk(region):
            if isinstance(sub, ast.Call):
                ctx.lazy_calls[id(sub)] = (member, fn)


def _sets(targets: list[ast.expr], value: ast.expr, ctx: FileContext) -> None:
    """Record the members of ``self`` a method assigns a value that may be set."""
    fn = ctx.scope.func
    if fn is None or fn is not ctx.scope or fn.info is None:
        return
    me = _self_name(fn)
    if me is None or _unset_value(value, fn):
        return
    fn.info.sets.extend(_self_targets(targets, me))


_EMPTY_CONSTRUCTORS = frozenset({"dict", "list", "set", "tuple", "frozenset"})


def _unset_value(value: ast.expr, fn: Scope) -> bool:
    """A value that leaves a lazily built member unset: ``None`` or another falsy
    constant, an empty container, a parameter that defaults to ``None``."""
    if isinstance(value, ast.Constant):
        return not value.value
    if isinstance(value, ast.List | ast.Tuple | ast.Set):
        return not value.elts
    if isinstance(value, ast.Dict):
        return not value.keys
    if isinstance(value, ast.Call):
        return (isinstance(value.func, ast.Name) and value.func.id in _EMPTY_CONSTRUCTORS
                and not value.args and not value.keywords)
    if isinstance(value, ast.Name) and isinstance(fn.node, _FUNC_TYPES):
        args = fn.node.args
        positional = [*args.posonlyargs, *args.args]
        pairs = list(zip(positional[len(positional) - len(args.defaults):], args.defaults,
                         strict=True))
        pairs += [(a, d) for a, d in zip(args.kwonlyargs, args.kw_defaults, strict=True) if d]
        return any(a.arg == value.id and is_none(d) for a, d in pairs)
    return False


def _on_assert(node: ast.AST, ctx: FileContext) -> None:
    assert isinstance(node, ast.Assert)
    checked = _isinstance_of(node.test, ctx)
    if checked is not None:
        _narrow(node, *checked, ctx)


def _on_expr(node: ast.AST, ctx: FileContext) -> None:
    """``validate(x)`` as a statement: afterwards ``x`` is what ``validate`` checks it is,
    if it checks (the project index looks)."""
    assert isinstance(node, ast.Expr)
    call = node.value
    if isinstance(call, ast.Attribute):  # `store.engine` alone: a property read for effect
        _reads(ctx.kind_of(call), ctx)
        return
    if not isinstance(call, ast.Call) or not call.args:
        return
    fn = ctx.scope.func
    if fn is None or fn is not ctx.scope:
        return
    canon = ctx.canonical(call.func)
    if canon is None or is_library(canon):
        return
    for i, arg in enumerate(call.args):
        if isinstance(arg, ast.Starred):
            break
        if isinstance(arg, ast.Name) and arg.id in fn.env:
            prior = fn.env[arg.id]
            if prior is not None and not isinstance(prior, Res | Checked):
                fn.env[arg.id] = Checked(canon, i, prior)


def _on_await(node: ast.AST, ctx: FileContext) -> None:
    ctx.awaited.add(id(node.value))  # type: ignore[attr-defined]


_CORE: dict[type[ast.AST], Handler] = {
    ast.Await: _on_await,
    ast.Import: _on_import,
    ast.ImportFrom: _on_import_from,
    ast.Assign: _on_assign,
    ast.AnnAssign: _on_assign,
    ast.With: _on_with,
    ast.AsyncWith: _on_with,
    ast.For: _on_for,
    ast.AsyncFor: _on_for,
    ast.comprehension: _on_for,
    ast.NamedExpr: _on_named,
    ast.Call: _on_call,
    ast.Name: _on_name,
    ast.ExceptHandler: _on_bound,
    ast.Nonlocal: _on_bound,
    ast.Return: _on_return,
    ast.Yield: _on_return,
    ast.YieldFrom: _on_return,
    ast.ClassDef: _on_class,
    ast.If: _on_if,
    ast.Assert: _on_assert,
    ast.Expr: _on_expr,
}

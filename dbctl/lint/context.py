"""Per-file analysis: one parse, one lean walk, import aliases resolved, scope known.

The walk produces a JSON-able *file summary* (cached per file content): local findings,
*deferred* findings whose truth depends on other modules (resolved later by
:mod:`dbctl.lint.index`), and the facts the project index needs (module-level engines
and session factories, functions with their calls, dependencies and route decorators).

Values are described by *kinds*, short strings: concrete ones such as ``sync_engine`` or
``async_session``, and symbolic ones that the index resolves across modules:
``ref:<qualname>`` (a module-level name), ``call:<kind>`` (the result of calling it),
``meth:<name>:<kind>`` (the result of a method call), ``dep:<qualname>`` (what a
dependency yields or returns), ``ret:<qualname>`` (what a project function returns) and
``alias:<qualname>`` (a type alias such as ``SessionDep = Annotated[Session, Depends(f)]``).

Nothing here imports or executes the code being read, nor pydantic/SQLAlchemy.
"""

from __future__ import annotations

import ast
import builtins
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from dbctl.lint.secrets import literal_text

if TYPE_CHECKING:
    from dbctl.lint.rule import Rule

# -- kinds ------------------------------------------------------------------------------
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
FASTAPI_APP = "fastapi_app"
ROUTER = "router"

SESSION_KINDS = frozenset({SYNC_SESSION, ASYNC_SESSION})
APP_KINDS = frozenset({FASTAPI_APP, ROUTER})

#: Methods that do blocking database I/O, by the kind of their receiver.
SYNC_IO_METHODS: dict[str, frozenset[str]] = {
    SYNC_SESSION: frozenset(
        {
            "execute", "exec", "query", "scalar", "scalars", "get", "get_one", "commit",
            "rollback", "flush", "refresh", "merge", "bulk_save_objects", "bulk_insert_mappings",
            "bulk_update_mappings",
        }
    ),
    SYNC_CONN: frozenset({"execute", "exec_driver_sql", "scalar", "scalars", "commit", "rollback"}),
    SYNC_ENGINE: frozenset({"connect", "begin", "raw_connection"}),
    DRIVER_CONN: frozenset({"execute", "commit", "rollback"}),
    DRIVER_CURSOR: frozenset(
        {"execute", "executemany", "fetchone", "fetchall", "fetchmany", "callproc",
         "copy_expert", "copy_from", "copy_to"}
    ),
    DRIVER_POOL: frozenset({"getconn"}),
}
SYNC_IO_METHODS[SYNC_SCOPED] = SYNC_IO_METHODS[SYNC_SESSION]
#: Coroutine methods, by the kind of their receiver (calling them without await is a bug).
ASYNC_METHODS: dict[str, frozenset[str]] = {
    ASYNC_SESSION: frozenset(
        {
            "execute", "exec", "scalar", "scalars", "get", "get_one", "commit", "rollback",
            "flush", "refresh", "merge", "delete", "close", "stream", "stream_scalars", "run_sync",
            "invalidate", "connection",
        }
    ),
    ASYNC_CONN: frozenset(
        {"execute", "exec_driver_sql", "scalar", "scalars", "commit", "rollback", "close",
         "run_sync", "stream", "stream_scalars", "invalidate", "get_raw_connection"}
    ),
    ASYNC_ENGINE: frozenset({"dispose"}),
    ASYNC_SCOPED: frozenset(),  # filled below: the AsyncSession methods it proxies
    ASYNC_DRIVER: frozenset(
        {"execute", "executemany", "fetch", "fetchrow", "fetchval", "fetchone", "fetchall",
         "fetchmany", "commit", "rollback", "close"}
    ),
}


ASYNC_METHODS[ASYNC_SCOPED] = ASYNC_METHODS[ASYNC_SESSION]


def _invert(table: dict[str, frozenset[str]]) -> dict[str, frozenset[str]]:
    out: dict[str, set[str]] = {}
    for kind, methods in table.items():
        for m in methods:
            out.setdefault(m, set()).add(kind)
    return {m: frozenset(k) for m, k in out.items()}


SYNC_IO_KINDS_BY_METHOD = _invert(SYNC_IO_METHODS)
ASYNC_KINDS_BY_METHOD = _invert(ASYNC_METHODS)

#: Results of method calls on concrete kinds.
METHOD_RESULT: dict[tuple[str, str], str] = {
    (SYNC_ENGINE, "connect"): SYNC_CONN,
    (SYNC_ENGINE, "begin"): SYNC_CONN,
    (SYNC_ENGINE, "raw_connection"): DRIVER_CONN,
    (ASYNC_ENGINE, "connect"): ASYNC_CONN,
    (ASYNC_ENGINE, "begin"): ASYNC_CONN,
    (SYNC_FACTORY, "begin"): SYNC_SESSION,
    (ASYNC_FACTORY, "begin"): ASYNC_SESSION,
    (SYNC_SESSION, "connection"): SYNC_CONN,
    (DRIVER_CONN, "cursor"): DRIVER_CURSOR,
    (DRIVER_POOL, "getconn"): DRIVER_CONN,
    (DRIVER_POOL, "connection"): DRIVER_CONN,
    (ASYNC_DRIVER, "cursor"): ASYNC_DRIVER,
    (ASYNC_DRIVER, "acquire"): ASYNC_DRIVER,
    (ASYNC_DRIVER, "connection"): ASYNC_DRIVER,
}
CALL_RESULT = {
    SYNC_FACTORY: SYNC_SESSION,
    ASYNC_FACTORY: ASYNC_SESSION,
    SYNC_SCOPED: SYNC_SESSION,
    ASYNC_SCOPED: ASYNC_SESSION,
}

#: Sync PostgreSQL driver entry points (canonical names) -> kind of what they return.
SYNC_DRIVER_CALLS: dict[str, str] = {
    "psycopg2.connect": DRIVER_CONN,
    "psycopg2.pool.SimpleConnectionPool": DRIVER_POOL,
    "psycopg2.pool.ThreadedConnectionPool": DRIVER_POOL,
    "psycopg2.pool.AbstractConnectionPool": DRIVER_POOL,
    "psycopg2cffi.connect": DRIVER_CONN,
    "pg8000.connect": DRIVER_CONN,
    "pg8000.dbapi.connect": DRIVER_CONN,
    "pg8000.native.Connection": DRIVER_CONN,
    "psycopg.connect": DRIVER_CONN,
    "psycopg.Connection.connect": DRIVER_CONN,
    "psycopg.Connection": DRIVER_CONN,
    "psycopg_pool.ConnectionPool": DRIVER_POOL,
    "psycopg_pool.NullConnectionPool": DRIVER_POOL,
    "pgdb.connect": DRIVER_CONN,
}
ASYNC_DRIVER_CALLS = frozenset(
    {
        "asyncpg.connect", "asyncpg.create_pool", "asyncpg.pool.create_pool",
        "psycopg.AsyncConnection.connect", "psycopg.AsyncConnection",
        "psycopg_pool.AsyncConnectionPool", "psycopg_pool.AsyncNullConnectionPool",
        "aiopg.connect", "aiopg.create_pool",
    }
)
#: Calls that take connection credentials (for DBC202), besides the driver calls above.
CONNECT_CALLS = frozenset(
    set(SYNC_DRIVER_CALLS)
    | set(ASYNC_DRIVER_CALLS)
    | {
        "sqlalchemy.URL.create", "sqlalchemy.engine.URL.create", "sqlalchemy.engine.url.URL.create",
        "sqlalchemy.create_engine", "sqlalchemy.ext.asyncio.create_async_engine",
        "databases.Database", "pymysql.connect", "aiomysql.connect", "mysql.connector.connect",
    }
)

ROUTE_METHODS = frozenset(
    {"get", "post", "put", "delete", "patch", "options", "head", "trace", "api_route",
     "websocket", "route"}
)
SQLA_TYPE_KINDS = {
    "Session": SYNC_SESSION,
    "AsyncSession": ASYNC_SESSION,
    "Connection": SYNC_CONN,
    "AsyncConnection": ASYNC_CONN,
    "Engine": SYNC_ENGINE,
    "AsyncEngine": ASYNC_ENGINE,
    "sessionmaker": SYNC_FACTORY,
    "async_sessionmaker": ASYNC_FACTORY,
}
ENGINE_FACTORIES = frozenset({"create_engine", "engine_from_config"})
ASYNC_ENGINE_FACTORIES = frozenset({"create_async_engine", "async_engine_from_config"})


def sqla_last(canonical: str | None) -> str | None:
    """The last component of a SQLAlchemy (or SQLModel, which re-exports it) canonical
    name; ``None`` for anything else."""
    if canonical and canonical.split(".", 1)[0] in {"sqlalchemy", "sqlmodel"}:
        return canonical.rsplit(".", 1)[-1]
    return None


# -- the walk ---------------------------------------------------------------------------
@dataclass(slots=True)
class Scope:
    """A function (or the module) being walked."""

    qualname: str  # local qualname ("" for the module)
    is_async: bool
    node: ast.AST | None
    parent: Scope | None
    env: dict[str, str] = field(default_factory=dict)
    info: dict[str, Any] | None = None  # the function's summary entry
    func: Scope | None = None  # the innermost function scope (this one, if a function)
    names: set[str] = field(default_factory=set)  # names loaded in this function


def _loc(node: ast.AST) -> list[int]:
    line = getattr(node, "lineno", 1)
    col = getattr(node, "col_offset", 0) + 1
    end_line = getattr(node, "end_lineno", None) or line
    end_col = (getattr(node, "end_col_offset", None) or col - 1) + 1
    return [line, col, end_line, end_col]


_FUNC_TYPES = (ast.FunctionDef, ast.AsyncFunctionDef)
_SCOPE_TYPES = (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda, ast.ClassDef)
_ENV_GETTERS = frozenset({"os.getenv", "os.environ.get", "os.environ.setdefault", "os.getenvb"})
_SETTINGS_BASES = frozenset(
    {"pydantic_settings.BaseSettings", "pydantic.BaseSettings", "pydantic.v1.BaseSettings"}
)
_ADD_ROUTE = frozenset({"add_api_route", "add_route", "add_api_websocket_route",
                        "add_websocket_route"})
_CACHE_DECORATORS = frozenset(
    {"functools.lru_cache", "functools.cache", "functools.cached_property"}
)


class FileContext:
    """Everything a rule needs about the file being walked; collects the summary."""

    def __init__(
        self, tree: ast.Module, module: str, *, is_package: bool, is_test: bool, is_alembic: bool
    ) -> None:
        self.tree = tree
        self.module = module  # dotted module name relative to the lint root
        self.is_test = is_test
        self.is_alembic = is_alembic
        self.package = module if is_package else module.rpartition(".")[0]
        self.imports: dict[str, str] = {}
        self.scope = Scope("", False, None, None)
        self.module_scope = self.scope
        self.symbols: dict[str, str] = {}  # module-level name -> kind
        self.sym_loc: dict[str, list[int]] = {}
        self.sym_deps: dict[str, list[str]] = {}
        self.str_consts: dict[str, str] = {}
        self.funcs: dict[str, dict[str, Any]] = {}
        self.lifespans: list[str] = []
        self.aliases: dict[str, tuple[str, str]] = {}  # X = Annotated[Session, Depends(f)]
        self.extra_deps: list[str] = []  # app/router/include_router(dependencies=[...])
        self.extra_routes: list[list[str]] = []  # [receiver kind, endpoint] (add_api_route)
        self.findings: list[list[Any]] = []
        self.deferred: list[list[Any]] = []
        self.claimed: set[int] = set()  # string nodes owned by DBC203 (not DBC201)
        self.settings_classes: set[str] = set()
        self.not_uses: set[int] = set()  # names only disposed of (`engine.dispose()`)
        self.awaited: set[int] = set()  # calls directly under `await`
        self.scopes: list[Scope] = []
        self._fastapi: bool | None = None
        self._memo_node: ast.AST | None = None
        self._memo_value: str | None = None

    def finish(self) -> None:
        """After the walk: the module-level names each function uses (canonical), then
        the function summaries compacted (defaults dropped; the index restores them)."""
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
            uses: list[str] = fn.info["uses"]
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
        for info in self.funcs.values():
            if info["calls"]:
                info["calls"] = [c for c in dict.fromkeys(info["calls"]) if not is_builtin(c)]
            for key in [k for k, v in info.items() if not v]:
                del info[key]

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

    def _local_kind(self, name: str) -> str | None:
        """The kind of local variable ``name`` in the innermost function binding it
        (``""``: a local of unknown kind); ``None`` if it is not a local variable."""
        scope: Scope | None = self.scope
        while scope is not None and scope.node is not None:
            kind = scope.env.get(name)
            if kind is not None:
                return kind
            scope = scope.parent
        return None

    def resolve_relative(self, module: str | None, level: int) -> str:
        if level == 0:
            return module or ""
        base = self.package.split(".") if self.package else []
        if level > 1:
            base = base[: len(base) - (level - 1)] if level - 1 <= len(base) else []
        return ".".join([*base, module] if module else base)

    # -- kinds ---------------------------------------------------------------------------
    def kind_of(self, node: ast.AST | None) -> str | None:
        """The kind of an expression (concrete or symbolic), or ``None`` if unknown."""
        if node is None:
            return None
        if isinstance(node, ast.Await):
            return self.kind_of(node.value)
        if isinstance(node, ast.Name):
            local = self._local_kind(node.id)
            if local is not None:
                return local or None
            if self.scope.node is None and node.id in self.symbols:
                return self.symbols[node.id] or None
            return "ref:" + self.imports.get(node.id, f"{self.module}.{node.id}")
        if isinstance(node, ast.Attribute):
            canon = self.canonical(node)
            return "ref:" + canon if canon else None
        if isinstance(node, ast.Call):
            return self._call_kind(node)
        return None

    def _call_kind(self, node: ast.Call) -> str | None:
        func = node.func
        canon = self.canonical(func)
        if canon is not None:
            if canon in SYNC_DRIVER_CALLS:
                return SYNC_DRIVER_CALLS[canon]
            if canon in ASYNC_DRIVER_CALLS:
                return ASYNC_DRIVER
            last = sqla_last(canon)
            if last is not None:
                if last in ENGINE_FACTORIES:
                    return SYNC_ENGINE
                if last in ASYNC_ENGINE_FACTORIES or last == "AsyncEngine":
                    return ASYNC_ENGINE
                if last == "sessionmaker":
                    cls = keyword(node, "class_")
                    if cls is not None and sqla_last(self.canonical(cls)) == "AsyncSession":
                        return ASYNC_FACTORY
                    return SYNC_FACTORY
                if last == "async_sessionmaker":
                    return ASYNC_FACTORY
                if last == "async_scoped_session":
                    return ASYNC_SCOPED
                if last == "scoped_session":
                    return SYNC_SCOPED
                if last == "Session":
                    return SYNC_SESSION
                if last == "AsyncSession":
                    return ASYNC_SESSION
                return None
            if canon in {"fastapi.FastAPI", "fastapi.applications.FastAPI"}:
                return FASTAPI_APP
            if canon in {"fastapi.APIRouter", "fastapi.routing.APIRouter"}:
                return ROUTER
            if canon.split(".", 1)[0] in STDLIB_HINT:
                return None
            if isinstance(func, ast.Name):
                # a project function, or a session factory, here or imported
                return "call:ref:" + canon
        if isinstance(func, ast.Attribute):
            base = self.kind_of(func.value)
            if base is None:
                return None
            return method_result(base, func.attr)
        if isinstance(func, ast.Name):
            local = self._local_kind(func.id)
            if local:
                return call_result(local)
        return None

    # -- reporting -----------------------------------------------------------------------
    def report(self, rule: type[Rule], node: ast.AST, message: str) -> None:
        self.findings.append([rule.code, *_loc(node), message])

    def defer(self, rule: type[Rule], node: ast.AST, message: str, conds: list[list[str]]) -> None:
        """Report ``message`` if every condition holds once the project index is known.

        Conditions: ``["kind_in", kind, k1, k2, …]``, ``["handler", qualname]``,
        ``["not_cached", qualname]``, ``["async_reached", qualname]``.
        """
        self.deferred.append([rule.code, *_loc(node), message, conds])

    def check_kind(
        self, rule: type[Rule], node: ast.AST, message: str, kind: str | None,
        wanted: Iterable[str], extra: list[list[str]] | None = None,
    ) -> None:
        """Report now if ``kind`` is concrete and wanted, defer if it is symbolic."""
        if not kind:
            return
        wanted = frozenset(wanted)
        if not is_symbolic(kind):
            if kind in wanted:
                if extra:
                    self.defer(rule, node, message, extra)
                else:
                    self.report(rule, node, message)
            return
        self.defer(rule, node, message, [["kind_in", kind, *sorted(wanted)], *(extra or [])])

    # -- scope facts ---------------------------------------------------------------------
    @property
    def function(self) -> Scope | None:
        """The innermost enclosing function scope (``None`` at module or class level)."""
        return self.scope.func

    def func_canonical(self, scope: Scope | None = None) -> str | None:
        scope = scope or self.function
        return f"{self.module}.{scope.qualname}" if scope is not None else None


#: module roots that are never part of the linted project (their calls are not recorded)
STDLIB_HINT = frozenset(
    {"os", "sys", "re", "json", "logging", "typing", "asyncio", "collections", "functools",
     "itertools", "pathlib", "datetime", "time", "math", "subprocess", "uuid", "contextlib",
     "dataclasses", "enum", "abc", "builtins", "random", "string", "hashlib", "base64",
     # the libraries whose behaviour the rules model (never the linted project)
     "pydantic", "pydantic_settings", "fastapi", "starlette", "sqlalchemy", "sqlmodel",
     "alembic", "asyncpg", "psycopg", "psycopg2", "psycopg_pool", "pg8000"}
)


def is_symbolic(kind: str) -> bool:
    return ":" in kind


def method_result(base: str, method: str) -> str | None:
    if is_symbolic(base):
        return f"meth:{method}:{base}"
    return METHOD_RESULT.get((base, method))


def call_result(base: str) -> str | None:
    if is_symbolic(base):
        return "call:" + base
    return CALL_RESULT.get(base)


def keyword(call: ast.Call, name: str) -> ast.expr | None:
    for kw in call.keywords:
        if kw.arg == name:
            return kw.value
    return None


def arg_or_keyword(call: ast.Call, index: int, name: str) -> ast.expr | None:
    head = call.args[: index + 1]
    if len(call.args) > index and not any(isinstance(a, ast.Starred) for a in head):
        return call.args[index]
    return keyword(call, name)


def has_star_kwargs(call: ast.Call) -> bool:
    return any(kw.arg is None for kw in call.keywords)


def annotation_kind(ctx: FileContext, ann: ast.AST | None) -> tuple[str | None, str | None]:
    """(kind, dependency canonical) of a parameter annotation (``Annotated[T, Depends(x)]``,
    ``T | None``, ``Optional[T]``)."""
    dep: str | None = None
    while ann is not None:
        if isinstance(ann, ast.Subscript):
            head = ctx.canonical(ann.value) or ""
            last = head.rsplit(".", 1)[-1]
            if last == "Annotated" and isinstance(ann.slice, ast.Tuple) and ann.slice.elts:
                for extra in ann.slice.elts[1:]:
                    dep = dep or depends_target(ctx, extra)
                ann = ann.slice.elts[0]
                continue
            if last == "Optional":
                ann = ann.slice
                continue
            return None, dep
        if isinstance(ann, ast.BinOp) and isinstance(ann.op, ast.BitOr):
            ann = ann.left if not _is_none(ann.left) else ann.right
            continue
        if isinstance(ann, ast.Constant) and isinstance(ann.value, str):
            try:
                ann = ast.parse(ann.value, mode="eval").body
            except (SyntaxError, ValueError, RecursionError, MemoryError):
                return None, dep
            continue
        canon = ctx.canonical(ann)
        tail = sqla_last(canon)
        if tail:
            return SQLA_TYPE_KINDS.get(tail), dep
        if isinstance(ann, ast.Name) and ann.id in ctx.aliases:  # SessionDep = Annotated[…]
            kind, alias_dep = ctx.aliases[ann.id]
            return kind or None, dep or alias_dep or None
        if isinstance(ann, ast.Name) and canon and ann.id in ctx.imports and (
            canon.split(".", 1)[0] not in STDLIB_HINT and ctx.uses_fastapi()
        ):  # maybe such an alias in another module: the index decides
            return "alias:" + canon, dep or "alias:" + canon
        return None, dep
    return None, dep


def _is_none(node: ast.AST) -> bool:
    return isinstance(node, ast.Constant) and node.value is None


def depends_target(ctx: FileContext, node: ast.AST | None) -> str | None:
    """The canonical name of ``x`` in ``Depends(x)`` / ``Security(x)``."""
    if isinstance(node, ast.Call) and node.args:
        canon = ctx.canonical(node.func) or ""
        if canon.rsplit(".", 1)[-1] in {"Depends", "Security"} and canon.split(".")[0] in {
            "fastapi", "starlette"
        }:
            return ctx.canonical(node.args[0])
    return None


# -- the walker -------------------------------------------------------------------------
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
                    while vt is attr_type or vt is kw_type:
                        v = v.value
                        vt = type(v)
                    if vt is name_type:
                        for h in name_hs:
                            h(v, ctx)
                    elif vt is const_type:
                        for h in const_hs:
                            h(v, ctx)
                    elif v is not None and vt is not str:
                        push(v)
        ctx.scope = module_scope
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
    scope = Scope(qn, isinstance(node, ast.AsyncFunctionDef), node, parent)
    scope.func = scope
    ctx.scope = parent
    info = _function_info(node, ctx, scope)
    scope.info = info
    ctx.funcs[qn] = info
    args = node.args
    for a in (*args.posonlyargs, *args.args, *args.kwonlyargs):
        scope.env[a.arg] = ""
    if args.vararg:
        scope.env[args.vararg.arg] = ""
    if args.kwarg:
        scope.env[args.kwarg.arg] = ""
    defaults: list[ast.expr | None] = [None] * (
        len(args.posonlyargs) + len(args.args) - len(args.defaults)
    ) + list(args.defaults)
    pairs = list(zip((*args.posonlyargs, *args.args), defaults, strict=False)) + list(
        zip(args.kwonlyargs, args.kw_defaults, strict=False)
    )
    for a, default in pairs:
        kind, dep = annotation_kind(ctx, a.annotation)
        dep = dep or depends_target(ctx, default)
        if dep:
            info["deps"].append(dep)
        if kind is None and dep:
            kind = "dep:" + dep
        scope.env[a.arg] = kind or ""
    return scope


#: a function summary's fields and their defaults (omitted from the cache when default)
FUNC_DEFAULTS: tuple[tuple[str, Any], ...] = (
    ("async", False), ("line", 0), ("route", ()), ("middleware", ()), ("cached", False),
    ("deps", ()), ("calls", ()), ("uses", ()), ("io", ()), ("ret", ()), ("gen", False),
)
_BUILTINS = frozenset(dir(builtins))


def _function_info(node: ast.FunctionDef | ast.AsyncFunctionDef, ctx: FileContext,
                   scope: Scope) -> dict[str, Any]:
    info: dict[str, Any] = {
        "async": scope.is_async,
        "line": node.lineno,
        "route": [],  # receiver kinds of route decorators
        "middleware": [],
        "cached": False,
        "deps": [],
        "calls": [],
        "uses": [],
        "io": [],  # kinds: direct sync I/O if any resolves to a sync I/O receiver
        "ret": [],
        "gen": False,
    }
    for dec in node.decorator_list:
        target = dec.func if isinstance(dec, ast.Call) else dec
        canon = ctx.canonical(target)
        if canon in _CACHE_DECORATORS:
            info["cached"] = True
        if isinstance(target, ast.Attribute):
            recv = ctx.kind_of(target.value)
            if recv and target.attr in ROUTE_METHODS:
                info["route"].append(recv)
            elif recv and target.attr == "middleware":
                info["middleware"].append(recv)
        if isinstance(dec, ast.Call):
            deps = keyword(dec, "dependencies")
            if isinstance(deps, ast.List | ast.Tuple):
                for d in deps.elts:
                    t = depends_target(ctx, d)
                    if t:
                        info["deps"].append(t)
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


def _bind(ctx: FileContext, target: ast.AST, value: ast.AST | None, kind: str | None) -> None:
    if isinstance(target, ast.Tuple | ast.List):
        for elt in target.elts:
            _bind(ctx, elt, None, None)
        return
    if not isinstance(target, ast.Name):
        return
    scope = ctx.scope
    if scope.node is None:
        ctx.symbols[target.id] = kind or ""
        if value is not None:
            ctx.sym_loc[target.id] = _loc(value)
            text = literal_text(value)
            if text is not None:
                ctx.str_consts[target.id] = text
            refs = [k for k in _refs_in(value, ctx)]
            if refs:
                ctx.sym_deps[target.id] = refs
        return
    if isinstance(scope.node, ast.ClassDef):
        return
    scope.env[target.id] = kind or ""


def _refs_in(node: ast.AST, ctx: FileContext) -> list[str]:
    out: list[str] = []
    for sub in ast.walk(node):
        if isinstance(sub, ast.Name) and isinstance(sub.ctx, ast.Load):
            canon = ctx.canonical(sub)
            if canon:
                out.append(canon)
    return out


def _on_assign(node: ast.AST, ctx: FileContext) -> None:
    if isinstance(node, ast.Assign):
        if ctx.scope.node is None and isinstance(node.value, ast.Subscript):
            alias_kind, alias_dep = annotation_kind(ctx, node.value)
            if alias_kind or alias_dep:
                for t in node.targets:
                    if isinstance(t, ast.Name):
                        ctx.aliases[t.id] = (alias_kind or "", alias_dep or "")
        kind = ctx.kind_of(node.value)
        for t in node.targets:
            _bind(ctx, t, node.value, kind)
    elif isinstance(node, ast.AnnAssign):
        kind = ctx.kind_of(node.value) if node.value is not None else None
        if kind is None:
            kind, _ = annotation_kind(ctx, node.annotation)
        _bind(ctx, node.target, node.value, kind)


def _on_with(node: ast.AST, ctx: FileContext) -> None:
    assert isinstance(node, ast.With | ast.AsyncWith)
    for item in node.items:
        if item.optional_vars is not None:
            _bind(ctx, item.optional_vars, None, ctx.kind_of(item.context_expr))


def _on_for(node: ast.AST, ctx: FileContext) -> None:
    assert isinstance(node, ast.For | ast.AsyncFor | ast.comprehension)
    _bind(ctx, node.target, None, None)


def _on_named(node: ast.AST, ctx: FileContext) -> None:
    assert isinstance(node, ast.NamedExpr)
    _bind(ctx, node.target, None, ctx.kind_of(node.value))


def _on_call(node: ast.AST, ctx: FileContext) -> None:
    assert isinstance(node, ast.Call)
    func = node.func
    canon = ctx.canonical(func)
    attr = func.attr if type(func) is ast.Attribute else None
    if canon is not None:
        if canon in _ENV_GETTERS:
            default = arg_or_keyword(node, 1, "default")
            if default is not None:
                ctx.claimed.add(id(default))
        elif canon.endswith(("FastAPI", "Starlette")):
            lifespan = keyword(node, "lifespan")
            if lifespan is not None:
                target = ctx.canonical(lifespan)
                if target:
                    ctx.lifespans.append(target)
    if node.keywords:
        deps = keyword(node, "dependencies")  # FastAPI(...), APIRouter(...), include_router(...)
        if isinstance(deps, ast.List | ast.Tuple):
            for d in deps.elts:
                t = depends_target(ctx, d)
                if t:
                    ctx.extra_deps.append(t)
    if attr is not None and attr in _ADD_ROUTE:
        endpoint = arg_or_keyword(node, 1, "endpoint")
        recv = ctx.kind_of(func.value)  # type: ignore[attr-defined]
        target = ctx.canonical(endpoint) if endpoint is not None else None
        if recv and target:
            ctx.extra_routes.append([recv, target])
    fn = ctx.scope.func
    if fn is None or fn.info is None:
        return
    info = fn.info
    if canon is not None:
        if canon in SYNC_DRIVER_CALLS:  # connecting with a sync driver is blocking I/O
            info["io"].append([DRIVER_CONN, DRIVER_CONN])
        elif canon.split(".", 1)[0] not in STDLIB_HINT:
            info["calls"].append(canon)
    if attr is None:
        return
    if attr == "dispose":
        ctx.not_uses.add(id(func.value))  # type: ignore[attr-defined]
    methods = SYNC_IO_KINDS_BY_METHOD.get(attr)
    if methods:
        base = ctx.kind_of(func.value)  # type: ignore[attr-defined]
        if base and (
            base in methods
            or (is_symbolic(base) and base.split(":")[-1].split(".")[0] not in STDLIB_HINT)
        ):
            info["io"].append([base, *sorted(methods)])
    if attr in {"create_all", "drop_all"}:
        kind = ctx.kind_of(arg_or_keyword(node, 0, "bind"))
        if kind:
            info["io"].append([kind, SYNC_ENGINE, SYNC_CONN])


def _on_name(node: ast.AST, ctx: FileContext) -> None:
    fn = ctx.scope.func
    if fn is not None and type(node.ctx) is ast.Load and id(node) not in ctx.not_uses:  # type: ignore[attr-defined]
        fn.names.add(node.id)  # type: ignore[attr-defined]


def _on_return(node: ast.AST, ctx: FileContext) -> None:
    assert isinstance(node, ast.Return | ast.Yield | ast.YieldFrom)
    fn = ctx.function
    if fn is None or fn.info is None:
        return
    if not isinstance(node, ast.Return):
        fn.info["gen"] = True
    kind = ctx.kind_of(node.value)
    if kind:
        fn.info["ret"].append(kind)


def _on_class(node: ast.AST, ctx: FileContext) -> None:
    assert isinstance(node, ast.ClassDef)
    bases = [ctx.canonical(b) for b in node.bases]
    if not any(b in _SETTINGS_BASES or (b and b.rsplit(".", 1)[-1] in ctx.settings_classes)
               for b in bases):
        return
    ctx.settings_classes.add(node.name)
    for stmt in node.body:
        value = stmt.value if isinstance(stmt, ast.AnnAssign | ast.Assign) else None
        if value is None:
            continue
        for default in settings_defaults(value, ctx):
            ctx.claimed.add(id(default))


def settings_defaults(value: ast.AST, ctx: FileContext) -> list[ast.AST]:
    """The literal default(s) of a settings field value (``"x"``, ``Field("x")``,
    ``Field(default="x")``, ``SecretStr("x")``)."""
    if isinstance(value, ast.Constant | ast.JoinedStr):
        return [value]
    if isinstance(value, ast.Call):
        name = (ctx.canonical(value.func) or "").rsplit(".", 1)[-1]
        if name in {"Field", "SecretStr", "PostgresDsn", "AnyUrl"}:
            d = arg_or_keyword(value, 0, "default")
            return settings_defaults(d, ctx) if d is not None else []
    return []


def settings_fields(node: ast.ClassDef) -> list[tuple[str, ast.AST]]:
    out: list[tuple[str, ast.AST]] = []
    for stmt in node.body:
        if isinstance(stmt, ast.AnnAssign) and isinstance(stmt.target, ast.Name) and stmt.value:
            out.append((stmt.target.id, stmt.value))
        elif isinstance(stmt, ast.Assign) and len(stmt.targets) == 1 and isinstance(
            stmt.targets[0], ast.Name
        ):
            out.append((stmt.targets[0].id, stmt.value))
    return out


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
    ast.Return: _on_return,
    ast.Yield: _on_return,
    ast.YieldFrom: _on_return,
    ast.ClassDef: _on_class,
}

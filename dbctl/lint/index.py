"""The project index: what the file summaries say about each other.

Built from every file's summary (cached or fresh) on every run, so cross-module answers
stay right when only one file changed. It resolves symbolic kinds (``ref:app.db.engine``)
to concrete ones, knows which functions are routes, dependencies, middleware and
lifespan handlers, which sync functions do database I/O (transitively) and which are
reached from ``async def`` code. Everything is computed lazily: a tree without async
code or SQLAlchemy pays almost nothing.
"""

from __future__ import annotations

from functools import cached_property
from typing import Any

from dbctl.lint.context import (
    APP_KINDS,
    CALL_RESULT,
    DRIVER_CONN,
    DRIVER_CURSOR,
    DRIVER_POOL,
    FUNC_DEFAULTS,
    METHOD_RESULT,
    SYNC_CONN,
    SYNC_ENGINE,
    SYNC_FACTORY,
    SYNC_SCOPED,
    SYNC_SESSION,
)

_MAX_DEPTH = 16
#: kinds through which a sync engine or driver connection reaches its users
_SYNC_DERIVED = frozenset(
    {SYNC_ENGINE, SYNC_FACTORY, SYNC_SESSION, SYNC_CONN, SYNC_SCOPED, DRIVER_CONN,
     DRIVER_CURSOR, DRIVER_POOL}
)
Summary = dict[str, Any]


class ProjectIndex:
    def __init__(self, summaries: list[Summary]) -> None:
        self.modules: dict[str, Summary] = {}
        for s in summaries:
            if "module" in s and "funcs" in s:
                self.modules.setdefault(s["module"], s)
        self.suffix: dict[str, list[str]] = {}
        for name in self.modules:
            parts = name.split(".")
            for i in range(len(parts)):
                self.suffix.setdefault(".".join(parts[i:]), []).append(name)
        self._funcs: dict[str, tuple[str, dict[str, Any]]] = {}  # filled on demand
        self._norm: dict[tuple[str, str], tuple[str, str] | None] = {}
        self._sync_io: dict[str, bool] = {}
        self._resolved: dict[tuple[str, str], str | None] = {}

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
        """The key (``module.qualname``) of a project function, following re-exports
        (and ``alias:X``, a dependency named through ``X = Annotated[T, Depends(f)]``)."""
        if qn.startswith("alias:"):
            return self._alias_dep(qn[6:], from_module, depth)
        n = self.normalize(qn, from_module)
        if n is None or depth > _MAX_DEPTH:
            return None
        mod, local = n
        s = self.modules[mod]
        if local in s["funcs"]:
            return self._key(mod, local)
        target = s["imports"].get(local)
        if target and target != qn:
            return self.func(target, mod, depth + 1)
        return None

    def _alias_dep(self, qn: str, from_module: str, depth: int) -> str | None:
        n = self.normalize(qn, from_module)
        if n is None or depth > _MAX_DEPTH:
            return None
        mod, local = n
        s = self.modules[mod]
        alias = s.get("aliases", {}).get(local)
        if alias:
            return self.func(alias[1], mod, depth + 1) if alias[1] else None
        target = s["imports"].get(local)
        return self._alias_dep(target, mod, depth + 1) if target and target != qn else None

    def _key(self, mod: str, local: str) -> str:
        """The key of function ``local`` of ``mod``; its summary gets its defaults back
        (the cache omits them)."""
        key = f"{mod}.{local}"
        if key not in self._funcs:
            info = self.modules[mod]["funcs"][local]
            for field, default in FUNC_DEFAULTS:
                if field not in info:
                    info[field] = default
            self._funcs[key] = (mod, info)
        return key

    def info(self, key: str) -> tuple[str, dict[str, Any]]:
        """(module, function summary) of a function key."""
        return self._funcs[key]

    # -- kinds ---------------------------------------------------------------------------
    def resolve(self, kind: str | None, from_module: str, depth: int = 0) -> str | None:
        """The concrete kind of a (possibly symbolic) kind, memoised; cycles give None."""
        if not kind or depth > _MAX_DEPTH:
            return None
        if ":" not in kind:
            return kind
        key = (kind, from_module)
        if key in self._resolved:
            return self._resolved[key]
        self._resolved[key] = None  # cycle guard
        result = self._resolve(kind, from_module, depth)
        self._resolved[key] = result
        return result

    def _resolve(self, kind: str, from_module: str, depth: int) -> str | None:
        tag, rest = kind.split(":", 1)
        if tag == "ref":  # a module-level name
            return self._ref_kind(rest, from_module, depth)
        if tag == "call":
            if rest.startswith("ref:"):
                key = self.func(rest[4:], from_module)
                if key is not None:
                    return self._ret_kind(key, depth)
            base = self.resolve(rest, from_module, depth + 1)
            return CALL_RESULT.get(base) if base else None
        if tag == "alias":
            n = self.normalize(rest, from_module)
            if n is None:
                return None
            mod, local = n
            s = self.modules[mod]
            alias = s.get("aliases", {}).get(local)
            if alias:
                kind_, dep = alias
                return self.resolve(kind_ or (f"dep:{dep}" if dep else ""), mod, depth + 1)
            target = s["imports"].get(local)
            return self.resolve(f"alias:{target}", mod, depth + 1) if target else None
        if tag in {"ret", "dep"}:
            key = self.func(rest, from_module)
            return self._ret_kind(key, depth) if key else None
        if tag == "meth":
            method, _, base_kind = rest.partition(":")
            base = self.resolve(base_kind, from_module, depth + 1)
            if base:
                return METHOD_RESULT.get((base, method))
            if base_kind.startswith("ref:"):  # module.function(...) or module.factory(...)
                return self.resolve(f"call:{base_kind}.{method}", from_module, depth + 1)
            return None
        return None

    def _ref_kind(self, qn: str, from_module: str, depth: int) -> str | None:
        n = self.normalize(qn, from_module)
        if n is None:
            return None
        mod, local = n
        s = self.modules[mod]
        if local in s["symbols"]:
            k = s["symbols"][local]
            return self.resolve(k, mod, depth + 1) if k else None
        target = s["imports"].get(local)
        if target and target != qn:
            return self.resolve("ref:" + target, mod, depth + 1)
        return None

    def _ret_kind(self, key: str, depth: int) -> str | None:
        mod, info = self.info(key)
        for k in info["ret"]:
            r = self.resolve(k, mod, depth + 1)
            if r:
                return r
        return None

    # -- roles ---------------------------------------------------------------------------
    @cached_property
    def routes(self) -> set[str]:
        out = self._decorated("route")
        for mod, s in self.modules.items():
            for recv, target in s.get("extra_routes", ()):
                key = self.func(target, mod)
                if key and self.resolve(recv, mod) in APP_KINDS:
                    out.add(key)
        return out

    @cached_property
    def middleware(self) -> set[str]:
        return self._decorated("middleware")

    def _decorated(self, field: str) -> set[str]:
        out: set[str] = set()
        for mod, s in self.modules.items():
            for local, info in s["funcs"].items():
                if any(self.resolve(k, mod) in APP_KINDS for k in info.get(field, ())):
                    out.add(self._key(mod, local))
        return out

    @cached_property
    def dependencies(self) -> set[str]:
        out: set[str] = set()
        for mod, s in self.modules.items():
            for info in s["funcs"].values():
                for dep in info.get("deps", ()):
                    key = self.func(dep, mod)
                    if key:
                        out.add(key)
            for dep in s.get("extra_deps", ()):
                key = self.func(dep, mod)
                if key:
                    out.add(key)
        return out

    @cached_property
    def lifespans(self) -> set[str]:
        out: set[str] = set()
        for mod, s in self.modules.items():
            for target in s.get("lifespans", ()):
                key = self.func(target, mod)
                if key:
                    out.add(key)
        return out

    @cached_property
    def handlers(self) -> set[str]:
        return self.routes | self.dependencies | self.middleware | self.lifespans

    def _app_modules(self) -> list[tuple[str, Summary]]:
        return [(m, s) for m, s in self.modules.items() if not s["test"] and not s["alembic"]]

    @cached_property
    def async_reached(self) -> dict[str, str]:
        """Sync project functions reached from ``async def`` code -> the async caller."""
        reached: dict[str, str] = {}
        todo: list[str] = []
        for mod, s in self._app_modules():
            for local, info in s["funcs"].items():
                if not info.get("async"):
                    continue
                for qn in (*info.get("calls", ()), *info.get("deps", ())):
                    key = self.func(qn, mod)
                    if key and key not in reached and not self.info(key)[1]["async"]:
                        reached[key] = self._key(mod, local)
                        todo.append(key)
        while todo:
            key = todo.pop()
            mod, info = self.info(key)
            for qn in info["calls"]:
                callee = self.func(qn, mod)
                if callee and callee not in reached and not self.info(callee)[1]["async"]:
                    reached[callee] = reached[key]
                    todo.append(callee)
        return reached

    def sync_io(self, key: str) -> bool:
        """Does the sync function ``key`` do database I/O, itself or through callees?"""
        if key in self._sync_io:
            return self._sync_io[key]
        self._sync_io[key] = False  # cycle guard
        mod, info = self.info(key)
        result = False
        if not info["async"]:
            for io in info["io"]:
                if self.resolve(io[0], mod) in io[1:]:
                    result = True
                    break
            if not result:
                for qn in info["calls"]:
                    callee = self.func(qn, mod)
                    if callee and callee != key and self.sync_io(callee):
                        result = True
                        break
        self._sync_io[key] = result
        return result

    # -- deferred conditions -------------------------------------------------------------
    def holds(self, cond: list[str], module: str) -> bool:
        tag = cond[0]
        if tag == "kind_in":
            return self.resolve(cond[1], module) in cond[2:]
        key = self.func(cond[1], module)
        if key is None:
            return False
        if tag == "sync_io":
            return not self.info(key)[1]["async"] and self.sync_io(key)
        if tag == "handler":
            return key in self.handlers
        if tag == "dependency":
            return key in self.dependencies
        if tag == "not_gen":
            return not self.info(key)[1]["gen"]
        if tag == "async_reached":
            return key in self.async_reached
        return False

    # -- DBC102 --------------------------------------------------------------------------
    def sync_engines_reaching_async(
        self, roots: frozenset[str] = frozenset({SYNC_ENGINE})
    ) -> list[tuple[str, list[int], str, str]]:
        """(module, location, name, async user key) for each module-level sync engine
        (or other resource of a kind in ``roots``, e.g. a sync driver connection) whose
        engine/factories/sessions/connections are used by async code."""
        engines = [
            (mod, name)
            for mod, s in self._app_modules()
            for name, kind in s["symbols"].items()
            # created here (directly or by a project function), not an alias of another
            if name in s["sym_loc"] and not kind.startswith("ref:")
            and self.resolve(kind, mod) in roots
        ]
        if not engines:
            return []
        out: list[tuple[str, list[int], str, str]] = []
        users = self._async_users()
        for mod, name in engines:
            derived = {(mod, name)}
            changed = True
            while changed:
                changed = False
                for m2, s in self._app_modules():
                    for sym, deps in s["sym_deps"].items():
                        if (m2, sym) in derived:
                            continue
                        if any(self.normalize(d, m2) in derived for d in deps) and self.resolve(
                            s["symbols"].get(sym), m2
                        ) in _SYNC_DERIVED:
                            derived.add((m2, sym))
                            changed = True
            for key, uses in users:
                if uses & derived:
                    out.append((mod, self.modules[mod]["sym_loc"][name], name, key))
                    break
        return out

    def _async_users(self) -> list[tuple[str, set[tuple[str, str]]]]:
        reached = self.async_reached
        out: list[tuple[str, set[tuple[str, str]]]] = []
        for mod, s in self._app_modules():
            for local, info in s["funcs"].items():
                key = f"{mod}.{local}"
                if not info.get("async") and key not in reached:
                    continue
                key = self._key(mod, local)
                uses = {n for u in info["uses"] if (n := self.normalize(u, mod)) is not None}
                out.append((key, uses))
        out.sort(key=lambda item: (not self.info(item[0])[1]["async"], item[0]))
        return out


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

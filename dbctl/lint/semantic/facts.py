"""What one file tells the project index: its module-level bindings and its functions.

:class:`ModuleFacts` is built by the walk of one file, stored in the lint cache as JSON
(:meth:`ModuleFacts.to_json`, defaults omitted) and read back by the project index
(:meth:`ModuleFacts.from_json`, only for the modules it needs).
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from dbctl.lint.semantic.conditions import Args
from dbctl.lint.semantic.kinds import Attr, Kind, Ref, Res, decode, encode


@dataclass(frozen=True, slots=True)
class BlockingCall:
    """A call in a function that blocks if its receiver's kind resolves to one of
    ``blocking_on``."""

    receiver: Kind
    blocking_on: frozenset[Res]


#: a parameter a caller may leave out (its default is ``None`` or falsy): its name and its
#: position as a caller passes it (``-1``: keyword-only)
OptParam = tuple[str, int]
#: the lists of :class:`FuncFacts` whose calls :attr:`FuncFacts.sites` describes
SITED_FIELDS = ("calls", "mcalls", "vcalls")
#: the most different calls of one callee :attr:`FuncFacts.sites` keeps
MAX_SITES = 8
#: the lists of :class:`FuncFacts` whose entries may be gated (:attr:`FuncFacts.gated`)
GATED_FIELDS = ("calls", "mcalls", "vcalls", "io")


@dataclass(slots=True)
class FuncFacts:
    """A function (``def`` or ``async def``) as the index sees it."""

    is_async: bool = False
    line: int = 0
    #: receiver kinds of its route decorators (``@router.get``) / middleware decorators
    route: list[Kind] = field(default_factory=list)
    middleware: list[Kind] = field(default_factory=list)
    cached: bool = False  # functools.lru_cache / cache
    #: dependencies it declares (``Depends(f)``): canonical names, and names that may be
    #: dependency aliases (``SessionDep``) defined in another module
    deps: list[str] = field(default_factory=list)
    alias_deps: list[str] = field(default_factory=list)
    calls: list[str] = field(default_factory=list)  # canonical names it calls
    #: methods it calls on values of known kind (``repo.list_users()``): (receiver, name)
    method_calls: list[tuple[Kind, str]] = field(default_factory=list)
    #: values of symbolic kind it calls (``make_check(x)(request)``, a callback parameter)
    value_calls: list[Kind] = field(default_factory=list)
    uses: list[str] = field(default_factory=list)  # module-level names it loads (canonical)
    io: list[BlockingCall] = field(default_factory=list)
    ret: list[Kind] = field(default_factory=list)  # kinds it returns or yields
    gen: bool = False  # a generator (yields)
    returns: Kind | None = None  # the kind its return annotation names
    #: a return annotation ``tuple[A, B]``: the kinds of its elements (``None``: unknown)
    items: list[Kind | None] = field(default_factory=list)
    #: parameters it checks with ``if not isinstance(p, C): raise`` at its top level:
    #: position (as a caller passes it) -> the kind of C
    guards: dict[int, Kind] = field(default_factory=dict)
    prop: bool = False  # a ``@property`` / ``cached_property`` getter: reading it calls it
    #: abstract: ``@abstractmethod``, or a body that is only a docstring, ``pass``, ``...``
    #: or ``raise NotImplementedError`` (the subclasses' overrides are what runs)
    abstract: bool = False
    #: attributes it reads on values of symbolic kind (``Config().store``,
    #: ``self.engine``): (owner, name); a read of a property runs its getter
    reads: list[tuple[Kind, str]] = field(default_factory=list)
    #: ``reads`` as the cache stores them: decoded only for names that are properties
    raw_reads: list[Any] = field(default_factory=list)
    #: entries of ``calls``, ``method_calls``, ``value_calls`` or ``io`` that run only when
    #: every one of some optional parameters is truthy (each of their occurrences is under
    #: ``if db:`` / ``if db is not None:``, or after ``if db is None: return``, with
    #: ``db=None`` the default, ``False`` for ``if db:``, and never reassigned): (field as
    #: in :data:`GATED_FIELDS`, the entry, the parameters). A call that passes none of
    #: them never runs the entry.
    gated: list[tuple[str, Any, tuple[OptParam, ...]]] = field(default_factory=list)
    #: entries of ``calls``, ``method_calls`` or ``value_calls`` each of whose
    #: occurrences is a call of it (not a callable handed on): field -> the entry -> what
    #: each call passes (deduplicated, at most :data:`MAX_SITES`); and the optional
    #: parameters (default ``None``, never rebound) the function passes on at them
    sites: dict[str, dict[Any, tuple[Args, ...]]] = field(default_factory=dict)
    #: ``sites`` as the cache stores them (field -> text): read on first need
    raw_sites: dict[str, str] = field(default_factory=dict)
    forwards: tuple[OptParam, ...] = ()
    #: a method's lazily built members (``if self.x is None [and …]: … self.x = …``):
    #: member -> the calls that run only while it is unset (the guard's other conditions
    #: and its body; kept out of the fields above)
    lazy: dict[str, FuncFacts] = field(default_factory=dict)
    #: the lazily built members (of any method of its module) a method assigns on
    #: ``self`` a value that may be set (not ``None``, a falsy constant, an empty
    #: container or a parameter that defaults to ``None``)
    sets: list[str] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {}
        if self.is_async:
            out["async"] = True
        if self.line:
            out["line"] = self.line
        if self.route:
            out["route"] = [encode(k) for k in self.route]
        if self.middleware:
            out["middleware"] = [encode(k) for k in self.middleware]
        if self.cached:
            out["cached"] = True
        for name in ("deps", "alias_deps", "calls", "uses"):
            value = getattr(self, name)
            if value:
                out[name] = value
        if self.io:
            out["io"] = [_encode_entry("io", b) for b in self.io]
        if self.ret:
            out["ret"] = [encode(k) for k in self.ret]
        if self.gen:
            out["gen"] = True
        if self.method_calls:
            out["mcalls"] = [[encode(k), name] for k, name in self.method_calls]
        if self.value_calls:
            out["vcalls"] = [encode(k) for k in self.value_calls]
        if self.returns is not None:
            out["returns"] = encode(self.returns)
        if self.items:
            out["items"] = [encode(k) for k in self.items]
        if self.guards:
            out["guards"] = [[p, encode(k)] for p, k in self.guards.items()]
        if self.prop:
            out["prop"] = True
        if self.abstract:
            out["abstract"] = True
        if self.reads:
            out["reads"] = [[encode(k), name] for k, name in self.reads]
        if self.gated:
            out["gated"] = [[f, _encode_entry(f, e), [list(p) for p in ps]]
                            for f, e, ps in self.gated]
        for f, text in self.raw_sites.items():
            out["s" + f] = text
        for f, sited in self.sites.items():  # a line per entry of the field ("-": none)
            out["s" + f] = "\n".join(
                "|".join(a.encode() for a in args) if (args := sited.get(e)) else "-"
                for e in self._entries(f)
            )
        if self.forwards:
            out["fwd"] = [list(p) for p in self.forwards]
        if self.lazy:
            out["lazy"] = {m: f.to_json() for m, f in self.lazy.items()}
        if self.sets:
            out["sets"] = self.sets
        return out

    def gate(self, hits: list[tuple[str, int, frozenset[OptParam]]]) -> None:
        """Set :attr:`gated` from the entries appended under tests of optional parameters:
        (field, index in that list, the parameters tested). An entry is gated when each
        of its occurrences is, by the parameters all of them test. Before the lists are
        deduplicated."""
        by_field: dict[str, dict[int, frozenset[OptParam]]] = {}
        for f, index, params in hits:
            by_field.setdefault(f, {})[index] = params
        for f, indices in by_field.items():
            entries = self._entries(f)
            common: dict[Any, frozenset[OptParam] | None] = {}
            for i, entry in enumerate(entries):
                hit = indices.get(i)
                if entry not in common:
                    common[entry] = hit
                elif (prior := common[entry]) is not None:
                    common[entry] = prior & hit if hit is not None else None
            seen: set[Any] = set()
            for entry in entries:
                gate = common.get(entry)
                if gate and entry not in seen:
                    seen.add(entry)
                    self.gated.append((f, entry, tuple(sorted(gate))))

    def site(self, hits: dict[str, dict[int, Args]]) -> None:
        """Set :attr:`sites` from what the calls of this function pass: field -> index in
        that list -> the call's arguments. An entry some occurrence of which is not a
        call (or with more than :data:`MAX_SITES` different calls) gets none. Before the
        lists are deduplicated."""
        for f, indices in hits.items():
            found: dict[Any, dict[Args, None] | None] = {}
            for i, entry in enumerate(self._entries(f)):
                args = indices.get(i)
                known = found.get(entry, {})
                if args is None or known is None:
                    found[entry] = None
                else:
                    known[args] = None
                    found[entry] = known if len(known) <= MAX_SITES else None
            sited = {e: tuple(a) for e, a in found.items() if a}
            if sited:
                self.sites[f] = sited

    def sites_of(self, f: str) -> dict[Any, tuple[Args, ...]]:
        """:attr:`sites` of the field ``f`` (read from the cache's text on first need)."""
        text = self.raw_sites.pop(f, None)
        if text is not None:
            self._read_sites(f, text)
        return self.sites.get(f) or {}

    def _read_sites(self, f: str, text: str) -> None:
        lines = text.split("\n")
        entries = self._entries(f)
        if len(lines) != len(entries):
            return  # an entry unreadable: which call is which is not known
        sited = self.sites[f] = {}
        for entry, line in zip(entries, lines, strict=True):
            if line != "-":
                texts = line.split("|")
                args = tuple(a for a in map(Args.decode, texts) if a is not None)
                if len(args) == len(texts):
                    sited[entry] = args

    def _entries(self, f: str) -> list[Any]:
        if f == "calls":
            return self.calls
        if f == "mcalls":
            return self.method_calls
        if f == "vcalls":
            return self.value_calls
        return self.io

    def without(self, omitted: set[str] | frozenset[str]) -> FuncFacts:
        """These facts as a call that leaves out the optional parameters ``omitted`` sees
        them: without the entries gated by one of them."""
        drop: dict[str, set[Any]] = {}
        for f, entry, params in self.gated:
            if any(name in omitted for name, _ in params):
                drop.setdefault(f, set()).add(entry)
        if not drop:
            return self

        for f in SITED_FIELDS:  # read while the lists are those the text describes
            self.sites_of(f)

        def kept(f: str) -> list[Any]:
            gone = drop.get(f, set())
            return [e for e in self._entries(f) if e not in gone]

        return replace(self, calls=kept("calls"), method_calls=kept("mcalls"),
                       value_calls=kept("vcalls"), io=kept("io"), gated=[])

    def reads_of(self, names: frozenset[str] | set[str]) -> list[tuple[Kind, str]]:
        """The attribute reads whose name is one of ``names`` (the project's properties)."""
        if self.reads:
            return [(k, n) for k, n in self.reads if n in names]
        return _pairs([item for item in self.raw_reads if item[1] in names])

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> FuncFacts:
        f = cls(is_async=bool(data.get("async")), line=int(data.get("line", 0)),
                cached=bool(data.get("cached")), gen=bool(data.get("gen")),
                prop=bool(data.get("prop")), abstract=bool(data.get("abstract")))
        f.route = _kinds(data.get("route"))
        f.middleware = _kinds(data.get("middleware"))
        f.deps = list(data.get("deps", ()))
        f.alias_deps = list(data.get("alias_deps", ()))
        f.calls = list(data.get("calls", ()))
        f.uses = list(data.get("uses", ()))
        for item in data.get("io", ()):
            io = _decode_entry("io", item)
            if io is not None:
                f.io.append(io)
        f.ret = _kinds(data.get("ret"))
        f.method_calls = _pairs(data.get("mcalls"))
        f.raw_reads = data.get("reads") or []
        f.value_calls = _kinds(data.get("vcalls"))
        f.returns = decode(data.get("returns"))
        f.items = [decode(k) for k in data.get("items", ())]
        for p, k in data.get("guards", ()):
            kind = decode(k)
            if kind is not None:
                f.guards[int(p)] = kind
        for name, e, ps in data.get("gated", ()):
            entry = _decode_entry(name, e)
            if entry is not None:
                f.gated.append((name, entry, tuple((str(p), int(i)) for p, i in ps)))
        for name in SITED_FIELDS:
            text = data.get("s" + name)
            if text:
                f.raw_sites[name] = str(text)
        f.forwards = tuple((str(p), int(i)) for p, i in data.get("fwd", ()))
        f.lazy = {m: cls.from_json(d) for m, d in data.get("lazy", {}).items()}
        f.sets = list(data.get("sets", ()))
        return f


def _encode_entry(f: str, entry: Any) -> Any:
    if f == "calls":
        return entry
    if f == "mcalls":
        return [encode(entry[0]), entry[1]]
    if f == "vcalls":
        return encode(entry)
    return [encode(entry.receiver), *sorted(entry.blocking_on)]


def _decode_entry(f: str, data: Any) -> Any:
    """The entry of a field's JSON form (``None`` when unreadable)."""
    if f == "calls":
        return data if isinstance(data, str) else None
    if f == "vcalls":
        return decode(data)
    if not isinstance(data, list) or not data:
        return None
    kind = decode(data[0])
    if kind is None:
        return None
    if f == "mcalls":
        return (kind, data[1]) if len(data) == 2 else None
    if f == "io":
        return BlockingCall(kind, frozenset(Res(r) for r in data[1:]))
    return None


class LazyFuncs(Mapping[str, FuncFacts]):
    """A module's functions read back from the cache, each decoded when first asked for
    (most are never needed); :attr:`raw` answers cheap questions without decoding."""

    def __init__(self, raw: dict[str, dict[str, Any]]) -> None:
        self.raw = raw
        self._decoded: dict[str, FuncFacts] = {}

    def __getitem__(self, local: str) -> FuncFacts:
        f = self._decoded.get(local)
        if f is None:
            f = self._decoded[local] = FuncFacts.from_json(self.raw[local])
        return f

    def __iter__(self) -> Iterator[str]:
        return iter(self.raw)

    def __len__(self) -> int:
        return len(self.raw)

    def __contains__(self, local: object) -> bool:
        return local in self.raw


def _pairs(items: Any) -> list[tuple[Kind, str]]:
    out: list[tuple[Kind, str]] = []
    for k, name in items or ():
        kind = decode(k)
        if kind is not None:
            out.append((kind, name))
    return out


def _kinds(items: Any) -> list[Kind]:
    out: list[Kind] = []
    for item in items or ():
        kind = decode(item)
        if kind is not None:
            out.append(kind)
    return out


@dataclass(slots=True)
class ModuleFacts:
    """One module's bindings and functions."""

    module: str
    imports: dict[str, str] = field(default_factory=dict)  # local name -> canonical
    #: module-level names -> kind (``None``: bound, kind unknown)
    symbols: dict[str, Kind | None] = field(default_factory=dict)
    #: where each module-level name with a kind is bound, and the names its value reads
    sym_loc: dict[str, list[int]] = field(default_factory=dict)
    sym_deps: dict[str, list[str]] = field(default_factory=dict)
    funcs: Mapping[str, FuncFacts] = field(default_factory=dict)  # local qualname -> facts
    #: the functions' JSON (read back from the cache): cheap questions without decoding
    raw_funcs: dict[str, dict[str, Any]] = field(default_factory=dict)
    lifespans: list[str] = field(default_factory=list)  # FastAPI(lifespan=...) targets
    #: ``X = Annotated[T, Depends(f)]``: X -> (kind of T, canonical of f or "")
    aliases: dict[str, tuple[Kind | None, str]] = field(default_factory=dict)
    extra_deps: list[str] = field(default_factory=list)  # FastAPI(dependencies=[...])
    extra_routes: list[tuple[Kind, str]] = field(default_factory=list)  # add_api_route
    classes: dict[str, list[str]] = field(default_factory=dict)  # local qualname -> bases
    #: ``self.pool = …`` in a method of a class of this module: class -> attr -> kinds
    class_members: dict[str, dict[str, list[Kind]]] = field(default_factory=dict)
    #: other attribute assignments (``request.state.db = …``, ``app.state.pool = …``):
    #: (owner kind, attribute, value kind)
    members: list[tuple[Kind, str, Kind]] = field(default_factory=list)
    #: arguments of known kind passed to project callables, for :class:`~.kinds.Param`:
    #: (callee: ``Ref`` of a name or ``Attr`` of a receiver, [(position or -1, keyword
    #: or "", argument kind)]). Cached by the callee's last name, each call as one JSON
    #: string: the index decodes only the calls of the functions it asks about.
    flows: list[tuple[Kind, list[tuple[int, str, Kind]]]] = field(default_factory=list)
    #: module-level dicts written out (``HANDLERS = {"a": f, "b": g}``): name -> the
    #: kinds of their values (``HANDLERS[k]`` / ``HANDLERS.get(k)`` is any of them)
    elements: dict[str, list[Kind]] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"imports": self.imports}
        out["symbols"] = {k: encode(v) for k, v in self.symbols.items()}
        with_kind = {k for k, v in self.symbols.items() if v is not None}
        if self.sym_loc:
            out["sym_loc"] = {k: v for k, v in self.sym_loc.items() if k in with_kind}
        if self.sym_deps:
            out["sym_deps"] = {k: v for k, v in self.sym_deps.items() if k in with_kind}
        out["funcs"] = {k: f.to_json() for k, f in self.funcs.items()}
        if self.lifespans:
            out["lifespans"] = self.lifespans
        if self.aliases:
            out["aliases"] = {k: [encode(kind), dep] for k, (kind, dep) in self.aliases.items()}
        if self.extra_deps:
            out["extra_deps"] = self.extra_deps
        if self.extra_routes:
            out["extra_routes"] = [[encode(k), t] for k, t in self.extra_routes]
        if self.classes:
            out["classes"] = self.classes
        if self.class_members:
            out["class_members"] = {
                c: {a: [encode(k) for k in ks] for a, ks in attrs.items()}
                for c, attrs in self.class_members.items()
            }
        if self.members:
            out["members"] = encode_members(self.members)
        if self.flows:
            out["flows"] = encode_flows(self.flows)
        if self.elements:
            out["elements"] = {k: [encode(v) for v in vs] for k, vs in self.elements.items()}
        return out

    @classmethod
    def from_json(cls, module: str, data: dict[str, Any]) -> ModuleFacts:
        m = cls(module, imports=dict(data.get("imports", {})))
        m.symbols = {k: decode(v) for k, v in data.get("symbols", {}).items()}
        m.sym_loc = dict(data.get("sym_loc", {}))
        m.sym_deps = dict(data.get("sym_deps", {}))
        m.raw_funcs = data.get("funcs", {})
        m.funcs = LazyFuncs(m.raw_funcs)
        m.lifespans = list(data.get("lifespans", ()))
        m.aliases = {k: (decode(v[0]), v[1]) for k, v in data.get("aliases", {}).items()}
        m.extra_deps = list(data.get("extra_deps", ()))
        for k, t in data.get("extra_routes", ()):
            kind = decode(k)
            if kind is not None:
                m.extra_routes.append((kind, t))
        m.classes = dict(data.get("classes", {}))
        for c, attrs in data.get("class_members", {}).items():
            m.class_members[c] = {a: _kinds(ks) for a, ks in attrs.items()}
        m.members = decode_members(data.get("members", ()))
        m.elements = {k: _kinds(vs) for k, vs in data.get("elements", {}).items()}
        return m


def callee_name(callee: Kind) -> str | None:
    """The last name of a callee (``f`` of ``pkg.mod.f``, ``m`` of ``obj.m``)."""
    if isinstance(callee, Ref):
        return callee.qualname.rsplit(".", 1)[-1]
    if isinstance(callee, Attr):
        return callee.name
    return None


def encode_flows(flows: list[tuple[Kind, list[tuple[int, str, Kind]]]]) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for callee, args in flows:
        name = callee_name(callee)
        if name is not None:
            data = [encode(callee), [[p, kw, encode(k)] for p, kw, k in args]]
            out.setdefault(name, []).append(json.dumps(data, separators=(",", ":")))
    return out


def decode_flow(text: str) -> tuple[Kind, list[tuple[int, str, Kind]]] | None:
    """One call of :func:`encode_flows` (``None`` when unreadable)."""
    try:
        callee_data, args_data = json.loads(text)
        callee = decode(callee_data)
        if callee is None:
            return None
        args: list[tuple[int, str, Kind]] = []
        for p, kw, k in args_data:
            kind = decode(k)
            if kind is not None:
                args.append((int(p), str(kw), kind))
    except (ValueError, TypeError):
        return None
    return callee, args


def encode_members(members: list[tuple[Kind, str, Kind]]) -> list[list[Any]]:
    return [[encode(o), a, encode(k)] for o, a, k in members]


def decode_members(data: Any) -> list[tuple[Kind, str, Kind]]:
    out: list[tuple[Kind, str, Kind]] = []
    for o, a, k in data:
        owner, kind = decode(o), decode(k)
        if owner is not None and kind is not None:
            out.append((owner, a, kind))
    return out

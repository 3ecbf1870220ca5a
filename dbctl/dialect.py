"""How the app reads its URL: SQLAlchemy's asyncpg dialect rules, without SQLAlchemy.

``create_async_engine(url)`` parses the URL (``sqlalchemy.engine.url.make_url``), turns it
into connect arguments (``PGDialect_asyncpg.create_connect_args``: the URL's parts, every
query parameter as a string, multi-host forms) and hands them to the DBAPI adapter, which
takes its own parameters (``prepared_statement_cache_size``…) and passes the rest to
``asyncpg.connect``. This module repeats those rules so that ``dbctl check`` connects
exactly as the app does while importing asyncpg only (SQLAlchemy costs ~150 ms of start-up).
``tests/test_dialect.py`` proves the equivalence against the real dialect over a corpus
of URLs and hypothesis-generated ones.

:func:`start_failures` then says which of those arguments make ``asyncpg.connect`` fail
before it sends a byte — the app would fail at start with them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl, unquote

#: sqlalchemy.engine.url._parse_url's pattern, verbatim (SQLAlchemy 2.0 and 2.1).
_URL_PATTERN = re.compile(
    r"""
        (?P<name>[\w\+]+)://
        (?:
            (?P<username>[^:/]*)
            (?::(?P<password>[^@]*))?
        @)?
        (?:
            (?:
                \[(?P<ipv6host>[^/\?]+)\] |
                (?P<ipv4host>[^/:\?]+)
            )?
            (?::(?P<port>[^/\?]*))?
        )?
        (?:/(?P<database>[^\?]*))?
        (?:\?(?P<query>.*))?
        """,
    re.X,
)
#: PGDialect._split_multihost_from_url: ``?host=h:p`` as one host and port.
_HOST_PORT = re.compile(r"^([a-zA-Z0-9\-\.]*)(?:\:(\d*))?$")
#: Keyword arguments the DBAPI adapter takes for itself (never reach asyncpg.connect).
ADAPTER_KWARGS = frozenset(
    {"prepared_statement_cache_size", "prepared_statement_name_func", "async_creator_fn"}
)
#: The keyword arguments of ``asyncpg.connect`` (0.29+; ``service``/``servicefile`` 0.30+).
ASYNCPG_KWARGS = frozenset(
    {
        "dsn",
        "host",
        "port",
        "user",
        "password",
        "passfile",
        "service",
        "servicefile",
        "database",
        "loop",
        "timeout",
        "statement_cache_size",
        "max_cached_statement_lifetime",
        "max_cacheable_statement_size",
        "command_timeout",
        "ssl",
        "direct_tls",
        "connection_class",
        "record_class",
        "server_settings",
        "target_session_attrs",
        "krbsrvname",
        "gsslib",
    }
)
#: asyncpg.connect arguments that must be integers >= 0.
INT_KWARGS = frozenset(
    {"statement_cache_size", "max_cached_statement_lifetime", "max_cacheable_statement_size"}
)
SSL_MODES = ("disable", "allow", "prefer", "require", "verify-ca", "verify-full")
TARGET_SESSION_ATTRS = ("any", "primary", "standby", "prefer-standby", "read-write", "read-only")
#: Query parameters whose value is a secret (masked wherever a URL is shown).
SECRET_PARAMS = frozenset({"password", "sslpassword"})

QueryValue = str | tuple[str, ...]


class DialectError(ValueError):
    """The app's SQLAlchemy would refuse this URL (``ArgumentError``/``ValueError``).

    The message never contains the password."""


@dataclass(frozen=True)
class AppUrl:
    """A URL as ``sqlalchemy.engine.make_url`` sees it (``password`` is secret)."""

    drivername: str
    username: str | None
    password: str | None = field(repr=False)
    host: str | None
    port: int | None
    database: str | None
    query: dict[str, QueryValue]


def parse(raw: str) -> AppUrl:
    """``sqlalchemy.engine.make_url(raw)`` without SQLAlchemy. Raises :class:`DialectError`."""
    m = _URL_PATTERN.match(raw)
    if m is None:
        raise DialectError("Could not parse SQLAlchemy URL from given URL string")
    parts = m.groupdict()
    query: dict[str, QueryValue] = {}
    if parts["query"] is not None:
        for key, value in parse_qsl(parts["query"]):
            if key in query:
                previous = query[key]
                query[key] = (*((previous,) if isinstance(previous, str) else previous), value)
            else:
                query[key] = value
    port: int | None = None
    if parts["port"]:
        try:
            port = int(parts["port"])
        except ValueError:
            shown = repr(parts["port"]) if parts["port"].isdigit() else "(not a number)"
            raise DialectError(f"invalid literal for int(): port {shown}") from None
    elif parts["port"] == "":
        raise DialectError("invalid literal for int(): an empty port")

    def text(name: str) -> str | None:
        value = parts[name]
        return unquote(value) if value is not None else None

    return AppUrl(
        drivername=parts["name"],
        username=text("username"),
        password=text("password"),
        host=parts["ipv4host"] or parts["ipv6host"],
        port=port,
        database=text("database"),
        query=query,
    )


def _split_multihost(
    query: dict[str, QueryValue],
) -> tuple[tuple[str, ...] | None, tuple[int | None, ...] | None]:
    """PGDialect._split_multihost_from_url."""
    hosts: tuple[str, ...] | None = None
    ports_str: tuple[str | None, ...] | None = None
    integrated = False
    host_q = query.get("host")
    if isinstance(host_q, tuple):
        integrated = True
        pairs = [tuple(t.split(":")) if ":" in t else (t, None) for t in host_q]
        if any(len(p) != 2 for p in pairs):  # "a:b:c": zip(*…) of uneven tuples
            raise DialectError("too many values to unpack in a ?host= value")
        hosts = tuple(str(p[0]) for p in pairs)
        ports_str = tuple(p[1] for p in pairs)
    elif isinstance(host_q, str):
        hosts = tuple(host_q.split(","))
        if "port" not in query and len(hosts) == 1 and ":" in hosts[0]:
            hp = _HOST_PORT.match(hosts[0])
            if hp:
                integrated = True
                hosts = (hp.group(1),)
                ports_str = (hp.group(2),) if hp.group(2) else (None,)
    port_q = query.get("port")
    if port_q is not None:
        if integrated:
            raise DialectError(
                "Can't mix 'multihost' formats together; use \"host=h1,h2,h3&port=p1,p2,p3\" "
                'or "host=h1:p1&host=h2:p2&host=h3:p3" separately'
            )
        ports_str = port_q if isinstance(port_q, tuple) else tuple(port_q.split(","))
    ports: tuple[int | None, ...] | None = None
    if ports_str:
        try:
            ports = tuple(int(x) if x else None for x in ports_str)
        except ValueError:
            raise DialectError("Received non-integer port arguments") from None
    if ports and (
        (not hosts and len(ports) > 1)
        or (hosts and len(hosts) != len(ports) and (len(hosts) > 1 or len(ports) > 1))
    ):
        raise DialectError("number of hosts and ports don't match")
    if hosts is not None and ports is None:
        ports = tuple(None for _ in hosts)
    return hosts, ports


def create_connect_args(url: AppUrl) -> dict[str, Any]:
    """``PGDialect_asyncpg.create_connect_args(url)[1]``: the keyword arguments the
    dialect hands to its DBAPI adapter. Raises :class:`DialectError`."""
    opts: dict[str, Any] = {}
    for name, key in (
        ("host", "host"),
        ("database", "database"),
        ("username", "user"),
        ("password", "password"),
        ("port", "port"),
    ):
        value = getattr(url, name)
        if value:  # translate_connect_args omits unset *and false* attributes
            opts[key] = value
    hosts, ports = _split_multihost(url.query)
    opts.update(url.query)
    if hosts:
        assert ports is not None
        if len(hosts) == 1:
            opts["host"] = hosts[0]
            if ports[0] is not None:
                opts["port"] = ports[0]
        elif not all(hosts):
            raise DialectError("All hosts are required to be present for asyncpg multiple host URL")
        elif not all(ports):
            raise DialectError("All ports are required to be present for asyncpg multiple host URL")
        else:
            opts["host"] = list(hosts)
            opts["port"] = list(ports)
    elif "port" in opts and not isinstance(opts["port"], int):  # util.coerce_kw_type
        opts["port"] = _int(opts["port"], "port")
    if "prepared_statement_cache_size" in opts:
        opts["prepared_statement_cache_size"] = _int(
            opts["prepared_statement_cache_size"], "prepared_statement_cache_size"
        )
    return opts


def _int(value: Any, name: str) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        raise DialectError(f"{name} must be an integer, got {_shown(value)}") from None


def _shown(value: Any) -> str:
    return repr(value if not isinstance(value, str) else value[:40])



@dataclass(frozen=True, slots=True)
class AppConnect:
    """What the app passes on: to the DBAPI adapter and to ``asyncpg.connect``."""

    adapter: dict[str, Any]
    asyncpg: dict[str, Any]


def split_adapter(opts: dict[str, Any]) -> AppConnect:
    """The adapter's own arguments (``prepared_statement_cache_size``…) apart from what
    reaches ``asyncpg.connect``."""
    adapter = {k: v for k, v in opts.items() if k in ADAPTER_KWARGS}
    rest = {k: v for k, v in opts.items() if k not in ADAPTER_KWARGS}
    return AppConnect(adapter, rest)


def start_failures(kwargs: dict[str, Any]) -> list[tuple[str, str]]:
    """``(parameter, why)`` for every argument that makes ``asyncpg.connect`` raise before
    connecting (TypeError / ValueError / ClientConfigurationError) — what the app's
    first connection would die of. Values come from a URL, so they are strings (or lists
    of strings for repeated parameters)."""
    out: list[tuple[str, str]] = []
    for key, value in kwargs.items():
        if key not in ASYNCPG_KWARGS:
            out.append((key, "not a parameter of asyncpg.connect() (TypeError)"))
            continue
        why = _bad_value(key, value)
        if why:
            out.append((key, why))
    return out


def _bad_value(key: str, value: Any) -> str | None:
    if key in {"host", "port", "user", "password", "database", "ssl"}:
        if key == "ssl" and isinstance(value, str) and value.replace("_", "-") not in SSL_MODES:
            return f"{_shown(value)} is not one of {', '.join(SSL_MODES)}"
        return None
    if key in INT_KWARGS:
        return (
            None
            if isinstance(value, int) and not isinstance(value, bool) and value >= 0
            else f"must be an integer >= 0, the URL gives the string {_shown(value)}: set it "
            "in connect_args"
        )
    if key == "command_timeout":
        try:
            ok = float(value) > 0
        except (TypeError, ValueError):
            ok = False
        return None if ok else f"must be a number > 0, got {_shown(value)}"
    if key == "timeout":
        ok = isinstance(value, int | float)
        return None if ok else "must be a number (set it in connect_args)"
    if key == "target_session_attrs":
        if value not in TARGET_SESSION_ATTRS:
            return f"{_shown(value)} is not one of {', '.join(TARGET_SESSION_ATTRS)}"
        return None
    if key == "gsslib":
        return None if value in {"gssapi", "sspi"} else f"{_shown(value)} is not gssapi or sspi"
    if key == "dsn" and str(value).startswith(("postgresql://", "postgres://")):
        return None
    if key in {"server_settings", "loop", "connection_class", "record_class", "dsn"}:
        return "cannot be given in the URL (set it in connect_args)"
    return None

"""dbctl reads a URL as the app does: :mod:`dbctl.dialect` against SQLAlchemy's real
asyncpg dialect (``make_url`` + ``create_connect_args``) over a corpus and generated URLs,
and :func:`dbctl.dialect.start_failures` against the real ``asyncpg.connect``."""

from __future__ import annotations

import asyncio
import inspect
import socket
import ssl
from typing import Any

import asyncpg
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy.dialects.postgresql.asyncpg import PGDialect_asyncpg
from sqlalchemy.engine import make_url

from dbctl import dialect
from dbctl.urls import analyze_url

CORPUS = [
    "postgresql+asyncpg://app:pw@db/app",
    "postgresql+asyncpg://app:pw@db:5433/app",
    "postgresql+asyncpg://app@db/app?password=s3cret",
    "postgresql+asyncpg://db/app?user=bob&password=x",
    "postgresql+asyncpg://app:pw@/app",
    "postgresql+asyncpg://app:pw/app",
    "postgresql+asyncpg://app:pw@[::1]:5433/app",
    "postgresql+asyncpg://app:pw@h1,h2:5433/app",
    "postgresql+asyncpg://app:pw@/app?host=h1,h2&port=5432,5433",
    "postgresql+asyncpg://app:pw@/app?host=h1:5432&host=h2:5433",
    "postgresql+asyncpg://app:pw@/app?host=h1:5432",
    "postgresql+asyncpg://app:pw@/app?host=h1,h2",
    "postgresql+asyncpg://app:pw@/app?host=h1&host=h2",
    "postgresql+asyncpg://app:pw@/app?host=h1:5432&port=5433",
    "postgresql+asyncpg://app:pw@/app?host=h1,h2&port=5432",
    "postgresql+asyncpg://app:pw@/app?host=/var/run/postgresql&port=5433",
    "postgresql+asyncpg://app:pw@/app?host=/tmp",
    "postgresql+asyncpg://app:pw@db/app?port=x",
    "postgresql+asyncpg://app:pw@db:x/app",
    "postgresql+asyncpg://app:pw@db:/app",
    "postgresql+asyncpg://app:p%40ss@db/app",
    "postgresql+asyncpg://app:p@ss@db/app",
    "postgresql+asyncpg://app:pw@db/app?ssl=true",
    "postgresql+asyncpg://app:pw@db/app?ssl=require&ssl=disable",
    "postgresql+asyncpg://app:pw@db/app?statement_cache_size=0",
    "postgresql+asyncpg://app:pw@db/app?prepared_statement_cache_size=0",
    "postgresql+asyncpg://app:pw@db/app?prepared_statement_cache_size=x",
    "postgresql+asyncpg://app:pw@db/app?command_timeout=10",
    "postgresql+asyncpg://app:pw@db/app?target_session_attrs=primary",
    "postgresql+asyncpg://app:pw@db:0/app",
    "postgresql+asyncpg://:pw@db/app",
    "postgresql+asyncpg://app:@db/app",
    "postgresql+asyncpg://",
    "postgresql+asyncpg:///app",
    "not a url",
]


def _ours(url: str) -> tuple[str, Any]:
    try:
        return "ok", dialect.create_connect_args(dialect.parse(url))
    except dialect.DialectError:
        return "error", None


def _theirs(url: str) -> tuple[str, Any]:
    try:
        _args, opts = PGDialect_asyncpg().create_connect_args(make_url(url))
    except Exception:  # ArgumentError, ValueError, TypeError: the app fails at start
        return "error", None
    return "ok", opts


@pytest.mark.parametrize("url", CORPUS)
def test_connect_args_as_the_dialect_derives_them(url: str) -> None:
    assert _ours(url) == _theirs(url)


_name = st.text(alphabet="abcxyz019-._", min_size=0, max_size=6)
_port = st.one_of(st.none(), st.text(alphabet="0123456789", max_size=5), st.just("x"), st.just(""))
_host = st.one_of(
    _name,
    st.builds(lambda a, b: f"{a},{b}", _name, _name),
    st.builds(lambda a: f"[::{a}]", st.text(alphabet="0123456789abcdef", min_size=1, max_size=4)),
    st.just("/tmp"),
)
_qkey = st.sampled_from(
    [
        "host",
        "port",
        "user",
        "password",
        "ssl",
        "prepared_statement_cache_size",
        "statement_cache_size",
        "command_timeout",
        "x",
    ]
)
_qval = st.text(alphabet="abh12:,/.-", max_size=8)
_query = st.lists(st.tuples(_qkey, _qval), max_size=4)
_userinfo = st.one_of(
    st.none(),
    st.builds(lambda u, p: f"{u}:{p}" if p is not None else u, _name, st.one_of(st.none(), _name)),
)


@st.composite
def urls(draw: st.DrawFn) -> str:
    userinfo = draw(_userinfo)
    host = draw(_host)
    port = draw(_port)
    netloc = (f"{userinfo}@" if userinfo is not None else "") + host
    if port is not None:
        netloc += f":{port}"
    database = draw(st.one_of(st.none(), _name))
    url = f"postgresql+asyncpg://{netloc}"
    if database is not None:
        url += f"/{database}"
    query = draw(_query)
    if query:
        url += "?" + "&".join(f"{k}={v}" for k, v in query)
    return url


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(urls())
def test_generated_urls(url: str) -> None:
    assert _ours(url) == _theirs(url)


def test_the_asyncpg_parameters_are_those_of_the_installed_asyncpg() -> None:
    params = set(inspect.signature(asyncpg.connect).parameters)
    assert params <= dialect.ASYNCPG_KWARGS
    assert dialect.ASYNCPG_KWARGS - params <= {"service", "servicefile"}  # asyncpg 0.30+


# --- start_failures against the real asyncpg.connect ------------------------------------
QUERY_CORPUS = [
    "ssl=true",
    "ssl=require",
    "ssl=verify-full",
    "ssl=verify_ca",
    "ssl=junk",
    "statement_cache_size=0",
    "max_cached_statement_lifetime=10",
    "command_timeout=10",
    "command_timeout=0",
    "command_timeout=x",
    "target_session_attrs=primary",
    "target_session_attrs=read-write",
    "target_session_attrs=master",
    "sslmode=require",
    "application_name=x",
    "server_settings=x",
    "passfile=/nonexistent",
    "krbsrvname=postgres",
    "gsslib=gssapi",
    "gsslib=x",
    "timeout=5",
    "frobnicate=1",
    "ssl=require&ssl=disable",
]


def _asyncpg_fails_at_start(kwargs: dict[str, Any], port: int) -> bool:
    """True when asyncpg.connect raises before connecting (a refused port is a pass)."""

    async def go() -> bool:
        try:
            await asyncpg.connect(**{**kwargs, "host": "127.0.0.1", "port": port})
        except (TimeoutError, ConnectionRefusedError, OSError):
            return False
        except (TypeError, ValueError, asyncpg.ClientConfigurationError):
            return True
        return False

    return asyncio.run(go())


@pytest.fixture(scope="module")
def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.mark.parametrize("query", QUERY_CORPUS)
def test_start_failures_match_asyncpg(
    query: str, closed_port: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    # a CA for verify-ca/verify-full: without one asyncpg refuses too, but that is the
    # environment's TLS set-up (the tls row), not the URL
    monkeypatch.setenv("PGSSLROOTCERT", ssl.get_default_verify_paths().openssl_cafile)
    url = f"postgresql+asyncpg://app:pw@127.0.0.1/app?{query}"
    opts = dialect.create_connect_args(dialect.parse(url))
    kwargs = dialect.split_adapter(opts).asyncpg
    predicted = bool(dialect.start_failures(kwargs))
    assert predicted == _asyncpg_fails_at_start(kwargs, closed_port), kwargs


@pytest.mark.parametrize(
    ("url", "code"),
    [
        ("postgresql+asyncpg://app:pw@db/app?ssl=true", "config.bad_parameter"),
        ("postgresql+asyncpg://app:pw@db/app?statement_cache_size=0", "config.bad_parameter"),
        ("postgresql+asyncpg://app:pw@db/app?target_session_attrs=master", "config.bad_parameter"),
        ("postgresql+asyncpg://app:pw@/app?host=h1&host=h2", "config.bad_parameter"),
        ("postgresql+asyncpg://app:pw@db/app?prepared_statement_cache_size=0", None),
        ("postgresql+asyncpg://app:pw@db/app?command_timeout=10", None),
    ],
)
def test_config_problem_where_the_app_fails_at_start(url: str, code: str | None) -> None:
    codes = [p.code for p in analyze_url(url).problems]
    assert codes == ([code] if code else [])


def test_dbctl_connects_with_the_apps_arguments() -> None:
    a = analyze_url("postgresql+asyncpg://app@db/app?password=s3cret&user=bob&command_timeout=7")
    assert a.url is not None
    kwargs = a.url.asyncpg_kwargs(timeout=3)
    assert (kwargs["user"], kwargs["password"], kwargs["command_timeout"]) == ("bob", "s3cret", "7")
    assert "s3cret" not in a.url.masked() and "s3cret" in a.url.secrets()
    b = analyze_url("postgresql+asyncpg://app:pw@h1,h2:5433/app")
    assert b.url is not None and b.url.hosts == (("h1", 5433), ("h2", 5433))
    c = analyze_url("postgresql+asyncpg://app:pw@db/app?statement_cache_size=0&ssl=true")
    assert c.url is not None
    kw = c.url.asyncpg_kwargs(timeout=3)
    assert (kw["statement_cache_size"], kw["ssl"]) == (0, True)
    d = analyze_url("postgresql+asyncpg://app:pw@db/app?prepared_statement_cache_size=0")
    assert d.url is not None and dict(d.url.adapter_kwargs) == {"prepared_statement_cache_size": 0}

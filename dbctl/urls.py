"""Database URL parsing, hygiene and masking — before any connection, without SQLAlchemy.

A URL is parsed by hand (not by ``urllib`` or ``sqlalchemy.make_url``) because the
cases we must diagnose are exactly the ones those parsers get wrong: an unencoded
``@`` or ``/`` in the password, a ``postgres://`` scheme, libpq-only parameters.
The password becomes a :class:`~pydantic.SecretStr` the moment it is split off;
:meth:`DatabaseUrl.masked` is the only rendering used for display.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any, Literal
from urllib.parse import parse_qsl, quote, unquote, urlencode

from pydantic import SecretStr

MASK = "***"
Severity = Literal["fail", "warn"]

#: Drivers that block the event loop when used from ``async def`` code.
SYNC_DRIVERS = frozenset({"psycopg2", "psycopg2cffi", "pg8000", "pygresql", "py-postgresql"})
#: Query parameters that libpq understands and asyncpg (through SQLAlchemy) rejects.
LIBPQ_ONLY_PARAMS = frozenset(
    {
        "sslmode",
        "connect_timeout",
        "application_name",
        "options",
        "sslrootcert",
        "sslcert",
        "sslkey",
        "sslpassword",
        "sslcrl",
        "gssencmode",
        "channel_binding",
        "keepalives",
        "keepalives_idle",
        "keepalives_interval",
        "keepalives_count",
        "fallback_application_name",
        "client_encoding",
    }
)
_SCHEME_RE = re.compile(r"^([A-Za-z][A-Za-z0-9+.\-]*)://(.*)$", re.DOTALL)
_HOSTPART_RE = re.compile(r"^(\[[^\]/?#@]*\]|[^/?#@\[\]\s]*)(:[^/?#@\s]*)?(?:[/?]|$)")
_BAD_PERCENT_RE = re.compile(r"%(?![0-9A-Fa-f]{2})")
_URL_RESERVED = "@/#?"


@dataclass(frozen=True, slots=True)
class UrlProblem:
    """One hygiene finding about a URL; ``code`` is a stable ``config.*`` failure code."""

    code: str
    severity: Severity
    message: str
    hint: str


@dataclass(frozen=True)
class DatabaseUrl:
    """A parsed PostgreSQL URL. ``password`` is secret; ``str()`` is masked."""

    dialect: str = "postgresql"
    driver: str | None = "asyncpg"
    username: str | None = None
    password: SecretStr | None = None
    hosts: tuple[tuple[str | None, int | None], ...] = ((None, None),)
    database: str | None = None
    query: tuple[tuple[str, str], ...] = ()
    server_settings: tuple[tuple[str, str], ...] = field(default=())

    # -- rendering ---------------------------------------------------------------------
    @property
    def scheme(self) -> str:
        return f"{self.dialect}+{self.driver}" if self.driver else self.dialect

    @property
    def host(self) -> str | None:
        return self.hosts[0][0]

    @property
    def port(self) -> int | None:
        return self.hosts[0][1]

    def is_tcp_single(self) -> bool:
        """One host, reached over TCP (not a Unix-domain socket directory)."""
        host = self.host
        return len(self.hosts) == 1 and not (host is None or host.startswith(("/", "@")))

    def _render(self, password: str | None) -> str:
        userinfo = ""
        if self.username is not None or password is not None:
            userinfo = quote(self.username or "", safe="")
            if password is not None:
                userinfo += ":" + password
            userinfo += "@"
        hosts = ",".join(_render_host(h, p) for h, p in self.hosts)
        out = f"{self.scheme}://{userinfo}{hosts}"
        if self.database is not None:
            out += "/" + quote(self.database, safe="")
        if self.query:
            out += "?" + urlencode(self.query)
        return out

    def masked(self) -> str:
        """The URL with the password replaced by ``***`` (the only form ever displayed)."""
        return self._render(MASK if self.password is not None else None)

    def render_secret(self) -> str:
        """The full URL including the URL-encoded password. Never print this."""
        pw = self.password.get_secret_value() if self.password is not None else None
        return self._render(quote(pw, safe="") if pw is not None else None)

    def __str__(self) -> str:
        return self.masked()

    def __repr__(self) -> str:
        return f"DatabaseUrl({self.masked()!r})"

    def query_value(self, key: str) -> str | None:
        for k, v in reversed(self.query):
            if k == key:
                return v
        return None

    # -- for asyncpg -------------------------------------------------------------------
    def asyncpg_kwargs(self, *, timeout: float) -> dict[str, Any]:
        """Keyword arguments for ``asyncpg.connect`` (the password included)."""
        kwargs: dict[str, Any] = {"timeout": timeout}
        hosts = [h for h, _ in self.hosts]
        ports = [p for _, p in self.hosts]
        if len(self.hosts) > 1:
            kwargs["host"] = [h or "localhost" for h in hosts]
            kwargs["port"] = [p or 5432 for p in ports]
        else:
            if hosts[0]:
                kwargs["host"] = hosts[0]
            if ports[0]:
                kwargs["port"] = ports[0]
        if self.username:
            kwargs["user"] = self.username
        if self.password is not None:
            kwargs["password"] = self.password.get_secret_value()
        if self.database:
            kwargs["database"] = self.database
        ssl = self.query_value("ssl")
        if ssl is not None:
            kwargs["ssl"] = _ssl_value(ssl)
        tsa = self.query_value("target_session_attrs")
        if tsa:
            kwargs["target_session_attrs"] = tsa
        for key in ("statement_cache_size", "max_cached_statement_lifetime"):
            value = self.query_value(key)
            if value is not None and value.isdigit():
                kwargs[key] = int(value)
        settings = dict(self.server_settings)
        if settings:
            kwargs["server_settings"] = settings
        return kwargs


def _render_host(host: str | None, port: int | None) -> str:
    h = host or ""
    if ":" in h:
        h = f"[{h}]"
    return f"{h}:{port}" if port is not None else h


def _ssl_value(value: str) -> str | bool:
    lowered = value.lower()
    if lowered in {"true", "1", "on", "yes"}:
        return True
    if lowered in {"false", "0", "off", "no"}:
        return False
    return lowered


@dataclass(frozen=True, slots=True)
class UrlAnalysis:
    """The result of :func:`analyze_url`: the corrected URL (if one could be made) and problems."""

    url: DatabaseUrl | None
    problems: tuple[UrlProblem, ...]

    @property
    def fatal(self) -> UrlProblem | None:
        """The problem that made it impossible to build a usable URL, if any."""
        return self.problems[-1] if self.url is None and self.problems else None


def _invalid(message: str, hint: str, code: str = "config.invalid_url") -> UrlAnalysis:
    return UrlAnalysis(None, (UrlProblem(code, "fail", message, hint),))


_EXAMPLE = "postgresql+asyncpg://USER:PASSWORD@HOST:5432/DBNAME"


def _split_userinfo(rest: str) -> tuple[str | None, str]:
    """Split ``userinfo@hostpart`` at the ``@`` after which a plausible host part starts."""
    positions = [i for i, ch in enumerate(rest) if ch == "@"]
    for at in reversed(positions):
        tail = rest[at + 1 :]
        if _HOSTPART_RE.match(tail):
            return rest[:at], tail
    if positions:
        return rest[: positions[-1]], rest[positions[-1] + 1 :]
    return None, rest


def analyze_url(raw: str) -> UrlAnalysis:
    """Parse ``raw`` and report every hygiene problem with a corrected URL when possible.

    Never includes the password in a message.
    """
    text = raw.strip()
    if not text:
        return _invalid("the database URL is empty", f"set DATABASE_URL to {_EXAMPLE}")
    m = _SCHEME_RE.match(text)
    if not m:
        return _invalid(
            "the database URL is not a URL (no scheme://)",
            f"use the form {_EXAMPLE}",
        )
    scheme, rest = m.group(1).lower(), m.group(2)
    problems: list[UrlProblem] = []
    dialect, _, driver = scheme.partition("+")
    legacy = dialect == "postgres"
    if legacy:
        problems.append(
            UrlProblem(
                "config.unsupported_scheme",
                "fail",
                "the scheme 'postgres://' is not accepted by SQLAlchemy "
                "(NoSuchModuleError: Can't load plugin: sqlalchemy.dialects:postgres)",
                "rewrite the URL to start with postgresql+asyncpg://",
            )
        )
        dialect = "postgresql"
    elif dialect != "postgresql":
        return _invalid(
            f"the scheme '{scheme}://' is not PostgreSQL",
            f"dbctl checks PostgreSQL databases: use {_EXAMPLE}",
            code="config.unsupported_scheme",
        )
    if (not driver and not legacy) or driver in SYNC_DRIVERS:
        shown = f"{dialect}+{driver}" if driver else f"{scheme}"
        problems.append(
            UrlProblem(
                "config.sync_driver",
                "fail",
                f"'{shown}://' selects a synchronous driver"
                + (" (psycopg2 by default)" if not driver else "")
                + "; create_async_engine needs an async one",
                "use postgresql+asyncpg:// so the app does not block its event loop",
            )
        )
    elif driver and driver not in {"asyncpg", "psycopg", "psycopg_async"}:
        return _invalid(
            f"unknown PostgreSQL driver '+{driver}'",
            "use postgresql+asyncpg://",
            code="config.unsupported_scheme",
        )

    userinfo, hostpart = _split_userinfo(rest)
    username: str | None = None
    password: SecretStr | None = None
    if userinfo is not None:
        user_raw, sep, pw_raw = userinfo.partition(":")
        username = unquote(user_raw) if user_raw else None
        if sep:
            unsafe = sorted({c for c in pw_raw if c in _URL_RESERVED})
            bad_percent = bool(_BAD_PERCENT_RE.search(pw_raw))
            colon = ":" in pw_raw
            if unsafe or bad_percent:
                chars = " ".join(unsafe + (["%"] if bad_percent else []))
                problems.append(
                    UrlProblem(
                        "config.unencoded_password",
                        "fail",
                        f"the password contains unencoded URL characters ({chars}); "
                        "the app will read a wrong host, port or password",
                        "URL-encode the password (urllib.parse.quote(password, safe='')) "
                        "or build the URL with sqlalchemy.URL.create(...)",
                    )
                )
                password = SecretStr(pw_raw)
            else:
                if colon:
                    problems.append(
                        UrlProblem(
                            "config.unencoded_password",
                            "warn",
                            "the password contains an unencoded ':'; SQLAlchemy copes, "
                            "other URL parsers may not",
                            "URL-encode the password (':' is %3A)",
                        )
                    )
                password = SecretStr(unquote(pw_raw))

    # host part: hosts[/database][?query]
    query_text = ""
    if "?" in hostpart:
        hostpart, query_text = hostpart.split("?", 1)
    database: str | None = None
    if "/" in hostpart:
        hostpart, db_raw = hostpart.split("/", 1)
        database = unquote(db_raw) if db_raw else None
    if "#" in hostpart:
        return _invalid("the URL's host part contains '#'", f"use the form {_EXAMPLE}")
    hosts: list[tuple[str | None, int | None]] = []
    for item in hostpart.split(",") if hostpart else [""]:
        parsed = _parse_hostport(item)
        if isinstance(parsed, UrlProblem):
            return UrlAnalysis(None, (*problems, parsed))
        hosts.append(parsed)

    query: list[tuple[str, str]] = []
    server_settings: list[tuple[str, str]] = []
    translated: list[str] = []
    for key, value in parse_qsl(query_text, keep_blank_values=True):
        if key == "host":  # SQLAlchemy's multi-host form ?host=h1:5432&host=h2:5432
            parsed = _parse_hostport(value)
            if isinstance(parsed, UrlProblem):
                return UrlAnalysis(None, (*problems, parsed))
            hosts = [h for h in hosts if h != (None, None)] + [parsed]
            continue
        if key not in LIBPQ_ONLY_PARAMS:
            query.append((key, value))
            continue
        if key == "sslmode":
            query.append(("ssl", value))
            translated.append(f"sslmode={value} -> ssl={value}")
        elif key == "connect_timeout":
            translated.append("connect_timeout -> connect_args={'timeout': N}")
        elif key in {"application_name", "fallback_application_name"}:
            server_settings.append(("application_name", value))
            translated.append(
                "application_name -> connect_args={'server_settings': {'application_name': …}}"
            )
        elif key == "options":
            for opt in re.findall(r"-c\s*([A-Za-z_.]+)=(\S+)", value):
                server_settings.append((opt[0], opt[1]))
            translated.append("options -> connect_args={'server_settings': {…}}")
        else:
            translated.append(f"{key} (no asyncpg equivalent in a URL; pass an SSLContext)")
    if translated:
        names = ", ".join(sorted({t.split(" ")[0].split("=")[0] for t in translated}))
        problems.append(
            UrlProblem(
                "config.libpq_param",
                "fail",
                f"libpq-only query parameter(s) that asyncpg rejects with TypeError: {names}",
                "; ".join(translated),
            )
        )

    url = DatabaseUrl(
        dialect="postgresql",
        driver="asyncpg",
        username=username,
        password=password,
        hosts=tuple(hosts),
        database=database,
        query=tuple(query),
        server_settings=tuple(server_settings),
    )
    return UrlAnalysis(url, tuple(problems))


def _parse_hostport(item: str) -> tuple[str | None, int | None] | UrlProblem:
    host: str | None
    port_text: str | None = None
    if item.startswith("["):
        end = item.find("]")
        if end < 0:
            return UrlProblem(
                "config.invalid_url", "fail", "unclosed '[' in the URL's host", "fix the host"
            )
        host = item[1:end]
        after = item[end + 1 :]
        if after.startswith(":"):
            port_text = after[1:]
    else:
        host_raw, sep, port_raw = item.partition(":")
        host = unquote(host_raw)
        port_text = port_raw if sep else None
    port: int | None = None
    if port_text:
        if not port_text.isdigit() or not 0 < int(port_text) < 65536:
            return UrlProblem(
                "config.invalid_url",
                "fail",
                f"the port '{port_text[:20]}' is not a number from 1 to 65535",
                "if the password contains ':' '@' or '/', URL-encode it; otherwise fix the port",
            )
        port = int(port_text)
    return (host or None, port)


def mask_url_text(raw: str) -> str:
    """Mask the password of a raw URL string for display, as written (even if unusable)."""
    text = raw.strip()
    m = _SCHEME_RE.match(text)
    if not m:
        return MASK
    userinfo, hostpart = _split_userinfo(m.group(2))
    if userinfo is None:
        return text
    user, sep, _ = userinfo.partition(":")
    return f"{m.group(1)}://{user}{':' + MASK if sep else ''}@{hostpart}"


_URL_PASSWORD_RE = re.compile(r"([A-Za-z][A-Za-z0-9+.\-]*://[^\s:/?#@'\"]*):[^\s'\"]*@")


def mask_urls_in_text(text: str) -> str:
    """Mask the password of every URL inside free text (e.g. a usage error echoing argv)."""
    return _URL_PASSWORD_RE.sub(lambda m: f"{m.group(1)}:{MASK}@", text)

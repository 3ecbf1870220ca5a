"""Database URL parsing, hygiene and masking — before any connection, without SQLAlchemy.

A URL is parsed by hand (not by ``urllib`` or ``sqlalchemy.make_url``) because the
cases we must diagnose are exactly the ones those parsers get wrong: an unencoded
``@`` or ``/`` in the password, a ``postgres://`` scheme, libpq-only parameters.
The password becomes a :class:`~pydantic.SecretStr` the moment it is split off;
:meth:`DatabaseUrl.masked` is the only rendering used for display.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from typing import Any, Literal
from urllib.parse import parse_qsl, quote, unquote, urlencode

from pydantic import SecretStr

from dbctl.dialect import INT_KWARGS, SECRET_PARAMS, SSL_MODES

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
    #: ``asyncpg.connect`` keyword arguments by the app's rules (SQLAlchemy's asyncpg
    #: dialect, :mod:`dbctl.dialect`), corrected where the app would fail; the password
    #: included. Empty: derive them from the parts above.
    app_kwargs: tuple[tuple[str, Any], ...] = field(default=(), repr=False, compare=False)
    #: What the dialect's DBAPI adapter keeps (``prepared_statement_cache_size``).
    adapter_kwargs: tuple[tuple[str, Any], ...] = field(default=(), repr=False, compare=False)

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

    def _render(self, password: str | None, *, mask_query: bool = True) -> str:
        userinfo = ""
        if self.username is not None or password is not None:
            userinfo = quote(self.username or "", safe="")
            if password is not None:
                userinfo += ":" + password
            userinfo += "@"
        query = list(self.query)
        if all(h and h.startswith("/") for h, _ in self.hosts):  # socket directories
            hosts = ""
            given_port = any(k == "port" for k, _ in query)
            ports = [str(p) for _, p in self.hosts if p is not None]
            extra = [("host", h or "") for h, _ in self.hosts]
            if ports and not given_port:
                extra.append(("port", ",".join(ports)))
            query = extra + query
        else:
            hosts = ",".join(_render_host(h, p) for h, p in self.hosts)
        out = f"{self.scheme}://{userinfo}{hosts}"
        if self.database is not None:
            out += "/" + quote(self.database, safe="")
        if query:
            if mask_query:
                query = [(k, MASK if k in SECRET_PARAMS else v) for k, v in query]
            out += "?" + urlencode(query, safe="*/:,")
        return out

    def masked(self) -> str:
        """The URL with the password replaced by ``***`` (the only form ever displayed)."""
        return self._render(MASK if self.password is not None else None)

    def secrets(self) -> list[str]:
        """Every secret this URL carries (userinfo password, ``?password=``…), to scrub."""
        found = [self.password.get_secret_value()] if self.password is not None else []
        found += [v for k, v in self.query if k in SECRET_PARAMS and v]
        return found

    @property
    def user(self) -> str | None:
        """The user the app logs in as (``?user=`` wins over the userinfo, as in SQLAlchemy)."""
        value = dict(self.app_kwargs).get("user", self.username)
        return value if isinstance(value, str) else self.username

    def render_secret(self) -> str:
        """The full URL including the URL-encoded password. Never print this."""
        pw = self.password.get_secret_value() if self.password is not None else None
        return self._render(quote(pw, safe="") if pw is not None else None, mask_query=False)

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
        """Keyword arguments for ``asyncpg.connect`` (the password included): the app's
        (:attr:`app_kwargs`) with dbctl's ``timeout``."""
        if self.app_kwargs:
            return {**dict(self.app_kwargs), "timeout": timeout}
        kwargs: dict[str, Any] = {"timeout": timeout, **_netloc_kwargs(self)}
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
            valid = value.replace("_", "-") in SSL_MODES  # else config.bad_parameter says
            translated.append(f"sslmode={value} -> ssl={value}" if valid else "sslmode -> ssl")
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
    return _by_app_rules(rest, url, problems)


def _by_app_rules(rest: str, url: DatabaseUrl, problems: list[UrlProblem]) -> UrlAnalysis:
    """Connect arguments as the app's SQLAlchemy derives them from the URL (``rest`` is
    the text after ``scheme://``), corrected where the hygiene checks above already
    corrected the URL; a ``config.bad_parameter`` problem for each argument the app would
    die of at start (then dbctl goes on without it, or with the evident value)."""
    from dbctl import dialect

    codes = {p.code for p in problems if p.severity == "fail"}
    try:
        opts = dialect.create_connect_args(dialect.parse(f"postgresql+asyncpg://{rest}"))
    except dialect.DialectError as exc:
        problems.append(
            UrlProblem(
                "config.bad_parameter",
                "fail",
                f"SQLAlchemy refuses this URL at create_async_engine: {exc}",
                "fix the host/port part of the URL (multi-host: host=h1:p1&host=h2:p2)",
            )
        )
        return UrlAnalysis(url, tuple(problems))
    if "config.unencoded_password" in codes:  # the app misreads the netloc: use the intent
        for key in ("host", "port", "user", "password", "database"):
            opts.pop(key, None)
        opts.update(_netloc_kwargs(url))
    for key in LIBPQ_ONLY_PARAMS:  # reported as config.libpq_param; their translations:
        opts.pop(key, None)
    if url.query_value("ssl") is not None and "ssl" not in opts:  # from sslmode
        opts["ssl"] = url.query_value("ssl")
    split = dialect.split_adapter(opts)
    kwargs = split.asyncpg
    bad = dialect.start_failures(kwargs)
    query = list(url.query)
    if bad:
        hint = (
            f"ssl takes one of {', '.join(SSL_MODES)} (an SSLContext goes in "
            "create_async_engine(url, connect_args={'ssl': context}))"
            if any(key == "ssl" for key, _ in bad)
            else ""
        )
        if any(key != "ssl" for key, _ in bad):
            hint += "; " if hint else ""
            hint += (
                "fix or remove them; values that are not strings belong in "
                'create_async_engine(url, connect_args={"statement_cache_size": 0, …})'
            )
        problems.append(
            UrlProblem(
                "config.bad_parameter",
                "fail",
                "the app fails at its first connection with these URL parameters: "
                + "; ".join(f"{key}: {why}" for key, why in bad),
                hint,
            )
        )
        for key, _why in bad:
            fixed = _evident(key, kwargs.pop(key))
            if fixed is not None:
                kwargs[key] = fixed
            # the corrected URL says what dbctl goes on with: asyncpg's ssl=True is
            # verify-full, False disable; a value with no evident meaning is left out
            value = {True: "verify-full", False: "disable"}.get(fixed) if key == "ssl" else fixed
            query = [
                (k, str(value)) if k == key else (k, v)
                for k, v in query
                if k != key or value is not None
            ]
    if url.server_settings:  # translated from libpq parameters: dbctl's correction
        kwargs["server_settings"] = dict(url.server_settings)
    hosts = hosts_of(kwargs) or url.hosts
    return UrlAnalysis(
        replace(
            url,
            hosts=hosts,
            query=tuple(query),
            app_kwargs=tuple(kwargs.items()),
            adapter_kwargs=tuple(split.adapter.items()),
        ),
        tuple(problems),
    )


def _netloc_kwargs(url: DatabaseUrl) -> dict[str, Any]:
    out: dict[str, Any] = {}
    if len(url.hosts) > 1:
        out["host"] = [h or "localhost" for h, _ in url.hosts]
        out["port"] = [p or 5432 for _, p in url.hosts]
    else:
        if url.host:
            out["host"] = url.host
        if url.port:
            out["port"] = url.port
    if url.username:
        out["user"] = url.username
    if url.password is not None:
        out["password"] = url.password.get_secret_value()
    if url.database:
        out["database"] = url.database
    return out


def _evident(key: str, value: Any) -> Any:
    """The value dbctl goes on with for an argument the app would die of (None: drop it)."""
    if isinstance(value, tuple):
        value = value[-1]
    if not isinstance(value, str):
        return None
    if key in INT_KWARGS:
        return int(value) if value.isdigit() else None
    if key == "ssl":
        ssl = _ssl_value(value)
        return ssl if isinstance(ssl, bool) else None
    if key in {"host", "port", "user", "password", "database"}:
        return int(value) if key == "port" and value.isdigit() else value
    return None


def hosts_of(kwargs: dict[str, Any]) -> tuple[tuple[str | None, int | None], ...]:
    """(host, port) pairs as asyncpg will use them: a comma-separated host string shares
    one port (``h1,h2:5433`` is h1:5433 and h2:5433 for the app)."""
    host, port = kwargs.get("host"), kwargs.get("port")
    if host is None:
        return ((None, port if isinstance(port, int) else None),)
    hosts = host if isinstance(host, list) else str(host).split(",")
    if isinstance(port, list):
        ports = [int(p) if p is not None else None for p in port]
    else:
        ports = [port if isinstance(port, int) else None] * len(hosts)
    if len(ports) != len(hosts):
        return ()
    return tuple((h or None, p) for h, p in zip(hosts, ports, strict=True))


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
            # never echo it: in 'user:password/db' (no '@') the "port" is the password
            shown = f"'{port_text}' " if port_text.isdigit() else ""
            return UrlProblem(
                "config.invalid_url",
                "fail",
                f"the port {shown}is not a number from 1 to 65535",
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
    if userinfo is None:  # no '@': 'user:pw/db' still carries a password
        for secret in secrets_in_text(text):
            text = text.replace(secret, MASK)
        return mask_urls_in_text(text)
    user, sep, _ = userinfo.partition(":")
    return mask_urls_in_text(f"{m.group(1)}://{user}{':' + MASK if sep else ''}@{hostpart}")


_URL_PASSWORD_RE = re.compile(r"([A-Za-z][A-Za-z0-9+.\-]*://[^\s:/?#@'\"]*):[^\s'\"]*@")
#: ``password=…`` in a key/value DSN or a URL query (quoted values included).
_KV_SECRET_RE = re.compile(
    r"""(?:^|[\s?&;,(])((?:ssl)?password|pwd)\s*=\s*('(?:[^'\\]|\\.)*'|"[^"]*"|[^\s&;,)]*)""",
    re.IGNORECASE,
)


def mask_urls_in_text(text: str) -> str:
    """Mask the password of every URL inside free text (e.g. a usage error echoing argv)."""
    text = _URL_PASSWORD_RE.sub(lambda m: f"{m.group(1)}:{MASK}@", text)
    return _KV_SECRET_RE.sub(lambda m: m.group(0).replace(m.group(2), MASK, 1), text)


def secrets_in_text(text: str) -> list[str]:
    """Every password-looking part of one piece of text a person typed (an argument, a
    setting): URL userinfo even when the password holds quotes, spaces or '@', a URL
    without a host (``user:pw/db``), ``user:pw@host`` without a scheme, and
    ``password=`` in key/value DSNs and queries. For registering with the scrubber."""
    found: list[str] = []
    for kv in _KV_SECRET_RE.finditer(text):
        value = kv.group(2)
        if len(value) >= 2 and value[0] == value[-1] and value[0] in "'\"":
            value = value[1:-1]
        found.append(value)
    stripped = text.strip()
    m = _SCHEME_RE.match(stripped)
    rest = m.group(2) if m else stripped
    if "@" in rest:
        userinfo = rest[: rest.rindex("@")]
        if m is None:  # no scheme: only the last word before the '@' (`user:pw@host`)
            userinfo = userinfo.split()[-1] if userinfo.split() else ""
        if ":" in userinfo:
            found.append(userinfo.split(":", 1)[1])
    elif m is not None:  # no '@': SQLAlchemy reads 'user:pw/db' as host 'user', port 'pw'
        netloc = re.split(r"[/?#]", rest, maxsplit=1)[0]
        _, sep, pw = netloc.partition(":")
        if sep and pw and not pw.isdigit():
            found.append(pw)
    out: list[str] = []
    for secret in found:
        for form in (secret, unquote(secret)):
            if form and form not in out:
                out.append(form)
    return out

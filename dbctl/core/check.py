"""``dbctl check``: say exactly why a database is (not) usable by an async SQLAlchemy app.

The checks run in a fixed order (DESIGN.md §6)::

    config, dns, tcp, tls, auth, server, latency, capacity, session, privileges
    [, schema] [, migrations]

Each returns a :class:`~dbctl.core.result.CheckResult`. A check that cannot run because
an earlier one failed is ``skip``. URL problems are a ``fail`` of ``config`` but the rest
still runs with the corrected URL, so one run tells the whole story. Only asyncpg is
used (never SQLAlchemy): ``dbctl check`` must start fast.

This module is a library (``preflight`` calls it): no printing, no typer, no rich.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as _dt
import socket
import statistics
import struct
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from dbctl.core.result import CheckResult, Status, envelope
from dbctl.errors import (
    EXIT_FAIL,
    EXIT_OK,
    EXIT_UNREACHABLE,
    ConfigError,
    DatabaseError,
    UnreachableError,
)
from dbctl.settings import LoadedSettings
from dbctl.urls import DatabaseUrl, UrlAnalysis

CHECK_IDS = (
    "config",
    "dns",
    "tcp",
    "tls",
    "auth",
    "server",
    "latency",
    "capacity",
    "session",
    "privileges",
)
TITLES = {
    "config": "Configuration",
    "dns": "DNS resolution",
    "tcp": "TCP connection",
    "tls": "TLS",
    "auth": "Authentication",
    "server": "Server",
    "latency": "Latency",
    "capacity": "Connection capacity",
    "session": "Session",
    "privileges": "Privileges",
}
#: Failure codes of the transient class: ``--wait`` retries them.
RETRYABLE_CODES = frozenset(
    {
        "dns.unresolved",
        "tcp.refused",
        "tcp.timeout",
        "server.starting",
        "server.too_many_connections",
    }
)
#: Failure codes that make the target "unreachable" (exit 3).
UNREACHABLE_CODES = frozenset({"dns.unresolved", "tcp.refused", "tcp.timeout", "server.starting"})

#: Community end-of-life dates (https://www.postgresql.org/support/versioning/).
EOL_DATES = {
    10: _dt.date(2022, 11, 10),
    11: _dt.date(2023, 11, 9),
    12: _dt.date(2024, 11, 21),
    13: _dt.date(2025, 11, 13),
    14: _dt.date(2026, 11, 12),
    15: _dt.date(2027, 11, 11),
    16: _dt.date(2028, 11, 9),
    17: _dt.date(2029, 11, 8),
    18: _dt.date(2030, 11, 14),
}
#: Below this major version the server is not supported by asyncpg/SQLAlchemy 2: fail.
MIN_SUPPORTED_MAJOR = 10
LATENCY_ROUND_TRIPS = 5
#: The SSLRequest message of the PostgreSQL protocol (length 8, code 80877103).
SSL_REQUEST = struct.pack("!ii", 8, 80877103)
#: URL ``ssl=`` values that refuse an unencrypted connection.
TLS_DEMANDING = frozenset({"require", "verify-ca", "verify-full", "true", "1", "on", "yes"})

FACTS_SQL = """
select
  current_setting('server_version_num')::int as version_num,
  current_setting('server_version') as version,
  pg_is_in_recovery() as in_recovery,
  current_setting('transaction_read_only') as transaction_read_only,
  current_setting('default_transaction_read_only') as default_read_only,
  current_user as current_user,
  current_database() as current_database,
  (select rolsuper from pg_roles where rolname = current_user) as is_superuser,
  exists (select 1 from pg_namespace where nspname = $1) as schema_exists,
  case when exists (select 1 from pg_namespace where nspname = $1)
       then has_schema_privilege(current_user, $1, 'CREATE') end as can_create,
  has_database_privilege(current_user, current_database(), 'CREATE') as can_create_schema,
  (select count(*) from pg_stat_activity where backend_type = 'client backend')::int
    as client_backends,
  current_setting('max_connections')::int as max_connections,
  current_setting('superuser_reserved_connections')::int as superuser_reserved,
  coalesce(current_setting('reserved_connections', true), '0')::int as reserved,
  (select ssl from pg_stat_ssl where pid = pg_backend_pid()) as ssl,
  (select version from pg_stat_ssl where pid = pg_backend_pid()) as ssl_version,
  inet_server_port() as server_port
"""


@dataclass(slots=True)
class CheckReport:
    """The outcome of one ``dbctl check`` run against one target."""

    target: str
    status: Status
    exit_code: int
    duration_ms: float
    checks: list[CheckResult] = field(default_factory=list)

    @property
    def failed_codes(self) -> list[str]:
        return [c.code for c in self.checks if c.status == "fail" and c.code]

    @property
    def retryable(self) -> bool:
        """True when a failure is of the transient class that ``--wait`` retries."""
        return any(code in RETRYABLE_CODES for code in self.failed_codes)

    def get(self, check_id: str) -> CheckResult:
        for check in self.checks:
            if check.id == check_id:
                return check
        raise KeyError(check_id)

    def to_json(self) -> dict[str, Any]:
        """Exactly the shape of DESIGN.md §6."""
        return {
            **envelope(),
            "target": self.target,
            "status": self.status,
            "exit_code": self.exit_code,
            "duration_ms": round(self.duration_ms, 1),
            "checks": [c.to_json() for c in self.checks],
        }


def _ms(start: float) -> float:
    return (time.perf_counter() - start) * 1000


class _Run:
    """Mutable state of one run: the rows, keyed by id, in the fixed order."""

    def __init__(self) -> None:
        self.rows: dict[str, CheckResult] = {}
        self.unreachable = False

    def set(
        self,
        check_id: str,
        status: Status,
        summary: str,
        *,
        start: float | None = None,
        code: str | None = None,
        hint: str | None = None,
        data: dict[str, Any] | None = None,
    ) -> CheckResult:
        row = CheckResult(
            id=check_id,
            title=TITLES.get(check_id, check_id),
            status=status,
            summary=summary,
            duration_ms=_ms(start) if start is not None else 0.0,
            code=code,
            hint=hint,
            data=data or {},
        )
        self.rows[check_id] = row
        return row

    def fail_from(self, check_id: str, err: DatabaseError, *, start: float | None) -> None:
        if isinstance(err, UnreachableError) or err.code in UNREACHABLE_CODES:
            self.unreachable = True
        data: dict[str, Any] = {"sqlstate": err.sqlstate} if err.sqlstate else {}
        self.set(
            check_id,
            "fail",
            err.message,
            start=start,
            code=err.code,
            hint=err.hint,
            data=data,
        )

    def skip_rest(self, reason: str) -> None:
        for check_id in CHECK_IDS:
            if check_id not in self.rows:
                self.set(check_id, "skip", reason)

    def ordered(self) -> list[CheckResult]:
        return [self.rows[i] for i in CHECK_IDS if i in self.rows]


# --------------------------------------------------------------------------------------
# entry points


async def run_check(
    loaded: LoadedSettings, *, strict: bool = False, offline: bool = False
) -> CheckReport:
    """Run every check against the configured target (``offline``: only the checks that
    need no connection — config and the migration scripts).

    Raises :class:`~dbctl.errors.ConfigError` (exit 2) when there is no URL or it cannot
    be used at all (offline, a missing URL is fine); every other problem is a row.
    """
    started = time.perf_counter()
    if offline:
        return _offline(loaded, strict, started)
    analysis = loaded.url_analysis()  # ConfigError when no URL
    if analysis.url is None:
        fatal = analysis.problems[-1]
        raise ConfigError(fatal.message, hint=fatal.hint, code=fatal.code)
    url = analysis.url
    timeout = loaded.settings.timeout
    run = _Run()
    extra: list[CheckResult] = []

    _check_config(run, analysis)
    conn = await _check_network(run, url, timeout)
    if conn is not None:
        try:
            await _check_server(run, conn, loaded, url, timeout)
            extra = await _extra_checks(conn, loaded)
        finally:
            await _close(conn)
    else:
        from dbctl.core import migrations_check

        reason = "not run: an earlier check failed"
        if loaded.settings.models:
            extra.append(CheckResult("schema", "Schema", "skip", reason))
        # several heads or a broken revision graph show without a database
        row = migrations_check.run_without_database(loaded, "an earlier check failed")
        if row is not None:
            extra.append(row)
    run.skip_rest("not run: an earlier check failed")
    checks = run.ordered() + extra
    return _report(url.masked(), checks, run.unreachable, strict, started)


def _offline(loaded: LoadedSettings, strict: bool, started: float) -> CheckReport:
    """``check --offline``: the URL's hygiene (when there is one) and the migration
    scripts; nothing is resolved or connected."""
    from dbctl.core import migrations_check

    run = _Run()
    target = "(no database URL)"
    if loaded.settings.url is None:
        run.set("config", "skip", "no database URL configured (not needed offline)")
    else:
        analysis = loaded.url_analysis()
        if analysis.url is None:
            fatal = analysis.problems[-1]
            raise ConfigError(fatal.message, hint=fatal.hint, code=fatal.code)
        _check_config(run, analysis)
        target = analysis.url.masked()
    checks = run.ordered()
    row = migrations_check.run_without_database(loaded, "--offline", offline=True)
    if row is not None:
        checks.append(row)
    return _report(target, checks, False, strict, started)


async def run_check_with_wait(
    loaded: LoadedSettings,
    wait_s: float,
    strict: bool = False,
    on_retry: Callable[[int, CheckReport, float], None] | None = None,
    *,
    offline: bool = False,
) -> CheckReport:
    """:func:`run_check`, retried with backoff while it fails for a transient reason
    (refused, timeout, DNS, starting up, too many connections) and ``wait_s`` seconds
    have not passed. Any other failure (wrong password, missing database…) returns at
    once. ``on_retry(attempt, report, delay)`` is called before each pause."""
    deadline = time.monotonic() + max(wait_s, 0.0)
    delay = 0.25
    attempt = 1
    while True:
        report = await run_check(loaded, strict=strict, offline=offline)
        remaining = deadline - time.monotonic()
        if not report.retryable or remaining <= 0:
            return report
        pause = min(delay, remaining)
        if on_retry is not None:
            on_retry(attempt, report, pause)
        await asyncio.sleep(pause)
        delay = min(delay * 2, 5.0)
        attempt += 1


# --------------------------------------------------------------------------------------
# several targets at once


@dataclass(slots=True)
class MultiReport:
    """Several targets checked concurrently; the worst status and exit code win."""

    targets: list[tuple[str, CheckReport]]
    status: Status
    exit_code: int
    duration_ms: float

    def to_json(self) -> dict[str, Any]:
        return {
            **envelope(),
            "status": self.status,
            "exit_code": self.exit_code,
            "duration_ms": round(self.duration_ms, 1),
            "targets": [{"name": name, **report.to_json()} for name, report in self.targets],
        }


#: Exit codes from best to worst for the combined report (3 > 1 > 0).
_EXIT_RANK = {EXIT_OK: 0, EXIT_FAIL: 1, EXIT_UNREACHABLE: 2}
_STATUS_RANK = {"pass": 0, "skip": 0, "warn": 1, "fail": 2}


def with_url(loaded: LoadedSettings, url: str, origin: str) -> LoadedSettings:
    """A copy of ``loaded`` whose URL is ``url`` (other settings unchanged)."""
    from dataclasses import replace

    from pydantic import SecretStr

    settings = loaded.settings.model_copy(update={"url": SecretStr(url)})
    return replace(loaded, settings=settings, origins={**loaded.origins, "url": origin})


def resolve_targets(
    loaded: LoadedSettings, urls: list[str] | None = None
) -> list[tuple[str, LoadedSettings]] | None:
    """The named targets to check, or None for the usual single target.

    Several ``urls`` (``--url`` given more than once) are named ``host:port/db``; without
    them, ``[tool.dbctl.targets]`` (``name = "url"``) in pyproject.toml is used when
    present. Every target's URL must be usable (ConfigError, exit 2, naming the target);
    every password is registered for scrubbing.
    """
    from dbctl.errors import register_secret
    from dbctl.urls import analyze_url

    named: list[tuple[str, str, str]] = []  # (name, url, origin)
    if urls and len(urls) > 1:
        seen: dict[str, int] = {}
        for raw in urls:
            analysis = analyze_url(raw)
            label = "?"
            if analysis.url is not None:
                host = ",".join(f"{h or ''}:{p or 5432}" for h, p in analysis.url.hosts)
                label = f"{host}/{analysis.url.database or ''}"
            seen[label] = seen.get(label, 0) + 1
            name = label if seen[label] == 1 else f"{label}#{seen[label]}"
            named.append((name, raw, "flag"))
    elif not urls:
        table = loaded.pyproject_table.get("targets")
        if not table:
            return None
        if not isinstance(table, dict):
            raise ConfigError('[tool.dbctl.targets] must be a table of name = "url"')
        for name, raw in table.items():
            if not isinstance(raw, str):
                raise ConfigError(
                    f"[tool.dbctl.targets] {name}: the value must be a URL string",
                    hint='write name = "postgresql+asyncpg://user@host:5432/db"',
                )
            named.append((str(name), raw, "pyproject.toml [tool.dbctl.targets]"))
    else:
        return None
    out = []
    for name, raw, origin in named:
        analysis = analyze_url(raw)
        if analysis.url is None:
            fatal = analysis.problems[-1]
            raise ConfigError(f"target {name}: {fatal.message}", hint=fatal.hint, code=fatal.code)
        if analysis.url.password is not None:
            register_secret(analysis.url.password.get_secret_value())
        out.append((name, with_url(loaded, raw, origin)))
    return out


async def run_check_many(
    targets: list[tuple[str, LoadedSettings]],
    *,
    wait_s: float = 0.0,
    strict: bool = False,
    on_retry: Callable[[str, int, CheckReport, float], None] | None = None,
    offline: bool = False,
) -> MultiReport:
    """Check every target concurrently (each with ``--wait`` semantics); the combined
    exit code is the worst: 3 (one unreachable) > 1 (one failed) > 0.
    ``on_retry(name, attempt, report, delay)`` is called before each pause."""

    def named(name: str) -> Callable[[int, CheckReport, float], None] | None:
        if on_retry is None:
            return None
        return lambda attempt, report, delay: on_retry(name, attempt, report, delay)

    started = time.perf_counter()
    reports = await asyncio.gather(
        *(
            run_check_with_wait(t, wait_s, strict, on_retry=named(n), offline=offline)
            for n, t in targets
        )
    )
    pairs = [(name, report) for (name, _t), report in zip(targets, reports, strict=True)]
    exit_code = max((r.exit_code for _n, r in pairs), key=lambda c: _EXIT_RANK.get(c, 3))
    worst = max((r.status for _n, r in pairs), key=lambda s: _STATUS_RANK[s])
    return MultiReport(pairs, worst, exit_code, _ms(started))


def _report(
    target: str, checks: list[CheckResult], unreachable: bool, strict: bool, started: float
) -> CheckReport:
    statuses = {c.status for c in checks}
    status: Status = "fail" if "fail" in statuses else "warn" if "warn" in statuses else "pass"
    if unreachable:
        exit_code = EXIT_UNREACHABLE
    elif status == "fail" or (status == "warn" and strict):
        exit_code = EXIT_FAIL
    else:
        exit_code = EXIT_OK
    return CheckReport(target, status, exit_code, _ms(started), checks)


# --------------------------------------------------------------------------------------
# config


def _check_config(run: _Run, analysis: UrlAnalysis) -> None:
    start = time.perf_counter()
    assert analysis.url is not None
    corrected = analysis.url.masked()
    problems = analysis.problems
    data: dict[str, Any] = {
        "url": corrected,
        "problems": [
            {"code": p.code, "severity": p.severity, "message": p.message, "hint": p.hint}
            for p in problems
        ],
    }
    if not problems:
        run.set("config", "pass", "the URL is a valid asyncpg URL", start=start, data=data)
        return
    worst = next((p for p in problems if p.severity == "fail"), problems[0])
    status: Status = "fail" if worst.severity == "fail" else "warn"
    summary = "; ".join(p.message for p in problems)
    hint = "; ".join(p.hint for p in problems)
    if status == "fail":
        summary += f" (the other checks use the corrected URL {corrected})"
    run.set("config", status, summary, start=start, code=worst.code, hint=hint, data=data)


# --------------------------------------------------------------------------------------
# dns, tcp, tls, auth


def _is_socket_host(host: str | None) -> bool:
    return host is None or host.startswith("/") or host.startswith("@")


async def _check_network(run: _Run, url: DatabaseUrl, timeout: float) -> Any | None:
    """dns, tcp, tls and auth. Returns an open asyncpg connection, or None (rows set)."""
    host, port = url.host, url.port or 5432
    multi = len(url.hosts) > 1
    offered: bool | None = None
    if multi or _is_socket_host(host):
        reason = (
            "several hosts: asyncpg tries each in turn (see auth)"
            if multi
            else "no TCP host: asyncpg uses a Unix-domain socket (see auth)"
        )
        for check_id in ("dns", "tcp", "tls"):
            run.set(check_id, "skip", reason)
    else:
        assert host is not None
        addrs = await _check_dns(run, host, port, timeout)
        if addrs is None:
            return None
        offered = await _check_tcp(run, host, addrs, port, timeout)
        if run.rows["tcp"].status == "fail":
            return None
        if not _check_tls(run, url, offered):
            return None
    return await _check_auth(run, url, timeout, offered)


async def _check_dns(
    run: _Run, host: str, port: int, timeout: float
) -> list[tuple[Any, ...]] | None:
    start = time.perf_counter()
    literal = _ip_literal(host, port)
    if literal is not None:  # no resolver round trip (nor executor thread) for an address
        run.set("dns", "pass", f"{host} is an IP address", start=start, data={"addresses": [host]})
        return [literal]
    loop = asyncio.get_running_loop()
    try:
        infos = await asyncio.wait_for(
            loop.getaddrinfo(host, port, type=socket.SOCK_STREAM), timeout=timeout
        )
    except (OSError, TimeoutError) as exc:
        timed_out = isinstance(exc, TimeoutError)
        why = f"no answer within {timeout:g} s" if timed_out else "name not known"
        run.unreachable = True
        run.set(
            "dns",
            "fail",
            f"cannot resolve host '{host}' ({why})",
            start=start,
            code="dns.unresolved",
            hint="check the host name; a docker-compose service name (e.g. 'db') only "
            "resolves inside that compose network — from the host use localhost and the "
            "published port",
        )
        return None
    addrs = sorted({str(info[4][0]) for info in infos})
    run.set("dns", "pass", f"{host} -> {', '.join(addrs)}", start=start, data={"addresses": addrs})
    return infos


def _ip_literal(host: str, port: int) -> tuple[Any, ...] | None:
    """A getaddrinfo-shaped entry for an IPv4/IPv6 address, or None for a name."""
    import ipaddress

    try:
        ip = ipaddress.ip_address(host)
    except ValueError:
        return None
    if ip.version == 4:
        return (socket.AF_INET, socket.SOCK_STREAM, 0, "", (host, port))
    return (socket.AF_INET6, socket.SOCK_STREAM, 0, "", (host, port, 0, 0))


async def _probe(family: int, sockaddr: Any, timeout: float) -> tuple[str, bytes | None]:
    """Open a TCP connection and send SSLRequest. ('ok', b'S'|b'N'|other) or a failure.

    When the server says 'S', the TLS handshake is completed and closed cleanly
    (close_notify): a dropped handshake would log "could not accept SSL connection" on
    the server at every check, while a clean goodbye before the startup packet is silent.
    """
    try:
        reader, writer = await asyncio.wait_for(
            asyncio.open_connection(sockaddr[0], sockaddr[1], family=family), timeout=timeout
        )
    except TimeoutError:
        return "connect_timeout", None
    except ConnectionRefusedError:
        return "refused", None
    except OSError as exc:
        return f"oserror:{exc.strerror or type(exc).__name__}", None
    try:
        writer.write(SSL_REQUEST)
        try:
            answer = await asyncio.wait_for(reader.read(1), timeout=timeout)
        except TimeoutError:
            return "no_answer", None
        except OSError:
            return "ok", b""
        if answer == b"S":
            await _tls_goodbye(writer, timeout)
        return "ok", answer
    finally:
        writer.close()
        with contextlib.suppress(Exception):
            await asyncio.wait_for(writer.wait_closed(), timeout=timeout)


async def _tls_goodbye(writer: asyncio.StreamWriter, timeout: float) -> None:
    """Finish the TLS handshake the SSLRequest started, without verifying anything
    (verification is the real connection's job), so the server can close quietly."""
    import ssl

    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)  # no CA loading: nothing is verified
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    with contextlib.suppress(Exception):
        await asyncio.wait_for(writer.start_tls(ctx), timeout=timeout)


async def _check_tcp(
    run: _Run, host: str, infos: list[tuple[Any, ...]], port: int, timeout: float
) -> bool | None:
    """Connect to the first address that accepts; ask whether the server offers TLS.

    Returns True/False for "the server offers TLS", None when unknown.
    """
    start = time.perf_counter()
    target = f"{host}:{port}"
    outcome, answer = "refused", None
    for family, _type, _proto, _canon, sockaddr in infos:
        outcome, answer = await _probe(family, sockaddr, timeout)
        if outcome == "ok":
            break
    if outcome == "refused" or outcome.startswith("oserror:"):
        detail = outcome.split(":", 1)[1] if ":" in outcome else "connection refused"
        run.unreachable = True
        run.set(
            "tcp",
            "fail",
            f"{detail} by {target}: nothing is listening"
            if outcome == "refused"
            else f"cannot connect to {target}: {detail}",
            start=start,
            code="tcp.refused",
            hint="the server is down, the port is wrong, or listen_addresses does not "
            "include this interface",
        )
        return None
    if outcome in {"connect_timeout", "no_answer"}:
        run.unreachable = True
        summary = (
            f"no response from {target} within {timeout:g} s"
            if outcome == "connect_timeout"
            else f"{target} accepts TCP connections but does not answer the PostgreSQL "
            f"protocol within {timeout:g} s"
        )
        run.set(
            "tcp",
            "fail",
            summary,
            start=start,
            code="tcp.timeout",
            hint="a firewall, security group or wrong address drops the packets, the "
            "port belongs to another service, or the server is overloaded; raise --timeout "
            "only if the network is known to be slow",
        )
        return None
    offered: bool | None = {b"S": True, b"N": False}.get(answer or b"")
    summary = f"{target} accepts connections"
    if offered is None:
        summary += " (unexpected answer to the PostgreSQL SSL request: is it PostgreSQL?)"
    run.set("tcp", "pass", summary, start=start, data={"address": target})
    return offered


def _check_tls(run: _Run, url: DatabaseUrl, offered: bool | None) -> bool:
    """Compare what the server offers with what the URL demands. False when it cannot work."""
    mode = (url.query_value("ssl") or "prefer").lower()
    demanded = mode in TLS_DEMANDING
    data: dict[str, Any] = {"server_offers_tls": offered, "url_ssl": mode}
    if offered is False and demanded:
        run.set(
            "tls",
            "fail",
            f"the URL requires TLS (ssl={mode}) but the server does not offer it",
            code="tls.unavailable",
            hint="enable ssl on the server, or drop ?ssl=require / use ssl=prefer",
            data=data,
        )
        return False
    if offered is None:
        summary = "unknown whether the server offers TLS"
    elif offered:
        summary = f"the server offers TLS; the URL asks for ssl={mode}"
    else:
        summary = f"the server does not offer TLS; the connection is unencrypted (ssl={mode})"
    run.set("tls", "pass", summary, data=data)
    return True


#: Where a connect error belongs: tls.* on the tls row, server states on the server row.
def _row_for(code: str | None) -> str:
    if code and code.startswith("tls."):
        return "tls"
    if code in {"server.starting", "server.too_many_connections"}:
        return "server"
    return "auth"


def _refine_tls_required(err: DatabaseError, offered: bool | None) -> DatabaseError:
    """pg_hba refused an unencrypted connection (28000, "... no encryption").

    When the server offers TLS, encrypting would help: ``tls.required``. When it does not,
    an explicit ``reject`` line is a plain rejection, and a missing line (only ``hostssl``
    lines match) is a server that demands TLS it cannot provide.
    """
    if err.code != "tls.required" or offered is not False:
        return err
    if "rejects connection" in err.message:  # "pg_hba.conf rejects connection for …"
        return DatabaseError(
            err.message,
            code="auth.rejected",
            sqlstate=err.sqlstate,
            hint="a pg_hba.conf line explicitly rejects this client/user/database "
            "combination: change that line on the server or connect as an allowed user",
        )
    err.hint = (
        "pg_hba.conf only admits this client over TLS (hostssl lines), but the server does "
        "not offer TLS: enable ssl on the server, or add a matching host line"
    )
    return err


async def _check_auth(
    run: _Run, url: DatabaseUrl, timeout: float, offered: bool | None = None
) -> Any | None:
    from dbctl.db.connect import connect

    start = time.perf_counter()
    try:
        # statement_cache_size=0: unnamed prepared statements work through PgBouncer too
        conn = await connect(url, timeout=timeout, statement_cache_size=0)
    except DatabaseError as caught:
        err = _refine_tls_required(caught, offered)
        row = _row_for(err.code)
        run.fail_from(row, err, start=start)
        if row != "auth":
            run.set("auth", "skip", "unknown: the server ended the connection attempt first")
        return None
    user = url.username or "(default user)"
    db = url.database or "(default database)"
    run.set(
        "auth",
        "pass",
        f"logged in as {user} to {db}",
        start=start,
        data={"user": url.username, "database": url.database},
    )
    return conn


async def _close(conn: Any) -> None:
    try:
        await asyncio.wait_for(conn.close(), timeout=2)
    except Exception:
        conn.terminate()


# --------------------------------------------------------------------------------------
# server, latency, capacity, session, privileges


async def _check_server(
    run: _Run, conn: Any, loaded: LoadedSettings, url: DatabaseUrl, timeout: float
) -> None:
    from dbctl.db.connect import target_label
    from dbctl.db.errors import translate

    settings = loaded.settings
    start = time.perf_counter()
    # the version arrives with the login (ParameterStatus): refuse very old servers before
    # the catalog query, which needs PostgreSQL 10 (backend_type)
    info = conn.get_server_version()
    if info.major < MIN_SUPPORTED_MAJOR:
        version_num = info.major * 10000 + info.minor * 100 + info.micro
        version = f"{info.major}.{info.minor}.{info.micro}"
        _server_row(run, {"version_num": version_num, "version": version}, start)
        return
    try:
        facts = dict(
            await conn.fetchrow(FACTS_SQL, settings.db_schema, timeout=timeout)  # one query
        )
    except Exception as exc:
        err = translate(exc, target=target_label(url), timeout=timeout)
        if err is None:
            raise
        if err.code == "pgbouncer.transaction_mode":
            err.message = (
                "a prepared statement vanished between two queries: a connection pooler "
                f"(PgBouncer in transaction mode) sits in front of the server ({err.message})"
            )
        run.fail_from("server", err, start=start)
        return
    _server_row(run, facts, start)
    _tls_facts(run, facts)
    try:
        await _latency_row(run, conn, timeout)
    except Exception as exc:  # the server stalled or the connection broke meanwhile
        err = translate(exc, target=target_label(url), timeout=timeout)
        if err is None:
            raise
        run.fail_from("latency", err, start=None)
    _capacity_row(run, facts, settings.pool_size, settings.max_overflow, settings.workers)
    _session_row(run, facts, url)
    _privileges_row(run, facts, settings.db_schema)


def _server_row(run: _Run, facts: dict[str, Any], start: float) -> None:
    num = int(facts["version_num"])
    major = num // 10000 if num >= 100000 else num // 100  # 9.6.24 (90624) -> 906
    version = str(facts["version"]).split(" ")[0]
    data = {"version": version, "version_num": num, "major": major}
    if num < MIN_SUPPORTED_MAJOR * 10000:
        run.set(
            "server",
            "fail",
            f"PostgreSQL {version} is too old for asyncpg and SQLAlchemy 2",
            start=start,
            code="server.unsupported_version",
            hint="upgrade the server to a supported release "
            "(https://www.postgresql.org/support/versioning/)",
            data=data,
        )
        return
    eol = EOL_DATES.get(major)
    today = _dt.date.today()
    if eol is not None and eol <= today:
        run.set(
            "server",
            "warn",
            f"PostgreSQL {version} reached its community end of life on {eol.isoformat()}",
            start=start,
            code="server.unsupported_version",
            hint="no more security fixes: plan an upgrade to a supported major release",
            data={**data, "end_of_life": eol.isoformat()},
        )
        return
    summary = f"PostgreSQL {version}"
    if eol is not None:
        data["end_of_life"] = eol.isoformat()
        summary += f" (supported until {eol.isoformat()})"
    run.set("server", "pass", summary, start=start, data=data)


def _tls_facts(run: _Run, facts: dict[str, Any]) -> None:
    row = run.rows.get("tls")
    if row is None or row.status == "fail":
        return
    encrypted = facts.get("ssl")
    row.data["encrypted"] = encrypted
    if facts.get("ssl_version"):
        row.data["protocol"] = facts["ssl_version"]
    if row.status == "skip" and encrypted is not None:
        row.status = "pass"
        row.summary = (
            f"the connection is encrypted ({facts.get('ssl_version')})"
            if encrypted
            else "the connection is not encrypted"
        )
    elif encrypted:
        row.summary += f"; the connection is encrypted ({facts.get('ssl_version')})"


async def _latency_row(run: _Run, conn: Any, timeout: float) -> None:
    start = time.perf_counter()
    samples = []
    for _ in range(LATENCY_ROUND_TRIPS):
        t0 = time.perf_counter()
        await conn.fetchval("select 1", timeout=timeout)
        samples.append(_ms(t0))
    median = statistics.median(samples)
    run.set(
        "latency",
        "pass",
        f"median {median:.1f} ms over {LATENCY_ROUND_TRIPS} round trips",
        start=start,
        data={"median_ms": round(median, 2), "samples_ms": [round(s, 2) for s in samples]},
    )


def _capacity_row(
    run: _Run, facts: dict[str, Any], pool_size: int, max_overflow: int, workers: int
) -> None:
    used = int(facts["client_backends"])
    max_conn = int(facts["max_connections"])
    reserved = int(facts["superuser_reserved"]) + int(facts["reserved"])
    usable = max(max_conn - reserved, 0)
    free = max(usable - used, 0)
    app = (pool_size + max_overflow) * workers
    data = {
        "client_backends": used,
        "max_connections": max_conn,
        "reserved_connections": reserved,
        "usable": usable,
        "free": free,
        "app_pool_capacity": app,
    }
    summary = (
        f"{used} of {usable} usable connections in use ({free} free); "
        f"the app may open {app} ((pool_size {pool_size} + max_overflow {max_overflow}) "
        f"x {workers} worker{'s' if workers != 1 else ''})"
    )
    if free < app:
        run.set(
            "capacity",
            "warn",
            summary,
            code="capacity.low_headroom",
            hint="under load the app will hit 'too many clients' (53300): lower pool_size / "
            "max_overflow / workers, put PgBouncer in front, or raise max_connections "
            "(connections the app already holds are counted as in use)",
            data=data,
        )
        return
    run.set("capacity", "pass", summary, data=data)


def _session_row(run: _Run, facts: dict[str, Any], url: DatabaseUrl) -> None:
    in_recovery = bool(facts["in_recovery"])
    read_only = facts["transaction_read_only"] == "on"
    server_port = facts.get("server_port")
    data: dict[str, Any] = {
        "in_recovery": in_recovery,
        "transaction_read_only": read_only,
        "user": facts["current_user"],
        "database": facts["current_database"],
        "server_port": server_port,
    }
    proxy_note = ""
    if server_port is not None and url.port is not None and int(server_port) != url.port:
        data["proxy_suspected"] = True
        proxy_note = (
            f"; the server listens on port {server_port}, not {url.port}: a proxy "
            "(PgBouncer?) or a port mapping is in between"
        )
    if in_recovery or read_only:
        why = (
            "the server is a standby (pg_is_in_recovery() is true)"
            if in_recovery
            else f"the session is read-only (default_transaction_read_only = "
            f"{facts['default_read_only']})"
        )
        run.set(
            "session",
            "warn",
            f"{why}: writes will fail with 25006{proxy_note}",
            code="session.read_only",
            hint="fine for a read-only app; otherwise point the URL at the primary, or "
            "ALTER ROLE … SET default_transaction_read_only = off",
            data=data,
        )
        return
    if data.get("proxy_suspected") and url.port == 6432:
        run.set(
            "session",
            "warn",
            "read-write session" + proxy_note,
            code="pgbouncer.transaction_mode",
            hint="port 6432 is PgBouncer's: if it runs in transaction mode, asyncpg's "
            'prepared statements break — connect_args={"statement_cache_size": 0} and '
            "prepared_statement_cache_size=0, or PgBouncer >= 1.21 max_prepared_statements",
            data=data,
        )
        return
    run.set("session", "pass", "read-write session" + proxy_note, data=data)


def _privileges_row(run: _Run, facts: dict[str, Any], schema: str) -> None:
    user = facts["current_user"]
    data = {"schema": schema, "user": user, "is_superuser": bool(facts["is_superuser"])}
    if not facts["schema_exists"]:
        can = bool(facts["can_create_schema"])
        run.set(
            "privileges",
            "warn",
            f"schema '{schema}' does not exist"
            + (f" ({user} may create it)" if can else f" and {user} may not create it"),
            code="privileges.no_create",
            hint=f"CREATE SCHEMA {schema} (as an owner), or set the schema setting",
            data=data,
        )
        return
    if facts["can_create"]:
        run.set("privileges", "pass", f"{user} may create tables in schema '{schema}'", data=data)
        return
    run.set(
        "privileges",
        "warn",
        f"{user} may not create tables in schema '{schema}' (create_all / migrations fail "
        "with 42501)",
        code="privileges.no_create",
        hint=f"fine if the app never runs DDL; otherwise run migrations as the owner or "
        f"GRANT CREATE ON SCHEMA {schema} TO {user} (PostgreSQL 15 removed CREATE on "
        "public from other roles)",
        data=data,
    )


async def _extra_checks(conn: Any, loaded: LoadedSettings) -> list[CheckResult]:
    """``schema`` (when models are configured) and ``migrations`` (when Alembic is)."""
    from dbctl.core import migrations_check, schema_check

    rows: list[CheckResult] = []
    if loaded.settings.models:
        row = await schema_check.run(conn, loaded)
        if row is not None:
            rows.append(row)
    row = await migrations_check.run(conn, loaded)
    if row is not None:
        rows.append(row)
    return rows

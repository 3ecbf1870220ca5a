"""``dbctl check``: say exactly why a database is (not) usable by an async SQLAlchemy app.

The runner: it walks the registry of :mod:`dbctl.checks` (one module per check) in its
fixed order (DESIGN.md §6)::

    config, dns, tcp, tls, auth, server, latency, capacity, session, privileges
    [, schema] [, migrations]

A check that cannot run because something it needs was not produced is ``skip``. URL
problems are a ``fail`` of ``config`` but the rest still runs with the corrected URL, so
one run tells the whole story. Only asyncpg is used (never SQLAlchemy): ``dbctl check``
must start fast.

This module is a library (``preflight`` calls it): no printing, no typer, no rich.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from dbctl.checks import CHECK_IDS, CHECKS, TITLES
from dbctl.checks.base import EARLIER_FAILED, Context, ms_since
from dbctl.checks.codes import RETRYABLE_CODES, UNREACHABLE_CODES
from dbctl.core.result import CheckResult, Status, report_head
from dbctl.errors import (
    EXIT_FAIL,
    EXIT_OK,
    EXIT_UNREACHABLE,
    ConfigError,
)
from dbctl.settings import LoadedSettings
from dbctl.urls import DatabaseUrl

__all__ = [
    "CHECK_IDS",
    "RETRYABLE_CODES",
    "TITLES",
    "UNREACHABLE_CODES",
    "CheckReport",
    "MultiReport",
    "resolve_targets",
    "run_check",
    "run_check_many",
    "run_check_with_wait",
]


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
        head = report_head(self.status, self.exit_code, self.duration_ms, target=self.target)
        return {**head, "checks": [c.to_json() for c in self.checks]}


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
        return await _offline(loaded, strict, started)
    analysis = loaded.url_analysis()  # ConfigError when no URL
    if analysis.url is None:
        fatal = analysis.problems[-1]
        raise ConfigError(fatal.message, hint=fatal.hint, code=fatal.code)
    url = with_engine_connect(analysis.url, loaded.engine_connect)
    ctx = Context(loaded, analysis, url, loaded.settings.timeout, TITLES)
    try:
        for check in CHECKS:
            if check.id in ctx.rows:  # set by an earlier check (a connect error)
                continue
            if check.applies is not None and not check.applies(loaded):
                continue
            missing = next((n for n in check.needs if n not in ctx.provides), None)
            if missing is not None:
                ctx.set(check.id, "skip", ctx.skip_reasons.get(missing, EARLIER_FAILED))
                continue
            await check.run(ctx)
    finally:
        if ctx.conn is not None:
            await _close(ctx.conn)
    checks = [ctx.rows[c.id] for c in CHECKS if c.id in ctx.rows]
    return _report(url.masked(), checks, ctx.unreachable, strict, started)


async def _offline(loaded: LoadedSettings, strict: bool, started: float) -> CheckReport:
    """``check --offline``: the URL's hygiene (when there is one) and the migration
    scripts; nothing is resolved or connected."""
    from dbctl.checks import config
    from dbctl.core import migrations_check

    target = "(no database URL)"
    checks: list[CheckResult] = []
    if loaded.settings.url is None:
        reason = "no database URL configured (not needed offline)"
        checks.append(CheckResult("config", TITLES["config"], "skip", reason))
    else:
        analysis = loaded.url_analysis()
        if analysis.url is None:
            fatal = analysis.problems[-1]
            raise ConfigError(fatal.message, hint=fatal.hint, code=fatal.code)
        ctx = Context(loaded, analysis, analysis.url, loaded.settings.timeout, TITLES)
        await config.run(ctx)
        checks.append(ctx.rows["config"])
        target = analysis.url.masked()
    row = migrations_check.run_without_database(loaded, "--offline", offline=True)
    if row is not None:
        checks.append(row)
    return _report(target, checks, False, strict, started)


async def _close(conn: Any) -> None:
    try:
        await asyncio.wait_for(conn.close(), timeout=2)
    except Exception:
        conn.terminate()


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
    started = time.monotonic()
    deadline = started + max(wait_s, 0.0)
    delay = 0.25
    attempt = 1
    while True:
        report = await run_check(loaded, strict=strict, offline=offline)
        remaining = deadline - time.monotonic()
        if not report.retryable or remaining <= 0:
            if attempt > 1:  # the verdict's time is the whole wait, not the last attempt's
                report.duration_ms = (time.monotonic() - started) * 1000
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
            **report_head(self.status, self.exit_code, self.duration_ms),
            "targets": [{"name": name, **report.to_json()} for name, report in self.targets],
        }


#: Exit codes from best to worst for the combined report (3 > 1 > 0).
_EXIT_RANK = {EXIT_OK: 0, EXIT_FAIL: 1, EXIT_UNREACHABLE: 2}
_STATUS_RANK = {"pass": 0, "skip": 0, "warn": 1, "fail": 2}


def with_engine_connect(url: DatabaseUrl, connect: dict[str, Any] | None) -> DatabaseUrl:
    """``url`` connecting with the app engine's own keyword arguments (``--engine``)."""
    if connect is None:
        return url
    from dataclasses import replace

    from dbctl.dialect import split_adapter
    from dbctl.urls import hosts_of

    split = split_adapter(connect)
    return replace(
        url,
        hosts=hosts_of(split.asyncpg) or url.hosts,
        app_kwargs=tuple(split.asyncpg.items()),
        adapter_kwargs=tuple(split.adapter.items()),
    )


def apply_engine(loaded: LoadedSettings, spec: str) -> LoadedSettings:
    """``loaded`` with the URL, connect arguments and pool size of the app's engine
    (``--engine MOD:ATTR``); imports the app and SQLAlchemy."""
    from dataclasses import replace

    from pydantic import SecretStr

    from dbctl.app_engine import load_engine
    from dbctl.errors import register_secret

    app = asyncio.run(load_engine(spec, loaded.settings.app_dir))
    password = app.connect_kwargs.get("password")
    register_secret(password if isinstance(password, str) else None)
    update: dict[str, Any] = {"url": SecretStr(app.url)}
    origins = {**loaded.origins, "url": f"--engine {spec}"}
    if app.pool_size is not None:
        update["pool_size"] = app.pool_size
        origins["pool_size"] = f"--engine {spec} ({app.pool_class})"
    settings = loaded.settings.model_copy(update=update)
    return replace(loaded, settings=settings, origins=origins, engine_connect=app.connect_kwargs)


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
    from dbctl.urls import analyze_url, mask_url_text

    named: list[tuple[str, str, str]] = []  # (name, url, origin)
    if urls and len(urls) > 1:
        seen: dict[str, int] = {}
        for raw in urls:
            analysis = analyze_url(raw)
            label = mask_url_text(raw)  # an unusable URL is named as written, masked
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
        for secret in analysis.url.secrets():
            register_secret(secret)
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
    return MultiReport(pairs, worst, exit_code, ms_since(started))


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
    return CheckReport(target, status, exit_code, ms_since(started), checks)

"""``dbctl prestart``: the whole pre-start step of an app container in one command.

Steps, in order, each a row with a status and a duration (the shape of a check row)::

    wait    connect, retrying the transient failures for up to --wait seconds
    lock    pg_advisory_xact_lock on a dedicated connection: replicas run one at a time
    schema  Alembic configured: ``alembic upgrade head`` through Alembic's command API,
            in-process (refused when the database is at a revision the scripts do not
            know); else init-db (the models' tables, created when missing)
    seed    --seed FILE, idempotently (rows with an existing key are skipped)

The lock is transaction-scoped (it works through a transaction-pooling PgBouncer too)
and held on its own connection, which reads nothing: a replica that waited finds the
schema at head and the seed loaded, and does nothing. A failed step ends the run;
the steps after it are ``skip``. The exit code is the failed step's: 3 unreachable,
2 configuration, 1 anything else.

This module is a library: no printing (progress goes through callbacks), no typer.
"""

from __future__ import annotations

import asyncio
import hashlib
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from dbctl.core.migrations_check import few as _few
from dbctl.core.result import CheckResult, Status, report_head
from dbctl.errors import (
    EXIT_OK,
    ConfigError,
    DatabaseError,
    DbctlError,
    OperationError,
)
from dbctl.settings import LoadedSettings
from dbctl.urls import DatabaseUrl

#: The advisory lock every ``dbctl prestart`` on a database takes (per database: advisory
#: locks are scoped to the database they are taken in).
LOCK_KEY = int.from_bytes(hashlib.sha256(b"dbctl prestart").digest()[:8], "big", signed=True)
TITLES = {
    "wait": "Wait for the database",
    "lock": "Prestart lock",
    "schema": "Schema",
    "seed": "Seed",
}


@dataclass(slots=True)
class PrestartReport:
    target: str
    steps: list[CheckResult] = field(default_factory=list)
    exit_code: int = EXIT_OK
    duration_ms: float = 0.0

    @property
    def status(self) -> Status:
        if self.exit_code != EXIT_OK:
            return "fail"
        return "warn" if any(s.status == "warn" for s in self.steps) else "pass"

    def to_json(self) -> dict[str, Any]:
        head = report_head(self.status, self.exit_code, self.duration_ms, target=self.target)
        return {**head, "steps": [s.to_json() for s in self.steps]}


class StepFailed(Exception):
    """A step ended the run: its row is already in the report."""


@dataclass(slots=True)
class _Step:
    """One running step: time it, and turn a failure into its row."""

    report: PrestartReport
    step_id: str
    started: float = field(default_factory=time.perf_counter)

    def done(
        self, summary: str, *, status: Status = "pass", data: dict[str, Any] | None = None
    ) -> CheckResult:
        row = CheckResult(
            self.step_id,
            TITLES[self.step_id],
            status,
            summary,
            duration_ms=(time.perf_counter() - self.started) * 1000,
            data=data or {},
        )
        self.report.steps.append(row)
        return row

    def fail(self, err: DbctlError, data: dict[str, Any] | None = None) -> StepFailed:
        row = self.done(err.message, status="fail", data=data)
        row.code, row.hint = err.code, err.hint
        self.report.exit_code = err.exit_code
        return StepFailed(err.message)


def _ms(since: float) -> float:
    return (time.perf_counter() - since) * 1000


# --------------------------------------------------------------------------------------
# entry point


async def run_prestart(
    loaded: LoadedSettings,
    *,
    wait_s: float = 60.0,
    replica_wait_s: float = 300.0,
    seed_path: Path | None = None,
    on_retry: Callable[[int, DatabaseError, float], None] | None = None,
    on_note: Callable[[str], None] | None = None,
) -> PrestartReport:
    """Run the steps; every outcome but an unusable URL is a row of the report."""
    started = time.perf_counter()
    url = loaded.database_url()  # ConfigError (exit 2) before anything else
    report = PrestartReport(url.masked())
    steps = ["wait", "lock", "schema"] + (["seed"] if seed_path is not None else [])
    lock_conn: Any = None
    try:
        lock_conn = await _wait(report, url, loaded.settings.timeout, wait_s, on_retry)
        await _lock(report, lock_conn, replica_wait_s, on_note)
        await _schema(report, loaded, url)
        if seed_path is not None:
            await _seed(report, loaded, url, seed_path)
    except StepFailed:
        done = {s.id for s in report.steps}
        for step_id in steps:
            if step_id not in done:
                report.steps.append(
                    CheckResult(step_id, TITLES[step_id], "skip", "not run: an earlier step failed")
                )
    finally:
        if lock_conn is not None:
            await _release(lock_conn)
    report.duration_ms = _ms(started)
    return report


# --------------------------------------------------------------------------------------
# wait


async def _wait(
    report: PrestartReport,
    url: DatabaseUrl,
    timeout: float,
    wait_s: float,
    on_retry: Callable[[int, DatabaseError, float], None] | None,
) -> Any:
    """Connect, retrying the transient failures with backoff until ``wait_s`` is spent."""
    from dbctl.db.connect import connect, target_label

    step = _Step(report, "wait")
    deadline = time.monotonic() + max(wait_s, 0.0)
    delay, attempt = 0.25, 1
    while True:
        try:
            conn = await connect(url, timeout=timeout)
            break
        except DatabaseError as err:
            remaining = deadline - time.monotonic()
            if not err.retryable or remaining <= 0:
                if err.retryable:
                    err.message += f" (gave up after {attempt} attempts in {wait_s:g} s)"
                raise step.fail(err, {"attempts": attempt}) from None
            pause = min(delay, remaining)
            if on_retry is not None:
                on_retry(attempt, err, pause)
            await asyncio.sleep(pause)
            delay, attempt = min(delay * 2, 5.0), attempt + 1
    tries = f" after {attempt} attempts" if attempt > 1 else ""
    user = url.username or "(default user)"
    step.done(
        f"{target_label(url)} accepts connections as {user}{tries}",
        data={"attempts": attempt, "target": target_label(url)},
    )
    return conn


# --------------------------------------------------------------------------------------
# lock


async def _lock(
    report: PrestartReport,
    conn: Any,
    replica_wait_s: float,
    on_note: Callable[[str], None] | None,
) -> None:
    """Take the prestart lock in a transaction left open until :func:`_release`.

    ``SET LOCAL`` keeps the limits inside that transaction (nothing leaks to a pooled
    server connection): the wait for the lock is bounded, and the server does not end
    the idle transaction while another connection migrates.
    """
    import asyncpg

    step = _Step(report, "lock")
    ms = max(int(replica_wait_s * 1000), 1)
    try:
        await conn.execute("BEGIN")
        await conn.execute(
            f"SET LOCAL lock_timeout = {ms}; SET LOCAL statement_timeout = {ms + 1000}; "
            "SET LOCAL idle_in_transaction_session_timeout = 0"
        )
        waited = False
        if not await conn.fetchval("SELECT pg_try_advisory_xact_lock($1)", LOCK_KEY):
            waited = True
            if on_note is not None:
                on_note(
                    f"another dbctl prestart holds the lock on this database; waiting up to "
                    f"{replica_wait_s:g} s for it to finish"
                )
            from dbctl.db.guarded import expect_wait

            with expect_wait(conn, replica_wait_s + 5):  # a wait, not a stalled connection
                await asyncio.wait_for(
                    conn.execute("SELECT pg_advisory_xact_lock($1)", LOCK_KEY),
                    timeout=replica_wait_s + 5,
                )
    except (
        asyncpg.PostgresError,
        asyncpg.InterfaceError,
        OSError,
        TimeoutError,
        DatabaseError,  # the connection layer names lock and statement timeouts itself
    ) as exc:
        sqlstate = getattr(exc, "sqlstate", None)
        err: DbctlError
        if sqlstate in {"55P03", "57014"} or isinstance(exc, TimeoutError):
            err = OperationError(
                f"another dbctl prestart held the lock for more than {replica_wait_s:g} s",
                code="prestart.replica_timeout",
                hint="a replica is still migrating (or hangs): raise --replica-wait, or look "
                "for it in pg_stat_activity (wait_event_type = 'Lock')",
            )
        else:
            err = _translated(exc, "taking the prestart lock")
        raise step.fail(err) from None
    step.done(
        f"acquired after waiting {_ms(step.started) / 1000:.1f} s for another prestart"
        if waited
        else "acquired at once",
        data={"waited": waited, "key": LOCK_KEY},
    )


async def _release(conn: Any) -> None:
    try:
        await asyncio.wait_for(conn.close(), timeout=5)  # ends the transaction: lock freed
    except Exception:
        conn.terminate()


def _translated(exc: BaseException, what: str) -> DbctlError:
    from dbctl.db.errors import translate

    err = translate(exc, target="the database", timeout=0)
    if err is not None:
        err.message = f"{what}: {err.message}"
        return err
    first = (str(exc).splitlines() or [""])[0]
    return OperationError(f"{what}: {type(exc).__name__}: {first}", code="prestart.failed")


# --------------------------------------------------------------------------------------
# schema


async def _schema(report: PrestartReport, loaded: LoadedSettings, url: DatabaseUrl) -> None:
    from dbctl.core import migrations_check

    step = _Step(report, "schema")
    try:
        config_path = migrations_check.find_config(loaded)
    except ConfigError as err:
        raise step.fail(err) from None
    if config_path is None:
        await _init_db(step, loaded)
    else:
        await _upgrade(step, loaded, url, config_path)


async def _init_db(step: _Step, loaded: LoadedSettings) -> None:
    """No Alembic: init-db's semantics (create the models' missing tables)."""
    from dbctl.core import init_db

    try:
        result = await init_db.run_with_settings(loaded)
    except DbctlError as err:
        raise step.fail(err) from None
    data: dict[str, Any] = {
        "mode": "init-db",
        "created": result.created,
        "present": result.skipped,
        "drift": result.drift,
    }
    if result.created:
        summary = f"init-db: created {_count(result.created, 'table')}: {_few(result.created)}"
        if result.skipped:
            summary += f" ({len(result.skipped)} already present)"
    else:
        summary = f"init-db: all {_count(result.skipped, 'table')} present; nothing to do"
    if result.drift:
        step.done(
            summary + f"; {len(result.drift)} differ from the models: "
            f"{_few(list(result.drift))}",
            status="warn",
            data=data,
        )
        return
    step.done(summary, data=data)


async def _upgrade(
    step: _Step, loaded: LoadedSettings, url: DatabaseUrl, config_path: Path
) -> None:
    """``alembic upgrade head`` unless the database is already there; refuse a database
    at a revision the scripts do not know (or scripts with several heads)."""
    from dbctl.core import migrations_check

    scripts = migrations_check.read_project(loaded)
    assert scripts is not None
    if scripts.graph is None or scripts.row is not None:
        row = scripts.row
        assert row is not None
        if scripts.graph is None and row.status == "warn":  # Alembic is not installed
            raise step.fail(ConfigError(row.summary, hint=row.hint)) from None
        raise step.fail(
            OperationError(f"refusing to migrate: {row.summary}", hint=row.hint, code=row.code),
            row.data,
        ) from None
    graph = scripts.graph
    before = migrations_check.evaluate(graph, await _applied(step, loaded, url), scripts.config)
    data: dict[str, Any] = {"mode": "alembic", **before.data}
    if before.code == "migrations.unknown_revision":
        raise step.fail(
            OperationError(
                f"refusing to migrate: {before.summary}",
                hint=before.hint,
                code=before.code,
            ),
            data,
        ) from None
    pending = list(before.data.get("pending", []))
    if not pending:
        step.done(f"alembic: {before.summary}; nothing to do", data={**data, "applied": []})
        return
    try:
        await asyncio.to_thread(_alembic_upgrade, config_path, url)
    except Exception as exc:
        first = (str(exc).splitlines() or [""])[0]
        raise step.fail(
            OperationError(
                f"alembic upgrade head failed: {type(exc).__name__}: {first}",
                code="migrations.failed",
                hint="the migration's own error above; Alembic ran each revision in its "
                "transaction as env.py configures it",
            ),
            data,
        ) from None
    after = migrations_check.evaluate(graph, await _applied(step, loaded, url), scripts.config)
    if after.data.get("pending"):
        raise step.fail(
            OperationError(
                f"alembic upgrade head ran, but this database is still behind: {after.summary}",
                code="migrations.behind",
                hint="env.py connects somewhere else: read the URL from "
                "config.get_main_option('sqlalchemy.url') (dbctl sets it) or from the same "
                "DATABASE_URL",
            ),
            {**data, **after.data},
        ) from None
    step.done(
        f"alembic upgrade head: applied {_count(pending, 'revision')} "
        f"({_few(pending)}); at head {', '.join(graph.heads)}",
        data={**data, **after.data, "applied": pending},
    )


async def _applied(step: _Step, loaded: LoadedSettings, url: DatabaseUrl) -> list[str] | None:
    """The database's Alembic revisions, read on a short connection of its own (the lock
    connection must not hold a lock on alembic_version while Alembic works)."""
    from dbctl.core import migrations_check
    from dbctl.db.connect import connect

    try:
        conn = await connect(url, timeout=loaded.settings.timeout)
    except DatabaseError as err:
        raise step.fail(err) from None
    try:
        return await migrations_check.read_applied(conn, loaded.settings.db_schema)
    except migrations_check.VersionTableUnreadable as exc:
        raise step.fail(
            OperationError(
                f"cannot read alembic_version: {exc.message} ({exc.sqlstate})",
                code="migrations.failed",
                hint="GRANT SELECT ON alembic_version TO the role dbctl connects as",
            )
        ) from None
    finally:
        await _release(conn)


def _alembic_upgrade(config_path: Path, url: DatabaseUrl) -> None:
    """``alembic upgrade head`` in this process (runs in a worker thread: an async env.py
    calls ``asyncio.run`` itself). Alembic's own output goes to stderr."""
    import warnings

    from alembic import command

    from dbctl.core.migrations_check import alembic_config

    saved_path = list(sys.path)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DeprecationWarning)
            cfg = alembic_config(config_path, stdout=sys.stderr)
            # the database dbctl waited for and locked; ConfigParser needs % doubled
            cfg.set_main_option("sqlalchemy.url", url.render_secret().replace("%", "%%"))
            command.upgrade(cfg, "head")
    finally:
        sys.path[:] = saved_path


# --------------------------------------------------------------------------------------
# seed


async def _seed(
    report: PrestartReport, loaded: LoadedSettings, url: DatabaseUrl, path: Path
) -> None:
    from dbctl.core import seed

    step = _Step(report, "seed")
    s = loaded.settings
    try:
        result = await seed.run(url, timeout=s.timeout, schema=s.db_schema, path=path)
    except DbctlError as err:
        raise step.fail(err) from None
    tables = [t.table for t in result.tables]
    summary = (
        f"{path.name}: inserted {_count(result.inserted, 'row')} into "
        f"{_count(tables, 'table')}"
    )
    summary += f" ({result.skipped} already present)" if result.skipped else ""
    step.done(
        summary,
        data={
            "file": str(path),
            "inserted": result.inserted,
            "skipped": result.skipped,
            "tables": {t.table: {"rows": t.rows, "inserted": t.inserted} for t in result.tables},
        },
    )


# --------------------------------------------------------------------------------------
# wording


def _count(items: list[str] | int, noun: str) -> str:
    n = items if isinstance(items, int) else len(items)
    return f"{n} {noun}{'' if n == 1 else 's'}"

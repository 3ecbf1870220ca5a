"""``dbctl prestart`` against the real server: an Alembic project with an async env.py,
init-db without one, the seed, the advisory lock between replicas, and ``-- CMD``.

dbctl runs as a subprocess throughout (``-- CMD`` replaces the process; replicas are
separate processes)."""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from dbctl import sandbox
from dbctl.core.prestart import LOCK_KEY
from tests.conftest import CANARY
from tests.prestart.conftest import REV_A, REV_B, SEED, Proc, clean_env

pytestmark = pytest.mark.db


def steps(proc: Proc) -> dict[str, dict[str, Any]]:
    """The JSON report's steps by id (the report is on stdout, or stderr with -- CMD)."""
    text = proc.stdout if proc.stdout.lstrip().startswith("{") else proc.stderr
    report = json.loads(text[text.index("{") :])
    assert report["exit_code"] == proc.returncode or report["exit_code"] == 0
    for step in report["steps"]:
        assert isinstance(step["duration_ms"], int | float)
    return {s["id"]: s for s in report["steps"]}


def state(pg: Any) -> dict[str, Any]:
    """What the database holds afterwards (None: the table does not exist)."""

    def exists(table: str) -> bool:
        return bool(pg.sql(f"SELECT to_regclass('{table}') IS NOT NULL AS t")[0]["t"])

    version = None
    if exists("alembic_version"):
        rows = pg.sql("SELECT version_num FROM alembic_version")
        version = ",".join(r["version_num"] for r in rows)
    items = log = None
    if exists("items"):
        items = [tuple(r) for r in pg.sql("SELECT id, name, price FROM items ORDER BY id")]
        log = [r["rev"] for r in pg.sql("SELECT rev FROM applied_log")]
    return {"version": version, "items": items, "log": log}


SEEDED = [(r["id"], r["name"], r["price"]) for r in SEED["items"]]


def test_fresh_database_ends_at_head_with_the_seed_and_a_rerun_changes_nothing(
    pg: Any, canary_role: tuple[str, str], project: Path, dbctl: Callable[..., Proc]
) -> None:
    url = pg.url_for(*canary_role)  # the password is the CANARY: run_dbctl greps for it
    first = dbctl("prestart", "--url", url, "--seed", "seed.json", "--format", "json",
                  cwd=project)  # fmt: skip
    assert first.returncode == 0, first.all
    rows = steps(first)
    assert [(k, v["status"]) for k, v in rows.items()] == [
        ("wait", "pass"), ("lock", "pass"), ("schema", "pass"), ("seed", "pass"),
    ]  # fmt: skip
    assert rows["schema"]["data"]["applied"] == [REV_A, REV_B]
    assert rows["seed"]["data"]["inserted"] == 3
    after_first = state(pg)
    assert after_first == {"version": REV_B, "items": SEEDED, "log": [REV_A, REV_B]}

    second = dbctl("prestart", "--url", url, "--seed", "seed.json", cwd=project)
    assert second.returncode == 0, second.all
    assert "nothing to do" in second.stdout
    assert "inserted 0 rows into 1 table (3 already present)" in second.stdout
    assert state(pg) == after_first  # the migrations did not run again, no row twice
    for step_id in ("wait", "lock", "schema", "seed"):
        assert f"PASS  {step_id}" in second.stdout
    assert "prestart pass (exit 0)" in second.stdout


def test_three_concurrent_replicas_all_succeed_and_migrate_once(
    pg: Any, project: Path, tmp_path: Path
) -> None:
    """The test holds the lock until all three wait for it, then lets them race."""
    import asyncpg

    async def hold_then_release() -> list[Any]:
        holder = await asyncpg.connect(pg.dsn, timeout=10)
        try:
            tr = holder.transaction()
            await tr.start()
            await holder.execute("SELECT pg_advisory_xact_lock($1)", LOCK_KEY)
            argv = [sys.executable, "-m", "dbctl", "prestart", "--url", pg.url,
                    "--seed", "seed.json", "--format", "json"]  # fmt: skip
            procs = [
                subprocess.Popen(
                    argv,
                    cwd=project,
                    env=clean_env(),
                    stdout=subprocess.PIPE,
                    stderr=subprocess.PIPE,
                    text=True,
                )
                for _ in range(3)
            ]
            deadline = time.monotonic() + 90
            while True:  # all three blocked on the advisory lock
                waiting = await holder.fetchval(  # pg_locks is cluster-wide: this database
                    "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND NOT granted"
                    " AND database = (SELECT oid FROM pg_database"
                    " WHERE datname = current_database())"
                )
                if waiting == 3:
                    break
                assert all(p.poll() is None for p in procs), "a replica ended early"
                assert time.monotonic() < deadline, f"only {waiting} replicas waited"
                await asyncio.sleep(0.1)
            assert await holder.fetchval("SELECT to_regclass('items') IS NULL")
            await tr.rollback()  # release: the three race for the lock now
        finally:
            await holder.close()
        return procs

    procs = asyncio.run(hold_then_release())
    results = []
    for p in procs:
        out, err = p.communicate(timeout=180)
        results.append(Proc(p.returncode, out, err, p.pid))
    assert [r.returncode for r in results] == [0, 0, 0], [r.all for r in results]
    reports = [steps(r) for r in results]
    applied = sorted(len(s["schema"]["data"]["applied"]) for s in reports)
    assert applied == [0, 0, 2]  # one replica migrated, the others found nothing to do
    assert sorted(s["seed"]["data"]["inserted"] for s in reports) == [0, 0, 3]
    assert all(s["lock"]["data"]["waited"] for s in reports)
    assert all("another dbctl prestart holds the lock" in r.stderr for r in results)
    assert state(pg) == {"version": REV_B, "items": SEEDED, "log": [REV_A, REV_B]}


def test_a_database_at_an_unknown_revision_is_refused_and_cmd_never_runs(
    pg: Any, project: Path, dbctl: Callable[..., Proc], tmp_path: Path
) -> None:
    pg.sql(
        "CREATE TABLE alembic_version (version_num varchar(32) PRIMARY KEY)",
        "INSERT INTO alembic_version VALUES ('ffffdeadbeef')",
    )
    marker = tmp_path / "cmd-ran"
    proc = dbctl("prestart", "--url", pg.url, "--seed", "seed.json", "--",
                 "touch", str(marker), cwd=project)  # fmt: skip
    assert proc.returncode == 1, proc.all
    assert not marker.exists()
    assert "[migrations.unknown_revision]" in proc.stderr  # the report: stderr with a CMD
    assert "refusing to migrate" in proc.stderr
    assert "SKIP  seed" in proc.stderr
    assert state(pg) == {"version": "ffffdeadbeef", "items": None, "log": None}


def test_cmd_runs_in_dbctls_place_only_on_success(
    pg: Any, project: Path, dbctl: Callable[..., Proc]
) -> None:
    proc = dbctl("prestart", "--url", pg.url, "--", "sh", "-c", "echo app-pid-$$; exit 5",
                 cwd=project)  # fmt: skip
    assert proc.returncode == 5, proc.all
    assert proc.stdout == f"app-pid-{proc.pid}\n"  # exec'd: same pid, CMD's exit code
    assert "prestart pass (exit 0)" in proc.stderr
    assert state(pg)["version"] == REV_B


def test_a_failing_migration_fails_the_schema_step_and_cmd_never_runs(
    pg: Any, project: Path, dbctl: Callable[..., Proc], tmp_path: Path
) -> None:
    (project / "migrations" / "versions" / "c3c3_broken.py").write_text(
        f'revision = "c3c3broken"\ndown_revision = "{REV_B}"\n'
        "from alembic import op\n\n\ndef upgrade():\n"
        "    op.execute('SELECT * FROM no_such_table')\n"
    )
    marker = tmp_path / "cmd-ran"
    proc = dbctl("prestart", "--url", pg.url, "--format", "json", "--",
                 "touch", str(marker), cwd=project)  # fmt: skip
    assert proc.returncode == 1, proc.all
    assert not marker.exists()
    schema = steps(proc)["schema"]
    assert (schema["status"], schema["code"]) == ("fail", "migrations.failed")
    assert "no_such_table" in schema["summary"]


def test_two_heads_are_refused_before_any_migration(
    pg: Any, project: Path, dbctl: Callable[..., Proc]
) -> None:
    (project / "migrations" / "versions" / "c3c3_branch.py").write_text(
        f'revision = "c3c3branch"\ndown_revision = "{REV_A}"\n'
    )
    proc = dbctl("prestart", "--url", pg.url, "--format", "json", cwd=project)
    assert proc.returncode == 1, proc.all
    schema = steps(proc)["schema"]
    assert schema["code"] == "migrations.multiple_heads"
    assert schema["data"]["heads"] == sorted([REV_B, "c3c3branch"])
    assert state(pg)["items"] is None


MODELS = """\
from sqlalchemy import Integer, Text
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


class Base(DeclarativeBase):
    pass


class Item(Base):
    __tablename__ = "items"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(Text, unique=True)
    price: Mapped[int | None] = mapped_column(Integer)
"""


def test_without_alembic_the_models_tables_are_created_like_init_db(
    pg: Any, dbctl: Callable[..., Proc], tmp_path: Path
) -> None:
    app = tmp_path / "svc"
    app.mkdir()
    (app / "models.py").write_text(MODELS)
    (app / "seed.json").write_text(json.dumps(SEED))
    args = ("prestart", "--url", pg.url, "--models", "models:Base", "--seed", "seed.json")
    first = dbctl(*args, "--format", "json", cwd=app)
    assert first.returncode == 0, first.all
    schema = steps(first)["schema"]
    assert schema["data"]["mode"] == "init-db"
    assert schema["data"]["created"] == ["public.items"]
    assert [tuple(r) for r in pg.sql("SELECT id, name, price FROM items ORDER BY id")] == SEEDED

    second = dbctl(*args, cwd=app)
    assert second.returncode == 0, second.all
    assert "init-db: all 1 table present; nothing to do" in second.stdout
    assert "(3 already present)" in second.stdout


def test_an_unreachable_database_exits_3_after_the_wait(
    dbctl: Callable[..., Proc], project: Path
) -> None:
    url = f"postgresql+asyncpg://app:{CANARY}@127.0.0.1:{sandbox.free_port()}/app"
    started = time.monotonic()
    proc = dbctl("prestart", "--url", url, "--wait", "2", "--", "true", cwd=project)
    elapsed = time.monotonic() - started
    assert proc.returncode == 3, proc.all
    assert 1.8 <= elapsed < 15, elapsed
    assert "waiting: attempt 1 failed (tcp.refused" in proc.stderr
    assert "FAIL  wait" in proc.stderr and "[tcp.refused]" in proc.stderr
    for step_id in ("lock", "schema"):
        assert f"SKIP  {step_id}" in proc.stderr


def test_a_missing_seed_file_is_a_usage_error_before_anything_runs(
    dbctl: Callable[..., Proc], project: Path
) -> None:
    url = f"postgresql+asyncpg://app:pw@127.0.0.1:{sandbox.free_port()}/app"
    proc = dbctl("prestart", "--url", url, "--seed", "nope.json", cwd=project)
    assert proc.returncode == 2
    assert proc.stderr.startswith("error: seed file not found: nope.json")
    assert proc.stdout == ""


def test_a_wrong_password_fails_at_once_instead_of_waiting(
    pg: Any, canary_role: tuple[str, str], project: Path, dbctl: Callable[..., Proc]
) -> None:
    role, _ = canary_role
    started = time.monotonic()
    proc = dbctl("prestart", "--url", pg.url_for(role, CANARY + "-not"), "--wait", "60",
                 "--format", "json", cwd=project)  # fmt: skip
    assert proc.returncode == 1, proc.all
    assert time.monotonic() - started < 20  # not the 60 s of --wait
    wait = steps(proc)["wait"]
    assert (wait["status"], wait["code"]) == ("fail", "auth.failed")
    assert "waiting:" not in proc.stderr


def test_alembic_configured_but_not_installed_is_a_configuration_error(
    pg: Any, project: Path, cli: Any, monkeypatch: Any
) -> None:
    import sys

    monkeypatch.chdir(project)
    for name in [m for m in sys.modules if m == "alembic" or m.startswith("alembic.")]:
        monkeypatch.delitem(sys.modules, name)
    monkeypatch.setitem(sys.modules, "alembic", None)  # import alembic -> ImportError
    result = cli("prestart", "--url", pg.url, "--format", "json")
    assert result.exit_code == 2, result.all
    report = json.loads(result.stdout)
    schema = next(s for s in report["steps"] if s["id"] == "schema")
    assert schema["status"] == "fail"
    assert "Alembic is not installed" in schema["summary"]
    assert "[alembic]" in schema["hint"]


def test_a_replica_that_holds_the_lock_too_long_ends_the_wait_after_replica_wait(
    pg: Any, project: Path, dbctl: Callable[..., Proc], tmp_path: Path
) -> None:
    import asyncpg

    async def held() -> Proc:
        holder = await asyncpg.connect(pg.dsn, timeout=10)
        try:
            async with holder.transaction():
                await holder.execute("SELECT pg_advisory_xact_lock($1)", LOCK_KEY)
                return await asyncio.to_thread(
                    dbctl, "prestart", "--url", pg.url, "--replica-wait", "1",
                    "--format", "json", "--", "touch", str(tmp_path / "cmd-ran"), cwd=project,
                )  # fmt: skip
        finally:
            await holder.close()

    started = time.monotonic()
    proc = asyncio.run(held())
    assert proc.returncode == 1, proc.all
    assert time.monotonic() - started < 30
    rows = steps(proc)
    assert (rows["lock"]["status"], rows["lock"]["code"]) == ("fail", "prestart.replica_timeout")
    assert rows["schema"]["status"] == "skip"
    assert not (tmp_path / "cmd-ran").exists()
    assert state(pg)["items"] is None

"""QA: option values and files a new user gets wrong, as the user sees them.

Each case must end at once with a one-line error and exit 2 ("usage or configuration"),
never wait forever, never be an "internal error", never show the password.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import CANARY
from tests.prestart.conftest import clean_env, run_dbctl

CLOSED = f"postgresql+asyncpg://app:{CANARY}@127.0.0.1:1/app"


@pytest.mark.parametrize(
    "args",
    [
        ["check", "--url", CLOSED, "--wait", "inf"],
        ["check", "--url", CLOSED, "--wait", "1e300"],
        ["preflight", ".", "--url", CLOSED, "--wait", "inf"],
        ["prestart", "--url", CLOSED, "--wait", "inf"],
        ["prestart", "--url", CLOSED, "--replica-wait", "inf"],
        ["prestart", "--url", CLOSED, "--replica-wait", "3000000"],
    ],
)
def test_an_endless_wait_is_a_usage_error(tmp_path: Path, args: list[str]) -> None:
    # `--wait inf` against a closed port used to retry forever ("nothing waits forever");
    # `--replica-wait inf` was an internal OverflowError, 3000000 a lock_timeout the
    # server rejects (exit 1, "taking the prestart lock")
    started = time.monotonic()
    r = run_dbctl(*args, cwd=tmp_path, timeout=30)
    assert r.returncode == 2, r.all
    assert time.monotonic() - started < 20
    assert r.stdout == ""
    option = args[-2]
    assert r.stderr.startswith(f"error: invalid value for '{option}'"), r.stderr
    assert len(r.stderr.splitlines()) == 1, r.stderr
    assert "internal error" not in r.stderr and "waiting:" not in r.stderr


@pytest.mark.parametrize(
    ("content", "shown"),
    [
        (f"DATABASE_URL=postgresql://app:{CANARY}@db/app\n".encode(), "no section headers"),
        (b"[alembic]\nscript_location = m\n[alembic]\n", "section 'alembic' already exists"),
        (b"\xff\xfe[alembic]\n", "utf-8"),
    ],
)
def test_alembic_config_that_is_not_an_ini_file(tmp_path: Path, content: bytes, shown: str) -> None:
    # pointing alembic_config at the wrong file (a .env, a pyproject.toml) was an
    # "internal error: MissingSectionHeaderError"; the line it quotes may hold a password
    (tmp_path / "wrong.ini").write_bytes(content)
    env = clean_env(DBCTL_ALEMBIC_CONFIG="wrong.ini")
    r = run_dbctl("check", "--offline", cwd=tmp_path, env=env, timeout=60)
    assert r.returncode == 2, r.all
    assert r.stdout == ""
    first = r.stderr.splitlines()[0]
    assert first.startswith("error: cannot read the Alembic configuration wrong.ini: "), r.all
    assert shown in first
    assert "internal error" not in r.all


@pytest.mark.db
def test_prestart_with_an_alembic_config_that_is_not_an_ini_file(tmp_path: Path, pg: Any) -> None:
    (tmp_path / "wrong.ini").write_text(f"DATABASE_URL=postgresql://app:{CANARY}@db/app\n")
    env = clean_env(DBCTL_ALEMBIC_CONFIG="wrong.ini")
    r = run_dbctl("prestart", "--url", pg.url, "--wait", "5", cwd=tmp_path, env=env)
    assert r.returncode == 2, r.all
    assert r.stderr.splitlines()[0] == (
        "error: cannot read the Alembic configuration wrong.ini: File contains no section headers."
    )
    assert "internal error" not in r.all
    assert pg.sql("SELECT count(*) FROM pg_tables WHERE schemaname = 'public'")[0][0] == 0


def test_alembic_config_that_is_a_directory(tmp_path: Path) -> None:
    (tmp_path / "alembic.ini").mkdir()
    env = clean_env(DBCTL_ALEMBIC_CONFIG="alembic.ini")
    r = run_dbctl("check", "--offline", cwd=tmp_path, env=env)
    assert r.returncode == 2, r.all
    assert "alembic_config (env DBCTL_*) is a directory: alembic.ini" in r.stderr


def test_env_file_that_is_a_pipe(tmp_path: Path) -> None:
    # `--env-file <(vault read …)` hands dbctl a pipe: it exists, it is not "not found"
    os.mkfifo(tmp_path / "secrets.env")
    r = run_dbctl("config", "--env-file", "secrets.env", cwd=tmp_path, timeout=30)
    assert r.returncode == 2, r.all
    assert r.stderr.splitlines()[0] == (
        "error: env file is not a regular file (a pipe or device): secrets.env"
    )


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda p: None, "seed file not found: rows.json"),
        (lambda p: os.mkfifo(p), "seed file is not a regular file (a pipe or device): rows.json"),
        (lambda p: p.mkdir(), "seed file is a directory: rows.json"),
        (lambda p: p.with_suffix(".txt").write_text("x"), "cannot tell the format of rows.txt"),
    ],
)
def test_init_db_checks_its_seed_file_before_connecting(
    tmp_path: Path, make: object, message: str
) -> None:
    # as `dbctl seed` and `dbctl prestart --seed` do: a seed file that cannot be loaded
    # is exit 2 at once, not "connection refused" (exit 3) or a rollback after the DDL
    path = tmp_path / "rows.json"
    make(path)  # type: ignore[operator]
    name = "rows.txt" if message.endswith("rows.txt") else "rows.json"
    r = run_dbctl("init-db", "--seed", name, "--url", CLOSED, cwd=tmp_path, timeout=30)
    assert r.returncode == 2, r.all
    assert r.stderr.splitlines()[0] == f"error: {message}"


@pytest.mark.parametrize(
    "args",
    [
        ["check", "--engine", "appdb:engine"],
        ["init-db", "--dry-run", "--models", "appdb:Base"],
    ],
)
def test_the_apps_import_error_does_not_show_its_password(tmp_path: Path, args: list[str]) -> None:
    # an app module that fails at import often names its URL (a settings check, an engine
    # built at import); dbctl masked it only when it was dbctl's own configured password
    (tmp_path / "appdb.py").write_text(
        f'raise RuntimeError("cannot reach postgresql://app:{CANARY}@db:5432/app")\n'
    )
    proc = subprocess.run(
        [sys.executable, "-m", "dbctl", *args],
        cwd=tmp_path,
        env=clean_env(),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert proc.returncode == 2, proc.stderr
    assert proc.stderr.splitlines()[0] == (
        "error: cannot import "
        + ("engine" if "--engine" in args else "models")
        + " module 'appdb': RuntimeError: cannot reach postgresql://app:***@db:5432/app"
    )
    assert CANARY not in proc.stdout + proc.stderr


@pytest.mark.parametrize("command", [["check"], ["preflight", "."]])
def test_the_verdict_after_waiting_counts_the_wait(tmp_path: Path, command: list[str]) -> None:
    # "fail (exit 3) in 1 ms" after five seconds of `waiting:` lines: the report's
    # duration was the last attempt's only
    r = run_dbctl(*command, "--url", CLOSED, "--wait", "2", "--format", "json", cwd=tmp_path)
    assert r.returncode == 3, r.all
    assert r.stderr.count("waiting: attempt") >= 2
    doc = json.loads(r.stdout)
    check = doc.get("check", doc)
    assert check["duration_ms"] >= 1900


def test_sandbox_run_usage_names_the_command(tmp_path: Path) -> None:
    r = run_dbctl("sandbox", "run", "--help", cwd=tmp_path)
    assert r.returncode == 0, r.all
    assert r.stdout.splitlines()[0] == "Usage: dbctl sandbox run [OPTIONS] -- CMD [ARGS]..."


@pytest.mark.parametrize("command", [["status"], ["stop"], ["start"]])
def test_sandbox_state_that_is_a_pipe(tmp_path: Path, command: list[str]) -> None:
    # DBCTL_SANDBOX_STATE naming a FIFO: `sandbox status` waited forever for a writer
    os.mkfifo(tmp_path / "state")
    env = clean_env(DBCTL_SANDBOX_STATE=str(tmp_path / "state"))
    r = run_dbctl("sandbox", *command, cwd=tmp_path, env=env, timeout=30)
    assert r.returncode == 2, r.all
    assert r.stderr.splitlines()[0] == (
        f"error: cannot read the sandbox state file {tmp_path / 'state'}: not a regular file"
    )


def test_step_summary_that_is_a_pipe_keeps_the_verdict(tmp_path: Path) -> None:
    # GITHUB_STEP_SUMMARY naming a FIFO nobody reads: preflight waited forever to append
    os.mkfifo(tmp_path / "summary")
    env = clean_env(GITHUB_STEP_SUMMARY=str(tmp_path / "summary"))
    r = run_dbctl("preflight", ".", "--url", CLOSED, cwd=tmp_path, env=env, timeout=30)
    assert r.returncode == 3, r.all
    assert (
        f"warning: cannot append to GITHUB_STEP_SUMMARY ({tmp_path / 'summary'}): "
        "not a regular file" in r.stderr
    )

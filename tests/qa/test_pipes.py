"""QA: dbctl as the left-hand side of a pipe whose reader stops early (`| head -1`)."""

from __future__ import annotations

import json
import os
import shlex
import subprocess
import sys
from typing import Any

import pytest


def _head_1(args: list[str], env: dict[str, str]) -> tuple[int, bytes, bytes]:
    """Run ``dbctl ARGS | head -1``; (dbctl's exit code, head's output, dbctl's stderr)."""
    dbctl = subprocess.Popen(
        [sys.executable, "-m", "dbctl", *args],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    assert dbctl.stdout is not None and dbctl.stderr is not None
    head = subprocess.run(["head", "-1"], stdin=dbctl.stdout, capture_output=True, timeout=30)
    dbctl.stdout.close()
    try:
        _, err = dbctl.communicate(timeout=30)
    except subprocess.TimeoutExpired:
        dbctl.kill()
        dbctl.communicate()
        pytest.fail(f"dbctl {' '.join(args)} | head -1 hung")
    return dbctl.returncode, head.stdout, err


@pytest.mark.db
@pytest.mark.parametrize("fmt", ["csv", "jsonl"])
@pytest.mark.parametrize("paging", [["--limit", "1000"], ["--all", "--order", "name"]])
def test_users_list_into_head_ends_quietly(pg: Any, fmt: str, paging: list[str]) -> None:
    # a page small enough that the server has sent all of it when head goes away: the
    # COPY's sink fails on the last buffer, and the ROLLBACK used to wait forever
    pg.sql(
        "CREATE TABLE users (id integer PRIMARY KEY, name varchar(255))",
        "INSERT INTO users SELECT g, 'user number ' || g FROM generate_series(1, 1000) g",
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DBCTL_", "PG"))}
    env["DATABASE_URL"] = pg.url
    code, out, err = _head_1(["users", "list", *paging, "--format", fmt], env)
    assert code == 0, err
    assert out.strip() in {b"id,name", b'{"id":1,"name":"user number 1"}'}
    assert b"Traceback" not in err and b"error" not in err


@pytest.mark.db
@pytest.mark.parametrize("fmt", ["human", "github"])
def test_preflight_into_a_closed_pipe_keeps_its_verdict(pg: Any, fmt: str) -> None:
    # the report is written in several pieces: the second one used to end in
    # "internal error: BrokenPipeError" and exit 2
    app = os.path.join(os.path.dirname(__file__), "..", "..", "examples", "tutorial_app")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DBCTL_", "PG"))}
    env["DATABASE_URL"] = pg.url
    read, write = os.pipe()
    os.close(read)  # the reader is gone before dbctl writes anything: every write fails
    try:
        proc = subprocess.run(
            [sys.executable, "-m", "dbctl", "preflight", app, "--format", fmt],
            env=env,
            stdout=write,
            stderr=subprocess.PIPE,
            timeout=60,
        )
    finally:
        os.close(write)
    code, err = proc.returncode, proc.stderr
    assert code == 1, err  # lint findings in the tutorial app
    assert b"internal error" not in err and b"Traceback" not in err


def _into_closed_pipe(args: list[str], env: dict[str, str]) -> tuple[int, bytes]:
    read, write = os.pipe()
    os.close(read)
    try:
        proc = subprocess.run(
            [sys.executable, "-m", "dbctl", *args],
            env=env,
            stdout=write,
            stderr=subprocess.PIPE,
            timeout=60,
        )
    finally:
        os.close(write)
    return proc.returncode, proc.stderr


FIXED_APP = os.path.join(os.path.dirname(__file__), "..", "..", "examples", "fixed_app")


@pytest.mark.db
@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["check", "--format", "json"], 0),
        (["check"], 0),
        (["config", "--format", "json"], 0),
        (["users", "count", "--format", "json"], 0),
        (["lint", FIXED_APP], 0),
        (["lint", FIXED_APP, "--format", "json"], 0),
        (["rules"], 1),  # drawn by rich: the edge ends it quietly with exit 1
    ],
)
def test_closed_stdout_is_not_an_internal_error(pg: Any, args: list[str], expected: int) -> None:
    pg.sql("CREATE TABLE users (id integer PRIMARY KEY, name varchar(255))")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DBCTL_", "PG"))}
    env["DATABASE_URL"] = pg.url
    code, err = _into_closed_pipe(args, env)
    assert code == expected, err
    assert b"internal error" not in err and b"Traceback" not in err


@pytest.mark.db
def test_next_page_cursor_can_be_pasted_into_a_shell(pg: Any) -> None:
    pg.sql(
        "CREATE TABLE users (id integer PRIMARY KEY, name varchar(255) UNIQUE)",
        "INSERT INTO users VALUES (1, 'Ada Lovelace'), (2, 'O''Brien Jr'), (3, 'Zed')",
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DBCTL_", "PG"))}
    env["DATABASE_URL"] = pg.url
    base = [sys.executable, "-m", "dbctl", "users", "list", "--order", "name", "--limit", "2"]
    first = subprocess.run(base, env=env, capture_output=True, text=True, timeout=60)
    hint = next(ln for ln in first.stderr.splitlines() if ln.startswith("next page: "))
    # run the printed cursor through a real shell, as a user pasting it would
    cmd = " ".join(shlex.quote(a) for a in base) + " " + hint.removeprefix("next page: ")
    second = subprocess.run(cmd, shell=True, env=env, capture_output=True, text=True, timeout=60)
    assert second.returncode == 0, second.stderr
    assert [json.loads(ln)["name"] for ln in second.stdout.splitlines()] == ["Zed"]

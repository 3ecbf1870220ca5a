"""Every command ends within its bound when the connection stalls, drops or resets.

Each case runs dbctl (in-process) through :class:`~tests.faults.proxy.FaultProxy` with
``--stall-timeout 2 --timeout 2`` and checks what a user sees: the exit code, one error
line naming the fault, no traceback or socket noise, stdout never half a JSON document,
the database unchanged after a failed write, and no backend of dbctl's left behind.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import pytest

from tests.faults.conftest import assert_no_backend_left

ROWS = 20_000
#: stall (2 s) + closing a broken connection (2 s) + importing SQLAlchemy and the models
#: (init-db, in-process) and slack for a loaded machine running the suite with -n 4: an
#: unguarded stall never ends, so the bound only has to separate "ends" from "hangs"
#: (init-db took 9.1-11.7 s at load average 10-16)
BOUND_S = 15.0
MODELS = """
from sqlalchemy import ForeignKey, Integer, String
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

class Base(DeclarativeBase):
    pass

class User(Base):
    __tablename__ = "users"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str | None] = mapped_column(String(255), index=True)

class Post(Base):
    __tablename__ = "posts"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
"""

COMMANDS: dict[str, list[str]] = {
    "init-db": ["init-db", "--models", "fault_models:Base"],
    "seed": ["seed", "users.csv"],
    "seed-fake": ["seed", "--fake", "200000", "--table", "users", "--batch-size", "1000"],
    "users-list": ["users", "list", "--format", "json"],
    "users-list-table": ["users", "list", "--format", "table"],
    "users-list-all-json": ["users", "list", "--all", "--format", "json"],
    "users-list-all-jsonl": ["users", "list", "--all", "--format", "jsonl"],
    "users-list-all-csv": ["users", "list", "--all", "--format", "csv"],
    "users-count": ["users", "count"],
    "check-models": ["check", "--models", "fault_models:Base"],
    "preflight-models": ["preflight", ".", "--models", "fault_models:Base"],
}
WRITES = {"init-db", "seed", "seed-fake"}
CASES = (
    [(c, "stall_after_login", 1) for c in COMMANDS]
    + [(c, "drop_after_login", 1) for c in COMMANDS]
    + [(c, "stall_mid_result", 100) for c in COMMANDS if c.startswith("users-list-all")]
    + [("users-list", "stall_mid_result", 10), ("users-list-table", "stall_mid_result", 10)]
    + [(c, f, 3) for c in ("seed", "seed-fake") for f in ("stall_mid_copy_in", "reset_mid_copy")]
)


@pytest.fixture
def populated(pg: Any, tmp_path: Path) -> Any:
    pg.sql(
        "CREATE TABLE users (id serial PRIMARY KEY, name varchar(255))",
        f"INSERT INTO users (name) SELECT 'user ' || g FROM generate_series(1, {ROWS}) g",
    )
    (tmp_path / "fault_models.py").write_text(MODELS)
    with (tmp_path / "users.csv").open("w") as fh:
        fh.write("id,name\n")
        for i in range(ROWS + 1, ROWS + 300_001):
            fh.write(f"{i},seeded user {i}\n")
    return pg


def _state(pg: Any) -> tuple[Any, ...]:
    tables = [r[0] for r in pg.sql("SELECT tablename FROM pg_tables WHERE schemaname='public'")]
    return (sorted(tables), pg.sql("SELECT count(*), max(id) FROM users")[0][:])


@pytest.mark.parametrize(("command", "fault", "after"), CASES, ids=lambda v: str(v))
def test_fault_ends_within_bound(
    cli: Any, proxy: Any, populated: Any, command: str, fault: str, after: int
) -> None:
    pg = populated
    before = _state(pg)
    url = proxy(fault, after)
    args = [*COMMANDS[command], "--url", url, "--timeout", "2"]
    started = time.monotonic()
    res = cli(*args, env={"DBCTL_STALL_TIMEOUT": "2"})
    elapsed = time.monotonic() - started
    assert elapsed < BOUND_S, f"{command} under {fault} took {elapsed:.1f} s"
    assert res.exit_code == 3, res.all
    for noise in ("Traceback", "internal error", "socket.send", "never retrieved"):
        assert noise not in res.all
    if command.startswith(("check", "preflight")):  # per-target rows: the row names it
        assert "stalled" in res.all or "no response" in res.all or "lost the connection" in res.all
    else:
        errors = [line for line in res.stderr.splitlines() if line.startswith("error:")]
        assert len(errors) == 1, res.stderr
        if fault.startswith("stall"):
            assert "the connection stalled" in errors[0]
        else:
            assert "lost the connection" in errors[0]
        if command in WRITES and fault in {"stall_mid_copy_in", "reset_mid_copy"}:
            assert "nothing was written" in errors[0]
    if command in {"users-list-all-json", "users-list"}:
        assert res.stdout == ""  # a JSON document is complete or absent
    assert _state(pg) == before
    assert_no_backend_left(pg)

"""Fixtures for the prestart / ``-- CMD`` tests: dbctl run as a real subprocess."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import CANARY


def clean_env(**extra: str) -> dict[str, str]:
    """The current environment without DATABASE_URL / DBCTL_* / PG* (nothing leaks in)."""
    env = {
        k: v
        for k, v in os.environ.items()
        if not (k.startswith(("DBCTL_", "PG")) or k == "DATABASE_URL")
    }
    env.update(NO_COLOR="1", **extra)
    return env


@dataclass
class Proc:
    returncode: int
    stdout: str
    stderr: str
    pid: int

    @property
    def all(self) -> str:
        return self.stdout + self.stderr


def run_dbctl(
    *args: str, cwd: Path, env: dict[str, str] | None = None, timeout: float = 120
) -> Proc:
    """``python -m dbctl ARGS`` in ``cwd``; asserts the CANARY password never shows."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "dbctl", *args],
        cwd=cwd,
        env=env if env is not None else clean_env(),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        out, err = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        out, err = proc.communicate()
        pytest.fail(f"dbctl {' '.join(args)} did not finish in {timeout} s:\n{out}\n{err}")
    assert CANARY not in out + err
    return Proc(proc.returncode, out, err, proc.pid)


@pytest.fixture
def dbctl(tmp_path: Path) -> Callable[..., Proc]:
    """Run dbctl in a subprocess, in an empty directory, with a clean environment."""

    def run(*args: str, cwd: Path | None = None, **kw: Any) -> Proc:
        return run_dbctl(*args, cwd=cwd or tmp_path, **kw)

    return run


REV_A = "a1a1prestart"
REV_B = "b2b2prestart"

ALEMBIC_INI = """\
[alembic]
script_location = migrations
# a placeholder: dbctl passes the URL it waited for and locked
sqlalchemy.url = driver://user:pass@localhost/dbname
"""

#: The async template's env.py (``alembic init -t async``), trimmed.
ASYNC_ENV_PY = '''\
import asyncio

from alembic import context
from sqlalchemy import pool
from sqlalchemy.ext.asyncio import async_engine_from_config

config = context.config


def do_run_migrations(connection):
    context.configure(connection=connection, target_metadata=None)
    with context.begin_transaction():
        context.run_migrations()


async def run_async_migrations():
    connectable = async_engine_from_config(
        config.get_section(config.config_ini_section, {}),
        prefix="sqlalchemy.",
        poolclass=pool.NullPool,
    )
    async with connectable.connect() as connection:
        await connection.run_sync(do_run_migrations)
    await connectable.dispose()


if context.is_offline_mode():
    raise RuntimeError("offline mode is not used by these tests")
asyncio.run(run_async_migrations())
'''

REVISION_A = f'''\
"""items, and a log of applied revisions"""
import sqlalchemy as sa
from alembic import op

revision = "{REV_A}"
down_revision = None
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "items",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("name", sa.Text, nullable=False, unique=True),
    )
    op.create_table("applied_log", sa.Column("rev", sa.Text, nullable=False))
    op.execute("INSERT INTO applied_log VALUES ('{REV_A}')")


def downgrade():
    op.drop_table("applied_log")
    op.drop_table("items")
'''

REVISION_B = f'''\
"""items.price"""
import sqlalchemy as sa
from alembic import op

revision = "{REV_B}"
down_revision = "{REV_A}"
branch_labels = None
depends_on = None


def upgrade():
    op.add_column("items", sa.Column("price", sa.Integer))
    op.execute("INSERT INTO applied_log VALUES ('{REV_B}')")


def downgrade():
    op.drop_column("items", "price")
'''

SEED = {
    "items": [
        {"id": 1, "name": "apple", "price": 3},
        {"id": 2, "name": "pear", "price": 4},
        {"id": 3, "name": "plum", "price": 2},
    ]
}


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """An app directory: alembic.ini, an async env.py, two revisions, seed.json."""
    import json

    root = tmp_path / "app"
    versions = root / "migrations" / "versions"
    versions.mkdir(parents=True)
    (root / "alembic.ini").write_text(ALEMBIC_INI)
    (root / "migrations" / "env.py").write_text(ASYNC_ENV_PY)
    (root / "migrations" / "script.py.mako").write_text("")
    (versions / f"{REV_A}_items.py").write_text(REVISION_A)
    (versions / f"{REV_B}_price.py").write_text(REVISION_B)
    (root / "seed.json").write_text(json.dumps(SEED))
    return root

"""Fixtures for the ecosystem tests: a tiny real Alembic project written to a tmp dir."""

from __future__ import annotations

import textwrap
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest

REV_A = "a1f0c0de0001"
REV_B = "b2f0c0de0002"


@dataclass
class AlembicProject:
    """An Alembic project on disk: ``alembic.ini`` + ``migrations/`` with two revisions."""

    root: Path
    ini: Path
    revisions: tuple[str, str] = (REV_A, REV_B)


def write_alembic_project(root: Path, *, script_location: str = "migrations") -> AlembicProject:
    """Write alembic.ini, env.py and two revisions (A creates ``users``, B adds a column)."""
    root.mkdir(parents=True, exist_ok=True)
    versions = root / "migrations" / "versions"
    versions.mkdir(parents=True)
    ini = root / "alembic.ini"
    ini.write_text(
        textwrap.dedent(
            f"""\
            [alembic]
            script_location = {script_location}
            sqlalchemy.url = driver://user:pass@localhost/dbname
            """
        )
    )
    # env.py would connect with the URL above: dbctl must never run it.
    (root / "migrations" / "env.py").write_text(
        'raise RuntimeError("env.py must not be executed by dbctl")\n'
    )
    (versions / f"{REV_A}_create_users.py").write_text(
        textwrap.dedent(
            f'''\
            """create users"""
            import sqlalchemy as sa
            from alembic import op

            revision = "{REV_A}"
            down_revision = None
            branch_labels = None
            depends_on = None


            def upgrade():
                op.create_table("users", sa.Column("id", sa.Integer, primary_key=True))


            def downgrade():
                op.drop_table("users")
            '''
        )
    )
    (versions / f"{REV_B}_add_name.py").write_text(
        textwrap.dedent(
            f'''\
            """add name"""
            import sqlalchemy as sa
            from alembic import op

            revision = "{REV_B}"
            down_revision = "{REV_A}"
            branch_labels = None
            depends_on = None


            def upgrade():
                op.add_column("users", sa.Column("name", sa.String(100)))


            def downgrade():
                op.drop_column("users", "name")
            '''
        )
    )
    return AlembicProject(root, ini)


@pytest.fixture
def alembic_project(tmp_path: Path) -> AlembicProject:
    return write_alembic_project(tmp_path / "proj")


REPO = Path(__file__).resolve().parents[2]
EXAMPLES = REPO / "examples"


def clean_env(**extra: str) -> dict[str, str]:
    """The test process's environment without any database settings, plus ``extra``."""
    import os

    env = {
        k: v
        for k, v in os.environ.items()
        if not (k.startswith(("DBCTL_", "PG")) or k == "DATABASE_URL")
        or k in {"DBCTL_PG_BINDIR"}
    }
    env.update(extra)
    return env


def free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class Served:
    base_url: str
    pid: int
    log: Path


@contextmanager
def uvicorn_app(
    app_dir: Path, target: str, *, env: dict[str, str], cwd: Path
) -> Iterator[Served]:
    """Run ``target`` under uvicorn on 127.0.0.1 (free port) until it answers; stop it by pid."""
    import subprocess
    import sys
    import time

    import httpx

    port = free_port()
    log = cwd / f"uvicorn-{port}.log"
    with log.open("wb") as out:
        proc = subprocess.Popen(
            [
                sys.executable, "-m", "uvicorn", target,
                "--app-dir", str(app_dir), "--host", "127.0.0.1", "--port", str(port),
            ],
            cwd=cwd,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60  # a busy CI machine
        while True:
            if proc.poll() is not None:
                raise AssertionError(f"uvicorn exited with {proc.returncode}:\n{log.read_text()}")
            try:
                httpx.get(f"{base}/openapi.json", timeout=1).raise_for_status()
                break
            except httpx.HTTPError:
                if time.monotonic() > deadline:
                    raise AssertionError(f"uvicorn did not answer:\n{log.read_text()}") from None
                time.sleep(0.2)
        yield Served(base, proc.pid, log)
    finally:
        if proc.poll() is None:
            proc.terminate()
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()

"""The migrations checks that need no database: several heads and a revision graph that
does not load — with ``--offline``, and when the database is unreachable."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import pytest

from dbctl import sandbox
from tests.eco.conftest import REV_A, REV_B, AlembicProject, clean_env, write_alembic_project

REV_C = "c3f0c0de0003"


def add_revision(project: AlembicProject, rev: str, down: str | None, body: str = "") -> None:
    (project.root / "migrations" / "versions" / f"{rev}_more.py").write_text(
        f'revision = "{rev}"\ndown_revision = {down!r}\n' + textwrap.dedent(body)
    )


@pytest.fixture
def two_heads(tmp_path: Path) -> AlembicProject:
    """A before B, and C also on A: heads B and C."""
    project = write_alembic_project(tmp_path / "branchy")
    add_revision(project, REV_C, REV_A)
    return project


def dbctl(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "dbctl", *args],
        cwd=cwd,
        env=clean_env(NO_COLOR="1"),
        capture_output=True,
        text=True,
        timeout=120,
    )


def migrations_row(stdout: str) -> dict[str, Any]:
    data = json.loads(stdout)
    return next(c for c in data["checks"] if c["id"] == "migrations")


def test_two_heads_fail_check_offline_with_both_ids_and_no_server(
    two_heads: AlembicProject,
) -> None:
    proc = dbctl("check", "--offline", cwd=two_heads.root)  # no URL, no server anywhere
    assert proc.returncode == 1, proc.stdout + proc.stderr
    line = next(ln for ln in proc.stdout.splitlines() if ln.startswith("FAIL  migrations"))
    assert REV_B in line and REV_C in line
    assert "[migrations.multiple_heads]" in line
    assert "alembic merge heads" in proc.stdout
    assert "SKIP  config" in proc.stdout  # no URL: fine offline

    proc = dbctl("check", "--offline", "--format", "json", cwd=two_heads.root)
    assert proc.returncode == 1
    row = migrations_row(proc.stdout)
    assert (row["status"], row["code"]) == ("fail", "migrations.multiple_heads")
    assert row["data"]["heads"] == sorted([REV_B, REV_C])
    ids = [c["id"] for c in json.loads(proc.stdout)["checks"]]
    assert ids == ["config", "migrations"]  # nothing that needs a connection ran


def test_two_heads_are_reported_when_the_database_is_unreachable(
    two_heads: AlembicProject,
) -> None:
    url = f"postgresql+asyncpg://app:pw@127.0.0.1:{sandbox.free_port()}/app"
    proc = dbctl("check", "--url", url, "--format", "json", cwd=two_heads.root)
    assert proc.returncode == 3  # unreachable still wins the exit code
    row = migrations_row(proc.stdout)
    assert row["code"] == "migrations.multiple_heads"
    assert row["data"]["heads"] == sorted([REV_B, REV_C])


def test_one_head_passes_offline_and_names_it(alembic_project: AlembicProject) -> None:
    url = "postgresql+asyncpg://app:pw@db.invalid:5432/app"  # never resolved offline
    proc = dbctl("check", "--offline", "--url", url, "--format", "json", cwd=alembic_project.root)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    data = json.loads(proc.stdout)
    assert [(c["id"], c["status"]) for c in data["checks"]] == [
        ("config", "pass"),
        ("migrations", "pass"),
    ]
    row = migrations_row(proc.stdout)
    assert REV_B in row["summary"] and "--offline" in row["summary"]


def test_one_head_is_a_skip_with_its_head_when_unreachable(
    alembic_project: AlembicProject,
) -> None:
    url = f"postgresql+asyncpg://app:pw@127.0.0.1:{sandbox.free_port()}/app"
    proc = dbctl("check", "--url", url, "--format", "json", cwd=alembic_project.root)
    assert proc.returncode == 3
    row = migrations_row(proc.stdout)
    assert row["status"] == "skip"
    assert row["data"]["heads"] == [REV_B]


@pytest.mark.parametrize(
    ("revision", "expected"),
    [
        (f'revision = "{REV_C}"\ndown_revision = "0000feedbeef"\n', "0000feedbeef"),
        (f'revision = "{REV_C}"\ndown_revision = "{REV_B}"\ndef upgrade(:\n', "SyntaxError"),
        (
            f'import no_such_module_xyz\nrevision = "{REV_C}"\ndown_revision = "{REV_B}"\n',
            "No module named 'no_such_module_xyz'",
        ),
        (f'revision = "{REV_A}"\ndown_revision = "{REV_B}"\n', "Cycle is detected"),
    ],
    ids=["missing-down-revision", "syntax-error", "import-error", "cycle"],
)
def test_a_graph_that_does_not_load_fails_offline(
    tmp_path: Path, cli: Any, monkeypatch: Any, revision: str, expected: str
) -> None:
    project = write_alembic_project(tmp_path / "broken")
    (project.root / "migrations" / "versions" / "zz_broken.py").write_text(revision)
    monkeypatch.chdir(project.root)
    result = cli("check", "--offline", "--format", "json")
    assert result.exit_code == 1, result.all
    row = migrations_row(result.stdout)
    assert (row["status"], row["code"]) == ("fail", "migrations.invalid_graph")
    assert expected in row["summary"]
    assert "\n" not in row["summary"]


def test_preflight_offline_needs_no_url(two_heads: AlembicProject) -> None:
    (two_heads.root / "app.py").write_text("x = 1\n")
    proc = dbctl("preflight", "app.py", "--offline", "--format", "json", cwd=two_heads.root)
    assert proc.returncode == 1, proc.stdout + proc.stderr
    check = json.loads(proc.stdout)["check"]
    row = next(c for c in check["checks"] if c["id"] == "migrations")
    assert row["code"] == "migrations.multiple_heads"


def test_offline_without_alembic_is_only_the_config_row(cli: Any) -> None:
    result = cli("check", "--offline", "--format", "json")
    assert result.exit_code == 0, result.all
    assert [c["id"] for c in json.loads(result.stdout)["checks"]] == ["config"]


@pytest.mark.db
def test_two_heads_fail_online_too_with_the_database_state(
    pg: Any, two_heads: AlembicProject, cli: Any, monkeypatch: Any
) -> None:
    pg.sql(
        "CREATE TABLE alembic_version (version_num varchar(32) PRIMARY KEY)",
        f"INSERT INTO alembic_version VALUES ('{REV_B}')",
    )
    monkeypatch.chdir(two_heads.root)
    result = cli("check", "--url", pg.url, "--format", "json")
    assert result.exit_code == 1, result.all
    row = migrations_row(result.stdout)
    assert row["code"] == "migrations.multiple_heads"
    assert row["data"]["current"] == [REV_B]
    assert row["data"]["pending"] == [REV_C]
    assert "1 migration pending" in row["summary"]

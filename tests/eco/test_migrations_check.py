"""The ``migrations`` check against a real database and a real Alembic project on disk."""

from __future__ import annotations

import asyncio
import sys
import textwrap
from pathlib import Path
from typing import Any

import pytest

from dbctl.core import migrations_check
from dbctl.core.result import CheckResult
from dbctl.errors import ConfigError
from dbctl.settings import load_settings
from tests.eco.conftest import REV_A, REV_B, AlembicProject, write_alembic_project


def run_check(pg: Any, cwd: Path, **cli: Any) -> CheckResult | None:
    """Load settings as the CLI would (clean environment) and run the check on asyncpg."""
    loaded = load_settings({"url": pg.url, **cli}, cwd=cwd, environ={})

    async def go() -> CheckResult | None:
        import asyncpg

        conn = await asyncpg.connect(pg.dsn, timeout=10)
        try:
            return await migrations_check.run(conn, loaded)
        finally:
            await conn.close()

    return asyncio.run(go())


def stamp(pg: Any, *revisions: str) -> None:
    pg.sql("CREATE TABLE alembic_version (version_num varchar(32) PRIMARY KEY)")
    for rev in revisions:
        pg.sql(f"INSERT INTO alembic_version VALUES ('{rev}')")


pytestmark = pytest.mark.db


def test_at_head_passes(pg: Any, alembic_project: AlembicProject, monkeypatch: Any) -> None:
    monkeypatch.chdir(alembic_project.root)
    stamp(pg, REV_B)
    result = run_check(pg, alembic_project.root)
    assert result is not None
    assert (result.id, result.status, result.code) == ("migrations", "pass", None)
    assert REV_B in result.summary
    assert result.data["heads"] == [REV_B]
    assert result.data["current"] == [REV_B]
    assert result.data["pending"] == []
    assert result.data["config"] == "alembic.ini"
    assert result.to_json()["status"] == "pass"


def test_behind_by_one_lists_the_pending_revision(
    pg: Any, alembic_project: AlembicProject, monkeypatch: Any
) -> None:
    monkeypatch.chdir(alembic_project.root)
    stamp(pg, REV_A)
    result = run_check(pg, alembic_project.root)
    assert result is not None
    assert (result.status, result.code) == ("fail", "migrations.behind")
    assert result.data["pending"] == [REV_B]
    assert result.data["current"] == [REV_A]
    assert "1 migration pending" in result.summary
    assert REV_B in result.summary
    assert result.hint and "alembic upgrade head" in result.hint


def test_no_version_table_means_every_revision_pending(
    pg: Any, alembic_project: AlembicProject, monkeypatch: Any
) -> None:
    monkeypatch.chdir(alembic_project.root)
    result = run_check(pg, alembic_project.root)
    assert result is not None
    assert (result.status, result.code) == ("fail", "migrations.behind")
    assert result.data["pending"] == [REV_A, REV_B]  # oldest first, the order to apply
    assert result.data["version_table"] is False
    assert "no alembic_version table" in result.summary
    assert "2 migrations pending" in result.summary


def test_empty_version_table_is_behind(
    pg: Any, alembic_project: AlembicProject, monkeypatch: Any
) -> None:
    monkeypatch.chdir(alembic_project.root)
    stamp(pg)
    result = run_check(pg, alembic_project.root)
    assert result is not None
    assert result.code == "migrations.behind"
    assert result.data["version_table"] is True
    assert "no revision applied" in result.summary


def test_unknown_revision_fails_distinctly(
    pg: Any, alembic_project: AlembicProject, monkeypatch: Any
) -> None:
    monkeypatch.chdir(alembic_project.root)
    stamp(pg, "ffffdeadbeef")
    result = run_check(pg, alembic_project.root)
    assert result is not None
    assert (result.status, result.code) == ("fail", "migrations.unknown_revision")
    assert result.data["unknown"] == ["ffffdeadbeef"]
    assert "ffffdeadbeef" in result.summary
    assert REV_B in result.summary  # names the head the code knows


def test_no_alembic_config_returns_none(pg: Any, tmp_path: Path, monkeypatch: Any) -> None:
    monkeypatch.chdir(tmp_path)
    stamp(pg, REV_B)  # a version table alone does not turn the check on
    assert run_check(pg, tmp_path) is None


def test_configured_path_is_used_from_elsewhere(
    pg: Any, alembic_project: AlembicProject, tmp_path: Path, monkeypatch: Any
) -> None:
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)  # script_location is relative: resolved next to the ini
    stamp(pg, REV_B)
    result = run_check(pg, elsewhere, alembic_config=alembic_project.ini)
    assert result is not None
    assert result.status == "pass"


def test_pyproject_setting_and_ini_next_to_pyproject(
    pg: Any, alembic_project: AlembicProject, monkeypatch: Any
) -> None:
    (alembic_project.root / "pyproject.toml").write_text("[tool.dbctl]\n")
    sub = alembic_project.root / "app"
    sub.mkdir()
    monkeypatch.chdir(sub)
    stamp(pg, REV_A)
    result = run_check(pg, sub)
    assert result is not None
    assert result.code == "migrations.behind"

    (alembic_project.root / "pyproject.toml").write_text(
        '[tool.dbctl]\nalembic_config = "alembic.ini"\n'
    )
    result = run_check(pg, sub)
    assert result is not None
    assert result.code == "migrations.behind"


def test_two_heads_fail_even_when_both_are_applied(
    pg: Any, tmp_path: Path, monkeypatch: Any
) -> None:
    project = write_alembic_project(tmp_path / "branchy")
    rev_c = "c3f0c0de0003"
    (project.root / "migrations" / "versions" / f"{rev_c}_branch.py").write_text(
        textwrap.dedent(
            f'''\
            revision = "{rev_c}"
            down_revision = "{REV_A}"
            branch_labels = None
            depends_on = None
            '''
        )
    )
    monkeypatch.chdir(project.root)
    stamp(pg, REV_B)
    result = run_check(pg, project.root)
    assert result is not None
    assert result.code == "migrations.multiple_heads"
    assert result.data["heads"] == sorted([REV_B, rev_c])
    assert result.data["pending"] == [rev_c]  # the database side is still compared
    assert result.hint and "alembic merge heads" in result.hint

    # `alembic upgrade head` cannot run on two heads, even when the database has both
    pg.sql(f"INSERT INTO alembic_version VALUES ('{rev_c}')")
    result = run_check(pg, project.root)
    assert result is not None
    assert (result.status, result.code) == ("fail", "migrations.multiple_heads")
    assert result.data["pending"] == []


def test_missing_configured_file_is_a_config_error(pg: Any, tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="not found"):
        run_check(pg, tmp_path, alembic_config=tmp_path / "nope.ini")


def test_unreadable_script_location_is_a_config_error(pg: Any, tmp_path: Path) -> None:
    (tmp_path / "alembic.ini").write_text("[alembic]\nscript_location = missing_dir\n")
    with pytest.raises(ConfigError, match="cannot read the Alembic scripts") as info:
        run_check(pg, tmp_path, alembic_config=tmp_path / "alembic.ini")
    assert info.value.exit_code == 2


def test_without_alembic_installed_warns(
    pg: Any, alembic_project: AlembicProject, monkeypatch: Any
) -> None:
    monkeypatch.chdir(alembic_project.root)
    for name in [m for m in sys.modules if m == "alembic" or m.startswith("alembic.")]:
        monkeypatch.delitem(sys.modules, name)
    monkeypatch.setitem(sys.modules, "alembic", None)  # import alembic -> ImportError
    result = run_check(pg, alembic_project.root)
    assert result is not None
    assert (result.status, result.code) == ("warn", None)
    assert "not installed" in result.summary
    assert result.hint == "pip install 'fastapi-dbctl[alembic]'"


def test_sys_path_is_left_alone(
    pg: Any, alembic_project: AlembicProject, monkeypatch: Any
) -> None:
    ini = alembic_project.ini
    ini.write_text(ini.read_text() + "prepend_sys_path = .\n")
    monkeypatch.chdir(alembic_project.root)
    stamp(pg, REV_B)
    before = list(sys.path)
    result = run_check(pg, alembic_project.root)
    assert result is not None and result.status == "pass"
    assert sys.path == before


def test_version_table_in_the_app_schema(
    pg: Any, alembic_project: AlembicProject, monkeypatch: Any
) -> None:
    monkeypatch.chdir(alembic_project.root)
    pg.sql(
        'CREATE SCHEMA "my app"',
        'CREATE TABLE "my app".alembic_version (version_num varchar(32) PRIMARY KEY)',
        f"INSERT INTO \"my app\".alembic_version VALUES ('{REV_A}')",
    )
    result = run_check(pg, alembic_project.root, db_schema="my app")
    assert result is not None
    assert result.code == "migrations.behind"
    assert result.data["current"] == [REV_A]


def test_unreadable_version_table_warns_with_the_grant(
    pg: Any, alembic_project: AlembicProject, monkeypatch: Any
) -> None:
    import secrets

    monkeypatch.chdir(alembic_project.root)
    stamp(pg, REV_B)
    role = f"noread_{secrets.token_hex(3)}"
    pg.sql(f"CREATE ROLE {role} LOGIN PASSWORD 'x-{role}'")
    try:
        loaded = load_settings(
            {"url": pg.url_for(role, f"x-{role}")}, cwd=alembic_project.root, environ={}
        )

        async def go() -> CheckResult | None:
            import asyncpg

            conn = await asyncpg.connect(
                user=role, password=f"x-{role}", host=pg.server.host, port=pg.server.port,
                database=pg.name, timeout=10,
            )
            try:
                return await migrations_check.run(conn, loaded)
            finally:
                await conn.close()

        result = asyncio.run(go())
    finally:
        pg.sql(f"DROP OWNED BY {role}", f"DROP ROLE {role}")
    assert result is not None
    assert result.status == "warn"
    assert result.data["sqlstate"] == "42501"
    assert "permission denied" in result.summary
    assert result.hint and "GRANT SELECT ON alembic_version" in result.hint


def test_a_long_pending_list_is_shortened_in_the_summary_only(
    pg: Any, tmp_path: Path, monkeypatch: Any
) -> None:
    project = write_alembic_project(tmp_path / "long")
    down = REV_B
    chain = []
    for i in range(8):
        rev = f"d{i:011d}"
        (project.root / "migrations" / "versions" / f"{rev}.py").write_text(
            f'revision = "{rev}"\ndown_revision = "{down}"\n'
        )
        chain.append(rev)
        down = rev
    monkeypatch.chdir(project.root)
    stamp(pg, REV_B)
    result = run_check(pg, project.root)
    assert result is not None
    assert result.data["pending"] == chain
    assert "8 migrations pending" in result.summary
    assert "(3 more)" in result.summary
    assert chain[5] not in result.summary  # the 6th and later only in data

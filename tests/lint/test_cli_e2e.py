"""`dbctl lint` end to end against the real engine and rules: formats, config, suppression,
exit codes, and no secret in any output (canary passwords in code and alembic.ini)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from jsonschema import Draft7Validator

from tests.conftest import CANARY

SCHEMA = json.loads(
    (Path(__file__).resolve().parents[1] / "data" / "sarif-schema-2.1.0.json").read_text()
)

DB_PY = f"""\
from fastapi import FastAPI
from sqlalchemy.ext.asyncio import AsyncSession, create_async_engine
from sqlalchemy.orm import sessionmaker

engine = create_async_engine("postgresql+asyncpg://app:{CANARY}@db/app", echo=True)
SessionLocal = sessionmaker(engine, class_=AsyncSession)
app = FastAPI()


@app.on_event("startup")
async def startup() -> None:
    pass
"""

CLEAN_PY = """\
import os
from contextlib import asynccontextmanager

from fastapi import FastAPI
from sqlalchemy.ext.asyncio import async_sessionmaker, create_async_engine

engine = create_async_engine(os.environ["DATABASE_URL"])
SessionLocal = async_sessionmaker(engine, expire_on_commit=False)


@asynccontextmanager
async def lifespan(app: FastAPI):
    yield
    await engine.dispose()


app = FastAPI(lifespan=lifespan)
"""

ALEMBIC_INI = f"""\
[alembic]
script_location = migrations
sqlalchemy.url = postgresql://app:{CANARY}@db/app
"""

SETTINGS_PY = f'''\
import asyncpg
from pydantic_settings import BaseSettings


class Settings(BaseSettings):
    database_url: str = "postgresql+asyncpg://app:{CANARY}@db/app"


async def connect():
    return await asyncpg.connect(host="db", user="app", password="{CANARY}")
'''


def make_project(root: Path) -> None:
    app = root / "app"
    app.mkdir()
    (app / "__init__.py").write_text("")
    (app / "db.py").write_text(DB_PY)
    (app / "settings.py").write_text(SETTINGS_PY)
    (root / "alembic.ini").write_text(ALEMBIC_INI)


@pytest.fixture
def project(cli: Any, tmp_path: Path) -> Path:
    make_project(tmp_path)
    return tmp_path


def codes(res: Any) -> list[tuple[str, str, int]]:
    return [(f["path"], f["code"], f["line"]) for f in json.loads(res.stdout)["findings"]]


def test_text_report_on_a_real_project(cli: Any, project: Path) -> None:
    res = cli("lint", "--no-cache")
    assert res.exit_code == 1
    lines = res.stdout.splitlines()
    assert "app/db.py:5:30: DBC201 hardcoded password in database URL " in lines[1] + lines[2]
    assert any(ln.startswith("alembic.ini:3:") and " DBC201 " in ln for ln in lines)
    for code in ("DBC201", "DBC202", "DBC203", "DBC301", "DBC302", "DBC303", "DBC304"):
        assert f" {code} " in res.stdout, code
    assert "Found " in res.stderr


@pytest.mark.parametrize("fmt", ["text", "json", "sarif", "github"])
def test_canary_password_never_in_any_format_or_output_file(
    cli: Any, project: Path, fmt: str
) -> None:
    res = cli("lint", "--format", fmt, "--no-cache")
    assert res.exit_code == 1
    assert "DBC201" in res.stdout
    assert CANARY not in res.stdout and CANARY not in res.stderr
    assert "***" in res.stdout
    res = cli("lint", ".", "--format", fmt, "--output", "report.out", "--statistics")
    assert res.exit_code == 1
    report = (project / "report.out").read_text()
    assert "DBC201" in report
    assert CANARY not in report and CANARY not in res.all
    # nor in the cache the run left behind
    for cached in (project / ".dbctl_cache").rglob("*"):
        if cached.is_file():
            assert CANARY.encode() not in cached.read_bytes(), cached


def test_json_and_sarif_of_a_real_run(cli: Any, project: Path) -> None:
    data = json.loads(cli("lint", "--format", "json", "--no-cache").stdout)
    assert data["schema_version"] == 1
    assert data["summary"]["files"] >= 3
    assert data["summary"]["findings"] == len(data["findings"])
    assert data["summary"]["by_code"]["DBC201"] >= 2
    assert {f["path"] for f in data["findings"]} >= {"app/db.py", "alembic.ini", "app/settings.py"}
    sarif = json.loads(cli("lint", "--format", "sarif", "--no-cache").stdout)
    errors = list(Draft7Validator(SCHEMA).iter_errors(sarif))
    assert not errors, errors[0].message
    run = sarif["runs"][0]
    assert len(run["tool"]["driver"]["rules"]) == 16
    assert len(run["results"]) == len(data["findings"])
    uris = {
        r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] for r in run["results"]
    }
    assert "app/db.py" in uris and all(not u.startswith("/") for u in uris)


def test_paths_are_relative_to_the_current_directory(
    cli: Any, project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(project / "app")
    res = cli("lint", "db.py", "--format", "json", "--no-cache")
    assert {f["path"] for f in json.loads(res.stdout)["findings"]} == {"db.py"}
    monkeypatch.chdir(project.parent)
    res = cli("lint", f"{project.name}/app/db.py", "--format", "json", "--no-cache")
    assert {f["path"] for f in json.loads(res.stdout)["findings"]} == {f"{project.name}/app/db.py"}


def test_clean_project_exit_0(cli: Any, tmp_path: Path) -> None:
    (tmp_path / "main.py").write_text(CLEAN_PY)
    res = cli("lint", "--no-cache")
    assert res.exit_code == 0, res.all
    assert res.stdout == ""
    assert "No findings in 1 file." in res.stderr


def test_select_ignore_and_exit_zero(cli: Any, project: Path) -> None:
    res = cli("lint", "--select", "DBC3", "--format", "json", "--no-cache")
    assert {c for _, c, _ in codes(res)} == {"DBC301", "DBC302", "DBC303", "DBC304"}
    res = cli("lint", "--ignore", "DBC2,DBC3", "--format", "json", "--no-cache")
    assert codes(res) == [] and res.exit_code == 0
    res = cli("lint", "--exit-zero", "--no-cache")
    assert res.exit_code == 0 and "DBC201" in res.stdout


def test_pyproject_configuration(cli: Any, project: Path) -> None:
    (project / "pyproject.toml").write_text(
        """
[tool.dbctl.lint]
ignore = ["DBC303"]
exclude = ["alembic.ini"]

[tool.dbctl.lint.per-file-ignores]
"app/settings.py" = ["DBC2"]
"""
    )
    found = codes(cli("lint", "--format", "json", "--no-cache"))
    assert ("app/db.py", "DBC201", 5) in found
    assert not any(c == "DBC303" for _, c, _ in found)
    assert not any(p == "alembic.ini" for p, _, _ in found)
    assert not any(p == "app/settings.py" for p, _, _ in found)


def test_inline_and_file_suppressions(cli: Any, tmp_path: Path) -> None:
    url = f"postgresql+asyncpg://u:{CANARY}@h/d"
    (tmp_path / "a.py").write_text(
        "from sqlalchemy.ext.asyncio import create_async_engine\n"
        f'e1 = create_async_engine("{url}")  # dbctl: ignore[DBC201]\n'
        f'e2 = create_async_engine("{url}")  # noqa: DBC201\n'
        f'e3 = create_async_engine("{url}")  # noqa: E501\n'
    )
    (tmp_path / "b.py").write_text(
        "# dbctl: ignore-file[DBC201]\n"
        "from sqlalchemy.ext.asyncio import create_async_engine\n"
        f'e = create_async_engine("postgresql+asyncpg://u:{CANARY}@h/d")\n'
    )
    assert codes(cli("lint", "--format", "json", "--no-cache")) == [("a.py", "DBC201", 4)]


def test_cache_is_written_unless_no_cache(cli: Any, project: Path) -> None:
    cli("lint", "--no-cache")
    assert not (project / ".dbctl_cache").exists()
    first = cli("lint", "--format", "json")
    assert (project / ".dbctl_cache").is_dir()
    second = cli("lint", "--format", "json")
    assert codes(first) == codes(second)


def test_unparsable_file_is_a_finding_and_the_rest_is_linted(cli: Any, project: Path) -> None:
    (project / "app" / "broken.py").write_text("def f(:\n")
    res = cli("lint", "--format", "json", "--no-cache", "--select", "DBC201")
    found = codes(res)
    assert ("app/broken.py", "DBC000", 1) in found  # DBC000 stays on with --select
    assert ("app/db.py", "DBC201", 5) in found
    assert res.exit_code == 1


def test_unlintable_path_is_exit_2(cli: Any, project: Path) -> None:
    loop = project / "app" / "loop"
    loop.symlink_to(loop)
    res = cli("lint", "app/loop", "--no-cache", "--format", "json")
    assert res.exit_code == 2
    assert json.loads(res.stdout)["errors"] == [{"path": "app/loop", "message": "symlink loop"}]
    res = cli("lint", "app/loop", "app/db.py", "--no-cache", "--exit-zero")
    assert res.exit_code == 2  # --exit-zero does not hide what could not be linted
    assert "app/db.py:5:30: DBC201" in res.stdout  # the rest is still linted
    assert "could not lint app/loop: symlink loop" in res.stderr
    res = cli("lint", "no/such/path", "--no-cache")
    assert res.exit_code == 2
    assert "no such file or directory" in res.stderr

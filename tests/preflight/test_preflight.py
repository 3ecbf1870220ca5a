"""dbctl preflight: lint + check in one step, combined exit codes, GitHub outputs."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.conftest import CANARY

pytestmark = pytest.mark.db

CLEAN_APP = '''\
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker, create_async_engine

from .settings import settings

engine = create_async_engine(settings.database_url)
SessionLocal = async_sessionmaker(engine, expire_on_commit=False)


@asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[None]:
    yield
    await engine.dispose()


app = FastAPI(lifespan=lifespan)
'''

DIRTY_APP = f'''\
from fastapi import FastAPI
from sqlalchemy.ext.asyncio import create_async_engine

engine = create_async_engine("postgresql+asyncpg://app:{CANARY}@db:5432/app")
app = FastAPI()


@app.on_event("startup")
async def startup() -> None:
    pass
'''


def make_app(root: Path, source: str) -> Path:
    app = root / "app"
    app.mkdir()
    (app / "__init__.py").write_text("")
    (app / "main.py").write_text(source)
    (app / "settings.py").write_text("settings = None\n")
    return app


def no_canary(*texts: str) -> None:
    for text in texts:
        assert CANARY not in text


def test_clean_code_and_healthy_database_pass(cli, pg, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    make_app(tmp_path, CLEAN_APP)
    res = cli("preflight", "app", "--url", pg.url)
    assert res.exit_code == 0, res.all
    assert "== lint ==" in res.stdout and "== check ==" in res.stdout
    assert "preflight pass (exit 0)" in res.stdout
    no_canary(res.all)


def test_json_holds_both_reports(cli, pg, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    make_app(tmp_path, DIRTY_APP)
    res = cli("preflight", "app", "--url", pg.url, "--format", "json")
    assert res.exit_code == 1, res.all
    data = json.loads(res.stdout)
    assert data["schema_version"] == 1
    assert data["status"] == "fail" and data["exit_code"] == 1
    codes = {f["code"] for f in data["lint"]["findings"]}
    assert {"DBC201", "DBC301"} <= codes
    assert data["lint"]["exit_code"] == 1
    assert data["check"]["status"] in {"pass", "warn"}
    assert [c["id"] for c in data["check"]["checks"]][:3] == ["config", "dns", "tcp"]
    no_canary(res.all)


def test_github_annotations_and_step_summary(cli, pg, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    make_app(tmp_path, DIRTY_APP)
    summary = tmp_path / "summary.md"
    summary.write_text("previous step\n")
    bad_url = pg.url_for("nobody_here", CANARY)
    res = cli(
        "preflight", "app", "--url", bad_url, "--format", "github",
        env={"GITHUB_STEP_SUMMARY": str(summary)},
    )
    assert res.exit_code == 1, res.all
    lines = res.stdout.splitlines()
    assert any(ln.startswith("::error file=app/main.py,line=4,") and "DBC201" in ln for ln in lines)
    assert any(ln.startswith("::error title=dbctl check auth") and "auth.failed" in ln
               for ln in lines)
    md = summary.read_text()
    assert md.startswith("previous step\n"), "the summary is appended, not overwritten"
    assert "## ❌ dbctl preflight: fail (exit 1)" in md
    assert "| DBC201 | 1 |" in md
    assert "`auth.failed`" in md
    no_canary(res.all, md)


def test_unreachable_database_is_exit_3_even_with_findings(cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    make_app(tmp_path, DIRTY_APP)
    from dbctl.sandbox import free_port

    url = f"postgresql+asyncpg://app:{CANARY}@127.0.0.1:{free_port()}/app"
    res = cli("preflight", "app", "--url", url, "--format", "json")
    assert res.exit_code == 3, res.all
    data = json.loads(res.stdout)
    assert data["exit_code"] == 3
    assert "tcp.refused" in {c["code"] for c in data["check"]["checks"]}
    assert data["lint"]["findings"], "lint still ran"
    no_canary(res.all)


def test_strict_turns_check_warnings_into_failures(cli, pg, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    make_app(tmp_path, CLEAN_APP)
    pg.sql(f'ALTER DATABASE "{pg.name}" SET default_transaction_read_only = on')
    relaxed = cli("preflight", "app", "--url", pg.url)
    assert relaxed.exit_code == 0, relaxed.all
    assert "session.read_only" in relaxed.stdout
    strict = cli("preflight", "app", "--url", pg.url, "--strict")
    assert strict.exit_code == 1


def test_several_databases(cli, pg, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    make_app(tmp_path, CLEAN_APP)
    other = pg.url_for(pg.server.user, pg.password, "postgres")
    res = cli("preflight", "app", "--url", pg.url, "--url", other, "--format", "json")
    assert res.exit_code == 0, res.all
    data = json.loads(res.stdout)
    assert len(data["check"]["targets"]) == 2


def test_usage_errors_exit_2(cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    make_app(tmp_path, CLEAN_APP)
    res = cli("preflight", "app")
    assert res.exit_code == 2 and "no database URL" in res.stderr
    res = cli("preflight", "nope", "--url", "postgresql+asyncpg://u@127.0.0.1/x")
    assert res.exit_code == 2 and "no such file or directory" in res.stderr
    res = cli("preflight", "app", "--url", "mysql://u@h/x")
    assert res.exit_code == 2
    assert res.stdout == ""

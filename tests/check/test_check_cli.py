"""Start-up cost and rendering of ``dbctl check`` (no database needed for most)."""

from __future__ import annotations

import io
import json
import subprocess
import sys
from typing import Any

import pytest

from dbctl.core.check import CheckReport
from dbctl.core.result import CheckResult
from tests.test_cli_basics import _heavy_modules


def test_check_help_imports_neither_sqlalchemy_nor_asyncpg() -> None:
    assert _heavy_modules("check", "--help") == ""
    assert _heavy_modules("--help") == ""
    assert _heavy_modules("--version") == ""


@pytest.mark.db
def test_check_itself_does_not_import_sqlalchemy(pg: Any) -> None:
    heavy = _heavy_modules("check", "--url", pg.url, "--format", "json").split(",")
    assert "asyncpg" in heavy  # the probe works: check does connect with asyncpg
    assert not [m for m in heavy if m.startswith("sqlalchemy")]


def test_piped_plain_output_does_not_import_rich(refused_port: int) -> None:
    url = f"postgresql+asyncpg://app:pw@127.0.0.1:{refused_port}/app"
    code = (
        f"import sys; sys.argv=['dbctl','check','--url',{url!r}]\n"
        "from dbctl.cli import main\n"
        "try:\n    main()\nexcept SystemExit as e:\n    code = e.code\n"
        "print('RICH:' + str(any(m.split('.')[0] == 'rich' for m in sys.modules)),"
        " 'EXIT:' + str(code), file=sys.stderr)\n"
    )
    res = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=False
    )
    assert "RICH:False EXIT:3" in res.stderr, res.stderr
    assert "FAIL  tcp" in res.stdout and "tcp.refused" in res.stdout


def _report() -> CheckReport:
    return CheckReport(
        target="postgresql+asyncpg://app:***@db:5432/app",
        status="fail",
        exit_code=1,
        duration_ms=12.0,
        checks=[
            CheckResult("config", "Configuration", "pass", "fine [not markup]", 0.1),
            CheckResult(
                "auth",
                "Authentication",
                "fail",
                "password authentication failed",
                3.0,
                code="auth.failed",
                hint="check the password",
            ),
            CheckResult("server", "Server", "skip", "not run"),
        ],
    )


def _rich_render(monkeypatch: pytest.MonkeyPatch, no_color: bool) -> str:
    from rich.console import Console  # noqa: TID251 (a forced-terminal console for the test)

    from dbctl.output.check import render_check

    if no_color:
        monkeypatch.setenv("NO_COLOR", "1")
    else:
        monkeypatch.delenv("NO_COLOR", raising=False)
    buf = io.StringIO()
    console = Console(file=buf, force_terminal=True, color_system="standard", width=120)
    render_check(_report(), "human", console=console)
    return buf.getvalue()


def test_terminal_table_shows_hint_under_failing_row(monkeypatch: pytest.MonkeyPatch) -> None:
    out = _rich_render(monkeypatch, no_color=False)
    assert "\x1b[31m" in out or "\x1b[1;31m" in out  # red FAIL
    lines = out.splitlines()
    fail_at = next(i for i, ln in enumerate(lines) if "FAIL" in ln)
    assert "hint:" in lines[fail_at + 1] and "check the password" in lines[fail_at + 1]
    assert "[not markup]" in out and "auth.failed" in out


def test_terminal_table_honours_no_color(monkeypatch: pytest.MonkeyPatch) -> None:
    out = _rich_render(monkeypatch, no_color=True)
    assert "FAIL" in out and "hint:" in out
    assert "\x1b[31m" not in out and "\x1b[32m" not in out


def test_json_shape_without_a_server() -> None:
    data: dict[str, Any] = json.loads(json.dumps(_report().to_json()))
    assert list(data) == [
        "schema_version",
        "tool",
        "target",
        "status",
        "exit_code",
        "duration_ms",
        "checks",
    ]
    assert data["checks"][1] == {
        "id": "auth",
        "title": "Authentication",
        "status": "fail",
        "duration_ms": 3.0,
        "summary": "password authentication failed",
        "code": "auth.failed",
        "hint": "check the password",
        "data": {},
    }


@pytest.mark.parametrize(
    ("num", "status", "code"),
    [
        (90624, "fail", "server.unsupported_version"),  # 9.6: too old for asyncpg/SQLAlchemy 2
        (130020, "warn", "server.unsupported_version"),  # end of life 2025-11-13
        (170002, "pass", None),
    ],
)
def test_server_version_classification(num: int, status: str, code: str | None) -> None:
    from dbctl.checks import TITLES
    from dbctl.checks.base import Context
    from dbctl.checks.server import version_row

    ctx = Context(None, None, None, 1.0, TITLES)  # type: ignore[arg-type]
    version_row(ctx, {"version_num": num, "version": "x.y"}, 0.0)
    row = ctx.rows["server"]
    assert (row.status, row.code) == (status, code)


def test_schema_and_migrations_rows_skip_when_unreachable(
    cli: Any, refused_port: int, tmp_path: Any
) -> None:
    from tests.eco.conftest import write_alembic_project

    write_alembic_project(tmp_path)  # cli runs in tmp_path: alembic.ini is found there
    url = f"postgresql+asyncpg://app:pw@127.0.0.1:{refused_port}/app"
    res = cli(
        "check", "--url", url, "--models", "app.models:Base", "--format", "json",
        env={"DBCTL_ALEMBIC_CONFIG": "alembic.ini"},
    )  # fmt: skip
    assert res.exit_code == 3
    rows = json.loads(res.stdout)["checks"]
    assert [(r["id"], r["status"]) for r in rows[-2:]] == [
        ("schema", "skip"),
        ("migrations", "skip"),
    ]

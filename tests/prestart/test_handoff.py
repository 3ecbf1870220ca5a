"""``check`` / ``preflight`` ``-- CMD``: dbctl becomes CMD when healthy, never runs it
otherwise. Real subprocesses: ``os.execvp`` replaces the process, so CliRunner cannot."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from dbctl import sandbox
from tests.conftest import CANARY
from tests.prestart.conftest import Proc

#: CMD prints its pid (the same as dbctl's when dbctl exec'd it), then exits 7.
SHOW_PID = "echo ran-as-pid-$$; exit 7"


def closed_port_url() -> str:
    return f"postgresql+asyncpg://app:{CANARY}@127.0.0.1:{sandbox.free_port()}/app"


@pytest.mark.db
def test_healthy_check_becomes_cmd_with_its_exit_code(
    pg: Any, dbctl: Callable[..., Proc]
) -> None:
    proc = dbctl("check", "--url", pg.url, "--wait", "5", "--", "sh", "-c", SHOW_PID)
    assert proc.returncode == 7, proc.all
    # replaced, not spawned: CMD runs with dbctl's own pid
    assert proc.stdout == f"ran-as-pid-{proc.pid}\n"
    # the report went to stderr (stdout belongs to CMD)
    assert "PASS  auth" in proc.stderr
    assert "pass (exit 0)" in proc.stderr


@pytest.mark.db
def test_cmd_arguments_pass_through_untouched(pg: Any, dbctl: Callable[..., Proc]) -> None:
    proc = dbctl(
        "check", "--url", pg.url, "--", "python", "-c",
        "import sys; print(sys.argv[1:])", "--url", "x", "--", "-q",
    )  # fmt: skip
    assert proc.returncode == 0, proc.all
    assert proc.stdout == "['--url', 'x', '--', '-q']\n"


def test_unreachable_exits_3_and_never_runs_cmd(
    dbctl: Callable[..., Proc], tmp_path: Path
) -> None:
    marker = tmp_path / "cmd-ran"
    started = time.monotonic()
    proc = dbctl(
        "check", "--url", closed_port_url(), "--wait", "5", "--",
        "sh", "-c", f"touch {marker}; exit 7",
    )  # fmt: skip
    elapsed = time.monotonic() - started
    assert proc.returncode == 3, proc.all
    assert not marker.exists()
    assert "tcp.refused" in proc.stderr
    assert "waiting: attempt 1 failed" in proc.stderr
    assert 4.5 <= elapsed < 20, elapsed  # it did wait --wait 5, and no longer


@pytest.mark.db
def test_failed_check_exits_1_and_never_runs_cmd(
    pg: Any, canary_role: tuple[str, str], dbctl: Callable[..., Proc], tmp_path: Path
) -> None:
    role, _password = canary_role
    wrong = pg.url_for(role, CANARY + "-wrong")
    marker = tmp_path / "cmd-ran"
    proc = dbctl("check", "--url", wrong, "--wait", "5", "--", "touch", str(marker))
    assert proc.returncode == 1, proc.all
    assert "auth.failed" in proc.stderr
    assert not marker.exists()


@pytest.mark.db
def test_json_report_goes_to_stderr_when_cmd_follows(
    pg: Any, dbctl: Callable[..., Proc]
) -> None:
    import json

    proc = dbctl("check", "--url", pg.url, "--format", "json", "--", "echo", "app output")
    assert proc.returncode == 0, proc.all
    assert proc.stdout == "app output\n"
    assert json.loads(proc.stderr)["exit_code"] == 0


@pytest.mark.db
def test_preflight_becomes_cmd_when_ready(
    pg: Any, dbctl: Callable[..., Proc], tmp_path: Path
) -> None:
    app = tmp_path / "app"
    app.mkdir()
    (app / "main.py").write_text("print('hello')\n")
    proc = dbctl("preflight", "app", "--url", pg.url, "--", "sh", "-c", SHOW_PID)
    assert proc.returncode == 7, proc.all
    assert proc.stdout == f"ran-as-pid-{proc.pid}\n"
    assert "preflight" in proc.stderr


def test_preflight_lint_failure_never_runs_cmd(
    dbctl: Callable[..., Proc], tmp_path: Path
) -> None:
    app = tmp_path / "app"
    app.mkdir()
    (app / "db.py").write_text(
        'URL = "postgresql+asyncpg://app:hunter2secret@db/app"\n'
    )
    marker = tmp_path / "cmd-ran"
    proc = dbctl("preflight", "app", "--url", closed_port_url(), "--", "touch", str(marker))
    assert proc.returncode == 3, proc.all
    assert not marker.exists()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--"], "nothing to run after --"),
        (["--", "no-such-command-dbctl-test"], "command not found: no-such-command-dbctl-test"),
    ],
)
@pytest.mark.db
def test_bad_cmd_is_a_usage_error(
    pg: Any, dbctl: Callable[..., Proc], args: list[str], message: str
) -> None:
    proc = dbctl("check", "--url", pg.url, *args)
    assert proc.returncode == 2, proc.all
    assert message in proc.stderr
    assert "Traceback" not in proc.stderr


def test_a_positional_url_is_still_a_usage_error_not_a_command(
    dbctl: Callable[..., Proc],
) -> None:
    proc = dbctl("check", closed_port_url())
    assert proc.returncode == 2, proc.all
    assert "unexpected extra argument" in proc.stderr.lower()


def test_help_shows_the_cmd_usage(dbctl: Callable[..., Proc]) -> None:
    for command in ("check", "preflight"):
        proc = dbctl(command, "--help")
        assert proc.returncode == 0
        assert "[-- CMD [ARGS]...]" in proc.stdout

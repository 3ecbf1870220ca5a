"""-q/--quiet and -v/--verbose on every command: what a person sees on stdout and stderr
with each, exit codes unchanged, machine formats untouched by -q, no password in -v."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import CANARY
from tests.test_conventions import commands

ROOT = Path(__file__).resolve().parent.parent
TUTORIAL = str(ROOT / "examples" / "tutorial_app")
CLOSED = f"postgresql+asyncpg://app:{CANARY}@127.0.0.1:1/db"  # nothing listens on port 1
CONFLICT = "error: -q/--quiet and -v/--verbose cannot be used together"


def stable(text: str) -> Any:
    """A JSON document without its timings (``*_ms``), which differ from run to run."""

    def walk(value: Any) -> Any:
        if isinstance(value, dict):
            return {k: walk(v) for k, v in value.items() if not k.endswith("_ms")}
        if isinstance(value, list):
            return [walk(v) for v in value]
        return value

    return walk(json.loads(text))


def untimed(text: str) -> str:
    """Text without its timings (``0.5 ms``, ``1.20 s``)."""
    return re.sub(r" +\d+(\.\d+)? m?s\b", " T", text)


def rows(text: str) -> list[list[str]]:
    """The status and id of each row of a check-like report."""
    labels = {"PASS", "WARN", "FAIL", "SKIP"}
    return [ln.split()[:2] for ln in text.splitlines() if ln[:4] in labels]


def three(cli: Any, *args: str, **kw: Any) -> tuple[Any, Any, Any]:
    """The command run as it is, with -q and with -v."""
    return cli(*args, **kw), cli(*args, "-q", **kw), cli(*args, "-v", **kw)


def no_canary(*results: Any) -> None:
    for r in results:
        assert CANARY not in r.stdout + r.stderr


def verbose_lines(text: str) -> list[str]:
    return [ln for ln in text.splitlines() if ln.startswith("verbose: ")]


# --- every command ------------------------------------------------------------------------


def test_every_command_has_quiet_and_verbose() -> None:
    found = commands()
    assert set(found) == {
        "check", "preflight", "prestart", "init-db", "seed", "users list", "users count",
        "lint", "rules", "config", "sandbox run", "sandbox start", "sandbox status",
        "sandbox stop",
    }  # fmt: skip
    for name, command in found.items():
        opts = {o for p in command.params for o in getattr(p, "opts", [])}
        assert {"-q", "--quiet", "-v", "--verbose"} <= opts, name


@pytest.mark.parametrize("name", sorted(commands()))
def test_quiet_and_verbose_together_is_a_one_line_usage_error(cli: Any, name: str) -> None:
    extra = ["--", "true"] if name == "sandbox run" else []
    for flags in (["-q", "-v"], ["--verbose", "--quiet"]):
        r = cli(*name.split(), *flags, *extra)
        assert r.exit_code == 2, (name, r.all)
        assert r.stdout == "" and r.stderr.splitlines() == [CONFLICT], (name, r.stderr)


def test_usage_lines_show_what_follows_the_options(cli: Any) -> None:
    usage = {
        "sandbox run": "dbctl sandbox run [OPTIONS] -- CMD [ARGS]...",
        "check": "dbctl check [OPTIONS] [-- CMD [ARGS]...]",
        "preflight": "dbctl preflight [OPTIONS] [PATH] [-- CMD [ARGS]...]",
        "prestart": "dbctl prestart [OPTIONS] [-- CMD [ARGS]...]",
        "seed": "dbctl seed [OPTIONS] [FILE]",
        "lint": "dbctl lint [OPTIONS] [PATH]...",
        "rules": "dbctl rules [OPTIONS] [CODE]",
    }
    for name in commands():
        first = cli(*name.split(), "--help").stdout.splitlines()[0]
        expected = usage.get(name, f"dbctl {name} [OPTIONS]")
        assert first == f"Usage: {expected}", (name, first)


# --- commands that need no database -------------------------------------------------------


@pytest.mark.parametrize(
    ("args", "code", "message"),
    [
        (["check"], 2, "error: no database URL configured"),
        (["users", "count", "--url", CLOSED], 3, "error: "),
        (["lint", "no/such/path"], 2, "error: "),
        (["rules", "DBC999"], 2, "error: "),
    ],
)
def test_quiet_never_hides_errors(cli: Any, args: list[str], code: int, message: str) -> None:
    default, quiet = cli(*args), cli(*args, "-q")
    assert default.exit_code == quiet.exit_code == code, quiet.all
    assert quiet.stdout == ""
    errors = [ln for ln in quiet.stderr.splitlines() if ln.startswith("error")]
    assert len(errors) == 1 and errors[0].startswith(message), quiet.stderr
    assert errors == [ln for ln in default.stderr.splitlines() if ln.startswith("error")]
    no_canary(default, quiet)



def test_lint_text_quiet_keeps_the_findings_and_drops_the_summary(cli: Any) -> None:
    default, quiet, verbose = three(cli, "lint", TUTORIAL)
    assert default.exit_code == quiet.exit_code == verbose.exit_code == 1
    assert "DBC" in default.stdout
    assert quiet.stdout == default.stdout == verbose.stdout  # the findings, always
    assert "Found " in default.stderr and quiet.stderr == ""
    assert "Found " in verbose.stderr
    detail = verbose_lines(verbose.stderr)
    assert any(ln.startswith("verbose: linted ") and " ms: " in ln for ln in detail), detail
    assert any("configuration:" in ln for ln in detail)
    assert any(ln.startswith("verbose: dbctl lint: exit 1 after ") for ln in detail)
    assert verbose_lines(default.stderr) == []


@pytest.mark.parametrize("fmt", ["json", "sarif", "github"])
def test_lint_machine_formats_do_not_change_with_quiet_or_verbose(cli: Any, fmt: str) -> None:
    default, quiet, verbose = three(cli, "lint", TUTORIAL, "--format", fmt)
    assert default.exit_code == quiet.exit_code == verbose.exit_code == 1
    if fmt == "github":
        assert quiet.stdout == default.stdout == verbose.stdout
    else:
        assert stable(quiet.stdout) == stable(default.stdout) == stable(verbose.stdout)
    assert quiet.stderr == "" and verbose_lines(verbose.stderr)


@pytest.mark.parametrize("args", [["rules"], ["rules", "--format", "json"], ["rules", "DBC201"]])
def test_rules_data_is_the_same_with_quiet_and_verbose(cli: Any, args: list[str]) -> None:
    default, quiet, verbose = three(cli, *args)
    assert default.exit_code == quiet.exit_code == verbose.exit_code == 0
    assert quiet.stdout == default.stdout == verbose.stdout != ""
    assert default.stderr == quiet.stderr == ""
    assert verbose_lines(verbose.stderr) == [ln for ln in verbose.stderr.splitlines()]
    assert "verbose: dbctl rules: exit 0 after " in verbose.stderr


def test_config_verbose_names_the_sources_without_the_password(cli: Any) -> None:
    default, quiet, verbose = three(cli, "config", env={"DATABASE_URL": CLOSED})
    assert default.exit_code == quiet.exit_code == verbose.exit_code == 0
    assert quiet.stdout == default.stdout == verbose.stdout
    detail = verbose_lines(verbose.stderr)
    masked = "postgresql+asyncpg://app:***@127.0.0.1:1/db"
    assert f"verbose: setting url = {masked} (env DATABASE_URL)" in detail
    assert "verbose: pyproject.toml: none found" in detail
    no_canary(default, quiet, verbose)
    j, jq = cli("config", "--format", "json", env={"DATABASE_URL": CLOSED}), cli(
        "config", "--format", "json", "-q", env={"DATABASE_URL": CLOSED}
    )
    assert jq.stdout == j.stdout


def test_check_quiet_verbose_against_a_closed_port(cli: Any) -> None:
    args = ("check", "--url", CLOSED, "--wait", "1")
    default, quiet, verbose = three(cli, *args)
    assert default.exit_code == quiet.exit_code == verbose.exit_code == 3
    # default: every check, the verdict; each retry on stderr
    assert "PASS  config" in default.stdout and "SKIP  tls" in default.stdout
    assert "waiting: attempt 1 failed (tcp.refused" in default.stderr
    # -q: the failure with its hint, then the verdict; no retries
    lines = quiet.stdout.splitlines()
    assert lines[0].startswith("FAIL  tcp") and "hint:" in lines[1], lines
    assert lines[-1].startswith("fail (exit 3) in ") and len(lines) == 3, lines
    assert quiet.stderr == ""
    # -v: the retries with their duration, the sources, the total time
    assert "waiting: attempt 1 failed after " in verbose.stderr
    detail = verbose_lines(verbose.stderr)
    assert "verbose: setting url = postgresql+asyncpg://app:***@127.0.0.1:1/db (flag)" in detail
    assert detail[-1].startswith("verbose: dbctl check: exit 3 after ")
    no_canary(default, quiet, verbose)
    j = cli(*args, "--format", "json")
    jq = cli(*args, "--format", "json", "-q")
    assert j.exit_code == jq.exit_code == 3 and stable(jq.stdout) == stable(j.stdout)
    assert jq.stderr == ""


def test_preflight_quiet_is_findings_and_verdict(cli: Any) -> None:
    args = ("preflight", TUTORIAL, "--url", CLOSED)
    default, quiet, verbose = three(cli, *args)
    assert default.exit_code == quiet.exit_code == verbose.exit_code == 3
    assert "== lint ==" in default.stdout and "PASS  config" in default.stdout
    lines = quiet.stdout.splitlines()
    assert "== lint ==" not in quiet.stdout and "PASS" not in quiet.stdout
    assert "tutorial_app/database.py:" in lines[0] and " DBC" in lines[0]
    assert any(ln.startswith("FAIL  tcp") for ln in lines)
    assert lines[-1].startswith("preflight fail (exit 3): lint: Found ")
    assert untimed(verbose.stdout) == untimed(default.stdout)
    assert verbose_lines(verbose.stderr)[-1].startswith("verbose: dbctl preflight: exit 3")
    no_canary(default, quiet, verbose)
    for fmt in ("github", "json"):
        d, q = cli(*args, "--format", fmt), cli(*args, "--format", fmt, "-q")
        assert d.exit_code == q.exit_code == 3
        assert (q.stdout == d.stdout) if fmt == "github" else (stable(q.stdout) == stable(d.stdout))


def _dbctl(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "dbctl", *args],
        capture_output=True, text=True, timeout=120, check=False, cwd=ROOT,
        env={**os.environ, **(env or {})},
    )  # fmt: skip


@pytest.mark.db
def test_sandbox_run_leaves_the_options_after_cmd_to_cmd(pg_server: Any) -> None:
    """``sandbox run sh -c … x -q -v``: -q and -v belong to CMD, not to dbctl."""
    r = _dbctl("sandbox", "run", "sh", "-c", 'echo "$@"', "x", "-q", "-v")
    assert r.returncode == 0, r.stderr
    assert r.stdout == "-q -v\n"
    v = _dbctl("sandbox", "run", "-v", "--", "sh", "-c", "exit 7")
    assert v.returncode == 7
    assert "verbose: backend auto; running sh with DATABASE_URL set" in v.stderr
    assert "verbose: sh exited 7; sandbox up for " in v.stderr
    q = _dbctl("sandbox", "run", "-q", "--", "sh", "-c", "exit 7")
    assert q.returncode == 7 and q.stdout == q.stderr == ""


@pytest.mark.db
def test_sandbox_start_status_stop_quiet_and_verbose(pg_server: Any, tmp_path: Path) -> None:
    env = {"DBCTL_SANDBOX_STATE": str(tmp_path / "state.json")}
    started = _dbctl("sandbox", "start", "-q", env=env)
    assert started.returncode == 0, started.stderr
    try:
        assert started.stdout.startswith("postgresql+asyncpg://") and started.stderr == ""
        password = started.stdout.strip().split(":")[2].split("@")[0]
        default, quiet, verbose = (
            _dbctl("sandbox", "status", *flags, env=env) for flags in ([], ["-q"], ["-v"])
        )
        assert default.returncode == quiet.returncode == verbose.returncode == 0
        assert default.stdout == quiet.stdout == verbose.stdout
        assert default.stdout.startswith("running: ") and ":***@" in default.stdout
        assert quiet.stderr == default.stderr == ""
        assert verbose_lines(verbose.stderr)[-1].startswith("verbose: dbctl sandbox: exit 0")
        for r in (default, quiet, verbose):
            assert password not in r.stdout + r.stderr
    finally:
        stopped = _dbctl("sandbox", "stop", "-q", env=env)
    assert stopped.returncode == 0 and stopped.stdout == stopped.stderr == ""
    again = _dbctl("sandbox", "stop", env=env)
    assert again.returncode == 1 and again.stderr.startswith("error: no sandbox is running")
    assert _dbctl("sandbox", "stop", "-q", env=env).stderr == again.stderr  # errors stay


# --- commands on a real server --------------------------------------------------------------


@pytest.mark.db
def test_check_on_a_healthy_server(cli: Any, pg: Any, canary_role: tuple[str, str]) -> None:
    url = pg.url_for(*canary_role)
    default, quiet, verbose = three(cli, "check", "--url", url)
    assert default.exit_code == quiet.exit_code == verbose.exit_code
    assert default.exit_code in (0, 1), default.all
    assert "PASS  auth" in default.stdout and "PASS" not in quiet.stdout
    verdict = untimed(default.stdout.splitlines()[-1])
    assert untimed(quiet.stdout.splitlines()[-1]) == verdict  # the same verdict line
    assert rows(quiet.stdout) == [r for r in rows(default.stdout) if r[0] in {"WARN", "FAIL"}]
    assert quiet.stderr == ""
    assert rows(verbose.stdout) == rows(default.stdout)
    detail = verbose_lines(verbose.stderr)
    assert f"verbose: setting url = postgresql+asyncpg://{canary_role[0]}:***@" in detail[2]
    no_canary(default, quiet, verbose)
    j, jq = (cli("check", "--url", url, "--format", "json", *f) for f in ([], ["-q"]))
    assert j.exit_code == jq.exit_code and jq.stderr == ""
    assert [(c["id"], c["status"]) for c in json.loads(jq.stdout)["checks"]] == [
        (c["id"], c["status"]) for c in json.loads(j.stdout)["checks"]
    ]
    assert json.loads(jq.stdout).keys() == json.loads(j.stdout).keys()


@pytest.mark.db
def test_init_db_seed_and_users(cli: Any, pg: Any, canary_role: tuple[str, str]) -> None:
    url = pg.url_for(*canary_role)
    default, quiet, verbose = (
        cli("init-db", "--url", url, *flags) for flags in ([], ["-q"], ["-v"])
    )
    assert default.exit_code == quiet.exit_code == verbose.exit_code == 0
    assert default.stdout.splitlines()[0] == "created  public.users"
    assert len(quiet.stdout.splitlines()) == 1  # only the summary
    assert quiet.stdout.startswith("0 created, 1 skipped in schema public of ")
    assert verbose.stdout.splitlines()[0] == "skipped  public.users (exists)"
    assert verbose_lines(verbose.stderr)[-1].startswith("verbose: dbctl init-db: exit 0 after ")
    assert quiet.stderr == default.stderr == ""
    j, jq = (cli("init-db", "--url", url, "--format", "json", *f) for f in ([], ["-q"]))
    assert stable(jq.stdout) == stable(j.stdout) and jq.stderr == ""

    Path("users.csv").write_text("id,name\n" + "".join(f"{i},user {i}\n" for i in range(1, 51)))
    default = cli("seed", "users.csv", "--url", url)
    quiet = cli("seed", "users.csv", "--url", url, "-q")
    verbose = cli("seed", "users.csv", "--url", url, "-v")
    assert default.exit_code == quiet.exit_code == verbose.exit_code == 0
    assert default.stdout.splitlines()[0] == "public.users: 50 inserted, 0 skipped (50 rows)"
    assert len(quiet.stdout.splitlines()) == 1
    assert quiet.stdout.startswith("seeded from users.csv: 0 inserted, 50 skipped in ")
    assert len(verbose.stdout.splitlines()) == 2 and quiet.stderr == ""
    assert any("verbose: dbctl seed: exit 0" in ln for ln in verbose_lines(verbose.stderr))
    j, jq = (cli("seed", "users.csv", "--url", url, "--format", "json", *f) for f in ([], ["-q"]))
    assert stable(jq.stdout) == stable(j.stdout) and jq.stderr == ""
    no_canary(default, quiet, verbose, j, jq)

    for fmt in ("jsonl", "csv", "json"):
        args = ("users", "list", "--url", url, "--all", "--format", fmt)
        default, quiet, verbose = three(cli, *args)
        assert default.exit_code == quiet.exit_code == verbose.exit_code == 0
        assert quiet.stdout == default.stdout == verbose.stdout  # the data, always the same
        # --all says how many rows went out, when done (stderr); not with -q
        assert default.stderr.splitlines() == ["50 rows from public.users"], default.stderr
        assert quiet.stderr == ""
        assert "50 rows from public.users" in verbose.stderr
        assert verbose_lines(verbose.stderr)[-1].startswith("verbose: dbctl users: exit 0")
        no_canary(default, quiet, verbose)
    page = cli("users", "list", "--url", url, "--limit", "20", "--format", "jsonl", "-q")
    assert page.stderr == "next page: --after 20\n"  # the cursor is data: -q keeps it
    page = cli("users", "list", "--url", url, "--limit", "20", "--format", "jsonl", "-v")
    assert "verbose: 20 rows from public.users" in verbose_lines(page.stderr)
    default, quiet, verbose = three(cli, "users", "count", "--url", url)
    assert default.stdout == quiet.stdout == verbose.stdout == "50\n"
    assert quiet.stderr == default.stderr == "" and verbose_lines(verbose.stderr)
    j, jq = (cli("users", "count", "--url", url, "--format", "json", *f) for f in ([], ["-q"]))
    assert jq.stdout == j.stdout
    no_canary(default, quiet, verbose)


@pytest.mark.db
def test_prestart_quiet_and_verbose(cli: Any, pg: Any, canary_role: tuple[str, str]) -> None:
    url = pg.url_for(*canary_role)
    default, quiet, verbose = three(cli, "prestart", "--url", url, "--wait", "5")
    assert default.exit_code == quiet.exit_code == verbose.exit_code == 0, default.all
    assert "PASS  wait" in default.stdout or "PASS" in default.stdout
    assert quiet.stdout.splitlines() == [quiet.stdout.strip()]  # just the verdict
    assert quiet.stdout.startswith("prestart pass (exit 0) in ")
    assert quiet.stderr == ""
    assert any(ln.startswith("verbose: setting url = ") for ln in verbose_lines(verbose.stderr))
    no_canary(default, quiet, verbose)
    j, jq = (cli("prestart", "--url", url, "--format", "json", *f) for f in ([], ["-q"]))
    assert j.exit_code == jq.exit_code == 0 and stable(jq.stdout) == stable(j.stdout)

"""QA: a mistyped command line is one line on stderr and exit 2, like dbctl's other errors.

click's usage block ("Usage: …", "Try 'dbctl check -h' for help.", a blank line,
"Error: …"; on a terminal a rich box) buried the one line that matters.
"""

from __future__ import annotations

import os
import pty
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import CANARY
from tests.prestart.conftest import clean_env, run_dbctl

TUTORIAL = str(Path(__file__).resolve().parents[2] / "examples" / "tutorial_app")


@pytest.mark.parametrize(
    ("args", "line"),
    [
        (
            ["check", "--wait", "abc"],
            "error: invalid value for '--wait': Input should be a valid number, unable to "
            "parse string as a number (see 'dbctl check --help')",
        ),
        (
            ["lint", "--format", "nope"],
            "error: invalid value for '--format': 'nope' is not one of 'text', 'json', "
            "'sarif', 'github' (see 'dbctl lint --help')",
        ),
        (["check", "--nope"], "error: no such option: --nope (see 'dbctl check --help')"),
        (["nope"], "error: no such command 'nope' (see 'dbctl --help')"),
        (["--nope", "check"], "error: no such option: --nope (see 'dbctl --help')"),
        (["users", "nope"], "error: no such command 'nope' (see 'dbctl users --help')"),
        (
            ["users", "list", "--limit", "x"],
            "error: invalid value for '--limit': Input should be a valid integer, unable to "
            "parse string as an integer (see 'dbctl users list --help')",
        ),
        (
            ["check", "a", "b"],
            "error: got unexpected extra argument(s) (a b) (see 'dbctl check --help')",
        ),
        (
            ["seed", "--fake", "3", "--table"],
            "error: option '--table' requires an argument (see 'dbctl seed --help')",
        ),
        # a subcommand's option without its value named the group's help ('dbctl users')
        (
            ["users", "list", "--limit"],
            "error: option '--limit' requires an argument (see 'dbctl users list --help')",
        ),
        (
            ["-q", "users", "count", "--format"],
            "error: option '--format' requires an argument (see 'dbctl users count --help')",
        ),
        (
            ["sandbox", "run", "--backend"],
            "error: option '--backend' requires an argument (see 'dbctl sandbox run --help')",
        ),
        (
            ["lint", "--format"],
            "error: option '--format' requires an argument (see 'dbctl lint --help')",
        ),
    ],
)
def test_a_usage_error_is_one_line(tmp_path: Path, args: list[str], line: str) -> None:
    r = run_dbctl(*args, cwd=tmp_path, timeout=60)
    assert r.returncode == 2, r.all
    assert r.stdout == ""
    assert r.stderr.splitlines() == [line], r.stderr


def test_in_process_callers_get_the_same_line(cli: Any) -> None:
    r = cli("check", "--timeout", "soon")
    assert r.exit_code == 2
    assert r.stderr.splitlines() == [
        "error: invalid value for '--timeout': Input should be a valid number, unable to "
        "parse string as a number (see 'dbctl check --help')"
    ]


def test_on_a_terminal_too(tmp_path: Path) -> None:
    # on a terminal typer draws help and errors with rich: the error was a boxed panel
    master, slave = pty.openpty()
    env = {k: v for k, v in clean_env().items() if k not in {"NO_COLOR", "FORCE_COLOR"}}
    env.update(TERM="xterm-256color", COLUMNS="120", NO_COLOR="1")
    proc = subprocess.Popen(
        [sys.executable, "-m", "dbctl", "check", "--nope"],
        stdin=subprocess.DEVNULL, stdout=slave, stderr=slave, cwd=tmp_path, env=env,
    )  # fmt: skip
    os.close(slave)
    received = bytearray()
    try:
        while True:
            try:
                data = os.read(master, 65536)
            except OSError:  # EIO: dbctl closed the terminal
                break
            if not data:
                break
            received += data
        code = proc.wait(timeout=60)
    finally:
        os.close(master)
    assert code == 2
    plain = re.sub(r"\x1b\[[0-9;]*m", "", received.decode())  # NO_COLOR keeps bold
    assert plain.splitlines() == [
        "error: no such option: --nope (see 'dbctl check --help')"
    ]


@pytest.mark.parametrize("args", [[], ["users"]])
def test_a_group_alone_still_shows_its_help(tmp_path: Path, args: list[str]) -> None:
    r = run_dbctl(*args, cwd=tmp_path, timeout=60)
    assert r.returncode == 2
    assert r.stderr.startswith(f"Usage: {' '.join(['dbctl', *args])} [OPTIONS] COMMAND")
    assert "Commands:" in r.stderr


CLOSED = f"postgresql+asyncpg://app:{CANARY}@127.0.0.1:1/db"  # nothing listens on port 1


@pytest.mark.parametrize("flag", ["-q", "--quiet", "-v", "--verbose"])
@pytest.mark.parametrize(
    "command",
    [["check", "--url", CLOSED], ["lint", TUTORIAL], ["users", "count", "--url", CLOSED]],
)
def test_verbosity_before_the_command_means_the_same(
    cli: Any, command: list[str], flag: str
) -> None:
    # `dbctl -q check` was "No such option: -q"
    before, after = cli(flag, *command), cli(*command, flag)
    assert before.exit_code == after.exit_code != 2, before.all
    timeless = re.compile(r" +\d+(\.\d+)? m?s\b")  # timings and their padding
    assert timeless.sub("T", before.stdout) == timeless.sub("T", after.stdout)
    assert timeless.sub("T", before.stderr) == timeless.sub("T", after.stderr)
    assert CANARY not in before.all


@pytest.mark.parametrize("args", [["-q", "check", "-v"], ["-v", "-q", "check"]])
def test_quiet_and_verbose_anywhere_still_conflict(cli: Any, args: list[str]) -> None:
    r = cli(*args, "--url", CLOSED)
    assert r.exit_code == 2
    assert r.stderr.splitlines() == ["error: -q/--quiet and -v/--verbose cannot be used together"]

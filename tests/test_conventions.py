"""CLI conventions shared by every command: one --format vocabulary, -V, upper-case metavars."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
import typer

from dbctl.cli import app
from dbctl.cli.formats import OLD_NAMES


def commands() -> dict[str, Any]:
    """Every leaf command by its full name (``users list``)."""
    root: Any = typer.main.get_command(app)
    found: dict[str, Any] = {}

    def walk(prefix: str, group: Any) -> None:
        for name, command in group.commands.items():
            if hasattr(command, "commands"):  # a group (click's, or typer's own click)
                walk(f"{prefix}{name} ", command)
            else:
                found[f"{prefix}{name}"] = command

    walk("", root)
    return found


def format_param(command: Any) -> Any:
    return next((p for p in command.params if "--format" in getattr(p, "opts", [])), None)


def help_text(cli: Any, name: str) -> str:
    result = cli(*name.split(), "--help")
    assert result.exit_code == 0, result.all
    return str(result.stdout)


def test_every_format_option_offers_text_first_and_only_the_shared_vocabulary(cli: Any) -> None:
    vocabulary = {"text", "json", "jsonl", "csv", "sarif", "github"}
    with_format = {n: c for n, c in commands().items() if format_param(c) is not None}
    assert {"check", "config", "lint", "preflight", "users list", "users count"} <= set(with_format)
    for name in with_format:
        text = " ".join(help_text(cli, name).split())
        match = re.search(r"--format FORMAT .*?: ([a-z, ]+)\.", text)
        assert match, f"{name}: {text}"
        offered = match.group(1).split(", ")
        assert offered[0] == "text" and set(offered) <= vocabulary, (name, offered)
        for old in OLD_NAMES:  # hidden aliases: never shown
            assert old not in offered


@pytest.mark.parametrize(("command", "old"), [("config", "human"), ("rules", "text")])
def test_old_format_names_still_work_for_one_release(cli: Any, command: str, old: str) -> None:
    new = cli(command, "--format", "text")
    aliased = cli(command, "--format", old)
    assert new.exit_code == aliased.exit_code == 0
    assert aliased.stdout == new.stdout


def test_users_list_accepts_table_as_the_old_name_of_text(cli: Any) -> None:
    # no database needed: a usage error after the format is parsed shows it was accepted
    r = cli("users", "list", "--format", "table", "--limit", "0")
    assert r.exit_code == 2 and "--format" not in r.stderr and "--limit" in r.stderr


def test_an_unknown_format_is_a_one_line_usage_error(cli: Any) -> None:
    for name in ("check", "lint", "users count", "preflight"):
        r = cli(*name.split(), "--format", "nope")
        assert r.exit_code == 2, (name, r.all)
        errors = [ln for ln in r.stderr.splitlines() if "nope" in ln]
        assert len(errors) == 1 and "is not one of 'text'" in errors[0], r.stderr
        assert "Traceback" not in r.all


def test_dash_capital_v_is_the_version(cli: Any) -> None:
    from dbctl import __version__

    assert cli("-V").stdout == cli("--version").stdout == f"dbctl {__version__}\n"


def test_metavars_are_upper_case(cli: Any) -> None:
    """Placeholders in usage lines and options are FILE, N, SECONDS — never <path>, [file]."""
    for name in commands():
        text = help_text(cli, name)
        usage = text.split("\n\n", 1)[0]
        assert not re.search(r"\[[a-z]+\]", usage.replace("[OPTIONS]", "")), (name, usage)
        for line in text.splitlines():
            option = re.match(r"\s+(-\w, )?--[\w-]+ (\S+)", line)
            if option:
                metavar = option.group(2)
                assert "<" not in metavar and metavar == metavar.upper(), (name, line)


COLOUR = re.compile(r"\x1b\[(?:3\d|9\d|38;)")  # a foreground colour escape


@pytest.mark.parametrize(
    "argv",
    [
        ["check", "--url", "postgresql+asyncpg://u:p@127.0.0.1:1/db"],  # refused: no server
        ["lint", "examples/tutorial_app"],
        ["preflight", "examples/tutorial_app", "--url", "postgresql+asyncpg://u:p@127.0.0.1:1/db"],
    ],
)
def test_force_color_no_color_and_dumb_terminals_are_honoured_alike(argv: list[str]) -> None:
    """Piped output is plain; FORCE_COLOR draws for a person (colours) in every command;
    NO_COLOR and TERM=dumb take the colours away again."""
    import os
    import subprocess
    import sys

    root = Path(__file__).resolve().parent.parent
    base = {k: v for k, v in os.environ.items() if k not in {"FORCE_COLOR", "NO_COLOR", "TERM"}}

    def run(**env: str) -> str:
        proc = subprocess.run(
            [sys.executable, "-m", "dbctl", *argv],
            capture_output=True, text=True, timeout=60, check=False, cwd=root,
            env={**base, "TERM": "xterm-256color", **env},
        )  # fmt: skip
        assert proc.returncode in (1, 3), proc.stderr
        return proc.stdout

    assert "\x1b[" not in run()
    assert COLOUR.search(run(FORCE_COLOR="1"))
    assert not COLOUR.search(run(FORCE_COLOR="1", NO_COLOR="1"))
    assert "\x1b[" not in run(FORCE_COLOR="1", TERM="dumb")

"""The prestart documentation only uses options that exist, and its Dockerfile and compose
examples parse, with the dbctl command where the text says it is."""

from __future__ import annotations

import json
import re
import shlex
from pathlib import Path

import yaml
from typer.testing import CliRunner

from dbctl.cli import app

ROOT = Path(__file__).resolve().parents[2]
DOC = ROOT / "docs" / "prestart.md"


def blocks(text: str, lang: str) -> list[str]:
    return re.findall(rf"```{lang}\n(.*?)```", text, re.DOTALL)


def prestart_options() -> set[str]:
    result = CliRunner().invoke(app, ["prestart", "--help"], env={"COLUMNS": "200"})
    assert result.exit_code == 0
    return set(re.findall(r"(?<![\w-])--[a-z][a-z-]+", result.stdout))


def own_options(argv: list[str]) -> list[str]:
    """The options dbctl prestart gets: those before the ``--`` that starts CMD."""
    assert argv[:2] == ["dbctl", "prestart"], argv
    mine = argv[2 : argv.index("--")] if "--" in argv else argv[2:]
    return [a for a in mine if a.startswith("--")]


def doc_commands() -> list[list[str]]:
    text = DOC.read_text() + (ROOT / "README.md").read_text()
    commands = []
    for block in blocks(text, "bash") + blocks(text, "console"):
        for line in block.splitlines():
            line = line.removeprefix("$ ").split("  #")[0]
            if line.startswith("dbctl prestart"):
                commands.append(shlex.split(line))
    for block in blocks(text, "dockerfile"):
        joined = block.replace("\\\n", "")
        for line in joined.splitlines():
            if line.startswith("CMD "):
                commands.append(json.loads(line.removeprefix("CMD ")))
    for block in blocks(text, "yaml"):
        for service in yaml.safe_load(block)["services"].values():
            command = service.get("command")
            if command and command[0] == "dbctl":
                commands.append(command)
    return commands


def test_every_documented_prestart_command_uses_existing_options() -> None:
    commands = doc_commands()
    assert len(commands) >= 6  # README lines, the console example, Dockerfile, compose
    known = prestart_options()
    for argv in commands:
        unknown = [opt for opt in own_options(argv) if opt not in known]
        assert not unknown, (argv, unknown)


def test_the_examples_hand_over_to_the_app_and_parse() -> None:
    text = DOC.read_text()
    (dockerfile,) = blocks(text, "dockerfile")
    cmd = next(json.loads(ln[4:]) for ln in dockerfile.replace("\\\n", "").splitlines()
               if ln.startswith("CMD "))  # fmt: skip
    assert cmd[:2] == ["dbctl", "prestart"] and cmd[cmd.index("--") + 1] == "fastapi"
    composes = [yaml.safe_load(b) for b in blocks(text, "yaml")]
    assert len(composes) == 2
    one_shot = composes[1]["services"]
    assert one_shot["backend"]["depends_on"]["prestart"] == {
        "condition": "service_completed_successfully"
    }
    for compose in composes:
        for service in compose["services"].values():
            url = service.get("environment", {}).get("DATABASE_URL", "")
            assert not url or url.startswith("postgresql+asyncpg://")

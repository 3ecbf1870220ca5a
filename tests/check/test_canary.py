"""The canary password in every URL form, through every output and error path of the
commands that take a URL: nothing a person or a CI log sees may contain it."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any
from urllib.parse import quote, quote_plus

import pytest

from tests.conftest import CANARY

#: A password with a quote and a space (only usable unencoded, as people write it).
ODD = "Can'ary 7f3Qx\"pw"


def _forms(port: int) -> dict[str, tuple[str, str]]:
    """name -> (url as typed, the secret it carries)."""
    enc = quote(CANARY, safe="")
    return {
        "userinfo": (f"postgresql+asyncpg://app:{enc}@127.0.0.1:{port}/app", CANARY),
        "query": (f"postgresql+asyncpg://app@127.0.0.1:{port}/app?password={enc}", CANARY),
        "hostless": (f"postgresql+asyncpg://app:{CANARY}/app", CANARY),
        "schemeless": (f"app:{CANARY}@127.0.0.1:{port}/app", CANARY),
        "keyvalue": (f"host=127.0.0.1 port={port} user=app password={CANARY}", CANARY),
        "quote_space": (f"postgresql+asyncpg://app:{ODD}@127.0.0.1:{port}/app", ODD),
        "unencoded_at": (f"postgresql://app:Can@ry{CANARY}@127.0.0.1:{port}/app", CANARY),
    }


def _leaks(secret: str, *texts: str) -> list[str]:
    forms = {secret, quote(secret, safe=""), quote_plus(secret)}
    forms |= {part for part in secret.replace('"', " ").replace("'", " ").split() if len(part) > 4}
    return [f for f in forms for t in texts if f in t]


PATHS: list[tuple[str, list[str]]] = [
    ("check human", ["check", "--url", "{url}", "--timeout", "1"]),
    ("check json", ["check", "--url", "{url}", "--timeout", "1", "--format", "json"]),
    ("check wait", ["check", "--url", "{url}", "--timeout", "1", "--wait", "0.6"]),
    ("check many", ["check", "--url", "{url}", "--url", "{url}", "--timeout", "1"]),
    (
        "check many json",
        ["check", "--url", "{url}", "--url", "{url}", "--timeout", "1", "--format", "json"],
    ),
    ("check positional", ["check", "{url}"]),
    ("config human", ["config", "--url", "{url}"]),
    ("config json", ["config", "--url", "{url}", "--format", "json"]),
    ("preflight json", ["preflight", "--url", "{url}", "--timeout", "1", "--format", "json"]),
    ("preflight github", ["preflight", "--url", "{url}", "--timeout", "1", "--format", "github"]),
    ("users list", ["users", "list", "--url", "{url}", "--timeout", "1"]),
    ("init-db", ["init-db", "--url", "{url}", "--timeout", "1"]),
    ("unknown command", ["{url}"]),
    ("bad format value", ["check", "--format", "{url}"]),
]


@pytest.mark.parametrize("form", list(_forms(1)))
@pytest.mark.parametrize(("path_name", "argv"), PATHS, ids=[p[0] for p in PATHS])
def test_no_password_in_any_output(
    cli: Any, refused_port: int, tmp_path: Path, form: str, path_name: str, argv: list[str]
) -> None:
    url, secret = _forms(refused_port)[form]
    summary = tmp_path / "summary.md"
    env = {"GITHUB_STEP_SUMMARY": str(summary)}
    (tmp_path / "app.py").write_text("x = 1\n")
    res = cli(*[a.replace("{url}", url) for a in argv], env=env)
    texts = [res.stdout, res.stderr]
    if summary.exists():
        texts.append(summary.read_text())
    assert res.exit_code in ({0, 2} if path_name.startswith("config") else {1, 2, 3}), res.all
    assert not _leaks(secret, *texts), (res.all, _leaks(secret, *texts))
    assert os.environ.get("DATABASE_URL") is None


def test_database_url_environment_forms(cli: Any, refused_port: int) -> None:
    for url, secret in _forms(refused_port).values():
        res = cli("check", "--timeout", "1", env={"DATABASE_URL": url})
        assert not _leaks(secret, res.stdout, res.stderr), (url, res.all)
        res = cli("config", env={"DATABASE_URL": url})
        assert not _leaks(secret, res.stdout, res.stderr), (url, res.all)

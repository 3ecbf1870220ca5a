"""Inputs that used to end in "internal error": each is one line with its exit code."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest


def one_error(res: Any) -> str:
    assert "Traceback" not in res.stderr and "internal error" not in res.stderr, res.stderr
    errors = [line for line in res.stderr.splitlines() if line.startswith("error:")]
    assert len(errors) == 1, res.stderr
    return errors[0]


@pytest.mark.parametrize("command", [["check"], ["users", "count"], ["init-db"]])
def test_a_10_kb_host_name(cli: Any, command: list[str]) -> None:
    url = f"postgresql+asyncpg://u:p@{'a' * 10_000}:5432/db"
    res = cli(*command, "--url", url)
    assert res.exit_code == 2, res.all
    assert "not a valid DNS name" in one_error(res)


BAD_METADATA = """
class Models:
    @property
    def metadata(self):
        raise RuntimeError("models are broken")

Base = Models()
"""


@pytest.mark.parametrize("command", [["init-db", "--dry-run"], ["check"]])
def test_a_metadata_property_that_raises(
    cli: Any, pg: Any, tmp_path: Path, command: list[str]
) -> None:
    (tmp_path / "bad_meta.py").write_text(BAD_METADATA)
    res = cli(*command, "--url", pg.url, "--models", "bad_meta:Base")
    assert res.exit_code == 2, res.all
    assert "reading .metadata raised RuntimeError: models are broken" in one_error(res)


def test_an_identifier_longer_than_63_characters(cli: Any, pg: Any, tmp_path: Path) -> None:
    name = "t" * 70
    (tmp_path / "long_names.py").write_text(
        "from sqlalchemy import Column, Integer, Table\n"
        "from sqlalchemy.orm import DeclarativeBase\n"
        "class Base(DeclarativeBase):\n    pass\n"
        f"Table({name!r}, Base.metadata, Column('id', Integer, primary_key=True))\n"
    )
    for extra in (["--dry-run"], []):
        res = cli("init-db", "--url", pg.url, "--models", "long_names:Base", *extra)
        assert res.exit_code == 2, res.all
        assert "exceeds maximum length of 63" in one_error(res)
    assert pg.sql("SELECT count(*) FROM pg_tables WHERE schemaname = 'public'")[0][0] == 0


def test_output_to_a_full_device(pg: Any) -> None:
    if not Path("/dev/full").exists():
        pytest.skip("no /dev/full on this system")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DBCTL_", "PG"))}
    with open("/dev/full", "w") as full:
        res = subprocess.run(
            [sys.executable, "-m", "dbctl", "check", "--url", pg.url, "--format", "json"],
            stdout=full,
            stderr=subprocess.PIPE,
            text=True,
            env=env,
            timeout=120,
            check=False,
        )
    assert res.returncode == 2, res.stderr
    assert "cannot write: No space left on device" in one_error(res)
    assert "Exception ignored" not in res.stderr


def test_an_unwritable_step_summary_keeps_the_verdict(cli: Any, pg: Any, tmp_path: Path) -> None:
    (tmp_path / "app.py").write_text("x = 1\n")
    env = {"GITHUB_STEP_SUMMARY": str(tmp_path / "missing-dir" / "summary.md")}
    res = cli("preflight", ".", "--url", pg.url, env=env)
    plain = cli("preflight", ".", "--url", pg.url)
    assert res.exit_code == plain.exit_code != 2, res.all
    assert "warning: cannot append to GITHUB_STEP_SUMMARY" in res.stderr
    assert "Traceback" not in res.stderr


def test_a_fifo_as_seed_file(cli: Any, pg: Any, tmp_path: Path) -> None:
    fifo = tmp_path / "users.csv"
    os.mkfifo(fifo)
    res = cli("seed", str(fifo), "--url", pg.url)
    assert res.exit_code == 2, res.all
    assert "is not a regular file" in one_error(res)

"""Fixtures for the prestart / ``-- CMD`` tests: dbctl run as a real subprocess."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import CANARY


def clean_env(**extra: str) -> dict[str, str]:
    """The current environment without DATABASE_URL / DBCTL_* / PG* (nothing leaks in)."""
    env = {
        k: v
        for k, v in os.environ.items()
        if not (k.startswith(("DBCTL_", "PG")) or k == "DATABASE_URL")
    }
    env.update(NO_COLOR="1", **extra)
    return env


@dataclass
class Proc:
    returncode: int
    stdout: str
    stderr: str
    pid: int

    @property
    def all(self) -> str:
        return self.stdout + self.stderr


def run_dbctl(
    *args: str, cwd: Path, env: dict[str, str] | None = None, timeout: float = 120
) -> Proc:
    """``python -m dbctl ARGS`` in ``cwd``; asserts the CANARY password never shows."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "dbctl", *args],
        cwd=cwd,
        env=env if env is not None else clean_env(),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        out, err = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        out, err = proc.communicate()
        pytest.fail(f"dbctl {' '.join(args)} did not finish in {timeout} s:\n{out}\n{err}")
    assert CANARY not in out + err
    return Proc(proc.returncode, out, err, proc.pid)


@pytest.fixture
def dbctl(tmp_path: Path) -> Callable[..., Proc]:
    """Run dbctl in a subprocess, in an empty directory, with a clean environment."""

    def run(*args: str, cwd: Path | None = None, **kw: Any) -> Proc:
        return run_dbctl(*args, cwd=cwd or tmp_path, **kw)

    return run

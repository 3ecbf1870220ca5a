"""Fixtures for the init-db / seed / users tests."""

from __future__ import annotations

import os
import secrets
import subprocess
import sys
import textwrap
import time
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import CANARY

__all__ = ["CANARY"]


@pytest.fixture
def write_models(tmp_path: Path) -> Any:
    """``write_models(source) -> "mod_xxxx:Base"``: a models module in the test's directory,
    under a fresh module name (imports are cached per process)."""

    def write(source: str, attr: str = "Base") -> str:
        name = f"models_{secrets.token_hex(4)}"
        (tmp_path / f"{name}.py").write_text(textwrap.dedent(source))
        return f"{name}:{attr}"

    return write


def tables(pg: Any, schema: str = "public") -> list[str]:
    rows = pg.sql(
        f"SELECT tablename FROM pg_tables WHERE schemaname = '{schema}' ORDER BY tablename"
    )
    return [r["tablename"] for r in rows]


def scalar(pg: Any, sql: str) -> Any:
    return pg.sql(sql)[0][0]


def peak_rss_kb(args: list[str], env: dict[str, str], tmp_path: Path) -> tuple[int, int]:
    """Run dbctl in a subprocess (stdout to /dev/null); (exit code, peak RSS in KiB).

    The peak is the kernel's VmHWM of the process, polled from /proc until it exits
    (getrusage's ru_maxrss would include the forking pytest process's own size)."""
    peak = 0
    with open(os.devnull, "wb") as null, (tmp_path / "stderr.txt").open("wb") as err:
        proc = subprocess.Popen(
            [sys.executable, "-m", "dbctl", *args], env=env, stdout=null, stderr=err
        )
        while proc.poll() is None:
            try:
                status = Path(f"/proc/{proc.pid}/status").read_text()
            except OSError:
                break
            for line in status.splitlines():
                if line.startswith("VmHWM:"):
                    peak = max(peak, int(line.split()[1]))
            time.sleep(0.01)
        proc.wait()
    return proc.returncode, peak

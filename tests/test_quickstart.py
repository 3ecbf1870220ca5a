"""The README's first block, run as written in a subprocess, on a copy of the repository."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from dbctl import sandbox

ROOT = Path(__file__).resolve().parent.parent

pytestmark = [pytest.mark.db, pytest.mark.slow]


def first_block() -> str:
    text = (ROOT / "README.md").read_text()
    match = re.search(r"```bash\n(.+?)\n```", text, re.DOTALL)
    assert match, "README has no bash block"
    return match.group(1)


def copy_repo(dest: Path) -> None:
    if (ROOT / ".git").exists() and shutil.which("git"):
        files = subprocess.run(
            ["git", "ls-files", "-z"], cwd=ROOT, capture_output=True, check=True
        ).stdout.split(b"\0")
        for raw in filter(None, files):
            rel = Path(raw.decode())
            if not (ROOT / rel).is_file():
                continue
            (dest / rel).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(ROOT / rel, dest / rel)
    else:  # pragma: no cover - an sdist without git metadata
        shutil.copytree(
            ROOT, dest, dirs_exist_ok=True,
            ignore=shutil.ignore_patterns(".venv", "venv", ".git", "*.pyc", "__pycache__"),
        )


def test_readme_quickstart_runs_as_written(tmp_path: Path) -> None:
    if sandbox.find_bindir() is None and not sandbox.docker_available():
        if os.environ.get("CI"):
            pytest.fail("CI is set and there is neither PostgreSQL nor Docker for the sandbox")
        pytest.skip("no PostgreSQL binaries and no Docker")
    block = first_block()
    assert block.startswith("python3 -m venv .venv"), "the quickstart installs dbctl first"
    repo = tmp_path / "repo"
    copy_repo(repo)
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("DBCTL_", "PG")) and k not in {"DATABASE_URL", "VIRTUAL_ENV"}
    }
    proc = subprocess.run(
        ["bash", "-c", block], cwd=repo, env=env, capture_output=True, text=True,
        timeout=900, check=False,
    )
    out = proc.stdout
    # exit 1 because lint finds the tutorial app's pitfalls; everything before it passed
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert "PASS  auth" in out and "pass (exit 0)" in out
    assert "created  public.users" in out
    assert "1000 inserted, 0 skipped" in out
    rows = [ln for ln in out.splitlines() if re.match(r"^[1-5]\s{2,}\S", ln)]
    assert len(rows) == 5, out
    assert "next page: --after 5" in proc.stdout + proc.stderr
    for code in ("DBC101", "DBC103", "DBC106", "DBC201", "DBC301", "DBC302", "DBC306"):
        assert code in out, code
    assert ":***@" in out and "Found 10 findings" in proc.stdout + proc.stderr
    assert "Traceback" not in proc.stderr

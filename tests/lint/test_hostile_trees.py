"""Hostile trees finish, through the real CLI in a subprocess: a pathological .gitignore
pattern, a FIFO named .gitignore or in place of the cache file, a 50 MB source file."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from dbctl.lint.ignore import compile_patterns, read_regular
from tests.lint.gitrepo import SECRET, init_repo, write

DBCTL = [sys.executable, "-m", "dbctl"]


def run_dbctl(cwd: Path, *args: str, timeout: float = 60) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*DBCTL, "lint", *args], cwd=cwd, capture_output=True, text=True, timeout=timeout,
        stdin=subprocess.DEVNULL, check=False,
    )


def test_pathological_gitignore_line_under_two_seconds(tmp_path: Path) -> None:
    init_repo(tmp_path)
    (tmp_path / ".gitignore").write_text("*" * 200 + "a\n" + "*a" * 40 + "b\n")
    write(tmp_path, {"x" * 60 + ".py": SECRET, "b" * 100 + ".py": SECRET, "ok.py": SECRET})
    started = time.monotonic()
    proc = run_dbctl(tmp_path, "--no-cache", "--format", "json")
    elapsed = time.monotonic() - started
    assert proc.returncode == 1, proc.stderr
    data = json.loads(proc.stdout)
    assert len(data["findings"]) == 3
    # the lint itself (discovery, matching, analysis) under 2 s; the whole process, with
    # the interpreter's start-up on a shared and loaded machine, far from the 54 s of the
    # backtracking matcher
    assert data["summary"]["duration_ms"] < 2000
    assert elapsed < 30.0, f"took {elapsed:.1f} s"


def test_pathological_patterns_still_match_as_git_does() -> None:
    spec = compile_patterns(["*" * 200 + "a", "*a*b*c*d"], "test")
    assert spec.match_file("xa") and spec.match_file("dir/xxxa")
    assert spec.match_file("1a2b3c4d") and not spec.match_file("1a2b3c4")
    assert not spec.match_file("x" * 300)


def test_overlong_pattern_is_dropped_with_a_warning() -> None:
    warnings: list[str] = []
    spec = compile_patterns(["a" * 5000, "b.py"], ".gitignore", warnings)
    assert spec.match_file("b.py") and not spec.match_file("a" * 5000)
    assert warnings == [".gitignore:1: pattern ignored: longer than 1024 characters"]


def test_fifo_gitignore_does_not_hang(tmp_path: Path) -> None:
    init_repo(tmp_path)
    write(tmp_path, {"app/m.py": SECRET, "top.py": SECRET})
    os.mkfifo(tmp_path / ".gitignore")
    os.mkfifo(tmp_path / "app" / ".gitignore")
    proc = run_dbctl(tmp_path, "--no-cache", "--format", "json", timeout=30)
    assert proc.returncode == 1, proc.stderr
    assert {f["path"] for f in json.loads(proc.stdout)["findings"]} == {"app/m.py", "top.py"}


def test_fifo_cache_file_does_not_hang(tmp_path: Path) -> None:
    write(tmp_path, {"m.py": SECRET})
    assert run_dbctl(tmp_path).returncode == 1  # creates the cache
    cache_files = list((tmp_path / ".dbctl_cache").glob("lint-*.json"))
    assert len(cache_files) == 1
    cache_files[0].unlink()
    os.mkfifo(cache_files[0])
    (tmp_path / ".dbctl_cache" / "CACHEDIR.TAG").unlink()
    (tmp_path / ".dbctl_cache" / ".gitignore").unlink()
    os.mkfifo(tmp_path / ".dbctl_cache" / ".gitignore")
    proc = run_dbctl(tmp_path, "--format", "json", timeout=30)
    assert proc.returncode == 1, proc.stderr
    assert [f["path"] for f in json.loads(proc.stdout)["findings"]] == ["m.py"]


def test_read_regular_refuses_fifos_and_devices(tmp_path: Path) -> None:
    os.mkfifo(tmp_path / "fifo")
    for path in (str(tmp_path / "fifo"), "/dev/zero"):
        with pytest.raises(OSError, match="not a regular file"):
            read_regular(path)


def test_fifty_megabyte_file_skipped_fast_and_small(tmp_path: Path) -> None:
    write(tmp_path, {"m.py": SECRET})
    line = b"x = [" + b"1, " * 30 + b"]\n"
    with (tmp_path / "huge.py").open("wb") as fh:
        for _ in range(50_000_000 // len(line) + 1):
            fh.write(line)
    assert (tmp_path / "huge.py").stat().st_size > 50_000_000
    # a child of a fresh interpreter: its peak RSS is dbctl's alone
    probe = (
        "import resource, subprocess, sys, time\n"
        "t = time.monotonic()\n"
        f"p = subprocess.run({[*DBCTL, 'lint', '--no-cache', '--format', 'json']!r},"
        " capture_output=True, text=True, timeout=60)\n"
        "wall = time.monotonic() - t\n"
        "rss = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss\n"
        "sys.stderr.write(p.stderr)\n"
        "print(p.returncode, wall, rss, p.stdout.replace(chr(10), ' '))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", probe], cwd=tmp_path, capture_output=True, text=True,
        timeout=120, check=True,
    )
    code, wall, rss_kb, report = out.stdout.split(" ", 3)
    data = json.loads(report)
    assert int(code) == 1
    assert [f["path"] for f in data["findings"]] == ["m.py"]
    assert [n["path"] for n in data["notices"]] == ["huge.py"]
    assert "max-file-size" in data["notices"][0]["message"]
    assert "huge.py" in out.stderr  # the notice is talk on stderr too
    assert data["summary"]["duration_ms"] < 1000
    assert float(wall) < 15  # whole process, start-up included, loaded machine (parsing: 35 s)
    assert int(rss_kb) < 300 * 1024, f"peak RSS {int(rss_kb) // 1024} MB"

"""Time `dbctl lint` against ruff and bandit on a large real tree (the Django sdist).

    python bench/lint_vs_peers.py [--repeat 3] [--no-bandit]

Downloads Django's sdist from PyPI once (pip download, cached under bench/.data/,
git-ignored), then times in one run, interleaved, the median of --repeat runs:

- dbctl lint cold (--no-cache) and warm (cache filled by a previous run),
- ruff check --no-cache --select S105,S106,S107,
- bandit -q -r -t B105,B106,B107 (once: it is slow).

Targets (issue 3): cold at least 10x faster than bandit; warm within 2x of ruff's
no-cache time. Prints the times and the ratios; exit status 0 whether or not the
targets are met (it measures, it does not gate). Uses the real `dbctl lint` CLI if it
exists in this checkout, otherwise the engine through a tiny runner.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tarfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
DATA = HERE / ".data"
SPEC = "django==5.1.*"
PY = sys.executable
BIN = Path(PY).parent

PARSE_ONLY = """
import ast, gc, os, sys
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path


def parse(paths):
    gc.disable()
    for p in paths:
        try:
            ast.parse(Path(p).read_bytes())
        except (SyntaxError, ValueError):
            pass
    return len(paths)


if __name__ == "__main__":
    files = sorted(str(p) for p in Path(".").rglob("*.py"))
    n = os.cpu_count() or 1
    with ProcessPoolExecutor(n) as pool:
        print(sum(pool.map(parse, [files[i::n] for i in range(n)])))
"""

RUNNER = """
import sys
from pathlib import Path
from dbctl.lint.engine import lint_paths
from dbctl.lint.model import LintConfig
from dbctl.lint.registry import by_code
cache = sys.argv[1] == "warm"
r = lint_paths([Path(".")], LintConfig(enabled=frozenset(by_code()), use_cache=cache,
               root=Path(".").resolve()))
print(len(r.findings), r.files)
"""


def tree() -> Path:
    DATA.mkdir(parents=True, exist_ok=True)
    for d in sorted(DATA.glob("django-5.1*")):
        if d.is_dir():
            return d
    sdists = sorted(DATA.glob("django-5.1*.tar.gz")) or sorted(DATA.glob("Django-5.1*.tar.gz"))
    if not sdists:
        print(f"downloading {SPEC} sdist from PyPI into {DATA} ...", file=sys.stderr)
        subprocess.run(
            [PY, "-m", "pip", "download", "-q", "--no-deps", "--no-binary", ":all:", SPEC,
             "-d", str(DATA)],
            check=True,
        )
        sdists = sorted(DATA.glob("[dD]jango-5.1*.tar.gz"))
    with tarfile.open(sdists[-1]) as tar:
        tar.extractall(DATA, filter="data")
    return next(d for d in sorted(DATA.glob("[dD]jango-5.1*")) if d.is_dir())


def has_cli() -> bool:
    proc = subprocess.run(
        [PY, "-m", "dbctl", "lint", "--help"], check=False, capture_output=True, text=True
    )
    return proc.returncode == 0 and "--no-cache" in proc.stdout


def dbctl_cmd(mode: str, cli: bool) -> list[str]:
    if cli:
        cmd = [PY, "-m", "dbctl", "lint", ".", "--format", "json", "--output", os.devnull,
               "--exit-zero"]
        return [*cmd, "--no-cache"] if mode == "cold" else cmd
    return [PY, "-c", RUNNER, mode]


def timed(cmd: list[str], cwd: Path) -> float:
    start = time.perf_counter()
    proc = subprocess.run(
        cmd, check=False, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
    )
    elapsed = time.perf_counter() - start
    if proc.returncode not in (0, 1):
        sys.exit(f"{cmd[0]} failed ({proc.returncode}): {proc.stderr.decode()[-500:]}")
    return elapsed


def tool(name: str) -> str | None:
    candidate = BIN / name
    return str(candidate) if candidate.exists() else shutil.which(name)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--no-bandit", action="store_true")
    args = parser.parse_args()

    root = tree()
    files = sum(1 for _ in root.rglob("*.py"))
    cli = has_cli()
    ruff = tool("ruff")
    bandit = tool("bandit")
    print(f"tree: {root.name} ({files} .py files), cores: {os.cpu_count()}, "
          f"dbctl via {'the dbctl lint CLI' if cli else 'the engine (no CLI yet)'}")

    shutil.rmtree(root / ".dbctl_cache", ignore_errors=True)
    timed(dbctl_cmd("warm", cli), root)  # fill the cache
    runs: dict[str, list[float]] = {"cold": [], "warm": [], "ruff": [], "parse": []}
    parse_script = DATA / "parse_only.py"
    parse_script.write_text(PARSE_ONLY)
    for _ in range(args.repeat):
        runs["parse"].append(timed([PY, str(parse_script)], root))
        runs["cold"].append(timed(dbctl_cmd("cold", cli), root))
        runs["warm"].append(timed(dbctl_cmd("warm", cli), root))
        if ruff:
            runs["ruff"].append(timed(
                [ruff, "check", "--no-cache", "--exit-zero", "--select", "S105,S106,S107", "-q",
                 "."], root))
    med = {k: statistics.median(v) for k, v in runs.items() if v}
    bandit_time = None
    if bandit and not args.no_bandit:
        bandit_time = timed([bandit, "-q", "-r", "-t", "B105,B106,B107", "-f", "json", "-o",
                             os.devnull, "."], root)

    print(f"bare ast.parse, all cores:    {med['parse']:7.2f} s  (the floor for a cold run)")
    print(f"dbctl lint cold (--no-cache): {med['cold']:7.2f} s")
    print(f"dbctl lint warm:              {med['warm']:7.2f} s")
    if "ruff" in med:
        print(f"ruff --no-cache S105-S107:    {med['ruff']:7.2f} s")
    if bandit_time is not None:
        print(f"bandit B105-B107:             {bandit_time:7.2f} s")
    print()
    if bandit_time is not None:
        ratio = bandit_time / med["cold"]
        verdict = "met" if ratio >= 10 else "NOT met"
        print(f"bandit / dbctl cold = {ratio:5.1f}x  (target >= 10x: {verdict})")
    if "ruff" in med:
        ratio = med["warm"] / med["ruff"]
        verdict = "met" if ratio <= 2 else "NOT met"
        print(f"dbctl warm / ruff   = {ratio:5.2f}x  (target <= 2x: {verdict})")
    print(f"dbctl cold / warm   = {med['cold'] / med['warm']:5.1f}x")
    print(f"dbctl cold / bare parse = {med['cold'] / med['parse']:5.2f}x")
    if "ruff" in med:
        print(f"bare parse / ruff   = {med['parse'] / med['ruff']:5.1f}x")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

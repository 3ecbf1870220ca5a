"""Time `dbctl lint` against ruff and bandit on two large real trees.

    python bench/lint_vs_peers.py [--repeat 3] [--no-bandit] [--tree django|apps|all]

The trees: Django's sdist, and two of bench/realworld.py's pinned applications together
(prefect and langflow-base, from the same verified downloads). Downloads once from PyPI
(pip download, cached under bench/.data/, git-ignored), then times on each tree in one
run, interleaved, the median of --repeat runs:

- dbctl lint cold (--no-cache) and warm (cache filled by a previous run, tree unchanged),
- dbctl lint warm after one file changed (a comment appended to the largest file, then
  restored: the changed file is parsed again and the cross-module pass re-runs). The
  restore puts back the file's content and its modification time too, and a run then
  refills the cache, so that "warm" measures an unchanged tree: with a fresh mtime the
  cache could not trust the file's stamp (modified within 2 s of the run, "racy") and
  every warm run would read and hash it again and rewrite the cache,
- ruff check --no-cache --select S105,S106,S107,
- bandit -q -r -t B105,B106,B107 (once: it is slow).

Python tools run as installed packages do: byte-code is cached (the first runs write
it), or every dbctl and bandit run would compile its own source first.

Targets (issues 3 and 8): cold at least 10x faster than bandit; warm within 2x of
ruff's no-cache time; peak memory of a cold run (its largest process, os.wait4's
rusage) not above issue 8's baseline of about 210 MB on the two applications. Prints the
times, peak memory and the ratios, and for the cold target what it leaves for analysis
(the share of bandit's time / 10 that a bare parallel ``ast.parse`` of the tree already
takes) and the CPU-time ratio, which does not depend on the number of cores (bandit
uses one, dbctl's per-file work all of them); exit status 0 whether or not the targets are met (it
measures, it does not gate). Uses the real `dbctl lint` CLI if it exists in this
checkout, otherwise the engine through a tiny runner.

ruff comes with the test extra; bandit with the bench extra:
``pip install -e '.[test,bench]'`` (without bandit the bandit ratio is skipped).
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tarfile
from pathlib import Path

import realworld  # bench/realworld.py: the pinned applications and their downloads

HERE = Path(__file__).resolve().parent
DATA = HERE / ".data"
SPEC = "django==5.1.*"
#: bench/realworld.py's applications that make the second tree, and its memory baseline
PAIR = ("prefect", "langflow")
PAIR_BASELINE_MB = 210
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


def django_tree() -> Path:
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


def pair_tree() -> Path:
    """The two applications of PAIR side by side in one tree (copied, not linked: the
    linter does not follow symlinked directories)."""
    apps = [realworld.BY_KEY[key] for key in PAIR]
    target = realworld.DATA / "-".join(f"{a.key}-{a.version}" for a in apps)
    marker = target / "pyproject.toml"
    if marker.exists():
        return target
    shutil.rmtree(target, ignore_errors=True)
    for app in apps:
        shutil.copytree(realworld.fetch(app), target, dirs_exist_ok=True,
                        ignore=shutil.ignore_patterns("pyproject.toml", ".dbctl_cache"))
    marker.write_text("# lint root for bench/lint_vs_peers.py (two unpacked wheels)\n")
    return target


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


PEAKS: dict[str, float] = {}
CPUS: dict[str, list[float]] = {}


def timed(cmd: list[str], cwd: Path, label: str = "") -> float:
    """Wall seconds of ``cmd``; its peak memory (MB) is kept in PEAKS[label] (max), the
    CPU seconds of all its processes in CPUS[label]."""
    status, err, elapsed, peak, cpu = realworld.run_measured(cmd, cwd)
    if status not in (0, 1):
        sys.exit(f"{cmd[0]} failed ({status}): {err.decode(errors='replace')[-500:]}")
    if label:
        PEAKS[label] = max(PEAKS.get(label, 0.0), peak)
        CPUS.setdefault(label, []).append(cpu)
    return elapsed


def tool(name: str) -> str | None:
    candidate = BIN / name
    return str(candidate) if candidate.exists() else shutil.which(name)


def measure(root: Path, args: argparse.Namespace, cli: bool) -> None:
    files = sum(1 for _ in root.rglob("*.py"))
    ruff = tool("ruff")
    bandit = tool("bandit")
    PEAKS.clear()
    CPUS.clear()
    print(f"tree: {root.name} ({files} .py files), cores: {os.cpu_count()}, "
          f"dbctl via {'the dbctl lint CLI' if cli else 'the engine (no CLI yet)'}, "
          f"load average {os.getloadavg()[0]:.1f}")

    shutil.rmtree(root / ".dbctl_cache", ignore_errors=True)
    timed(dbctl_cmd("warm", cli), root)  # fill the cache (and write dbctl's byte-code)
    edited = max(root.rglob("*.py"), key=lambda p: p.stat().st_size)
    original = edited.read_bytes()
    times = edited.stat()
    runs: dict[str, list[float]] = {"cold": [], "warm": [], "ruff": [], "parse": [],
                                    "changed": []}
    parse_script = DATA / "parse_only.py"
    parse_script.write_text(PARSE_ONLY)
    for _ in range(args.repeat):
        runs["parse"].append(timed([PY, str(parse_script)], root, "parse"))
        runs["cold"].append(timed(dbctl_cmd("cold", cli), root, "cold"))
        runs["warm"].append(timed(dbctl_cmd("warm", cli), root, "warm"))
        if ruff:
            runs["ruff"].append(timed(
                [ruff, "check", "--no-cache", "--exit-zero", "--select", "S105,S106,S107", "-q",
                 "."], root, "ruff"))
        try:
            edited.write_bytes(original + f"\n# lint_vs_peers edit {len(runs['changed'])}\n"
                               .encode())
            runs["changed"].append(timed(dbctl_cmd("warm", cli), root))
        finally:  # the unchanged tree again: content and modification time
            edited.write_bytes(original)
            os.utime(edited, ns=(times.st_atime_ns, times.st_mtime_ns))
        timed(dbctl_cmd("warm", cli), root)  # the cache again for the unchanged tree
    med = {k: statistics.median(v) for k, v in runs.items() if v}
    bandit_time = None
    if bandit and not args.no_bandit:
        subprocess.run([bandit, "--version"], check=False, capture_output=True)  # byte-code
        bandit_time = timed([bandit, "-q", "-r", "-t", "B105,B106,B107", "-f", "json", "-o",
                             os.devnull, "."], root, "bandit")

    print(f"bare ast.parse, all cores:    {med['parse']:7.2f} s  (the floor for a cold run)")
    print(f"dbctl lint cold (--no-cache): {med['cold']:7.2f} s  peak {PEAKS['cold']:5.0f} MB")
    print(f"dbctl lint warm:              {med['warm']:7.2f} s  peak {PEAKS['warm']:5.0f} MB")
    print(f"dbctl lint warm, 1 changed:   {med['changed']:7.2f} s  ({edited.name})")
    if "ruff" in med:
        print(f"ruff --no-cache S105-S107:    {med['ruff']:7.2f} s  peak {PEAKS['ruff']:5.0f} MB")
    if bandit_time is not None:
        print(f"bandit B105-B107:             {bandit_time:7.2f} s  "
              f"peak {PEAKS['bandit']:5.0f} MB")
    print()
    if bandit_time is not None:
        ratio = bandit_time / med["cold"]
        verdict = "met" if ratio >= 10 else "NOT met"
        print(f"bandit / dbctl cold = {ratio:5.1f}x  (target >= 10x: {verdict})")
        # what the target leaves for analysis, and the ratio that does not depend on the
        # number of cores (bandit uses one; dbctl's per-file work uses all of them)
        budget = bandit_time / 10
        print(f"  10x budget = {budget:.2f} s; a bare parse on all cores takes "
              f"{med['parse']:.2f} s of it ({med['parse'] / budget:.0%})")
        cpu = {k: statistics.median(v) for k, v in CPUS.items()}
        print(f"  CPU seconds: dbctl cold {cpu['cold']:.2f}, bare parse {cpu['parse']:.2f}, "
              f"bandit {cpu['bandit']:.2f}: bandit / dbctl cold = "
              f"{cpu['bandit'] / cpu['cold']:.1f}x in CPU time")
        cores = os.cpu_count() or 1
        ideal = cpu["parse"] / cores
        print(f"  with no load and perfect parallelism a bare parse alone needs {ideal:.2f} s "
              f"on {cores} cores ({ideal / budget:.0%} of the budget)")
    elif args.no_bandit:
        print("bandit / dbctl cold: not measured (--no-bandit)")
    else:
        print("bandit / dbctl cold: not measured (bandit is not installed: pip install "
              "-e '.[bench]')")
    if "ruff" in med:
        ratio = med["warm"] / med["ruff"]
        verdict = "met" if ratio <= 2 else "NOT met"
        print(f"dbctl warm / ruff   = {ratio:5.2f}x  (target <= 2x: {verdict})")
        print(f"dbctl warm, 1 changed / ruff = {med['changed'] / med['ruff']:5.2f}x")
    print(f"dbctl cold / warm   = {med['cold'] / med['warm']:5.1f}x  "
          f"(load average now {os.getloadavg()[0]:.1f})")
    print(f"dbctl cold / bare parse = {med['cold'] / med['parse']:5.2f}x")
    if "ruff" in med:
        print(f"bare parse / ruff   = {med['parse'] / med['ruff']:5.1f}x")
    if root.name.startswith(PAIR[0]):
        verdict = "met" if PEAKS["cold"] <= PAIR_BASELINE_MB * 1.05 else "NOT met"
        print(f"dbctl cold peak memory = {PEAKS['cold']:.0f} MB  (baseline about "
              f"{PAIR_BASELINE_MB} MB: {verdict})")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--no-bandit", action="store_true")
    parser.add_argument("--tree", choices=("django", "apps", "all"), default="all")
    args = parser.parse_args()
    os.environ.pop("PYTHONDONTWRITEBYTECODE", None)  # as installed: byte-code cached

    cli = has_cli()
    roots: list[Path] = []
    try:
        if args.tree in ("django", "all"):
            roots.append(django_tree())
        if args.tree in ("apps", "all"):
            roots.append(pair_tree())
    except realworld.HarnessError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return exc.status
    for i, root in enumerate(roots):
        if i:
            print()
        measure(root, args, cli)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

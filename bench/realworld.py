"""Accuracy of `dbctl lint` on real, public FastAPI/Starlette + PostgreSQL applications.

    python bench/realworld.py [--app NAME ...] [--labels FILE] [--template] [--misses]

Downloads the pinned wheels below from PyPI once (``pip download --no-deps`` with exact
versions, into bench/.data/realworld/, git-ignored), checks each file's sha256, unpacks
its ``.py`` files and ``alembic.ini`` files, and runs ``dbctl lint . --format json
--no-cache`` on each application as a subprocess of the dbctl installed in this
environment. Every finding is compared with bench/realworld_labels.toml, which a person
wrote by reading the code:

- ``[[finding]]``: a finding judged ``verdict = "true"`` or ``"false"``, keyed by app,
  path, rule and the stripped source line the finding points at (its fingerprint), so a
  label survives small line shifts between versions;
- ``[[must_flag]]``: a blocking database call on the event loop found by reading the
  application's async routes, middleware and lifespans, which a good linter must report
  (app, path, stripped source line of the blocking call, the rules that may report it,
  and a ``pattern`` naming the kind of code, for the list of misses).

Prints per application: files, findings, true / false / unlabelled counts, precision
on error + warning findings, recall on the must-flag cases, wall time and peak memory
(the largest process of the run, from ``os.wait4``'s rusage). Unlabelled findings are
listed: read each one in the unpacked code and add a label (``--template`` prints TOML
stubs to fill in). docs/realworld.md explains how to label.

Exit status: 0 whatever the accuracy (it measures, it does not gate); 2 on a usage or
labels-file error; 3 when a download, a checksum or a lint run fails.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import re
import subprocess
import sys
import time
import tomllib
import zipfile
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
DATA = HERE / ".data" / "realworld"
LABELS = HERE / "realworld_labels.toml"
PY = sys.executable


@dataclass(frozen=True)
class App:
    """A pinned application: PyPI name, exact version, wheel file name and its sha256."""

    key: str
    project: str
    version: str
    filename: str
    sha256: str
    serves: str
    #: added after dbctl/lint's inference rules were written, and labelled before any
    #: change to dbctl/lint was made for them: its figures say how the rules generalise
    heldout: bool = False

    @property
    def tree(self) -> Path:
        return DATA / f"{self.key}-{self.version}"


#: The applications, pinned. ``serves`` records what was checked when choosing them.
APPS: tuple[App, ...] = (
    App("airflow", "apache-airflow-core", "3.3.2",
        "apache_airflow_core-3.3.2-py3-none-any.whl",
        "99258922bccec15be4700ff89f3c942b8acd93407e263c287ce863e671bb3c50",
        "FastAPI API server (airflow.api_fastapi) on sync SQLAlchemy sessions"),
    App("phoenix", "arize-phoenix", "20.26.1",
        "arize_phoenix-20.26.1-py3-none-any.whl",
        "dd318844cba1d7021d8accaa995b7f3716d559eab4afb549dfb1017dd51bab56",
        "FastAPI + Strawberry on async SQLAlchemy (asyncpg / aiosqlite)"),
    App("langflow", "langflow-base", "1.13.0",
        "langflow_base-1.13.0-py3-none-any.whl",
        "e15db23e16cf27d6d1ac8fcc5030cf25ad3a04356a9581862b4e97de739dd3a2",
        "FastAPI on SQLModel (async sessions, some sync engines)"),
    App("letta", "letta", "0.16.8",
        "letta-0.16.8-py3-none-any.whl",
        "2d200cd13212c9232650c7efa16c0a4682ce5e89af8a0e53f3fbd09fc34091d3",
        "FastAPI server on SQLAlchemy (async and sync sessions, asyncpg, pg8000)"),
    App("lnbits", "lnbits", "1.6.2",
        "lnbits-1.6.2-py3-none-any.whl",
        "25649a8b40f58e30e19aa9bb3c391a92b26e47cf9f028818fcab10b38a849339",
        "FastAPI on SQLAlchemy async core (asyncpg / aiosqlite)"),
    App("mlflow", "mlflow-skinny", "3.17.2",
        "mlflow_skinny-3.17.2-py3-none-any.whl",
        "31be9190494212ccd94774170fd06f6fe04d209aae3923eefd16f9bf7830d63c",
        "FastAPI gateway / OTLP / jobs API beside Flask, on the sync SqlAlchemyStore"),
    App("opal", "opal-server", "0.9.9",
        "opal_server-0.9.9-py3-none-any.whl",
        "9f9307cc5432fd5a1992177a57a7eeb337e96eb554d6888a2322bb51bf1e8ff8",
        "FastAPI policy server; PostgreSQL via broadcaster / asyncpg"),
    App("openwebui", "open-webui", "0.12.4",
        "open_webui-0.12.4-py3-none-any.whl",
        "02e9caba96234db3fa17a92e56163b3f7f2b8ca8227fa886b85c178d696483f6",
        "FastAPI on sync and async SQLAlchemy sessions, psycopg2 / asyncpg"),
    App("prefect", "prefect", "3.9.1",
        "prefect-3.9.1-py3-none-any.whl",
        "0c662e26e971b617993eed1f3d02fb8bc3c2dd47bee521b495f6e4dfeb38ae74",
        "FastAPI orchestration server on async SQLAlchemy (asyncpg / aiosqlite)"),
    App("sqladmin", "sqladmin", "0.32.0",
        "sqladmin-0.32.0-py3-none-any.whl",
        "4f5cff4ab8e5349a3dcad17f3a4d46a7867b54b92ac45e5626fdb96e465c127f",
        "Starlette admin over sync or async SQLAlchemy sessions"),
    App("zenml", "zenml", "0.98.0",
        "zenml-0.98.0-py3-none-any.whl",
        "801ffbe1821bd48dfc03c9fd5519f5a7d4387d86b3d48d08bd2057dfcde5ad30",
        "FastAPI server (zen_server) on sync SQLModel sessions"),
    # -- held-out: nobody here had read these when dbctl/lint's rules were written; their
    # findings were labelled (and committed) before any change to dbctl/lint.
    App("agno", "agno", "3.1.10",
        "agno-3.1.10-py3-none-any.whl",
        "ea1d0d2f8f7e8d0c413c2a1df57b4c784dac2f70ceac1f69b935fd8d2ef68c7e",
        "FastAPI AgentOS routers over sync (SQLAlchemy, psycopg, sqlite) and async databases",
        heldout=True),
    App("chainlit", "chainlit", "2.12.0",
        "chainlit-2.12.0-py3-none-any.whl",
        "17cbd2c408f775a123892984bf9170674b5c81a01f7a8af278912e2786253ffc",
        "FastAPI server; data layers on async SQLAlchemy and asyncpg",
        heldout=True),
    App("dstack", "dstack", "0.22.5",
        "dstack-0.22.5-py3-none-any.whl",
        "e83cd6b7161f379ed173c012cd4d4149d1c395af6abf1dae61a9143f78e3cd04",
        "FastAPI server on async SQLAlchemy (asyncpg / aiosqlite), background workers",
        heldout=True),
    App("fief", "fief-server", "0.27.0",
        "fief_server-0.27.0-py3-none-any.whl",
        "e5361f33b37e31d928eae3f744b2dceddea72627c077ff3b2275faa55ec2e032",
        "FastAPI auth server on async SQLAlchemy (asyncpg / aiosqlite), Alembic",
        heldout=True),
)
BY_KEY = {app.key: app for app in APPS}
#: rules that report blocking database I/O on the event loop (a must-flag case's default)
BLOCKING_RULES = ("DBC101", "DBC102", "DBC103")
_RULE_RE = re.compile(r"DBC\d{3}")


class HarnessError(Exception):
    """A usage, labels-file, download or lint-run error; ``status`` is the exit code."""

    def __init__(self, message: str, status: int) -> None:
        super().__init__(message)
        self.status = status


# -- labels -------------------------------------------------------------------------------
@dataclass(frozen=True)
class MustFlag:
    app: str
    path: str
    source: str
    pattern: str
    rules: tuple[str, ...]
    note: str


@dataclass
class Labels:
    #: (app, path, rule, fingerprint) -> (verdict, note)
    findings: dict[tuple[str, str, str, str], tuple[bool, str]] = field(default_factory=dict)
    must_flag: list[MustFlag] = field(default_factory=list)


def fingerprint(source_line: str) -> str:
    """The line-independent key of a finding: its source line without surrounding blanks
    and inner runs of whitespace collapsed."""
    return " ".join(source_line.split())


def _text(entry: dict[str, Any], key: str, where: str, *, default: str | None = None) -> str:
    value = entry.get(key, default)
    if not isinstance(value, str) or (default is None and not value.strip()):
        raise HarnessError(f"{where}: '{key}' must be a non-empty string", 2)
    return value


def _app(entry: dict[str, Any], keys: set[str], where: str) -> str:
    """Check an entry's keys; return its app, which must be a pinned one."""
    extra = set(entry) - keys
    if extra:
        raise HarnessError(f"{where}: unknown keys {sorted(extra)}", 2)
    app = _text(entry, "app", where)
    if app not in BY_KEY:
        raise HarnessError(f"{where}: app '{app}' is not in the pinned list", 2)
    return app


def parse_labels(text: str, origin: str = "labels") -> Labels:
    """Parse and validate the labels TOML; raise :class:`HarnessError` (status 2) if bad."""
    try:
        doc = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise HarnessError(f"{origin}: not valid TOML: {exc}", 2) from None
    unknown = set(doc) - {"finding", "must_flag"}
    if unknown:
        raise HarnessError(f"{origin}: unknown top-level keys {sorted(unknown)}", 2)
    labels = Labels()
    for i, entry in enumerate(doc.get("finding", [])):
        where = f"{origin}: [[finding]] #{i + 1}"
        app = _app(entry, {"app", "path", "rule", "source", "verdict", "note"}, where)
        rule = _text(entry, "rule", where)
        if not _RULE_RE.fullmatch(rule):
            raise HarnessError(f"{where}: rule '{rule}' is not a DBCnnn code", 2)
        verdict = _text(entry, "verdict", where)
        if verdict not in ("true", "false"):
            raise HarnessError(f"{where}: verdict must be \"true\" or \"false\"", 2)
        key = (app, _text(entry, "path", where), rule, fingerprint(_text(entry, "source", where)))
        if key in labels.findings:
            raise HarnessError(f"{where}: the same finding is labelled twice", 2)
        labels.findings[key] = (verdict == "true", _text(entry, "note", where))
    seen: set[tuple[str, str, str]] = set()
    for i, entry in enumerate(doc.get("must_flag", [])):
        where = f"{origin}: [[must_flag]] #{i + 1}"
        app = _app(entry, {"app", "path", "source", "pattern", "rules", "note"}, where)
        rules = entry.get("rules", list(BLOCKING_RULES))
        if not isinstance(rules, list) or not rules or not all(
            isinstance(r, str) and _RULE_RE.fullmatch(r) for r in rules
        ):
            raise HarnessError(f"{where}: 'rules' must be a list of DBCnnn codes", 2)
        case = MustFlag(app, _text(entry, "path", where),
                        fingerprint(_text(entry, "source", where)),
                        _text(entry, "pattern", where), tuple(rules),
                        _text(entry, "note", where))
        if (case.app, case.path, case.source) in seen:
            raise HarnessError(f"{where}: the same must-flag case is listed twice", 2)
        seen.add((case.app, case.path, case.source))
        labels.must_flag.append(case)
    return labels


def load_labels(path: Path) -> Labels:
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise HarnessError(f"cannot read labels file {path}: {exc.strerror}", 2) from None
    return parse_labels(text, str(path))


# -- download and unpack ------------------------------------------------------------------
def sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def wanted(name: str) -> bool:
    """Members of a wheel the linter reads: Python files and Alembic configs."""
    return name.endswith(".py") or name.rsplit("/", 1)[-1] == "alembic.ini"


def fetch(app: App) -> Path:
    """The unpacked tree of ``app``: download, verify and unpack on first use."""
    marker = app.tree / "pyproject.toml"
    if marker.exists():
        return app.tree
    downloads = DATA / "downloads"
    downloads.mkdir(parents=True, exist_ok=True)
    wheel = downloads / app.filename
    if not wheel.exists():
        print(f"downloading {app.project}=={app.version} ...", file=sys.stderr)
        proc = subprocess.run(
            [PY, "-m", "pip", "download", "-q", "--no-deps", "--only-binary", ":all:",
             f"{app.project}=={app.version}", "-d", str(downloads)],
            check=False, capture_output=True, text=True, timeout=900,
        )
        if proc.returncode != 0 or not wheel.exists():
            tail = (proc.stderr.strip().splitlines() or ["no output"])[-1]
            raise HarnessError(f"{app.project}=={app.version}: download failed: {tail}", 3)
    actual = sha256(wheel)
    if actual != app.sha256:
        raise HarnessError(
            f"{wheel.name}: sha256 {actual} does not match the pinned {app.sha256}", 3
        )
    with zipfile.ZipFile(wheel) as zf:
        for member in zf.infolist():
            if wanted(member.filename) and not member.is_dir():
                target = (app.tree / member.filename).resolve()
                if not target.is_relative_to(app.tree.resolve()):
                    raise HarnessError(f"{wheel.name}: unsafe member {member.filename}", 3)
                target.parent.mkdir(parents=True, exist_ok=True)
                target.write_bytes(zf.read(member))
    # The lint root is the nearest pyproject.toml: this marker makes it the application's
    # top (as in its own checkout) instead of this repository, whose .gitignore hides
    # bench/.data/. It is written last, so a half-unpacked tree is unpacked again.
    marker.write_text("# lint root for bench/realworld.py (an unpacked wheel)\n")
    return app.tree


# -- lint ---------------------------------------------------------------------------------
@dataclass
class Run:
    findings: list[dict[str, Any]]
    files: int
    seconds: float
    peak_mb: float


def run_measured(cmd: list[str], cwd: Path) -> tuple[int, bytes, float, float, float]:
    """Run ``cmd``; return (status, stderr, wall seconds, peak MB of its largest process,
    CPU seconds of all its processes).

    Both come from ``os.wait4``'s rusage of this one child, which also covers the worker
    processes it waited for: ``ru_maxrss`` is the largest of them (Linux: kilobytes),
    user + system time their sum.
    """
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    assert proc.stderr is not None
    err = proc.stderr.read()
    _, status, usage = os.wait4(proc.pid, 0)
    proc.returncode = os.waitstatus_to_exitcode(status)
    elapsed = time.perf_counter() - start
    scale = 1 if sys.platform == "darwin" else 1024
    cpu = usage.ru_utime + usage.ru_stime
    return proc.returncode, err, elapsed, usage.ru_maxrss * scale / 2**20, cpu


def lint(app: App, tree: Path) -> Run:
    report = DATA / f"{app.key}-{app.version}.json"
    cmd = [PY, "-m", "dbctl", "lint", ".", "--format", "json", "--no-cache", "--exit-zero",
           "--output", str(report)]
    status, err, seconds, peak, _ = run_measured(cmd, tree)
    if status != 0:
        tail = (err.decode(errors="replace").strip().splitlines() or ["no output"])[-1]
        raise HarnessError(f"{app.key}: dbctl lint exited {status}: {tail}", 3)
    doc = json.loads(report.read_text(encoding="utf-8"))
    return Run(doc["findings"], doc["summary"]["files"], seconds, peak)


def source_line(tree: Path, path: str, line: int) -> str:
    try:
        with (tree / path).open(encoding="utf-8", errors="replace") as fh:
            for number, text in enumerate(fh, 1):
                if number == line:
                    return fingerprint(text)
    except OSError:
        pass
    return ""


# -- scoring ------------------------------------------------------------------------------
@dataclass
class Score:
    app: App
    run: Run
    true: int = 0
    false: int = 0
    true_ew: int = 0
    false_ew: int = 0
    unlabelled: list[dict[str, Any]] = field(default_factory=list)
    false_found: list[dict[str, Any]] = field(default_factory=list)
    hits: list[MustFlag] = field(default_factory=list)
    misses: list[MustFlag] = field(default_factory=list)

    @property
    def precision(self) -> float | None:
        judged = self.true_ew + self.false_ew
        return self.true_ew / judged if judged else None

    @property
    def recall(self) -> float | None:
        cases = len(self.hits) + len(self.misses)
        return len(self.hits) / cases if cases else None


def score(app: App, tree: Path, run: Run, labels: Labels) -> Score:
    result = Score(app, run)
    reported: set[tuple[str, str, str]] = set()
    for finding in run.findings:
        fp = source_line(tree, finding["path"], finding["line"])
        finding["fingerprint"] = fp
        reported.add((finding["path"], finding["code"], fp))
        label = labels.findings.get((app.key, finding["path"], finding["code"], fp))
        if label is None:
            result.unlabelled.append(finding)
            continue
        counted = finding["severity"] in ("error", "warning")
        if label[0]:
            result.true += 1
            result.true_ew += counted
        else:
            result.false += 1
            result.false_ew += counted
            result.false_found.append(finding)
    for case in labels.must_flag:
        if case.app != app.key:
            continue
        found = any((case.path, rule, case.source) in reported for rule in case.rules)
        (result.hits if found else result.misses).append(case)
    return result


def pct(value: float | None) -> str:
    return "   -" if value is None else f"{100 * value:5.1f}%"


def toml_string(value: str) -> str:
    return json.dumps(value, ensure_ascii=False)


def summed(scores: list[Score]) -> Score:
    """The counts of ``scores`` added up (its app and run are placeholders)."""
    total = Score(APPS[0], Run([], 0, 0.0, 0.0))
    for s in scores:
        total.true += s.true
        total.false += s.false
        total.true_ew += s.true_ew
        total.false_ew += s.false_ew
        total.unlabelled += s.unlabelled
        total.hits += s.hits
        total.misses += s.misses
    return total


def total_row(label: str, scores: list[Score]) -> str:
    t = summed(scores)
    found = sum(len(s.run.findings) for s in scores)
    return (f"{label:<19} {sum(s.run.files for s in scores):>5} {found:>5} {t.true:>4} "
            f"{t.false:>5} {len(t.unlabelled):>5} {pct(t.precision):>8} "
            f"{len(t.hits) + len(t.misses):>4} {len(t.hits):>4} "
            f"{pct(t.recall):>6} {sum(s.run.seconds for s in scores):5.1f}s "
            f"{max((s.run.peak_mb for s in scores), default=0):5.0f}MB")


def report(scores: list[Score], *, template: bool, misses: bool) -> None:
    head = (f"{'app':<10} {'version':<8} {'files':>5} {'found':>5} {'true':>4} {'false':>5} "
            f"{'unlab':>5} {'prec e+w':>8} {'must':>4} {'hit':>4} {'recall':>6} "
            f"{'time':>6} {'peak':>7}")
    print(head)
    print("-" * len(head))
    for s in scores:
        print(f"{s.app.key:<10} {s.app.version:<8} {s.run.files:>5} {len(s.run.findings):>5} "
              f"{s.true:>4} {s.false:>5} {len(s.unlabelled):>5} {pct(s.precision):>8} "
              f"{len(s.hits) + len(s.misses):>4} {len(s.hits):>4} {pct(s.recall):>6} "
              f"{s.run.seconds:5.1f}s {s.run.peak_mb:5.0f}MB")
    total = summed(scores)
    print("-" * len(head))
    heldout = [s for s in scores if s.app.heldout]
    if heldout and len(heldout) < len(scores):
        # the applications added after the rules were written: how the rules generalise
        print(total_row("held-out", heldout))
    print(total_row("total", scores))
    print("\nprecision: true / (true + false) over labelled error and warning findings; "
          "recall: must-flag cases reported / must-flag cases labelled.")

    false_found = [(s.app, f) for s in scores for f in s.false_found]
    if false_found:
        print(f"\nfindings labelled false ({len(false_found)}):")
        for app, f in false_found:
            print(f"  {app.key}: {f['path']}:{f['line']} {f['code']}  {f['fingerprint']}")
    if total.misses:
        by_pattern = Counter(case.pattern for case in total.misses)
        print(f"\nmust-flag cases missed ({len(total.misses)}), by pattern:")
        for pattern, count in by_pattern.most_common():
            print(f"  {count:3}  {pattern}")
            if misses:
                for case in total.misses:
                    if case.pattern == pattern:
                        print(f"         {case.app}: {case.path}  {case.source}")
    if total.unlabelled:
        print(f"\nUNLABELLED findings ({len(total.unlabelled)}): read each one in the unpacked "
              f"code under {DATA} and label it in {LABELS.name} "
              "(--template prints stubs):")
        for s in scores:
            for f in s.unlabelled:
                print(f"  {s.app.key}: {f['path']}:{f['line']} {f['code']} [{f['severity']}] "
                      f"{f['fingerprint']}")
    if template and total.unlabelled:
        print("\n# -- stubs for", LABELS.name, "(set verdict and note) --")
        stubbed: set[tuple[str, str, str, str]] = set()
        for s in scores:
            for f in s.unlabelled:
                key = (s.app.key, f["path"], f["code"], f["fingerprint"])
                if key in stubbed:
                    continue  # one label covers every line with the same fingerprint
                stubbed.add(key)
                print(f"\n[[finding]]\napp = {toml_string(s.app.key)}\n"
                      f"path = {toml_string(f['path'])}\nrule = {toml_string(f['code'])}\n"
                      f"source = {toml_string(f['fingerprint'])}\nverdict = \"?\"\n"
                      f"note = {toml_string(f['message'])}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--app", action="append", choices=sorted(BY_KEY), metavar="NAME",
                        help=f"only these applications (repeatable): {', '.join(BY_KEY)}")
    parser.add_argument("--labels", type=Path, default=LABELS, help="labels TOML file")
    parser.add_argument("--template", action="store_true",
                        help="print TOML stubs for the unlabelled findings")
    parser.add_argument("--misses", action="store_true",
                        help="list every missed must-flag case under its pattern")
    args = parser.parse_args(argv)
    try:
        labels = load_labels(args.labels)
        apps = [BY_KEY[k] for k in args.app] if args.app else list(APPS)
        scores = []
        for app in apps:
            tree = fetch(app)
            scores.append(score(app, tree, lint(app, tree), labels))
    except HarnessError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return exc.status
    report(scores, template=args.template, misses=args.misses)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

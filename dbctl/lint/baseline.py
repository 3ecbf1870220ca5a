"""``--baseline FILE``: report only the findings that a previous JSON report did not have.

A finding is identified by its rule code, its path and a *fingerprint*: a hash of the
flagged source text (the lines from ``line`` to ``end_line``, each stripped of
surrounding whitespace), so it survives unrelated edits that shift it up or down the
file. The JSON report carries each finding's ``fingerprint``; a baseline is simply a
report written with ``dbctl lint --format json -o .dbctl-baseline.json``. Several
identical findings in a file are counted: a new copy of a known finding is reported.
"""

from __future__ import annotations

import hashlib
import json
from collections import Counter
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

from dbctl.errors import UsageError
from dbctl.lint.ignore import read_regular
from dbctl.lint.model import Finding, LintResult
from dbctl.lint.parsing import read_source_lines

#: lines of a multi-line finding that go into its fingerprint
MAX_LINES = 50
MAX_BASELINE = 256_000_000

Key = tuple[str, str, str]


def _fingerprint(code: str, lines: Sequence[str], line: int, end_line: int) -> str:
    first = max(line, 1)
    last = min(max(end_line, first), first + MAX_LINES - 1)
    text = "\n".join(s.strip() for s in lines[first - 1 : last])
    return hashlib.blake2b(f"{code}\0{text}".encode(), digest_size=8).hexdigest()


def fingerprints(findings: Sequence[Finding]) -> list[str]:
    """The fingerprint of each finding (its file is read once; paths are relative to the
    current directory, as findings show them)."""
    sources: dict[str, list[str]] = {}
    out: list[str] = []
    for f in findings:
        lines = sources.get(f.path)
        if lines is None:
            lines = sources[f.path] = read_source_lines(f.path)
        out.append(_fingerprint(f.code, lines, f.line, f.end_line))
    return out


def load_baseline(path: Path) -> Counter[Key]:
    """The (code, path, fingerprint) keys of a JSON report; a usage error (exit 2) when it
    cannot be read or is not a ``dbctl lint --format json`` report (every finding must
    have its code, path and fingerprint: one that cannot match would be silently kept)."""
    not_a_report = f"--baseline: {path} is not a `dbctl lint --format json` report"
    hint = "record one with `dbctl lint --format json -o .dbctl-baseline.json --exit-zero`"
    try:
        raw = read_regular(str(path), MAX_BASELINE)
    except FileNotFoundError:
        raise UsageError(f"--baseline: no such file: {path}") from None
    except OSError as exc:
        raise UsageError(f"--baseline: cannot read {path}: {exc}") from None
    if not raw.strip():
        raise UsageError(f"{not_a_report} (an empty file)", hint=hint)
    try:
        data: Any = json.loads(raw)
    except ValueError as exc:
        raise UsageError(f"{not_a_report} (not JSON: {exc})", hint=hint) from None
    findings = data.get("findings") if isinstance(data, dict) else None
    if not isinstance(findings, list):
        raise UsageError(not_a_report, hint=hint)
    keys: Counter[Key] = Counter()
    for number, item in enumerate(findings, 1):
        if not isinstance(item, dict):
            raise UsageError(f"{not_a_report} (finding {number} is not an object)", hint=hint)
        for field in ("code", "path", "fingerprint"):
            if not isinstance(item.get(field), str):
                raise UsageError(
                    f"{not_a_report} (finding {number} has no string '{field}')", hint=hint
                )
        keys[(item["code"], item["path"], item["fingerprint"])] += 1
    return keys


def apply_baseline(result: LintResult, known: Counter[Key]) -> LintResult:
    """``result`` without the findings in ``known`` (each baseline entry hides one)."""
    remaining = Counter(known)
    kept: list[Finding] = []
    hidden = 0
    for finding, fp in zip(result.findings, fingerprints(result.findings), strict=True):
        key = (finding.code, finding.path, fp)
        if remaining[key] > 0:
            remaining[key] -= 1
            hidden += 1
        else:
            kept.append(finding)
    return replace(result, findings=kept, baselined=result.baselined + hidden)

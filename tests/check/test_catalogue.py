"""The failure-code catalogue is the one source: every code a check or the error
translation can emit is catalogued, and the README's table lists exactly the catalogue."""

from __future__ import annotations

import re
from pathlib import Path

from dbctl.checks import CHECK_IDS, CHECKS
from dbctl.checks.codes import CATALOGUE, RETRYABLE_CODES, UNREACHABLE_CODES

ROOT = Path(__file__).resolve().parents[2]
#: Where failure codes of check/preflight rows are written down in the source.
SOURCES = [*sorted((ROOT / "dbctl" / "checks").glob("*.py")), ROOT / "dbctl" / "db" / "errors.py"]
_CODE_LITERAL = re.compile(
    r"""code=\(?\s*["']([a-z_]+\.[a-z_]+)["']|["']([a-z_]+\.[a-z_]+)["'],?\s*$"""
)


def _emitted_literals() -> set[str]:
    found: set[str] = set()
    for path in SOURCES:
        if path.name == "codes.py":
            continue
        for line in path.read_text().splitlines():
            for m in _CODE_LITERAL.finditer(line):
                code = m.group(1) or m.group(2)
                if code.split(".")[0] in {c.split(".")[0] for c in CATALOGUE}:
                    found.add(code)
    return found


def _readme_codes() -> dict[str, str]:
    text = (ROOT / "README.md").read_text()
    section = text.split("#### Failure codes", 1)[1].split("\n#", 1)[0]
    rows = re.findall(r"^\| `([a-z_.*]+)` \| (.+?) \|$", section, re.MULTILINE)
    return dict(rows)


def test_every_check_declares_only_catalogued_codes() -> None:
    for check in CHECKS:
        for code in check.codes:
            assert code in CATALOGUE, (check.id, code)


def test_every_code_written_in_the_source_is_catalogued() -> None:
    literals = _emitted_literals()
    assert {"auth.failed", "tcp.timeout", "capacity.low_headroom"} <= literals  # the scan works
    missing = sorted(literals - set(CATALOGUE))
    assert not missing, missing


def test_every_catalogued_code_is_declared_by_a_check() -> None:
    declared = {code for check in CHECKS for code in check.codes}
    assert set(CATALOGUE) - declared == {"sqlstate"}


def test_readme_table_is_the_catalogue() -> None:
    documented = _readme_codes()
    expected = {("sqlstate.*" if c == "sqlstate" else c) for c in CATALOGUE}
    assert set(documented) == expected
    for code, entry in CATALOGUE.items():
        cell = documented["sqlstate.*" if code == "sqlstate" else code]
        assert ("retried by `--wait`" in cell) == (code in RETRYABLE_CODES), code
        assert ("exit 3" in cell) == (code in UNREACHABLE_CODES), code
        assert entry.hint in cell, code


def test_the_fixed_order() -> None:
    assert CHECK_IDS == (
        "config", "dns", "tcp", "tls", "auth", "server", "latency", "capacity", "session",
        "privileges",
    )  # fmt: skip

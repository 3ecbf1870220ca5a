"""--baseline FILE: only findings that are not in an earlier JSON report are reported;
they survive line shifts; the summary says how many the baseline suppressed."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

OLD = """\
from sqlalchemy.ext.asyncio import create_async_engine

engine = create_async_engine("postgresql+asyncpg://app:s3cret@db/app")
OTHER = "postgresql://admin:hunter2@db/app"
"""


def test_baseline_reports_exactly_the_new_finding(cli: Any, tmp_path: Path) -> None:
    (tmp_path / "db.py").write_text(OLD)
    first = cli("lint", "--no-cache", "--format", "json", "-o", ".dbctl-baseline.json")
    assert first.exit_code == 1
    recorded = json.loads((tmp_path / ".dbctl-baseline.json").read_text())
    assert len(recorded["findings"]) == 2
    # edit above the existing findings (they shift down) and add one new finding
    shifted = '"""The database."""\nimport os\n\n\n' + OLD.replace(
        "OTHER =", 'NEW = "postgresql://ops:0ps-pw@db/app"\nOTHER ='
    )
    (tmp_path / "db.py").write_text(shifted)
    res = cli("lint", "--no-cache", "--format", "json", "--baseline", ".dbctl-baseline.json")
    assert res.exit_code == 1
    data = json.loads(res.stdout)
    assert [(f["line"], f["message"]) for f in data["findings"]] == [
        (8, "hardcoded password in database URL 'postgresql://ops:***@db/app'")
    ]
    assert data["summary"]["baselined"] == 2
    text = cli("lint", "--no-cache", "--baseline", ".dbctl-baseline.json")
    assert text.stdout.startswith("db.py:8:")
    assert "2 findings suppressed by the baseline." in text.stderr
    # fixing the new one: clean against the baseline
    (tmp_path / "db.py").write_text(shifted.replace("0ps-pw", "${OPS_PASSWORD}"))
    clean = cli("lint", "--no-cache", "--baseline", ".dbctl-baseline.json")
    assert clean.exit_code == 0, clean.stdout


def test_a_second_copy_of_a_known_finding_is_new(cli: Any, tmp_path: Path) -> None:
    (tmp_path / "db.py").write_text(OLD)
    cli("lint", "--no-cache", "--format", "json", "-o", "base.json")
    (tmp_path / "db.py").write_text(OLD + 'OTHER = "postgresql://admin:hunter2@db/app"\n')
    res = cli("lint", "--no-cache", "--format", "json", "--baseline", "base.json")
    assert [f["line"] for f in json.loads(res.stdout)["findings"]] == [5]


def test_bad_baseline_is_a_usage_error(cli: Any, tmp_path: Path) -> None:
    (tmp_path / "db.py").write_text(OLD)
    missing = cli("lint", "--baseline", "nope.json")
    assert missing.exit_code == 2 and "nope.json" in missing.stderr
    (tmp_path / "bad.json").write_text("[1, 2]")
    bad = cli("lint", "--baseline", "bad.json")
    assert bad.exit_code == 2 and "not a `dbctl lint --format json` report" in bad.stderr

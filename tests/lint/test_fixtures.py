"""Each rule's fixture is its spec: the findings are exactly the `# DBCnnn` comments."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.lint.conftest import FIXTURES, expected_codes, run_lint

FIXTURE_FILES = sorted(FIXTURES.glob("dbc*.py"))


@pytest.mark.parametrize("fixture", FIXTURE_FILES, ids=lambda p: p.stem)
def test_fixture_findings_are_exactly_the_marked_lines(fixture: Path) -> None:
    expected = expected_codes(fixture)
    assert expected, f"{fixture.name} declares no expected finding"
    result = run_lint([fixture], FIXTURES)
    actual = {(f.line, f.code) for f in result.findings}
    missing = sorted(expected - actual)
    unexpected = sorted(
        (f.line, f.code, f.message) for f in result.findings if (f.line, f.code) not in expected
    )
    assert not missing and not unexpected, f"missing={missing} unexpected={unexpected}"
    assert result.errors == []


@pytest.mark.parametrize("fixture", FIXTURE_FILES, ids=lambda p: p.stem)
def test_fixture_ok_section_is_clean(fixture: Path) -> None:
    text = fixture.read_text(encoding="utf-8")
    assert "# OK" in text and "# Errors" in text
    errors_line = text.splitlines().index("# Errors") + 1
    result = run_lint([fixture], FIXTURES)
    code = fixture.stem.upper()
    own = [f for f in result.findings if f.code == code]
    assert own, f"{fixture.name} does not trigger {code}"
    assert all(f.line > errors_line for f in own), "a finding in the # OK section"

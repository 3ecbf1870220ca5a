"""The patterns of real applications the semantic model follows (issue 8): one fixture
per pattern family under fixtures/reach/, findings exactly the `# DBCnnn` comments, none
in the `# OK` section (the definitions above it may be reported: a sync engine that the
`# Errors` code uses is itself a finding)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.lint.conftest import FIXTURES, expected_codes, run_lint

REACH = FIXTURES / "reach"
FAMILIES = sorted(REACH.glob("*.py"))
LIBRARY_FOLDER = REACH / "library_folder"


def test_every_family_is_here() -> None:
    assert {p.stem for p in FAMILIES} >= {
        "attributes", "factories", "annotations", "instances", "reflection", "awaited",
        "async_classes", "legitimate_sync", "name_only", "closures", "arguments",
        "class_attributes", "guards", "method_members",
    }


def _check(files: list[Path], root: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(root)
    result = run_lint([Path(".")] if len(files) > 1 else files, root)
    expected = {(p.relative_to(root).as_posix(), line, code)
                for p in files for line, code in expected_codes(p)}
    assert expected, "a family without an expected finding"
    actual = {(f.path, f.line, f.code) for f in result.findings}
    unexpected = sorted((f.path, f.line, f.code, f.message) for f in result.findings
                        if (f.path, f.line, f.code) not in expected)
    assert not unexpected, f"false positives: {unexpected}"
    assert not expected - actual, f"missed: {sorted(expected - actual)}"
    assert result.errors == []
    for p in files:  # the sections, and nothing reported in `# OK`
        lines = p.read_text(encoding="utf-8").splitlines()
        assert "# OK" in lines and "# Errors" in lines, p
        ok_at, errors_at = lines.index("# OK") + 1, lines.index("# Errors") + 1
        assert ok_at < errors_at, p
        rel = p.relative_to(root).as_posix()
        in_ok = [f for f in result.findings if f.path == rel and ok_at < f.line < errors_at]
        assert not in_ok, p


@pytest.mark.parametrize("family", FAMILIES, ids=lambda p: p.stem)
def test_family_findings_are_exactly_the_marked_lines(
    family: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _check([family], REACH, monkeypatch)


def test_a_folder_named_like_a_library_is_not_that_library(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """`sqlalchemy/` without __init__.py: a folder of scripts that import each other by
    their own names; the library's imports stay the library's."""
    files = sorted(LIBRARY_FOLDER.rglob("*.py"))
    assert not (LIBRARY_FOLDER / "sqlalchemy" / "__init__.py").exists()
    _check(files, LIBRARY_FOLDER, monkeypatch)

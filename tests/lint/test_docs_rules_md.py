"""docs/rules.md is generated from the rule docstrings; a stale file fails this test."""

from __future__ import annotations

from pathlib import Path

import pytest

from dbctl.lint import docs
from dbctl.lint.registry import ALL_RULES
from tests.lint.ux_support import FAKE_RULES

ROOT = Path(__file__).resolve().parents[2]
RULES_MD = ROOT / "docs" / "rules.md"


def test_docs_rules_md_is_up_to_date() -> None:
    assert RULES_MD.is_file(), "generate it: python -m dbctl.lint.docs --write"
    assert RULES_MD.read_text(encoding="utf-8") == docs.generate(), (
        "docs/rules.md is stale: run `python -m dbctl.lint.docs --write`"
    )


def test_every_registered_rule_has_a_section_and_a_catalogue_row() -> None:
    text = RULES_MD.read_text(encoding="utf-8")
    for rule in ALL_RULES:
        assert f"\n## {rule.code} {rule.name}\n" in text
        assert f"| [{rule.code}](#{docs.anchor(rule)}) |" in text


def test_generate_structure_with_fake_rules() -> None:
    text = docs.generate(FAKE_RULES)
    assert text.startswith(docs.HEADER)
    # code order, one section each, docstring headings demoted below the rule heading
    positions = [
        text.index(f"\n## {r.code} {r.name}\n") for r in sorted(FAKE_RULES, key=lambda r: r.code)
    ]
    assert positions == sorted(positions)
    assert "\n### What it does\n" in text and "\n## What it does" not in text
    assert (
        "| [DBC201](#dbc201-hardcoded-dsn-password) | `hardcoded-dsn-password` | credentials"
        in text
    )
    assert "Use instead:" in text and "```python" in text


def test_help_uri_points_at_the_anchor() -> None:
    rule = FAKE_RULES[1]
    assert docs.help_uri(rule) == f"{docs.DOCS_URL}#dbc201-hardcoded-dsn-password"


def test_main_write_and_check(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr("dbctl.lint.registry.ALL_RULES", FAKE_RULES)
    target = tmp_path / "rules.md"
    assert docs.main(["--check", str(target)]) == 1  # missing counts as stale
    assert docs.main(["--write", str(target)]) == 0
    assert target.read_text() == docs.generate(FAKE_RULES)
    assert docs.main(["--check", str(target)]) == 0
    target.write_text(target.read_text().replace("Passwords in code leak.", "edited"))
    assert docs.main(["--check", str(target)]) == 1
    assert "stale" in capsys.readouterr().err
    assert docs.main([]) == 0
    assert capsys.readouterr().out == docs.generate(FAKE_RULES)

"""Meta-tests: the rule catalogue keeps itself honest."""

from __future__ import annotations

import importlib
import inspect
import pkgutil
import re
from pathlib import Path

import pytest

import dbctl.lint.rules
from dbctl.lint.registry import ALL_RULES, by_code
from dbctl.lint.rule import Rule
from tests.lint.conftest import FIXTURES, run_lint

REPO = Path(__file__).resolve().parents[2]
SECTIONS = ("## What it does", "## Why is this bad?", "## Example", "Use instead:")
BLOCK_RE = re.compile(r"```python\n(.*?)```", re.DOTALL)


def _discovered() -> set[type[Rule]]:
    found: set[type[Rule]] = set()
    for info in pkgutil.iter_modules(dbctl.lint.rules.__path__):
        module = importlib.import_module(f"dbctl.lint.rules.{info.name}")
        for _, obj in inspect.getmembers(module, inspect.isclass):
            if issubclass(obj, Rule) and obj is not Rule and obj.__module__ == module.__name__:
                found.add(obj)
    return found


def test_every_rule_module_is_registered() -> None:
    assert _discovered() == set(ALL_RULES)
    assert len(ALL_RULES) == 16


def test_codes_unique_well_formed_and_in_order() -> None:
    codes = [r.code for r in ALL_RULES]
    assert len(set(codes)) == len(codes)
    assert all(re.fullmatch(r"DBC\d{3}", c) for c in codes)
    assert codes == sorted(codes)
    assert set(by_code()) == set(codes)


def test_names_unique_kebab_case() -> None:
    names = [r.name for r in ALL_RULES]
    assert len(set(names)) == len(names)
    assert all(re.fullmatch(r"[a-z0-9]+(-[a-z0-9]+)*", n) for n in names)


def test_module_file_named_after_code_and_name() -> None:
    for rule in ALL_RULES:
        expected = f"{rule.code.lower()}_{rule.name.replace('-', '_')}"
        assert rule.__module__.rsplit(".", 1)[-1] == expected


@pytest.mark.parametrize("rule", ALL_RULES, ids=lambda r: r.code)
def test_docstring_sections_in_order(rule: type[Rule]) -> None:
    doc = inspect.getdoc(rule) or ""
    positions = [doc.find(s) for s in SECTIONS]
    assert all(p >= 0 for p in positions), rule.code
    assert positions == sorted(positions)
    assert rule.summary()
    assert rule.category in {"correctness", "credentials", "deprecated", "performance"}


@pytest.mark.parametrize("rule", ALL_RULES, ids=lambda r: r.code)
def test_fixture_exists(rule: type[Rule]) -> None:
    assert (FIXTURES / f"{rule.code.lower()}.py").is_file()


@pytest.mark.parametrize("rule", ALL_RULES, ids=lambda r: r.code)
def test_changelog_mentions_code(rule: type[Rule]) -> None:
    changelog = (REPO / "CHANGELOG.md").read_text(encoding="utf-8")
    assert re.search(rf"^- .*\b{rule.code}\b", changelog, re.MULTILINE), rule.code


def _blocks(rule: type[Rule]) -> tuple[str, str]:
    doc = inspect.getdoc(rule) or ""
    example_part, _, instead_part = doc.partition("Use instead:")
    example = BLOCK_RE.findall(example_part.split("## Example", 1)[1])
    instead = BLOCK_RE.findall(instead_part)
    assert example and instead, rule.code
    return example[0], instead[0]


@pytest.mark.parametrize("rule", ALL_RULES, ids=lambda r: r.code)
def test_example_triggers_and_use_instead_does_not(rule: type[Rule], tmp_path: Path) -> None:
    example, instead = _blocks(rule)
    for name, code in (("example", example), ("instead", instead)):
        (tmp_path / name).mkdir()
        (tmp_path / name / "app.py").write_text(code, encoding="utf-8")
    bad = run_lint([tmp_path / "example"], tmp_path / "example")
    good = run_lint([tmp_path / "instead"], tmp_path / "instead")
    assert rule.code in {f.code for f in bad.findings}, bad.findings
    assert rule.code not in {f.code for f in good.findings}, good.findings

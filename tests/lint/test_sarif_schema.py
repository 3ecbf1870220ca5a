"""`dbctl lint --format sarif` validates against the official SARIF 2.1.0 JSON schema."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from jsonschema import Draft7Validator

from dbctl.lint.docs import rule_doc
from dbctl.lint.model import LintResult
from dbctl.output.lint import render_report, sarif_report
from tests.lint.ux_support import FAKE_RULES, FakeDsn, sample_result

SCHEMA_PATH = Path(__file__).resolve().parents[1] / "data" / "sarif-schema-2.1.0.json"
SCHEMA_SHA256 = "80cd7ffb9b62a4162d541aa9170862dd264f6cce0f04c57f1ac9f2337b808958"


@pytest.fixture(scope="module")
def validator() -> Draft7Validator:
    raw = SCHEMA_PATH.read_bytes()
    assert hashlib.sha256(raw).hexdigest() == SCHEMA_SHA256, "the vendored schema was modified"
    schema = json.loads(raw)
    Draft7Validator.check_schema(schema)
    return Draft7Validator(schema, format_checker=Draft7Validator.FORMAT_CHECKER)


def assert_valid(validator: Draft7Validator, doc: dict[str, Any]) -> None:
    errors = sorted(validator.iter_errors(doc), key=lambda e: list(e.absolute_path))
    assert not errors, "\n".join(f"{list(e.absolute_path)}: {e.message}" for e in errors[:10])


def test_the_validator_rejects_an_invalid_log(validator: Draft7Validator) -> None:
    doc = sarif_report(sample_result(), FAKE_RULES)
    doc["runs"][0]["results"][0]["level"] = "fatal"
    del doc["version"]
    assert len(list(validator.iter_errors(doc))) >= 2


@pytest.mark.parametrize("errors", [False, True])
def test_sarif_with_findings_and_errors_is_valid(validator: Draft7Validator, errors: bool) -> None:
    doc = json.loads(render_report(sample_result(errors=errors), "sarif", FAKE_RULES))
    assert_valid(validator, doc)


def test_empty_run_is_valid(validator: Draft7Validator) -> None:
    assert_valid(validator, sarif_report(LintResult([], [], 0, 0.0), ()))
    assert_valid(validator, sarif_report(LintResult([], [], 0, 0.0), FAKE_RULES))


def test_sarif_content(validator: Draft7Validator) -> None:
    doc = sarif_report(sample_result(errors=True), FAKE_RULES)
    assert doc["version"] == "2.1.0"
    assert doc["properties"]["schema_version"] == 1
    run = doc["runs"][0]
    driver = run["tool"]["driver"]
    assert driver["name"] == "dbctl"
    rules = {r["id"]: r for r in driver["rules"]}
    dsn = rules["DBC201"]
    assert dsn["name"] == "hardcoded-dsn-password"
    assert dsn["shortDescription"]["text"] == "Flags a database URL literal with a password."
    assert "## Why is this bad?" in dsn["fullDescription"]["text"]
    assert dsn["fullDescription"]["text"].startswith(rule_doc(FakeDsn).split("\n")[0])
    assert urlsplit(dsn["helpUri"]).scheme == "https"
    assert dsn["helpUri"].endswith("#dbc201-hardcoded-dsn-password")
    assert rules["DBC303"]["defaultConfiguration"]["level"] == "warning"

    results = run["results"]
    assert len(results) == 4
    first = results[0]
    assert first["ruleId"] == "DBC201"
    assert driver["rules"][first["ruleIndex"]]["id"] == "DBC201"
    assert first["level"] == "error"
    loc = first["locations"][0]["physicalLocation"]
    assert loc["artifactLocation"]["uri"] == "app/db.py"  # relative, POSIX
    assert loc["region"] == {"startLine": 3, "startColumn": 11, "endLine": 3, "endColumn": 58}
    assert results[1]["level"] == "note"  # info -> note
    # a path with a space is a valid relative URI reference
    assert results[3]["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] == (
        "my%20dir/a%2Cb%3Ac.py"
    )
    assert run["originalUriBaseIds"]["%SRCROOT%"]["uri"].startswith("file:///")
    inv = run["invocations"][0]
    assert inv["executionSuccessful"] is False
    assert inv["toolExecutionNotifications"][0]["message"]["text"] == "symlink loop"


def test_a_finding_of_an_unregistered_code_still_gets_a_rule(validator: Draft7Validator) -> None:
    doc = sarif_report(sample_result(), [FAKE_RULES[0]])
    ids = [r["id"] for r in doc["runs"][0]["tool"]["driver"]["rules"]]
    assert ids == ["DBC000", "DBC201", "DBC202", "DBC303"]
    for res in doc["runs"][0]["results"]:
        assert ids[res["ruleIndex"]] == res["ruleId"]
    assert_valid(validator, doc)


def test_every_registered_rule_is_documented_in_sarif(validator: Draft7Validator) -> None:
    from dbctl.lint.registry import ALL_RULES

    doc = sarif_report(LintResult([], [], 0, 0.0), ALL_RULES)
    assert_valid(validator, doc)
    rules = doc["runs"][0]["tool"]["driver"]["rules"]
    assert [r["id"] for r in rules] == sorted(r.code for r in ALL_RULES)
    for rule, entry in zip(sorted(ALL_RULES, key=lambda r: r.code), rules, strict=True):
        assert entry["name"] == rule.name
        assert entry["fullDescription"]["text"] == rule_doc(rule)
        for section in ("## What it does", "## Why is this bad?", "## Example", "Use instead:"):
            assert section in entry["fullDescription"]["text"], (rule.code, section)
        assert entry["shortDescription"]["text"] and "\n" not in entry["shortDescription"]["text"]
        assert entry["helpUri"].endswith(f"#{rule.code.lower()}-{rule.name}")

"""docs/schemas/: one JSON Schema per machine format, and real outputs validate against them."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import jsonschema
import pytest

ROOT = Path(__file__).resolve().parent.parent
SCHEMAS = ROOT / "docs" / "schemas"
EXAMPLES = ROOT / "examples"


def validator(name: str) -> jsonschema.Draft202012Validator:
    schema = json.loads((SCHEMAS / f"{name}.schema.json").read_text())
    jsonschema.Draft202012Validator.check_schema(schema)
    return jsonschema.Draft202012Validator(schema)


def validate(name: str, result: Any) -> dict[str, Any]:
    data = json.loads(result.stdout)
    errors = [e.message for e in validator(name).iter_errors(data)]
    assert errors == [], (name, errors)
    assert isinstance(data, dict)
    return data


def test_every_schema_is_valid_and_requires_the_envelope() -> None:
    names = sorted(p.name.removesuffix(".schema.json") for p in SCHEMAS.glob("*.schema.json"))
    assert names == [
        "check", "config", "init-db", "lint", "preflight", "prestart", "rules", "seed",
        "users-count",
    ]  # fmt: skip
    for name in names:
        v = validator(name)
        assert not v.is_valid({}), name  # schema_version and tool are required
        assert not v.is_valid({"schema_version": 2, "tool": {"name": "dbctl", "version": "1"}})


def test_outputs_without_a_database_match_their_schemas(cli: Any) -> None:
    validate("config", cli("config", "--format", "json"))
    validate("rules", cli("rules", "--format", "json"))
    lint = cli("lint", str(EXAMPLES / "tutorial_app"), "--format", "json")
    assert lint.exit_code == 1
    assert validate("lint", lint)["findings"]
    refused = cli("check", "--url", "postgresql+asyncpg://u:p@127.0.0.1:1/db", "--format", "json")
    assert refused.exit_code == 3
    assert validate("check", refused)["status"] == "fail"


@pytest.mark.db
def test_database_outputs_match_their_schemas(cli: Any, pg: Any) -> None:
    assert validate("check", cli("check", "--url", pg.url, "--format", "json"))["checks"]
    init = validate("init-db", cli("init-db", "--url", pg.url, "--format", "json"))
    assert init["created"]
    seed = cli("seed", "--url", pg.url, "--fake", "3", "--table", "users", "--format", "json")
    assert validate("seed", seed)["inserted"] == 3
    count = cli("users", "count", "--url", pg.url, "--format", "json")
    assert validate("users-count", count)["count"] == 3
    pre = cli("preflight", str(EXAMPLES / "fixed_app"), "--url", pg.url, "--format", "json")
    validate("preflight", pre)
    validate("prestart", cli("prestart", "--url", pg.url, "--format", "json"))

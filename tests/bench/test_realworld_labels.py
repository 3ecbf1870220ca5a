"""bench/realworld.py's labels file is well-formed and names only pinned applications.

No network: these tests read the script and the labels file, they download nothing.
"""

from __future__ import annotations

import importlib.util
import re
import sys
import tomllib
from pathlib import Path
from types import ModuleType

import pytest

from dbctl.lint.registry import by_code

BENCH = Path(__file__).resolve().parents[2] / "bench"


def _load() -> ModuleType:
    spec = importlib.util.spec_from_file_location("bench_realworld", BENCH / "realworld.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses resolve annotations through sys.modules
    spec.loader.exec_module(module)
    return module


realworld = _load()
RAW = tomllib.loads(realworld.LABELS.read_text(encoding="utf-8"))


def test_pinned_list_is_exact_and_large_enough() -> None:
    apps = realworld.APPS
    assert len(apps) >= 8
    assert len({a.key for a in apps}) == len(apps)
    for app in apps:
        assert re.fullmatch(r"\d+(\.\d+)+", app.version), app  # an exact version, no range
        assert re.fullmatch(r"[0-9a-f]{64}", app.sha256), app
        assert app.filename.endswith(".whl") and f"-{app.version}-" in app.filename, app


def test_labels_file_parses_with_the_scripts_own_validation() -> None:
    labels = realworld.load_labels(realworld.LABELS)
    assert labels.findings, "no finding is labelled"
    assert labels.must_flag, "no must-flag case is labelled"


def test_every_labelled_app_is_pinned_and_every_rule_exists() -> None:
    pinned = {a.key for a in realworld.APPS}
    codes = set(by_code())
    for entry in RAW.get("finding", []):
        assert entry["app"] in pinned, entry
        assert entry["rule"] in codes, entry
        assert entry["verdict"] in ("true", "false"), entry
        assert entry["note"].strip(), entry
    for entry in RAW.get("must_flag", []):
        assert entry["app"] in pinned, entry
        assert set(entry.get("rules", realworld.BLOCKING_RULES)) <= codes, entry
        assert entry["pattern"].strip() and entry["note"].strip(), entry


def test_labels_are_keyed_by_stripped_source_lines() -> None:
    for entry in [*RAW.get("finding", []), *RAW.get("must_flag", [])]:
        assert entry["source"] == realworld.fingerprint(entry["source"]), entry
        assert not entry["path"].startswith(("/", "./")) and "\\" not in entry["path"], entry


def test_fingerprint_ignores_indentation_and_inner_spacing() -> None:
    assert realworld.fingerprint("    x  =\tsession.execute(q)\n") == "x = session.execute(q)"


GOOD = """
[[finding]]
app = "prefect"
path = "prefect/a.py"
rule = "DBC103"
source = "session.commit()"
verdict = "false"
note = "awaited"
"""


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("[[finding]]\napp = ", "not valid TOML"),
        ("[other]\nx = 1\n", "unknown top-level keys"),
        (GOOD.replace('"prefect"', '"nosuchapp"'), "not in the pinned list"),
        (GOOD.replace('"false"', '"maybe"'), "verdict must be"),
        (GOOD.replace('"DBC103"', '"E501"'), "not a DBCnnn code"),
        (GOOD.replace('note = "awaited"', 'note = ""'), "'note' must be a non-empty string"),
        (GOOD + GOOD, "labelled twice"),
        (GOOD.replace("note =", 'line = 3\nnote ='), "unknown keys ['line']"),
        ('[[must_flag]]\napp = "prefect"\npath = "a.py"\nsource = "x"\npattern = "p"\n'
         'note = "n"\nrules = []\n', "'rules' must be a list"),
    ],
)
def test_malformed_labels_are_usage_errors(text: str, message: str) -> None:
    with pytest.raises(realworld.HarnessError, match=re.escape(message)) as caught:
        realworld.parse_labels(text)
    assert caught.value.status == 2


def test_missing_labels_file_exits_2_without_downloading(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert realworld.main(["--labels", str(tmp_path / "absent.toml")]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: cannot read labels file") and err.count("\n") == 1

"""Precision and recall on realistic multi-module mini-projects (100% on both)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.lint.conftest import PROJECTS, expected_findings, run_lint


def _lint_project(name: str, monkeypatch: pytest.MonkeyPatch):
    root = PROJECTS / name
    monkeypatch.chdir(root)
    return run_lint([Path(".")], root)


@pytest.mark.parametrize("name", ["async_ok", "mixed_ok"])
def test_correct_projects_are_clean(name: str, monkeypatch: pytest.MonkeyPatch) -> None:
    result = _lint_project(name, monkeypatch)
    assert result.findings == []
    assert result.errors == []
    assert result.files >= 10


def _expected() -> set[tuple[str, int, str, str]]:
    return expected_findings(PROJECTS / "mistakes" / "expected.txt")


def test_mistakes_project_exact_findings(monkeypatch: pytest.MonkeyPatch) -> None:
    expected = _expected()
    result = _lint_project("mistakes", monkeypatch)
    actual = {(f.path, f.line, f.code, str(f.severity)) for f in result.findings}
    assert actual - expected == set(), "false positives"
    assert expected - actual == set(), "missed findings"
    assert len(expected) >= 25
    assert {c for _, _, c, _ in expected} >= {
        "DBC101",
        "DBC102",
        "DBC103",
        "DBC104",
        "DBC105",
        "DBC106",
        "DBC201",
        "DBC202",
        "DBC203",
        "DBC301",
        "DBC302",
        "DBC303",
        "DBC304",
        "DBC305",
        "DBC306",
    }


def test_mistakes_messages_never_contain_secrets(monkeypatch: pytest.MonkeyPatch) -> None:
    result = _lint_project("mistakes", monkeypatch)
    for secret in ("Sh0pPass", "Migr4te!", "R3ader", "Rep0rts", "T3stPass"):
        assert all(secret not in f.message for f in result.findings)
    assert any("***" in f.message for f in result.findings)


def test_cross_module_call_site_is_reported_where_the_call_is(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    result = _lint_project("mistakes", monkeypatch)
    crud_call = [f for f in result.findings if f.code == "DBC103" and "get_user()" in f.message]
    assert [(f.path, f.line) for f in crud_call] == [("app/api/users.py", 16)]


def test_mistakes_through_the_cli_json(cli, tmp_path: Path) -> None:
    import json
    import shutil

    target = tmp_path / "mistakes"
    shutil.copytree(PROJECTS / "mistakes", target)
    result = cli("lint", "mistakes/app", "mistakes/alembic.ini", "--no-cache", "--format", "json")
    assert result.exit_code == 1
    data = json.loads(result.stdout)
    got = {(f["path"], f["line"], f["code"]) for f in data["findings"]}
    expected = {
        (f"mistakes/{p}", line, code)
        for p, line, code, _ in _expected()
        if not p.startswith("tests/")
    }
    assert got == expected
    assert data["errors"] == []
    assert not (target / ".dbctl_cache").exists()

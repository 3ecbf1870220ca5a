"""The engine as a user sees it: discovery, suppression, configuration, paths, severity."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from dbctl.lint.model import LintConfig, Severity
from tests.conftest import CANARY
from tests.lint.conftest import ALL_CODES, run_lint

SECRET_LINE = 'URL = "postgresql://app:s3cret@db/app"\n'


def codes(result) -> list[tuple[str, int, str]]:
    return [(f.path, f.line, f.code) for f in result.findings]


def test_paths_relative_to_cwd_posix_and_sorted(lint_tree) -> None:
    result = lint_tree(
        {"b.py": SECRET_LINE, "a/z.py": "x = 1\n" + SECRET_LINE, "a/y.py": SECRET_LINE}
    )
    assert codes(result) == [
        ("a/y.py", 1, "DBC201"),
        ("a/z.py", 2, "DBC201"),
        ("b.py", 1, "DBC201"),
    ]
    assert result.files == 3
    f = result.findings[0]
    assert (f.col, f.end_line, f.end_col) == (7, 1, 39)  # end column exclusive
    assert f.name == "hardcoded-dsn-password" and f.category == "credentials"


def test_default_excludes_and_gitignore(lint_tree) -> None:
    files = {
        name: SECRET_LINE
        for name in (
            ".venv/lib/x.py",
            "venv/x.py",
            "node_modules/x.py",
            "build/x.py",
            "dist/x.py",
            "__pycache__/x.py",
            ".git/x.py",
            "site-packages/x.py",
            ".dbctl_cache/x.py",
            "generated/x.py",
            "keep/out.py",
            "keep/in.py",
            "sub/local.py",
            "sub/ok.py",
        )
    }
    files[".gitignore"] = "generated/\nkeep/out.py\n"
    files["sub/.gitignore"] = "local.py\n"
    result = lint_tree(files)
    assert [p for p, _, _ in codes(result)] == ["keep/in.py", "sub/ok.py"]


def test_config_exclude_patterns(lint_tree) -> None:
    result = lint_tree(
        {"app/a.py": SECRET_LINE, "legacy/b.py": SECRET_LINE, "c_pb2.py": SECRET_LINE},
        exclude=("legacy/", "*_pb2.py"),
    )
    assert [p for p, _, _ in codes(result)] == ["app/a.py"]


def test_explicit_file_always_linted(lint_tree, tmp_path: Path) -> None:
    lint_tree({".gitignore": "ignored.py\n", "ignored.py": SECRET_LINE, "script": SECRET_LINE})
    config = LintConfig(enabled=ALL_CODES, root=tmp_path, use_cache=False, exclude=("ignored.py",))
    from dbctl.lint.engine import lint_paths

    result = lint_paths([Path("ignored.py"), Path("script")], config)
    assert [p for p, _, _ in codes(result)] == ["ignored.py", "script"]


def test_paths_relative_to_cwd_when_linting_a_subdirectory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "proj" / "pkg").mkdir(parents=True)
    (tmp_path / "proj" / "pkg" / "m.py").write_text(SECRET_LINE)
    monkeypatch.chdir(tmp_path)
    result = run_lint([Path("proj")], tmp_path / "proj")
    assert codes(result) == [("proj/pkg/m.py", 1, "DBC201")]


@pytest.mark.parametrize(
    ("comment", "suppressed"),
    [
        ("  # dbctl: ignore[DBC201]", True),
        ("  # dbctl: ignore[DBC303, DBC201]", True),
        ("  # noqa: DBC201", True),
        ("  # noqa: E501,DBC201", True),
        ("  # NOQA:DBC201", True),
        ("  # dbctl: ignore", True),
        ("  # noqa", False),
        ("  # noqa: E501", False),
        ("  # dbctl: ignore[DBC202]", False),
    ],
)
def test_inline_suppression(lint_tree, comment: str, suppressed: bool) -> None:
    result = lint_tree({"m.py": SECRET_LINE.rstrip("\n") + comment + "\n"})
    assert (result.findings == []) is suppressed


def test_suppression_on_last_line_of_multiline_finding(lint_tree) -> None:
    src = 'URL = (\n    "postgresql://app:s3cret@db/app"  # dbctl: ignore[DBC201]\n)\n'
    assert lint_tree({"m.py": src}).findings == []


def test_ignore_file(lint_tree) -> None:
    src = "# dbctl: ignore-file[DBC201]\n" + SECRET_LINE + "from sqlalchemy import create_engine\n"
    src += "e = create_engine(URL, echo=True)\n"
    result = lint_tree({"m.py": src})
    assert [c for _, _, c in codes(result)] == ["DBC303"]


def test_enabled_and_per_file_ignores(lint_tree) -> None:
    src = SECRET_LINE + "from sqlalchemy import create_engine\ne = create_engine(URL, echo=True)\n"
    files = {"app/m.py": src, "scripts/s.py": src}
    result = lint_tree(
        files,
        enabled=frozenset({"DBC201", "DBC303"}),
        per_file_ignores=(("scripts/*", frozenset({"DBC303"})),),
    )
    assert codes(result) == [
        ("app/m.py", 1, "DBC201"),
        ("app/m.py", 3, "DBC303"),
        ("scripts/s.py", 1, "DBC201"),
    ]
    only = lint_tree({}, enabled=frozenset({"DBC303"}))
    assert {c for _, _, c in codes(only)} == {"DBC303"}


def test_findings_in_tests_are_info(lint_tree) -> None:
    result = lint_tree(
        {
            "tests/test_db.py": SECRET_LINE,
            "app/conftest.py": SECRET_LINE,
            "app/db_test.py": SECRET_LINE,
            "app/db.py": SECRET_LINE,
        }
    )
    sev = {f.path: f.severity for f in result.findings}
    assert sev == {
        "tests/test_db.py": Severity.info,
        "app/conftest.py": Severity.info,
        "app/db_test.py": Severity.info,
        "app/db.py": Severity.error,
    }


def test_canary_password_never_in_any_message(lint_tree) -> None:
    src = f'''import os
import asyncpg
from pydantic_settings import BaseSettings
from sqlalchemy import URL
from sqlalchemy.ext.asyncio import create_async_engine

engine = create_async_engine("postgresql://app:{CANARY}@db/app")
f = f"postgresql+asyncpg://app:{CANARY}@{{host}}/app"
u = URL.create("postgresql+asyncpg", password="{CANARY}")
pw = os.getenv("DB_PASSWORD", "{CANARY}")


class Settings(BaseSettings):
    db_password: str = "{CANARY}"
    url: str = "postgresql://app:{CANARY}@db/app"


async def c():
    return await asyncpg.connect(password="{CANARY}")
'''
    ini = f"[alembic]\nsqlalchemy.url = postgresql://app:{CANARY}@db/app\n"
    result = lint_tree({"app.py": src, "alembic.ini": ini})
    got = sorted({c for _, _, c in codes(result)})
    assert got == ["DBC104", "DBC201", "DBC202", "DBC203"]
    assert len(result.findings) == 9
    for f in result.findings:
        assert CANARY not in f.message and CANARY not in repr(f)
        assert CANARY[:6] not in f.message


def test_never_imports_or_executes_linted_code(lint_tree, tmp_path: Path) -> None:
    marker = tmp_path / "executed"
    src = f"open({str(marker)!r}, 'w').write('x')\nimport sys\nsys.exit(3)\n"
    result = lint_tree({"evil.py": src, "pkg/__init__.py": src})
    assert not marker.exists()
    assert result.findings == [] and result.errors == []


def test_alembic_env_and_scripts_are_legitimate_sync_users(lint_tree) -> None:
    env = """from alembic import context
from sqlalchemy import engine_from_config, pool


async def run_async():
    connectable = engine_from_config({}, prefix="sqlalchemy.", poolclass=pool.NullPool)
    with connectable.connect() as connection:
        connection.execute("select 1")
"""
    assert lint_tree({"migrations/env.py": env}).findings == []


def test_cwd_unchanged_and_cache_dir_not_created_without_cache(lint_tree, tmp_path: Path) -> None:
    before = os.getcwd()
    lint_tree({"m.py": "x = 1\n"})
    assert os.getcwd() == before
    assert not (tmp_path / ".dbctl_cache").exists()


def test_engine_imports_no_database_library_nor_pydantic(tmp_path: Path) -> None:
    import subprocess
    import sys

    (tmp_path / "m.py").write_text(SECRET_LINE)
    code = (
        "import sys; from pathlib import Path\n"
        "from dbctl.lint.engine import lint_paths\n"
        "from dbctl.lint.model import LintConfig\n"
        "from dbctl.lint.registry import by_code\n"
        "r = lint_paths([Path('.')], LintConfig(enabled=frozenset(by_code()), use_cache=False))\n"
        "assert len(r.findings) == 1, r\n"
        "bad = [m for m in ('sqlalchemy', 'asyncpg', 'pydantic', 'rich', 'fastapi') "
        "if m in sys.modules]\n"
        "print(bad)\n"
    )
    proc = subprocess.run(
        [sys.executable, "-c", code], cwd=tmp_path, capture_output=True, text=True, check=False
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == "[]"


def test_alembic_ini_variants(lint_tree) -> None:
    ini = """[alembic]
script_location = migrations
# sqlalchemy.url = postgresql://app:commented@db/app
sqlalchemy.url = driver://user:pass@localhost/dbname

[dev]
sqlalchemy.url = postgresql://app:%%(DB_PASSWORD)s@db/app

[prod]
sqlalchemy.url = postgresql+psycopg2://app:Pr0dPass@db/app
"""
    result = lint_tree({"alembic.ini": ini, "other.ini": ini, "sub/alembic.ini": ini})
    assert found_codes(result) == [("alembic.ini", 10, "DBC201"), ("sub/alembic.ini", 10, "DBC201")]
    f = result.findings[0]
    assert "Pr0dPass" not in f.message and "app:***@db/app" in f.message
    assert f.col == 18


def found_codes(result) -> list[tuple[str, int, str]]:
    return [(f.path, f.line, f.code) for f in result.findings]


def test_overlapping_paths_are_linted_once(lint_tree, tmp_path: Path) -> None:
    lint_tree({"pkg/m.py": SECRET_LINE})
    result = run_lint([Path("pkg"), Path("pkg/m.py"), Path("."), tmp_path / "pkg"], tmp_path)
    assert found_codes(result) == [("pkg/m.py", 1, "DBC201")]
    assert result.files == 1

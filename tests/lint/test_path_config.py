"""Per-path configuration: each file uses the nearest pyproject.toml with
[tool.dbctl.lint] above it; --config FILE overrides discovery; explicit non-Python files
are skipped with a one-line note."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from tests.lint.gitrepo import SECRET, write

ECHO = (
    "from sqlalchemy.ext.asyncio import create_async_engine\n"
    'engine = create_async_engine("postgresql+asyncpg://app@db/app", echo=True)\n'
)


def _found(cli: Any, *args: str) -> set[tuple[str, str]]:
    res = cli("lint", "--no-cache", "--format", "json", *args)
    assert res.exit_code in (0, 1), res.stderr
    return {(f["path"], f["code"]) for f in json.loads(res.stdout)["findings"]}


def test_lint_proj_from_the_parent_honours_proj_pyproject(cli: Any, tmp_path: Path) -> None:
    write(tmp_path, {
        "proj/pyproject.toml": '[tool.dbctl.lint]\nignore = ["DBC201"]\nexclude = ["gen/"]\n',
        "proj/app/db.py": SECRET + ECHO,
        "proj/gen/out.py": SECRET,
        "other/db.py": SECRET,
    })
    assert _found(cli, "proj", "other") == {
        ("proj/app/db.py", "DBC303"),
        ("other/db.py", "DBC201"),
    }
    # the same from inside the project
    assert _found(cli, str(tmp_path / "proj")) == {("proj/app/db.py", "DBC303")}


def test_nearest_table_wins_and_a_pyproject_without_it_is_passed_over(
    cli: Any, tmp_path: Path
) -> None:
    write(tmp_path, {
        "repo/pyproject.toml": '[tool.dbctl.lint]\nselect = ["DBC201"]\n',
        "repo/svc/pyproject.toml": '[project]\nname = "svc"\n',  # no dbctl table
        "repo/svc/db.py": SECRET + ECHO,
        "repo/legacy/pyproject.toml": '[tool.dbctl.lint]\nselect = ["DBC303"]\n'
        '[tool.dbctl.lint.per-file-ignores]\n"old/*.py" = ["DBC303"]\n',
        "repo/legacy/db.py": SECRET + ECHO,
        "repo/legacy/old/db.py": ECHO,
    })
    assert _found(cli, "repo") == {
        ("repo/svc/db.py", "DBC201"),
        ("repo/legacy/db.py", "DBC303"),
    }


def test_config_file_overrides_discovery(cli: Any, tmp_path: Path) -> None:
    write(tmp_path, {
        "proj/pyproject.toml": '[tool.dbctl.lint]\nignore = ["DBC201"]\n',
        "proj/db.py": SECRET + ECHO,
        "ci/lint.toml": '[tool.dbctl.lint]\nselect = ["DBC201"]\n',
    })
    assert _found(cli, "proj", "--config", "ci/lint.toml") == {("proj/db.py", "DBC201")}
    missing = cli("lint", "proj", "--config", "nope.toml")
    assert missing.exit_code == 2 and "nope.toml" in missing.stderr
    (tmp_path / "ci" / "empty.toml").write_text("[tool.other]\n")
    empty = cli("lint", "proj", "--config", "ci/empty.toml")
    assert empty.exit_code == 2 and "no [tool.dbctl.lint] table" in empty.stderr


def test_max_file_size_is_configurable(cli: Any, tmp_path: Path) -> None:
    write(tmp_path, {
        "pyproject.toml": '[tool.dbctl.lint]\nmax-file-size = "1kB"\n',
        "small.py": SECRET,
        "big.py": SECRET + "# padding\n" * 200,
    })
    res = cli("lint", "--no-cache")
    assert res.exit_code == 1
    assert "small.py:1:" in res.stdout and "big.py" not in res.stdout
    assert "note: big.py: skipped: 2.0 kB is over the max-file-size of 1.0 kB" in res.stderr
    (tmp_path / "pyproject.toml").write_text('[tool.dbctl.lint]\nmax-file-size = "lots"\n')
    bad = cli("lint", "--no-cache")
    assert bad.exit_code == 2 and "max-file-size" in bad.stderr


def test_explicit_non_python_files_are_skipped_with_a_note(cli: Any, tmp_path: Path) -> None:
    write(tmp_path, {
        ".env": "DATABASE_URL=postgresql://app:s3cret@db/app\n",
        "docker-compose.yml": "services:\n  db:\n    image: postgres\n",
        "Dockerfile": "FROM python:3.12\nRUN pip install dbctl\n",
        "manage": "#!/usr/bin/env python\n" + SECRET,
        "alembic.ini": "[alembic]\nsqlalchemy.url = postgresql://app:s3cret@db/app\n",
    })
    res = cli("lint", "--no-cache", ".env", "docker-compose.yml", "Dockerfile")
    assert res.exit_code == 0, res.stdout + res.stderr
    assert "DBC000" not in res.stdout
    notes = [line for line in res.stderr.splitlines() if line.startswith("note:")]
    assert notes == [
        f"note: {name}: skipped: not a Python file (dbctl lints .py files and alembic.ini)"
        for name in (".env", "docker-compose.yml", "Dockerfile")
    ]
    assert "s3cret" not in res.stdout + res.stderr
    # a python script without an extension and alembic.ini stay supported
    both = cli("lint", "--no-cache", "manage", "alembic.ini", ".env")
    assert both.exit_code == 1
    assert {line.split(":")[0] for line in both.stdout.splitlines()} == {"manage", "alembic.ini"}

"""The data commands keep `dbctl --help` light: no SQLAlchemy / asyncpg at import time."""

from __future__ import annotations

import subprocess
import sys

import pytest

CODE = """
import sys
sys.argv = ["dbctl", *sys.argv[1:]]
from dbctl.cli import main
try:
    main()
except SystemExit:
    pass
heavy = sorted(m for m in ("sqlalchemy", "asyncpg", "faker") if m in sys.modules)
print("HEAVY:" + ",".join(heavy), file=sys.stderr)
"""


@pytest.mark.parametrize(
    "args", [["--help"], ["init-db", "--help"], ["seed", "--help"], ["users", "list", "--help"]]
)
def test_help_does_not_import_database_libraries(args: list[str]) -> None:
    proc = subprocess.run(
        [sys.executable, "-c", CODE, *args], capture_output=True, text=True, check=False
    )
    assert "HEAVY:\n" in proc.stderr, proc.stderr
    assert "Usage" in proc.stdout


def test_help_shows_the_defaults(cli: object) -> None:
    result = cli("users", "list", "--help", env={"COLUMNS": "200"})  # type: ignore[operator]
    text = " ".join(result.stdout.split())  # the help formatter wraps at its own width
    assert "Sort column (default: the primary key)." in text
    assert "The table, TABLE or SCHEMA.TABLE (default: setting users_table, users)." in text

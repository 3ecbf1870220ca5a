"""`dbctl lint` and `dbctl rules` never import SQLAlchemy or asyncpg (nor the code they read)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

PROBE = """
import sys
sys.argv = ["dbctl", *{args!r}]
from dbctl.cli import main
try:
    main()
except SystemExit:
    pass
heavy = sorted(m for m in sys.modules if m.split(".")[0] in {{"sqlalchemy", "asyncpg", "app"}})
print("HEAVY:" + ",".join(heavy), file=sys.stderr)
"""


def _heavy_modules(cwd: Path, *args: str) -> str:
    res = subprocess.run(
        [sys.executable, "-c", PROBE.format(args=list(args))],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        cwd=cwd,
    )
    line = [ln for ln in res.stderr.splitlines() if ln.startswith("HEAVY:")]
    assert line, res.stderr
    return line[-1].removeprefix("HEAVY:")


def test_lint_help_rules_and_lint_itself_import_no_database_library(tmp_path: Path) -> None:
    app = tmp_path / "app"
    app.mkdir()
    (app / "__init__.py").write_text("")
    (app / "db.py").write_text(
        "from sqlalchemy.ext.asyncio import create_async_engine\n"
        "import asyncpg\n"
        "engine = create_async_engine('postgresql+asyncpg://app@db/app')\n"
    )
    assert _heavy_modules(tmp_path, "lint", "--help") == ""
    assert _heavy_modules(tmp_path, "rules") == ""
    assert _heavy_modules(tmp_path, "lint", "app", "--no-cache") == ""
    assert _heavy_modules(tmp_path, "lint", "app", "--no-cache", "--format", "sarif") == ""

"""The README's `dbctl lint` example is real output: rebuild its project and compare."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]

DB_PY = """\
from fastapi import FastAPI
from sqlalchemy.ext.asyncio import AsyncSession, create_async_engine
from sqlalchemy.orm import sessionmaker

engine = create_async_engine("postgresql+asyncpg://app:s3cret@db/app", echo=True)
SessionLocal = sessionmaker(engine, class_=AsyncSession, expire_on_commit=False)
app = FastAPI()


@app.on_event("startup")
async def startup() -> None: ...
"""
ALEMBIC_INI = """\
[alembic]
script_location = migrations
sqlalchemy.url = postgresql://app:s3cret@db/app
"""


def readme_example() -> list[str]:
    section = (ROOT / "README.md").read_text(encoding="utf-8").split("### `dbctl lint`", 1)[1]
    match = re.search(r"```console\n\$ dbctl lint app\n(.+?)\n```", section, re.DOTALL)
    assert match, "README lint section has no `$ dbctl lint app` example"
    return match.group(1).splitlines()


def test_readme_lint_example_is_what_dbctl_prints(cli: Any, tmp_path: Path) -> None:
    (tmp_path / "app").mkdir()
    (tmp_path / "app" / "db.py").write_text(DB_PY)
    (tmp_path / "app" / "alembic.ini").write_text(ALEMBIC_INI)
    res = cli("lint", "app", "--no-cache")
    assert res.exit_code == 1
    assert res.stdout.splitlines() + res.stderr.splitlines() == readme_example()


def test_readme_json_example_has_the_shape_of_the_real_report() -> None:
    import json

    from dbctl.output.lint import json_report
    from tests.lint.ux_support import sample_result

    section = (ROOT / "README.md").read_text(encoding="utf-8").split("### `dbctl lint`", 1)[1]
    match = re.search(r"```json\n(.+?)\n```", section, re.DOTALL)
    assert match
    documented = json.loads(match.group(1))
    real = json_report(sample_result(errors=True))
    assert list(documented) == list(real)
    assert list(documented["findings"][0]) == list(real["findings"][0])
    assert list(documented["errors"][0]) == list(real["errors"][0])
    assert list(documented["summary"]) == list(real["summary"])

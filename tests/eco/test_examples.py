"""The example apps import and run: under uvicorn, against a real database, through HTTP."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.eco.conftest import EXAMPLES, clean_env, uvicorn_app

pytestmark = [pytest.mark.db, pytest.mark.slow]


def test_fixed_app_creates_its_table_and_serves_users(pg: Any, tmp_path: Path) -> None:
    env = clean_env(DATABASE_URL=pg.url)
    with uvicorn_app(EXAMPLES / "fixed_app", "app.main:app", env=env, cwd=tmp_path) as served:
        # the lifespan created the table: same shape as dbctl's reference model
        columns = pg.sql(
            "SELECT column_name, data_type FROM information_schema.columns "
            "WHERE table_name = 'users' ORDER BY ordinal_position"
        )
        assert [(r[0], r[1]) for r in columns] == [
            ("id", "integer"),
            ("name", "character varying"),
        ]
        indexes = pg.sql("SELECT indexdef FROM pg_indexes WHERE tablename = 'users'")
        assert any("(name)" in r[0] for r in indexes)

        created = []
        for name in ("Ada Lovelace", "Grace Hopper"):
            response = httpx.post(f"{served.base_url}/users/", json={"name": name}, timeout=10)
            assert response.status_code == 201, response.text
            created.append(response.json())
        assert [u["name"] for u in created] == ["Ada Lovelace", "Grace Hopper"]
        assert all(isinstance(u["id"], int) for u in created)

        listed = httpx.get(f"{served.base_url}/users/", timeout=10)
        assert listed.status_code == 200
        assert listed.json() == created

        bad = httpx.post(f"{served.base_url}/users/", json={"name": ""}, timeout=10)
        assert bad.status_code == 422
    assert [r[0] for r in pg.sql("SELECT name FROM users ORDER BY id")] == [
        "Ada Lovelace",
        "Grace Hopper",
    ]
    # the password never reaches the app's log
    assert pg.password not in served.log.read_text()


def test_fixed_app_without_database_url_refuses_to_start(tmp_path: Path) -> None:
    import subprocess
    import sys

    proc = subprocess.run(
        [sys.executable, "-c", "from app.main import app, lifespan; import asyncio;"
         "asyncio.run(lifespan(app).__aenter__())"],
        cwd=EXAMPLES / "fixed_app",
        env=clean_env(),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert proc.returncode != 0
    assert "database_url" in proc.stderr.lower()


def test_tutorial_app_runs_too(pg: Any, tmp_path: Path) -> None:
    env = clean_env(DATABASE_URL=pg.url)
    with uvicorn_app(EXAMPLES / "tutorial_app", "main:app", env=env, cwd=tmp_path) as served:
        response = httpx.post(f"{served.base_url}/users/", json={"name": "Linus"}, timeout=10)
        assert response.status_code == 200, response.text
        listed = httpx.get(f"{served.base_url}/users/", timeout=10).json()
        assert [u["name"] for u in listed] == ["Linus"]
    # echo=True: the tutorial app logs its SQL (one of its pitfalls)
    assert "INSERT INTO users" in served.log.read_text()

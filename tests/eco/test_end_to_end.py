"""End to end, as a real client would (issue 5 item 5).

A fresh database on the sandbox server → ``dbctl init-db`` with the fixed app's models
(real CLI, subprocess) → the fixed app under uvicorn on 127.0.0.1 → users created through
its HTTP API with httpx → ``dbctl users list --format json`` shows them → ``dbctl
preflight examples/fixed_app`` passes against that database. The whole run
uses a role whose password is the CANARY, which must appear in no output.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.conftest import CANARY
from tests.eco.conftest import EXAMPLES, clean_env, uvicorn_app

pytestmark = [pytest.mark.db, pytest.mark.slow]

FIXED = EXAMPLES / "fixed_app"


def dbctl(*args: str, env: dict[str, str], cwd: Path) -> subprocess.CompletedProcess[str]:
    exe = Path(sys.executable).with_name("dbctl")
    proc = subprocess.run(
        [str(exe), *args], env=env, cwd=cwd, capture_output=True, text=True, timeout=120
    )
    assert CANARY not in proc.stdout + proc.stderr
    return proc


def test_init_db_app_http_users_list(
    pg: Any, canary_role: tuple[str, str], tmp_path: Path
) -> None:
    role, password = canary_role
    env = clean_env(DATABASE_URL=pg.url_for(role, password))
    models = ["--app-dir", str(FIXED), "--models", "app.models:Base"]

    # 1. dbctl creates the app's tables from its models
    first = dbctl("init-db", *models, "--format", "json", env=env, cwd=tmp_path)
    assert first.returncode == 0, first.stderr
    report = json.loads(first.stdout)
    assert report["schema_version"] == 1
    assert [t.split(".")[-1] for t in report["created"]] == ["users"]
    assert report["skipped"] == [] and not report["drift"]
    tables = pg.sql(
        "SELECT tableowner FROM pg_tables WHERE schemaname = 'public' AND tablename = 'users'"
    )
    assert [r[0] for r in tables] == [role]
    # ... and a second run changes nothing
    second = dbctl("init-db", *models, "--format", "json", env=env, cwd=tmp_path)
    assert second.returncode == 0, second.stderr
    again = json.loads(second.stdout)
    assert again["created"] == [] and not again["drift"]
    assert [t.split(".")[-1] for t in again["skipped"]] == ["users"]

    # 2. the app starts on that database (its lifespan's create_all is then a no-op)
    with uvicorn_app(FIXED, "app.main:app", env=env, cwd=tmp_path) as served:
        names = ["Ada Lovelace", "Grace Hopper", "Edsger Dijkstra"]
        created = []
        for name in names:
            response = httpx.post(f"{served.base_url}/users/", json={"name": name}, timeout=10)
            assert response.status_code == 201, response.text
            created.append(response.json())
        over_http = httpx.get(f"{served.base_url}/users/", timeout=10).json()
        assert over_http == created
    assert CANARY not in served.log.read_text()

    # 3. dbctl sees what the app wrote
    listed = dbctl("users", "list", "--format", "json", env=env, cwd=tmp_path)
    assert listed.returncode == 0, listed.stderr
    rows = json.loads(listed.stdout)
    assert [{"id": r["id"], "name": r["name"]} for r in rows] == created
    count = dbctl("users", "count", "--format", "json", env=env, cwd=tmp_path)
    assert count.returncode == 0, count.stderr
    assert json.loads(count.stdout)["count"] == 3

    # 4. the CI step: the fixed app's code is clean, its database usable and its schema
    #    matches the models
    pre = dbctl(
        "preflight", str(FIXED), "--models", "app.models:Base", "--format", "json",
        env={**env, "DBCTL_APP_DIR": str(FIXED)}, cwd=tmp_path,
    )
    assert pre.returncode == 0, pre.stdout + pre.stderr
    verdict = json.loads(pre.stdout)
    assert verdict["exit_code"] == 0 and verdict["lint"]["findings"] == []
    assert verdict["lint"]["summary"]["files"] >= 3
    rows = {c["id"]: c for c in verdict["check"]["checks"]}
    assert rows["auth"]["status"] == "pass"
    assert rows["schema"]["status"] == "pass", rows["schema"]

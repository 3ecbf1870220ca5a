"""seed with the app's models (Python-side defaults), cyclic foreign keys, and database
errors that keep PostgreSQL's DETAIL and name the row."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from tests.data.conftest import scalar
from tests.data.real_models import APP, SQLMODEL

pytestmark = pytest.mark.db


def test_seed_models_fills_default_factory_uuid(
    cli: Any, pg: Any, tmp_path: Path, write_models: Any
) -> None:
    spec = write_models(SQLMODEL)
    assert cli("init-db", "--url", pg.url, "--models", spec).exit_code == 0
    (tmp_path / "heroes.json").write_text(
        json.dumps(
            {
                "squads": [{"name": "avengers"}],
                "heroes": [
                    {"name": "Deadpond", "secret_name": "Dive Wilson"},
                    {"name": "Spider-Boy", "secret_name": "Pedro", "age": 16},
                ],
            }
        )
    )
    without = cli("seed", "heroes.json", "--url", pg.url)
    assert without.exit_code == 1
    assert "row 1, column 'id'" in without.stderr and "--models" in without.stderr
    assert scalar(pg, "SELECT count(*) FROM heroes") == 0

    ok = cli("seed", "heroes.json", "--url", pg.url, "--models", spec, "--format", "json")
    assert ok.exit_code == 0, ok.stderr
    assert json.loads(ok.stdout)["inserted"] == 3
    rows = pg.sql("SELECT id::text, created_at FROM heroes ORDER BY name")
    assert len({r[0] for r in rows}) == 2 and all(len(r[0]) == 36 for r in rows)
    assert all(r[1] is not None for r in rows)
    assert scalar(pg, "SELECT count(*) FROM squads WHERE id IS NOT NULL") == 1


def test_a_cyclic_seed_file_loads(cli: Any, pg: Any, tmp_path: Path, write_models: Any) -> None:
    spec = write_models(APP)
    assert cli("init-db", "--url", pg.url, "--models", spec).exit_code == 0
    seed = {
        "teams": [{"id": 1, "name": "red", "captain_id": 2}, {"id": 2, "name": "blue"}],
        "members": [
            {"id": 1, "team_id": 1, "user_id": 1},
            {"id": 2, "team_id": 1, "user_id": 1},
        ],
        "users": [{"id": 1, "email": "a@x.org", "handle": "a", "hashed_password": "h"}],
    }
    (tmp_path / "cycle.json").write_text(json.dumps(seed))
    first = cli("seed", "cycle.json", "--url", pg.url, "--format", "json")
    assert first.exit_code == 0, first.stderr
    assert json.loads(first.stdout)["inserted"] == 5
    assert pg.sql("SELECT id, captain_id FROM teams ORDER BY id") == [(1, 2), (2, None)]
    # a re-run inserts nothing and leaves existing rows as they are
    pg.sql("UPDATE teams SET captain_id = 1 WHERE id = 1")
    again = cli("seed", "cycle.json", "--url", pg.url, "--format", "json")
    assert again.exit_code == 0, again.stderr
    assert json.loads(again.stdout)["inserted"] == 0
    assert scalar(pg, "SELECT captain_id FROM teams WHERE id = 1") == 1

    # an inconsistent cycle: the error names the row and keeps the DETAIL
    seed["teams"] = [{"id": 3, "name": "green", "captain_id": 42}]
    seed["members"] = []
    (tmp_path / "bad.json").write_text(json.dumps(seed))
    bad = cli("seed", "bad.json", "--url", pg.url)
    assert bad.exit_code == 1
    assert "table teams, row 1, column 'captain_id'" in bad.stderr
    assert 'Key (captain_id)=(42) is not present in table "members"' in bad.stderr
    assert scalar(pg, "SELECT count(*) FROM teams") == 2


def test_fk_error_shows_detail_and_row(cli: Any, pg: Any, tmp_path: Path) -> None:
    pg.sql(
        "CREATE TABLE users (id int PRIMARY KEY)",
        "CREATE TABLE projects (id int PRIMARY KEY, owner_id int REFERENCES users(id))",
    )
    rows = [{"id": 1, "owner_id": 1}, {"id": 2, "owner_id": 42}, {"id": 3, "owner_id": 1}]
    (tmp_path / "seed.json").write_text(json.dumps({"users": [{"id": 1}], "projects": rows}))
    r = cli("seed", "seed.json", "--url", pg.url)
    assert r.exit_code == 1
    assert "seed.json: table projects, row 2, column 'owner_id'" in r.stderr
    assert 'DETAIL: Key (owner_id)=(42) is not present in table "users"' in r.stderr
    assert "nothing was inserted" in r.stderr
    assert scalar(pg, "SELECT count(*) FROM users") == 0

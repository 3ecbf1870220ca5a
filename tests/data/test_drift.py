"""Drift between real-app models and the database (``check --models``): Alembic's
comparison when installed, the catalog comparison otherwise; severities."""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.data.real_models import APP

pytestmark = pytest.mark.db


def _schema_row(cli: Any, pg: Any, spec: str) -> tuple[int, dict[str, Any]]:
    result = cli("check", "--url", pg.url, "--models", spec, "--format", "json")
    assert "Traceback" not in result.all and "internal error" not in result.all
    row = next(c for c in json.loads(result.stdout)["checks"] if c["id"] == "schema")
    return result.exit_code, row


@pytest.fixture
def app_db(cli: Any, pg: Any, write_models: Any) -> str:
    spec = write_models(APP)
    assert cli("init-db", "--url", pg.url, "--models", spec).exit_code == 0
    return str(spec)


# (model change, expected status, expected message)
CHANGES = [
    (
        (
            "    deleted_at: Mapped[datetime | None]\n",
            "    deleted_at: Mapped[datetime | None]\n    nickname: Mapped[str | None]\n",
        ),
        "fail",
        "public.users: column nickname is in the model but not in the database",
    ),
    (
        (
            "handle: Mapped[str] = mapped_column(String(60))",
            "handle: Mapped[str] = mapped_column(Text)",
        ),
        "warn",
        "column handle is VARCHAR(60) in the database, TEXT in the model",
    ),
    (
        ("age: Mapped[int | None] = mapped_column(", "age: Mapped[int] = mapped_column("),
        "warn",
        "column age is nullable in the database, NOT NULL in the model",
    ),
    (
        ('    banned = "banned"\n', '    banned = "banned"\n    pending = "pending"\n'),
        "warn",
        "enum status lacks 'pending'",
    ),
    (
        (
            "created_at: Mapped[datetime] = mapped_column(server_default=func.now())",
            "created_at: Mapped[datetime] = mapped_column(server_default=func.now(), index=True)",
        ),
        "warn",
        "index ix_users_created_at (created_at) is in the model but not in the database",
    ),
]


@pytest.mark.parametrize(("change", "status", "message"), CHANGES)
def test_model_changes_are_detected_with_their_severity(
    cli: Any,
    pg: Any,
    write_models: Any,
    app_db: str,
    change: tuple[str, str],
    status: str,
    message: str,
) -> None:
    code, row = _schema_row(cli, pg, app_db)
    assert row["status"] == "pass", row
    assert row["data"]["compared_by"] == "alembic"
    old, new = change
    assert old in APP
    changed = write_models(APP.replace(old, new))
    code, row = _schema_row(cli, pg, changed)
    assert row["status"] == status, row
    assert row["code"] == "schema.drift"
    assert message in row["summary"], row["summary"]
    assert code == (1 if status == "fail" else 0)


def test_extra_database_columns_and_tables(cli: Any, pg: Any, app_db: str) -> None:
    pg.sql("ALTER TABLE users ADD COLUMN note text", "CREATE TABLE audit (id int)")
    code, row = _schema_row(cli, pg, app_db)
    assert (code, row["status"]) == (0, "warn"), row
    assert "column note is in the database but not in the model" in row["summary"]
    assert "public.audit: table is in the database but not in the models" in row["summary"]
    pg.sql("ALTER TABLE users ADD COLUMN tenant int NOT NULL DEFAULT 1")
    assert _schema_row(cli, pg, app_db)[1]["status"] == "warn"
    pg.sql("ALTER TABLE users ADD COLUMN required int NOT NULL")
    code, row = _schema_row(cli, pg, app_db)
    assert (code, row["status"]) == (1, "fail"), row
    assert "column required is in the database but not in the model (NOT NULL" in row["summary"]


def test_missing_table_fails(cli: Any, pg: Any, app_db: str) -> None:
    pg.sql("DROP TABLE members CASCADE")
    code, row = _schema_row(cli, pg, app_db)
    assert (code, row["status"], row["code"]) == (1, "fail", "schema.missing_tables")
    assert row["data"]["missing"] == ["public.members"]


def test_without_alembic_the_catalog_comparison_still_fails_a_missing_column(
    cli: Any, pg: Any, write_models: Any, app_db: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("dbctl.core.schema_check.alembic_available", lambda: False)
    changed = write_models(APP.replace(*CHANGES[0][0]))
    code, row = _schema_row(cli, pg, changed)
    assert row["data"]["compared_by"] == "catalog"
    assert (code, row["status"]) == (1, "fail"), row
    assert "column nickname is in the model but not in the database" in row["summary"]
    enum = write_models(APP.replace(*CHANGES[3][0]))
    code, row = _schema_row(cli, pg, enum)
    assert (code, row["status"]) == (0, "warn"), row
    assert "enum status lacks 'pending'" in row["summary"]

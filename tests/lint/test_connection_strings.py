"""DBC201 on libpq key/value and ODBC strings, and every secret-bearing part of a URL
masked in every output format (canary password)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from dbctl.lint.secrets import keyvalue_secret, mask_secrets_in_text, mask_url_text, url_secrets
from tests.conftest import CANARY

SOURCE = f"""\
import psycopg
import pyodbc

A = "postgresql://app@db/app?sslmode=require&password={CANARY}"
B = "postgresql+asyncpg://app:{CANARY}@db/app?sslpassword={CANARY}&passfile=/run/pgpass"
conn = psycopg.connect("host=db dbname=app user=app password={CANARY}")
odbc = pyodbc.connect("Driver={{ODBC Driver 18}};Server=db;UID=sa;PWD={CANARY};")
DSN = "host=db user=app password='{CANARY} with space'"
CONNECTION_STRING = "Server=db;Database=app;User Id=sa;Password={{{CANARY};x}};"
"""


@pytest.mark.parametrize("fmt", ["text", "json", "sarif", "github"])
def test_every_secret_is_flagged_and_masked_in_every_format(
    cli: Any, tmp_path: Path, fmt: str
) -> None:
    (tmp_path / "db.py").write_text(SOURCE)
    res = cli("lint", "--no-cache", "--format", fmt)
    assert res.exit_code == 1
    assert CANARY not in res.stdout + res.stderr
    assert CANARY[:8] not in res.stdout + res.stderr
    assert res.stdout.count("DBC201") >= 6
    assert "***" in res.stdout


def test_masking_shows_the_structure_not_the_secret() -> None:
    url = f"postgresql://app:{CANARY}@db/app?sslpassword={CANARY}&sslmode=require"
    assert mask_url_text(url) == (
        "postgresql://app:***@db/app?sslpassword=***&sslmode=require"
    )
    [secret] = url_secrets(f"postgresql://app@db/app?password={CANARY}")
    assert secret.masked == "postgresql://app@db/app?password=***"
    kv = keyvalue_secret(f"host=db password='{CANARY} x' user=app")
    assert kv is not None and kv.masked == "host=db password=*** user=app"
    odbc = keyvalue_secret(f"Driver={{x}};Server=db;PWD={{{CANARY};x}};UID=a")
    assert odbc is not None and CANARY not in odbc.masked and "PWD=***" in odbc.masked
    free = f"see postgresql://u:{CANARY}@h/d?password={CANARY} and password = {CANARY}"
    assert CANARY not in mask_secrets_in_text(free)


@pytest.mark.parametrize(
    "text",
    [
        "host=db dbname=app user=app",  # no password
        "host=db password=${DB_PASSWORD}",  # a placeholder
        "password=s3cret",  # one pair: not a connection string
        "the password=s3cret is wrong",  # prose
        "postgresql://app@db/app?passfile=/run/pgpass",  # a file name is not a secret
    ],
)
def test_not_connection_strings_with_a_secret(text: str) -> None:
    assert keyvalue_secret(text) is None
    assert url_secrets(text) == []


def test_already_masked_messages_are_left_as_written() -> None:
    message = "hardcoded password passed to `asyncpg.connect()` (`password='***'`)"
    assert mask_secrets_in_text(message) == message
    assert mask_secrets_in_text("PWD={***};UID=a") == "PWD={***};UID=a"


def test_secret_query_parameters_are_those_dbctl_check_masks() -> None:
    from dbctl.dialect import SECRET_PARAMS as CHECK_SECRET_PARAMS
    from dbctl.lint.secrets import SECRET_PARAMS

    assert SECRET_PARAMS == CHECK_SECRET_PARAMS

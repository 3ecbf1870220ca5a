"""Settings precedence, provenance, validation errors — and no password in any of them."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from dbctl.errors import ConfigError
from dbctl.settings import load_settings

CANARY = "Canary-7f3Qx-pw"


def url(tag: str) -> str:
    return f"postgresql+asyncpg://app:{CANARY}@{tag}:5432/app"


def host_of(loaded) -> str:  # type: ignore[no-untyped-def]
    return loaded.database_url().host


def test_precedence_flag_env_database_url_dotenv_pyproject(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text(
        f'[tool.dbctl]\nurl = "{url("pyproject")}"\ntimeout = 7\nusers_table = "people"\n'
    )
    (tmp_path / ".env").write_text(f"DATABASE_URL={url('dotenv')}\nDBCTL_TIMEOUT=8\n")
    env = {"DATABASE_URL": url("database-url"), "DBCTL_URL": url("dbctl-env")}

    full = load_settings({"url": url("flag")}, cwd=tmp_path, environ=env)
    assert host_of(full) == "flag" and full.origins["url"] == "flag"

    no_flag = load_settings({}, cwd=tmp_path, environ=env)
    assert host_of(no_flag) == "dbctl-env" and no_flag.origins["url"] == "env DBCTL_*"

    plain = load_settings({}, cwd=tmp_path, environ={"DATABASE_URL": url("database-url")})
    assert host_of(plain) == "database-url"

    dot = load_settings({}, cwd=tmp_path, environ={})
    assert host_of(dot) == "dotenv" and dot.origins["url"] == ".env"
    assert dot.settings.timeout == 8 and dot.origins["timeout"] == ".env"
    assert dot.settings.users_table == "people" and dot.origins["users_table"] == "pyproject.toml"
    assert dot.origins["pool_size"] == "default"

    (tmp_path / ".env").unlink()
    pp = load_settings({}, cwd=tmp_path / "sub" if False else tmp_path, environ={})
    assert host_of(pp) == "pyproject"


def test_env_file_flag_and_missing_env_file(tmp_path: Path) -> None:
    other = tmp_path / "ci.env"
    other.write_text(f"DBCTL_URL={url('from-file')}\n")
    loaded = load_settings({}, env_file=other, cwd=tmp_path, environ={})
    assert host_of(loaded) == "from-file"
    with pytest.raises(ConfigError, match="env file not found"):
        load_settings({}, env_file=tmp_path / "nope.env", cwd=tmp_path, environ={})


def test_nearest_pyproject_from_a_subdirectory(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text('[tool.dbctl]\nmodels = "app.models:Base"\n')
    sub = tmp_path / "a" / "b"
    sub.mkdir(parents=True)
    loaded = load_settings({}, cwd=sub, environ={})
    assert loaded.settings.models == "app.models:Base"
    assert loaded.pyproject == tmp_path / "pyproject.toml"


def test_libpq_variables_build_a_url(tmp_path: Path) -> None:
    env = {
        "PGHOST": "pghost",
        "PGPORT": "6543",
        "PGUSER": "u",
        "PGPASSWORD": CANARY,
        "PGDATABASE": "d",
    }
    loaded = load_settings({}, cwd=tmp_path, environ=env)
    u = loaded.database_url()
    assert (u.host, u.port, u.username, u.database) == ("pghost", 6543, "u", "d")
    assert u.password is not None and u.password.get_secret_value() == CANARY
    assert loaded.origins["url"] == "env PG*"


def test_url_is_secret(tmp_path: Path) -> None:
    loaded = load_settings({"url": url("h")}, cwd=tmp_path, environ={})
    assert CANARY not in repr(loaded.settings)
    assert CANARY not in loaded.settings.model_dump_json()


@pytest.mark.parametrize(
    ("cli", "message"),
    [
        ({"timeout": "abc"}, "timeout"),
        ({"timeout": -1}, "timeout"),
        ({"models": "nocolon"}, "MODULE:ATTR"),
        ({"url": 12}, "url"),
    ],
)
def test_invalid_values_are_config_errors_without_input(
    tmp_path: Path, cli: dict[str, object], message: str
) -> None:
    with pytest.raises(ConfigError, match=message) as info:
        load_settings(cli, cwd=tmp_path, environ={})
    assert CANARY not in str(info.value)


def test_unknown_pyproject_key_is_an_error(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text("[tool.dbctl]\nurll = 1\n[tool.dbctl.lint]\n")
    with pytest.raises(ConfigError, match="unknown setting 'urll'"):
        load_settings({}, cwd=tmp_path, environ={})


def test_broken_pyproject_is_a_config_error(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text("[tool.dbctl\n")
    with pytest.raises(ConfigError, match="cannot read"):
        load_settings({}, cwd=tmp_path, environ={})


def test_config_command_json_and_text(cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    (tmp_path / "pyproject.toml").write_text("[tool.dbctl]\nworkers = 3\n")
    res = cli("config", "--format", "json", env={"DATABASE_URL": url("h")})
    assert res.exit_code == 0, res.all
    data = json.loads(res.stdout)
    rows = {r["name"]: r for r in data["settings"]}
    assert rows["url"]["value"] == "postgresql+asyncpg://app:***@h:5432/app"
    assert rows["url"]["source"] == "env DATABASE_URL"
    assert rows["workers"] == {"name": "workers", "value": "3", "source": "pyproject.toml"}
    assert data["schema_version"] == 1
    text = cli("config", env={"DATABASE_URL": url("h")})
    assert text.exit_code == 0
    assert "app:***@h" in text.stdout
    for r in (res, text):
        assert CANARY not in r.all


def test_config_command_errors_exit_2(cli) -> None:  # type: ignore[no-untyped-def]
    res = cli("config", env={"DBCTL_TIMEOUT": "soon"})
    assert res.exit_code == 2
    assert res.stdout == ""
    assert "timeout" in res.stderr and "Traceback" not in res.stderr
    res = cli("config", "--env-file", "missing.env")
    assert res.exit_code == 2 and "env file not found" in res.stderr

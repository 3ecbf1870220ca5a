"""Settings: one pydantic-settings model, layered sources with provenance.

Sources, highest first::

    CLI flag -> DBCTL_* environment -> DATABASE_URL -> .env (or --env-file)
             -> [tool.dbctl] in the nearest pyproject.toml -> defaults

When no URL comes from any of them, the libpq variables (PGHOST, PGPORT, PGUSER,
PGPASSWORD, PGDATABASE) build one. The URL is a ``SecretStr`` from the moment it is
read; :func:`load_settings` returns the settings *and* where each value came from,
which ``dbctl config`` shows.
"""

from __future__ import annotations

import os
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import quote

from dotenv import dotenv_values
from pydantic import Field, SecretStr, ValidationError, field_validator
from pydantic_settings import (
    BaseSettings,
    EnvSettingsSource,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
)

from dbctl.errors import ConfigError
from dbctl.pyproject import find_pyproject
from dbctl.urls import DatabaseUrl, UrlAnalysis, analyze_url, mask_url_text

ENV_PREFIX = "DBCTL_"
LIBPQ_VARS = ("PGHOST", "PGPORT", "PGUSER", "PGPASSWORD", "PGDATABASE")
#: Sub-tables of ``[tool.dbctl]`` that belong to other parts of dbctl.
SUBTABLES = frozenset({"lint", "targets"})
#: Alternative spellings accepted in pyproject.toml / .env keys.
ALIASES = {"schema": "db_schema", "database_url": "url"}


class Settings(BaseSettings):
    """Every setting dbctl reads. Field names are the ``[tool.dbctl]`` keys;
    environment variables are ``DBCTL_<NAME>``."""

    model_config = SettingsConfigDict(
        env_prefix=ENV_PREFIX, extra="forbid", validate_default=True, frozen=True
    )

    url: SecretStr | None = Field(
        default=None, description="Database URL (postgresql+asyncpg://user:pass@host:5432/db)"
    )
    timeout: float = Field(default=5.0, gt=0, le=600, description="Connect timeout, seconds")
    lock_timeout: float = Field(
        default=10.0, gt=0, le=86400, description="Lock wait bound, seconds (SET LOCAL)"
    )
    statement_timeout: float = Field(
        default=30.0, gt=0, le=86400, description="Paged reads, counts, catalog queries, seconds"
    )
    stall_timeout: float = Field(
        default=300.0, gt=0, le=86400, description="No data from the server for this long: exit 3"
    )
    pool_size: int = Field(default=5, ge=1, description="The app's SQLAlchemy pool_size")
    max_overflow: int = Field(default=10, ge=0, description="The app's SQLAlchemy max_overflow")
    workers: int = Field(default=1, ge=1, description="App processes sharing the database")
    models: str | None = Field(default=None, description="Models as MODULE:ATTR")
    app_dir: Path = Field(default=Path("."), description="Directory put on sys.path for models")
    users_table: str = Field(default="users", min_length=1, description="The users table")
    db_schema: str = Field(default="public", min_length=1, description="Target schema")
    alembic_config: Path | None = Field(default=None, description="Path to alembic.ini")

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        # Layering (with provenance) is done by load_settings(); the model itself only
        # validates what it is given, so constructing it never reads the environment.
        return (init_settings,)

    @field_validator("models")
    @classmethod
    def _models_form(cls, value: str | None) -> str | None:
        if value is not None and (value.count(":") != 1 or not all(value.split(":"))):
            raise ValueError("must have the form MODULE:ATTR, e.g. app.models:Base")
        return value

    @property
    def pool_capacity(self) -> int:
        """Connections the app may open at most: (pool_size + max_overflow) x workers."""
        return (self.pool_size + self.max_overflow) * self.workers


@dataclass(frozen=True, slots=True)
class LoadedSettings:
    """Settings plus where each value came from and the files that were read."""

    settings: Settings
    origins: dict[str, str]
    pyproject: Path | None = None
    pyproject_table: dict[str, Any] = field(default_factory=dict)
    env_file: Path | None = None
    #: The keyword arguments the app's own engine connects with (``--engine``): they
    #: replace those derived from the URL.
    engine_connect: dict[str, Any] | None = field(default=None, repr=False)

    def url_analysis(self) -> UrlAnalysis:
        """Parse and check the URL; a missing URL is a ConfigError."""
        if self.settings.url is None:
            raise ConfigError(
                "no database URL configured",
                hint="pass --url, set DATABASE_URL (or DBCTL_URL, PGHOST…), "
                "or add url to [tool.dbctl] in pyproject.toml",
            )
        return analyze_url(self.settings.url.get_secret_value())

    def database_url(self) -> DatabaseUrl:
        """The corrected URL; raises ConfigError if it cannot be used at all."""
        analysis = self.url_analysis()
        if analysis.url is None:
            fatal = analysis.problems[-1]
            raise ConfigError(fatal.message, hint=fatal.hint, code=fatal.code)
        return analysis.url


def read_tool_table(pyproject: Path) -> dict[str, Any]:
    """``[tool.dbctl]`` of a pyproject.toml (empty if absent)."""
    try:
        with pyproject.open("rb") as fh:
            data = tomllib.load(fh)
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise ConfigError(f"cannot read {pyproject}: {exc}") from None
    table = data.get("tool", {}).get("dbctl", {})
    if not isinstance(table, dict):
        raise ConfigError(f"[tool.dbctl] in {pyproject} is not a table")
    return table


def _normalise(source: Mapping[str, Any], where: str) -> dict[str, Any]:
    fields = Settings.model_fields
    out: dict[str, Any] = {}
    for key, value in source.items():
        name = ALIASES.get(key.lower().replace("-", "_"), key.lower().replace("-", "_"))
        if name in SUBTABLES and isinstance(value, dict):
            continue
        if name not in fields:
            raise ConfigError(
                f"unknown setting '{key}' in {where}",
                hint="known settings: " + ", ".join(sorted(fields)),
            )
        out[name] = value
    return out


def _libpq_url(environ: Mapping[str, str]) -> str | None:
    if not any(environ.get(v) for v in LIBPQ_VARS):
        return None
    user = environ.get("PGUSER") or environ.get("USER") or "postgres"
    userinfo = quote(user, safe="")
    if environ.get("PGPASSWORD"):
        userinfo += ":" + quote(environ["PGPASSWORD"], safe="")
    host = environ.get("PGHOST", "")
    port = environ.get("PGPORT")
    if host.startswith("/"):  # a socket directory, as the app's URL names it: ?host=&port=
        hostport, query = "", f"?host={quote(host, safe='/')}"
        if port:
            query += f"&port={quote(port, safe='')}"
    else:
        query = ""
        hostport = f"{host}:{port}" if port and host else host
        if port and not host:
            hostport = f"localhost:{port}"
    db = quote(environ.get("PGDATABASE") or user, safe="")
    return f"postgresql+asyncpg://{userinfo}@{hostport}/{db}{query}"


def load_settings(
    cli: Mapping[str, Any] | None = None,
    *,
    env_file: Path | None = None,
    cwd: Path | None = None,
    environ: Mapping[str, str] | None = None,
) -> LoadedSettings:
    """Layer every source and validate; ConfigError (exit 2) on any bad value.

    ``cli`` holds only the flags the user actually gave (None values are ignored).
    ``env_file`` is ``--env-file``: it must exist. Without it, ``./.env`` is read if present.
    """
    cwd = cwd or Path.cwd()
    environ = os.environ if environ is None else environ
    layers: list[tuple[str, dict[str, Any]]] = []

    layers.append(("flag", {k: v for k, v in (cli or {}).items() if v is not None}))

    env_source = EnvSettingsSource(Settings, env_prefix=ENV_PREFIX)
    if environ is not os.environ:
        env_source.env_vars = {k.lower(): v for k, v in environ.items()}
    env_values = {k: v for k, v in env_source().items() if k in Settings.model_fields}
    lowered = {k.lower(): v for k, v in environ.items()}
    for alias, name in ALIASES.items():  # DBCTL_SCHEMA, as `schema` in .env and pyproject
        value = lowered.get(ENV_PREFIX.lower() + alias)
        if value and name not in env_values:
            env_values[name] = value
    layers.append((f"env {ENV_PREFIX}*", env_values))
    if environ.get("DATABASE_URL"):
        layers.append(("env DATABASE_URL", {"url": environ["DATABASE_URL"]}))

    dotenv_path: Path | None
    if env_file is not None:
        if not env_file.is_file():
            if env_file.is_dir():
                raise ConfigError(f"env file is a directory: {env_file}")
            if env_file.exists():  # a FIFO, `--env-file <(…)`: never opened, it may block
                raise ConfigError(
                    f"env file is not a regular file (a pipe or device): {env_file}",
                    hint="save it to a file first",
                )
            raise ConfigError(f"env file not found: {env_file}")
        dotenv_path = env_file
    else:
        dotenv_path = cwd / ".env" if (cwd / ".env").is_file() else None
    if dotenv_path is not None:
        try:
            # keys compared case-insensitively, as pydantic-settings reads a .env
            raw = {
                key.lower(): value
                for key, value in dotenv_values(dotenv_path, encoding="utf-8").items()
            }
        except (OSError, UnicodeDecodeError) as exc:
            raise ConfigError(f"cannot read env file {dotenv_path}: {exc}") from None
        dot: dict[str, Any] = {}
        if raw.get("database_url"):
            dot["url"] = raw["database_url"]
        for key, value in raw.items():
            if key.startswith(ENV_PREFIX.lower()) and value is not None:
                dot.update(_normalise({key[len(ENV_PREFIX) :]: value}, str(dotenv_path)))
        layers.append((str(dotenv_path.name if env_file is None else dotenv_path), dot))

    pyproject = find_pyproject(cwd)
    table: dict[str, Any] = {}
    if pyproject is not None:
        table = read_tool_table(pyproject)
        values = _normalise(table, f"[tool.dbctl] of {pyproject}")
        for key in ("app_dir", "alembic_config"):  # paths are relative to the pyproject
            if key in values and isinstance(values[key], str):
                values[key] = str(pyproject.parent / values[key])
        layers.append(("pyproject.toml", values))

    merged: dict[str, Any] = {}
    origins: dict[str, str] = {}
    for origin, values in layers:
        for key, value in values.items():
            if key not in merged:
                merged[key] = value
                origins[key] = origin
    if "url" not in merged:
        libpq = _libpq_url(environ)
        if libpq is not None:
            merged["url"] = libpq
            origins["url"] = "env PG*"
    for name in Settings.model_fields:
        origins.setdefault(name, "default")

    try:
        settings = Settings(**merged)
    except ValidationError as exc:
        raise ConfigError(_describe_validation(exc, origins)) from None
    return LoadedSettings(settings, origins, pyproject, table, dotenv_path)


def _describe_validation(exc: ValidationError, origins: Mapping[str, str]) -> str:
    """One line per error, never echoing the input (it may be a URL with a password)."""
    parts = []
    for err in exc.errors(include_input=False, include_url=False):
        name = ".".join(str(p) for p in err["loc"]) or "settings"
        parts.append(f"{name} ({origins.get(name, '?')}): {err['msg']}")
    return "invalid setting: " + "; ".join(parts)


def masked(value: Any) -> str:
    """Render a settings value for display, masking secrets."""
    if isinstance(value, SecretStr):
        return mask_url_text(value.get_secret_value())
    if value is None:
        return "-"
    return str(value)

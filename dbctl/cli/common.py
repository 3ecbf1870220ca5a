"""Helpers shared by the command modules (typer + stdlib only at import time)."""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Any

from dbctl.errors import register_secret

if TYPE_CHECKING:
    from dbctl.settings import LoadedSettings


class HumanJson(StrEnum):
    text = "text"
    json = "json"


def load(env_file: Path | None = None, **cli: Any) -> LoadedSettings:
    """Load settings from every source (flags given as keyword arguments) and register
    the password so that nothing dbctl prints can contain it."""
    import os

    from dbctl.settings import load_settings
    from dbctl.urls import analyze_url

    register_secret(os.environ.get("PGPASSWORD"))
    loaded = load_settings(cli, env_file=env_file)
    s = loaded.settings
    from dbctl.db.bounds import Bounds, use

    use(Bounds(lock=s.lock_timeout, statement=s.statement_timeout, stall=s.stall_timeout))
    if loaded.settings.url is not None:
        raw = loaded.settings.url.get_secret_value()
        analysis = analyze_url(raw)
        from dbctl.urls import secrets_in_text

        for secret in analysis.url.secrets() if analysis.url is not None else ():
            register_secret(secret)
        for secret in secrets_in_text(raw):  # what a person meant, even if unparseable
            register_secret(secret)
    return loaded

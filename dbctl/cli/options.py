"""Options shared by the commands that talk to a database."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

UrlOpt = Annotated[
    str | None,
    typer.Option(
        "--url",
        help="Database URL (overrides DBCTL_URL / DATABASE_URL / .env).",
        show_default=False,
    ),
]
EnvFileOpt = Annotated[
    Path | None,
    typer.Option(
        "--env-file",
        help="Read settings from this .env file instead of ./.env.",
        show_default=False,
    ),
]
TimeoutOpt = Annotated[
    float | None,
    typer.Option("--timeout", help="Connect timeout in seconds [default: 5].", show_default=False),
]

"""Options shared by the commands that talk to a database."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

UrlOpt = Annotated[
    str | None,
    typer.Option(
        "--url",
        metavar="URL",
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
    typer.Option("--timeout", help="Connect timeout in seconds (default: 5).", show_default=False),
]
UrlsOpt = Annotated[
    list[str] | None,
    typer.Option(
        "--url",
        metavar="URL",
        help="Database URL (overrides DBCTL_URL / DATABASE_URL / .env). Repeat it to "
        "check several databases at once; without it, the targets named in the "
        "tool.dbctl.targets table of pyproject.toml are checked.",
        show_default=False,
    ),
]
WaitOpt = Annotated[
    float,
    typer.Option(
        "--wait",
        min=0,
        max=86400,  # a day: finite, so nothing waits forever (`--wait inf`)
        help="Retry for up to this many seconds while the database is unreachable "
        "(refused, timeout, DNS, starting up, too many connections).",
    ),
]
StrictOpt = Annotated[
    bool, typer.Option("--strict", help="Treat check warnings as failures (exit 1).")
]
CheckModelsOpt = Annotated[
    str | None,
    typer.Option("--models", help="The app's models as MODULE:ATTR.", show_default=False),
]
LockTimeoutOpt = Annotated[
    float | None,
    typer.Option(
        "--lock-timeout",
        help="Give up waiting for a table lock after this many seconds (default: 10).",
        show_default=False,
    ),
]
StatementTimeoutOpt = Annotated[
    float | None,
    typer.Option(
        "--statement-timeout",
        help="Cancel a paged read, count or catalog query after this many seconds "
        "(default: 30; streamed exports rely on --stall-timeout).",
        show_default=False,
    ),
]
StallTimeoutOpt = Annotated[
    float | None,
    typer.Option(
        "--stall-timeout",
        help="Exit 3 when the server sends nothing and no data moves for this many "
        "seconds while dbctl waits for it (default: 300).",
        show_default=False,
    ),
]
OfflineOpt = Annotated[
    bool,
    typer.Option(
        "--offline",
        help="Run only the checks that need no connection: the URL's hygiene and the "
        "Alembic scripts (several heads, a revision graph that does not load).",
    ),
]
AppDirOpt = Annotated[
    Path | None,
    typer.Option(
        "--app-dir",
        help="Directory put on sys.path to import the models (default: the current directory).",
        show_default=False,
    ),
]
EngineOpt = Annotated[
    str | None,
    typer.Option(
        "--engine",
        metavar="MODULE:ATTR",
        help="The app's AsyncEngine (or a session factory bound to one): check through its "
        "URL, connect_args and pool size.",
        show_default=False,
    ),
]

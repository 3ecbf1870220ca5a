"""``dbctl prestart``: wait for the database, migrate (or create the tables), seed,
then optionally become the app (``-- CMD``)."""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from dbctl.cli.common import load
from dbctl.cli.formats import format_option
from dbctl.cli.options import EnvFileOpt, TimeoutOpt, UrlOpt


class PrestartFormat(StrEnum):
    text = "text"
    json = "json"


def prestart(
    ctx: typer.Context,
    *,
    url: UrlOpt = None,
    env_file: EnvFileOpt = None,
    timeout: TimeoutOpt = None,
    wait: Annotated[
        float,
        typer.Option(
            "--wait",
            min=0,
            max=86400,
            metavar="SECONDS",
            help="Retry for up to this many seconds while the database is unreachable "
            "(refused, timeout, DNS, starting up, too many connections).",
        ),
    ] = 60.0,
    models: Annotated[
        str | None,
        typer.Option(
            "--models",
            metavar="MODULE:ATTR",
            help="The app's models, for init-db when there is no Alembic configuration "
            "(default: the built-in users table).",
            show_default=False,
        ),
    ] = None,
    app_dir: Annotated[
        Path | None,
        typer.Option(
            "--app-dir",
            metavar="DIR",
            help="Directory put on sys.path to import the models (default: the current directory).",
            show_default=False,
        ),
    ] = None,
    schema: Annotated[
        str | None,
        typer.Option(
            "--schema",
            metavar="SCHEMA",
            help="Target schema (default: setting schema, public).",
            show_default=False,
        ),
    ] = None,
    seed: Annotated[
        Path | None,
        typer.Option(
            "--seed",
            metavar="FILE",
            help="Load this seed file afterwards; rows whose key exists are skipped.",
            show_default=False,
        ),
    ] = None,
    replica_wait: Annotated[
        float,
        typer.Option(
            "--replica-wait",
            min=0,
            max=86400,
            metavar="SECONDS",
            help="How long to wait for another replica's prestart to finish.",
        ),
    ] = 300.0,
    fmt: Annotated[PrestartFormat, format_option(PrestartFormat)] = PrestartFormat.text,
) -> None:
    """Get the database ready for the app, then optionally run it: wait for the database,
    bring the schema to the models (alembic upgrade head when Alembic is configured, else
    init-db), load --seed FILE, then -- CMD [ARGS]...

    Safe from several replicas at once: an advisory lock runs them one at a time, and the
    later ones find nothing to do. Exit 0 ready (and CMD's code with -- CMD), 1 a step
    failed or was refused, 2 unusable configuration, 3 the database stayed unreachable.
    """
    import asyncio

    from dbctl.cli.handoff import finish, report_stream, then_command
    from dbctl.core.prestart import run_prestart
    from dbctl.output.prestart import note, render_prestart, retry_line

    cmd = then_command(ctx)
    if seed is not None:  # before waiting up to --wait seconds for the database
        from dbctl.core.seed import check_file

        check_file(seed)
    loaded = load(
        env_file, url=url, timeout=timeout, models=models, app_dir=app_dir, db_schema=schema
    )
    report = asyncio.run(
        run_prestart(
            loaded,
            wait_s=wait,
            replica_wait_s=replica_wait,
            seed_path=seed,
            on_retry=retry_line,
            on_note=note,
        )
    )
    with report_stream(cmd):
        render_prestart(report, fmt.value)
    finish(cmd, report.exit_code)


def register(app: typer.Typer) -> None:
    """Add this module's commands to the root app."""
    from dbctl.cli.handoff import HandoffCommand

    app.command("prestart", cls=HandoffCommand)(prestart)

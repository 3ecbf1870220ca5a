"""``dbctl init-db``, ``dbctl seed`` and ``dbctl users list|count``."""

from __future__ import annotations

import sys
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import typer

from dbctl.cli.common import HumanJson, load
from dbctl.cli.formats import format_option
from dbctl.cli.options import (
    AppDirOpt,
    EnvFileOpt,
    LockTimeoutOpt,
    StallTimeoutOpt,
    StatementTimeoutOpt,
    TimeoutOpt,
    UrlOpt,
)
from dbctl.errors import UsageError

ModelsOpt = Annotated[
    str | None,
    typer.Option(
        "--models",
        help="The app's models as MODULE:ATTR (a DeclarativeBase, MetaData or SQLModel); "
        "default: the built-in users table.",
        show_default=False,
    ),
]
SchemaOpt = Annotated[
    str | None,
    typer.Option(
        "--schema", help="Target schema (default: setting schema, public).", show_default=False
    ),
]
FormatOpt = Annotated[HumanJson, format_option(HumanJson)]
BatchOpt = Annotated[int, typer.Option("--batch-size", min=1, help="Rows per COPY chunk.")]


class ListFormat(StrEnum):
    text = "text"
    json = "json"
    jsonl = "jsonl"
    csv = "csv"


def _bounds(lock: float | None, statement: float | None, stall: float | None) -> dict[str, Any]:
    """The bound flags as settings (None: not given)."""
    return {"lock_timeout": lock, "statement_timeout": statement, "stall_timeout": stall}


def _confirm_drop(yes: bool, dry_run: bool) -> None:
    if yes or dry_run:
        return
    if not sys.stdin.isatty():
        raise UsageError(
            "--drop deletes the models' tables and their data: confirm with --yes",
            hint="not asking interactively because stdin is not a terminal",
        )
    if not typer.confirm("Drop the models' tables and all their rows?", default=False, err=True):
        raise UsageError("aborted: nothing was changed")


def init_db(
    *,
    url: UrlOpt = None,
    env_file: EnvFileOpt = None,
    timeout: TimeoutOpt = None,
    lock_timeout: LockTimeoutOpt = None,
    statement_timeout: StatementTimeoutOpt = None,
    stall_timeout: StallTimeoutOpt = None,
    models: ModelsOpt = None,
    app_dir: AppDirOpt = None,
    schema: SchemaOpt = None,
    seed: Annotated[
        Path | None,
        typer.Option(
            "--seed", help="Seed file loaded in the same transaction.", show_default=False
        ),
    ] = None,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Print the DDL (PostgreSQL) and change nothing.")
    ] = False,
    drop: Annotated[
        bool, typer.Option("--drop", help="Drop the models' tables first (needs --yes).")
    ] = False,
    yes: Annotated[bool, typer.Option("--yes", "-y", help="Do not ask before --drop.")] = False,
    fmt: FormatOpt = HumanJson.text,
) -> None:
    """Create the models' tables (and load a seed) in one transaction; existing tables are
    skipped, differences from the models reported."""
    from dbctl.core import init_db as core
    from dbctl.output.data import progress_sink, render_init_db

    if drop:
        _confirm_drop(yes, dry_run)
    loaded = load(
        env_file,
        url=url,
        timeout=timeout,
        **_bounds(lock_timeout, statement_timeout, stall_timeout),
        models=models,
        app_dir=app_dir,
        db_schema=schema,
    )
    import asyncio

    result = asyncio.run(
        core.run_with_settings(
            loaded, dry_run=dry_run, drop=drop, seed_path=seed, progress=progress_sink()
        )
    )
    render_init_db(result, fmt.value)


def seed(
    file: Annotated[
        Path | None,
        typer.Argument(
            help="JSON / YAML ({table: [rows]}), CSV or JSON lines.", show_default=False
        ),
    ] = None,
    *,
    url: UrlOpt = None,
    env_file: EnvFileOpt = None,
    timeout: TimeoutOpt = None,
    lock_timeout: LockTimeoutOpt = None,
    statement_timeout: StatementTimeoutOpt = None,
    stall_timeout: StallTimeoutOpt = None,
    fake: Annotated[
        int | None,
        typer.Option(
            "--fake", min=1, help="Generate N realistic rows for --table.", show_default=False
        ),
    ] = None,
    table: Annotated[
        str | None,
        typer.Option(
            "--table",
            help="Target table (CSV / JSON lines: default the file stem).",
            show_default=False,
        ),
    ] = None,
    fake_column: Annotated[
        list[str] | None,
        typer.Option(
            "--fake-column",
            help="With --fake: COLUMN=PROVIDER_OR_VALUE, a Faker provider (e.g. "
            "country_code) or a literal value for that column (repeatable).",
            show_default=False,
        ),
    ] = None,
    schema: SchemaOpt = None,
    models: ModelsOpt = None,
    app_dir: AppDirOpt = None,
    batch_size: BatchOpt = 10_000,
    fmt: FormatOpt = HumanJson.text,
) -> None:
    """Load rows from a file, or generate them with --fake, in one transaction; rows that
    already exist (same key) are skipped. With --models, keys a file lacks get the model
    columns' Python-side defaults."""
    from dbctl.core import seed as core
    from dbctl.output.data import progress_sink, render_seed

    loaded = load(
        env_file,
        url=url,
        timeout=timeout,
        **_bounds(lock_timeout, statement_timeout, stall_timeout),
        db_schema=schema,
        models=models,
        app_dir=app_dir,
    )
    s = loaded.settings
    if (file is None) == (fake is None):
        raise UsageError("give a seed FILE or --fake N --table T")
    if fake_column and fake is None:
        raise UsageError("--fake-column goes with --fake N --table T")
    metadata = None
    if s.models is not None and file is not None:
        from dbctl.db.models import load_metadata

        metadata = load_metadata(s.models, s.app_dir)
    import asyncio

    result = asyncio.run(
        core.run(
            loaded.database_url(),
            timeout=s.timeout,
            schema=s.db_schema,
            path=file,
            fake=fake,
            table=table,
            batch_size=batch_size,
            progress=progress_sink(),
            metadata=metadata,
            fake_columns=fake_column,
        )
    )
    render_seed(result, fmt.value)


users_app = typer.Typer(
    name="users",
    help="Show the users table (setting users_table, any shape).",
    no_args_is_help=True,
)

TableOpt = Annotated[
    str | None,
    typer.Option(
        "--table",
        help="The table, TABLE or SCHEMA.TABLE (default: setting users_table, users).",
        show_default=False,
    ),
]
SearchOpt = Annotated[
    str | None,
    typer.Option(
        "--search", help="Case-insensitive substring over the text columns.", show_default=False
    ),
]


@users_app.command("list")
def users_list(
    *,
    url: UrlOpt = None,
    env_file: EnvFileOpt = None,
    timeout: TimeoutOpt = None,
    lock_timeout: LockTimeoutOpt = None,
    statement_timeout: StatementTimeoutOpt = None,
    stall_timeout: StallTimeoutOpt = None,
    table: TableOpt = None,
    schema: SchemaOpt = None,
    limit: Annotated[int, typer.Option("--limit", min=1, help="Rows per page.")] = 50,
    after: Annotated[
        str | None,
        typer.Option(
            "--after",
            help="Keyset cursor printed by the previous page (or an --order value).",
            show_default=False,
        ),
    ] = None,
    search: SearchOpt = None,
    order: Annotated[
        str | None,
        typer.Option("--order", help="Sort column (default: the primary key).", show_default=False),
    ] = None,
    all_rows: Annotated[
        bool, typer.Option("--all", help="Stream every row (constant memory).")
    ] = False,
    columns: Annotated[
        str | None,
        typer.Option(
            "--columns", help="Comma-separated columns to show (default: all).", show_default=False
        ),
    ] = None,
    show_secrets: Annotated[
        bool,
        typer.Option(
            "--show-secrets",
            help="Show columns named like secrets (password, token, api_key, …) unmasked.",
        ),
    ] = False,
    fmt: Annotated[
        ListFormat | None,
        format_option(
            ListFormat,
            help="Output format (default: text on a terminal, jsonl when piped)",
            show_default=False,
        ),
    ] = None,
) -> None:
    """List rows of the users table; the next page's cursor is printed on stderr."""
    from dbctl.core.users import ListRequest, run_list
    from dbctl.output.data import render_list_outcome, users_sink

    loaded = load(
        env_file,
        url=url,
        timeout=timeout,
        **_bounds(lock_timeout, statement_timeout, stall_timeout),
        users_table=table,
        db_schema=schema,
    )
    s = loaded.settings
    chosen = fmt.value if fmt is not None else ("text" if sys.stdout.isatty() else "jsonl")
    try:
        import asyncio

        outcome = asyncio.run(
            run_list(
                loaded.database_url(),
                timeout=s.timeout,
                schema=s.db_schema,
                table=s.users_table,
                fmt=chosen,
                sink=users_sink(),
                request=ListRequest(
                    search=search,
                    order=order,
                    after=after,
                    limit=None if all_rows else limit,
                    columns=[c.strip() for c in columns.split(",") if c.strip()]
                    if columns is not None
                    else None,
                    show_secrets=show_secrets,
                ),
            )
        )
    except BrokenPipeError:  # `dbctl users list --all | head`: the reader is done
        _quiet_stdout()
        return
    render_list_outcome(outcome, after=after, every_row=all_rows)


def _quiet_stdout() -> None:
    import os

    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError):  # not a real file (e.g. under CliRunner)
        pass


@users_app.command("count")
def users_count(
    *,
    url: UrlOpt = None,
    env_file: EnvFileOpt = None,
    timeout: TimeoutOpt = None,
    lock_timeout: LockTimeoutOpt = None,
    statement_timeout: StatementTimeoutOpt = None,
    stall_timeout: StallTimeoutOpt = None,
    table: TableOpt = None,
    schema: SchemaOpt = None,
    search: SearchOpt = None,
    fmt: FormatOpt = HumanJson.text,
) -> None:
    """Count the rows of the users table (optionally matching --search)."""
    from dbctl.core.users import run_count
    from dbctl.output.data import render_count

    loaded = load(
        env_file,
        url=url,
        timeout=timeout,
        **_bounds(lock_timeout, statement_timeout, stall_timeout),
        users_table=table,
        db_schema=schema,
    )
    s = loaded.settings
    import asyncio

    name, n = asyncio.run(
        run_count(
            loaded.database_url(),
            timeout=s.timeout,
            schema=s.db_schema,
            table=s.users_table,
            search=search,
        )
    )
    render_count(name, n, fmt.value)


def register(app: typer.Typer) -> None:
    """Add this module's commands to the root app."""
    app.command("init-db")(init_db)
    app.command("seed")(seed)
    app.add_typer(users_app)

"""``dbctl sandbox``: a throwaway PostgreSQL for local work, tests and the quickstart."""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated

import typer

sandbox_app = typer.Typer(
    help="A throwaway PostgreSQL on 127.0.0.1 (local binaries, or Docker).",
    no_args_is_help=True,
)


class BackendChoice(StrEnum):
    auto = "auto"
    local = "local"
    docker = "docker"


BackendOpt = Annotated[
    BackendChoice, typer.Option("--backend", help="Where the server comes from.")
]


@sandbox_app.command(
    "run",
    context_settings={"allow_extra_args": True, "ignore_unknown_options": True},
    options_metavar="[OPTIONS] -- CMD [ARGS]...",
)
def run(
    ctx: typer.Context,
    *,
    backend: BackendOpt = BackendChoice.auto,
) -> None:
    """Start a sandbox, run CMD with DATABASE_URL set, stop it; exit with CMD's code."""
    from dbctl.core.sandbox import run_with_sandbox
    from dbctl.errors import UsageError

    if not ctx.args:
        raise UsageError("nothing to run", hint="dbctl sandbox run -- pytest -q")
    code = run_with_sandbox(list(ctx.args), backend=backend.value)
    raise typer.Exit(code)


@sandbox_app.command("start")
def start_cmd(*, backend: BackendOpt = BackendChoice.auto) -> None:
    """Start a sandbox in the background and print its DATABASE_URL (with the password)."""
    import sys

    from dbctl.core.sandbox import start_detached
    from dbctl.output import info

    sandbox, state = start_detached(backend=backend.value)
    # The one place dbctl prints a password: the user asked for their sandbox's URL.
    # (output.write_text would scrub it.)
    sys.stdout.write(sandbox.url() + "\n")
    info(
        f"sandbox running (PostgreSQL {sandbox.version or '?'}, pid {sandbox.pid}); "
        f"state in {state}; stop it with: dbctl sandbox stop"
    )


@sandbox_app.command("status")
def status_cmd() -> None:
    """Say whether a detached sandbox is running (URL masked). Exit 1 if none."""
    from dbctl.core.sandbox import detached_status
    from dbctl.output import write_text

    sandbox = detached_status()
    write_text(f"running: {sandbox.masked_url()} (pid {sandbox.pid})\n")


@sandbox_app.command("stop")
def stop_cmd() -> None:
    """Stop the detached sandbox and delete its data."""
    from dbctl.core.sandbox import stop_detached
    from dbctl.output import info

    stopped = stop_detached()
    info("sandbox stopped" if stopped else "no sandbox was running (stale state removed)")


def register(app: typer.Typer) -> None:
    app.add_typer(sandbox_app, name="sandbox")

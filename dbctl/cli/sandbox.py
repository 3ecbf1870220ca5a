"""``dbctl sandbox``: a throwaway PostgreSQL for local work, tests and the quickstart."""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated, Any

import typer
from typer.core import TyperCommand

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


class CommandAfter(TyperCommand):
    """A command whose arguments, after its own options, are a command line to run: the
    usage line says so, and options stop at the first argument (``dbctl sandbox run
    pytest -q``: ``-q`` is pytest's)."""

    def collect_usage_pieces(self, ctx: Any) -> list[str]:
        return [*super().collect_usage_pieces(ctx), "-- CMD [ARGS]..."]


@sandbox_app.command(
    "run",
    cls=CommandAfter,
    context_settings={
        "allow_extra_args": True,
        "ignore_unknown_options": True,
        "allow_interspersed_args": False,
    },
)
def run(
    ctx: typer.Context,
    *,
    backend: BackendOpt = BackendChoice.auto,
) -> None:
    """Start a sandbox, run CMD with DATABASE_URL set, stop it; exit with CMD's code."""
    import time

    from dbctl.core.sandbox import run_with_sandbox
    from dbctl.errors import UsageError
    from dbctl.output import detail

    if not ctx.args:
        raise UsageError("nothing to run", hint="dbctl sandbox run -- pytest -q")
    detail(f"backend {backend.value}; running {ctx.args[0]} with DATABASE_URL set")
    started = time.perf_counter()
    code = run_with_sandbox(list(ctx.args), backend=backend.value)
    detail(f"{ctx.args[0]} exited {code}; sandbox up for {time.perf_counter() - started:.1f} s")
    raise typer.Exit(code)


@sandbox_app.command("start")
def start_cmd(*, backend: BackendOpt = BackendChoice.auto) -> None:
    """Start a sandbox in the background and print its DATABASE_URL (with the password)."""
    import sys
    import time

    from dbctl.core.sandbox import start_detached
    from dbctl.output import detail, info

    started = time.perf_counter()
    sandbox, state = start_detached(backend=backend.value)
    detail(f"started in {time.perf_counter() - started:.1f} s (backend {sandbox.backend})")
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

"""The CLI edge: the Typer app, global options, and the one place errors become exit codes.

Command modules are thin: parse options, call ``dbctl.core``, hand the result to
``dbctl.output``. They import only typer and the standard library at module level,
so ``dbctl --help`` does not pay for SQLAlchemy or asyncpg.
"""

from __future__ import annotations

import sys
from typing import Annotated, Any

import typer
from typer.core import TyperGroup

from dbctl import __version__
from dbctl.errors import (
    EXIT_INTERRUPTED,
    EXIT_USAGE,
    DbctlError,
    Interrupted,
    expected_error,
)

#: Upper-case placeholders by parameter name (typer would show ``<path>``, ``<float>``,
#: ``[file]``); any other parameter without a metavar shows its name in capitals.
METAVARS = {
    "env_file": "FILE",
    "seed": "FILE",
    "file": "FILE",
    "app_dir": "DIR",
    "timeout": "SECONDS",
    "wait": "SECONDS",
    "fake": "N",
    "limit": "N",
    "batch_size": "N",
    "models": "MODULE:ATTR",
    "after": "VALUE",
    "search": "TEXT",
    "order": "COLUMN",
}


def _upper_metavars(command: Any) -> None:
    """Give every option and argument without a metavar an upper-case one; subcommands too."""
    for param in command.params:
        if param.metavar is None and not getattr(param, "is_flag", False):
            name = str(param.name or "value")
            param.metavar = METAVARS.get(name, name.upper())
    for sub in getattr(command, "commands", {}).values():
        _upper_metavars(sub)


class DbctlGroup(TyperGroup):
    """Maps DbctlError to a rendered message + exit code; used by CliRunner tests too."""

    def get_command(self, ctx: Any, cmd_name: str) -> Any:
        command = super().get_command(ctx, cmd_name)
        if command is not None:
            _upper_metavars(command)
        return command

    def parse_args(self, ctx: Any, args: list[str]) -> list[str]:
        ctx.meta["dbctl.argv"] = list(args)  # the edge scrubs what usage errors echo
        return list(super().parse_args(ctx, args))

    def invoke(self, ctx: Any) -> Any:
        """Run the command; with ``-v``, say how long it took and its exit code (stderr)."""
        import time

        started = time.perf_counter()
        code = 0
        try:
            return self._invoke(ctx)
        except typer.Exit as exc:
            code = exc.exit_code
            raise
        finally:
            from dbctl import output

            if output.verbose() and ctx.invoked_subcommand:
                took = (time.perf_counter() - started) * 1000
                output.detail(f"dbctl {ctx.invoked_subcommand}: exit {code} after {took:.0f} ms")
            output.set_verbosity(output.NORMAL)  # in-process callers (tests) start afresh

    def _invoke(self, ctx: Any) -> Any:
        try:
            return super().invoke(ctx)
        except DbctlError as err:
            from dbctl import output

            output.error(err)
            raise typer.Exit(err.exit_code) from None
        except BrokenPipeError:  # `dbctl ... | head -1`: the reader left; no message, exit 1
            from dbctl import output

            output.quiet_stdout()
            raise typer.Exit(1) from None
        except KeyboardInterrupt as exc:
            from dbctl import output

            if isinstance(exc, Interrupted):  # SIGTERM / SIGHUP
                import signal

                output.stderr().print(f"interrupted ({signal.Signals(exc.signum).name})")
                raise typer.Exit(128 + exc.signum) from None
            output.stderr().print("interrupted")
            raise typer.Exit(EXIT_INTERRUPTED) from None
        except Exception as exc:
            if type(exc).__module__.split(".")[0] in {"typer", "click"}:
                message = getattr(exc, "message", None)
                if isinstance(message, str):  # usage errors echo argv: `dbctl check URL`
                    from dbctl.errors import register_secret, scrub
                    from dbctl.urls import mask_urls_in_text, secrets_in_text

                    for arg in ctx.meta.get("dbctl.argv", ()):
                        found = secrets_in_text(arg)
                        masked = arg
                        for secret in found:
                            register_secret(secret)
                            masked = masked.replace(secret, "***")
                        if found:  # the argument as click echoes it: as typed, or repr-escaped
                            for shown in (arg, repr(arg)[1:-1], arg.replace("'", "\\'")):
                                message = message.replace(shown, masked)
                    exc.message = scrub(mask_urls_in_text(message))  # type: ignore[attr-defined]
                raise  # Exit / Abort / usage errors: typer renders them (exit 0/1/2)
            from dbctl import output

            expected = expected_error(exc)
            if expected is not None:
                output.error(expected)
                output.quiet_stdout()  # a full or failing stdout must not fail again at exit
                raise typer.Exit(expected.exit_code) from None
            output.internal_error(exc, debug=bool(ctx.meta.get("dbctl.debug")))
            raise typer.Exit(EXIT_USAGE) from None


app = typer.Typer(
    cls=DbctlGroup,
    name="dbctl",
    help="Operations and diagnostics for FastAPI applications on PostgreSQL.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    # typer renders help with rich (+ markdown-it), ~150 ms of imports: only worth it for
    # a person at a terminal; piped help (scripts, completion, bench) stays plain click.
    rich_markup_mode="rich" if sys.stdout.isatty() else None,
    context_settings={"help_option_names": ["-h", "--help"]},
)


def _version(value: bool) -> None:
    if value:
        sys.stdout.write(f"dbctl {__version__}\n")
        raise typer.Exit(0)


@app.callback()
def _root(
    ctx: typer.Context,
    version: Annotated[
        bool,
        typer.Option(
            "--version", "-V", callback=_version, is_eager=True, help="Print the version."
        ),
    ] = False,
    debug: Annotated[
        bool, typer.Option("--debug", help="Show the traceback of unexpected errors.")
    ] = False,
) -> None:
    """Operations and diagnostics for FastAPI applications on PostgreSQL."""
    import os

    ctx.meta["dbctl.debug"] = debug or os.environ.get("DBCTL_DEBUG") == "1"
    from dbctl import output

    output.reset()


def _register() -> None:
    from dbctl.cli import check, config, data, lint, preflight, prestart, sandbox

    for module in (check, config, data, lint, preflight, prestart, sandbox):
        module.register(app)
    _add_verbosity(app)


def _add_verbosity(group: typer.Typer) -> None:
    """Give every command, in every sub-group, the shared ``-q``/``-v`` options."""
    from dbctl.cli.common import with_verbosity

    for info in group.registered_commands:
        if info.callback is not None:
            info.callback = with_verbosity(info.callback)
    for sub in group.registered_groups:
        if sub.typer_instance is not None:
            _add_verbosity(sub.typer_instance)


_register()


def main() -> None:
    """Console-script entry point."""
    app(prog_name="dbctl")

"""The CLI edge: the Typer app, global options, and the one place errors become exit codes.

Command modules are thin: parse options, call ``dbctl.core``, hand the result to
``dbctl.output``. They import only typer and the standard library at module level,
so ``dbctl --help`` does not pay for SQLAlchemy or asyncpg.
"""

from __future__ import annotations

import sys
from typing import Annotated, Any, NoReturn

import typer
from typer.core import TyperGroup

from dbctl import __version__
from dbctl.cli.common import QuietOpt, VerboseOpt, set_verbosity
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
        try:
            return list(super().parse_args(ctx, args))
        except Exception as exc:  # dbctl's own options: `dbctl --nope check`
            if _is_usage_error(exc):
                _usage_error(exc, ctx)
            raise

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
            if _is_usage_error(exc):  # a command's options, arguments, name
                _usage_error(exc, ctx)
            if type(exc).__module__.split(".")[0] in {"typer", "click"}:
                raise  # Exit / Abort: typer ends with their exit code
            from dbctl import output

            expected = expected_error(exc)
            if expected is not None:
                output.error(expected)
                output.quiet_stdout()  # a full or failing stdout must not fail again at exit
                raise typer.Exit(expected.exit_code) from None
            output.internal_error(exc, debug=bool(ctx.meta.get("dbctl.debug")))
            raise typer.Exit(EXIT_USAGE) from None


def _is_usage_error(exc: BaseException) -> bool:
    """Whether ``exc`` is click's UsageError (a bad option, value, argument or command)
    but not ``dbctl``/``dbctl users`` alone, which print their help. Typer vendors click
    since 0.26 and exports no UsageError class (only its BadParameter), so this goes by
    the exception's interface: exit code 2 and ``format_message()``."""
    return (
        type(exc).__module__.split(".")[0] in {"typer", "click"}
        and getattr(exc, "exit_code", None) == EXIT_USAGE
        and callable(getattr(exc, "format_message", None))
        and type(exc).__name__ != "NoArgsIsHelpError"
    )


def _usage_error(exc: Any, ctx: Any) -> NoReturn:
    """A usage error as one line on stderr, exit 2: ``error: no such option: --nope (see
    'dbctl check --help')`` instead of click's usage block. The arguments click echoes
    are masked (`dbctl check URL`)."""
    from dbctl import output
    from dbctl.errors import UsageError, register_secret
    from dbctl.urls import mask_urls_in_text, secrets_in_text

    message = " ".join(line.strip() for line in exc.format_message().splitlines())
    for arg in ctx.meta.get("dbctl.argv", ()):
        found = secrets_in_text(arg)
        masked = arg
        for secret in found:
            register_secret(secret)
            masked = masked.replace(secret, "***")
        if found:  # the argument as click echoes it: as typed, or repr-escaped
            for shown in (arg, repr(arg)[1:-1], arg.replace("'", "\\'")):
                message = message.replace(shown, masked)
    if message[1:2].islower():  # "No such option" -> "no such option", as dbctl's errors
        message = message[0].lower() + message[1:]
    if getattr(exc, "ctx", None) is not None:
        path = exc.ctx.command_path
    else:  # the option parser's errors (`--table` without a value) carry no context
        path = _failing_command_path(ctx)
    output.error(UsageError(f"{mask_urls_in_text(message).rstrip('.')} (see '{path} --help')"))
    raise typer.Exit(EXIT_USAGE) from None


def _failing_command_path(ctx: Any) -> str:
    """The command whose arguments failed to parse, for an error without a context: follow
    the command line through the groups (`dbctl users list --limit` is 'dbctl users list',
    not 'dbctl users'). dbctl's groups take only flags, so a group's first word that is
    not an option names its subcommand."""
    words = [ctx.command_path]
    command, name = ctx.command, ctx.invoked_subcommand
    rest = list(ctx.meta.get("dbctl.argv", ()))
    while name is not None:
        words.append(name)
        rest = rest[rest.index(name) + 1 :] if name in rest else []
        command = command.get_command(ctx, name)
        if not callable(getattr(command, "get_command", None)):  # a command, not a group
            break
        word = next((arg for arg in rest if not arg.startswith("-")), None)
        name = word if word is not None and command.get_command(ctx, word) else None
    return " ".join(words)


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
    quiet: QuietOpt = False,
    verbose: VerboseOpt = False,
) -> None:
    """Operations and diagnostics for FastAPI applications on PostgreSQL."""
    import os

    ctx.meta["dbctl.debug"] = debug or os.environ.get("DBCTL_DEBUG") == "1"
    from dbctl import output

    output.reset()
    set_verbosity(quiet, verbose)  # `dbctl -q check` = `dbctl check -q`


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

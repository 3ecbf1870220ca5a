"""``dbctl COMMAND [OPTIONS] -- CMD [ARGS]...``: run CMD in dbctl's place when the command
succeeded (``check``, ``preflight``, ``prestart``).

Everything after the first ``--`` is CMD; what comes before is parsed as usual, so a
stray positional argument (``dbctl check URL``) is still a usage error and never
something to run. On success dbctl *replaces* itself with CMD (``os.execvp``): CMD gets
dbctl's pid, signals and stdio, and its exit code is the one the caller sees — the
shape a container entrypoint needs. On failure CMD never starts and dbctl exits with
its own code.
"""

from __future__ import annotations

import contextlib
import sys
from collections.abc import Iterator
from typing import Any, NoReturn

import typer
from typer.core import TyperCommand

from dbctl.errors import EXIT_OK, UsageError

_META_KEY = "dbctl.then"
USAGE = "[-- CMD [ARGS]...]"


class HandoffCommand(TyperCommand):
    """A command that takes ``-- CMD [ARGS]...`` after its own options and arguments."""

    def parse_args(self, ctx: Any, args: list[str]) -> list[str]:
        if "--" in args:
            cut = args.index("--")
            ctx.meta[_META_KEY] = args[cut + 1 :]
            args = args[:cut]
        return super().parse_args(ctx, args)

    def collect_usage_pieces(self, ctx: Any) -> list[str]:
        return [*super().collect_usage_pieces(ctx), USAGE]


def then_command(ctx: typer.Context) -> list[str] | None:
    """The CMD given after ``--``, or None when there was no ``--``."""
    cmd: list[str] | None = ctx.meta.get(_META_KEY)
    if cmd is not None and not cmd:
        raise UsageError("nothing to run after --", hint="e.g. -- uvicorn app.main:app")
    return cmd


@contextlib.contextmanager
def report_stream(cmd: list[str] | None) -> Iterator[None]:
    """With a CMD to run, the report goes to stderr: stdout belongs to CMD."""
    if cmd is None:
        yield
        return
    with contextlib.redirect_stdout(sys.stderr):
        yield


def finish(cmd: list[str] | None, exit_code: int) -> NoReturn:
    """Exit with ``exit_code``, or, when it is 0 and a CMD was given, become CMD."""
    if cmd is None or exit_code != EXIT_OK:
        raise typer.Exit(exit_code)
    import os

    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(OSError, ValueError):
            stream.flush()
    try:
        os.execvp(cmd[0], cmd)  # noqa: S606 - running CMD is the point: the user named it
    except FileNotFoundError:
        raise UsageError(f"command not found: {cmd[0]}") from None
    except PermissionError:
        raise UsageError(f"command is not executable: {cmd[0]}") from None
    except OSError as exc:
        raise UsageError(f"cannot run {cmd[0]}: {exc.strerror or exc}") from None

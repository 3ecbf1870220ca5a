"""The only package that imports rich: consoles, and one renderer module per command.

Data goes to stdout, talk (progress, warnings, errors) to stderr. Rich formatting is
used when the stream is a terminal; piped output is plain text. ``NO_COLOR`` is
honoured (rich does it). Values from the database, paths and user names are
escaped, never read as markup.

How much talk there is is held here, in one place (:data:`VERBOSITY`, set from every
command's ``-q``/``-v``): :func:`info` and progress are silent with ``-q``;
:func:`detail` (timings, sources of settings, each retry) speaks only with ``-v``.
Errors and warnings always speak, and machine formats never change.
"""

from __future__ import annotations

import json
import sys
from functools import cache
from typing import IO, TYPE_CHECKING, Any

from dbctl.errors import DbctlError, scrub

if TYPE_CHECKING:
    from rich.console import Console


QUIET, NORMAL, VERBOSE = -1, 0, 1


class Verbosity:
    """The one place the ``-q``/``-v`` level is held (one per process, like the consoles)."""

    level = NORMAL

    @property
    def quiet(self) -> bool:
        return self.level <= QUIET

    @property
    def verbose(self) -> bool:
        return self.level >= VERBOSE


VERBOSITY = Verbosity()


def set_verbosity(level: int) -> None:
    VERBOSITY.level = level


def quiet() -> bool:
    """``-q``: only the verdict, the findings or the data (errors and warnings still)."""
    return VERBOSITY.quiet


def verbose() -> bool:
    """``-v``: timings, sources of settings, each retry (on stderr)."""
    return VERBOSITY.verbose


@cache
def stdout() -> Console:
    from rich.console import Console

    return Console(highlight=False, soft_wrap=True, emoji=False)


@cache
def stderr() -> Console:
    from rich.console import Console

    return Console(stderr=True, highlight=False, soft_wrap=True, emoji=False)


def for_people() -> bool:
    """Draw stdout for a person (tables, colours): a terminal, or ``FORCE_COLOR`` set, the
    rule rich applies, decided here without importing rich (piped output stays plain and
    cheap). ``NO_COLOR`` and ``TERM=dumb`` keep the layout and drop the colours (rich)."""
    import os

    return bool(os.environ.get("FORCE_COLOR")) or sys.stdout.isatty()


def reset() -> None:
    """Forget cached consoles (tests swap sys.stdout/sys.stderr between runs)."""
    stdout.cache_clear()
    stderr.cache_clear()
    set_verbosity(NORMAL)


def escape(text: object) -> str:
    from rich.markup import escape as _escape

    return _escape(str(text))


def write_json(data: Any, stream: IO[str] | None = None) -> None:
    """Machine output: JSON on stdout, never through rich."""
    out = stream or sys.stdout
    try:
        out.write(scrub(json.dumps(data, indent=2, ensure_ascii=False, default=str)) + "\n")
        out.flush()
    except BrokenPipeError:  # `| head -1`: the reader is done; the command's exit code stands
        quiet_stdout()


def write_text(text: str, stream: IO[str] | None = None) -> None:
    """Plain text to stdout (no markup processing)."""
    out = stream or sys.stdout
    try:
        out.write(scrub(text))
        out.flush()
    except BrokenPipeError:  # `| head -1`: the reader is done; the command's exit code stands
        quiet_stdout()


def quiet_stdout() -> None:
    """After a BrokenPipeError (`dbctl ... | head -1`): send what is left to /dev/null, so
    neither a later write nor the flush at exit fails again."""
    import os

    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError):  # not a real file (e.g. under CliRunner)
        pass


def gh_data(text: str) -> str:
    """Escape the message of a GitHub Actions workflow command (``::error …::MESSAGE``)."""
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def gh_property(text: str) -> str:
    """Escape a property value of a workflow command (``file=…,title=…``)."""
    return gh_data(text).replace(":", "%3A").replace(",", "%2C")


def warn(message: str) -> None:
    stderr().print(f"[yellow]warning:[/yellow] {escape(scrub(message))}")


def info(message: str) -> None:
    """Talk on stderr (not with ``-q``)."""
    if not VERBOSITY.quiet:
        stderr().print(escape(scrub(message)))


def talk(line: str) -> None:
    """A plain line of talk on stderr without rich (retries, notes); not with ``-q``."""
    if not VERBOSITY.quiet:
        sys.stderr.write(scrub(line) + "\n")
        sys.stderr.flush()


def detail(line: str) -> None:
    """A ``-v`` line on stderr (never stdout: it may carry data), plain and scrubbed."""
    if VERBOSITY.verbose:
        sys.stderr.write(scrub(f"verbose: {line}") + "\n")
        sys.stderr.flush()


def error(err: DbctlError) -> None:
    """The one rendering of an expected failure: ``error: …`` and an indented hint."""
    console = stderr()
    code = f" [{err.code}]" if err.code else ""
    console.print(f"[bold red]error:[/bold red] {escape(scrub(err.message))}{escape(code)}")
    if err.hint:
        console.print(f"  [cyan]hint:[/cyan] {escape(scrub(err.hint))}")


def internal_error(exc: BaseException, *, debug: bool) -> None:
    """An unexpected exception: one line, or the traceback (no locals) with --debug."""
    import traceback

    console = stderr()
    if debug:
        text = "".join(traceback.format_exception(exc))
        console.print(escape(scrub(text)), end="")
        return
    summary = scrub(f"{type(exc).__name__}: {exc}".splitlines()[0])
    console.print(
        f"[bold red]internal error:[/bold red] {escape(summary)}\n"
        "  re-run with --debug for the traceback"
    )

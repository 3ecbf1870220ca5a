"""Renderers for ``dbctl prestart``: the steps as text (the rows of ``dbctl check``) or
JSON on stdout; progress (retries, the lock wait) as lines on stderr."""

from __future__ import annotations

from typing import TYPE_CHECKING

from dbctl.output import VERBOSITY, talk

if TYPE_CHECKING:
    from dbctl.core.prestart import PrestartReport
    from dbctl.errors import DatabaseError


def render_prestart(report: PrestartReport, fmt: str) -> None:
    from dbctl.output import write_json, write_text

    if fmt == "json":
        write_json(report.to_json())
        return
    from dbctl.output.check import findings, row_lines

    footer = (
        f"prestart {report.status} (exit {report.exit_code}) in "
        f"{report.duration_ms:.0f} ms — {report.target}"
    )
    if VERBOSITY.quiet:  # the steps that warned or failed, and the verdict
        write_text("\n".join([*row_lines(findings(report.steps)), footer]) + "\n")
        return
    write_text("\n".join([*row_lines(report.steps), "", footer]) + "\n")


def retry_line(attempt: int, err: DatabaseError, delay: float) -> None:
    """One line on stderr per failed connection attempt while waiting."""
    why = f"{err.code}: {err.message}"
    note(f"waiting: attempt {attempt} failed ({why}); retrying in {delay:.1f} s")


def note(message: str) -> None:
    """Talk on stderr (waiting for the lock, another replica's work); none with ``-q``."""
    talk(message)

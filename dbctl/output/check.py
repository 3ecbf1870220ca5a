"""Renderers for ``dbctl check``: a rich table on a terminal, plain text when piped, JSON.

Plain text and JSON never import rich (start-up cost: ``dbctl check | cat`` and
``--format json`` in CI stay within the import floor of asyncpg + typer + pydantic).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from dbctl.errors import scrub
from dbctl.output import VERBOSITY, for_people, talk

if TYPE_CHECKING:
    from rich.console import Console

    from dbctl.core.check import CheckReport, MultiReport
    from dbctl.core.result import CheckResult

_LABEL = {"pass": "PASS", "warn": "WARN", "fail": "FAIL", "skip": "SKIP"}
_STYLE = {"pass": "green", "warn": "yellow", "fail": "bold red", "skip": "dim"}


def render_check(report: CheckReport, fmt: str, *, console: Console | None = None) -> None:
    """Write the report to stdout: ``json``, or human (table on a terminal, else text)."""
    if fmt == "json":
        from dbctl.output import write_json

        write_json(report.to_json())
        return
    if console is None and (VERBOSITY.quiet or not for_people()):
        from dbctl.output import write_text

        write_text(plain_text(report))
        return
    if console is None:
        from dbctl.output import stdout

        console = stdout()
    _rich_table(report, console)


def _duration(ms: float, status: str) -> str:
    return "" if status == "skip" else f"{ms:.1f} ms"


def _footer(report: CheckReport) -> str:
    return (
        f"{report.status} (exit {report.exit_code}) in {report.duration_ms:.0f} ms"
        f" — {report.target}"
    )


def plain_text(report: CheckReport) -> str:
    """The piped form: one line per check, the hint indented under warn/fail rows; with
    ``-q`` only the warnings and failures, and the verdict."""
    if VERBOSITY.quiet:
        return "\n".join([*row_lines(findings(report.checks)), _footer(report)]) + "\n"
    return "\n".join([*row_lines(report.checks), "", _footer(report)]) + "\n"


def findings(rows: list[CheckResult]) -> list[CheckResult]:
    """The rows ``-q`` keeps: warnings and failures."""
    return [c for c in rows if c.status in {"warn", "fail"}]


def row_lines(rows: list[CheckResult]) -> list[str]:
    """``STATUS  id  duration  summary [code]`` per row, the hint indented under it
    (also the rows of ``dbctl prestart``)."""
    width = max((len(c.id) for c in rows), default=0)
    lines = []
    for c in rows:
        code = f" [{c.code}]" if c.code and c.status in {"warn", "fail"} else ""
        dur = _duration(c.duration_ms, c.status)
        lines.append(f"{_LABEL[c.status]}  {c.id:<{width}}  {dur:>9}  {c.summary}{code}")
        if c.hint and c.status in {"warn", "fail"}:
            lines.append(f"{'':>{width + 19}}hint: {c.hint}")
    return lines


def _rich_table(report: CheckReport, console: Console) -> None:
    from rich.table import Table
    from rich.text import Text

    table = Table(box=None, pad_edge=False, show_edge=False, header_style="bold")
    table.add_column("status")
    table.add_column("check")
    table.add_column("time", justify="right")
    table.add_column("summary", overflow="fold")
    for c in report.checks:
        summary = Text(scrub(c.summary))
        if c.code and c.status in {"warn", "fail"}:
            summary.append(f" [{c.code}]", style="dim")
        if c.hint and c.status in {"warn", "fail"}:
            summary.append("\nhint: ", style="cyan")
            summary.append(scrub(c.hint))
        table.add_row(
            Text(_LABEL[c.status], style=_STYLE[c.status]),
            Text(c.id),
            Text(_duration(c.duration_ms, c.status), style="dim"),
            summary,
        )
    console.print(table)
    console.print(Text(scrub(_footer(report)), style=_STYLE.get(report.status, "")))


def retry_line(attempt: int, report: CheckReport, delay: float) -> None:
    """One progress line on stderr while ``--wait`` retries (no rich: cheap, unstyled);
    none with ``-q``; with ``-v`` how long the attempt took."""
    _retry("", attempt, report, delay)


def _retry(prefix: str, attempt: int, report: CheckReport, delay: float) -> None:
    failed = next((c for c in report.checks if c.status == "fail" and c.code), None)
    why = f"{failed.code}: {failed.summary}" if failed else report.status
    took = f" after {report.duration_ms:.0f} ms" if VERBOSITY.verbose else ""
    talk(f"{prefix}waiting: attempt {attempt} failed{took} ({why}); retrying in {delay:.1f} s")


def render_multi(multi: MultiReport, fmt: str, *, console: Console | None = None) -> None:
    """Several targets: one block per target (named), then one combined line."""
    if fmt == "json":
        from dbctl.output import write_json

        write_json(multi.to_json())
        return
    counts: dict[str, int] = {}
    for _name, report in multi.targets:
        counts[report.status] = counts.get(report.status, 0) + 1
    tally = ", ".join(f"{n} {s}" for s, n in sorted(counts.items()))
    total = (
        f"{len(multi.targets)} targets: {tally} — {multi.status} (exit {multi.exit_code}) "
        f"in {multi.duration_ms:.0f} ms"
    )
    if console is None and (VERBOSITY.quiet or not for_people()):
        from dbctl.output import write_text

        blocks = [f"== {name} ==\n{plain_text(report)}" for name, report in multi.targets]
        write_text("\n".join(blocks) + "\n" + total + "\n")
        return
    if console is None:
        from dbctl.output import stdout

        console = stdout()
    from rich.rule import Rule
    from rich.text import Text

    for name, report in multi.targets:
        console.print(Rule(Text(scrub(name), style="bold"), align="left"))
        _rich_table(report, console)
    console.print(Text(scrub(total), style=_STYLE.get(multi.status, "")))


def retry_line_named(name: str, attempt: int, report: CheckReport, delay: float) -> None:
    """:func:`retry_line` for one of several targets, its name in front."""
    _retry(f"{name}: ", attempt, report, delay)

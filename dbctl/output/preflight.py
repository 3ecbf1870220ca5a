"""Renderers for ``dbctl preflight``: human, json, github, and the GitHub step summary."""

from __future__ import annotations

import os
from collections import Counter
from pathlib import Path

from dbctl.core.check import CheckReport
from dbctl.core.preflight import PreflightReport
from dbctl.errors import UsageError, scrub
from dbctl.output import (
    VERBOSITY,
    escape,
    for_people,
    gh_data,
    gh_property,
    quiet_stdout,
    stdout,
    warn,
    write_json,
    write_text,
)
from dbctl.output.check import findings, render_check, render_multi, row_lines
from dbctl.output.lint import github_report, json_report, summary_line
from dbctl.output.lint import text_lines as lint_lines

_GH_LEVEL = {"fail": "error", "warn": "warning"}
_ICON = {"pass": "✅", "warn": "⚠️", "fail": "❌", "skip": "⏭️"}


def verdict(report: PreflightReport) -> str:
    lint = summary_line(report.lint)
    failed = sorted(
        {code for _n, r in report.check_reports() for code in r.failed_codes}
    )
    check = f"check {report.check.status}" + (f" ({', '.join(failed)})" if failed else "")
    return f"preflight {report.status} (exit {report.exit_code}): lint: {lint} {check}."


def render_preflight(report: PreflightReport, fmt: str) -> int:
    """Write the combined report; append the step summary; return the exit code."""
    try:
        match fmt:
            case "json":
                write_json(report.to_json(json_report(report.lint)))
            case "github":
                write_text(github_report(report.lint) + check_annotations(report))
                write_text(verdict(report) + "\n")
            case "text":
                _human(report)
            case _:
                raise UsageError(f"unknown format {fmt!r}")
    except BrokenPipeError:  # `dbctl preflight | head -1`: the reader is done, the verdict stands
        quiet_stdout()
    summary_file = os.environ.get("GITHUB_STEP_SUMMARY")
    if summary_file:
        try:
            if Path(summary_file).exists() and not Path(summary_file).is_file():
                raise OSError(0, "not a regular file")  # a FIFO would block until read
            with Path(summary_file).open("a", encoding="utf-8") as fh:
                fh.write(scrub(step_summary(report)))
        except OSError as exc:  # the summary is extra: the verdict's exit code stands
            warn(f"cannot append to GITHUB_STEP_SUMMARY ({summary_file}): {exc.strerror}")
    return report.exit_code


def _quiet(report: PreflightReport) -> None:
    """``-q``: the lint findings, the checks that warned or failed, the verdict."""
    lines = lint_lines(report.lint)
    for name, check in report.check_reports():
        rows = row_lines(findings(check.checks))
        lines += [f"{name}: {row}" for row in rows] if name else rows
    write_text("".join(line + "\n" for line in lines) + verdict(report) + "\n")


def _human(report: PreflightReport) -> None:
    if VERBOSITY.quiet:
        _quiet(report)
        return
    terminal = for_people()
    lines = lint_lines(report.lint)
    if terminal:
        console = stdout()
        console.rule("[bold]lint[/bold]", align="left")
        for line in lines:
            console.print(escape(line))
        console.print(escape(summary_line(report.lint)))
        console.rule("[bold]check[/bold]", align="left")
    else:
        write_text("== lint ==\n" + "".join(ln + "\n" for ln in lines))
        write_text(summary_line(report.lint) + "\n\n== check ==\n")
    if isinstance(report.check, CheckReport):
        render_check(report.check, "text")
    else:
        render_multi(report.check, "text")
    if terminal:
        style = {"pass": "green", "warn": "yellow", "fail": "bold red"}[report.status]
        stdout().print(f"[{style}]{escape(verdict(report))}[/{style}]")
    else:
        write_text("\n" + verdict(report) + "\n")


def check_annotations(report: PreflightReport) -> str:
    """``::error``/``::warning`` workflow commands for failed and warning checks."""
    out = []
    for name, check in report.check_reports():
        for c in check.checks:
            level = _GH_LEVEL.get(c.status)
            if level is None:
                continue
            where = f" [{name}]" if name else ""
            title = f"dbctl check {c.id}{where}" + (f" ({c.code})" if c.code else "")
            message = c.summary + (f" — hint: {c.hint}" if c.hint else "")
            out.append(f"::{level} title={gh_property(title)}::{gh_data(message)}\n")
    return "".join(out)


def _md(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def step_summary(report: PreflightReport) -> str:
    """The Markdown appended to ``$GITHUB_STEP_SUMMARY``."""
    lines = [
        f"## {_ICON[report.status]} dbctl preflight: {report.status} (exit {report.exit_code})",
        "",
        f"### Lint — {_md(summary_line(report.lint))}",
        "",
    ]
    findings = sorted(report.lint.findings, key=lambda f: (f.path, f.line, f.col))
    if findings:
        counts = Counter(f.code for f in findings)
        lines += ["| rule | count |", "|---|---:|"]
        lines += [f"| {code} | {n} |" for code, n in sorted(counts.items())]
        lines += ["", "| where | rule | message |", "|---|---|---|"]
        for f in findings[:50]:
            lines.append(f"| `{_md(f.path)}:{f.line}` | {f.code} | {_md(f.message)} |")
        if len(findings) > 50:
            lines.append(f"| … | | {len(findings) - 50} more |")
        lines.append("")
    for name, check in report.check_reports():
        title = f"{name}: " if name else ""
        lines += [
            f"### Database — {title}{_md(check.target)}: {check.status} (exit {check.exit_code})",
            "",
            "| | check | summary |",
            "|---|---|---|",
        ]
        for c in check.checks:
            code = f" `{c.code}`" if c.code and c.status in {"warn", "fail"} else ""
            hint = f"<br>hint: {_md(c.hint)}" if c.hint and c.status in {"warn", "fail"} else ""
            lines.append(f"| {_ICON[c.status]} | {c.id} | {_md(c.summary)}{code}{hint} |")
        lines.append("")
    return "\n".join(lines) + "\n"


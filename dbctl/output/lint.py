"""Renderers for ``dbctl lint`` and ``dbctl rules``: text, json, sarif, github.

Every report is built as a string (or a JSON document) first, scrubbed, then written to
stdout or to ``--output FILE``; the summary and any "could not lint" errors are talk and
go to stderr. Text is ruff-like ``path:line:col: CODE message``: coloured and grouped
per file on a terminal, plain when piped or written to a file.
"""

from __future__ import annotations

import json
import sys
from collections import Counter
from collections.abc import Sequence
from pathlib import Path
from typing import Any
from urllib.parse import quote

from dbctl import __version__
from dbctl.core.result import envelope
from dbctl.errors import EXIT_FAIL, EXIT_OK, EXIT_USAGE, UsageError, scrub
from dbctl.lint.docs import DOCS_URL, help_uri, rule_doc, summary
from dbctl.lint.model import Finding, LintResult, Severity
from dbctl.lint.rule import Rule
from dbctl.lint.secrets import mask_secrets_in_text
from dbctl.output import (
    VERBOSITY,
    detail,
    escape,
    gh_data,
    gh_property,
    quiet_stdout,
    stderr,
    stdout,
)

FORMATS = ("text", "json", "sarif", "github")
SARIF_SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
SARIF_LEVEL = {Severity.error: "error", Severity.warning: "warning", Severity.info: "note"}
GITHUB_LEVEL = {Severity.error: "error", Severity.warning: "warning", Severity.info: "notice"}
STYLE = {Severity.error: "bold red", Severity.warning: "yellow", Severity.info: "blue"}

# Defence in depth: the rules mask secrets themselves; a URL password, a secret query
# parameter or a password= / PWD= value that still reaches a renderer is masked here.
def _mask(text: str) -> str:
    return scrub(mask_secrets_in_text(text))


def _one_line(text: str) -> str:
    return " ".join(_mask(text).split())


def sorted_findings(result: LintResult) -> list[Finding]:
    return sorted(result.findings, key=lambda f: (f.path, f.line, f.col, f.code))


def exit_code(result: LintResult, *, exit_zero: bool = False) -> int:
    """2 when anything could not be linted, else 1 with findings (0 with --exit-zero)."""
    if result.errors:
        return EXIT_USAGE
    if result.findings and not exit_zero:
        return EXIT_FAIL
    return EXIT_OK


# --- json ---------------------------------------------------------------------------------


def json_report(result: LintResult) -> dict[str, Any]:
    """``lint --format json`` exactly as DESIGN §6."""
    from dbctl.lint.baseline import fingerprints

    findings = sorted_findings(result)
    by_code = Counter(f.code for f in findings)
    return {
        **envelope(),
        "findings": [
            {
                "code": f.code,
                "name": f.name,
                "category": f.category,
                "severity": Severity(f.severity).value,
                "message": _mask(f.message),
                "path": f.path,
                "line": f.line,
                "col": f.col,
                "end_line": f.end_line,
                "end_col": f.end_col,
                "fingerprint": fp,
            }
            for f, fp in zip(findings, fingerprints(findings), strict=True)
        ],
        "errors": [
            {"path": e.path, "message": _mask(e.message)}
            for e in sorted(result.errors, key=lambda e: e.path)
        ],
        "notices": [{"path": n.path, "message": _mask(n.message)} for n in result.notices],
        "summary": {
            "files": result.files,
            "findings": len(findings),
            "by_code": dict(sorted(by_code.items())),
            "duration_ms": round(result.duration_ms, 1),
            "ignored": result.ignored,
            "baselined": result.baselined,
        },
    }


# --- sarif --------------------------------------------------------------------------------


def _sarif_rule(rule: type[Rule]) -> dict[str, Any]:
    doc = rule_doc(rule)  # our own documentation: examples stay as written
    return {
        "id": rule.code,
        "name": rule.name,
        "shortDescription": {"text": summary(rule) or rule.name},
        "fullDescription": {"text": doc or rule.name, "markdown": doc or rule.name},
        "help": {"text": doc or rule.name, "markdown": doc or rule.name},
        "helpUri": help_uri(rule),
        "defaultConfiguration": {"level": SARIF_LEVEL[Severity(rule.severity)]},
        "properties": {"category": rule.category, "tags": [rule.category]},
    }


def _sarif_rule_from_finding(finding: Finding) -> dict[str, Any]:
    return {
        "id": finding.code,
        "name": finding.name,
        "shortDescription": {"text": finding.name},
        "fullDescription": {"text": finding.name},
        "defaultConfiguration": {"level": SARIF_LEVEL[Severity(finding.severity)]},
        "properties": {"category": finding.category, "tags": [finding.category]},
    }


def _uri(path: str) -> str:
    return quote(path.replace("\\", "/"), safe="/")


def sarif_report(
    result: LintResult, rules: Sequence[type[Rule]], *, cwd: Path | None = None
) -> dict[str, Any]:
    """SARIF 2.1.0: every known rule documented, one result per finding, relative URIs."""
    descriptors: list[dict[str, Any]] = [
        _sarif_rule(r) for r in sorted(rules, key=lambda r: r.code)
    ]
    index = {d["id"]: i for i, d in enumerate(descriptors)}
    from dbctl.lint.baseline import fingerprints

    findings = sorted_findings(result)
    for f in findings:
        if f.code not in index:
            index[f.code] = len(descriptors)
            descriptors.append(_sarif_rule_from_finding(f))
    results = [
        {
            "ruleId": f.code,
            "ruleIndex": index[f.code],
            "level": SARIF_LEVEL[Severity(f.severity)],
            "message": {"text": _one_line(f.message)},
            "partialFingerprints": {"dbctlFingerprint/v1": fp},
            "locations": [
                {
                    "physicalLocation": {
                        "artifactLocation": {"uri": _uri(f.path), "uriBaseId": "%SRCROOT%"},
                        "region": {
                            "startLine": max(f.line, 1),
                            "startColumn": max(f.col, 1),
                            "endLine": max(f.end_line, f.line, 1),
                            "endColumn": max(f.end_col, 1),
                        },
                    }
                }
            ],
        }
        for f, fp in zip(findings, fingerprints(findings), strict=True)
    ]
    notifications = [
        {
            "level": "error",
            "message": {"text": _one_line(e.message)},
            "locations": [
                {
                    "physicalLocation": {
                        "artifactLocation": {"uri": _uri(e.path), "uriBaseId": "%SRCROOT%"}
                    }
                }
            ],
        }
        for e in sorted(result.errors, key=lambda e: e.path)
    ] + [
        {
            "level": "note",
            "message": {"text": _one_line(f"{n.path}: {n.message}" if n.path else n.message)},
        }
        for n in result.notices
    ]
    root = (cwd or Path.cwd()).resolve().as_uri().rstrip("/") + "/"
    return {
        "$schema": SARIF_SCHEMA,
        "version": "2.1.0",
        "runs": [
            {
                "tool": {
                    "driver": {
                        "name": "dbctl",
                        "version": __version__,
                        "semanticVersion": __version__,
                        "informationUri": DOCS_URL,
                        "rules": descriptors,
                    }
                },
                "invocations": [
                    {
                        "executionSuccessful": not result.errors,
                        "toolExecutionNotifications": notifications,
                    }
                ],
                "originalUriBaseIds": {"%SRCROOT%": {"uri": root}},
                "columnKind": "unicodeCodePoints",
                "results": results,
            }
        ],
        "properties": {"schema_version": 1},
    }


# --- github -------------------------------------------------------------------------------


def github_report(result: LintResult) -> str:
    """GitHub Actions workflow commands: one annotation per finding / unlintable path."""
    lines = []
    for f in sorted_findings(result):
        props = [
            f"file={gh_property(f.path)}",
            f"line={f.line}",
            f"col={f.col}",
            f"endLine={max(f.end_line, f.line)}",
            f"endColumn={f.end_col}",
            f"title={gh_property(f.code)}",
        ]
        level = GITHUB_LEVEL[Severity(f.severity)]
        lines.append(f"::{level} {','.join(props)}::{gh_data(_mask(f.message))}")
    for e in sorted(result.errors, key=lambda e: e.path):
        lines.append(
            f"::error file={gh_property(e.path)},title=dbctl::"
            f"{gh_data('could not lint: ' + _mask(e.message))}"
        )
    for n in result.notices:
        where = f"file={gh_property(n.path)}," if n.path else ""
        lines.append(f"::notice {where}title=dbctl::{gh_data(_mask(n.message))}")
    return "".join(line + "\n" for line in lines)


# --- text ---------------------------------------------------------------------------------


def text_lines(result: LintResult) -> list[str]:
    return [
        f"{f.path}:{f.line}:{f.col}: {f.code} {_one_line(f.message)}"
        for f in sorted_findings(result)
    ]


def statistics_lines(result: LintResult) -> list[str]:
    """Counts per rule, most frequent first: ``count  CODE  name``."""
    counts = Counter((f.code, f.name) for f in result.findings)
    ordered = sorted(counts.items(), key=lambda item: (-item[1], item[0][0]))
    width = max((len(str(n)) for n in counts.values()), default=1)
    return [f"{n:>{width}}  {code}  {name}" for (code, name), n in ordered]


def text_report(result: LintResult, *, statistics: bool = False) -> str:
    lines = statistics_lines(result) if statistics else text_lines(result)
    return "".join(line + "\n" for line in lines)


def summary_line(result: LintResult) -> str:
    n = len(result.findings)
    files = f"{result.files} file{'s' if result.files != 1 else ''}"
    if not n:
        text = f"No findings in {files}."
    else:
        sev = Counter(Severity(f.severity).value for f in result.findings)
        parts = ", ".join(
            f"{sev[s.value]} {s.value}{'s' if sev[s.value] != 1 and s is not Severity.info else ''}"
            for s in Severity
            if sev[s.value]
        )
        text = f"Found {n} finding{'s' if n != 1 else ''} ({parts}) in {files}."
    if result.errors:
        k = len(result.errors)
        text += f" {k} path{'s' if k != 1 else ''} could not be linted."
    if result.ignored:
        k = result.ignored
        text += f" {k} path{'s' if k != 1 else ''} skipped by ignore rules."
    if result.baselined:
        k = result.baselined
        text += f" {k} finding{'s' if k != 1 else ''} suppressed by the baseline."
    return text


def _print_terminal_text(result: LintResult) -> None:
    console = stdout()
    previous: str | None = None
    for f in sorted_findings(result):
        if previous is not None and f.path != previous:
            console.print()
        previous = f.path
        style = STYLE[Severity(f.severity)]
        console.print(
            f"[bold]{escape(f.path)}[/bold][dim]:{f.line}:{f.col}:[/dim] "
            f"[{style}]{escape(f.code)}[/{style}] {escape(_one_line(f.message))}"
        )


def _print_terminal_statistics(result: LintResult) -> None:
    from rich.table import Table

    table = Table(box=None, show_header=False, pad_edge=False)
    table.add_column(justify="right")
    table.add_column(style="bold")
    table.add_column()
    for line in statistics_lines(result):
        count, code, name = line.split()
        table.add_row(count, escape(code), escape(name))
    stdout().print(table)


# --- dispatch -----------------------------------------------------------------------------


def render_report(
    result: LintResult, fmt: str, rules: Sequence[type[Rule]], *, statistics: bool = False
) -> str:
    """The report of one format as text (what ``--output FILE`` receives)."""
    match fmt:
        case "text":
            return _mask(text_report(result, statistics=statistics))
        case "json":
            return scrub(json.dumps(json_report(result), indent=2, ensure_ascii=False)) + "\n"
        case "sarif":
            return (
                scrub(json.dumps(sarif_report(result, rules), indent=2, ensure_ascii=False)) + "\n"
            )
        case "github":
            return _mask(github_report(result))
        case _:
            raise UsageError(f"unknown format {fmt!r} (choose from {', '.join(FORMATS)})")


def render_lint(
    result: LintResult,
    fmt: str,
    rules: Sequence[type[Rule]],
    *,
    output: Path | None = None,
    statistics: bool = False,
    exit_zero: bool = False,
) -> int:
    """Write the report (stdout or ``output``), talk to stderr; return the exit code."""
    err = stderr()
    if output is not None:
        text = render_report(result, fmt, rules, statistics=statistics)
        try:
            output.parent.mkdir(parents=True, exist_ok=True)
            output.write_text(text, encoding="utf-8")
        except OSError as exc:
            raise UsageError(f"cannot write {output}: {exc.strerror or exc}") from None
    elif fmt == "text" and stdout().is_terminal:
        if statistics:
            _print_terminal_statistics(result)
        else:
            _print_terminal_text(result)
    else:
        text = render_report(result, fmt, rules, statistics=statistics)
        try:
            sys.stdout.write(text)
            sys.stdout.flush()
        except BrokenPipeError:  # `| head -1`: the reader is done; the exit code stands
            quiet_stdout()
    for e in sorted(result.errors, key=lambda e: e.path):
        err.print(
            f"[bold red]error:[/bold red] could not lint {escape(e.path)}: "
            f"{escape(_one_line(e.message))}"
        )
    for n in result.notices if not VERBOSITY.quiet else ():
        where = f"{escape(n.path)}: " if n.path else ""
        err.print(f"[dim]note:[/dim] {where}{escape(_one_line(n.message))}")
    if statistics and fmt != "text":
        for line in statistics_lines(result):
            err.print(escape(line))
    detail(
        f"linted {result.files} files in {result.duration_ms:.0f} ms: "
        f"{len(result.findings)} findings, {len(result.errors)} errors, "
        f"{result.ignored} paths skipped by ignore rules, {result.baselined} baselined"
    )
    if (fmt == "text" or output is not None) and not VERBOSITY.quiet:
        summary = summary_line(result)
        if output is not None:
            summary += f" Report written to {output}."
        err.print(escape(summary))
    return exit_code(result, exit_zero=exit_zero)


# --- dbctl rules --------------------------------------------------------------------------


def rules_data(rules: Sequence[type[Rule]]) -> dict[str, Any]:
    return {
        **envelope(),
        "rules": [
            {
                "code": r.code,
                "name": r.name,
                "category": r.category,
                "severity": Severity(r.severity).value,
                "summary": summary(r),
                "help_uri": help_uri(r),
            }
            for r in sorted(rules, key=lambda r: r.code)
        ],
    }


def render_rules(rules: Sequence[type[Rule]], fmt: str) -> None:
    """The catalogue: code, name, category, one line (a table on a terminal)."""
    data = rules_data(rules)
    if fmt == "json":
        sys.stdout.write(json.dumps(data, indent=2, ensure_ascii=False) + "\n")
        return
    console = stdout()
    if console.is_terminal:
        from rich.table import Table

        table = Table(title="dbctl lint rules", title_justify="left")
        table.add_column("code", style="bold", no_wrap=True)
        table.add_column("name", no_wrap=True)
        table.add_column("category", style="dim")
        table.add_column("what it flags")
        for r in data["rules"]:
            table.add_row(r["code"], r["name"], r["category"], escape(r["summary"]))
        console.print(table)
        return
    rows = data["rules"]
    wn = max((len(r["name"]) for r in rows), default=4)
    wc = max((len(r["category"]) for r in rows), default=8)
    sys.stdout.write(
        "".join(
            f"{r['code']}  {r['name']:<{wn}}  {r['category']:<{wc}}  {r['summary']}\n" for r in rows
        )
    )


def render_rule_doc(rule: type[Rule], fmt: str) -> None:
    """One rule's documentation (its docstring); Markdown rendered on a terminal."""
    doc = rule_doc(rule)
    if fmt == "json":
        entry = rules_data([rule])["rules"][0]
        entry["documentation"] = doc
        data = {
            **envelope(),
            "rule": entry,
        }
        sys.stdout.write(json.dumps(data, indent=2, ensure_ascii=False) + "\n")
        return
    head = (
        f"{rule.code} {rule.name}\n"
        f"category: {rule.category} · default severity: {Severity(rule.severity).value}\n"
    )
    console = stdout()
    if console.is_terminal:
        from rich.markdown import Markdown

        console.print(f"[bold]{escape(rule.code)} {escape(rule.name)}[/bold]")
        console.print(
            f"[dim]category: {escape(rule.category)} · default severity: "
            f"{Severity(rule.severity).value}[/dim]\n"
        )
        console.print(Markdown(doc))
        console.print(f"\n[dim]{escape(help_uri(rule))}[/dim]")
        return
    sys.stdout.write(f"{head}\n{doc}\n\n{help_uri(rule)}\n")

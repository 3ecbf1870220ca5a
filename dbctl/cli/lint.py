"""``dbctl lint`` and ``dbctl rules`` (registered on the root app by :func:`register`).

Neither command imports SQLAlchemy or asyncpg: the linter reads code, it never runs it.
"""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from dbctl.cli.formats import format_option


class LintFormat(StrEnum):
    text = "text"
    json = "json"
    sarif = "sarif"
    github = "github"


class RulesFormat(StrEnum):
    text = "text"
    json = "json"


def lint(
    *,
    paths: Annotated[
        list[Path] | None,
        typer.Argument(
            help="Files or directories to lint (default: the current directory).",
            metavar="PATH",
            show_default=False,
        ),
    ] = None,
    select: Annotated[
        list[str] | None,
        typer.Option(
            "--select",
            help="Only these rule codes or prefixes (comma-separated, repeatable; e.g. DBC2). "
            "Replaces select from pyproject.toml.",
            metavar="CODES",
            show_default=False,
        ),
    ] = None,
    ignore: Annotated[
        list[str] | None,
        typer.Option(
            "--ignore",
            help="Never report these codes or prefixes (comma-separated, repeatable).",
            metavar="CODES",
            show_default=False,
        ),
    ] = None,
    exclude: Annotated[
        list[str] | None,
        typer.Option(
            "--exclude",
            help="Skip paths matching this gitignore-style pattern (repeatable).",
            metavar="PATTERN",
            show_default=False,
        ),
    ] = None,
    fmt: Annotated[LintFormat, format_option(LintFormat, help="Report format")] = LintFormat.text,
    output: Annotated[
        Path | None,
        typer.Option(
            "--output",
            "-o",
            help="Write the report to this file instead of stdout.",
            metavar="FILE",
            show_default=False,
        ),
    ] = None,
    statistics: Annotated[
        bool, typer.Option("--statistics", help="Show the number of findings per rule.")
    ] = False,
    exit_zero: Annotated[
        bool, typer.Option("--exit-zero", help="Exit 0 even when there are findings.")
    ] = False,
    no_cache: Annotated[
        bool, typer.Option("--no-cache", help="Neither read nor write .dbctl_cache/.")
    ] = False,
    config_file: Annotated[
        Path | None,
        typer.Option(
            "--config",
            help="Use [tool.dbctl.lint] of this TOML file for every path (default: the "
            "nearest pyproject.toml with that table above each file).",
            metavar="FILE",
            show_default=False,
        ),
    ] = None,
    baseline: Annotated[
        Path | None,
        typer.Option(
            "--baseline",
            help="Report only findings not in FILE, an earlier `--format json` report.",
            metavar="FILE",
            show_default=False,
        ),
    ] = None,
    project: Annotated[
        bool,
        typer.Option(
            "--project",
            help="Analyse the whole project around PATHs (their git work tree) but report "
            "only findings in PATHs (the pre-commit hook).",
        ),
    ] = False,
) -> None:
    """Lint FastAPI + async SQLAlchemy code for async and credential pitfalls.

    Exit 0: no findings; 1: findings; 2: a path could not be linted, or a bad option.
    """
    from dbctl.lint.config import run
    from dbctl.lint.registry import ALL_RULES
    from dbctl.output import detail
    from dbctl.output.lint import render_lint

    detail(
        f"configuration: {config_file} (--config)"
        if config_file is not None
        else "configuration: [tool.dbctl.lint] of the nearest pyproject.toml above each file"
    )
    if select or ignore:
        detail(f"rules from the command line: select {select or '-'}, ignore {ignore or '-'}")

    result = run(
        paths or [],
        select=select,
        ignore=ignore,
        exclude=exclude,
        no_cache=no_cache,
        config_file=config_file,
        baseline=baseline,
        project=project,
    )
    raise typer.Exit(
        render_lint(
            result,
            fmt.value,
            ALL_RULES,
            output=output,
            statistics=statistics,
            exit_zero=exit_zero,
        )
    )


def rules(
    *,
    code: Annotated[
        str | None,
        typer.Argument(
            help="A rule code (DBC201) for its documentation, or a prefix (DBC2).",
            metavar="CODE",
            show_default=False,
        ),
    ] = None,
    fmt: Annotated[RulesFormat, format_option(RulesFormat)] = RulesFormat.text,
) -> None:
    """List the lint rules, or show one rule's documentation."""
    from dbctl.lint.config import select_rules
    from dbctl.output.lint import render_rule_doc, render_rules

    chosen, single = select_rules(code)
    if single:
        render_rule_doc(chosen[0], fmt.value)
    else:
        render_rules(chosen, fmt.value)


def register(app: typer.Typer) -> None:
    """Add this module's commands to the root app."""
    app.command("lint")(lint)
    app.command("rules")(rules)

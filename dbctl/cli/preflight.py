"""``dbctl preflight``: lint + check as one CI step."""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from dbctl.cli.formats import format_option
from dbctl.cli.options import (
    AppDirOpt,
    CheckModelsOpt,
    EngineOpt,
    EnvFileOpt,
    OfflineOpt,
    StrictOpt,
    TimeoutOpt,
    UrlsOpt,
    WaitOpt,
)


class PreflightFormat(StrEnum):
    text = "text"
    json = "json"
    github = "github"


def preflight(
    ctx: typer.Context,
    *,
    path: Annotated[
        Path,
        typer.Argument(help="The app's code to lint.", metavar="PATH", show_default="."),
    ] = Path("."),
    url: UrlsOpt = None,
    env_file: EnvFileOpt = None,
    timeout: TimeoutOpt = None,
    wait: WaitOpt = 0.0,
    strict: StrictOpt = False,
    models: CheckModelsOpt = None,
    offline: OfflineOpt = False,
    engine: EngineOpt = None,
    app_dir: AppDirOpt = None,
    fmt: Annotated[PreflightFormat, format_option(PreflightFormat)] = PreflightFormat.text,
) -> None:
    """Lint PATH and check the database in one step: "is this app ready to deploy?".

    Exit 3 if the database is unreachable, else 1 if lint found something or a check
    failed (or warned, with --strict), else 0. With GITHUB_STEP_SUMMARY set, a Markdown
    summary is appended to that file.

    With -- CMD [ARGS]...: on exit 0 dbctl becomes CMD (the report goes to stderr);
    otherwise CMD is not run.
    """
    import asyncio

    from dbctl.cli.check import load_targets
    from dbctl.cli.handoff import finish, report_stream, then_command
    from dbctl.core.preflight import run_preflight
    from dbctl.lint.config import PathConfigs, check_paths
    from dbctl.lint.engine import lint_paths
    from dbctl.output.check import retry_line, retry_line_named
    from dbctl.output.lint import exit_code
    from dbctl.output.preflight import render_preflight

    cmd = then_command(ctx)
    loaded, targets = load_targets(url, env_file, timeout, models, engine, app_dir)
    if targets is None and not offline:
        loaded.database_url()  # no URL / unusable URL: exit 2 before any work
    paths = check_paths([path])
    configs = PathConfigs()  # per-path [tool.dbctl.lint], as `dbctl lint`
    report = asyncio.run(
        run_preflight(
            paths,
            loaded,
            targets,
            lint=lambda p: lint_paths(p, configs.base, configs),
            lint_exit=exit_code,
            wait_s=wait,
            strict=strict,
            on_retry=retry_line,
            on_retry_named=retry_line_named,
            offline=offline,
        )
    )
    with report_stream(cmd):
        code = render_preflight(report, fmt.value)
    finish(cmd, code)


def register(app: typer.Typer) -> None:
    """Add this module's commands to the root app."""
    from dbctl.cli.handoff import HandoffCommand

    app.command("preflight", cls=HandoffCommand)(preflight)

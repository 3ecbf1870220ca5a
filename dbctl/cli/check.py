"""`dbctl check` (registered on the root app by :func:`register`)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from dbctl.cli.common import HumanJson, load
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
from dbctl.errors import UsageError

if TYPE_CHECKING:
    from dbctl.settings import LoadedSettings


def load_targets(
    url: list[str] | None,
    env_file: Path | None,
    timeout: float | None,
    models: str | None,
    engine: str | None,
    app_dir: Path | None,
) -> tuple[LoadedSettings, list[tuple[str, LoadedSettings]] | None]:
    """Settings for ``check``/``preflight`` and their several targets (None: just one),
    the app's own engine applied for ``--engine``."""
    from dbctl.core.check import apply_engine, resolve_targets

    single = url[0] if url and len(url) == 1 else None
    if engine is not None and url:
        raise UsageError("--engine names the app's URL already: give --engine or --url")
    loaded = load(env_file, url=single, timeout=timeout, models=models, app_dir=app_dir)
    if engine is not None:
        loaded = apply_engine(loaded, engine)
    return loaded, resolve_targets(loaded, url)


def check(
    ctx: typer.Context,
    *,
    url: UrlsOpt = None,
    env_file: EnvFileOpt = None,
    timeout: TimeoutOpt = None,
    wait: WaitOpt = 0.0,
    strict: StrictOpt = False,
    models: CheckModelsOpt = None,
    offline: OfflineOpt = False,
    engine: EngineOpt = None,
    app_dir: AppDirOpt = None,
    fmt: Annotated[HumanJson, format_option(HumanJson)] = HumanJson.text,
) -> None:
    """Say whether the app can use its database and, if not, exactly why.

    Checks config, dns, tcp, tls, auth, server, latency, capacity, session and
    privileges. Exit 0 healthy (warnings allowed), 1 a check failed (or a warning with
    --strict), 2 unusable configuration, 3 unreachable (retryable).

    With -- CMD [ARGS]...: when healthy, dbctl becomes CMD (the exit code is CMD's; the
    report goes to stderr); otherwise CMD is not run and the exit code is the check's.
    """
    import asyncio

    from dbctl.cli.handoff import finish, report_stream, then_command
    from dbctl.core.check import run_check_many, run_check_with_wait
    from dbctl.output.check import render_check, render_multi, retry_line, retry_line_named

    cmd = then_command(ctx)
    loaded, targets = load_targets(url, env_file, timeout, models, engine, app_dir)
    if targets is not None:
        multi = asyncio.run(
            run_check_many(
                targets, wait_s=wait, strict=strict, on_retry=retry_line_named, offline=offline
            )
        )
        with report_stream(cmd):
            render_multi(multi, fmt.value)
        finish(cmd, multi.exit_code)
    report = asyncio.run(
        run_check_with_wait(loaded, wait, strict, on_retry=retry_line, offline=offline)
    )
    with report_stream(cmd):
        render_check(report, fmt.value)
    finish(cmd, report.exit_code)


def register(app: typer.Typer) -> None:
    """Add this module's commands to the root app."""
    from dbctl.cli.handoff import HandoffCommand

    app.command("check", cls=HandoffCommand)(check)

"""``dbctl config``: the effective settings and where each value came from."""

from __future__ import annotations

from typing import Annotated

import typer

from dbctl.cli.common import HumanJson, load
from dbctl.cli.formats import format_option
from dbctl.cli.options import EnvFileOpt, UrlOpt


def config(
    *,
    url: UrlOpt = None,
    env_file: EnvFileOpt = None,
    fmt: Annotated[HumanJson, format_option(HumanJson)] = HumanJson.text,
) -> None:
    """Show every effective setting, its value (password masked) and its source."""
    from dbctl.output.config import render_config

    loaded = load(env_file, url=url)
    render_config(loaded, fmt.value)


def register(app: typer.Typer) -> None:
    app.command("config")(config)

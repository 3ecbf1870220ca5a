"""Helpers shared by the command modules (typer + stdlib only at import time)."""

from __future__ import annotations

from collections.abc import Callable
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from dbctl.errors import UsageError, register_secret

if TYPE_CHECKING:
    from dbctl.settings import LoadedSettings


class HumanJson(StrEnum):
    text = "text"
    json = "json"


QuietOpt = Annotated[
    bool,
    typer.Option(
        "--quiet",
        "-q",
        help="Print only the verdict, the findings or the data (errors and warnings still "
        "go to stderr; machine formats do not change).",
    ),
]
VerboseOpt = Annotated[
    bool,
    typer.Option(
        "--verbose",
        "-v",
        help="Also print timings, where each setting came from and each retry (on stderr).",
    ),
]


def set_verbosity(quiet: bool, verbose: bool) -> None:
    """Hand ``-q``/``-v`` to the output layer (the one place the level is held)."""
    from dbctl import output

    if quiet and verbose:
        raise UsageError("-q/--quiet and -v/--verbose cannot be used together")
    output.set_verbosity(output.QUIET if quiet else output.VERBOSE if verbose else output.NORMAL)


def with_verbosity(command: Callable[..., Any]) -> Callable[..., Any]:
    """``command`` with the shared ``-q/--quiet`` and ``-v/--verbose`` options: the wrapper
    takes them (typer reads its signature), sets the level, then calls ``command``."""
    import functools
    import inspect

    signature = inspect.signature(command, eval_str=True)
    if "quiet" in signature.parameters:  # registered twice: already wrapped
        return command
    extra = [
        inspect.Parameter(name, inspect.Parameter.KEYWORD_ONLY, default=False, annotation=kind)
        for name, kind in (("quiet", QuietOpt), ("verbose", VerboseOpt))
    ]

    @functools.wraps(command)
    def wrapper(*args: Any, quiet: bool = False, verbose: bool = False, **kwargs: Any) -> Any:
        from dbctl import output

        set_verbosity(quiet or output.quiet(), verbose or output.verbose())  # `dbctl -q cmd`
        return command(*args, **kwargs)

    wrapper.__signature__ = signature.replace(  # type: ignore[attr-defined]
        parameters=[*signature.parameters.values(), *extra]
    )
    wrapper.__annotations__ = {
        **{p.name: p.annotation for p in signature.parameters.values()},
        "quiet": QuietOpt,
        "verbose": VerboseOpt,
        "return": signature.return_annotation,
    }
    return wrapper


def load(env_file: Path | None = None, **cli: Any) -> LoadedSettings:
    """Load settings from every source (flags given as keyword arguments) and register
    the password so that nothing dbctl prints can contain it."""
    import os

    from dbctl.settings import load_settings
    from dbctl.urls import analyze_url

    register_secret(os.environ.get("PGPASSWORD"))
    loaded = load_settings(cli, env_file=env_file)
    s = loaded.settings
    from dbctl.db.bounds import Bounds, use

    use(Bounds(lock=s.lock_timeout, statement=s.statement_timeout, stall=s.stall_timeout))
    if loaded.settings.url is not None:
        raw = loaded.settings.url.get_secret_value()
        analysis = analyze_url(raw)
        from dbctl.urls import secrets_in_text

        for secret in analysis.url.secrets() if analysis.url is not None else ():
            register_secret(secret)
        for secret in secrets_in_text(raw):  # what a person meant, even if unparseable
            register_secret(secret)
    _tell_sources(loaded)
    return loaded


def _tell_sources(loaded: LoadedSettings) -> None:
    """With ``-v``: the files read and each setting that did not keep its default, with
    where it came from (the URL masked; `dbctl config` shows them all)."""
    from dbctl import output

    if not output.verbose():
        return
    from dbctl.settings import masked

    output.detail(f"pyproject.toml: {loaded.pyproject or 'none found'}")
    output.detail(f".env file: {loaded.env_file or 'none read'}")
    given = {n: o for n, o in loaded.origins.items() if o != "default"}
    for name, origin in given.items():
        output.detail(f"setting {name} = {masked(getattr(loaded.settings, name))} ({origin})")
    output.detail(f"{len(type(loaded.settings).model_fields) - len(given)} settings at defaults")

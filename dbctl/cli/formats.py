"""One ``--format`` vocabulary: ``text`` for people, ``json``/``jsonl``/``csv``/``sarif``/``github``
where they apply.

The names of the previous release (``human``, ``table``) are accepted for one release,
hidden from help and completion.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any

import typer

#: Old value -> the value that replaced it (accepted, not shown; remove in the next release).
OLD_NAMES = {"human": "text", "table": "text"}


def format_option(
    choices: type[StrEnum], *, help: str = "Output format", show_default: bool = True
) -> Any:
    """The ``--format FORMAT`` option for ``choices`` (an enum whose values are the formats)."""
    values = [member.value for member in choices]

    def parse(value: str | StrEnum) -> StrEnum:
        if isinstance(value, choices):
            return value
        name = OLD_NAMES.get(str(value), str(value))
        if name in values:
            return choices(name)
        raise typer.BadParameter(
            f"{str(value)!r} is not one of {', '.join(repr(v) for v in values)}."
        )

    def complete(incomplete: str) -> list[str]:
        return [v for v in values if v.startswith(incomplete)]

    return typer.Option(
        "--format",
        metavar="FORMAT",
        parser=parse,
        autocompletion=complete,
        show_default=show_default,
        help=f"{help}: {', '.join(values)}.",
    )

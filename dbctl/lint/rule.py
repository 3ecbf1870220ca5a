"""The base of every lint rule: metadata as class variables, documentation as docstring.

The docstring has the sections ``## What it does``, ``## Why is this bad?``,
``## Example`` and ``Use instead:`` (it is the documentation shown by
``dbctl rules CODE``, SARIF and docs/rules.md). The checking API is defined by the
engine (``dbctl.lint.engine``).
"""

from __future__ import annotations

from typing import ClassVar

from dbctl.lint.model import Severity


class Rule:
    code: ClassVar[str]
    name: ClassVar[str]
    category: ClassVar[str]  # correctness | credentials | deprecated | performance | ...
    severity: ClassVar[Severity] = Severity.error

    @classmethod
    def summary(cls) -> str:
        """The first line of the docstring's '## What it does' section."""
        doc = cls.__doc__ or ""
        body = doc.split("## What it does", 1)[-1].strip()
        return body.split("\n\n", 1)[0].replace("\n", " ").strip()

"""The base of every lint rule: metadata as class variables, documentation as docstring.

The docstring has the sections ``## What it does``, ``## Why is this bad?``,
``## Example`` and ``Use instead:`` (it is the documentation shown by
``dbctl rules CODE``, SARIF and docs/rules.md).

Checking API: a rule names the AST node types it wants in ``node_types``; the walker
(:class:`dbctl.lint.semantic.walker.Walker`) calls :meth:`Rule.check` with each such
node and the semantic model of the file (:class:`~dbctl.lint.semantic.model.FileContext`),
in which the enclosing scope, the import aliases and the kinds of values are known. A
rule reports with ``ctx.report(...)``, or ``ctx.defer(...)`` / ``ctx.check_kind(...)``
when the answer depends on other modules (resolved by the project index). A rule whose
finding only the whole project shows implements :meth:`Rule.check_project`, called once
per run with the :class:`~dbctl.lint.semantic.project.ProjectIndex`. Rules are
stateless: every method is a classmethod.
"""

from __future__ import annotations

import ast
from typing import TYPE_CHECKING, ClassVar

from dbctl.lint.model import Severity

if TYPE_CHECKING:
    from collections.abc import Iterable

    from dbctl.lint.semantic.model import FileContext
    from dbctl.lint.semantic.project import ProjectFinding, ProjectIndex


class Rule:
    code: ClassVar[str]
    name: ClassVar[str]
    category: ClassVar[str]  # correctness | credentials | deprecated | performance | ...
    severity: ClassVar[Severity] = Severity.error
    node_types: ClassVar[tuple[type[ast.AST], ...]] = ()
    #: a cheap pre-filter: the rule only runs on files whose bytes contain one of these,
    #: compared case-insensitively (empty: every file). They must be implied by any
    #: finding (e.g. the name of the call the rule looks for).
    triggers: ClassVar[tuple[bytes, ...]] = ()
    #: checked before ``triggers``: a substring every finding implies (empty: none)
    requires: ClassVar[bytes] = b""

    @classmethod
    def summary(cls) -> str:
        """The first line of the docstring's '## What it does' section."""
        doc = cls.__doc__ or ""
        body = doc.split("## What it does", 1)[-1].strip()
        return body.split("\n\n", 1)[0].replace("\n", " ").strip()

    @classmethod
    def check(cls, node: ast.AST, ctx: FileContext) -> None:
        """Inspect ``node`` (one of ``node_types``); report through ``ctx``."""

    @classmethod
    def check_project(cls, index: ProjectIndex) -> Iterable[ProjectFinding]:
        """The project-wide half of the rule: findings that only every module together
        shows (none by default)."""
        return ()

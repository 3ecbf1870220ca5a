"""``dbctl lint --project FILE…``: the pre-commit hook's view.

pre-commit passes the staged files; a finding in one of them may be caused by a module
that is not staged (a blocking helper in ``crud.py`` called from an edited ``main.py``,
DBC103). So the whole project around the files is analysed (its git work tree, else the
root of the configuration; the cache makes this cheap) and only the findings located in
the named files are reported.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from dataclasses import replace
from pathlib import Path

from dbctl.lint.discovery import find_repo_root
from dbctl.lint.model import LintConfig, LintResult


def project_root(base: LintConfig) -> str:
    """The git work tree of the current directory, else the configuration's root."""
    cwd = os.getcwd()
    return find_repo_root(cwd) or os.path.abspath(base.root)


def lint_project(
    paths: Sequence[Path], base: LintConfig, config_for: Callable[[str], LintConfig]
) -> LintResult:
    from dbctl.lint.engine import lint_paths

    named = {os.path.abspath(p) for p in paths if not os.path.isdir(p)}
    named_dirs = [os.path.abspath(p) + os.sep for p in paths if os.path.isdir(p)]

    def wanted(path: str) -> bool:
        absolute = os.path.abspath(path)
        return absolute in named or any(absolute.startswith(d) for d in named_dirs)

    root = project_root(base)
    result = lint_paths([Path(root), *paths], base, config_for)
    findings = [f for f in result.findings if wanted(f.path)]
    return replace(
        result,
        findings=findings,
        errors=[e for e in result.errors if wanted(e.path)],
        notices=[n for n in result.notices if not n.path or wanted(n.path)],
        files=result.files if named_dirs else len(named),
    )

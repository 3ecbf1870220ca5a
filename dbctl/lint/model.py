"""Data types of the linter, shared by the engine, the rules, the CLI and the renderers."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path

#: files larger than this (bytes) are skipped with a notice unless configured otherwise
DEFAULT_MAX_FILE_SIZE = 5_000_000


class Severity(StrEnum):
    error = "error"
    warning = "warning"
    info = "info"


@dataclass(frozen=True, slots=True)
class Finding:
    """One finding. ``path`` is relative to the current directory, POSIX separators;
    lines are 1-based, columns 1-based (as ruff/SARIF show them)."""

    code: str
    name: str
    category: str
    severity: Severity
    message: str
    path: str
    line: int
    col: int
    end_line: int
    end_col: int


@dataclass(frozen=True, slots=True)
class FileError:
    """A path that could not be linted at all (unreadable directory, symlink loop, …)."""

    path: str
    message: str


@dataclass(slots=True)
class LintResult:
    """``notices``: paths skipped on purpose (too large, not Python) and dropped ignore
    patterns (``path`` empty). ``ignored``: paths skipped by ignore rules (.gitignore,
    .git/info/exclude, git's global excludes file).
    ``baselined``: findings suppressed by ``--baseline``."""

    findings: list[Finding]
    errors: list[FileError]
    files: int
    duration_ms: float
    notices: list[FileError] = field(default_factory=list)
    ignored: int = 0
    baselined: int = 0


@dataclass(frozen=True, slots=True)
class LintConfig:
    """Resolved configuration (prefixes already expanded to full codes).

    ``enabled``: the rule codes to report. ``per_file_ignores``: (glob, codes) pairs
    matched against the POSIX path relative to ``root``. ``exclude``: gitignore-style
    patterns added to the default excludes. ``max_file_size``: bytes; larger files are
    skipped with a notice (``None``: no cap).
    """

    enabled: frozenset[str]
    per_file_ignores: tuple[tuple[str, frozenset[str]], ...] = ()
    exclude: tuple[str, ...] = ()
    use_cache: bool = True
    cache_dir: Path = field(default_factory=lambda: Path(".dbctl_cache"))
    root: Path = field(default_factory=Path.cwd)
    jobs: int | None = None
    max_file_size: int | None = DEFAULT_MAX_FILE_SIZE

"""Lint configuration: ``[tool.dbctl.lint]`` of the nearest pyproject.toml merged with flags.

Keys (all optional)::

    [tool.dbctl.lint]
    select = ["DBC"]                 # codes or prefixes to report (default: every rule)
    ignore = ["DBC303"]              # codes or prefixes never reported
    exclude = ["migrations/", "legacy_*.py"]   # gitignore-style, added to the defaults
    per-file-ignores = {"tests/**" = ["DBC2"], "scripts/*.py" = ["DBC101"]}

Flags: ``--select`` replaces ``select``; ``--ignore`` and ``--exclude`` add to the
configured values. A rule is reported when it is selected and not ignored (``ignore``
wins). ``DBC000`` (a file that could not be read or parsed) stays on unless ignored
explicitly, so a narrow ``--select`` never hides an unreadable file. ``ALL`` selects
every rule. An unknown code or prefix is a usage error (exit 2).

Paths in ``exclude`` and ``per-file-ignores`` are relative to the directory of the
pyproject.toml (the current directory when there is none). This module never imports
rich, typer, SQLAlchemy or asyncpg.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from dbctl.errors import ConfigError, UsageError
from dbctl.lint.model import LintConfig, LintResult
from dbctl.lint.rule import Rule
from dbctl.pyproject import find_pyproject

PARSE_ERROR_CODE = "DBC000"
KNOWN_KEYS = ("select", "ignore", "exclude", "per-file-ignores")
_SELECTOR_RE = re.compile(r"DBC\d{0,3}")
_RULES_HINT = "run `dbctl rules` for the list of rule codes"


@dataclass(frozen=True, slots=True)
class FileConfig:
    """``[tool.dbctl.lint]`` as read from one pyproject.toml (before expansion)."""

    pyproject: Path | None
    select: tuple[str, ...] | None = None
    ignore: tuple[str, ...] = ()
    exclude: tuple[str, ...] = ()
    per_file_ignores: tuple[tuple[str, tuple[str, ...]], ...] = ()

    @property
    def root(self) -> Path | None:
        return self.pyproject.parent if self.pyproject is not None else None


def _string_list(value: Any, where: str) -> tuple[str, ...]:
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ConfigError(f"{where} must be a list of strings")
    return tuple(value)


def read_file_config(pyproject: Path | None) -> FileConfig:
    """Read and validate ``[tool.dbctl.lint]`` (an absent table is an empty config)."""
    if pyproject is None:
        return FileConfig(None)
    try:
        with pyproject.open("rb") as fh:
            data = tomllib.load(fh)
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise ConfigError(f"cannot read {pyproject}: {exc}") from None
    tool = data.get("tool", {})
    dbctl_table = tool.get("dbctl", {}) if isinstance(tool, dict) else {}
    table = dbctl_table.get("lint", {}) if isinstance(dbctl_table, dict) else {}
    where = f"[tool.dbctl.lint] in {pyproject}"
    if not isinstance(table, dict):
        raise ConfigError(f"{where} is not a table")
    normalised: dict[str, Any] = {}
    for key, value in table.items():
        name = key.replace("_", "-")
        if name not in KNOWN_KEYS:
            raise ConfigError(
                f"unknown key '{key}' in {where}", hint="known keys: " + ", ".join(KNOWN_KEYS)
            )
        normalised[name] = value
    select = (
        _string_list(normalised["select"], f"'select' in {where}")
        if "select" in normalised
        else None
    )
    ignore = _string_list(normalised.get("ignore", []), f"'ignore' in {where}")
    exclude = _string_list(normalised.get("exclude", []), f"'exclude' in {where}")
    pfi_raw = normalised.get("per-file-ignores", {})
    if not isinstance(pfi_raw, dict):
        raise ConfigError(f"'per-file-ignores' in {where} must be a table of glob = [codes]")
    pfi = tuple(
        (glob, _string_list(codes, f"'per-file-ignores.\"{glob}\"' in {where}"))
        for glob, codes in pfi_raw.items()
    )
    return FileConfig(pyproject, select, ignore, exclude, pfi)


def split_codes(values: Iterable[str] | None) -> tuple[str, ...]:
    """``["DBC201,DBC3", "DBC1"]`` -> ``("DBC201", "DBC3", "DBC1")`` (flags may repeat)."""
    out: list[str] = []
    for value in values or ():
        out.extend(part.strip() for part in value.split(",") if part.strip())
    return tuple(out)


def expand(selectors: Iterable[str], known: Iterable[str], where: str) -> frozenset[str]:
    """Expand codes and prefixes (``DBC2``, ``DBC``, ``ALL``) to full rule codes.

    An unknown code or a prefix that matches nothing raises :class:`UsageError`.
    """
    known_codes = sorted(known)
    out: set[str] = set()
    for raw in selectors:
        selector = raw.strip().upper()
        if selector == "ALL":
            out.update(known_codes)
            continue
        matched = [code for code in known_codes if code.startswith(selector)]
        if not _SELECTOR_RE.fullmatch(selector) or not matched:
            raise UsageError(
                f"unknown rule code or prefix '{raw.strip()}' in {where}", hint=_RULES_HINT
            )
        out.update(matched)
    return frozenset(out)


def resolve(
    file_config: FileConfig,
    known: Iterable[str],
    *,
    select: Sequence[str] | None = None,
    ignore: Sequence[str] = (),
    exclude: Sequence[str] = (),
    no_cache: bool = False,
    cwd: Path | None = None,
) -> LintConfig:
    """Merge the file configuration with the flags and expand every prefix."""
    known_codes = frozenset(known)
    src = f"{file_config.pyproject}" if file_config.pyproject else "configuration"
    if select:
        selected = expand(select, known_codes, "--select")
        explicit_select = True
    elif file_config.select is not None:
        selected = expand(file_config.select, known_codes, f"'select' of {src}")
        explicit_select = True
    else:
        selected = known_codes
        explicit_select = False
    ignored = expand(file_config.ignore, known_codes, f"'ignore' of {src}") | expand(
        ignore, known_codes, "--ignore"
    )
    enabled = selected - ignored
    if explicit_select and PARSE_ERROR_CODE in known_codes and PARSE_ERROR_CODE not in ignored:
        enabled |= {PARSE_ERROR_CODE}
    per_file = tuple(
        (glob, expand(codes, known_codes, f"per-file-ignores '{glob}' of {src}"))
        for glob, codes in file_config.per_file_ignores
    )
    root = file_config.root or (cwd or Path.cwd()).resolve()
    return LintConfig(
        enabled=frozenset(enabled),
        per_file_ignores=per_file,
        exclude=(*file_config.exclude, *exclude),
        use_cache=not no_cache,
        cache_dir=root / ".dbctl_cache",
        root=root,
    )


def load_lint_config(
    *,
    select: Sequence[str] | None = None,
    ignore: Sequence[str] | None = None,
    exclude: Sequence[str] | None = None,
    no_cache: bool = False,
    cwd: Path | None = None,
    known: Iterable[str] | None = None,
) -> LintConfig:
    """The resolved configuration for a ``dbctl lint`` run started in ``cwd``."""
    if known is None:
        from dbctl.lint.registry import by_code

        known = by_code()
    here = (cwd or Path.cwd()).resolve()
    return resolve(
        read_file_config(find_pyproject(here)),
        known,
        select=split_codes(select) or None,
        ignore=split_codes(ignore),
        exclude=tuple(exclude or ()),
        no_cache=no_cache,
        cwd=here,
    )


def check_paths(paths: Sequence[Path]) -> list[Path]:
    """The paths to lint (``.`` when none); a path that does not exist is a usage error."""
    chosen = list(paths) or [Path(".")]
    for path in chosen:
        if not path.exists() and not path.is_symlink():
            raise UsageError(f"no such file or directory: {path}")
    return chosen


def run(
    paths: Sequence[Path],
    *,
    select: Sequence[str] | None = None,
    ignore: Sequence[str] | None = None,
    exclude: Sequence[str] | None = None,
    no_cache: bool = False,
) -> LintResult:
    """Resolve the configuration, check the paths and lint them (what ``dbctl lint`` does)."""
    from dbctl.lint.engine import lint_paths

    config = load_lint_config(select=select, ignore=ignore, exclude=exclude, no_cache=no_cache)
    return lint_paths(check_paths(paths), config)


def select_rules(code: str | None) -> tuple[list[type[Rule]], bool]:
    """The rules ``dbctl rules [CODE]`` shows, and whether CODE named exactly one rule."""
    from dbctl.lint.registry import ALL_RULES

    rules = sorted(ALL_RULES, key=lambda r: r.code)
    if code is None:
        return rules, False
    wanted = code.strip().upper()
    exact = [r for r in rules if r.code == wanted or r.name == code.strip().lower()]
    if exact:
        return exact[:1], True
    codes = expand([code], (r.code for r in rules), "dbctl rules")
    return [r for r in rules if r.code in codes], False

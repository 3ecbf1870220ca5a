"""Lint configuration: ``[tool.dbctl.lint]`` of the nearest pyproject.toml merged with flags.

Keys (all optional)::

    [tool.dbctl.lint]
    select = ["DBC"]                 # codes or prefixes to report (default: every rule)
    ignore = ["DBC303"]              # codes or prefixes never reported
    exclude = ["migrations/", "legacy_*.py"]   # gitignore-style, added to the defaults
    per-file-ignores = {"tests/**" = ["DBC2"], "scripts/*.py" = ["DBC101"]}
    max-file-size = "5MB"            # larger files are skipped with a notice ("0": no cap)

Flags: ``--select`` replaces ``select``; ``--ignore`` and ``--exclude`` add to the
configured values. A rule is reported when it is selected and not ignored (``ignore``
wins). ``DBC000`` (a file that could not be read or parsed) stays on unless ignored
explicitly, so a narrow ``--select`` never hides an unreadable file. ``ALL`` selects
every rule. An unknown code or prefix is a usage error (exit 2).

Each file uses the nearest pyproject.toml *with a* ``[tool.dbctl.lint]`` table at or above
its directory (as ruff does; none: the defaults); ``--config FILE`` names one file for
every path instead. Paths in ``exclude`` and ``per-file-ignores`` are relative to the
directory of the file that holds them. The cache lives next to the configuration found
from the current directory. This module never imports rich, typer, SQLAlchemy or asyncpg.
"""

from __future__ import annotations

import os
import re
import tomllib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from dbctl.errors import ConfigError, UsageError
from dbctl.lint.ignore import NotRegular, TooLarge, pattern_problem, read_regular
from dbctl.lint.model import DEFAULT_MAX_FILE_SIZE, LintConfig, LintResult
from dbctl.lint.rule import Rule
from dbctl.pyproject import find_pyproject

PARSE_ERROR_CODE = "DBC000"
MAX_CONFIG_SIZE = 4_000_000
KNOWN_KEYS = ("select", "ignore", "exclude", "per-file-ignores", "max-file-size")
_SIZE_RE = re.compile(r"\s*(\d+(?:\.\d+)?)\s*(b|kb|kib|mb|mib|gb|gib)?\s*", re.IGNORECASE)
_UNITS = {"": 1, "b": 1, "kb": 1000, "kib": 1024, "mb": 1000**2, "mib": 1024**2,
          "gb": 1000**3, "gib": 1024**3}
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
    max_file_size: int | None = DEFAULT_MAX_FILE_SIZE
    has_table: bool = False

    @property
    def root(self) -> Path | None:
        return self.pyproject.parent if self.pyproject is not None else None


def _string_list(value: Any, where: str) -> tuple[str, ...]:
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ConfigError(f"{where} must be a list of strings")
    return tuple(value)


def check_patterns(patterns: Iterable[str], where: str) -> None:
    """An ``exclude`` or ``per-file-ignores`` pattern that cannot be matched is an error:
    dropped, it would lint (or report) what it was written to skip."""
    for pattern in patterns:
        problem = pattern_problem(pattern)
        if problem is not None:
            raise ConfigError(f"{where}: pattern '{pattern}' is not valid: {problem}")


def parse_size(value: Any, where: str) -> int | None:
    """``"5MB"``, ``"512 KiB"``, ``2000000`` -> bytes; ``0`` -> ``None`` (no cap)."""
    if isinstance(value, bool) or not isinstance(value, int | str):
        raise ConfigError(f"{where} must be a size such as \"5MB\" or a number of bytes")
    if isinstance(value, int):
        size = value
    else:
        m = _SIZE_RE.fullmatch(value)
        if m is None:
            raise ConfigError(f"{where} must be a size such as \"5MB\" or a number of bytes")
        size = int(float(m.group(1)) * _UNITS[(m.group(2) or "").lower()])
    if size < 0:
        raise ConfigError(f"{where} must not be negative")
    return size or None


def read_file_config(pyproject: Path | None) -> FileConfig:
    """Read and validate ``[tool.dbctl.lint]`` (an absent table is an empty config)."""
    if pyproject is None:
        return FileConfig(None)
    try:
        data = tomllib.loads(
            read_regular(str(pyproject), MAX_CONFIG_SIZE).decode("utf-8")
        )
    except TooLarge:
        raise ConfigError(f"cannot read {pyproject}: larger than {MAX_CONFIG_SIZE} bytes") from None
    except NotRegular:
        raise ConfigError(f"cannot read {pyproject}: not a regular file") from None
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise ConfigError(f"cannot read {pyproject}: {exc}") from None
    tool = data.get("tool", {})
    dbctl_table = tool.get("dbctl", {}) if isinstance(tool, dict) else {}
    has_table = isinstance(dbctl_table, dict) and "lint" in dbctl_table
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
    check_patterns(exclude, f"'exclude' in {where}")
    check_patterns((glob for glob, _ in pfi), f"'per-file-ignores' in {where}")
    max_size = (
        parse_size(normalised["max-file-size"], f"'max-file-size' in {where}")
        if "max-file-size" in normalised
        else DEFAULT_MAX_FILE_SIZE
    )
    return FileConfig(pyproject, select, ignore, exclude, pfi, max_size, has_table)


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
        max_file_size=file_config.max_file_size,
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
    """The resolved configuration found from ``cwd`` (where the cache lives)."""
    return PathConfigs(
        select=select, ignore=ignore, exclude=exclude, no_cache=no_cache, cwd=cwd, known=known
    ).base


class PathConfigs:
    """The configuration of each directory: the nearest pyproject.toml with a
    ``[tool.dbctl.lint]`` table at or above it (memoised), or ``config_file`` for all."""

    def __init__(
        self,
        *,
        select: Sequence[str] | None = None,
        ignore: Sequence[str] | None = None,
        exclude: Sequence[str] | None = None,
        no_cache: bool = False,
        cwd: Path | None = None,
        known: Iterable[str] | None = None,
        config_file: Path | None = None,
    ) -> None:
        if known is None:
            from dbctl.lint.registry import by_code

            known = by_code()
        self.known = frozenset(known)
        self.cwd = (cwd or Path.cwd()).resolve()
        self.flags: dict[str, Any] = {
            "select": split_codes(select) or None,
            "ignore": split_codes(ignore),
            "exclude": tuple(exclude or ()),
            "no_cache": no_cache,
        }
        check_patterns(self.flags["exclude"], "--exclude")
        self.fixed: LintConfig | None = None
        if config_file is not None:
            path = config_file.resolve()
            if not path.is_file():  # stat only: a FIFO is never opened
                problem = (
                    "no such file"
                    if not path.exists()
                    else "is a directory"
                    if path.is_dir()
                    else "not a regular file (a pipe or device)"
                )
                raise UsageError(f"--config: {problem}: {config_file}")
            file_config = read_file_config(path)
            if not file_config.has_table:
                raise ConfigError(f"--config {config_file} has no [tool.dbctl.lint] table")
            self.fixed = self._resolve(file_config)
            self.base = self.fixed
        else:
            self.base = self._resolve(read_file_config(find_pyproject(self.cwd)))
        self._by_dir: dict[str, LintConfig] = {}
        self._by_file: dict[str, LintConfig | None] = {}
        self._default: LintConfig | None = None

    def _resolve(self, file_config: FileConfig) -> LintConfig:
        return resolve(file_config, self.known, cwd=self.cwd, **self.flags)

    def __call__(self, directory: str) -> LintConfig:
        """The configuration of the files in ``directory`` (an absolute path)."""
        if self.fixed is not None:
            return self.fixed
        config = self._by_dir.get(directory)
        if config is not None:
            return config
        pending = []
        current = directory
        while True:
            config = self._by_dir.get(current)
            if config is not None:
                break
            pending.append(current)
            config = self._own(current)
            if config is not None:
                break
            parent = os.path.dirname(current)
            if parent == current:
                if self._default is None:
                    self._default = self._resolve(FileConfig(None))
                config = self._default
                break
            current = parent
        for d in pending:
            self._by_dir[d] = config
        return config

    def _own(self, directory: str) -> LintConfig | None:
        """The configuration of ``directory``'s own pyproject.toml, if it has the table."""
        path = os.path.join(directory, "pyproject.toml")
        if path in self._by_file:
            return self._by_file[path]
        config = None
        if os.path.isfile(path):
            file_config = read_file_config(Path(path))
            if file_config.has_table:
                config = self._resolve(file_config)
        self._by_file[path] = config
        return config


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
    config_file: Path | None = None,
    baseline: Path | None = None,
    project: bool = False,
) -> LintResult:
    """Resolve the configuration, check the paths and lint them (what ``dbctl lint`` does).

    ``project``: lint the whole project around ``paths`` (their git work tree, else the
    configuration's root) and report only the findings located in ``paths`` (the
    pre-commit hook). ``baseline``: drop the findings recorded in that JSON report."""
    from dbctl.lint.engine import lint_paths

    configs = PathConfigs(
        select=select, ignore=ignore, exclude=exclude, no_cache=no_cache,
        config_file=config_file,
    )
    chosen = check_paths(paths)
    known_baseline = None
    if baseline is not None:
        from dbctl.lint.baseline import load_baseline

        known_baseline = load_baseline(baseline)
    if project:
        from dbctl.lint.precommit import lint_project

        result = lint_project(chosen, configs.base, configs)
    else:
        result = lint_paths(chosen, configs.base, configs)
    if known_baseline is not None:
        from dbctl.lint.baseline import apply_baseline

        result = apply_baseline(result, known_baseline)
    return result


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

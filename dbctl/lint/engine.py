"""The lint engine: discover files, parse each once, walk once, apply rules.

Steps: discovery (directories recurse, explicit files always linted, default excludes,
``.gitignore`` files and ``config.exclude`` through pathspec) -> per-file analysis
(:func:`analyze`, cached by content hash, in a process pool for large trees) -> the
project index over all summaries (:mod:`dbctl.lint.semantic.project`) resolves the deferred
findings and the project-wide rule DBC102 -> configuration and inline suppression ->
findings sorted by path, line, column.

Inline suppression: ``# dbctl: ignore[DBC201]`` or ``# noqa: DBC201`` on the first or
last line of the finding; ``# dbctl: ignore`` without codes suppresses every dbctl
code on that line; a bare ``# noqa`` does not (it belongs to other linters).
``# dbctl: ignore-file[DBC201]`` anywhere in a file suppresses that code in the file.
"""

from __future__ import annotations

import ast
import gc
import os
import re
import stat
import time
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

from dbctl.lint.model import FileError, Finding, LintConfig, LintResult, Severity

DEFAULT_EXCLUDES = frozenset(
    {
        ".git", ".hg", ".svn", ".bzr", ".venv", "venv", ".env", "env", ".tox", ".nox",
        "node_modules", "__pycache__", "build", "dist", "site-packages", ".dbctl_cache",
        ".mypy_cache", ".ruff_cache", ".pytest_cache", ".eggs", "__pypackages__",
        ".hypothesis", ".ipynb_checkpoints",
    }
)
#: Below this many files to parse, stay in one process (start-up matters for pre-commit).
PARALLEL_THRESHOLD = 150
_SUPPRESS_RE = re.compile(
    r"#\s*(?:dbctl:\s*ignore(?P<file>-file)?(?:\[(?P<codes>[^\]]*)\])?"
    r"|noqa:\s*(?P<noqa>[A-Z0-9, ]+))",
    re.IGNORECASE,
)
_CODE_RE = re.compile(r"[A-Z]+[0-9]+")
_TEST_DIRS = frozenset({"tests", "test", "testing"})


# -- per-file analysis (runs in worker processes) ---------------------------------------
def module_name(rel: str) -> tuple[str, bool]:
    """Dotted module name of a root-relative POSIX path and whether it is a package.

    As Python imports it: a folder at the top of the tree named like a library dbctl
    models (a ``fastapi/`` or ``sqlalchemy/`` folder of scripts) is not that library
    (``import fastapi`` finds the installed one first), so its files are modules of
    their own (``fastapi/db.py`` is ``db``, as ``python fastapi/run.py`` imports it)."""
    from dbctl.lint.semantic.vocabulary import LIBRARY_ROOTS

    parts = [p for p in rel.split("/") if p not in {"", ".", ".."}]
    if len(parts) > 1 and parts[0] in LIBRARY_ROOTS:
        parts = parts[1:]
    if not parts:
        return "__main__", False
    last = parts[-1]
    parts[-1] = last[:-3] if last.endswith(".py") else last.rsplit(".", 1)[0]
    is_package = parts[-1] == "__init__"
    if is_package:
        parts.pop()
    return ".".join(parts) or "__init__", is_package


def is_test_path(rel: str) -> bool:
    parts = rel.split("/")
    name = parts[-1]
    return (
        any(p in _TEST_DIRS for p in parts[:-1])
        or name.startswith("test_")
        or name.endswith("_test.py")
        or name == "conftest.py"
    )


def _error_summary(rel: str, message: str, line: int = 1, col: int = 1) -> dict[str, Any]:
    return {"path": rel, "findings": [["DBC000", line, col, line, col, message]], "deferred": [],
            "suppress": {}, "ignore_file": []}


def _suppressions(data: bytes) -> tuple[dict[str, list[str]], list[str]]:
    if b"dbctl:" not in data and b"noqa" not in data and b"NOQA" not in data:
        return {}, []
    text = data.decode("utf-8", errors="replace")
    by_line: dict[str, list[str]] = {}
    file_codes: list[str] = []
    for lineno, line in enumerate(text.splitlines(), start=1):
        if "#" not in line:
            continue
        for m in _SUPPRESS_RE.finditer(line):
            raw = m.group("noqa") if m.group("noqa") is not None else m.group("codes")
            codes = _CODE_RE.findall(raw.upper()) if raw is not None else ["*"]
            if m.group("file"):
                file_codes.extend(codes)
            else:
                by_line.setdefault(str(lineno), []).extend(codes)
    return by_line, file_codes


def analyze(rel: str, data: bytes) -> dict[str, Any]:
    """The JSON-able summary of one file; never raises.

    The cyclic garbage collector is paused meanwhile: an AST is a large acyclic
    allocation burst that makes it rescan the whole tree over and over."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        return _analyze(rel, data)
    except (RecursionError, MemoryError):
        return _error_summary(rel, "cannot check: the code is nested too deeply")
    except Exception as exc:  # a bug in a rule must not stop the run
        name = type(exc).__name__
        return _error_summary(rel, f"internal error while checking this file ({name})")
    finally:
        if enabled:
            gc.enable()


def _analyze(rel: str, data: bytes) -> dict[str, Any]:
    suppress, ignore_file = _suppressions(data)
    if rel.rsplit("/", 1)[-1] == "alembic.ini" or rel.endswith(".ini"):
        from dbctl.lint.rules.dbc201_hardcoded_dsn_password import check_ini

        text = data.decode("utf-8", errors="replace")
        findings = [["DBC201", ln, c, ln, ec, msg] for ln, c, ec, msg in check_ini(text)]
        return {"path": rel, "findings": findings, "deferred": [], "suppress": suppress,
                "ignore_file": ignore_file}
    if b"\x00" in data:
        line = data[: data.index(b"\x00")].count(b"\n") + 1
        out = _error_summary(rel, "cannot parse: the file contains a NUL byte", line)
    else:
        try:
            tree = ast.parse(data, filename=rel)
        except SyntaxError as exc:
            msg = (exc.msg or "invalid syntax").replace("\n", " ")
            out = _error_summary(rel, f"cannot parse: {msg}", exc.lineno or 1, exc.offset or 1)
        except (ValueError, UnicodeDecodeError) as exc:
            out = _error_summary(rel, f"cannot parse: {exc}".replace("\n", " ")[:200])
        except (RecursionError, MemoryError):
            out = _error_summary(rel, "cannot parse: the code is nested too deeply")
        else:
            out = _walk(rel, data, tree)
    out["suppress"] = suppress
    out["ignore_file"] = ignore_file
    return out


_WALKER: Any = None


def _walk(rel: str, data: bytes, tree: ast.Module) -> dict[str, Any]:
    global _WALKER  # noqa: PLW0603 - built once per process
    from dbctl.lint.semantic.model import FileContext
    from dbctl.lint.semantic.walker import Walker

    if _WALKER is None:
        from dbctl.lint.registry import ALL_RULES

        _WALKER = Walker(ALL_RULES)
    module, is_package = module_name(rel)
    ctx = FileContext(
        tree, module, is_package=is_package, is_test=is_test_path(rel),
        is_alembic=b"alembic" in data and (b"from alembic" in data or b"import alembic" in data),
    )
    _WALKER.walk(ctx, data)
    return {
        "path": rel,
        "module": module,
        "test": ctx.is_test,
        "alembic": ctx.is_alembic,
        "facts": ctx.facts.to_json(),
        "findings": ctx.findings,
        "deferred": ctx.deferred,
    }


def _analyze_batch(items: list[tuple[str, bytes]]) -> list[dict[str, Any]]:
    return [analyze(rel, data) for rel, data in items]


# -- discovery --------------------------------------------------------------------------
class _Discovery:
    """Finds the files to lint. Works on absolute path strings (fast for big trees)."""

    def __init__(self, config: LintConfig, root: Path) -> None:
        import pathspec

        self.root = str(root)
        self.cwd = os.getcwd()
        self.pathspec = pathspec
        self.exclude = (
            pathspec.GitIgnoreSpec.from_lines(config.exclude) if config.exclude else None
        )
        self.files: dict[str, str] = {}
        self.errors: list[FileError] = []

    def rel(self, path: str) -> str:
        """``path`` (absolute) relative to the lint root, POSIX separators."""
        return _relative(path, self.root)

    def display(self, path: str) -> str:
        """``path`` (absolute) relative to the current directory, POSIX separators."""
        return _relative(path, self.cwd)

    def explicit(self, path: Path) -> None:
        absolute = os.path.abspath(path)
        try:
            st = os.stat(absolute)
        except OSError as exc:
            self.errors.append(FileError(self.display(absolute), _os_message(absolute, exc)))
            return
        if stat.S_ISDIR(st.st_mode):
            self.walk(absolute)
        elif stat.S_ISREG(st.st_mode):
            self.files.setdefault(absolute, absolute)
        else:
            self.errors.append(FileError(self.display(absolute), "not a regular file"))

    def _gitignore(self, directory: str) -> Any:
        try:
            with open(os.path.join(directory, ".gitignore"), encoding="utf-8",
                      errors="replace") as fh:
                lines = fh.read().splitlines()
        except OSError:
            return None
        return self.pathspec.GitIgnoreSpec.from_lines(lines)

    def walk(self, top: str) -> None:
        specs: list[tuple[str, Any]] = []
        # .gitignore files of the root and of the directories between the root and ``top``
        if top != self.root and top.startswith(self.root + os.sep):
            parts = top[len(self.root) + 1 :].split(os.sep)
            for i in range(len(parts)):
                parent = os.path.join(self.root, *parts[:i])
                spec = self._gitignore(parent)
                if spec is not None:
                    specs.append((parent, spec))
        stack: list[tuple[str, list[tuple[str, Any]]]] = [(top, specs)]
        files = self.files
        while stack:
            directory, inherited = stack.pop()
            try:
                with os.scandir(directory) as it:
                    entries = list(it)
            except OSError as exc:
                self.errors.append(FileError(self.display(directory), _os_message(directory, exc)))
                continue
            own = (
                self._gitignore(directory)
                if any(e.name == ".gitignore" for e in entries)
                else None
            )
            active = [*inherited, (directory, own)] if own is not None else inherited
            check = bool(active) or self.exclude is not None
            subdirs: list[str] = []
            for entry in entries:
                name = entry.name
                if name in DEFAULT_EXCLUDES or name.endswith(".egg-info"):
                    continue
                path = entry.path
                try:
                    is_dir = entry.is_dir(follow_symlinks=False)
                except OSError:
                    is_dir = False
                if not is_dir and not (name.endswith(".py") or name == "alembic.ini"):
                    continue
                if check and self._ignored(path, is_dir, active):
                    continue
                if is_dir:
                    subdirs.append(path)
                    continue
                if entry.is_symlink():
                    try:
                        st = os.stat(path)
                    except OSError as exc:
                        self.errors.append(FileError(self.display(path), _os_message(path, exc)))
                        continue
                    if stat.S_ISDIR(st.st_mode):
                        continue  # symlinked directories are not followed
                    if not stat.S_ISREG(st.st_mode):
                        self.errors.append(FileError(self.display(path), "not a regular file"))
                        continue
                elif not entry.is_file(follow_symlinks=False):
                    self.errors.append(FileError(self.display(path), "not a regular file"))
                    continue
                files.setdefault(path, path)
            for sub in reversed(subdirs):
                stack.append((sub, active))

    def _ignored(self, path: str, is_dir: bool, specs: list[tuple[str, Any]]) -> bool:
        suffix = "/" if is_dir else ""
        if self.exclude is not None:
            rel = self.rel(path)
            if not rel.startswith("../") and self.exclude.match_file(rel + suffix):
                return True
        return any(spec.match_file(_relative(path, base) + suffix) for base, spec in specs)


def _relative(path: str, base: str) -> str:
    if path.startswith(base) and path[len(base) : len(base) + 1] == os.sep:
        rel = path[len(base) + 1 :]
    elif path == base:
        rel = "."
    else:
        try:
            rel = os.path.relpath(path, base)
        except ValueError:  # another drive on Windows
            rel = path
    return rel.replace(os.sep, "/") if os.sep != "/" else rel


def _os_message(path: str | Path, exc: OSError) -> str:
    import errno

    if exc.errno == errno.ELOOP:
        return "symlink loop"
    if exc.errno == errno.ENOENT:
        return "broken symlink" if os.path.islink(path) else "no such file or directory"
    if exc.errno == errno.EACCES:
        return "permission denied"
    return (exc.strerror or type(exc).__name__).lower()


def _stamp(path: str) -> list[int] | None:
    try:
        st = os.stat(path)
    except OSError:
        return None
    return [st.st_mtime_ns, st.st_size, st.st_ino]


def _read(path: str) -> bytes:
    """Read a file (a function of its own so tests can make it fail)."""
    with open(path, "rb") as fh:
        return fh.read()


# -- the run ----------------------------------------------------------------------------
def lint_paths(paths: Sequence[Path], config: LintConfig) -> LintResult:
    """Lint ``paths`` (files or directories) with ``config``; never raises for bad input
    files (they become DBC000 findings or ``errors`` entries)."""
    # the run allocates many small acyclic objects (summaries, ASTs): no cyclic GC meanwhile
    enabled = gc.isenabled()
    gc.disable()
    try:
        return _lint_paths(paths, config)
    finally:
        if enabled:
            gc.enable()


def _lint_paths(paths: Sequence[Path], config: LintConfig) -> LintResult:
    started = time.perf_counter()
    from dbctl.lint.cache import LintCache, content_hash
    from dbctl.lint.registry import ALL_RULES

    root = Path(os.path.abspath(config.root))
    discovery = _Discovery(config, root)
    for p in paths:
        discovery.explicit(Path(p))
    errors = list(discovery.errors)

    cache: LintCache | None = None
    if config.use_cache:
        cache_dir = config.cache_dir if config.cache_dir.is_absolute() else root / config.cache_dir
        cache = LintCache(cache_dir, [r.code for r in ALL_RULES])
        cache.load()

    summaries: dict[str, dict[str, Any]] = {}
    todo: list[tuple[str, bytes, str]] = []
    display: dict[str, str] = {}
    stamps: dict[str, list[int] | None] = {}
    for path in sorted(discovery.files):
        rel = discovery.rel(path)
        display[rel] = discovery.display(path)
        if cache is not None:
            stamp = _stamp(path)
            hit = cache.get_by_stamp(rel, stamp)
            if hit is not None:
                summaries[rel] = hit
                continue
            stamps[rel] = stamp
        try:
            data = _read(path)
        except OSError as exc:
            summaries[rel] = _error_summary(rel, f"cannot read: {_os_message(path, exc)}")
            continue
        digest = content_hash(data)
        hit = cache.get(rel, digest) if cache is not None else None
        if hit is not None:
            summaries[rel] = hit
            assert cache is not None
            cache.put(rel, digest, hit, stamps.get(rel))
        else:
            todo.append((rel, data, digest))

    for (rel, _, digest), summary in zip(todo, _analyze_all(todo, config.jobs), strict=True):
        summaries[rel] = summary
        if cache is not None:
            cache.put(rel, digest, summary, stamps.get(rel))
    if cache is not None:
        cache.save()

    findings = _resolve(summaries, display, config, root)
    findings.sort(key=lambda f: (f.path, f.line, f.col, f.code))
    return LintResult(
        findings=findings,
        errors=sorted(errors, key=lambda e: e.path),
        files=len(discovery.files),
        duration_ms=round((time.perf_counter() - started) * 1000, 1),
    )


#: the files of a parallel run, inherited by forked workers (no pickling of contents)
_FORK_ITEMS: list[tuple[str, bytes]] = []


def _analyze_indices(indices: list[int]) -> list[dict[str, Any]]:
    return [analyze(*_FORK_ITEMS[i]) for i in indices]


def _analyze_all(todo: list[tuple[str, bytes, str]], jobs: int | None) -> list[dict[str, Any]]:
    global _FORK_ITEMS  # noqa: PLW0603 - handed to forked workers
    items = [(rel, data) for rel, data, _ in todo]
    workers = jobs if jobs is not None else (os.cpu_count() or 1)
    if len(items) < PARALLEL_THRESHOLD or workers <= 1:
        return _analyze_batch(items)
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    # batches balanced by size, so one worker does not get all the big files
    n_batches = workers * 8
    batches: list[list[int]] = [[] for _ in range(n_batches)]
    loads = [0] * n_batches
    order = sorted(range(len(items)), key=lambda i: -len(items[i][1]))
    where: list[tuple[int, int]] = [(0, 0)] * len(items)
    for i in order:
        b = loads.index(min(loads))
        where[i] = (b, len(batches[b]))
        batches[b].append(i)
        loads[b] += len(items[i][1]) + 1
    fork = "fork" in multiprocessing.get_all_start_methods()
    try:
        if fork:
            _FORK_ITEMS = items
            context = multiprocessing.get_context("fork")
            with ProcessPoolExecutor(workers, mp_context=context) as pool:
                results = list(pool.map(_analyze_indices, batches))
        else:
            with ProcessPoolExecutor(workers) as pool:
                results = list(
                    pool.map(_analyze_batch, [[items[i] for i in b] for b in batches])
                )
    except Exception:  # a broken pool: fall back to doing it here
        return _analyze_batch(items)
    finally:
        _FORK_ITEMS = []
    return [results[b][j] for b, j in where]


def _resolve(
    summaries: dict[str, dict[str, Any]], display: dict[str, str], config: LintConfig,
    root: Path,
) -> list[Finding]:
    from dbctl.lint.registry import by_code
    from dbctl.lint.semantic.conditions import decode_condition
    from dbctl.lint.semantic.project import ProjectIndex

    rules = by_code()
    index = ProjectIndex(list(summaries.values()), lambda rel: display.get(rel, rel))
    ignores = _per_file_ignores(config.per_file_ignores)
    out: list[Finding] = []
    raw: list[tuple[str, list[Any]]] = []
    for rel, s in summaries.items():
        raw.extend((rel, f) for f in s["findings"])
        module = s.get("module", "")
        for d in s["deferred"]:
            if all(index.holds(decode_condition(c), module) for c in d[6]):
                raw.append((rel, d[:6]))
    by_module = {s["module"]: rel for rel, s in summaries.items() if "module" in s}
    for code, project_rule in rules.items():  # the rules' project-wide halves
        if code in config.enabled:
            raw.extend(
                (by_module[f.module], [code, *f.loc, f.message])
                for f in project_rule.check_project(index)
            )
    for rel, (code, line, col, end_line, end_col, message) in raw:
        if code not in config.enabled:
            continue
        s = summaries[rel]
        if _suppressed(code, line, end_line, s):
            continue
        if any(code in codes and _match(spec, rel) for spec, codes in ignores):
            continue
        rule = rules.get(code)
        if rule is None:
            continue
        severity = Severity.info if s.get("test") or is_test_path(rel) else rule.severity
        out.append(Finding(
            code=code, name=rule.name, category=rule.category, severity=severity,
            message=message, path=display.get(rel, rel), line=line, col=col,
            end_line=end_line, end_col=end_col,
        ))
    return out


def _suppressed(code: str, line: int, end_line: int, summary: dict[str, Any]) -> bool:
    if code in summary["ignore_file"] or "*" in summary["ignore_file"]:
        return True
    by_line = summary["suppress"]
    if not by_line:
        return False
    for ln in {line, end_line}:
        codes = by_line.get(str(ln))
        if codes and (code in codes or "*" in codes):
            return True
    return False


def _per_file_ignores(
    pairs: Iterable[tuple[str, frozenset[str]]],
) -> list[tuple[Any, frozenset[str]]]:
    import pathspec

    return [(pathspec.GitIgnoreSpec.from_lines([glob]), codes) for glob, codes in pairs]


def _match(spec: Any, rel: str) -> bool:
    return bool(spec.match_file(rel))

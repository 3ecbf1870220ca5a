"""The lint engine: discover files, parse each once, walk once, apply rules.

Steps: discovery (:mod:`dbctl.lint.discovery`: git's view of the tree, the
configuration of each file) -> per-file analysis (:func:`analyze`; parsing by
:mod:`dbctl.lint.parsing`, any syntax from 3.8 to 3.14; cached by content hash, in a
process pool for large trees) -> the
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
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from dbctl.lint.discovery import Discovery, os_message, relative
from dbctl.lint.ignore import NotRegular, TooLarge, compile_patterns, read_regular
from dbctl.lint.model import FileError, Finding, LintConfig, LintResult, Severity
from dbctl.lint.parsing import error_column, parse_source, read_source_lines, source_lines

if TYPE_CHECKING:
    from dbctl.lint.cache import LintCache

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
    for lineno, line in enumerate(source_lines(text), start=1):
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
            tree = parse_source(data, rel)
        except SyntaxError as exc:
            msg = (exc.msg or "invalid syntax").replace("\n", " ")
            out = _error_summary(
                rel, f"cannot parse: {msg}", exc.lineno or 1, error_column(data, exc)
            )
        except (ValueError, UnicodeDecodeError) as exc:
            out = _error_summary(rel, f"cannot parse: {exc}".replace("\n", " ")[:200])
        except (RecursionError, MemoryError):
            out = _error_summary(rel, "cannot parse: the code is nested too deeply")
        else:
            out = _walk(rel, data, tree)
    out["suppress"] = suppress
    out["ignore_file"] = ignore_file
    out["ascii"] = data.isascii()  # its columns need no conversion (see _character_columns)
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
    try:
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
    finally:
        ctx.close()  # leaves no cyclic garbage: the collector is off during a run


def _analyze_batch(items: list[tuple[str, bytes]]) -> list[dict[str, Any]]:
    return [analyze(rel, data) for rel, data in items]


def _stamp(path: str) -> list[int] | None:
    try:
        st = os.stat(path)
    except OSError:
        return None
    return [st.st_mtime_ns, st.st_size, st.st_ino]


def _read(path: str, max_size: int | None = None) -> bytes:
    """Read a regular file of at most ``max_size`` bytes (a function of its own so tests
    can make it fail)."""
    return read_regular(path, max_size)


# -- the run ----------------------------------------------------------------------------
def lint_paths(
    paths: Sequence[Path], config: LintConfig,
    config_for: Callable[[str], LintConfig] | None = None,
) -> LintResult:
    """Lint ``paths`` (files or directories) with ``config``, or with ``config_for(directory)``
    for the files of each directory (per-path configuration); never raises for bad input
    files (they become DBC000 findings or ``errors`` entries)."""
    # the run allocates many small acyclic objects (summaries, ASTs): no cyclic GC meanwhile
    enabled = gc.isenabled()
    gc.disable()
    try:
        return _lint_paths(paths, config, config_for or (lambda _directory: config))
    finally:
        if enabled:
            gc.enable()


def _lint_paths(
    paths: Sequence[Path], config: LintConfig, config_for: Callable[[str], LintConfig]
) -> LintResult:
    started = time.perf_counter()
    from dbctl.lint.cache import LintCache, content_hash
    from dbctl.lint.registry import ALL_RULES

    root = Path(os.path.abspath(config.root))
    root_str = str(root)
    discovery = Discovery(config_for, root_str)
    for p in paths:
        discovery.explicit(str(p))
    errors = list(discovery.errors)
    notices = list(discovery.notices)

    cache: LintCache | None = None
    if config.use_cache:
        cache_dir = config.cache_dir if config.cache_dir.is_absolute() else root / config.cache_dir
        cache = LintCache(cache_dir, [r.code for r in ALL_RULES])
        cache.load()

    summaries: dict[str, dict[str, Any]] = {}
    todo: list[tuple[str, bytes, str]] = []
    display: dict[str, str] = {}
    configs: dict[str, LintConfig] = {}
    stamps: dict[str, list[int] | None] = {}
    digests: dict[str, str] = {}  # content hashes: the key of the cross-module result
    sources: dict[str, str] = {}  # the files of cache hits (read only if their facts are lost)
    located: dict[str, str] = {}  # shown path -> the file
    for path in sorted(discovery.files):
        rel = relative(path, root_str)
        shown = discovery.display(path)
        located[shown] = path
        file_config = discovery.files[path]
        if cache is not None:
            stamp = stamps[rel] = _stamp(path)
            hit = cache.get_by_stamp(rel, stamp)
            if hit is not None:
                summaries[rel], display[rel], configs[rel] = hit, shown, file_config
                digests[rel] = cache.digest(rel)
                sources[rel] = path
                continue
        try:
            data = _read(path, file_config.max_file_size)
        except TooLarge as exc:
            notices.append(FileError(shown, _too_large(exc.size, file_config.max_file_size)))
            continue
        except NotRegular:
            errors.append(FileError(shown, "not a regular file"))
            continue
        except OSError as exc:
            data = None
            summaries[rel] = _error_summary(rel, f"cannot read: {os_message(path, exc)}")
        display[rel], configs[rel] = shown, file_config
        if data is None:
            continue
        digest = ""  # the content hash keys the cache only: not computed without one
        hit = None
        if cache is not None:
            digest = digests[rel] = content_hash(data)
            hit = cache.get(rel, digest)
        if hit is not None:
            summaries[rel] = hit
            sources[rel] = path
            assert cache is not None
            cache.put(rel, digest, hit, stamps.get(rel))
        else:
            summaries[rel] = {}  # analysed below; its place in the order is here, as in a
            todo.append((rel, data, digest))  # cold run (the index and its key depend on it)

    for (rel, _, digest), summary in zip(todo, _analyze_all(todo, config.jobs), strict=True):
        summaries[rel] = summary
        if cache is not None:
            cache.put(rel, digest, summary, stamps.get(rel))

    def reanalyze(rels: list[str]) -> bool:
        """Analyse again the cache hits whose cross-module parts the cache lost; False if
        a file no longer has the content hash the run keyed its results with."""
        items: list[tuple[str, bytes, str]] = []
        for rel in rels:
            try:
                data = _read(sources[rel], configs[rel].max_file_size)
            except OSError:
                data = b""
            items.append((rel, data, content_hash(data)))
        for (rel, _, digest), summary in zip(items, _analyze_all(items, config.jobs), strict=True):
            summaries[rel] = summary
            if cache is not None:
                cache.put(rel, digest, summary, stamps.get(rel))
        return all(digest == digests.get(rel) for rel, _, digest in items)

    findings = _resolve(summaries, display, configs, config, cache, digests, reanalyze)
    ascii_only = {display[rel] for rel, s in summaries.items() if s.get("ascii") and rel in display}
    findings = _character_columns(findings, located, ascii_only)
    if cache is not None:
        cache.save()
    findings.sort(key=lambda f: (f.path, f.line, f.col, f.code))
    notices.extend(FileError("", w) for w in discovery.warnings)
    return LintResult(
        findings=findings,
        # once each: a directory named and inside a named one (`--project .`) is walked twice
        errors=sorted(set(errors), key=lambda e: (e.path, e.message)),
        files=len(summaries),
        duration_ms=round((time.perf_counter() - started) * 1000, 1),
        notices=list(dict.fromkeys(notices)),
        ignored=discovery.ignored,
    )


def _character_columns(
    findings: list[Finding], located: dict[str, str], ascii_only: set[str]
) -> list[Finding]:
    """``findings`` with their columns counted in characters, as editors, GitHub and SARIF
    (``columnKind: unicodeCodePoints``) count them: Python's ``ast`` counts UTF-8
    bytes, so a finding after ``"é"`` on its line was shown too far right.
    Only lines with non-ASCII characters change: files known to be ASCII (``ascii_only``,
    shown paths) are not read again; ``.ini`` findings and DBC000 (see ``error_column``)
    count characters already."""
    lines_of: dict[str, list[str]] = {}
    out: list[Finding] = []
    for f in findings:
        path = located.get(f.path)
        if path is None or f.path in ascii_only or path.endswith(".ini") or f.code == "DBC000":
            out.append(f)
            continue
        lines = lines_of.get(path)
        if lines is None:
            lines = lines_of[path] = read_source_lines(path)
        out.append(replace(
            f, col=_chars(lines, f.line, f.col), end_col=_chars(lines, f.end_line, f.end_col)
        ))
    return out


def _chars(lines: list[str], line: int, col: int) -> int:
    """The 1-based character column of the 1-based UTF-8 byte column ``col``."""
    if not 1 <= line <= len(lines) or col <= 1 or lines[line - 1].isascii():
        return col
    prefix = lines[line - 1].encode("utf-8")[: col - 1]
    return len(prefix.decode("utf-8", errors="ignore")) + 1


def _too_large(size: int, cap: int | None) -> str:
    def mb(n: int) -> str:
        return f"{n / 1_000_000:.1f} MB" if n >= 100_000 else f"{n / 1000:.1f} kB"

    return f"skipped: {mb(size)} is over the max-file-size of {mb(cap or 0)}"


#: the files of a parallel run, inherited by forked workers (no pickling of contents)
_FORK_ITEMS: list[tuple[str, bytes]] = []


def _analyze_indices(indices: list[int]) -> list[dict[str, Any]]:
    return [analyze(*_FORK_ITEMS[i]) for i in indices]


def _threads_alive() -> bool:
    """Whether another thread runs in this process (the OS's count on Linux: threads
    started by C code too), so that forking it could deadlock the child."""
    try:
        return len(os.listdir("/proc/self/task")) > 1
    except OSError:
        import threading

        return threading.active_count() > 1


def _analyze_all(todo: list[tuple[str, bytes, str]], jobs: int | None) -> list[dict[str, Any]]:
    global _FORK_ITEMS  # noqa: PLW0603 - handed to forked workers
    items = [(rel, data) for rel, data, _ in todo]
    workers = jobs if jobs is not None else (os.cpu_count() or 1)
    if len(items) < PARALLEL_THRESHOLD or workers <= 1:
        return _analyze_batch(items)
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    # batches balanced by size, so one worker does not get all the big files; many small
    # ones, so that the last batches leave little idle time to the other workers
    n_batches = workers * 32
    batches: list[list[int]] = [[] for _ in range(n_batches)]
    loads = [0] * n_batches
    order = sorted(range(len(items)), key=lambda i: -len(items[i][1]))
    where: list[tuple[int, int]] = [(0, 0)] * len(items)
    for i in order:
        b = loads.index(min(loads))
        where[i] = (b, len(batches[b]))
        batches[b].append(i)
        loads[b] += len(items[i][1]) + 1
    methods = multiprocessing.get_all_start_methods()
    # fork() copies only the calling thread (and any lock another thread holds): with
    # threads alive the workers come from a fork server and the files are pickled
    fork = "fork" in methods and not _threads_alive()
    method = "fork" if fork else "forkserver" if "forkserver" in methods else "spawn"
    try:
        with ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context(method)) as pool:
            if fork:
                _FORK_ITEMS = items
                results = list(pool.map(_analyze_indices, batches))
            else:
                results = list(
                    pool.map(_analyze_batch, [[items[i] for i in b] for b in batches])
                )
    except Exception:  # a broken pool: fall back to doing it here
        return _analyze_batch(items)
    finally:
        _FORK_ITEMS = []
    return [results[b][j] for b, j in where]


def _resolve(
    summaries: dict[str, dict[str, Any]], display: dict[str, str],
    configs: dict[str, LintConfig], default: LintConfig,
    cache: LintCache | None = None, digests: dict[str, str] | None = None,
    reanalyze: Callable[[list[str]], bool] | None = None,
) -> list[Finding]:
    from dbctl.lint.registry import by_code

    rules = by_code()
    ignores: dict[int, list[tuple[Any, frozenset[str]]]] = {}
    enabled_anywhere = frozenset().union(*(c.enabled for c in {id(c): c for c in
                                          [default, *configs.values()]}.values()))
    out: list[Finding] = []
    raw: list[tuple[str, list[Any]]] = []
    for rel, s in summaries.items():
        raw.extend((rel, f) for f in s["findings"])
    raw.extend((f[0], f[1:]) for f in _cross_module(
        summaries, display, enabled_anywhere, cache, digests or {}, reanalyze))
    seen: set[tuple[str, str, int, int]] = set()
    for rel, (code, line, col, end_line, end_col, message) in raw:
        config = configs.get(rel, default)
        if code not in config.enabled:
            continue
        if (rel, code, line, col) in seen:  # chained calls (`inspect(e).has_table()`)
            continue
        seen.add((rel, code, line, col))
        s = summaries[rel]
        if _suppressed(code, line, end_line, s):
            continue
        specs = ignores.get(id(config))
        if specs is None:
            specs = ignores[id(config)] = _per_file_ignores(config.per_file_ignores)
        if specs and any(
            code in codes and _match(spec, relative(_absolute(rel, default), str(config.root)))
            for spec, codes in specs
        ):
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


def _cross_module(
    summaries: dict[str, dict[str, Any]], display: dict[str, str],
    enabled_anywhere: frozenset[str], cache: LintCache | None, digests: dict[str, str],
    reanalyze: Callable[[list[str]], bool] | None = None,
) -> list[list[Any]]:
    """The findings of the cross-module pass, ``[rel, code, line, col, end_line, end_col,
    message]``: the deferred findings whose conditions hold, then the rules' project-wide
    halves. Reused from the cache when nothing it depends on changed (every file's
    content hash, the files, the paths as shown, the rules enabled anywhere)."""
    import hashlib
    import json

    key = ""
    if cache is not None:
        h = hashlib.blake2b(digest_size=16)
        h.update(json.dumps(sorted(enabled_anywhere)).encode())
        for rel in summaries:
            h.update(json.dumps([rel, digests.get(rel, ""), display.get(rel, rel)]).encode())
        key = h.hexdigest()
        stored = cache.get_project(key)
        if stored is not None and all(
            type(f) is list and len(f) == 7 and f[0] in summaries for f in stored
        ):
            return stored
        lost: list[str] = []
        for rel, s in summaries.items():  # the parts only this pass reads
            full = cache.expand(rel, s, digests.get(rel, ""))
            if full is None:
                lost.append(rel)
            else:
                summaries[rel] = full
        if lost and (reanalyze is None or not reanalyze(lost)):
            key = ""  # a file changed meanwhile: do not keep this result
    result = _project_findings(summaries, display, enabled_anywhere)
    if cache is not None and key:
        cache.put_project(key, result)
    return result


def _project_findings(
    summaries: dict[str, dict[str, Any]], display: dict[str, str],
    enabled_anywhere: frozenset[str],
) -> list[list[Any]]:
    from dbctl.lint.registry import by_code
    from dbctl.lint.semantic.project import ProjectIndex

    index = ProjectIndex(list(summaries.values()), lambda rel: display.get(rel, rel))
    out: list[list[Any]] = []
    for rel, s in summaries.items():
        module = s.get("module", "")
        for d in s["deferred"]:
            if all(index.holds_json(c, module) for c in d[6]):
                out.append([rel, *d[:6]])
    by_module = {s["module"]: rel for rel, s in summaries.items() if "module" in s}
    for code, project_rule in by_code().items():  # the rules' project-wide halves
        if code in enabled_anywhere:
            out.extend(
                [by_module[f.module], code, *f.loc, f.message]
                for f in project_rule.check_project(index)
            )
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
    out: list[tuple[Any, frozenset[str]]] = []
    for glob, codes in pairs:
        spec = compile_patterns([glob], "per-file-ignores")
        if spec is not None:
            out.append((spec, codes))
    return out


def _absolute(rel: str, default: LintConfig) -> str:
    return os.path.join(os.path.abspath(default.root), *rel.split("/"))


def _match(spec: Any, rel: str) -> bool:
    return bool(spec.match_file(rel))

"""The ``migrations`` check of ``dbctl check``: alembic_version against the script heads.

Called by ``dbctl.core.check`` with an open asyncpg connection after ``schema``.

The Alembic configuration is, first found wins: ``alembic_config`` in the settings
(``[tool.dbctl] alembic_config``, ``DBCTL_ALEMBIC_CONFIG``), ``alembic.ini`` in the
current directory, ``alembic.ini`` next to the nearest pyproject.toml. No
configuration means no check (``run`` returns None).

The script heads are read with Alembic's own :class:`~alembic.script.ScriptDirectory`
(Alembic is the optional extra ``fastapi-dbctl[alembic]``); ``env.py`` is never run and no
sync engine is created: the database side is one query on the given asyncpg
connection. A missing ``alembic_version`` table means no revision is applied.

Outcomes (DESIGN.md §6): ``pass`` at head; ``fail`` ``migrations.behind`` with the
pending revisions (oldest first) in ``data["pending"]``; ``fail``
``migrations.unknown_revision`` when the database is at a revision the scripts do
not know; ``warn`` when a configuration is found but Alembic is not installed, or
when the role may not read ``alembic_version`` (looked up on the search_path, then in
the ``db_schema`` setting).

Two outcomes need no database at all (:func:`run_without_database` reports them when
the database is unreachable and for ``check --offline``): ``fail``
``migrations.multiple_heads`` (the head ids in ``data["heads"]``: ``alembic upgrade
head`` cannot choose) and ``fail`` ``migrations.invalid_graph`` (a revision file that
does not import, a missing down revision, a cycle, a revision defined twice).
An Alembic configuration that is named but missing, or that Alembic cannot read
(no such ``script_location``), is a :class:`~dbctl.errors.ConfigError` (exit 2).
"""

from __future__ import annotations

import configparser
import sys
import time
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from dbctl import DISTRIBUTION
from dbctl.checks.codes import hint
from dbctl.core.result import CheckResult
from dbctl.errors import ConfigError
from dbctl.settings import LoadedSettings

CHECK_ID = "migrations"
TITLE = "Migrations (Alembic)"
VERSION_TABLE = "alembic_version"


@dataclass(frozen=True, slots=True)
class ScriptGraph:
    """What the migration scripts say: the heads and every revision's parents."""

    heads: tuple[str, ...]
    #: revision -> its down revisions (and depends_on), every known revision a key
    parents: dict[str, tuple[str, ...]]
    #: known revisions, oldest first (the order ``alembic upgrade`` applies them)
    order: tuple[str, ...]

    def ancestry(self, revisions: set[str]) -> set[str]:
        """``revisions`` and everything below them."""
        seen: set[str] = set()
        stack = list(revisions)
        while stack:
            rev = stack.pop()
            if rev in seen:
                continue
            seen.add(rev)
            stack.extend(self.parents.get(rev, ()))
        return seen


def find_config(loaded: LoadedSettings, cwd: Path | None = None) -> Path | None:
    """The Alembic configuration file to use, or None when there is none."""
    configured = loaded.settings.alembic_config
    if configured is not None:
        path = configured if configured.is_absolute() else (cwd or Path.cwd()) / configured
        if not path.is_file():
            origin = loaded.origins.get("alembic_config", "settings")
            problem = "is a directory" if path.is_dir() else "not found"
            raise ConfigError(
                f"alembic_config ({origin}) {problem}: {configured}",
                hint="point alembic_config at your alembic.ini, or remove the setting",
            )
        return path
    candidates = [(cwd or Path.cwd()) / "alembic.ini"]
    if loaded.pyproject is not None:
        candidates.append(loaded.pyproject.parent / "alembic.ini")
    for candidate in candidates:
        if candidate.is_file():
            return candidate
    return None


class InvalidGraph(Exception):
    """The revision graph does not load: ``str(exc)`` says why (one line)."""


#: Script graphs already read in this process, by (config file, its mtime): checking
#: several targets at once reads the scripts once.
_GRAPHS: dict[tuple[str, int], ScriptGraph] = {}


def read_scripts(config_path: Path) -> ScriptGraph:
    """Read the script directory named by ``config_path`` with Alembic's ScriptDirectory.

    Raises ImportError when Alembic itself is not installed, ConfigError when the
    configuration cannot be read, InvalidGraph when the revisions do not form a graph.
    """
    key = (str(config_path.resolve()), config_path.stat().st_mtime_ns)
    graph = _GRAPHS.get(key)
    if graph is None:
        graph = _GRAPHS[key] = _read_scripts(config_path)
    return graph


def alembic_config(config_path: Path, **kwargs: Any) -> Any:
    """Alembic's ``Config`` for ``config_path``; a relative ``script_location`` is taken
    next to the ini when that directory exists (dbctl may run elsewhere: preflight ./app)."""
    from alembic.config import Config

    cfg = Config(str(config_path), **kwargs)
    try:
        location = cfg.get_main_option("script_location")  # Alembic reads the file here
    except (configparser.Error, UnicodeDecodeError) as exc:
        # only the first line: configparser quotes the offending line, which may hold a URL
        first = (str(exc).splitlines() or [type(exc).__name__])[0]
        raise ConfigError(
            f"cannot read the Alembic configuration {_display(config_path)}: {first}",
            hint="alembic_config must name an alembic.ini (INI syntax, UTF-8)",
        ) from None
    if location and ":" not in location and not Path(location).is_absolute():
        beside = config_path.parent / location
        if beside.is_dir():
            cfg.set_main_option("script_location", str(beside))
    return cfg


def _read_scripts(config_path: Path) -> ScriptGraph:
    import alembic  # noqa: F401 - ImportError here means "Alembic is not installed"
    from alembic.script import ScriptDirectory
    from alembic.util.exc import CommandError

    saved_path = list(sys.path)  # prepend_sys_path in alembic.ini edits sys.path
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("ignore", DeprecationWarning)  # Alembic's, not dbctl's
            warnings.simplefilter("always", UserWarning)
            try:
                script = ScriptDirectory.from_config(alembic_config(config_path))
            except CommandError as exc:
                raise ConfigError(
                    f"cannot read the Alembic scripts of {config_path}: {exc}",
                    hint="check script_location in the Alembic configuration",
                ) from None
            try:
                heads = tuple(sorted(script.get_heads()))
                newest_first = list(script.walk_revisions())
            except Exception as exc:  # broken revision files, missing revisions, cycles
                raise InvalidGraph(_graph_error(exc, [str(w.message) for w in caught])) from None
    finally:
        sys.path[:] = saved_path
    parents: dict[str, tuple[str, ...]] = {}
    for sc in newest_first:
        down = _as_tuple(sc.down_revision) + _as_tuple(sc.dependencies)
        parents[sc.revision] = down
    order = tuple(sc.revision for sc in reversed(newest_first))
    return ScriptGraph(heads, parents, order)


def _graph_error(exc: Exception, warned: list[str]) -> str:
    """One line: what Alembic raised (a bare KeyError is explained by its warning)."""
    notes = [" ".join(w.split()).rstrip(",") for w in warned if w]
    if isinstance(exc, KeyError) and notes:
        return "; ".join(notes)  # "Revision zzz referenced from zzz -> c (head), is not present"
    if isinstance(exc, SyntaxError):
        where = f"{Path(exc.filename).name}, line {exc.lineno}" if exc.filename else ""
        text = f"SyntaxError: {exc.msg}" + (f" ({where})" if where else "")
    elif isinstance(exc, KeyError):
        text = f"revision {exc.args[0] if exc.args else '?'} is not present"
    else:
        first = (str(exc).splitlines() or [""])[0]
        text = f"{type(exc).__name__}: {first}" if first else type(exc).__name__
    return "; ".join([text, *notes])


def _as_tuple(value: Any) -> tuple[str, ...]:
    if value is None:
        return ()
    if isinstance(value, str):
        return (value,)
    return tuple(str(v) for v in value)


class VersionTableUnreadable(Exception):
    """The server refused to show ``alembic_version`` (e.g. 42501 permission denied)."""

    def __init__(self, sqlstate: str, message: str) -> None:
        super().__init__(message)
        self.sqlstate = sqlstate
        self.message = message


async def read_applied(conn: Any, schema: str = "public") -> list[str] | None:
    """The revisions in ``alembic_version``, or None when the table is absent.

    The table is looked up on the search_path, then in ``schema`` (Alembic's
    ``version_table_schema``, usually the app's schema).
    """
    from dbctl.db.errors import find_sqlstate

    candidates = [VERSION_TABLE]
    if schema != "public":
        candidates.append('"' + schema.replace('"', '""') + '".' + VERSION_TABLE)
    try:
        found = None
        for name in candidates:
            found = await conn.fetchval("SELECT to_regclass($1)::text", name)
            if found is not None:
                break
        if found is None:
            return None
        # ``found`` is the regclass rendered by the server: already a quoted, safe name
        rows = await conn.fetch(f"SELECT version_num FROM {found}")
    except Exception as exc:
        state, carrier = find_sqlstate(exc)
        if state is None:
            raise
        first = (str(carrier.args[0]) if carrier.args else type(carrier).__name__).splitlines()
        raise VersionTableUnreadable(state, first[0] if first else state) from None
    return sorted(str(row[0]) for row in rows)


def evaluate(graph: ScriptGraph, applied: list[str] | None, config: str) -> CheckResult:
    """Compare what the database has applied with the script heads."""
    current = applied or []
    data: dict[str, Any] = {
        "config": config,
        "heads": list(graph.heads),
        "current": current,
        "version_table": applied is not None,
    }
    unknown = [rev for rev in current if rev not in graph.parents]
    if unknown:
        data["unknown"] = unknown
        return CheckResult(
            CHECK_ID,
            TITLE,
            "fail",
            f"database is at revision {', '.join(unknown)}, unknown to the migration "
            f"scripts (heads: {_list(graph.heads)})",
            code="migrations.unknown_revision",
            hint="the database was migrated by other code (newer or from another branch): "
            "deploy the matching code, or `alembic stamp` the right revision",
            data=data,
        )
    done = graph.ancestry(set(current))
    pending = [rev for rev in graph.order if rev not in done]
    data["pending"] = pending
    if pending:
        if applied is None:
            where = f"no {VERSION_TABLE} table"
        elif not current:
            where = "no revision applied"
        else:
            where = f"database at {', '.join(current)}"
        count = len(pending)
        return CheckResult(
            CHECK_ID,
            TITLE,
            "fail",
            f"{count} migration{'s' if count != 1 else ''} pending ({where}; "
            f"head {_list(graph.heads)}): {few(pending)}",
            code="migrations.behind",
            hint="run `alembic upgrade head` (or `dbctl prestart`) before starting the app",
            data=data,
        )
    summary = f"at head {_list(graph.heads)}" if graph.heads else "no migration scripts yet"
    return CheckResult(CHECK_ID, TITLE, "pass", summary, data=data)


def few(revisions: list[str], shown: int = 5) -> str:
    """The first revisions, then how many more (the full list is in ``data``)."""
    if len(revisions) <= shown:
        return ", ".join(revisions)
    return ", ".join(revisions[:shown]) + f" … ({len(revisions) - shown} more)"


def _list(revisions: tuple[str, ...] | list[str]) -> str:
    return ", ".join(revisions) if revisions else "none"


@dataclass(slots=True)
class Scripts:
    """What reading the scripts gave: the graph, or the finished row that says why not
    (Alembic missing, a graph that does not load, several heads)."""

    config: str
    graph: ScriptGraph | None
    row: CheckResult | None


def read_project(loaded: LoadedSettings) -> Scripts | None:
    """Find the Alembic configuration and read its scripts; no database involved.

    None when there is no Alembic configuration."""
    started = time.perf_counter()
    config_path = find_config(loaded)
    if config_path is None:
        return None
    shown = _display(config_path)
    row: CheckResult | None = None
    graph: ScriptGraph | None = None
    try:
        graph = read_scripts(config_path)
    except ImportError:
        row = CheckResult(
            CHECK_ID,
            TITLE,
            "warn",
            f"Alembic configuration found ({shown}) but Alembic is not installed; "
            "migrations not checked",
            hint=f"pip install '{DISTRIBUTION}[alembic]'",
            data={"config": shown},
        )
    except InvalidGraph as exc:
        row = CheckResult(
            CHECK_ID,
            TITLE,
            "fail",
            f"the revision graph of {shown} does not load: {exc}",
            code="migrations.invalid_graph",
            hint=hint("migrations.invalid_graph"),
            data={"config": shown, "error": str(exc)},
        )
    else:
        if len(graph.heads) > 1:
            row = multiple_heads(graph, shown)
    if row is not None:
        row.duration_ms = (time.perf_counter() - started) * 1000
    return Scripts(shown, graph, row)


def multiple_heads(graph: ScriptGraph, config: str) -> CheckResult:
    """The ``migrations.multiple_heads`` failure: ``alembic upgrade head`` cannot choose."""
    return CheckResult(
        CHECK_ID,
        TITLE,
        "fail",
        f"{len(graph.heads)} heads in the migration scripts: {_list(graph.heads)} "
        "(`alembic upgrade head` refuses to choose)",
        code="migrations.multiple_heads",
        hint=hint("migrations.multiple_heads"),
        data={"config": config, "heads": list(graph.heads)},
    )


async def run(conn: Any, loaded: LoadedSettings) -> CheckResult | None:
    """Return the ``migrations`` row (``migrations.behind`` / ``unknown_revision`` /
    ``multiple_heads`` / ``invalid_graph``), or None when no Alembic configuration is
    found."""
    started = time.perf_counter()
    scripts = read_project(loaded)
    if scripts is None:
        return None
    graph, shown = scripts.graph, scripts.config
    if graph is None or (scripts.row is not None and scripts.row.status == "warn"):
        return scripts.row
    try:
        applied = await read_applied(conn, loaded.settings.db_schema)
    except VersionTableUnreadable as exc:
        if scripts.row is not None:
            return scripts.row
        return CheckResult(
            CHECK_ID,
            TITLE,
            "warn",
            f"cannot read {VERSION_TABLE}: {exc.message} ({exc.sqlstate}); "
            "migrations not checked",
            duration_ms=(time.perf_counter() - started) * 1000,
            hint=f"GRANT SELECT ON {VERSION_TABLE} TO the role dbctl connects as",
            data={"config": shown, "heads": list(graph.heads), "sqlstate": exc.sqlstate},
        )
    result = evaluate(graph, applied, shown)
    if scripts.row is not None:  # several heads: that failure first, the database's state
        row = scripts.row  # in its summary and data
        row.summary += f"; database: {result.summary}"
        row.data = {**result.data, **row.data}
        result = row
    result.duration_ms = (time.perf_counter() - started) * 1000
    return result


def run_without_database(
    loaded: LoadedSettings, reason: str, *, offline: bool = False
) -> CheckResult | None:
    """The ``migrations`` row when there is no connection (``reason``: an earlier check
    failed, or ``--offline``): what the scripts alone show. A failure (several heads, a
    graph that does not load) is reported; otherwise the row names the heads and is a
    ``pass`` when offline was asked for, else a ``skip``."""
    started = time.perf_counter()
    scripts = read_project(loaded)
    if scripts is None:
        return None
    if scripts.row is not None:
        return scripts.row
    assert scripts.graph is not None
    heads = scripts.graph.heads
    at = f"head {_list(heads)}" if heads else "no migration scripts yet"
    return CheckResult(
        CHECK_ID,
        TITLE,
        "pass" if offline else "skip",
        f"scripts read ({at}); the database's revision not compared: {reason}",
        duration_ms=(time.perf_counter() - started) * 1000,
        data={"config": scripts.config, "heads": list(heads)},
    )


def _display(path: Path) -> str:
    """The config path relative to the cwd when below it, POSIX separators."""
    try:
        return path.resolve().relative_to(Path.cwd().resolve()).as_posix()
    except ValueError:
        return path.as_posix()

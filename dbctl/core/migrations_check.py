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
An Alembic configuration that is named but missing, or that Alembic cannot read,
is a :class:`~dbctl.errors.ConfigError` (exit 2).
"""

from __future__ import annotations

import sys
import time
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from dbctl import DISTRIBUTION
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
            raise ConfigError(
                f"alembic_config ({origin}) not found: {configured}",
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


#: Script graphs already read in this process, by (config file, its mtime): checking
#: several targets at once reads the scripts once.
_GRAPHS: dict[tuple[str, int], ScriptGraph] = {}


def read_scripts(config_path: Path) -> ScriptGraph:
    """Read the script directory named by ``config_path`` with Alembic's ScriptDirectory.

    Raises ImportError when Alembic is not installed, ConfigError when the
    configuration or the scripts cannot be read.
    """
    key = (str(config_path.resolve()), config_path.stat().st_mtime_ns)
    graph = _GRAPHS.get(key)
    if graph is None:
        graph = _GRAPHS[key] = _read_scripts(config_path)
    return graph


def _read_scripts(config_path: Path) -> ScriptGraph:
    from alembic.config import Config
    from alembic.script import ScriptDirectory
    from alembic.util.exc import CommandError

    saved_path = list(sys.path)  # prepend_sys_path in alembic.ini edits sys.path
    try:
        with warnings.catch_warnings():  # Alembic's deprecation notes are not dbctl's
            warnings.simplefilter("ignore", DeprecationWarning)
            cfg = Config(str(config_path))
            location = cfg.get_main_option("script_location")
            if location and ":" not in location and not Path(location).is_absolute():
                # Alembic resolves it against the cwd, but dbctl may run elsewhere
                # (preflight ./app): a directory next to the ini is the one meant
                beside = config_path.parent / location
                if beside.is_dir():
                    cfg.set_main_option("script_location", str(beside))
            script = ScriptDirectory.from_config(cfg)
            heads = tuple(sorted(script.get_heads()))
            newest_first = list(script.walk_revisions())
    except CommandError as exc:
        raise ConfigError(
            f"cannot read the Alembic scripts of {config_path}: {exc}",
            hint="check script_location in the Alembic configuration",
        ) from None
    except Exception as exc:  # revision graph errors, broken revision files
        raise ConfigError(
            f"cannot read the Alembic scripts of {config_path}: "
            f"{type(exc).__name__}: {exc}"
        ) from None
    finally:
        sys.path[:] = saved_path
    parents: dict[str, tuple[str, ...]] = {}
    for sc in newest_first:
        down = _as_tuple(sc.down_revision) + _as_tuple(sc.dependencies)
        parents[sc.revision] = down
    order = tuple(sc.revision for sc in reversed(newest_first))
    return ScriptGraph(heads, parents, order)


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
            f"head {_list(graph.heads)}): {_few(pending)}",
            code="migrations.behind",
            hint=f"run `alembic upgrade {'heads' if len(graph.heads) > 1 else 'head'}` "
            "before starting the app",
            data=data,
        )
    summary = f"at head {_list(graph.heads)}" if graph.heads else "no migration scripts yet"
    return CheckResult(CHECK_ID, TITLE, "pass", summary, data=data)


def _few(revisions: list[str], shown: int = 5) -> str:
    """The first revisions, then how many more (the full list is in ``data``)."""
    if len(revisions) <= shown:
        return ", ".join(revisions)
    return ", ".join(revisions[:shown]) + f" … ({len(revisions) - shown} more)"


def _list(revisions: tuple[str, ...] | list[str]) -> str:
    return ", ".join(revisions) if revisions else "none"


async def run(conn: Any, loaded: LoadedSettings) -> CheckResult | None:
    """Return the ``migrations`` row (``migrations.behind`` / ``migrations.unknown_revision``),
    or None when no Alembic configuration is found."""
    started = time.perf_counter()
    config_path = find_config(loaded)
    if config_path is None:
        return None
    shown = _display(config_path)
    try:
        graph = read_scripts(config_path)
    except ImportError:
        return CheckResult(
            CHECK_ID,
            TITLE,
            "warn",
            f"Alembic configuration found ({shown}) but Alembic is not installed; "
            "migrations not checked",
            duration_ms=(time.perf_counter() - started) * 1000,
            hint=f"pip install '{DISTRIBUTION}[alembic]'",
            data={"config": shown},
        )
    try:
        applied = await read_applied(conn, loaded.settings.db_schema)
    except VersionTableUnreadable as exc:
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
    result.duration_ms = (time.perf_counter() - started) * 1000
    return result


def _display(path: Path) -> str:
    """The config path relative to the cwd when below it, POSIX separators."""
    try:
        return path.resolve().relative_to(Path.cwd().resolve()).as_posix()
    except ValueError:
        return path.as_posix()

"""Renderers for ``init-db``, ``seed`` and ``users``; the progress bar (stderr, terminals)."""

from __future__ import annotations

import json
import sys
from typing import IO, TYPE_CHECKING, Any

from dbctl.core.result import envelope
from dbctl.output import escape, info, stderr, stdout, warn, write_json, write_text

if TYPE_CHECKING:
    from rich.progress import Progress, TaskID

    from dbctl.core.init_db import InitDbResult
    from dbctl.core.seed import ProgressSink, SeedResult
    from dbctl.core.users import ListOutcome, ListResult


# --- progress -----------------------------------------------------------------------------


class _RichProgress:
    """A transient rich progress bar on stderr."""

    def __init__(self) -> None:
        self._progress: Progress | None = None
        self._task: TaskID | None = None

    def start(self, description: str, total: int | None) -> None:
        from rich.progress import (
            BarColumn,
            Progress,
            TaskProgressColumn,
            TextColumn,
            TimeElapsedColumn,
        )

        self.stop()
        self._progress = Progress(
            TextColumn("{task.description}"),
            BarColumn(),
            TaskProgressColumn(),
            TimeElapsedColumn(),
            console=stderr(),
            transient=True,
        )
        self._progress.start()
        self._task = self._progress.add_task(escape(description), total=total)

    def advance(self, amount: int) -> None:
        if self._progress is not None and self._task is not None:
            self._progress.advance(self._task, amount)

    def stop(self) -> None:
        if self._progress is not None:
            self._progress.stop()
            self._progress = None


def progress_sink() -> ProgressSink | None:
    """A progress bar when stderr is a terminal, else nothing."""
    return _RichProgress() if stderr().is_terminal else None


# --- seed ---------------------------------------------------------------------------------


def seed_data(result: SeedResult) -> dict[str, Any]:
    return {
        "source": result.source,
        "tables": [
            {"table": t.table, "rows": t.rows, "inserted": t.inserted, "skipped": t.skipped}
            for t in result.tables
        ],
        "inserted": result.inserted,
        "skipped": result.skipped,
        "duration_ms": round(result.duration_ms, 1),
    }


def _seed_lines(result: SeedResult) -> list[str]:
    lines = [
        f"{t.table}: {t.inserted} inserted, {t.skipped} skipped "
        f"({t.rows} row{'' if t.rows == 1 else 's'})"
        for t in result.tables
    ]
    if not result.tables:
        lines.append(f"{result.source}: no rows")
    lines.append(
        f"seeded from {result.source}: {result.inserted} inserted, {result.skipped} skipped "
        f"in {result.duration_ms / 1000:.2f} s"
    )
    return lines


def render_seed(result: SeedResult, fmt: str) -> None:
    if fmt == "json":
        write_json({**envelope(), **seed_data(result)})
        return
    write_text("\n".join(_seed_lines(result)) + "\n")


# --- init-db ------------------------------------------------------------------------------


def render_init_db(result: InitDbResult, fmt: str) -> None:
    if fmt == "json":
        write_json(
            {
                **envelope(),
                "target": result.target,
                "schema": result.schema,
                "dry_run": result.dry_run,
                "created": result.created,
                "skipped": result.skipped,
                "dropped": result.dropped,
                "drift": result.drift,
                "statements": result.statements,
                "seed": seed_data(result.seed) if result.seed is not None else None,
                "duration_ms": round(result.duration_ms, 1),
                "notes": result.notes,
            }
        )
        return
    if result.dry_run:
        write_text("".join(f"{s};\n\n" for s in result.statements))
        info("dry run: nothing was executed")
        for note in result.notes:
            info(note)
        return
    lines = [f"dropped  {t}" for t in result.dropped]
    lines += [f"created  {t}" for t in result.created]
    lines += [
        f"skipped  {t} (exists{', differs from the model' if t in result.drift else ''})"
        for t in result.skipped
    ]
    if result.seed is not None:
        lines += _seed_lines(result.seed)
    summary = (
        f"{len(result.created)} created, {len(result.skipped)} skipped"
        + (f", {len(result.dropped)} dropped" if result.dropped else "")
        + (f", {len(result.drift)} drifted" if result.drift else "")
        + f" in schema {result.schema} of {result.target}"
    )
    lines.append(summary)
    write_text("\n".join(lines) + "\n")
    for table, problems in result.drift.items():
        for p in problems:
            warn(f"drift in {table}: {p} (init-db does not alter existing tables)")


# --- users --------------------------------------------------------------------------------


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, dict | list):
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


class UsersSink:
    """Writes ``users list`` output to stdout; bytes from COPY are written as they come."""

    def __init__(self) -> None:
        self._count = 0
        self._out = sys.stdout
        self._spool: IO[str] = sys.stdout

    async def raw(self, chunk: bytes) -> None:
        buffer = getattr(self._out, "buffer", None)
        if buffer is not None:
            self._out.flush()
            buffer.write(chunk)
        else:
            self._out.write(chunk.decode())

    def begin(self, columns: list[str]) -> None:
        # A JSON array is printed whole or not at all: rows are spooled (to disk beyond
        # a few MB) and copied to stdout only once the query has completed.
        import tempfile

        self._count = 0
        self._spool = tempfile.SpooledTemporaryFile(  # noqa: SIM115 - closed in end()
            max_size=8 << 20, mode="w+", encoding="utf-8"
        )
        self._spool.write("[")

    def row(self, text: str) -> None:
        self._spool.write(("\n  " if self._count == 0 else ",\n  ") + text)
        self._count += 1

    def end(self) -> None:
        import shutil

        spool = self._spool
        spool.write("\n]\n" if self._count else "]\n")
        spool.seek(0)
        shutil.copyfileobj(spool, self._out)
        spool.close()
        self._out.flush()

    def table(self, result: ListResult) -> None:
        if not result.rows:
            return
        console = stdout()
        if console.is_terminal:
            from rich.table import Table

            table = Table(title=escape(result.table), title_justify="left")
            for col in result.columns:
                table.add_column(escape(col), overflow="fold")
            for row in result.rows:
                table.add_row(*(escape(_cell(row.get(c))) for c in result.columns))
            console.print(table)
            return
        cells = [[_cell(r.get(c)).replace("\n", " ") for c in result.columns] for r in result.rows]
        widths = [
            max([len(col)] + [len(row[i]) for row in cells]) for i, col in enumerate(result.columns)
        ]
        lines = ["  ".join(c.ljust(w) for c, w in zip(result.columns, widths, strict=True))]
        lines.append("  ".join("-" * w for w in widths))
        lines += ["  ".join(v.ljust(w) for v, w in zip(row, widths, strict=True)) for row in cells]
        write_text("\n".join(line.rstrip() for line in lines) + "\n")


def users_sink() -> UsersSink:
    return UsersSink()


def render_list_outcome(
    outcome: ListOutcome, *, after: str | None, every_row: bool = False
) -> None:
    """The talk after a listing (stderr): an empty result, the next page's cursor (or, for
    ``--all``, how many rows were sent), and which columns were masked."""
    sys.stdout.flush()
    if outcome.rows == 0:
        where = " after that cursor" if after is not None else ""
        if outcome.searched:
            info(f"no rows match the search in {outcome.table}{where}")
        else:
            info(f"no rows in {outcome.table}{where}")
    elif every_row:
        info(f"{outcome.rows} {'row' if outcome.rows == 1 else 'rows'} from {outcome.table}")
    elif outcome.next_cursor is not None:
        import shlex  # a value with spaces or quotes must survive being pasted into a shell

        info(f"next page: --after {shlex.quote(str(outcome.next_cursor))}")
    if outcome.masked and outcome.rows:
        info(f"masked: {', '.join(outcome.masked)} (--show-secrets to show them)")


def render_count(table: str, n: int, fmt: str) -> None:
    if fmt == "json":
        write_json({**envelope(), "table": table, "count": n})
    else:
        write_text(f"{n}\n")

"""Renderers for ``init-db``, ``seed`` and ``users``; the progress bar (stderr, terminals)."""

from __future__ import annotations

import contextlib
import json
import sys
from collections.abc import Iterator
from typing import IO, TYPE_CHECKING, Any

from dbctl.core.result import envelope
from dbctl.output import (
    VERBOSITY,
    detail,
    escape,
    info,
    stderr,
    stdout,
    warn,
    write_json,
    write_text,
)

if TYPE_CHECKING:
    from rich.progress import Progress, TaskID

    from dbctl.core.init_db import InitDbResult
    from dbctl.core.seed import ProgressSink, SeedResult
    from dbctl.core.users import ListOutcome, ListResult


# --- progress -----------------------------------------------------------------------------


class _RichProgress:
    """A transient rich progress display on stderr: a bar while dbctl sends rows, then a
    spinner naming what the server is doing (inserting, committing…) until :meth:`stop`."""

    def __init__(self) -> None:
        self._progress: Progress | None = None
        self._task: TaskID | None = None
        self._spinning = False

    def _show(self, description: str, total: int | None, *, spinner: bool) -> None:
        from rich.progress import (
            BarColumn,
            Progress,
            SpinnerColumn,
            TaskProgressColumn,
            TextColumn,
            TimeElapsedColumn,
        )

        self.stop()
        columns = (
            (SpinnerColumn(), TextColumn("{task.description}"), TimeElapsedColumn())
            if spinner
            else (
                TextColumn("{task.description}"),
                BarColumn(),
                TaskProgressColumn(),
                TimeElapsedColumn(),
            )
        )
        self._progress = Progress(*columns, console=stderr(), transient=True)
        self._progress.start()
        self._task = self._progress.add_task(escape(description), total=total)
        self._spinning = spinner
        self._progress.refresh()  # a short phase is still shown once

    def start(self, description: str, total: int | None) -> None:
        self._show(description, total, spinner=False)

    def advance(self, amount: int) -> None:
        if self._progress is not None and self._task is not None:
            self._progress.advance(self._task, amount)

    def phase(self, description: str) -> None:
        if self._spinning and self._progress is not None and self._task is not None:
            self._progress.update(self._task, description=escape(description), refresh=True)
            return
        self._show(description, None, spinner=True)

    def stop(self) -> None:
        if self._progress is not None:
            self._progress.stop()
            self._progress = None
            self._spinning = False


def progress_sink(fmt: str = "text") -> ProgressSink | None:
    """Progress (a bar, then what the server is doing) when stderr is a terminal, the
    format is for people and there is no ``-q``; else nothing."""
    if fmt != "text" or VERBOSITY.quiet:
        return None
    return _RichProgress() if stderr().is_terminal else None


@contextlib.contextmanager
def progress(fmt: str) -> Iterator[ProgressSink | None]:
    """:func:`progress_sink` for the length of the operation: gone before the report (or
    the error) is printed, whatever happened."""
    sink = progress_sink(fmt)
    try:
        yield sink
    finally:
        if sink is not None:
            sink.stop()


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
    lines = _seed_lines(result)
    write_text("\n".join(lines[-1:] if VERBOSITY.quiet else lines) + "\n")


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
    write_text("\n".join(lines[-1:] if VERBOSITY.quiet else lines) + "\n")
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
    elif outcome.next_cursor is not None:  # data, not talk: shown with -q too
        import shlex  # a value with spaces or quotes must survive being pasted into a shell

        write_text(f"next page: --after {shlex.quote(str(outcome.next_cursor))}\n", sys.stderr)
    if outcome.masked and outcome.rows:
        info(f"masked: {', '.join(outcome.masked)} (--show-secrets to show them)")
    if not every_row:  # --all says it already
        detail(f"{outcome.rows} {'row' if outcome.rows == 1 else 'rows'} from {outcome.table}")


def render_count(table: str, n: int, fmt: str) -> None:
    if fmt == "json":
        write_json({**envelope(), "table": table, "count": n})
    else:
        write_text(f"{n}\n")

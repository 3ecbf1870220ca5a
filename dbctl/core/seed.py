"""``dbctl seed``: load JSON / YAML / CSV / JSON-lines files, or generate fake rows.

Every table goes the same way: the rows are streamed with COPY into a temporary
table shaped like the target, then one ``INSERT … SELECT … ON CONFLICT DO NOTHING``
moves them over — so a re-run inserts nothing, and the whole seed is one transaction.
(Into an empty table the INSERT first runs without ``ON CONFLICT``, in a savepoint,
and falls back to it when a unique constraint objects: same result, less work.)
CSV files are streamed to COPY as they are (never read into memory); other formats
are coerced row by row in Python (errors name file, row and column) and written in
COPY's text format. ``--fake`` streams generated rows straight into the table.
"""

from __future__ import annotations

import csv
import dataclasses
import enum
import json
import math
import random
import re
import secrets
import time
import uuid
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from datetime import time as dtime
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any, Protocol

from dbctl.core.fake_rules import LIST_NAMES, Rule, column_rules, number_range, parse_steering
from dbctl.db.catalog import Column, Table, fk_order, qualified, quote_ident, reflect
from dbctl.errors import DatabaseError, UsageError
from dbctl.urls import DatabaseUrl

FORMATS = {
    ".json": "json",
    ".yaml": "yaml",
    ".yml": "yaml",
    ".csv": "csv",
    ".jsonl": "jsonl",
    ".ndjson": "jsonl",
}
CHUNK = 1 << 16


class ProgressSink(Protocol):
    """What the output layer gives the core to show progress (stderr, terminals only):
    a bar (``start``/``advance``) while rows are sent, then ``phase``, an indeterminate
    display of what the server is doing (inserting, committing…) until the next
    ``start``/``phase`` or ``stop``. Whoever made the sink stops it once the operation
    has really finished (after COMMIT)."""

    def start(self, description: str, total: int | None) -> None: ...
    def advance(self, amount: int) -> None: ...
    def phase(self, description: str) -> None: ...
    def stop(self) -> None: ...


@dataclass(slots=True)
class TableSeed:
    table: str
    rows: int
    inserted: int

    @property
    def skipped(self) -> int:
        return self.rows - self.inserted


@dataclass(slots=True)
class SeedResult:
    source: str
    tables: list[TableSeed] = field(default_factory=list)
    duration_ms: float = 0.0

    @property
    def inserted(self) -> int:
        return sum(t.inserted for t in self.tables)

    @property
    def skipped(self) -> int:
        return sum(t.skipped for t in self.tables)


# --- value coercion -----------------------------------------------------------------------

_TRUE = {"true", "t", "yes", "y", "on", "1"}
_FALSE = {"false", "f", "no", "n", "off", "0"}
_INT_RANGE = {"int2": 2**15, "int4": 2**31, "int8": 2**63}


def copy_escape(text: str) -> str:
    """A value in COPY's text format."""
    if "\\" in text or "\t" in text or "\n" in text or "\r" in text:
        text = (
            text.replace("\\", "\\\\")
            .replace("\t", "\\t")
            .replace("\n", "\\n")
            .replace("\r", "\\r")
        )
    return text


def _array_literal(values: list[Any]) -> str:
    items = []
    for v in values:
        if v is None:
            items.append("NULL")
        elif isinstance(v, list):
            items.append(_array_literal(v))
        else:
            s = json.dumps(v) if isinstance(v, dict) else str(v)
            items.append('"' + s.replace("\\", "\\\\").replace('"', '\\"') + '"')
    return "{" + ",".join(items) + "}"


def coerce(value: Any, col: Column) -> str | None:
    """``value`` as the text PostgreSQL parses into ``col``'s type; ValueError if it cannot be."""
    if value is None:
        return None
    t = col.typname
    if isinstance(value, float) and not math.isfinite(value) and t not in _FLOATS:
        raise ValueError(
            f"{value} (not a finite number) fits only a float column, not {col.type_sql}"
        )
    text = _coerce(value, col, t)
    if text is not None and ("\x00" in text or (t in {"json", "jsonb"} and "\\u0000" in text)):
        raise ValueError("contains a NUL character (\\u0000), which PostgreSQL cannot store")
    return text


_FLOATS = {"float4", "float8"}
_FLOAT_MAX = {"float4": Decimal("3.4028235e38"), "float8": Decimal("1.7976931348623157e308")}


def _number(value: Any, col: Column, t: str) -> str:
    try:
        number = Decimal(str(value).strip())
    except InvalidOperation:
        raise ValueError(f"expected a number, got {_show(value)}") from None
    if not number.is_finite():
        if t not in _FLOATS:
            raise ValueError(f"{_show(value)} fits only a float column, not {col.type_sql}")
        return str(number)
    if t in _FLOAT_MAX and abs(number) > _FLOAT_MAX[t]:
        raise ValueError(f"{_show(value)} is out of range for {col.type_sql}")
    match = re.fullmatch(r"numeric\((\d+),(\d+)\)", col.type_sql)
    if match:
        precision, scale = int(match[1]), int(match[2])
        rounded = number.quantize(Decimal(1).scaleb(-scale))
        if abs(rounded) >= Decimal(10) ** (precision - scale):
            raise ValueError(f"{_show(value)} is out of range for {col.type_sql}")
    return str(number)


def _coerce(value: Any, col: Column, t: str) -> str | None:
    if t in _INT_RANGE:
        if isinstance(value, bool) or not isinstance(value, int | str):
            if isinstance(value, float) and value.is_integer():
                value = int(value)
            else:
                raise ValueError(f"expected an integer, got {_show(value)}")
        try:
            number = int(value)
        except ValueError:
            try:  # 0x1F, 0o17, 0b101 (kept as text by the YAML 1.2 reader)
                number = int(str(value).strip(), 0)
            except ValueError:
                raise ValueError(f"expected an integer, got {_show(value)}") from None
        if not -_INT_RANGE[t] <= number < _INT_RANGE[t]:
            raise ValueError(f"{number} is out of range for {col.type_sql}")
        return str(number)
    if t in {"float4", "float8", "numeric"}:
        if isinstance(value, bool) or not isinstance(value, int | float | str | Decimal):
            raise ValueError(f"expected a number, got {_show(value)}")
        return _number(value, col, t)
    if t == "bool":
        if isinstance(value, bool):
            return "t" if value else "f"
        s = str(value).strip().lower()
        if s in _TRUE:
            return "t"
        if s in _FALSE:
            return "f"
        raise ValueError(f"expected a boolean, got {_show(value)}")
    if t in {"timestamp", "timestamptz"}:
        if isinstance(value, datetime | date):
            return value.isoformat()
        try:
            return datetime.fromisoformat(str(value).strip()).isoformat()
        except ValueError:
            raise ValueError(f"expected an ISO 8601 timestamp, got {_show(value)}") from None
    if t == "date":
        if isinstance(value, datetime):
            return value.date().isoformat()
        if isinstance(value, date):
            return value.isoformat()
        try:
            return date.fromisoformat(str(value).strip()).isoformat()
        except ValueError:
            raise ValueError(f"expected an ISO 8601 date, got {_show(value)}") from None
    if t in {"time", "timetz"}:
        if isinstance(value, dtime):
            return value.isoformat()
        try:
            return dtime.fromisoformat(str(value).strip()).isoformat()
        except ValueError:
            raise ValueError(f"expected a time, got {_show(value)}") from None
    if t == "uuid":
        try:
            return str(uuid.UUID(str(value).strip()))
        except ValueError:
            raise ValueError(f"expected a UUID, got {_show(value)}") from None
    if t in {"json", "jsonb"}:
        try:
            return json.dumps(value, ensure_ascii=False, default=str, allow_nan=False)
        except ValueError:
            raise ValueError("NaN/Infinity is not valid JSON") from None
    if col.typtype == "e":
        if str(value) not in col.enum_labels:
            raise ValueError(
                f"{_show(value)} is not one of {', '.join(col.enum_labels)} ({col.type_sql})"
            )
        return str(value)
    if t.startswith("_") and isinstance(value, list):
        return _array_literal(value)
    if isinstance(value, dict | list):
        raise ValueError(f"expected a scalar for {col.type_sql}, got {type(value).__name__}")
    text = str(value) if not isinstance(value, bool) else ("true" if value else "false")
    if col.max_length is not None and len(text) > col.max_length:
        raise ValueError(f"{len(text)} characters do not fit {col.type_sql}")
    return text


def _uncopy(text: str) -> str:
    """A generated COPY-escaped value back to its text (for array literals)."""
    return text.replace("\\t", "\t").replace("\\n", "\n").replace("\\\\", "\\")


def _show(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


# --- sources ------------------------------------------------------------------------------


@dataclass(slots=True)
class _Batch:
    """Rows for one table: either raw CSV bytes, or dict rows (all with the same keys)."""

    table: str
    columns: list[str]
    rows: Any = None  # iterable of dicts (json/yaml/jsonl)
    csv_path: Path | None = None
    csv_offset: int = 0
    where: str = ""
    #: model columns the rows lack, filled by their Python-side default (``--models``)
    defaults: dict[str, Callable[[], Any]] = field(default_factory=dict)


def check_file(path: Path) -> None:
    """UsageError (exit 2) unless ``path`` is a file of a known seed format."""
    _format_of(path)
    if not path.is_file():
        if path.is_dir():
            raise UsageError(f"seed file is a directory: {path}")
        if path.exists():  # a FIFO, socket or device: it cannot be read twice
            raise UsageError(
                f"seed file is not a regular file (a pipe or device): {path}",
                hint="save it to a file first",
            )
        raise UsageError(f"seed file not found: {path}")


def _format_of(path: Path) -> str:
    fmt = FORMATS.get(path.suffix.lower())
    if fmt is None:
        raise UsageError(
            f"cannot tell the format of {path.name}",
            hint="seed files end in .json, .yaml/.yml, .csv or .jsonl/.ndjson",
        )
    return fmt


def _read_batches(path: Path, table: str | None) -> list[_Batch]:
    if not path.is_file():
        raise UsageError(
            f"seed file is a directory: {path}" if path.is_dir() else f"seed file not found: {path}"
        )
    fmt = _format_of(path)
    single = table or path.stem
    try:
        if fmt == "csv":
            from dbctl.core.seed_input import CSV_HEADER_LIMIT

            with path.open("rb") as fh:
                header = fh.readline(CSV_HEADER_LIMIT + 1)
                offset = fh.tell()
            if len(header) > CSV_HEADER_LIMIT:
                raise UsageError(
                    f"{path.name}: the header line is longer than {CSV_HEADER_LIMIT >> 20} MiB"
                )
            text = header.decode("utf-8-sig").strip("\r\n")
            if not text:
                raise UsageError(f"{path.name} is empty: a CSV seed needs a header row")
            columns = [c.strip() for c in next(csv.reader([text]))]
            return [_Batch(single, columns, csv_path=path, csv_offset=offset, where=path.name)]
        if fmt == "jsonl":
            # rows grouped by their keys, as in JSON/YAML: a missing key is the default
            key_sets: dict[tuple[str, ...], None] = {}
            for _, row in _iter_jsonl(path):
                key_sets.setdefault(tuple(row), None)
            return [
                _Batch(single, list(keys), rows=_JsonlRows(path, keys), where=path.name)
                for keys in key_sets
            ]
        with path.open(encoding="utf-8") as fh:
            if fmt == "json":
                data = json.load(fh)
            else:
                from dbctl.core.seed_input import load_yaml

                data = load_yaml(fh, path.stat().st_size)
    except UnicodeDecodeError as exc:
        raise UsageError(f"{path.name} is not UTF-8 text: {exc.reason}") from None
    except json.JSONDecodeError as exc:
        raise UsageError(f"{path.name}: invalid JSON at line {exc.lineno}: {exc.msg}") from None
    except OSError as exc:
        raise UsageError(f"cannot read {path}: {exc.strerror}") from None
    except UsageError:
        raise
    except Exception as exc:  # yaml.YAMLError, InputError and friends
        first = (str(exc).splitlines() or [""])[0]
        raise UsageError(f"{path.name}: invalid {fmt.upper()}: {first}") from None
    if isinstance(data, list):
        data = {single: data}
    if not isinstance(data, dict):
        raise UsageError(
            f"{path.name}: expected {{table: [rows]}} or a list of rows, got {type(data).__name__}"
        )
    batches = []
    for name, rows in data.items():
        if not isinstance(rows, list) or not all(isinstance(r, dict) for r in rows):
            raise UsageError(f"{path.name}: table {name!r} must be a list of objects (rows)")
        if not rows:  # still checked against the database, reported with 0 rows
            batches.append(_Batch(str(name), [], rows=[], where=path.name))
        groups: dict[tuple[str, ...], list[tuple[int, dict[str, Any]]]] = {}
        for i, row in enumerate(rows, start=1):
            groups.setdefault(tuple(row), []).append((i, row))
        for key_set, numbered in groups.items():
            batches.append(_Batch(str(name), list(key_set), rows=numbered, where=path.name))
    return batches


def _json_line(line: str, path: Path, lineno: int) -> dict[str, Any]:
    try:
        value = json.loads(line)
    except json.JSONDecodeError as exc:
        raise UsageError(f"{path.name}: line {lineno}: invalid JSON: {exc.msg}") from None
    if not isinstance(value, dict):
        raise UsageError(f"{path.name}: line {lineno}: expected a JSON object")
    return value


class _JsonlRows:
    """The numbered rows of a JSON-lines file that have exactly ``keys`` (re-iterable:
    the file is read again each time, never held in memory)."""

    def __init__(self, path: Path, keys: tuple[str, ...]) -> None:
        self.path, self.keys = path, keys

    def __iter__(self) -> Iterator[tuple[int, dict[str, Any]]]:
        for number, row in _iter_jsonl(self.path):
            if tuple(row) == self.keys:
                yield number, row


def _iter_jsonl(path: Path) -> Iterator[tuple[int, dict[str, Any]]]:
    with path.open(encoding="utf-8") as fh:
        for lineno, line in enumerate(fh, start=1):
            if line.strip():
                yield lineno, _json_line(line, path, lineno)


# --- loading ------------------------------------------------------------------------------


async def _reflect_batches(conn: Any, batches: list[_Batch], schema: str) -> dict[str, Table]:
    names = sorted({b.table for b in batches})
    keys = [_split(n, schema) for n in names]
    found = await reflect(conn, keys)
    missing = [n for n, k in zip(names, keys, strict=True) if k not in found]
    if missing:
        raise UsageError(
            f"unknown table(s) in the seed: {', '.join(missing)} (schema {schema})",
            hint="create them first (dbctl init-db) or fix the table names",
        )
    tables = {n: found[k] for n, k in zip(names, keys, strict=True)}
    problems = []
    for b in batches:
        repeated = sorted({c for c in b.columns if b.columns.count(c) > 1})
        if repeated:
            problems.append(f"{b.table}: {', '.join(repeated)} (more than once)")
        tbl = tables[b.table]
        unknown = [c for c in b.columns if tbl.column(c) is None]
        if unknown:
            problems.append(f"{b.table}: {', '.join(unknown)}")
        generated = [c for c in b.columns if (col := tbl.column(c)) and col.generated]
        if generated:
            problems.append(f"{b.table}: {', '.join(generated)} (generated)")
    if problems:
        raise UsageError(
            "unknown column(s) in the seed: " + "; ".join(sorted(set(problems))),
            hint="the columns must exist in the database table (reflected, not from models)",
        )
    return tables


def _split(name: str, schema: str) -> tuple[str, str]:
    if "." in name:
        s, _, n = name.partition(".")
        return s, n
    return schema, name


def _encode_rows(
    batch: _Batch, table: Table, batch_size: int, counter: list[int]
) -> Iterator[bytes]:
    cols = [table.column(c) for c in batch.columns]
    buf: list[str] = []
    for number, row in batch.rows:
        fields = []
        for name, col in zip(batch.columns, cols, strict=True):
            if name in row:
                raw = row[name]
            elif name in batch.defaults:
                raw = batch.defaults[name]()
            else:
                raise UsageError(
                    f"{batch.where}: table {batch.table}, row {number}: missing column {name!r}"
                )
            assert col is not None
            try:
                value = coerce(raw, col)
            except ValueError as exc:
                raise UsageError(
                    f"{batch.where}: table {batch.table}, row {number}, column {name!r}: {exc}"
                ) from None
            fields.append("\\N" if value is None else copy_escape(value))
        if len(row) > len(fields) - len(batch.defaults):
            extra = sorted(set(row) - set(batch.columns))
            raise UsageError(
                f"{batch.where}: table {batch.table}, row {number}: unexpected column(s) "
                + ", ".join(extra)
            )
        buf.append("\t".join(fields))
        counter[0] += 1
        if len(buf) >= batch_size:
            yield ("\n".join(buf) + "\n").encode()
            buf = []
    if buf:
        yield ("\n".join(buf) + "\n").encode()


def _locate_csv_error(batch: _Batch, table: Table) -> str | None:
    """Re-read a CSV that PostgreSQL rejected to name the row and column in Python terms."""
    assert batch.csv_path is not None
    try:
        return _scan_csv(batch, table)
    except UnicodeDecodeError as exc:
        return f"{batch.where}: not UTF-8 text (byte {exc.start} of a line): {exc.reason}"
    except csv.Error as exc:
        return f"{batch.where}: malformed CSV: {exc}"


def _scan_csv(batch: _Batch, table: Table) -> str | None:
    assert batch.csv_path is not None
    cols = [table.column(c) for c in batch.columns]
    with batch.csv_path.open(encoding="utf-8-sig", newline="") as fh:
        reader = csv.reader(fh)
        next(reader, None)
        for row in reader:
            line = reader.line_num
            if len(row) != len(cols):
                return f"{batch.where}: row {line}: {len(row)} fields, the header has {len(cols)}"
            for name, col, value in zip(batch.columns, cols, row, strict=True):
                assert col is not None
                if value == "":
                    if col.not_null and not col.is_text:
                        return f"{batch.where}: row {line}, column {name!r}: empty (NULL) value"
                    continue
                try:
                    coerce(value, col)
                except ValueError as exc:
                    return f"{batch.where}: row {line}, column {name!r}: {exc}"
    return None


async def _aiter(
    chunks: Iterator[bytes], progress: ProgressSink | None, then: str = ""
) -> AsyncIterator[bytes]:
    """``chunks`` advancing the bar; once all are sent, the phase ``then`` (the server
    is still working on them)."""
    for chunk in chunks:
        if progress is not None:
            progress.advance(len(chunk))
        yield chunk
    if progress is not None and then:
        progress.phase(then)


def _file_chunks(path: Path, offset: int) -> Iterator[bytes]:
    with path.open("rb") as fh:
        fh.seek(offset)
        while chunk := fh.read(CHUNK):
            yield chunk


async def _load_batch(
    conn: Any,
    batch: _Batch,
    table: Table,
    index: int,
    batch_size: int,
    progress: ProgressSink | None,
    late: list[str] | None = None,
) -> TableSeed:
    """COPY ``batch`` into a temporary table, then INSERT it into ``table``. ``late``
    columns (foreign keys to a table of the same seed that loads later: a cycle) are
    inserted NULL and set by :func:`_close_cycle` once every table is loaded."""
    import asyncpg

    tmp = f"_dbctl_seed_{index}"
    cols = ", ".join(quote_ident(c) for c in batch.columns)
    await conn.execute(
        f"CREATE TEMP TABLE {quote_ident(tmp)} ON COMMIT DROP AS "
        f"SELECT {cols} FROM {table.qualified} WITH NO DATA"
    )
    counter = [0]
    if batch.csv_path is not None:
        size = batch.csv_path.stat().st_size - batch.csv_offset
        if progress is not None:
            progress.start(f"{batch.where} → {table.name}", size)
        try:
            async with conn.transaction():  # a savepoint: a bad file is re-read to explain it
                status = await conn.copy_to_table(
                    tmp,
                    source=_aiter(
                        _file_chunks(batch.csv_path, batch.csv_offset),
                        progress,
                        f"{batch.where}: the server is reading the last rows",
                    ),
                    columns=batch.columns,
                    format="csv",
                )
        except (asyncpg.DataError, asyncpg.NotNullViolationError) as exc:
            if progress is not None:
                progress.stop()
            where = _locate_csv_error(batch, table)
            raise UsageError(
                where or f"{batch.where}: {exc.args[0] if exc.args else exc}"
            ) from None
        rows = int(status.split()[-1])
    else:
        if progress is not None:
            progress.start(f"{batch.where} → {table.name}", None)
        await conn.copy_to_table(
            tmp,
            source=_aiter(_encode_rows(batch, table, batch_size, counter), None),
            columns=batch.columns,
            format="text",
        )
        rows = counter[0]
    if progress is not None:
        progress.phase(
            f"inserting {rows} row{'' if rows == 1 else 's'} into {table.name} "
            "(checking keys, updating indexes)"
        )
    overriding = ""
    if any((c := table.column(n)) and c.identity == "a" for n in batch.columns):
        overriding = " OVERRIDING SYSTEM VALUE"
    selected = ", ".join("NULL" if late and c in late else quote_ident(c) for c in batch.columns)
    insert = (
        f"INSERT INTO {table.qualified} ({cols}){overriding} "
        f"SELECT {selected} FROM {quote_ident(tmp)}"
    )
    if late:
        pk = ", ".join(quote_ident(c) for c in table.primary_key)
        keys = quote_ident(f"{tmp}_keys")
        await conn.execute(
            f"CREATE TEMP TABLE {keys} ON COMMIT DROP AS "
            f"SELECT {pk} FROM {table.qualified} WITH NO DATA"
        )
        try:
            status = await conn.execute(
                f"WITH ins AS ({insert} ON CONFLICT DO NOTHING RETURNING {pk}) "
                f"INSERT INTO {keys} SELECT * FROM ins"
            )
        except asyncpg.IntegrityConstraintViolationError as exc:
            raise explain(exc, batch, table) from None
        count = int(status.split()[-1])
        if count:
            await _advance_sequences(conn, table, batch.columns)
        return TableSeed(table=f"{table.schema}.{table.name}", rows=rows, inserted=count)
    try:
        inserted: int | None = None
        if not await conn.fetchval(f"SELECT EXISTS (SELECT 1 FROM {table.qualified})"):
            # An empty table: nothing can conflict unless the file repeats a key (or someone
            # inserts concurrently), so skip ON CONFLICT's per-row speculative insertion and
            # fall back to it only if a unique/exclusion constraint objects.
            try:
                async with conn.transaction():
                    inserted = int((await conn.execute(insert)).split()[-1])
            except (asyncpg.UniqueViolationError, asyncpg.ExclusionViolationError):
                inserted = None
        if inserted is None:
            status = await conn.execute(insert + " ON CONFLICT DO NOTHING")
            inserted = int(status.split()[-1])
    except asyncpg.IntegrityConstraintViolationError as exc:
        raise explain(exc, batch, table) from None
    await conn.execute(f"DROP TABLE {quote_ident(tmp)}")
    if inserted:
        await _advance_sequences(conn, table, batch.columns)
    return TableSeed(table=f"{table.schema}.{table.name}", rows=rows, inserted=inserted)


def _apply_model_defaults(
    batches: list[_Batch], tables: dict[str, Table], metadata: Any, schema: str
) -> None:
    """Give each JSON/YAML/JSON-lines batch the Python-side defaults (``default=`` scalars
    and callables, SQLModel ``default_factory``) of the model columns its rows lack."""
    from dbctl.db.models import table_schema

    models = {(table_schema(t, schema), t.name): t for t in metadata.tables.values()}
    for batch in batches:
        db_table = tables[batch.table]
        model = models.get((db_table.schema, db_table.name))
        if model is None or batch.csv_path is not None or batch.rows is None:
            continue
        for col in model.columns:
            default = col.default
            if (
                default is None
                or col.name in batch.columns
                or db_table.column(col.name) is None
                or not (default.is_scalar or default.is_callable)
            ):
                continue
            batch.defaults[col.name] = _default_maker(default, col)
            batch.columns.append(col.name)


def _default_maker(default: Any, col: Any) -> Callable[[], Any]:
    labels = set(getattr(col.type, "enums", None) or ())

    def plain(value: Any) -> Any:
        if isinstance(value, enum.Enum):  # an Enum column stores names unless told otherwise
            return value.name if value.name in labels or not labels else value.value
        return value

    if default.is_scalar:
        value = plain(default.arg)
        return lambda: value

    def call() -> Any:
        try:
            return plain(default.arg(None))
        except Exception as exc:  # the app's own default function: one line
            raise UsageError(
                f"the model's default for column {col.name} failed without a statement "
                f"context: {type(exc).__name__}: {exc}",
                hint=f"give {col.name} in the seed file",
            ) from None

    return call


def _late_columns(table: Table, batch: _Batch, later: set[tuple[str, str]]) -> list[str]:
    """The nullable single-column foreign keys of ``batch`` that point at a table loaded
    later in the same seed (the cycle-closing columns), when the table has a primary
    key in the batch to update the rows by; else none."""
    if not table.primary_key or not set(table.primary_key) <= set(batch.columns):
        return []
    late = []
    for cols, s, n, _ in table.references:
        col = table.column(cols[0])
        if (
            len(cols) == 1
            and (s, n) in later
            and cols[0] in batch.columns
            and col is not None
            and not col.not_null
        ):
            late.append(cols[0])
    return late


async def _close_cycle(conn: Any, batch: _Batch, table: Table, index: int, late: list[str]) -> None:
    """Set the ``late`` columns of the rows this seed inserted (see :func:`_load_batch`)."""
    import asyncpg

    tmp, keys = quote_ident(f"_dbctl_seed_{index}"), quote_ident(f"_dbctl_seed_{index}_keys")
    sets = ", ".join(f"{quote_ident(c)} = s.{quote_ident(c)}" for c in late)
    match = " AND ".join(
        f"t.{quote_ident(c)} = s.{quote_ident(c)} AND k.{quote_ident(c)} = s.{quote_ident(c)}"
        for c in table.primary_key
    )
    try:
        await conn.execute(
            f"UPDATE {table.qualified} AS t SET {sets} FROM {tmp} AS s, {keys} AS k WHERE {match}"
        )
    except asyncpg.IntegrityConstraintViolationError as exc:
        raise explain(exc, batch, table) from None


_KEY_DETAIL = re.compile(r"Key \((?P<cols>[^)]*)\)=\((?P<vals>.*)\)")


_ROW_DETAIL = re.compile(r"Failing row contains \((?P<vals>.*)\)\.?$", re.DOTALL)


def _mask_detail(detail: str, table: Table) -> str:
    """PostgreSQL's DETAIL with the values of columns named like secrets (the users
    list's rule: password, token, api_key, …) as ``***``. "Failing row contains (…)"
    lists every column in table order; when its values cannot be matched to the
    columns (a value holds ", ") and the table has such columns, they are all left out."""
    from dbctl.core.users import MASK, is_secret

    secret = [c.name for c in table.columns if is_secret(c.name)]
    if not secret:
        return detail
    row = _ROW_DETAIL.match(detail)
    if row is not None:
        values = row["vals"].split(", ")
        if len(values) != len(table.columns):
            names = ", ".join(secret)
            return f"Failing row not shown: the table has columns named like secrets ({names})"
        pairs = zip(table.columns, values, strict=True)
        shown = [MASK if is_secret(c.name) else v for c, v in pairs]
        return f"Failing row contains ({', '.join(shown)})."
    key = _KEY_DETAIL.match(detail)
    if key is not None and any(is_secret(c.strip().strip('"')) for c in key["cols"].split(",")):
        return detail[: key.start("vals")] + MASK + detail[key.end("vals") :]
    return detail


def explain(exc: Any, batch: _Batch, table: Table) -> DatabaseError:
    """A constraint violation while moving ``batch`` into ``table``, with PostgreSQL's
    DETAIL and, where it can be found, the file's row and column."""
    detail = getattr(exc, "detail", None)
    column: str | None = getattr(exc, "column_name", None)
    sqlstate = getattr(exc, "sqlstate", None)
    key = _KEY_DETAIL.match(detail or "")
    wanted: dict[str, str | None] = {}
    if key is not None and "," not in key["cols"]:
        column = key["cols"].strip('"')
        wanted[column] = key["vals"]
    elif sqlstate == "23502" and column is not None:  # NOT NULL: the row without a value
        wanted[column] = None
    row = _find_row(batch, table, wanted) if wanted else None
    place = f"{batch.where}: table {batch.table}"
    if row is not None:
        place += f", row {row}"
    if column is not None:
        place += f", column {column!r}"
    message = f"{place}: {exc.args[0] if exc.args else type(exc).__name__}"
    if detail:
        message += f" (DETAIL: {_mask_detail(detail, table)})"
    hint = None
    if sqlstate == "23502":
        hint = (
            f"give {column} a value in the file, or pass the app's models (--models "
            "MODULE:ATTR) so that Python-side defaults such as default=uuid.uuid4 fill it"
        )
    elif row is not None:
        hint = "fix that row (or load the referenced rows in the same seed)"
    return DatabaseError(
        message + " — nothing was inserted (rolled back)",
        code=f"sqlstate.{sqlstate}" if sqlstate else "db.error",
        sqlstate=sqlstate,
        hint=hint,
    )


def _find_row(batch: _Batch, table: Table, wanted: dict[str, str | None]) -> int | None:
    """The number of the first row of ``batch`` whose values are ``wanted`` (as
    PostgreSQL's text, None for a missing/NULL value); None if not found (or CSV)."""
    if batch.rows is None:
        return None
    name, value = next(iter(wanted.items()))
    col = table.column(name)
    if col is None:
        return None
    for number, row in batch.rows:
        if value is None and (name not in row or row[name] is None):
            return int(number)
        if value is not None and name in row:
            try:
                if coerce(row[name], col) == value:
                    return int(number)
            except ValueError:
                continue
    return None


async def _advance_sequences(conn: Any, table: Table, columns: list[str]) -> None:
    """After explicit ids went into a serial/identity column, move its sequence past them,
    so the application's next INSERT does not collide."""
    for name in columns:
        col = table.column(name)
        if col is None or col.typname not in _INT_RANGE or not (col.has_default or col.identity):
            continue
        await conn.execute(
            f"SELECT setval(s, m) FROM (SELECT pg_get_serial_sequence($1, $2) AS s, "
            f"(SELECT max({quote_ident(name)}) FROM {table.qualified}) AS m) AS x "
            "WHERE s IS NOT NULL AND m >= 1",
            table.qualified,
            name,
        )


async def seed_file(
    conn: Any,
    path: Path,
    *,
    schema: str,
    table: str | None = None,
    batch_size: int = 10_000,
    progress: ProgressSink | None = None,
    metadata: Any = None,
) -> SeedResult:
    """Load ``path`` on ``conn`` inside the caller's transaction. With the models'
    ``metadata``, keys the rows lack are filled by the columns' Python-side defaults."""
    started = time.perf_counter()
    batches = _read_batches(path, table)
    result = SeedResult(source=path.name)
    if not batches:
        return result
    tables = await _reflect_batches(conn, batches, schema)
    if metadata is not None:
        _apply_model_defaults(batches, tables, metadata, schema)
    for batch in batches:  # every value checked before anything is sent
        if batch.csv_path is None and batch.columns:
            for _ in _encode_rows(batch, tables[batch.table], batch_size, [0]):
                pass
    order = fk_order(list({id(t): t for t in tables.values()}.values()))
    rank = {(t.schema, t.name): i for i, t in enumerate(order)}
    batches.sort(key=lambda b: rank[(tables[b.table].schema, tables[b.table].name)])
    # foreign keys declared DEFERRABLE are checked at commit (cycles load as they are)
    await conn.execute("SET CONSTRAINTS ALL DEFERRED")
    merged: dict[str, TableSeed] = {}
    cycles: list[tuple[_Batch, Table, int, list[str]]] = []
    for i, batch in enumerate(batches):
        t = tables[batch.table]
        if batch.csv_path is None and not batch.columns:
            ts = TableSeed(table=f"{t.schema}.{t.name}", rows=0, inserted=0)
        else:
            later = {
                (o.schema, o.name)
                for o in order
                if rank[(o.schema, o.name)] > rank[(t.schema, t.name)]
            }
            late = _late_columns(t, batch, later) if batch.csv_path is None else []
            if late:
                cycles.append((batch, t, i, late))
            ts = await _load_batch(conn, batch, t, i, batch_size, progress, late)
        if ts.table in merged:
            merged[ts.table].rows += ts.rows
            merged[ts.table].inserted += ts.inserted
        else:
            merged[ts.table] = ts
    for batch, t, i, late in cycles:
        if progress is not None:
            progress.phase(f"setting the foreign keys of {t.name} (a cycle)")
        await _close_cycle(conn, batch, t, i, late)
    result.tables = list(merged.values())
    result.duration_ms = (time.perf_counter() - started) * 1000
    return result


# --- fake rows ----------------------------------------------------------------------------


class _Pools:
    """Faker values drawn once; rows combine them at random (Faker per row is too slow)."""

    def __init__(self, seed: int | None) -> None:
        from faker import Faker

        self.fake = Faker()
        if seed is not None:
            Faker.seed(seed)
        self.rng = random.Random(seed)  # noqa: S311 - fake data, not secrets
        self._cache: dict[str, list[str]] = {}

    def pool(self, kind: str, size: int = 400) -> list[str]:
        if kind not in self._cache:
            make: Callable[[], str] = getattr(self.fake, kind)
            self._cache[kind] = [copy_escape(str(make())) for _ in range(size)]
        return self._cache[kind]


_NAME_KINDS = {
    "first_name": "first_name",
    "firstname": "first_name",
    "given_name": "first_name",
    "last_name": "last_name",
    "lastname": "last_name",
    "surname": "last_name",
    "family_name": "last_name",
    "city": "city",
    "country": "country",
    "company": "company",
    "address": "street_address",
    "street": "street_address",
    "phone": "phone_number",
    "phone_number": "phone_number",
    "title": "job",
    "job": "job",
    "description": "sentence",
    "bio": "sentence",
    "about": "sentence",
    "body": "sentence",
    "content": "sentence",
    "comment": "sentence",
    "text": "sentence",
    "zip": "postcode",
    "postcode": "postcode",
}


def _text_generator(
    col: Column, unique: bool, pools: _Pools, tag: str
) -> Callable[[int, int], list[str]]:
    rng = pools.rng
    name = col.name.lower()
    limit = col.max_length

    def fit(values: list[str], start: int) -> list[str]:
        if unique:
            values = [f"{v}-{tag}{start + i}" for i, v in enumerate(values)]
        if limit is not None:
            values = [v[-limit:] if unique else v[:limit] for v in values]
        return values

    if "email" in name:
        firsts, lasts = pools.pool("first_name"), pools.pool("last_name")
        domains = pools.pool("free_email_domain", 30)

        def emails(n: int, start: int) -> list[str]:
            f, ln, d = rng.choices(firsts, k=n), rng.choices(lasts, k=n), rng.choices(domains, k=n)
            if unique:
                out = [
                    f"{a}.{b}.{tag}{start + i}@{c}".lower()
                    for i, (a, b, c) in enumerate(zip(f, ln, d, strict=True))
                ]
            else:
                out = [f"{a}.{b}@{c}".lower() for a, b, c in zip(f, ln, d, strict=True)]
            return [v[-limit:] for v in out] if limit else out

        return emails
    if name in {"username", "user_name", "login", "handle", "slug"}:
        words = pools.pool("user_name")
        return lambda n, start: fit(rng.choices(words, k=n), start)
    if name in {"name", "full_name", "fullname", "display_name"}:
        firsts, lasts = pools.pool("first_name"), pools.pool("last_name")
        return lambda n, start: fit(
            [
                f"{a} {b}"
                for a, b in zip(rng.choices(firsts, k=n), rng.choices(lasts, k=n), strict=True)
            ],
            start,
        )
    for key, kind in _NAME_KINDS.items():
        if name == key or name.endswith("_" + key):
            values = pools.pool(kind)
            return lambda n, start: fit(rng.choices(values, k=n), start)
    words = pools.pool("word")
    return lambda n, start: fit(rng.choices(words, k=n), start)


def _generator(
    col: Column,
    unique: bool,
    pools: _Pools,
    tag: str,
    int_start: int,
    fk_pool: list[str] | None,
    rule: Rule | None = None,
) -> Callable[[int, int], list[str]]:
    rng = pools.rng
    t = col.typname
    if fk_pool is not None:
        return lambda n, start: rng.choices(fk_pool, k=n)
    if rule is not None and rule.choices:
        choices = [copy_escape(v) for v in rule.choices]
        return lambda n, start: rng.choices(choices, k=n)
    if rule is not None and rule.max_length is not None:
        limit = min(col.max_length or rule.max_length, rule.max_length)
        col = dataclasses.replace(col, max_length=max(limit, 1))
    if col.is_text:
        return _text_generator(col, unique, pools, tag)
    if t in _INT_RANGE:
        if unique:
            return lambda n, start: [str(int_start + start + i) for i in range(n)]
        hi = 100 if col.name.lower() in {"age", "score", "rating"} else min(_INT_RANGE[t], 10**6)
        low, high = (int(v) for v in number_range(rule, 0, hi))
        return lambda n, start: [str(rng.randrange(low, max(high, low + 1))) for _ in range(n)]
    if t in {"float4", "float8", "numeric"}:
        top = 1000.0
        match = re.match(r"numeric\((\d+),(\d+)\)", col.type_sql)
        if match:
            top = min(top, 10.0 ** (int(match[1]) - int(match[2])) - 1)
        lo, hi_f = number_range(rule, 0.0, top)
        return lambda n, start: [f"{lo + rng.random() * (hi_f - lo) * 0.99:.2f}" for _ in range(n)]
    if t == "bool":
        return lambda n, start: rng.choices(["t", "f"], k=n)
    if t in {"timestamp", "timestamptz", "date"}:
        now = datetime(2025, 1, 1)
        span = 5 * 365 * 86400

        def stamps(n: int, start: int) -> list[str]:
            out = [(now - timedelta(seconds=rng.randrange(span))).isoformat() for _ in range(n)]
            return [s[:10] for s in out] if t == "date" else out

        return stamps
    if t == "uuid":
        return lambda n, start: [
            str(uuid.UUID(int=rng.getrandbits(128), version=4)) for _ in range(n)
        ]
    if t in {"json", "jsonb"}:
        kind = rule.json_kind if rule is not None and rule.json_kind else None
        if kind is None:
            kind = "array" if LIST_NAMES.search(col.name.lower()) else "object"
        words = pools.pool("word")
        if kind == "array":
            return lambda n, start: [
                copy_escape(json.dumps(rng.sample(words, rng.randrange(0, 4)))) for _ in range(n)
            ]
        return lambda n, start: [
            copy_escape(json.dumps({"note": w})) for w in rng.choices(words, k=n)
        ]
    if t.startswith("_") and col.typtype == "b":
        element = dataclasses.replace(
            col, typname=t[1:], type_sql=col.type_sql.removesuffix("[]"), max_length=None
        )
        try:
            inner = _generator(element, False, pools, tag, int_start, None)
        except UsageError:
            inner = None
        if inner is not None:
            make = inner

            def arrays(n: int, start: int) -> list[str]:
                out = []
                for _ in range(n):
                    items = make(rng.randrange(0, 4), 0)
                    out.append(copy_escape(_array_literal([_uncopy(v) for v in items])))
                return out

            return arrays
    if col.typtype == "e" and col.enum_labels:
        labels = [copy_escape(v) for v in col.enum_labels]
        return lambda n, start: rng.choices(labels, k=n)
    if not col.not_null:
        return lambda n, start: ["\\N"] * n
    raise UsageError(
        f"cannot generate values of type {col.type_sql} for column {col.name}",
        hint="give the column a default, make it nullable, or seed the table from a file",
    )


def _steered(spec: str, pools: _Pools) -> Callable[[int, int], list[str]]:
    """``--fake-column`` values: a Faker provider's (``job``, ``country_code``) or ``spec``
    itself as a literal."""
    provider = getattr(pools.fake, spec, None) if spec.isidentifier() else None
    if callable(provider):
        try:
            values = pools.pool(spec)
        except TypeError:  # a provider that needs arguments: taken literally
            values = []
        if values:
            return lambda n, start: pools.rng.choices(values, k=n)
    literal = copy_escape(spec)
    return lambda n, start: [literal] * n


async def fake_rows(
    conn: Any,
    table: Table,
    count: int,
    *,
    batch_size: int = 10_000,
    progress: ProgressSink | None = None,
    seed: int | None = None,
    steer: dict[str, str] | None = None,
) -> TableSeed:
    """Generate ``count`` rows for ``table`` and COPY them in (inside the caller's transaction).

    Columns the database fills (defaults, identity, generated) are left to it; unique
    columns get unique values (a run tag plus a counter, or integers past the current max);
    foreign keys take existing values of the referenced table; simple CHECK constraints
    bound the values; ``steer`` (``--fake-column``) gives a column a Faker provider or a
    literal value."""
    import asyncpg

    pools = _Pools(seed)
    steer = steer or {}
    rules = column_rules(table)
    tag = secrets.token_hex(2) if seed is None else f"{seed:x}"
    unique_cols = {c for s in table.unique_sets for c in s}
    fk_of = {cols[0]: (s, n, rc[0]) for cols, s, n, rc in table.references if len(cols) == 1}
    gens: list[Callable[[int, int], list[str]]] = []
    names: list[str] = []
    for col in table.columns:
        if col.name in steer:
            gens.append(_steered(steer[col.name], pools))
            names.append(col.name)
            continue
        if col.auto:
            continue
        fk_pool: list[str] | None = None
        if col.name in fk_of:
            s, n, rc = fk_of[col.name]
            vals = await conn.fetch(
                f"SELECT {quote_ident(rc)}::text AS v FROM {qualified(s, n)} LIMIT 10000"
            )
            fk_pool = [copy_escape(r["v"]) for r in vals]
            if not fk_pool:
                if col.not_null:
                    raise DatabaseError(
                        f"{table.name}.{col.name} references {s}.{n}, which has no rows",
                        code="seed.empty_reference",
                        hint=f"seed {n} first (dbctl seed --fake N --table {n})",
                    )
                fk_pool = ["\\N"]
        int_start = 1
        if col.name in unique_cols and col.typname in _INT_RANGE and fk_pool is None:
            int_start = int(
                await conn.fetchval(
                    f"SELECT COALESCE(max({quote_ident(col.name)}), 0) + 1 FROM {table.qualified}"
                )
            )
        gens.append(
            _generator(
                col, col.name in unique_cols, pools, tag, int_start, fk_pool, rules.get(col.name)
            )
        )
        names.append(col.name)
    if not names:
        raise UsageError(f"every column of {table.name} is filled by the database: nothing to fake")

    async def chunks() -> AsyncIterator[bytes]:
        done = 0
        while done < count:
            n = min(batch_size, count - done)
            columns = [g(n, done) for g in gens]
            lines = "\n".join(map("\t".join, zip(*columns, strict=True)))
            done += n
            if progress is not None:
                progress.advance(n)
            yield (lines + "\n").encode()
        if progress is not None:  # all sent: the server still writes rows and indexes
            progress.phase(f"writing {count} rows into {table.name} (updating indexes)")

    if progress is not None:
        progress.start(f"fake rows → {table.name}", count)
    try:
        status = await conn.copy_to_table(
            table.name, schema_name=table.schema, source=chunks(), columns=names, format="text"
        )
    except asyncpg.CheckViolationError as exc:
        name = getattr(exc, "constraint_name", None) or "?"
        definition = dict(table.checks).get(name, "")
        raise DatabaseError(
            f"fake rows for {table.name} violate CHECK constraint {name} {definition}".rstrip()
            + " — nothing was inserted (rolled back)",
            code="seed.check_violation",
            sqlstate=exc.sqlstate,
            hint="steer the column: --fake-column COLUMN=PROVIDER_OR_VALUE "
            "(a Faker provider such as country_code, or a literal value)",
        ) from None
    rows = int(status.split()[-1])
    await _advance_sequences(conn, table, names)
    return TableSeed(table=f"{table.schema}.{table.name}", rows=rows, inserted=rows)


# --- entry point --------------------------------------------------------------------------


async def run(
    url: DatabaseUrl,
    *,
    timeout: float,
    schema: str,
    path: Path | None = None,
    fake: int | None = None,
    table: str | None = None,
    batch_size: int = 10_000,
    progress: ProgressSink | None = None,
    metadata: Any = None,
    fake_columns: list[str] | None = None,
) -> SeedResult:
    """Open a connection and seed in one transaction (file or ``--fake``); ``metadata``
    (the app's models) supplies Python-side column defaults for keys a file lacks."""
    import asyncpg

    from dbctl.db.connect import connect, target_label
    from dbctl.db.errors import translate

    if (path is None) == (fake is None):
        raise UsageError("give a seed FILE or --fake N (not both)")
    if fake is not None and table is None:
        raise UsageError("--fake needs --table T")
    if batch_size < 1:
        raise UsageError("--batch-size must be at least 1")
    if path is not None:
        check_file(path)
    started = time.perf_counter()
    conn = await connect(url, timeout=timeout)
    try:
        async with conn.transaction():
            # more memory for the staging temp tables; SET LOCAL (nothing outlives the
            # transaction on a pooler), in a savepoint: a pooled session that used temp
            # tables before refuses the change, which only costs speed
            try:
                async with conn.transaction():
                    await conn.execute("SET LOCAL temp_buffers = '128MB'")
            except asyncpg.PostgresError:
                pass
            if path is not None:
                result = await seed_file(
                    conn,
                    path,
                    schema=schema,
                    table=table,
                    batch_size=batch_size,
                    progress=progress,
                    metadata=metadata,
                )
            else:
                assert table is not None and fake is not None
                key = _split(table, schema)
                found = (await reflect(conn, [key])).get(key)
                if found is None:
                    raise DatabaseError(
                        f"table {key[0]}.{key[1]} does not exist",
                        code="seed.missing_table",
                        hint="create it first: dbctl init-db",
                    )
                result = SeedResult(source=f"--fake {fake}")
                steer = parse_steering(fake_columns or [], found)
                result.tables.append(
                    await fake_rows(
                        conn,
                        found,
                        fake,
                        batch_size=batch_size,
                        progress=progress,
                        steer=steer,
                    )
                )
            if progress is not None:  # deferred foreign keys are checked at COMMIT
                progress.phase("committing")
    except asyncpg.PostgresError as exc:
        err = translate(exc, target=target_label(url), timeout=timeout)
        if err is None:
            raise
        code, hint = err.code or "db.error", err.hint
        if err.sqlstate == "42501":
            code = "privileges.denied"
            hint = "the role may not write this table: GRANT SELECT, INSERT ON it TO the role"
        raise DatabaseError(
            f"seeding failed: {err.message} — nothing was inserted (rolled back)",
            code=code,
            hint=hint,
            sqlstate=err.sqlstate,
        ) from None
    finally:
        await conn.close()
    result.duration_ms = (time.perf_counter() - started) * 1000
    return result

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
import json
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
    """What the output layer gives the core to show progress (stderr, terminals only)."""

    def start(self, description: str, total: int | None) -> None: ...
    def advance(self, amount: int) -> None: ...
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
    if t in _INT_RANGE:
        if isinstance(value, bool) or not isinstance(value, int | str):
            if isinstance(value, float) and value.is_integer():
                value = int(value)
            else:
                raise ValueError(f"expected an integer, got {_show(value)}")
        try:
            number = int(value)
        except ValueError:
            raise ValueError(f"expected an integer, got {_show(value)}") from None
        if not -_INT_RANGE[t] <= number < _INT_RANGE[t]:
            raise ValueError(f"{number} is out of range for {col.type_sql}")
        return str(number)
    if t in {"float4", "float8", "numeric"}:
        if isinstance(value, bool) or not isinstance(value, int | float | str | Decimal):
            raise ValueError(f"expected a number, got {_show(value)}")
        try:
            return str(Decimal(str(value).strip()))
        except InvalidOperation:
            raise ValueError(f"expected a number, got {_show(value)}") from None
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
        return json.dumps(value, ensure_ascii=False, default=str)
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


def check_file(path: Path) -> None:
    """UsageError (exit 2) unless ``path`` is a file of a known seed format."""
    _format_of(path)
    if not path.is_file():
        raise UsageError(
            f"seed file is a directory: {path}" if path.is_dir() else f"seed file not found: {path}"
        )


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
            with path.open("rb") as fh:
                header = fh.readline()
                offset = fh.tell()
            text = header.decode("utf-8-sig").strip("\r\n")
            if not text:
                raise UsageError(f"{path.name} is empty: a CSV seed needs a header row")
            columns = [c.strip() for c in next(csv.reader([text]))]
            return [_Batch(single, columns, csv_path=path, csv_offset=offset, where=path.name)]
        if fmt == "jsonl":
            with path.open(encoding="utf-8") as fh:
                first = next((ln for ln in fh if ln.strip()), None)
            if first is None:
                return []
            keys = list(_json_line(first, path, 1).keys())
            return [_Batch(single, keys, rows=_iter_jsonl(path), where=path.name)]
        with path.open(encoding="utf-8") as fh:
            if fmt == "json":
                data = json.load(fh)
            else:
                import yaml

                data = yaml.safe_load(fh)
    except UnicodeDecodeError as exc:
        raise UsageError(f"{path.name} is not UTF-8 text: {exc.reason}") from None
    except json.JSONDecodeError as exc:
        raise UsageError(f"{path.name}: invalid JSON at line {exc.lineno}: {exc.msg}") from None
    except OSError as exc:
        raise UsageError(f"cannot read {path}: {exc.strerror}") from None
    except Exception as exc:  # yaml.YAMLError and friends
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
            if name not in row:
                raise UsageError(
                    f"{batch.where}: table {batch.table}, row {number}: missing column {name!r}"
                )
            assert col is not None
            try:
                value = coerce(row[name], col)
            except ValueError as exc:
                raise UsageError(
                    f"{batch.where}: table {batch.table}, row {number}, column {name!r}: {exc}"
                ) from None
            fields.append("\\N" if value is None else copy_escape(value))
        if len(fields) != len(row):
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


async def _aiter(chunks: Iterator[bytes], progress: ProgressSink | None) -> AsyncIterator[bytes]:
    for chunk in chunks:
        if progress is not None:
            progress.advance(len(chunk))
        yield chunk


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
) -> TableSeed:
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
                    source=_aiter(_file_chunks(batch.csv_path, batch.csv_offset), progress),
                    columns=batch.columns,
                    format="csv",
                )
        except (asyncpg.DataError, asyncpg.NotNullViolationError) as exc:
            where = _locate_csv_error(batch, table)
            raise UsageError(
                where or f"{batch.where}: {exc.args[0] if exc.args else exc}"
            ) from None
        finally:
            if progress is not None:
                progress.stop()
        rows = int(status.split()[-1])
    else:
        if progress is not None:
            progress.start(f"{batch.where} → {table.name}", None)
        try:
            await conn.copy_to_table(
                tmp,
                source=_aiter(_encode_rows(batch, table, batch_size, counter), None),
                columns=batch.columns,
                format="text",
            )
        finally:
            if progress is not None:
                progress.stop()
        rows = counter[0]
    overriding = ""
    if any((c := table.column(n)) and c.identity == "a" for n in batch.columns):
        overriding = " OVERRIDING SYSTEM VALUE"
    insert = (
        f"INSERT INTO {table.qualified} ({cols}){overriding} SELECT {cols} FROM {quote_ident(tmp)}"
    )
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
    await conn.execute(f"DROP TABLE {quote_ident(tmp)}")
    if inserted:
        await _advance_sequences(conn, table, batch.columns)
    return TableSeed(table=f"{table.schema}.{table.name}", rows=rows, inserted=inserted)


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
) -> SeedResult:
    """Load ``path`` on ``conn`` inside the caller's transaction."""
    started = time.perf_counter()
    batches = _read_batches(path, table)
    result = SeedResult(source=path.name)
    if not batches:
        return result
    tables = await _reflect_batches(conn, batches, schema)
    order = fk_order(list({id(t): t for t in tables.values()}.values()))
    rank = {(t.schema, t.name): i for i, t in enumerate(order)}
    batches.sort(key=lambda b: rank[(tables[b.table].schema, tables[b.table].name)])
    merged: dict[str, TableSeed] = {}
    for i, batch in enumerate(batches):
        if batch.csv_path is None and not batch.columns:
            t = tables[batch.table]
            ts = TableSeed(table=f"{t.schema}.{t.name}", rows=0, inserted=0)
        else:
            ts = await _load_batch(conn, batch, tables[batch.table], i, batch_size, progress)
        if ts.table in merged:
            merged[ts.table].rows += ts.rows
            merged[ts.table].inserted += ts.inserted
        else:
            merged[ts.table] = ts
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
    col: Column, unique: bool, pools: _Pools, tag: str, int_start: int, fk_pool: list[str] | None
) -> Callable[[int, int], list[str]]:
    rng = pools.rng
    t = col.typname
    if fk_pool is not None:
        return lambda n, start: rng.choices(fk_pool, k=n)
    if col.is_text:
        return _text_generator(col, unique, pools, tag)
    if t in _INT_RANGE:
        if unique:
            return lambda n, start: [str(int_start + start + i) for i in range(n)]
        hi = 100 if col.name.lower() in {"age", "score", "rating"} else min(_INT_RANGE[t], 10**6)
        return lambda n, start: [str(rng.randrange(0, hi)) for _ in range(n)]
    if t in {"float4", "float8", "numeric"}:
        top = 1000.0
        match = re.match(r"numeric\((\d+),(\d+)\)", col.type_sql)
        if match:
            top = min(top, 10.0 ** (int(match[1]) - int(match[2])) - 1)
        return lambda n, start: [f"{rng.random() * top:.2f}" for _ in range(n)]
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
        return lambda n, start: ["{}"] * n
    if col.typtype == "e" and col.enum_labels:
        labels = [copy_escape(v) for v in col.enum_labels]
        return lambda n, start: rng.choices(labels, k=n)
    if not col.not_null:
        return lambda n, start: ["\\N"] * n
    raise UsageError(
        f"cannot generate values of type {col.type_sql} for column {col.name}",
        hint="give the column a default, make it nullable, or seed the table from a file",
    )


async def fake_rows(
    conn: Any,
    table: Table,
    count: int,
    *,
    batch_size: int = 10_000,
    progress: ProgressSink | None = None,
    seed: int | None = None,
) -> TableSeed:
    """Generate ``count`` rows for ``table`` and COPY them in (inside the caller's transaction).

    Columns the database fills (defaults, identity, generated) are left to it; unique
    columns get unique values (a run tag plus a counter, or integers past the current max);
    foreign keys take existing values of the referenced table."""
    pools = _Pools(seed)
    tag = secrets.token_hex(2) if seed is None else f"{seed:x}"
    unique_cols = {c for s in table.unique_sets for c in s}
    fk_of = {cols[0]: (s, n, rc[0]) for cols, s, n, rc in table.references if len(cols) == 1}
    gens: list[Callable[[int, int], list[str]]] = []
    names: list[str] = []
    for col in table.columns:
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
        gens.append(_generator(col, col.name in unique_cols, pools, tag, int_start, fk_pool))
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

    if progress is not None:
        progress.start(f"fake rows → {table.name}", count)
    try:
        status = await conn.copy_to_table(
            table.name, schema_name=table.schema, source=chunks(), columns=names, format="text"
        )
    finally:
        if progress is not None:
            progress.stop()
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
) -> SeedResult:
    """Open a connection and seed in one transaction (file or ``--fake``)."""
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
        # more session memory for the staging temp tables (before the first one is used)
        await conn.execute("SET temp_buffers = '128MB'")
        async with conn.transaction():
            if path is not None:
                result = await seed_file(
                    conn,
                    path,
                    schema=schema,
                    table=table,
                    batch_size=batch_size,
                    progress=progress,
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
                result.tables.append(
                    await fake_rows(conn, found, fake, batch_size=batch_size, progress=progress)
                )
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

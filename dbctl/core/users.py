"""``dbctl users list|count``: any users table, reflected; keyset pagination; streaming.

Identifiers come from the catalog and are always quoted; user input (``--search``,
``--after``) is only ever a bound parameter. ``--order`` must name a reflected column.
CSV and JSON lines go through PostgreSQL's own ``COPY … TO STDOUT`` so that a million
rows stream at close to psql's speed in constant memory.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any, Protocol

from dbctl.db.catalog import Table, quote_ident, reflect_one
from dbctl.errors import DatabaseError, OperationError, UsageError
from dbctl.urls import DatabaseUrl

#: ``--format text`` refuses ``--all`` beyond this many rows.
TABLE_ALL_LIMIT = 1000


#: column names that hold secrets: masked unless --show-secrets
SECRET_NAME = re.compile(
    r"(pass(word|wd)?|secret|token|api_?key|private_?key|access_?key|salt|otp|credential)",
    re.IGNORECASE,
)
MASK = "***"
#: the prefix of a cursor that carries the whole sort key (base64url of a JSON list)
CURSOR_PREFIX = "k:"


def is_secret(name: str) -> bool:
    return SECRET_NAME.search(name) is not None


@dataclass(slots=True)
class Query:
    """What to select: validated against the reflected table."""

    table: Table
    sql: str  # SELECT … (without LIMIT)
    args: list[Any]
    order: str
    limit: int | None
    ordered: bool = True
    filtered: bool = False
    columns: list[str] = field(default_factory=list)
    masked: list[str] = field(default_factory=list)
    #: the sort key: (SQL expression, SQL type), order column first, then the tie-break
    key: list[tuple[str, str]] = field(default_factory=list)
    key_sql: str = ""  # SELECT the key columns as _k0… (same WHERE/ORDER BY/LIMIT)
    searched: bool = False

    @property
    def limited_sql(self) -> str:
        if self.limit is None:
            return self.sql
        return f"{self.sql} LIMIT {int(self.limit)}"


@dataclass(frozen=True, slots=True)
class ListRequest:
    """What ``users list`` / ``count`` asked for, before it is checked against the table
    (:func:`build_query`); ``limit=None`` is ``--all``."""

    search: str | None = None
    order: str | None = None
    after: str | None = None
    limit: int | None = 50
    columns: list[str] | None = None
    show_secrets: bool = False


@dataclass(slots=True)
class ListResult:
    """Rows as JSON text (from ``row_to_json``), in order; plus the next keyset cursor."""

    table: str
    columns: list[str]
    rows: list[dict[str, Any]]
    next_cursor: str | None


def escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def encode_cursor(values: list[str | None]) -> str:
    raw = json.dumps(values, separators=(",", ":")).encode()
    return CURSOR_PREFIX + base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(text: str, size: int) -> list[str | None] | None:
    """The key values of a cursor printed by dbctl, or None for a plain value."""
    if not text.startswith(CURSOR_PREFIX):
        return None
    body = text[len(CURSOR_PREFIX) :]
    try:
        values = json.loads(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)))
    except (ValueError, binascii.Error):
        raise UsageError(f"--after {text!r} is not a cursor printed by dbctl") from None
    if (
        not isinstance(values, list)
        or len(values) != size
        or not all(v is None or isinstance(v, str) for v in values)
    ):
        raise UsageError(
            f"--after {text!r} is a cursor for another --order or table",
            hint="start again without --after",
        )
    return values


def build_query(table: Table, request: ListRequest) -> Query:
    search, order, after, limit = request.search, request.order, request.after, request.limit
    columns, show_secrets = request.columns, request.show_secrets
    if order is not None:
        col = table.column(order)
        if col is None:
            raise UsageError(
                f"--order {order!r} is not a column of {table.name}",
                hint="columns: " + ", ".join(c.name for c in table.columns),
            )
        order_col = col
    else:
        first = table.primary_key[0] if table.primary_key else table.columns[0].name
        found = table.column(first)
        assert found is not None
        order_col = found
    shown = [c.name for c in table.columns]
    if columns is not None and not columns:
        raise UsageError("--columns needs at least one column name")
    if columns is not None:
        unknown = [c for c in columns if table.column(c) is None]
        if unknown:
            raise UsageError(
                f"--columns: {', '.join(unknown)} not in {table.name}",
                hint="columns: " + ", ".join(shown),
            )
        shown = list(dict.fromkeys(columns))
    masked = [] if show_secrets else [c for c in shown if is_secret(c)]
    select = ", ".join(
        f"CASE WHEN {quote_ident(c)} IS NULL THEN NULL ELSE '{MASK}' END AS {quote_ident(c)}"
        if c in masked
        else quote_ident(c)
        for c in shown
    )
    # the sort key: the order column, then the rest of the primary key (or the row's
    # ctid) so that every row has its own place and a page never loses or repeats one
    names = [order_col.name] + [c for c in table.primary_key if c != order_col.name]
    if order is None and table.primary_key:
        names = list(table.primary_key)
    key = [(quote_ident(n), table.column(n).type_sql) for n in names]  # type: ignore[union-attr]
    if not table.primary_key:
        key.append(("ctid", "tid"))
    where: list[str] = []
    args: list[Any] = []
    if search is not None:
        texts = [c for c in table.columns if c.is_text and (show_secrets or not is_secret(c.name))]
        if not texts:
            raise UsageError(f"--search: {table.name} has no text columns to search")
        args.append(f"%{escape_like(search)}%")
        n = len(args)
        where.append("(" + " OR ".join(f"{quote_ident(c.name)} ILIKE ${n}" for c in texts) + ")")
    if after is not None:
        where.append(_after(key, after, args, order_col.not_null))
    sql_from = f" FROM {table.qualified}"
    if where:
        sql_from += " WHERE " + " AND ".join(where)
    # --all without --order/--after streams in storage order, like COPY table TO STDOUT
    ordered = limit is not None or order is not None or after is not None
    order_by = ""
    if ordered:
        order_by = " ORDER BY " + ", ".join(f"{expr} ASC NULLS LAST" for expr, _ in key)
    key_cols = ", ".join(f"{expr} AS _k{i}" for i, (expr, _) in enumerate(key))
    return Query(
        table=table,
        sql=f"SELECT {select}{sql_from}{order_by}",
        args=args,
        order=order_col.name,
        limit=limit,
        ordered=ordered,
        filtered=bool(where),
        columns=shown,
        masked=masked,
        key=key,
        key_sql=f"SELECT {key_cols}{sql_from}{order_by}",
        searched=search is not None,
    )


def _after(key: list[tuple[str, str]], after: str, args: list[Any], not_null: bool) -> str:
    """The WHERE condition for the rows after the cursor (``NULLS LAST`` order)."""
    values = decode_cursor(after, len(key))
    if values is None:  # a plain value of the order column (rows after that value)
        args.append(after)
        expr, typ = key[0]
        cond = f"{expr} > (${len(args)}::text)::{typ}"
        return cond if not_null else f"({cond} OR {expr} IS NULL)"

    def param(value: str | None, typ: str) -> str:
        args.append(value)
        return f"(${len(args)}::text)::{typ}"

    first, rest = key[0], key[1:]
    if not rest:
        return f"{first[0]} > {param(values[0], first[1])}"
    rest_cols = ", ".join(expr for expr, _ in rest)
    rest_vals = ", ".join(param(v, t) for v, (_, t) in zip(values[1:], rest, strict=True))
    tail = f"({rest_cols}) > ({rest_vals})" if len(rest) > 1 else f"{rest_cols} > {rest_vals}"
    if values[0] is None:
        return f"({first[0]} IS NULL AND {tail})"
    v0 = param(values[0], first[1])
    return f"({first[0]} > {v0} OR ({first[0]} = {v0} AND {tail}) OR {first[0]} IS NULL)"


async def _table(conn: Any, schema: str, name: str) -> Table:
    table = await reflect_one(conn, schema, name)
    if table is None:
        raise OperationError(
            f"table {schema}.{name} does not exist",
            hint="create it with: dbctl init-db (or set users_table / --table to the right table)",
            code="users.missing_table",
        )
    return table


@asynccontextmanager
async def session(url: DatabaseUrl, *, timeout: float) -> AsyncIterator[Any]:
    """One read-only connection; server errors translated."""
    import asyncpg

    from dbctl.db.connect import connect, target_label
    from dbctl.db.errors import translate

    conn = await connect(url, timeout=timeout)
    try:
        tx = conn.transaction(readonly=True)
        await tx.start()
        # SET LOCAL: nothing outlives the transaction on a pooled server connection
        await conn.execute(
            "SET LOCAL DateStyle = 'ISO, YMD'; SET LOCAL IntervalStyle = 'iso_8601'"
        )
        try:
            yield conn
        except BrokenPipeError:
            # stdout's reader is gone (`| head -1`): a COPY cut short by its sink leaves
            # asyncpg waiting on a cancel request, so a ROLLBACK would hang; drop the
            # connection instead (the server rolls back a read-only transaction anyway).
            conn.terminate()
            raise
        except BaseException:
            await tx.rollback()
            raise
        await tx.commit()
    except asyncpg.PostgresError as exc:
        err = translate(exc, target=target_label(url), timeout=timeout)
        if err is None:
            raise
        if err.sqlstate == "42501":
            raise DatabaseError(
                err.message,
                code="privileges.denied",
                hint="the role may not read this table: GRANT SELECT ON it TO the role",
                sqlstate=err.sqlstate,
            ) from None
        raise err from None
    finally:
        await conn.close()


def split_table(name: str, schema: str) -> tuple[str, str]:
    """``schema.table`` (or ``table`` in ``schema``), as ``seed --table`` reads it."""
    if "." in name:
        s, _, n = name.partition(".")
        return s, n
    return schema, name


async def prepare(conn: Any, *, schema: str, table: str, request: ListRequest) -> Query:
    if request.limit is not None and request.limit < 1:
        raise UsageError("--limit must be at least 1")
    t = await _table(conn, *split_table(table, schema))
    query = build_query(t, request)
    after = request.after
    if after is not None:
        import asyncpg

        values = decode_cursor(after, len(query.key)) or [after]
        for value, (_, typ) in zip(values, query.key, strict=False):
            try:  # a bad cursor (e.g. --after abc on an integer id) is a usage error
                await conn.fetchval(f"SELECT (($1::text)::{typ})::text", value)
            except (asyncpg.DataError, asyncpg.PostgresSyntaxError) as exc:
                raise UsageError(
                    f"--after {after!r} is not a valid {query.order} value: {exc.args[0]}"
                ) from None
    return query


async def count(conn: Any, query: Query) -> int:
    return int(await conn.fetchval(f"SELECT count(*) FROM ({query.sql}) AS q", *query.args))


async def fetch(conn: Any, query: Query) -> ListResult:
    """Rows as dicts decoded from ``row_to_json`` (timestamps ISO 8601, numbers as JSON)."""
    sql = f"SELECT row_to_json(q)::text AS j FROM ({query.limited_sql}) AS q"
    rows = [json.loads(r["j"]) for r in await conn.fetch(sql, *query.args)]
    next_cursor = None
    if query.limit is not None and len(rows) == query.limit and rows:
        next_cursor = await next_page(conn, query)
    return ListResult(
        table=f"{query.table.schema}.{query.table.name}",
        columns=query.columns,
        rows=rows,
        next_cursor=next_cursor,
    )


async def iterate_json(conn: Any, query: Query, prefetch: int = 2000) -> AsyncIterator[str]:
    """Each row as JSON text, through a server-side cursor (constant memory)."""
    sql = f"SELECT row_to_json(q)::text AS j FROM ({query.limited_sql}) AS q"
    async for record in conn.cursor(sql, *query.args, prefetch=prefetch):
        yield record["j"]


async def copy_out(
    conn: Any, query: Query, fmt: str, write: Callable[[bytes], Awaitable[None]]
) -> int:
    """Stream ``csv`` (with a header) or ``jsonl`` through COPY TO STDOUT; the row count."""
    whole = not query.masked and query.columns == [c.name for c in query.table.columns]
    if fmt == "csv" and whole and not query.ordered and not query.filtered and not query.limit:
        status = await conn.copy_from_table(
            query.table.name,
            schema_name=query.table.schema,
            output=write,
            format="csv",
            header=True,
        )
    elif fmt == "csv":
        status = await conn.copy_from_query(
            query.limited_sql, *query.args, output=write, format="csv", header=True
        )
    elif fmt == "jsonl":
        # CSV format with quote/delimiter characters that never occur in JSON text: the
        # lines come out exactly as row_to_json wrote them (text format would double '\').
        status = await conn.copy_from_query(
            f"SELECT row_to_json(q) FROM ({query.limited_sql}) AS q",
            *query.args,
            output=write,
            format="csv",
            quote="\x01",
            delimiter="\x02",
        )
    else:  # pragma: no cover - the CLI only passes csv/jsonl
        raise UsageError(f"COPY output does not support {fmt}")
    return int(status.split()[-1])


class ListSink(Protocol):
    """Where ``users list`` writes (implemented in ``dbctl.output.data``)."""

    async def raw(self, chunk: bytes) -> None: ...
    def begin(self, columns: list[str]) -> None: ...
    def row(self, text: str) -> None: ...
    def end(self) -> None: ...
    def table(self, result: ListResult) -> None: ...


@dataclass(slots=True)
class ListOutcome:
    table: str
    rows: int
    next_cursor: str | None
    searched: bool = False
    masked: list[str] = field(default_factory=list)


async def next_page(conn: Any, query: Query) -> str | None:
    """The ``--after`` cursor of the page after ``query``'s: the last row's whole sort key
    (a plain value when the key is one NOT NULL column)."""
    aliases = [f"_k{i}" for i in range(len(query.key))]
    reverse = ", ".join(f"q.{a} DESC NULLS FIRST" for a in aliases)
    limited = f"{query.key_sql} LIMIT {int(query.limit)}" if query.limit else query.key_sql
    row = await conn.fetchrow(
        f"SELECT {', '.join(f'q.{a}::text AS t{i}' for i, a in enumerate(aliases))} "
        f"FROM ({limited}) AS q "
        f"ORDER BY {reverse} LIMIT 1",
        *query.args,
    )
    if row is None:
        return None
    values: list[str | None] = list(row)
    if len(values) == 1 and values[0] is not None:
        return values[0]
    return encode_cursor(values)


async def run_list(
    url: DatabaseUrl,
    *,
    timeout: float,
    schema: str,
    table: str,
    fmt: str,
    sink: ListSink,
    request: ListRequest,
) -> ListOutcome:
    """List rows in ``fmt`` (text|json|jsonl|csv) into ``sink``; ``request.limit=None``
    is --all. Columns named like secrets are masked unless ``request.show_secrets``."""
    limit = request.limit
    async with session(url, timeout=timeout) as conn:
        query = await prepare(conn, schema=schema, table=table, request=request)
        name = f"{query.table.schema}.{query.table.name}"
        if limit is None:  # a streamed export may run for minutes: the stall guard bounds it
            await conn.execute("SET LOCAL statement_timeout = 0")
        if fmt == "text":
            if limit is None:
                total = await count(conn, query)
                if total > TABLE_ALL_LIMIT:
                    raise UsageError(
                        f"--all would print {total} rows as a table",
                        hint="stream them instead: --all --format csv (or jsonl), or page "
                        "with --limit / --after",
                    )
            result = await fetch(conn, query)
            sink.table(result)
            return ListOutcome(
                name, len(result.rows), result.next_cursor, query.searched, query.masked
            )
        if fmt in {"csv", "jsonl"}:
            n = await copy_out(conn, query, fmt, sink.raw)
        else:
            n = 0
            sink.begin(query.columns)
            async for text in iterate_json(conn, query):
                sink.row(text)
                n += 1
            sink.end()
        cursor = None
        if limit is not None and n == limit:
            cursor = await next_page(conn, query)
        return ListOutcome(name, n, cursor, query.searched, query.masked)


async def run_count(
    url: DatabaseUrl, *, timeout: float, schema: str, table: str, search: str | None = None
) -> tuple[str, int]:
    async with session(url, timeout=timeout) as conn:
        request = ListRequest(search=search, limit=None)
        query = await prepare(conn, schema=schema, table=table, request=request)
        return f"{query.table.schema}.{query.table.name}", await count(conn, query)

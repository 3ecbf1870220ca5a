"""``dbctl users list|count``: any users table, reflected; keyset pagination; streaming.

Identifiers come from the catalog and are always quoted; user input (``--search``,
``--after``) is only ever a bound parameter. ``--order`` must name a reflected column.
CSV and JSON lines go through PostgreSQL's own ``COPY … TO STDOUT`` so that a million
rows stream at close to psql's speed in constant memory.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any, Protocol

from dbctl.db.catalog import Table, quote_ident, reflect_one
from dbctl.errors import DatabaseError, OperationError, UsageError
from dbctl.urls import DatabaseUrl

#: ``--format text`` refuses ``--all`` beyond this many rows.
TABLE_ALL_LIMIT = 1000


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

    @property
    def limited_sql(self) -> str:
        if self.limit is None:
            return self.sql
        return f"{self.sql} LIMIT {int(self.limit)}"


@dataclass(slots=True)
class ListResult:
    """Rows as JSON text (from ``row_to_json``), in order; plus the next keyset cursor."""

    table: str
    columns: list[str]
    rows: list[dict[str, Any]]
    next_cursor: str | None


def escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def build_query(
    table: Table,
    *,
    search: str | None,
    order: str | None,
    after: str | None,
    limit: int | None,
) -> Query:
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
    where: list[str] = []
    args: list[Any] = []
    if search is not None:
        texts = [c for c in table.columns if c.is_text]
        if not texts:
            raise UsageError(f"--search: {table.name} has no text columns to search")
        args.append(f"%{escape_like(search)}%")
        n = len(args)
        where.append("(" + " OR ".join(f"{quote_ident(c.name)} ILIKE ${n}" for c in texts) + ")")
    if after is not None:
        args.append(after)
        where.append(f"{quote_ident(order_col.name)} > (${len(args)}::text)::{order_col.type_sql}")
    sql = f"SELECT * FROM {table.qualified}"
    if where:
        sql += " WHERE " + " AND ".join(where)
    # --all without --order/--after streams in storage order, like COPY table TO STDOUT
    ordered = limit is not None or order is not None or after is not None
    if ordered:
        sql += f" ORDER BY {quote_ident(order_col.name)}"
        if table.primary_key and order_col.name not in table.primary_key:
            sql += ", " + ", ".join(quote_ident(c) for c in table.primary_key)
    return Query(
        table=table,
        sql=sql,
        args=args,
        order=order_col.name,
        limit=limit,
        ordered=ordered,
        filtered=bool(where),
    )


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


async def prepare(
    conn: Any,
    *,
    schema: str,
    table: str,
    search: str | None = None,
    order: str | None = None,
    after: str | None = None,
    limit: int | None = 50,
) -> Query:
    if limit is not None and limit < 1:
        raise UsageError("--limit must be at least 1")
    t = await _table(conn, schema, table)
    query = build_query(t, search=search, order=order, after=after, limit=limit)
    if after is not None:
        import asyncpg

        try:  # a bad cursor (e.g. --after abc on an integer id) is a usage error
            await conn.fetchval(
                f"SELECT (($1::text)::{t.column(query.order).type_sql})::text",  # type: ignore[union-attr]
                after,
            )
        except (asyncpg.DataError, asyncpg.PostgresSyntaxError) as exc:
            raise UsageError(
                f"--after {after!r} is not a valid {query.order} value: {exc.args[0]}"
            ) from None
    return query


async def count(conn: Any, query: Query) -> int:
    return int(await conn.fetchval(f"SELECT count(*) FROM ({query.sql}) AS q", *query.args))


async def fetch(conn: Any, query: Query) -> ListResult:
    """Rows as dicts decoded from ``row_to_json`` (timestamps ISO 8601, numbers as JSON)."""
    import json

    sql = f"SELECT row_to_json(q)::text AS j FROM ({query.limited_sql}) AS q"
    rows = [json.loads(r["j"]) for r in await conn.fetch(sql, *query.args)]
    next_cursor = None
    if query.limit is not None and len(rows) == query.limit and rows:
        value = rows[-1].get(query.order)
        next_cursor = None if value is None else str(value)
    return ListResult(
        table=f"{query.table.schema}.{query.table.name}",
        columns=[c.name for c in query.table.columns],
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
    if fmt == "csv" and not query.ordered and not query.filtered and query.limit is None:
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
    order: str = ""
    order_unique: bool = True


def _order_info(query: Query) -> tuple[str, bool]:
    return query.order, query.order in query.table.unique_columns()


async def _last_value(conn: Any, query: Query) -> str | None:
    col = quote_ident(query.order)
    return await conn.fetchval(  # type: ignore[no-any-return]
        f"SELECT q.{col}::text FROM ({query.limited_sql}) AS q ORDER BY q.{col} DESC LIMIT 1",
        *query.args,
    )


async def run_list(
    url: DatabaseUrl,
    *,
    timeout: float,
    schema: str,
    table: str,
    fmt: str,
    sink: ListSink,
    search: str | None = None,
    order: str | None = None,
    after: str | None = None,
    limit: int | None = 50,
) -> ListOutcome:
    """List rows in ``fmt`` (text|json|jsonl|csv) into ``sink``; ``limit=None`` is --all."""
    async with session(url, timeout=timeout) as conn:
        query = await prepare(
            conn, schema=schema, table=table, search=search, order=order, after=after, limit=limit
        )
        name = f"{query.table.schema}.{query.table.name}"
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
            return ListOutcome(name, len(result.rows), result.next_cursor, *_order_info(query))
        if fmt in {"csv", "jsonl"}:
            n = await copy_out(conn, query, fmt, sink.raw)
        else:
            n = 0
            sink.begin([c.name for c in query.table.columns])
            async for text in iterate_json(conn, query):
                sink.row(text)
                n += 1
            sink.end()
        cursor = None
        if limit is not None and n == limit:
            cursor = await _last_value(conn, query)
        return ListOutcome(name, n, cursor, *_order_info(query))


async def run_count(
    url: DatabaseUrl, *, timeout: float, schema: str, table: str, search: str | None = None
) -> tuple[str, int]:
    async with session(url, timeout=timeout) as conn:
        query = await prepare(conn, schema=schema, table=table, search=search, limit=None)
        return f"{query.table.schema}.{query.table.name}", await count(conn, query)

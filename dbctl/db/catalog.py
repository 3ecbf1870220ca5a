"""Reflection from the PostgreSQL catalogs over a raw asyncpg connection.

Used by ``init-db`` (existing tables, drift), the ``schema`` check, ``seed`` (column
types, unique columns, foreign-key order) and ``users`` (any table shape). Identifiers
are passed as bound parameters here; SQL text built elsewhere quotes them with
:func:`quote_ident`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

TEXT_TYPES = frozenset({"text", "varchar", "bpchar", "citext", "name"})


def quote_ident(name: str) -> str:
    """``name`` as a PostgreSQL quoted identifier (hostile names are harmless)."""
    return '"' + name.replace('"', '""') + '"'


def qualified(schema: str, table: str) -> str:
    return f"{quote_ident(schema)}.{quote_ident(table)}"


@dataclass(slots=True)
class Column:
    name: str
    type_sql: str  # format_type(): a valid SQL type expression, e.g. character varying(50)
    type_oid: int
    typname: str  # base type name, e.g. int4, varchar, _int4 (arrays), an enum's name
    typtype: str  # b base, e enum, d domain, c composite, r range
    not_null: bool
    has_default: bool
    identity: str  # '' | 'a' (ALWAYS) | 'd' (BY DEFAULT)
    generated: str  # '' | 's' (stored generated column)
    max_length: int | None = None
    enum_labels: list[str] = field(default_factory=list)

    @property
    def is_text(self) -> bool:
        return self.typname in TEXT_TYPES

    @property
    def auto(self) -> bool:
        """The database fills it (default, identity or generated)."""
        return self.has_default or bool(self.identity) or bool(self.generated)


@dataclass(slots=True)
class Table:
    schema: str
    name: str
    oid: int
    columns: list[Column]
    primary_key: list[str] = field(default_factory=list)
    unique_sets: list[list[str]] = field(default_factory=list)
    references: list[tuple[list[str], str, str, list[str]]] = field(default_factory=list)
    #: CHECK constraints: (name, definition as pg_get_constraintdef shows it)
    checks: list[tuple[str, str]] = field(default_factory=list)

    @property
    def qualified(self) -> str:
        return qualified(self.schema, self.name)

    def column(self, name: str) -> Column | None:
        for col in self.columns:
            if col.name == name:
                return col
        return None

    def unique_columns(self) -> set[str]:
        """Columns that are unique on their own (single-column PK / unique index)."""
        return {s[0] for s in self.unique_sets if len(s) == 1}


_COLUMNS = """
SELECT c.oid::int AS oid, n.nspname, c.relname, a.attname,
       format_type(a.atttypid, a.atttypmod) AS type_sql,
       COALESCE(bt.oid, t.oid)::int AS type_oid,
       COALESCE(bt.typname, t.typname)::text AS typname,
       COALESCE(bt.typtype, t.typtype)::text AS typtype,
       a.attnotnull, a.atthasdef, a.attidentity::text AS identity,
       a.attgenerated::text AS generated,
       CASE WHEN COALESCE(bt.typname, t.typname) IN ('varchar', 'bpchar') AND a.atttypmod > 4
            THEN a.atttypmod - 4 END AS max_length,
       CASE WHEN COALESCE(bt.typtype, t.typtype) = 'e' THEN
            ARRAY(SELECT e.enumlabel::text FROM pg_enum e
                  WHERE e.enumtypid = COALESCE(bt.oid, t.oid) ORDER BY e.enumsortorder)
       END AS enum_labels
FROM pg_class c
JOIN pg_namespace n ON n.oid = c.relnamespace
JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
JOIN pg_type t ON t.oid = a.atttypid
LEFT JOIN pg_type bt ON t.typtype = 'd' AND bt.oid = t.typbasetype
WHERE c.relkind IN ('r', 'p')
  AND (n.nspname, c.relname) IN (SELECT * FROM unnest($1::text[], $2::text[]))
ORDER BY n.nspname, c.relname, a.attnum
"""

_UNIQUE = """
SELECT i.indrelid::int AS oid, i.indisprimary,
       ARRAY(SELECT a.attname::text FROM unnest(i.indkey) WITH ORDINALITY k(attnum, ord)
             JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = k.attnum
             ORDER BY k.ord) AS cols
FROM pg_index i
WHERE i.indisunique AND i.indpred IS NULL AND i.indexprs IS NULL
  AND i.indrelid = ANY($1::oid[])
"""

_FOREIGN = """
SELECT con.conrelid::int AS oid, fn.nspname AS ref_schema, fc.relname AS ref_table,
       ARRAY(SELECT a.attname::text FROM unnest(con.conkey) WITH ORDINALITY k(attnum, ord)
             JOIN pg_attribute a ON a.attrelid = con.conrelid AND a.attnum = k.attnum
             ORDER BY k.ord) AS cols,
       ARRAY(SELECT a.attname::text FROM unnest(con.confkey) WITH ORDINALITY k(attnum, ord)
             JOIN pg_attribute a ON a.attrelid = con.confrelid AND a.attnum = k.attnum
             ORDER BY k.ord) AS ref_cols
FROM pg_constraint con
JOIN pg_class fc ON fc.oid = con.confrelid
JOIN pg_namespace fn ON fn.oid = fc.relnamespace
WHERE con.contype = 'f' AND con.conrelid = ANY($1::oid[])
"""


_CHECKS = """
SELECT con.conrelid::int AS oid, con.conname::text AS name,
       pg_get_constraintdef(con.oid) AS def
FROM pg_constraint con
WHERE con.contype = 'c' AND con.conrelid = ANY($1::oid[])
ORDER BY con.conname
"""


async def reflect(conn: Any, names: list[tuple[str, str]]) -> dict[tuple[str, str], Table]:
    """The tables among ``(schema, name)`` pairs that exist, with columns and keys."""
    if not names:
        return {}
    rows = await conn.fetch(_COLUMNS, [s for s, _ in names], [n for _, n in names])
    tables: dict[tuple[str, str], Table] = {}
    by_oid: dict[int, Table] = {}
    for r in rows:
        key = (r["nspname"], r["relname"])
        table = tables.get(key)
        if table is None:
            table = Table(schema=key[0], name=key[1], oid=r["oid"], columns=[])
            tables[key] = table
            by_oid[r["oid"]] = table
        table.columns.append(
            Column(
                name=r["attname"],
                type_sql=r["type_sql"],
                type_oid=r["type_oid"],
                typname=r["typname"],
                typtype=r["typtype"],
                not_null=r["attnotnull"],
                has_default=r["atthasdef"],
                identity=r["identity"] or "",
                generated=r["generated"] or "",
                max_length=r["max_length"],
                enum_labels=list(r["enum_labels"] or []),
            )
        )
    if not by_oid:
        return tables
    oids = list(by_oid)
    for r in await conn.fetch(_UNIQUE, oids):
        table = by_oid[r["oid"]]
        cols = list(r["cols"])
        if r["indisprimary"]:
            table.primary_key = cols
        table.unique_sets.append(cols)
    for r in await conn.fetch(_FOREIGN, oids):
        by_oid[r["oid"]].references.append(
            (list(r["cols"]), r["ref_schema"], r["ref_table"], list(r["ref_cols"]))
        )
    for r in await conn.fetch(_CHECKS, oids):
        by_oid[r["oid"]].checks.append((r["name"], r["def"]))
    return tables


async def reflect_one(conn: Any, schema: str, name: str) -> Table | None:
    return (await reflect(conn, [(schema, name)])).get((schema, name))


async def resolve_types(conn: Any, type_sqls: list[str]) -> dict[str, int | None]:
    """The type oid PostgreSQL resolves each SQL type expression to (None when unknown)."""
    unique = sorted(set(type_sqls))
    if not unique:
        return {}
    rows = await conn.fetch(
        "SELECT t, to_regtype(t)::oid::int AS oid FROM unnest($1::text[]) AS t", unique
    )
    return {r["t"]: r["oid"] for r in rows}


def fk_order(tables: list[Table]) -> list[Table]:
    """``tables`` sorted so that referenced tables come first. A cycle is broken at a
    table whose references into the rest are all nullable single-column foreign keys
    (they can be filled afterwards); failing that, the rest keep their input order."""
    keys = {(t.schema, t.name) for t in tables}
    done: set[tuple[str, str]] = set()
    out: list[Table] = []
    pending = list(tables)

    def deps(table: Table) -> list[tuple[list[str], tuple[str, str]]]:
        return [
            (cols, (s, n))
            for cols, s, n, _ in table.references
            if (s, n) in keys and (s, n) != (table.schema, table.name) and (s, n) not in done
        ]

    def deferrable(table: Table) -> bool:
        for cols, _ in deps(table):
            col = table.column(cols[0])
            if len(cols) != 1 or col is None or col.not_null:
                return False
        return True

    while pending:
        ready = [t for t in pending if not deps(t)]
        if not ready:  # a cycle
            ready = [t for t in pending if deferrable(t)][:1]
        if not ready:
            out.extend(pending)
            break
        for table in ready:
            out.append(table)
            done.add((table.schema, table.name))
            pending.remove(table)
    return out

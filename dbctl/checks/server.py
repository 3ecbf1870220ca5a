"""``server``: the version (fail below 10, warn past community end of life) and the one
query of server facts the later rows read."""

from __future__ import annotations

import datetime as _dt
import time
from typing import Any

from dbctl.checks import tls
from dbctl.checks.base import Check, Context

#: Community end-of-life dates (https://www.postgresql.org/support/versioning/).
EOL_DATES = {
    10: _dt.date(2022, 11, 10),
    11: _dt.date(2023, 11, 9),
    12: _dt.date(2024, 11, 21),
    13: _dt.date(2025, 11, 13),
    14: _dt.date(2026, 11, 12),
    15: _dt.date(2027, 11, 11),
    16: _dt.date(2028, 11, 9),
    17: _dt.date(2029, 11, 8),
    18: _dt.date(2030, 11, 14),
}
#: Below this major version the server is not supported by asyncpg/SQLAlchemy 2: fail.
MIN_SUPPORTED_MAJOR = 10

FACTS_SQL = """
select
  current_setting('server_version_num')::int as version_num,
  current_setting('server_version') as version,
  pg_is_in_recovery() as in_recovery,
  current_setting('transaction_read_only') as transaction_read_only,
  current_setting('default_transaction_read_only') as default_read_only,
  current_user as current_user,
  current_database() as current_database,
  (select rolsuper from pg_roles where rolname = current_user) as is_superuser,
  exists (select 1 from pg_namespace where nspname = $1) as schema_exists,
  case when exists (select 1 from pg_namespace where nspname = $1)
       then has_schema_privilege(current_user, $1, 'CREATE') end as can_create,
  has_database_privilege(current_user, current_database(), 'CREATE') as can_create_schema,
  (select count(*) from pg_stat_activity where backend_type = 'client backend')::int
    as client_backends,
  current_setting('max_connections')::int as max_connections,
  current_setting('superuser_reserved_connections')::int as superuser_reserved,
  coalesce(current_setting('reserved_connections', true), '0')::int as reserved,
  (select ssl from pg_stat_ssl where pid = pg_backend_pid()) as ssl,
  (select version from pg_stat_ssl where pid = pg_backend_pid()) as ssl_version,
  inet_server_port() as server_port,
  pg_backend_pid() as backend_pid,
  (select application_name from pg_stat_activity where pid = pg_backend_pid())
    as application_name
"""


async def run(ctx: Context) -> None:
    from dbctl.db.connect import target_label
    from dbctl.db.errors import translate

    conn = ctx.conn
    start = time.perf_counter()
    # the version arrives with the login (ParameterStatus): refuse very old servers before
    # the catalog query, which needs PostgreSQL 10 (backend_type)
    info = conn.get_server_version()
    if info.major < MIN_SUPPORTED_MAJOR:
        version_num = info.major * 10000 + info.minor * 100 + info.micro
        version = f"{info.major}.{info.minor}.{info.micro}"
        version_row(ctx, {"version_num": version_num, "version": version}, start)
        return
    try:
        facts = await conn.fetchrow(FACTS_SQL, ctx.loaded.settings.db_schema, timeout=ctx.timeout)
    except Exception as exc:
        err = translate(exc, target=target_label(ctx.url), timeout=ctx.timeout)
        if err is None:
            raise
        if err.code == "pgbouncer.transaction_mode":
            err.message = (
                "a prepared statement vanished between two queries: a connection pooler "
                f"(PgBouncer in transaction mode) sits in front of the server ({err.message})"
            )
        ctx.fail_from("server", err, start=start)
        return
    ctx.facts = dict(facts)
    ctx.provides.add("facts")
    version_row(ctx, ctx.facts, start)
    tls.add_connection_facts(ctx)


def version_row(ctx: Context, facts: dict[str, Any], start: float) -> None:
    num = int(facts["version_num"])
    major = num // 10000 if num >= 100000 else num // 100  # 9.6.24 (90624) -> 906
    version = str(facts["version"]).split(" ")[0]
    data = {"version": version, "version_num": num, "major": major}
    if num < MIN_SUPPORTED_MAJOR * 10000:
        ctx.fail(
            "server",
            "server.unsupported_version",
            f"PostgreSQL {version} is too old for asyncpg and SQLAlchemy 2",
            start=start,
            data=data,
        )
        ctx.provides.discard("facts")
        return
    eol = EOL_DATES.get(major)
    today = _dt.date.today()
    if eol is not None and eol <= today:
        ctx.set(
            "server",
            "warn",
            f"PostgreSQL {version} reached its community end of life on {eol.isoformat()}",
            start=start,
            code="server.unsupported_version",
            hint="no more security fixes: plan an upgrade to a supported major release",
            data={**data, "end_of_life": eol.isoformat()},
        )
        return
    summary = f"PostgreSQL {version}"
    if eol is not None:
        data["end_of_life"] = eol.isoformat()
        summary += f" (supported until {eol.isoformat()})"
    ctx.set("server", "pass", summary, start=start, data=data)


CHECK = Check(
    id="server",
    title="Server",
    codes=(
        "server.unsupported_version",
        "server.starting",
        "server.too_many_connections",
        "server.login_timeout",
        "connection.lost",
        "pgbouncer.pool_full",
        "pgbouncer.server_unavailable",
        "pgbouncer.transaction_mode",
    ),
    needs=("conn",),
    run=run,
)

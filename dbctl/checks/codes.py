"""The catalogue of failure codes: one entry per stable code, with its default hint.

Every check, :func:`dbctl.db.errors.translate` and the README's table of codes read
from here; ``tests/check/test_catalogue.py`` proves that every code a check can emit is
catalogued and documented. A check may refine a hint with specifics (the schema, the
user), but the code's meaning and its class (retryable, unreachable) live only here.
"""

from __future__ import annotations

from dataclasses import dataclass

_COMPOSE_DNS = (
    "check the host name; a docker-compose service name (e.g. 'db') only resolves inside "
    "that compose network — from the host use localhost and the published port"
)
_PGBOUNCER_STATEMENTS = (
    'PgBouncer in transaction mode: connect_args={"statement_cache_size": 0} and '
    "prepared_statement_cache_size=0 in the URL, or PgBouncer >= 1.21 max_prepared_statements"
)


@dataclass(frozen=True, slots=True)
class FailureCode:
    """A stable failure code. ``retryable``: ``--wait`` retries it; ``unreachable``:
    it makes ``check`` exit 3."""

    code: str
    hint: str
    retryable: bool = False
    unreachable: bool = False


def _catalogue(*codes: FailureCode) -> dict[str, FailureCode]:
    return {c.code: c for c in codes}


CATALOGUE: dict[str, FailureCode] = _catalogue(
    FailureCode(
        "config.invalid_url", "use the form postgresql+asyncpg://USER:PASSWORD@HOST:5432/DB"
    ),
    FailureCode("config.unsupported_scheme", "rewrite the URL to start with postgresql+asyncpg://"),
    FailureCode(
        "config.sync_driver",
        "use postgresql+asyncpg:// so the app does not block its event loop",
    ),
    FailureCode(
        "config.unencoded_password",
        "URL-encode the password (urllib.parse.quote(password, safe='')) or build the URL "
        "with sqlalchemy.URL.create(...)",
    ),
    FailureCode(
        "config.libpq_param",
        "translate libpq parameters to asyncpg ones (sslmode -> ssl, application_name -> "
        "connect_args server_settings)",
    ),
    FailureCode(
        "config.bad_parameter",
        "the app's create_async_engine would fail at start with these URL parameters: fix "
        "the value, or pass it in connect_args",
    ),
    FailureCode("dns.unresolved", _COMPOSE_DNS, retryable=True, unreachable=True),
    FailureCode(
        "tcp.refused",
        "the server is down, the port is wrong, or listen_addresses does not include this "
        "interface",
        retryable=True,
        unreachable=True,
    ),
    FailureCode(
        "tcp.timeout",
        "a firewall, security group or wrong address drops the packets, the port belongs to "
        "another service, or the server is overloaded; raise --timeout only if the network is "
        "known to be slow",
        retryable=True,
        unreachable=True,
    ),
    FailureCode(
        "tls.unavailable", "enable ssl on the server, or drop ?ssl=require / use ssl=prefer"
    ),
    FailureCode(
        "tls.required",
        "the server only accepts encrypted connections from here: add ?ssl=require to the URL",
    ),
    FailureCode(
        "tls.verify_failed",
        "give the CA that signed the server certificate: PGSSLROOTCERT=/path/ca.crt or "
        "~/.postgresql/root.crt for dbctl; the app passes connect_args={'ssl': "
        "ssl.create_default_context(cafile='/path/ca.crt')}; connect with the host name in "
        "the certificate",
    ),
    FailureCode(
        "auth.failed",
        "the server is reachable but rejected the credentials: check the user and password "
        "(PostgreSQL reports an unknown role the same way), .pgpass, and that special "
        "characters in the password are URL-encoded",
    ),
    FailureCode(
        "auth.rejected",
        "the server's pg_hba.conf refuses this client/user/database combination: add a "
        "matching line on the server or connect as an allowed user",
    ),
    FailureCode(
        "db.missing",
        "the credentials are fine; create the database (createdb NAME, or CREATE DATABASE) "
        "or fix the database name in the URL",
    ),
    FailureCode(
        "server.starting",
        "the server is starting up or shutting down; retry (dbctl check --wait 30)",
        retryable=True,
        unreachable=True,
    ),
    FailureCode(
        "server.too_many_connections",
        "max_connections is reached: lower pool_size x workers, add PgBouncer, or raise "
        "max_connections; pg_isready still reports OK in this state",
        retryable=True,
    ),
    FailureCode(
        "server.unsupported_version",
        "upgrade the server to a supported release "
        "(https://www.postgresql.org/support/versioning/)",
    ),
    FailureCode(
        "capacity.low_headroom",
        "under load the app will hit 'too many clients' (53300): lower pool_size / "
        "max_overflow / workers, put PgBouncer in front, or raise max_connections "
        "(connections the app already holds are counted as in use)",
    ),
    FailureCode(
        "session.read_only",
        "connected to a replica or a read-only role: point the URL at the primary "
        "(pg_is_in_recovery() is true on replicas)",
    ),
    FailureCode("pgbouncer.transaction_mode", _PGBOUNCER_STATEMENTS),
    FailureCode(
        "pgbouncer.pool_full",
        "PgBouncer refuses more clients (max_client_conn / max_db_connections / "
        "max_user_connections): raise the limit in pgbouncer.ini or open fewer connections",
        retryable=True,
    ),
    FailureCode(
        "pgbouncer.server_unavailable",
        "PgBouncer answered but got no server connection for this client within "
        "query_wait_timeout: the PostgreSQL server behind it is down or refuses PgBouncer's "
        "login (see PgBouncer's log), or every server connection of the pool is busy",
        retryable=True,
        unreachable=True,
    ),
    FailureCode(
        "server.login_timeout",
        "the port answered the PostgreSQL protocol but the login did not finish in time: a "
        "pooler (PgBouncer) waiting for a server connection, or an overloaded server; not "
        "a firewall",
        retryable=True,
        unreachable=True,
    ),
    FailureCode(
        "connection.lost",
        "the server restarted, crashed or was shut down, or the network dropped the "
        "connection; retry when it is back (dbctl check --wait 30)",
        retryable=True,
        unreachable=True,
    ),
    FailureCode(
        "privileges.no_create",
        "run as the schema/database owner or GRANT CREATE ON SCHEMA public TO the app's role "
        "(PostgreSQL 15 removed CREATE on public from other roles)",
    ),
    FailureCode("schema.missing_tables", "create them: dbctl init-db, or run the migrations"),
    FailureCode("schema.drift", "the models and the tables disagree: write a migration"),
    FailureCode("migrations.behind", "apply the pending migrations: alembic upgrade head"),
    FailureCode(
        "migrations.unknown_revision",
        "the database carries a revision this code base does not know: deploy the matching "
        "code or stamp the right revision",
    ),
    FailureCode(
        "migrations.multiple_heads",
        "two branches added revisions on the same parent: `alembic merge heads -m merge` "
        "and commit the merge revision",
    ),
    FailureCode(
        "migrations.invalid_graph",
        "fix the revision named in the message (down_revision must name an existing "
        "revision; no revision id twice); `alembic heads` shows the same error",
    ),
    FailureCode("sqlstate", "an unexpected server error: the SQLSTATE names it"),
)

#: Failure codes of the transient class: ``--wait`` retries them.
RETRYABLE_CODES = frozenset(c.code for c in CATALOGUE.values() if c.retryable)
#: Failure codes that make the target "unreachable" (exit 3).
UNREACHABLE_CODES = frozenset(c.code for c in CATALOGUE.values() if c.unreachable)


def lookup(code: str) -> FailureCode:
    """The catalogue entry of ``code``; ``sqlstate.XXXXX`` codes share one entry."""
    if code.startswith("sqlstate."):
        return CATALOGUE["sqlstate"]
    return CATALOGUE[code]


def hint(code: str) -> str:
    """The default hint of ``code``."""
    return lookup(code).hint

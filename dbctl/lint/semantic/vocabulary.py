"""The library vocabulary: which qualified names are engines, sessions, drivers, pools and
cursors, what their methods return and which of them block. Tables only, no logic
beyond lookups: the one place to teach the linter a library."""

from __future__ import annotations

from dbctl.lint.semantic.kinds import Res

SESSION_KINDS = frozenset({Res.SYNC_SESSION, Res.ASYNC_SESSION})
APP_KINDS = frozenset({Res.FASTAPI_APP, Res.ROUTER})
#: kinds through which a sync engine or driver connection reaches its users
SYNC_DERIVED = frozenset(
    {Res.SYNC_ENGINE, Res.SYNC_FACTORY, Res.SYNC_SESSION, Res.SYNC_CONN, Res.SYNC_SCOPED,
     Res.DRIVER_CONN, Res.DRIVER_CURSOR, Res.DRIVER_POOL}
)

_SESSION_IO = frozenset(
    {"execute", "exec", "query", "scalar", "scalars", "get", "get_one", "commit", "rollback",
     "flush", "refresh", "merge", "bulk_save_objects", "bulk_insert_mappings",
     "bulk_update_mappings"}
)
#: Methods that do blocking database I/O, by the kind of their receiver.
SYNC_IO_METHODS: dict[Res, frozenset[str]] = {
    Res.SYNC_SESSION: _SESSION_IO,
    Res.SYNC_SCOPED: _SESSION_IO,
    Res.SYNC_CONN: frozenset(
        {"execute", "exec_driver_sql", "scalar", "scalars", "commit", "rollback"}
    ),
    Res.SYNC_ENGINE: frozenset({"connect", "begin", "raw_connection"}),
    Res.DRIVER_CONN: frozenset(
        {"execute", "executemany", "executescript", "commit", "rollback"}
    ),
    Res.DRIVER_CURSOR: frozenset(
        {"execute", "executemany", "fetchone", "fetchall", "fetchmany", "callproc",
         "copy_expert", "copy_from", "copy_to"}
    ),
    Res.DRIVER_POOL: frozenset({"getconn", "connection", "close", "closeall", "wait", "check"}),
    #: reflection: every Inspector query runs SQL on the engine
    Res.SYNC_INSPECTOR: frozenset(
        {"get_table_names", "get_view_names", "get_schema_names", "get_columns",
         "get_indexes", "get_foreign_keys", "get_pk_constraint", "get_unique_constraints",
         "get_check_constraints", "get_table_comment", "get_sequence_names", "has_table",
         "has_schema", "has_index", "has_sequence", "get_multi_columns",
         "get_materialized_view_names", "get_temp_table_names", "get_enums"}
    ),
}
_ASYNC_SESSION_METHODS = frozenset(
    {"execute", "exec", "scalar", "scalars", "get", "get_one", "commit", "rollback", "flush",
     "refresh", "merge", "delete", "close", "stream", "stream_scalars", "run_sync",
     "invalidate", "connection"}
)
#: Coroutine methods, by the kind of their receiver (calling them without await is a bug).
ASYNC_METHODS: dict[Res, frozenset[str]] = {
    Res.ASYNC_SESSION: _ASYNC_SESSION_METHODS,
    Res.ASYNC_SCOPED: _ASYNC_SESSION_METHODS,  # it proxies the AsyncSession methods
    Res.ASYNC_CONN: frozenset(
        {"execute", "exec_driver_sql", "scalar", "scalars", "commit", "rollback", "close",
         "run_sync", "stream", "stream_scalars", "invalidate", "get_raw_connection"}
    ),
    Res.ASYNC_ENGINE: frozenset({"dispose"}),
    Res.ASYNC_DRIVER: frozenset(
        {"execute", "executemany", "fetch", "fetchrow", "fetchval", "fetchone", "fetchall",
         "fetchmany", "commit", "rollback", "close"}
    ),
}


def _invert(table: dict[Res, frozenset[str]]) -> dict[str, frozenset[Res]]:
    out: dict[str, set[Res]] = {}
    for kind, methods in table.items():
        for m in methods:
            out.setdefault(m, set()).add(kind)
    return {m: frozenset(k) for m, k in out.items()}


#: method name -> the receiver kinds on which it blocks / is a coroutine
SYNC_IO_KINDS_BY_METHOD = _invert(SYNC_IO_METHODS)
ASYNC_KINDS_BY_METHOD = _invert(ASYNC_METHODS)
#: DDL through a sync engine or connection blocks (``metadata.create_all(engine)``)
DDL_METHODS = frozenset({"create_all", "drop_all"})
DDL_SYNC_BINDS = frozenset({Res.SYNC_ENGINE, Res.SYNC_CONN})
DDL_ASYNC_BINDS = frozenset({Res.ASYNC_ENGINE, Res.ASYNC_CONN})

#: ``sqlalchemy.inspect(x)`` is read as the method ``x.inspect()`` (see METHOD_RESULT):
#: an Inspector on a sync engine or connection; on an engine it connects right away
INSPECT = "inspect"
INSPECT_BLOCKS_ON = frozenset({Res.SYNC_ENGINE})
#: Results of method calls on concrete kinds.
METHOD_RESULT: dict[tuple[Res, str], Res] = {
    (Res.SYNC_ENGINE, "connect"): Res.SYNC_CONN,
    (Res.SYNC_ENGINE, "begin"): Res.SYNC_CONN,
    (Res.SYNC_ENGINE, "raw_connection"): Res.DRIVER_CONN,
    (Res.ASYNC_ENGINE, "connect"): Res.ASYNC_CONN,
    (Res.ASYNC_ENGINE, "begin"): Res.ASYNC_CONN,
    (Res.SYNC_FACTORY, "begin"): Res.SYNC_SESSION,
    (Res.ASYNC_FACTORY, "begin"): Res.ASYNC_SESSION,
    (Res.SYNC_SESSION, "connection"): Res.SYNC_CONN,
    (Res.DRIVER_CONN, "cursor"): Res.DRIVER_CURSOR,
    (Res.DRIVER_POOL, "getconn"): Res.DRIVER_CONN,
    (Res.DRIVER_POOL, "connection"): Res.DRIVER_CONN,
    (Res.ASYNC_DRIVER, "cursor"): Res.ASYNC_DRIVER,
    (Res.ASYNC_DRIVER, "acquire"): Res.ASYNC_DRIVER,
    (Res.ASYNC_DRIVER, "connection"): Res.ASYNC_DRIVER,
    (Res.SYNC_ENGINE, INSPECT): Res.SYNC_INSPECTOR,
    (Res.SYNC_CONN, INSPECT): Res.SYNC_INSPECTOR,
}
#: Attributes of an engine or connection that are read without database I/O: a function
#: that only reads them does not use the engine (DBC101/DBC102)
METADATA_ATTRS = frozenset({"name", "url", "dialect", "driver", "echo", "closed"})
#: Attributes of concrete kinds that are themselves known
ATTR_RESULT: dict[tuple[Res, str], Res] = {
    (Res.REQUEST, "state"): Res.REQUEST_STATE,
    (Res.REQUEST, "app"): Res.FASTAPI_APP,
    (Res.FASTAPI_APP, "state"): Res.APP_STATE,
}
#: Concrete kinds whose other attributes are members assigned by the project
NAMESPACES = frozenset({Res.REQUEST_STATE, Res.APP_STATE})
#: Results of calling a value of a concrete kind (a session factory makes a session).
CALL_RESULT: dict[Res, Res] = {
    Res.SYNC_FACTORY: Res.SYNC_SESSION,
    Res.ASYNC_FACTORY: Res.ASYNC_SESSION,
    Res.SYNC_SCOPED: Res.SYNC_SESSION,
    Res.ASYNC_SCOPED: Res.ASYNC_SESSION,
}

#: Sync PostgreSQL driver entry points (canonical names) -> kind of what they return.
SYNC_PG_DRIVER_CALLS: dict[str, Res] = {
    "psycopg2.connect": Res.DRIVER_CONN,
    "psycopg2.pool.SimpleConnectionPool": Res.DRIVER_POOL,
    "psycopg2.pool.ThreadedConnectionPool": Res.DRIVER_POOL,
    "psycopg2.pool.AbstractConnectionPool": Res.DRIVER_POOL,
    "psycopg2cffi.connect": Res.DRIVER_CONN,
    "pg8000.connect": Res.DRIVER_CONN,
    "pg8000.dbapi.connect": Res.DRIVER_CONN,
    "pg8000.native.Connection": Res.DRIVER_CONN,
    "psycopg.connect": Res.DRIVER_CONN,
    "psycopg.Connection.connect": Res.DRIVER_CONN,
    "psycopg.Connection": Res.DRIVER_CONN,
    "psycopg_pool.ConnectionPool": Res.DRIVER_POOL,
    "psycopg_pool.NullConnectionPool": Res.DRIVER_POOL,
    "pgdb.connect": Res.DRIVER_CONN,
}
#: ... and those of every sync DB-API driver
SYNC_DRIVER_CALLS: dict[str, Res] = {
    **SYNC_PG_DRIVER_CALLS,
    "sqlite3.connect": Res.DRIVER_CONN,
    "sqlite3.dbapi2.connect": Res.DRIVER_CONN,
    "pymysql.connect": Res.DRIVER_CONN,
    "MySQLdb.connect": Res.DRIVER_CONN,
    "mysql.connector.connect": Res.DRIVER_CONN,
    "oracledb.connect": Res.DRIVER_CONN,
    "cx_Oracle.connect": Res.DRIVER_CONN,
    "pyodbc.connect": Res.DRIVER_CONN,
}
ASYNC_DRIVER_CALLS = frozenset(
    {"asyncpg.connect", "asyncpg.create_pool", "asyncpg.pool.create_pool",
     "psycopg.AsyncConnection.connect", "psycopg.AsyncConnection",
     "psycopg_pool.AsyncConnectionPool", "psycopg_pool.AsyncNullConnectionPool",
     "aiopg.connect", "aiopg.create_pool"}
)

#: SQLAlchemy (and SQLModel) class names as annotations -> kind
SQLA_TYPE_KINDS: dict[str, Res] = {
    "Session": Res.SYNC_SESSION,
    "AsyncSession": Res.ASYNC_SESSION,
    "Connection": Res.SYNC_CONN,
    "AsyncConnection": Res.ASYNC_CONN,
    "Engine": Res.SYNC_ENGINE,
    "AsyncEngine": Res.ASYNC_ENGINE,
    "sessionmaker": Res.SYNC_FACTORY,
    "async_sessionmaker": Res.ASYNC_FACTORY,
    "scoped_session": Res.SYNC_SCOPED,
    "async_scoped_session": Res.ASYNC_SCOPED,
}
#: Other classes as annotations (canonical) -> kind: the sync DB-API drivers (psycopg 3's
#: sync classes, psycopg2, pg8000, PyMySQL) and their async counterparts, FastAPI's app
#: and request
TYPE_KINDS: dict[str, Res] = {
    **dict.fromkeys(
        ("psycopg.Connection", "psycopg.connection.Connection", "psycopg2.extensions.connection",
         "psycopg2.extras.DictConnection", "psycopg2.extras.RealDictConnection",
         "psycopg2.extras.NamedTupleConnection", "psycopg2.extras.LoggingConnection",
         "pg8000.Connection", "pg8000.dbapi.Connection", "pg8000.native.Connection",
         "pg8000.legacy.Connection", "pymysql.Connection", "pymysql.connections.Connection",
         "sqlite3.Connection"),
        Res.DRIVER_CONN,
    ),
    **dict.fromkeys(
        ("psycopg.Cursor", "psycopg.cursor.Cursor", "psycopg.ClientCursor", "psycopg.ServerCursor",
         "psycopg.RawCursor", "psycopg2.extensions.cursor", "psycopg2.extras.DictCursor",
         "psycopg2.extras.RealDictCursor", "psycopg2.extras.NamedTupleCursor",
         "pg8000.Cursor", "pg8000.dbapi.Cursor", "pymysql.cursors.Cursor",
         "pymysql.cursors.DictCursor", "sqlite3.Cursor"),
        Res.DRIVER_CURSOR,
    ),
    **dict.fromkeys(
        ("psycopg_pool.ConnectionPool", "psycopg_pool.NullConnectionPool",
         "psycopg2.pool.SimpleConnectionPool", "psycopg2.pool.ThreadedConnectionPool",
         "psycopg2.pool.AbstractConnectionPool"),
        Res.DRIVER_POOL,
    ),
    **dict.fromkeys(
        ("psycopg.AsyncConnection", "psycopg.connection_async.AsyncConnection",
         "psycopg.AsyncCursor", "psycopg.AsyncClientCursor", "psycopg.AsyncServerCursor",
         "psycopg.AsyncRawCursor", "psycopg_pool.AsyncConnectionPool",
         "psycopg_pool.AsyncNullConnectionPool", "asyncpg.Connection",
         "asyncpg.connection.Connection", "asyncpg.Pool", "asyncpg.pool.Pool"),
        Res.ASYNC_DRIVER,
    ),
    **dict.fromkeys(
        ("fastapi.FastAPI", "fastapi.applications.FastAPI", "starlette.applications.Starlette"),
        Res.FASTAPI_APP,
    ),
    **dict.fromkeys(
        ("fastapi.Request", "fastapi.requests.Request", "starlette.requests.Request",
         "starlette.requests.HTTPConnection", "fastapi.WebSocket", "fastapi.websockets.WebSocket",
         "starlette.websockets.WebSocket"),
        Res.REQUEST,
    ),
}
#: generic wrappers of a return annotation -> the position of the value's type
#: (``Iterator[Session]``, ``Generator[Session, None, None]``, ``Coroutine[Any, Any, T]``)
RETURN_WRAPPERS = {
    "Iterator": 0, "Generator": 0, "AsyncIterator": 0, "AsyncGenerator": 0, "Iterable": 0,
    "AsyncIterable": 0, "Awaitable": 0, "ContextManager": 0, "AsyncContextManager": 0,
    "AbstractContextManager": 0, "AbstractAsyncContextManager": 0, "Coroutine": -1,
}
#: decorators whose first parameter is not an instance
NOT_INSTANCE_METHODS = frozenset({"staticmethod", "classmethod"})
#: decorators (last name) of a method that runs when the attribute is read
PROPERTY_DECORATORS = frozenset({"property", "cached_property"})
#: decorators (last name) of a method that subclasses implement
ABSTRACT_DECORATORS = frozenset({"abstractmethod", "abstractproperty"})
#: Starlette's middleware base class: its ``dispatch(self, request, call_next)`` gets a Request
MIDDLEWARE_BASES = frozenset(
    {"starlette.middleware.base.BaseHTTPMiddleware", "fastapi.middleware.base.BaseHTTPMiddleware"}
)
#: SQLAlchemy constructors (last name component) -> kind of what they return
SQLA_CALL_KINDS: dict[str, Res] = {
    "create_engine": Res.SYNC_ENGINE,
    "engine_from_config": Res.SYNC_ENGINE,
    "create_async_engine": Res.ASYNC_ENGINE,
    "async_engine_from_config": Res.ASYNC_ENGINE,
    "AsyncEngine": Res.ASYNC_ENGINE,
    "sessionmaker": Res.SYNC_FACTORY,  # class_=AsyncSession makes it async: see model
    "async_sessionmaker": Res.ASYNC_FACTORY,
    "async_scoped_session": Res.ASYNC_SCOPED,
    "scoped_session": Res.SYNC_SCOPED,
    "Session": Res.SYNC_SESSION,
    "AsyncSession": Res.ASYNC_SESSION,
}
ENGINE_FACTORIES = frozenset({"create_engine", "engine_from_config"})
ASYNC_ENGINE_FACTORIES = frozenset({"create_async_engine", "async_engine_from_config"})
SQLA_ROOTS = frozenset({"sqlalchemy", "sqlmodel"})
#: other constructors (canonical) -> kind
CALL_KINDS: dict[str, Res] = {
    "fastapi.FastAPI": Res.FASTAPI_APP,
    "fastapi.applications.FastAPI": Res.FASTAPI_APP,
    "fastapi.APIRouter": Res.ROUTER,
    "fastapi.routing.APIRouter": Res.ROUTER,
}

ROUTE_METHODS = frozenset(
    {"get", "post", "put", "delete", "patch", "options", "head", "trace", "api_route",
     "websocket", "route"}
)
ADD_ROUTE = frozenset(
    {"add_api_route", "add_route", "add_api_websocket_route", "add_websocket_route"}
)
DEPENDS = frozenset({"Depends", "Security"})
DEPENDS_ROOTS = frozenset({"fastapi", "starlette"})
CACHE_DECORATORS = frozenset(
    {"functools.lru_cache", "functools.cache", "functools.cached_property"}
)
ENV_GETTERS = frozenset({"os.getenv", "os.environ.get", "os.environ.setdefault", "os.getenvb"})
SETTINGS_BASES = frozenset(
    {"pydantic_settings.BaseSettings", "pydantic.BaseSettings", "pydantic.v1.BaseSettings"}
)

#: module roots that are never part of the linted project (their calls are not recorded)
STDLIB_HINT = frozenset(
    {"os", "sys", "re", "json", "logging", "typing", "asyncio", "collections", "functools",
     "itertools", "pathlib", "datetime", "time", "math", "subprocess", "uuid", "contextlib",
     "dataclasses", "enum", "abc", "builtins", "random", "string", "hashlib", "base64",
     # the libraries whose behaviour the rules model (never the linted project)
     "pydantic", "pydantic_settings", "fastapi", "starlette", "sqlalchemy", "sqlmodel",
     "alembic", "asyncpg", "psycopg", "psycopg2", "psycopg_pool", "pg8000"}
)


# -- containers -------------------------------------------------------------------------
#: methods of a container that return one of its elements (of a mapping: of its values)
CONTAINER_GETTERS = frozenset({"get", "pop", "setdefault"})
#: methods of a container that return a container of the same elements (``values()`` of
#: a mapping: its values, iterated as they are)
CONTAINER_VIEWS = frozenset({"values", "copy"})
#: builtins whose result holds the elements of their first argument, iterated
ITERATING_BUILTINS = frozenset({"list", "tuple", "set", "frozenset", "sorted", "reversed", "iter"})
#: ``itertools.chain(a, b)``: the elements of each argument, in turn
CHAIN = "itertools.chain"
#: ``itertools.chain.from_iterable(x)``: the elements of each element of ``x``
CHAIN_FROM_ITERABLE = "itertools.chain.from_iterable"
#: container annotations: sequences and sets (elements: the one argument; ``tuple[T, ...]``
#: too) and mappings (elements: the values, the second argument)
SEQUENCE_TYPES = frozenset({
    "List", "list", "Sequence", "MutableSequence", "Iterable", "Collection", "Set", "set",
    "FrozenSet", "frozenset", "AbstractSet", "MutableSet", "Deque", "deque", "Tuple", "tuple",
})
MAPPING_TYPES = frozenset({
    "Dict", "dict", "Mapping", "MutableMapping", "DefaultDict", "defaultdict", "OrderedDict",
})


def sqla_last(canonical: str | None) -> str | None:
    """The last component of a SQLAlchemy (or SQLModel, which re-exports it) canonical
    name; ``None`` for anything else."""
    if canonical and canonical.split(".", 1)[0] in SQLA_ROOTS:
        return canonical.rsplit(".", 1)[-1]
    return None


def derived_kind(base: str) -> Res | None:
    """The kind of an instance of a project class derived from the library class ``base``
    (canonical; ``class TimedSession(sqlmodel.Session)``): a database class's kind
    (SQLAlchemy's and SQLModel's sessions, connections, engines and factories, the
    drivers' connections, cursors and pools); ``None`` for anything else."""
    tail = sqla_last(base)
    kind = SQLA_TYPE_KINDS.get(tail) if tail else TYPE_KINDS.get(base)
    return None if kind in (Res.FASTAPI_APP, Res.REQUEST) else kind


#: the libraries a project folder must not be mistaken for (see dbctl.lint.engine.module_name)
LIBRARY_ROOTS = STDLIB_HINT


def is_library(canonical: str) -> bool:
    """Is ``canonical`` a name of the standard library or of a modelled library?"""
    return canonical.split(".", 1)[0] in STDLIB_HINT

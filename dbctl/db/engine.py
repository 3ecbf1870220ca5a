"""SQLAlchemy's async engine over dbctl's own connections (``init-db``, drift by Alembic).

The engine never opens a connection itself: ``async_creator`` calls
:func:`dbctl.db.connect.connect`, so the connect arguments, timeouts and guards of the
shared connection layer apply to SQLAlchemy's connections too. ``NullPool``: one
command, one connection, closed at the end (nothing kept for a pooler to reuse).

SQLAlchemy is imported inside the functions.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from dbctl.urls import DatabaseUrl

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncEngine


def async_engine(url: DatabaseUrl, *, timeout: float) -> AsyncEngine:
    """An ``AsyncEngine`` (NullPool) whose connections come from dbctl's ``connect``."""
    from sqlalchemy.ext.asyncio import create_async_engine
    from sqlalchemy.pool import NullPool

    from dbctl.db.connect import connect

    async def creator() -> Any:
        # unnamed prepared statements: nothing survives the transaction (PgBouncer-safe);
        # DDL is never re-executed, so a statement cache would not help anyway
        return await connect(url, timeout=timeout, statement_cache_size=0)

    return create_async_engine("postgresql+asyncpg://", async_creator=creator, poolclass=NullPool)


async def driver_connection(conn: Any) -> Any:
    """The asyncpg connection under a SQLAlchemy ``AsyncConnection`` (for COPY and the
    catalog queries; it shares the AsyncConnection's transaction)."""
    raw = await conn.get_raw_connection()
    return raw.driver_connection


def engine_on(conn: Any) -> AsyncEngine:
    """An ``AsyncEngine`` over an asyncpg connection someone else opened and will close
    (``StaticPool``: SQLAlchemy never closes it; e.g. ``check``'s connection for the
    Alembic comparison). Use it inside a transaction: SQLAlchemy rolls back on release."""
    from sqlalchemy.ext.asyncio import create_async_engine
    from sqlalchemy.pool import StaticPool

    async def creator() -> Any:
        return conn

    return create_async_engine("postgresql+asyncpg://", async_creator=creator, poolclass=StaticPool)

"""The SQLAlchemy engine factory: one async engine per command, always disposed."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import TYPE_CHECKING, Any

from dbctl.db.connect import target_label
from dbctl.db.errors import translate
from dbctl.errors import DatabaseError
from dbctl.urls import DatabaseUrl

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncEngine


def make_engine(url: DatabaseUrl, *, timeout: float, **kwargs: Any) -> AsyncEngine:
    """An AsyncEngine for ``url`` with an explicit connect timeout and asyncpg."""
    from sqlalchemy import URL
    from sqlalchemy.ext.asyncio import create_async_engine

    connect_args: dict[str, Any] = {"timeout": timeout}
    asyncpg_kwargs = url.asyncpg_kwargs(timeout=timeout)
    for key in ("ssl", "server_settings", "target_session_attrs", "statement_cache_size"):
        if key in asyncpg_kwargs:
            connect_args[key] = asyncpg_kwargs[key]
    sa_url = URL.create(
        "postgresql+asyncpg",
        username=url.username,
        password=url.password.get_secret_value() if url.password is not None else None,
        host=url.host,
        port=url.port,
        database=url.database,
    )
    if len(url.hosts) > 1:
        connect_args["host"] = asyncpg_kwargs["host"]
        connect_args["port"] = asyncpg_kwargs["port"]
    kwargs.setdefault("pool_pre_ping", False)
    return create_async_engine(sa_url, connect_args=connect_args, **kwargs)


@asynccontextmanager
async def engine_for(
    url: DatabaseUrl, *, timeout: float, **kwargs: Any
) -> AsyncIterator[AsyncEngine]:
    """``async with engine_for(url, timeout=5) as engine`` — disposed on exit; errors translated."""
    engine = make_engine(url, timeout=timeout, **kwargs)
    try:
        yield engine
    except DatabaseError:
        raise
    except Exception as exc:
        err = translate(exc, target=target_label(url), timeout=timeout)
        if err is None:
            raise
        raise err from None
    finally:
        await engine.dispose()

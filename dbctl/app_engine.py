"""``--engine MOD:ATTR``: check through exactly the app's own engine.

Imports the app's ``AsyncEngine`` (or an ``async_sessionmaker``/``sessionmaker`` bound to
one) and reads what it would connect with: its URL, the keyword arguments SQLAlchemy
hands to asyncpg — ``connect_args`` included (an ``ssl`` context, ``server_settings``,
``statement_cache_size``) — captured from SQLAlchemy's public ``do_connect`` event before
any byte is sent, and its pool size for the ``capacity`` row. Only loaded with
``--engine``: it imports SQLAlchemy (and the app).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from dbctl.errors import ConfigError


@dataclass(frozen=True)
class AppEngine:
    """What the app's engine connects with. ``url`` carries the password: never print it."""

    spec: str
    url: str
    connect_kwargs: dict[str, Any]
    pool_size: int | None
    pool_class: str


class _Captured(Exception):
    """Raised from the do_connect hook: the arguments are read, no connection is made."""


def _engine_of(obj: Any, spec: str) -> Any:
    from sqlalchemy.engine import Engine
    from sqlalchemy.ext.asyncio import AsyncEngine

    if isinstance(obj, AsyncEngine):
        return obj
    bind = getattr(obj, "kw", {}).get("bind") if hasattr(obj, "kw") else None
    if isinstance(bind, AsyncEngine):  # async_sessionmaker(engine) / sessionmaker(bind=engine)
        return bind
    if isinstance(obj, Engine) or isinstance(bind, Engine):
        raise ConfigError(
            f"{spec} is a synchronous Engine; dbctl checks the app's AsyncEngine",
            hint="point --engine at the create_async_engine(...) result",
        )
    raise ConfigError(
        f"{spec} is of type {type(obj).__name__}, not an AsyncEngine or a session factory "
        "bound to one",
        hint="point --engine at the create_async_engine(...) result, e.g. app.db:engine",
    )


async def load_engine(spec: str, app_dir: Path | None = None) -> AppEngine:
    """Import ``spec`` (``MODULE:ATTR``) and read its connect arguments and pool."""
    from sqlalchemy import event

    from dbctl.db.models import import_object

    engine = _engine_of(import_object(spec, app_dir, what="engine"), spec)
    sync = engine.sync_engine
    captured: dict[str, Any] = {}

    def grab(dialect: Any, conn_rec: Any, cargs: Any, cparams: dict[str, Any]) -> Any:
        captured.update(cparams)
        raise _Captured

    event.listen(sync, "do_connect", grab)
    try:
        async with engine.connect():
            pass  # pragma: no cover - the hook always raises first
    except _Captured:
        pass
    except Exception as exc:  # the dialect or the app refused before do_connect
        first = (str(exc).splitlines() or [""])[0]
        raise ConfigError(
            f"the engine {spec} cannot make a connection: {type(exc).__name__}: {first}"
        ) from None
    finally:
        event.remove(sync, "do_connect", grab)
    pool = sync.pool
    size = pool.size() if callable(getattr(pool, "size", None)) else None
    return AppEngine(
        spec=spec,
        url=sync.url.render_as_string(hide_password=False),
        connect_kwargs=captured,
        pool_size=size,
        pool_class=type(pool).__name__,
    )

"""PgBouncer fixtures: a real PgBouncer in transaction and in session mode in front of
the session's ``pg_server``. Without the binary, tests skip locally and fail with CI set."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from tests.pooler import pgbouncer


def _unavailable(reason: str) -> None:
    if os.environ.get("CI"):
        pytest.fail(f"CI is set and PgBouncer is not available: {reason}", pytrace=False)
    pytest.skip(f"PgBouncer is not available: {reason}")


def _start(server: Any, mode: str, **kwargs: Any) -> pgbouncer.PgBouncer:
    try:
        return pgbouncer.start(server, mode, **kwargs)
    except pgbouncer.PgBouncerUnavailable as exc:
        _unavailable(str(exc))
        raise


@pytest.fixture(scope="module")
def bouncer_tx(pg_server: Any) -> Iterator[pgbouncer.PgBouncer]:
    """Transaction pooling, one server connection shared by every client."""
    b = _start(pg_server, "transaction")
    try:
        yield b
    finally:
        b.stop()


@pytest.fixture(scope="module")
def bouncer_session(pg_server: Any) -> Iterator[pgbouncer.PgBouncer]:
    """Session pooling."""
    b = _start(pg_server, "session", pool_size=5)
    try:
        yield b
    finally:
        b.stop()


@pytest.fixture
def make_bouncer(pg_server: Any) -> Iterator[Callable[..., pgbouncer.PgBouncer]]:
    """Start a PgBouncer with custom settings for one test (stopped afterwards)."""
    started: list[pgbouncer.PgBouncer] = []

    def make(mode: str = "transaction", **kwargs: Any) -> pgbouncer.PgBouncer:
        b = _start(pg_server, mode, **kwargs)
        started.append(b)
        return b

    try:
        yield make
    finally:
        for b in started:
            b.stop()

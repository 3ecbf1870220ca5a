"""Fixtures for the fault tests: a fault-injecting proxy in front of the test database."""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import pytest

from tests.faults.proxy import FaultProxy


@pytest.fixture
def proxy(pg: Any) -> Iterator[Any]:
    """``proxy(fault, after=1) -> URL`` of ``pg``'s database through a FaultProxy."""
    made: list[FaultProxy] = []

    def make(fault: str | None, after: int = 1) -> str:
        p = FaultProxy((pg.server.host, pg.server.port), fault, after)
        made.append(p)
        return pg.url.replace(f":{pg.server.port}/", f":{p.port}/")

    yield make
    for p in made:
        p.close()


def backends(pg: Any) -> list[Any]:
    """Sessions on the test database other than this query's own."""
    return pg.sql(
        "SELECT pid, state, query FROM pg_stat_activity "
        f"WHERE datname = '{pg.name}' AND pid <> pg_backend_pid()"
    )


def assert_no_backend_left(pg: Any, within: float = 5.0) -> None:
    deadline = time.monotonic() + within
    left = backends(pg)
    while left and time.monotonic() < deadline:
        time.sleep(0.1)
        left = backends(pg)
    assert not left, f"dbctl left backends on the server: {left}"

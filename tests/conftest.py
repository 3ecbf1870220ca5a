"""Shared fixtures. Every database test gets its server from ``pg_server`` (one per session):

1. ``DBCTL_TEST_DATABASE_URL`` when set (an existing server; needs CREATEDB rights),
2. else :func:`dbctl.sandbox.start` — local server binaries, or Docker via testcontainers.

Without a server, database tests skip locally; with ``CI`` set they fail.
"""

from __future__ import annotations

import asyncio
import os
import secrets
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from typer.testing import CliRunner

from dbctl import sandbox
from dbctl.urls import analyze_url

#: A password that must never appear in any output. Tests grep for it.
CANARY = "Canary-7f3Qx-pw"


@dataclass
class ExternalServer:
    """An existing server named by DBCTL_TEST_DATABASE_URL (same interface as Sandbox)."""

    host: str
    port: int
    user: str
    password: str
    database: str
    backend: str = "external"
    pid: int | None = None

    def url(self, database: str | None = None, *, driver: str = "asyncpg") -> str:
        from urllib.parse import quote

        scheme = f"postgresql+{driver}" if driver else "postgresql"
        return (
            f"{scheme}://{quote(self.user, safe='')}:{quote(self.password, safe='')}"
            f"@{self.host}:{self.port}/{database or self.database}"
        )

    def libpq_dsn(self, database: str | None = None) -> str:
        return self.url(database, driver="")


def _external(url: str) -> ExternalServer:
    analysis = analyze_url(url)
    if analysis.url is None:
        raise pytest.UsageError("DBCTL_TEST_DATABASE_URL is not a usable URL")
    u = analysis.url
    return ExternalServer(
        host=u.host or "127.0.0.1",
        port=u.port or 5432,
        user=u.username or "postgres",
        password=u.password.get_secret_value() if u.password else "",
        database=u.database or "postgres",
    )


def _no_server(reason: str) -> None:
    if os.environ.get("CI"):
        pytest.fail(f"CI is set and no PostgreSQL server is available: {reason}", pytrace=False)
    pytest.skip(f"no PostgreSQL server available: {reason}")


@pytest.fixture(scope="session")
def pg_server() -> Iterator[Any]:
    """The session's PostgreSQL server (a Sandbox or an ExternalServer)."""
    url = os.environ.get("DBCTL_TEST_DATABASE_URL")
    if url:
        yield _external(url)
        return
    try:
        server = sandbox.start()
    except sandbox.SandboxError as exc:
        _no_server(exc.message)
        return
    try:
        yield server
    finally:
        server.stop()


def run_sql(dsn: str, *statements: str) -> list[Any]:
    """Run statements on a libpq DSN with asyncpg; returns the rows of the last one."""

    async def go() -> list[Any]:
        import asyncpg

        conn = await asyncpg.connect(dsn, timeout=10)
        try:
            rows: list[Any] = []
            for stmt in statements:
                rows = await conn.fetch(stmt)
            return rows
        finally:
            await conn.close()

    return asyncio.run(go())


@dataclass
class TestDatabase:
    """A fresh database on the session server, dropped after the test."""

    server: Any
    name: str

    @property
    def url(self) -> str:
        """``postgresql+asyncpg://…`` with the password (what a user puts in DATABASE_URL)."""
        return str(self.server.url(self.name))

    @property
    def dsn(self) -> str:
        return str(self.server.libpq_dsn(self.name))

    @property
    def password(self) -> str:
        return str(self.server.password)

    def sql(self, *statements: str) -> list[Any]:
        return run_sql(self.dsn, *statements)

    def url_for(self, user: str, password: str, database: str | None = None) -> str:
        from urllib.parse import quote

        return (
            f"postgresql+asyncpg://{quote(user, safe='')}:{quote(password, safe='')}"
            f"@{self.server.host}:{self.server.port}/{database or self.name}"
        )


@pytest.fixture
def pg(pg_server: Any) -> Iterator[TestDatabase]:
    """A fresh, empty database for one test (on the session's server)."""
    name = f"dbctl_t_{secrets.token_hex(4)}"
    admin = pg_server.libpq_dsn()
    run_sql(admin, f'CREATE DATABASE "{name}"')
    try:
        yield TestDatabase(pg_server, name)
    finally:
        run_sql(admin, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture
def canary_role(pg: TestDatabase) -> Iterator[tuple[str, str]]:
    """A login role whose password is the CANARY, owner of the test database."""
    role = f"canary_{secrets.token_hex(3)}"
    pg.sql(
        f"CREATE ROLE {role} LOGIN PASSWORD '{CANARY}'",
        f'ALTER DATABASE "{pg.name}" OWNER TO {role}',
    )
    try:
        yield role, CANARY
    finally:
        pg.sql(
            f'ALTER DATABASE "{pg.name}" OWNER TO CURRENT_USER',
            f"REASSIGN OWNED BY {role} TO CURRENT_USER",
            f"DROP OWNED BY {role}",
        )
        # the database is dropped by `pg`; the role is cluster-wide
        run_sql(pg.server.libpq_dsn(), f"DROP ROLE IF EXISTS {role}")


@dataclass
class CliResult:
    exit_code: int
    stdout: str
    stderr: str

    @property
    def all(self) -> str:
        return self.stdout + self.stderr


@pytest.fixture
def cli(monkeypatch: pytest.MonkeyPatch, tmp_path: Any) -> Any:
    """Invoke dbctl in-process: ``cli("check", "--url", u, env={...})`` -> CliResult.

    Runs in an empty temporary directory with DATABASE_URL/DBCTL_*/PG* cleared, so the
    developer's own environment and pyproject.toml never leak into a test.
    """
    for key in list(os.environ):
        keep = key in {"DBCTL_TEST_DATABASE_URL", "DBCTL_PG_BINDIR"}
        if (key.startswith(("DBCTL_", "PG")) or key == "DATABASE_URL") and not keep:
            monkeypatch.delenv(key, raising=False)
    monkeypatch.chdir(tmp_path)
    from dbctl.cli import app

    def invoke(
        *args: str, env: dict[str, str] | None = None, input: str | None = None
    ) -> CliResult:
        runner = CliRunner()
        result = runner.invoke(app, list(args), env=env, input=input, catch_exceptions=False)
        return CliResult(result.exit_code, result.stdout, result.stderr)

    return invoke


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Slow tests first: with ``pytest -n 4`` a long test started last would end the run last."""
    items.sort(key=lambda item: item.get_closest_marker("slow") is None)

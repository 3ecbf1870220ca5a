"""What a check is (:class:`Check`) and what the checks of one run share (:class:`Context`)."""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from dbctl.checks.codes import UNREACHABLE_CODES, hint
from dbctl.core.result import CheckResult, Status
from dbctl.errors import DatabaseError, UnreachableError
from dbctl.settings import LoadedSettings
from dbctl.urls import DatabaseUrl, UrlAnalysis

#: The reason a check is skipped when something it needs was not produced.
EARLIER_FAILED = "not run: an earlier check failed"


def ms_since(start: float) -> float:
    return (time.perf_counter() - start) * 1000


@dataclass
class Context:
    """The mutable state of one run: the rows so far and what earlier checks produced.

    ``provides`` names what is available to later checks (see :attr:`Check.needs`):
    ``tcp_host`` (a single TCP host: dns/tcp/tls apply), ``addrs`` (resolved), ``tcp``
    (the port answers), ``transport`` (worth logging in), ``conn`` (an open asyncpg
    connection), ``facts`` (the server facts query ran).
    """

    loaded: LoadedSettings
    analysis: UrlAnalysis
    url: DatabaseUrl
    timeout: float
    titles: dict[str, str]
    rows: dict[str, CheckResult] = field(default_factory=dict)
    provides: set[str] = field(default_factory=set)
    unreachable: bool = False
    addrs: list[tuple[Any, ...]] = field(default_factory=list)
    offered: bool | None = None
    conn: Any = None
    facts: dict[str, Any] = field(default_factory=dict)
    skip_reasons: dict[str, str] = field(default_factory=dict)

    def set(
        self,
        check_id: str,
        status: Status,
        summary: str,
        *,
        start: float | None = None,
        code: str | None = None,
        hint: str | None = None,
        data: dict[str, Any] | None = None,
    ) -> CheckResult:
        row = CheckResult(
            id=check_id,
            title=self.titles.get(check_id, check_id),
            status=status,
            summary=summary,
            duration_ms=ms_since(start) if start is not None else 0.0,
            code=code,
            hint=hint,
            data=data or {},
        )
        self.rows[check_id] = row
        return row

    def fail(
        self,
        check_id: str,
        code: str,
        summary: str,
        *,
        start: float | None = None,
        hint_text: str | None = None,
        data: dict[str, Any] | None = None,
    ) -> CheckResult:
        """A ``fail`` row with the catalogue's hint unless a specific one is given."""
        if code in UNREACHABLE_CODES:
            self.unreachable = True
        return self.set(
            check_id,
            "fail",
            summary,
            start=start,
            code=code,
            hint=hint_text or hint(code),
            data=data,
        )

    def fail_from(self, check_id: str, err: DatabaseError, *, start: float | None) -> None:
        if isinstance(err, UnreachableError) or err.code in UNREACHABLE_CODES:
            self.unreachable = True
        data: dict[str, Any] = {"sqlstate": err.sqlstate} if err.sqlstate else {}
        self.set(
            check_id, "fail", err.message, start=start, code=err.code, hint=err.hint, data=data
        )


@dataclass(frozen=True, slots=True)
class Check:
    """One row of ``dbctl check``: its id and title, the failure codes it can emit, what
    it needs from earlier checks (:attr:`Context.provides`) and its run function, which
    sets its row (and may set later rows it learned about, e.g. ``server`` from a connect
    error) and adds to ``provides``.

    ``applies`` decides whether the row exists at all (``schema`` only with models)."""

    id: str
    title: str
    codes: tuple[str, ...]
    needs: tuple[str, ...]
    run: Callable[[Context], Awaitable[None]]
    applies: Callable[[LoadedSettings], bool] | None = None

"""``dbctl preflight``: lint + check as one CI step, with one combined verdict.

The lint (CPU) runs in a worker thread while the check (network) runs on the event
loop, so the step takes about as long as the slower of the two.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from dbctl.core.check import CheckReport, MultiReport, run_check_many, run_check_with_wait
from dbctl.core.result import Status, report_head
from dbctl.errors import EXIT_FAIL, EXIT_OK, EXIT_UNREACHABLE
from dbctl.lint.model import LintResult
from dbctl.settings import LoadedSettings


@dataclass(slots=True)
class PreflightReport:
    lint: LintResult
    lint_exit: int
    check: CheckReport | MultiReport
    strict: bool
    duration_ms: float

    @property
    def exit_code(self) -> int:
        """3 if a database is unreachable, else 1 if lint or check failed, else 0."""
        if self.check.exit_code == EXIT_UNREACHABLE:
            return EXIT_UNREACHABLE
        if self.lint_exit != EXIT_OK or self.check.exit_code != EXIT_OK:
            return EXIT_FAIL
        return EXIT_OK

    @property
    def status(self) -> Status:
        if self.exit_code != EXIT_OK:
            return "fail"
        if self.check.status == "warn" or self.lint.findings:
            return "warn"
        return "pass"

    def check_reports(self) -> list[tuple[str | None, CheckReport]]:
        if isinstance(self.check, MultiReport):
            return [(name, report) for name, report in self.check.targets]
        return [(None, self.check)]

    def to_json(self, lint_json: dict[str, Any]) -> dict[str, Any]:
        return {
            **report_head(self.status, self.exit_code, self.duration_ms),
            "lint": {**lint_json, "exit_code": self.lint_exit},
            "check": self.check.to_json(),
        }


async def run_preflight(
    paths: Sequence[Path],
    loaded: LoadedSettings,
    targets: list[tuple[str, LoadedSettings]] | None,
    *,
    lint: Callable[[Sequence[Path]], LintResult],
    lint_exit: Callable[[LintResult], int],
    wait_s: float = 0.0,
    strict: bool = False,
    on_retry: Callable[[int, CheckReport, float], None] | None = None,
    on_retry_named: Callable[[str, int, CheckReport, float], None] | None = None,
    offline: bool = False,
) -> PreflightReport:
    """Lint ``paths`` and check the database(s) concurrently."""
    started = time.perf_counter()
    lint_task = asyncio.create_task(asyncio.to_thread(lint, paths))
    check: CheckReport | MultiReport
    try:
        if targets is not None:
            check = await run_check_many(
                targets, wait_s=wait_s, strict=strict, on_retry=on_retry_named, offline=offline
            )
        else:
            check = await run_check_with_wait(
                loaded, wait_s, strict, on_retry=on_retry, offline=offline
            )
    except BaseException:
        lint_task.cancel()
        raise
    result = await lint_task
    return PreflightReport(
        lint=result,
        lint_exit=lint_exit(result),
        check=check,
        strict=strict,
        duration_ms=(time.perf_counter() - started) * 1000,
    )

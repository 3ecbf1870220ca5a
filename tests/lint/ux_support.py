"""Fake rules and constructed results for the lint CLI/output tests (no engine needed)."""

from __future__ import annotations

from typing import Any

from dbctl.lint.model import FileError, Finding, LintResult, Severity
from dbctl.lint.rule import Rule

CANARY = "Canary-7f3Qx-pw"


class FakeDsn(Rule):
    """Fake credential rule.

    ## What it does
    Flags a database URL literal with a password.

    ## Why is this bad?
    Passwords in code leak.

    ## Example
    ```python
    engine = create_async_engine("postgresql+asyncpg://app:secret@db/app")
    ```

    Use instead:
    ```python
    engine = create_async_engine(settings.database_url)
    ```
    """

    code = "DBC201"
    name = "hardcoded-dsn-password"
    category = "credentials"
    severity = Severity.error


class FakeArg(Rule):
    """Fake password argument rule.

    ## What it does
    Flags a literal `password=` passed to a connect call.

    ## Why is this bad?
    Same as above.

    ## Example
    ```python
    connect(password="x")
    ```

    Use instead:
    ```python
    connect(password=os.environ["PW"])
    ```
    """

    code = "DBC202"
    name = "hardcoded-password-argument"
    category = "credentials"
    severity = Severity.error


class FakeEcho(Rule):
    """Fake echo rule.

    ## What it does
    Flags `echo=True` on an engine.

    ## Why is this bad?
    It logs every statement.

    ## Example
    ```python
    create_async_engine(url, echo=True)
    ```

    Use instead:
    ```python
    create_async_engine(url)
    ```
    """

    code = "DBC303"
    name = "engine-echo-true"
    category = "deprecated"
    severity = Severity.warning


class FakeParse(Rule):
    """Fake parse error.

    ## What it does
    Reports a file that could not be parsed.

    ## Why is this bad?
    It was not linted.

    ## Example
    ```python
    def f(:
    ```

    Use instead:
    ```python
    def f(): ...
    ```
    """

    code = "DBC000"
    name = "parse-error"
    category = "correctness"
    severity = Severity.error


FAKE_RULES: tuple[type[Rule], ...] = (FakeParse, FakeDsn, FakeArg, FakeEcho)


def finding(rule: type[Rule], path: str, line: int, col: int = 1, **kw: Any) -> Finding:
    sev = kw.pop("severity", rule.severity)
    message = kw.pop("message", f"{rule.name} here")
    return Finding(
        code=rule.code,
        name=rule.name,
        category=rule.category,
        severity=sev,
        message=message,
        path=path,
        line=line,
        col=col,
        end_line=kw.pop("end_line", line),
        end_col=kw.pop("end_col", col + 10),
    )


def sample_result(*, errors: bool = False) -> LintResult:
    return LintResult(
        findings=[
            finding(FakeEcho, "app/main.py", 7, 5),
            finding(
                FakeDsn,
                "app/db.py",
                3,
                11,
                message="database URL with a password: postgresql+asyncpg://app:***@db/app",
                end_col=58,
            ),
            finding(FakeArg, "app/db.py", 9, 1, severity=Severity.info),
            finding(FakeDsn, "my dir/a,b:c.py", 1, 1, message="50% done\nsecond line"),
        ],
        errors=[FileError("broken/loop", "symlink loop")] if errors else [],
        files=3,
        duration_ms=12.345,
    )

"""DBC000 parse-error."""

from __future__ import annotations

from typing import ClassVar

from dbctl.lint.model import Severity
from dbctl.lint.rule import Rule


class ParseError(Rule):
    """
    ## What it does
    Reports a file that could not be read or parsed: a syntax error, undecodable bytes,
    a NUL byte, nesting too deep for the parser, an unreadable file.

    ## Why is this bad?
    A file dbctl cannot parse is a file it cannot check: every other rule is silent
    about it, and the interpreter will refuse it too.

    ## Example
    ```python
    def broken(:
        pass
    ```

    Use instead:
    ```python
    def fixed():
        pass
    ```
    """

    code: ClassVar[str] = "DBC000"
    name: ClassVar[str] = "parse-error"
    category: ClassVar[str] = "correctness"
    severity: ClassVar[Severity] = Severity.error

"""The explicit rule registry: every rule class, in code order. A meta-test keeps it honest."""

from __future__ import annotations

from dbctl.lint.rule import Rule

ALL_RULES: tuple[type[Rule], ...] = ()


def by_code() -> dict[str, type[Rule]]:
    return {rule.code: rule for rule in ALL_RULES}

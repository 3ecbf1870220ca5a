"""What ``seed --fake`` may generate for a column: simple CHECK constraints, JSON shapes,
and ``--fake-column`` steering.

CHECK constraints are read as PostgreSQL prints them (``pg_get_constraintdef``); the
simple forms on one column are understood: ``col > n`` (``>=``, ``<``, ``<=``),
``col IN (…)`` (printed ``col = ANY (ARRAY[…])``) and ``char_length(col) <= n``
(``length`` too). Anything else is left to the database, whose violation then names the
constraint.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

from dbctl.db.catalog import Table
from dbctl.errors import UsageError

_CAST = re.compile(r"::[a-z_ ]+(?:\(\d+(?:,\d+)?\))?(?:\[\])?")
_LENGTH = re.compile(
    r'^CHECK \(*(?:char_length|length)\(+"?(?P<col>[^()"]+)"?\)+ (?P<op><=|<) \(*(?P<n>\d+)\)*$'
)
_COMPARE = re.compile(
    r'^CHECK \(*"?(?P<col>[^()" ]+)"?\)* (?P<op>>=|<=|>|<) \(*(?P<n>-?\d+(?:\.\d+)?)\)*$'
)
_ANY = re.compile(r'^CHECK \(*"?(?P<col>[^()" ]+)"?\)* = ANY \(*ARRAY\[(?P<vals>.*)\]\)*$')
_JSON_TYPE = re.compile(
    r"^CHECK \(*jsonb?_typeof\(+\"?(?P<col>[^()\"]+)\"?\)+ = '(?P<kind>array|object)'\)*$"
)
#: column names that usually hold a JSON list
LIST_NAMES = re.compile(r"(^|_)(tags|items|ids|roles|scopes|labels|permissions|list|values)$")


@dataclass(slots=True)
class Rule:
    """Bounds on one column's generated values."""

    low: Decimal | None = None  # inclusive
    high: Decimal | None = None  # exclusive
    choices: list[str] = field(default_factory=list)
    max_length: int | None = None
    json_kind: str | None = None  # "array" | "object"


def _literals(text: str) -> list[str]:
    return [v.replace("''", "'") for v in re.findall(r"'((?:[^']|'')*)'", text)]


def column_rules(table: Table) -> dict[str, Rule]:
    """The rules the table's simple CHECK constraints put on its columns."""
    rules: dict[str, Rule] = {}
    for _name, definition in table.checks:
        text = _CAST.sub("", definition).strip()
        if " AND " in text or " OR " in text:
            continue
        if m := _LENGTH.match(text):
            limit = int(m["n"]) - (1 if m["op"] == "<" else 0)
            rules.setdefault(m["col"], Rule()).max_length = limit
        elif m := _ANY.match(text):
            rules.setdefault(m["col"], Rule()).choices = _literals(m["vals"])
        elif m := _JSON_TYPE.match(text):
            rules.setdefault(m["col"], Rule()).json_kind = m["kind"]
        elif m := _COMPARE.match(text):
            rule = rules.setdefault(m["col"], Rule())
            n = Decimal(m["n"])
            step = Decimal(1) if "." not in m["n"] else Decimal("0.01")
            if m["op"] == ">":
                rule.low = n + step
            elif m["op"] == ">=":
                rule.low = n
            elif m["op"] == "<":
                rule.high = n
            else:
                rule.high = n + step
    return rules


def parse_steering(items: list[str], table: Table) -> dict[str, str]:
    """``--fake-column COLUMN=PROVIDER_OR_VALUE`` options, checked against the table."""
    out: dict[str, str] = {}
    for item in items:
        name, sep, spec = item.partition("=")
        name = name.strip()
        if not sep or not name:
            raise UsageError(
                f"--fake-column {item!r}: expected COLUMN=PROVIDER_OR_VALUE",
                hint="e.g. --fake-column country=country_code or --fake-column status=active",
            )
        col = table.column(name)
        if col is None:
            raise UsageError(
                f"--fake-column: {name!r} is not a column of {table.name}",
                hint="columns: " + ", ".join(c.name for c in table.columns),
            )
        if col.generated:
            raise UsageError(f"--fake-column: {name!r} is a generated column")
        out[name] = spec
    return out


def number_range(rule: Rule | None, low: float, high: float) -> tuple[float, float]:
    """``[low, high)`` narrowed by the rule's bounds."""
    if rule is None:
        return low, high
    try:
        if rule.low is not None:
            low = float(rule.low)
            high = max(high, low + 1)
        if rule.high is not None:
            high = float(rule.high)
            low = min(low, high - 1)
    except (InvalidOperation, ValueError):
        pass
    return low, high

"""Rule documentation from the rules' docstrings: ``dbctl rules``, SARIF and docs/rules.md.

Regenerate the reference after changing a rule's docstring::

    python -m dbctl.lint.docs --write          # writes docs/rules.md
    python -m dbctl.lint.docs > docs/rules.md  # the same, through stdout
    python -m dbctl.lint.docs --check          # exit 1 when docs/rules.md is stale

A test fails when docs/rules.md differs from what this module generates.
"""

from __future__ import annotations

import inspect
import re
import sys
from collections.abc import Sequence
from pathlib import Path

from dbctl import REPOSITORY
from dbctl.lint.rule import Rule

#: Where docs/rules.md is published; ``helpUri`` of the SARIF rules points at its anchors.
DOCS_URL = f"{REPOSITORY}/blob/main/docs/rules.md"
DEFAULT_PATH = Path("docs") / "rules.md"
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[A-Z`])")
HEADER = (
    "<!-- Generated from the rule docstrings by `python -m dbctl.lint.docs --write`. "
    "Do not edit by hand. -->"
)


def rule_doc(rule: type[Rule]) -> str:
    """The rule's docstring, dedented (Markdown with ``## What it does`` … sections)."""
    return inspect.cleandoc(rule.__doc__ or "").strip()


def summary(rule: type[Rule]) -> str:
    """One line: the first sentence of the docstring's ``## What it does`` section."""
    doc = rule_doc(rule)
    body = doc.split("## What it does", 1)[-1].strip()
    paragraph = " ".join(body.split("\n\n", 1)[0].split())
    return _SENTENCE_END.split(paragraph, 1)[0].strip()


def anchor(rule: type[Rule]) -> str:
    """The GitHub anchor of the rule's heading in docs/rules.md (``## DBC201 name``)."""
    return f"{rule.code}-{rule.name}".lower()


def help_uri(rule: type[Rule]) -> str:
    return f"{DOCS_URL}#{anchor(rule)}"


def _demote(markdown: str) -> str:
    """Push the docstring's headings one level down, outside code fences."""
    out: list[str] = []
    fenced = False
    for line in markdown.splitlines():
        if line.lstrip().startswith("```"):
            fenced = not fenced
        heading = not fenced and re.match(r"#{1,5} ", line) is not None
        out.append("#" + line if heading else line)
    return "\n".join(out)


def generate(rules: Sequence[type[Rule]] | None = None) -> str:
    """docs/rules.md: a catalogue table, then one section per rule, in code order."""
    if rules is None:
        from dbctl.lint.registry import ALL_RULES

        rules = ALL_RULES
    ordered = sorted(rules, key=lambda r: r.code)
    lines = [
        HEADER,
        "",
        "# dbctl lint rules",
        "",
        "Each rule's code, name, category and default severity. Findings in test code are "
        "reported as `info` at most. Suppress one line with `# dbctl: ignore[CODE]` (or "
        "`# noqa: CODE`), a whole file with `# dbctl: ignore-file[CODE]`; configure with "
        "`[tool.dbctl.lint]` in pyproject.toml (see the README).",
        "",
        "| code | name | category | severity | what it flags |",
        "|---|---|---|---|---|",
    ]
    for rule in ordered:
        one_line = summary(rule).replace("|", "\\|")
        lines.append(
            f"| [{rule.code}](#{anchor(rule)}) | `{rule.name}` | {rule.category} "
            f"| {rule.severity.value} | {one_line} |"
        )
    for rule in ordered:
        lines += [
            "",
            f"## {rule.code} {rule.name}",
            "",
            f"Category: {rule.category} · default severity: {rule.severity.value}",
            "",
            _demote(rule_doc(rule)),
        ]
    return "\n".join(lines).rstrip() + "\n"


def main(argv: Sequence[str] | None = None) -> int:
    import argparse

    parser = argparse.ArgumentParser(
        prog="python -m dbctl.lint.docs", description="Generate docs/rules.md."
    )
    group = parser.add_mutually_exclusive_group()
    group.add_argument(
        "--write",
        nargs="?",
        const=str(DEFAULT_PATH),
        metavar="PATH",
        help=f"write the file (default {DEFAULT_PATH}) instead of stdout",
    )
    group.add_argument(
        "--check",
        nargs="?",
        const=str(DEFAULT_PATH),
        metavar="PATH",
        help="exit 1 when the file differs from the generated text",
    )
    args = parser.parse_args(argv)
    text = generate()
    if args.write:
        Path(args.write).write_text(text, encoding="utf-8")
        return 0
    if args.check:
        path = Path(args.check)
        current = path.read_text(encoding="utf-8") if path.is_file() else ""
        if current != text:
            sys.stderr.write(f"{path} is stale: run python -m dbctl.lint.docs --write\n")
            return 1
        return 0
    sys.stdout.write(text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

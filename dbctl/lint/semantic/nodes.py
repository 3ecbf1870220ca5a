"""Small helpers on AST nodes (call arguments, source locations)."""

from __future__ import annotations

import ast


def keyword(call: ast.Call, name: str) -> ast.expr | None:
    for kw in call.keywords:
        if kw.arg == name:
            return kw.value
    return None


def arg_or_keyword(call: ast.Call, index: int, name: str) -> ast.expr | None:
    head = call.args[: index + 1]
    if len(call.args) > index and not any(isinstance(a, ast.Starred) for a in head):
        return call.args[index]
    return keyword(call, name)


def is_none(node: ast.AST | None) -> bool:
    """Is ``node`` the literal ``None``?"""
    return isinstance(node, ast.Constant) and node.value is None


def has_star_kwargs(call: ast.Call) -> bool:
    return any(kw.arg is None for kw in call.keywords)


def loc(node: ast.AST) -> tuple[int, int, int, int]:
    """(line, col, end line, end col) of a node, 1-based columns."""
    line = getattr(node, "lineno", 1)
    col = getattr(node, "col_offset", 0) + 1
    end_line = getattr(node, "end_lineno", None) or line
    end_col = (getattr(node, "end_col_offset", None) or col - 1) + 1
    return line, col, end_line, end_col

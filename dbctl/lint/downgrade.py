"""The libcst half of :mod:`dbctl.lint.parsing`: rewrite what the host grammar lacks.

Imported only for a file the host ``ast`` rejected (libcst costs ~100 ms to import).
"""

from __future__ import annotations

import ast

import libcst as cst
from libcst.metadata import CodeRange, MetadataWrapper, PositionProvider

ExpressionTypes = (cst.FormattedStringExpression, cst.TemplatedStringExpression)


def downgrade(data: bytes) -> str | None:
    """``data`` rewritten into syntax the host accepts (same lines), or ``None`` when
    libcst cannot parse it either."""
    try:
        module = cst.parse_module(data)
        wrapper = MetadataWrapper(module, unsafe_skip_copy=True)
        positions = wrapper.resolve(PositionProvider)
        visitor = _Rewriter(module.code, positions)
        wrapper.visit(visitor)
    except (cst.ParserSyntaxError, RecursionError, MemoryError, ValueError):
        return None
    return visitor.apply()


def host_accepts(expression: str) -> bool:
    try:
        ast.parse("(" + expression + ")", mode="eval")
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return False
    return True


class _Rewriter(cst.CSTVisitor):
    """Collects (start, end, replacement) edits of the source text."""

    def __init__(self, text: str, positions: object) -> None:
        super().__init__()
        self.text = text
        self.positions = positions
        starts = [0]
        find = text.find
        at = find("\n")
        while at >= 0:
            starts.append(at + 1)
            at = find("\n", at + 1)
        self.line_starts = starts
        self.edits: list[tuple[int, int, str]] = []

    # -- positions ------------------------------------------------------------------
    def span(self, node: cst.CSTNode) -> tuple[int, int]:
        rng: CodeRange = self.positions[node]  # type: ignore[index]
        return (
            self.line_starts[rng.start.line - 1] + rng.start.column,
            self.line_starts[rng.end.line - 1] + rng.end.column,
        )

    def blank(self, node: cst.CSTNode) -> None:
        start, end = self.span(node)
        chunk = self.text[start:end]
        self.edits.append((start, end, "".join(ch if ch == "\n" else " " for ch in chunk)))

    # -- PEP 695 / 696 ----------------------------------------------------------------
    def visit_TypeAlias(self, node: cst.TypeAlias) -> None:
        start, _ = self.span(node)
        name_start, name_end = self.span(node.name)
        value_start, _ = self.span(node.value)
        head = self.text[start:value_start]
        name = self.text[name_start:name_end]
        # "type X[T] = " -> "X        = " (same width on the same line)
        eq = head.rfind("=")
        newlines = head.count("\n")
        if newlines or eq < 0:
            replacement = name + " \\\n" * newlines + " = "
        else:
            replacement = name + " " * max(eq - len(name), 1) + head[eq:]
        self.edits.append((start, value_start, replacement))

    def visit_FunctionDef(self, node: cst.FunctionDef) -> None:
        if node.type_parameters is not None:
            self.blank(node.type_parameters)

    def visit_ClassDef(self, node: cst.ClassDef) -> None:
        if node.type_parameters is not None:
            self.blank(node.type_parameters)

    # -- PEP 758 ----------------------------------------------------------------------
    def visit_ExceptHandler(self, node: cst.ExceptHandler) -> None:
        self._except(node.type)

    def visit_ExceptStarHandler(self, node: cst.ExceptStarHandler) -> None:
        self._except(node.type)

    def _except(self, kind: cst.BaseExpression | None) -> None:
        if isinstance(kind, cst.Tuple) and not kind.lpar:
            start, end = self.span(kind)
            inner = self.text[start:end]
            if start > 0 and self.text[start - 1] == " ":  # "except A, B" -> "except(A, B)"
                start -= 1
            self.edits.append((start, end, f"({inner})"))

    # -- PEP 701 / 750 ----------------------------------------------------------------
    def visit_FormattedString(self, node: cst.FormattedString) -> None:
        self._string(node, node.start, node.parts, template=False)

    def visit_TemplatedString(self, node: cst.TemplatedString) -> None:
        self._string(node, node.start, node.parts, template=True)

    def _string(
        self, node: cst.CSTNode, opening: str, parts: object, *, template: bool
    ) -> None:
        start, end = self.span(node)
        source = self.text[start:end]
        prefix = opening.rstrip("'\"")
        quote = opening[len(prefix) :]
        if template:  # t"…" -> f"…": a JoinedStr for the rules
            at = prefix.lower().index("t")
            prefix = prefix[:at] + "f" + prefix[at + 1 :]
            self.edits.append((start, start + len(prefix), prefix))
            source = prefix + source[len(prefix) :]
        if host_accepts(source):
            return
        multiline = False
        for part in parts:  # type: ignore[attr-defined]
            if not isinstance(part, ExpressionTypes):
                continue
            p_start, p_end = self.span(part)
            content = self.text[p_start + 1 : p_end - 1]
            if "\n" in content:
                multiline = True
                replacement = "(" + "\n" * content.count("\n") + "_)"
            else:
                replacement = "_" * max(len(content), 1)
            self.edits.append((p_start + 1, p_end - 1, replacement))
        if multiline and len(quote) == 1:
            open_at = start + len(opening) - 1
            self.edits.append((open_at, open_at + 1, quote * 3))
            self.edits.append((end - 1, end, quote * 3))

    # -- result -----------------------------------------------------------------------
    def apply(self) -> str:
        out: list[str] = []
        position = 0
        for start, end, replacement in sorted(self.edits, key=lambda e: (e[0], -e[1])):
            if start < position:  # inside a part already rewritten
                continue
            out.append(self.text[position:start])
            out.append(replacement)
            position = end
        out.append(self.text[position:])
        return "".join(out)

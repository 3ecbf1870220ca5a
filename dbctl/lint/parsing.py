"""Parse Python 3.8–3.14 source into the running interpreter's :mod:`ast`.

The host ``ast.parse`` is tried first: every file it accepts is parsed exactly as before,
at the same speed. Only a file it rejects is read by libcst, whose native parser knows
the newest grammar, and the constructs the host does not know are rewritten in the text,
each on its own lines, to what the rules need; the host then parses the rewritten text:

- ``type X[T] = value`` (PEP 695) -> ``X = value`` (the name keeps its column);
- type parameter lists ``[T, *Ts, **P]`` of ``def``/``class`` (PEP 695/696) -> blanks;
- ``except A, B:`` (PEP 758) -> ``except(A, B):``;
- t-strings ``t"…{x}"`` (PEP 750) -> f-strings of the same length;
- an f-string or t-string the host tokenizer rejects (PEP 701: nested same quotes,
  backslashes or comments in fields, fields over several lines) keeps its literal parts;
  each ``{field}`` becomes a placeholder name of the same width (fields spanning lines
  turn the string triple-quoted).

Line numbers are never changed; columns only after an ``except A, B`` tuple on its line
or a triple-quoted string's closing quote. A file that libcst cannot parse either keeps
the host's :class:`SyntaxError` (DBC000). This module never imports libcst unless the
host rejected the file.
"""

from __future__ import annotations

import ast

#: the host tokenizer's own limits, the same in every version: no other parser can help
_HOPELESS = ("too many nested parentheses", "too many levels of indentation")
#: bytes of a source file read again to show its findings (fingerprints, columns)
MAX_SOURCE = 50_000_000
#: libcst's native parser recurses on the C stack: it runs in a thread with this much
_STACK = 512 * 1024 * 1024


def source_lines(text: str) -> list[str]:
    """``text`` split into the lines Python (and configparser) number: at ``\\n``,
    ``\\r\\n`` and ``\\r`` only. ``str.splitlines`` also splits at a form feed, ``\\v``,
    ``\\x1c``-``\\x1e``, ``\\x85``, U+2028 and U+2029: every later line would be off by one."""
    if "\r" in text:
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    return text.split("\n")


def read_source_lines(path: str) -> list[str]:
    """The lines of the file ``path`` as Python numbers them, read again after the
    analysis to show its findings (``[]`` when it can no longer be read)."""
    from dbctl.lint.ignore import read_regular

    try:
        data = read_regular(path, MAX_SOURCE)
    except OSError:
        return []
    return source_lines(data.decode("utf-8", errors="replace"))


def error_column(data: bytes, error: SyntaxError) -> int:
    """The 1-based character column of ``error``, which parsing ``data`` raised. Given
    bytes, Python 3.11 and 3.12 count most parser errors in UTF-8 bytes of the line (3.13
    and the tokenizer's errors count characters); given text, every version counts
    characters, so a line with non-ASCII text is compiled again as text."""
    offset = error.offset or 1
    if data.isascii():
        return offset
    from importlib.util import decode_source

    try:
        compile(decode_source(data), "<dbctl>", "exec", ast.PyCF_ONLY_AST, dont_inherit=True)
    except SyntaxError as again:
        if again.lineno == error.lineno and again.offset:
            return again.offset
    except (ValueError, RecursionError, MemoryError):
        pass
    return offset


def parse_source(data: bytes, filename: str) -> ast.Module:
    """The host AST of ``data``; raises the host's ``SyntaxError`` for a file invalid in
    every supported version (and ``ValueError``/``RecursionError`` as ``ast.parse``)."""
    try:
        return ast.parse(data, filename=filename)
    except SyntaxError as host_error:
        if any(h in (host_error.msg or "") for h in _HOPELESS):
            raise
        rewritten = _downgrade(data)
        if rewritten is None:
            raise host_error from None
        try:
            return ast.parse(rewritten, filename=filename)
        except SyntaxError:
            raise host_error from None


def _downgrade(data: bytes) -> str | None:
    """``data`` rewritten into syntax the host accepts, or ``None`` when libcst does not
    accept it either (run in a thread with a large stack: deep code cannot crash us)."""
    import threading

    from dbctl.lint.downgrade import downgrade

    result: list[str | None] = [None]

    def run() -> None:
        try:
            result[0] = downgrade(data)
        except Exception:  # undecodable bytes, a libcst bug: the host's error stands
            result[0] = None

    previous = threading.stack_size(_STACK)
    try:
        thread = threading.Thread(target=run, name="dbctl-downgrade", daemon=True)
        thread.start()
    finally:
        threading.stack_size(previous)
    thread.join()
    return result[0]

"""gitignore-style patterns matched in bounded time, and files read without surprises.

pathspec translates each pattern into a backtracking regular expression: a pattern with
several wildcards in one path segment (``'*' * 200 + 'a'``, ``*a*a*a*b``) takes seconds
to minutes per file name. Runs of ``*`` are collapsed first (git treats ``***`` as
``**``); a set of patterns that still has more than :data:`SAFE_WILDCARDS` wildcards in
one segment is compiled with pathspec's RE2 backend, whose matching time is linear
(imported only then; where google-re2 cannot be installed, such patterns are dropped
with a warning). A pattern longer than :data:`MAX_PATTERN` characters is dropped with a
warning, and so is one that pathspec cannot compile (:func:`pattern_problem`: git's POSIX
classes ``[[:alpha:]]``, which pathspec lacks; a reversed range ``[z-a]`` and a lone
``!``, which git matches to nothing), instead of failing the whole run.

:func:`read_regular` opens a path only when it is a regular file (never a FIFO, device
or socket, which would block or never end) and refuses files over a size cap.
"""

from __future__ import annotations

import contextlib
import os
import re
import stat
import warnings as python_warnings
from collections.abc import Iterable
from typing import Any

#: more wildcards than this in one path segment may backtrack: use the RE2 backend
SAFE_WILDCARDS = 2
#: characters; longer patterns are dropped with a warning
MAX_PATTERN = 1024
#: bytes of a .gitignore read at most
MAX_IGNORE_FILE = 1 << 20
_STAR_RUN = re.compile(r"\*{3,}")
_WILDCARD = re.compile(r"\*+|\?|\[[^\]]*\]")
#: a POSIX character class of git's wildmatch (``[[:alpha:]]``); pathspec has none
_POSIX_CLASS = re.compile(r"\[:[a-z]+:\]")
#: where in pathspec's translated regular expression re's error is (meaningless here)
_AT_POSITION = re.compile(r" at position \d+$")


class NotRegular(OSError):
    """The path is a directory, FIFO, device or socket."""


class TooLarge(OSError):
    """The file is larger than the cap it was read with."""

    def __init__(self, size: int) -> None:
        super().__init__(f"{size} bytes")
        self.size = size


def read_regular(path: str, max_size: int | None = None) -> bytes:
    """The bytes of ``path`` if it is a regular file (symlinks followed) of at most
    ``max_size`` bytes; raises :class:`NotRegular`, :class:`TooLarge` or ``OSError``.
    Opening never blocks: a FIFO is opened non-blocking and refused."""
    fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0))
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):
            raise NotRegular("not a regular file")
        if max_size is not None and st.st_size > max_size:
            raise TooLarge(st.st_size)
        chunks: list[bytes] = []
        remaining = st.st_size if max_size is None else max_size + 1
        while True:  # the file may grow meanwhile: never read more than the cap
            chunk = os.read(fd, max(min(remaining, 1 << 24), 1 << 16))
            if not chunk:
                break
            chunks.append(chunk)
            remaining -= len(chunk)
            if max_size is not None and remaining <= 0:
                raise TooLarge(sum(map(len, chunks)))
        return b"".join(chunks)
    finally:
        os.close(fd)


def read_text_lines(
    path: str, warnings: list[str] | None = None, source: str | None = None
) -> list[str] | None:
    """The lines of a small regular text file (a .gitignore), ``None`` when it is absent,
    unreadable, not a regular file or over :data:`MAX_IGNORE_FILE` (said in ``warnings``:
    an ignore file whose patterns silently do not apply lints files it meant to skip)."""
    try:
        data = read_regular(path, MAX_IGNORE_FILE)
    except TooLarge:
        if warnings is not None:
            warnings.append(
                f"{source or path}: ignore file not read: larger than "
                f"{MAX_IGNORE_FILE >> 20} MB, none of its patterns apply"
            )
        return None
    except OSError:
        return None
    return data.decode("utf-8", errors="replace").splitlines()


def _risky(pattern: str) -> bool:
    return any(
        len(_WILDCARD.findall(segment)) > SAFE_WILDCARDS for segment in pattern.split("/")
    )


def _spec(patterns: list[str], backend: str | None = None) -> Any:
    """pathspec's ``GitIgnoreSpec`` of ``patterns``, without the ``FutureWarning`` that
    Python's ``re`` prints for a ``[`` inside a set (``[[]``)."""
    import pathspec

    with python_warnings.catch_warnings():
        python_warnings.simplefilter("ignore", FutureWarning)
        return pathspec.GitIgnoreSpec.from_lines(patterns, backend=backend)


def pattern_problem(pattern: str, backend: str | None = None) -> str | None:
    """Why ``pattern`` cannot be matched as git matches it, or ``None`` when it can."""
    if _POSIX_CLASS.search(pattern):
        return "character classes such as [:alpha:] are not supported"
    try:
        _spec([_STAR_RUN.sub("**", pattern)], backend)
    except Exception as exc:  # re's, re2's or pathspec's own error: the pattern is refused
        return _AT_POSITION.sub("", str(exc)) or type(exc).__name__
    return None


def compile_patterns(
    lines: Iterable[str], source: str, warnings: list[str] | None = None
) -> Any:
    """A pathspec ``GitIgnoreSpec`` of ``lines`` that matches in bounded time, or ``None``
    when no pattern is left. Dropped patterns are described in ``warnings``."""
    kept: list[tuple[int, str, bool]] = []
    for number, line in enumerate(lines, start=1):
        if len(line) > MAX_PATTERN:
            if warnings is not None:
                warnings.append(
                    f"{source}:{number}: pattern ignored: longer than {MAX_PATTERN} characters"
                )
            continue
        pattern = _STAR_RUN.sub("**", line)
        kept.append((number, pattern, "*" in pattern and _risky(pattern)))
    backend = None
    if any(risky for *_, risky in kept):
        try:
            import re2  # noqa: F401 - the linear-time backend pathspec uses
        except ImportError:  # google-re2 has no wheel for this platform: drop those
            for number, _, risky in kept:
                if risky and warnings is not None:
                    warnings.append(
                        f"{source}:{number}: pattern ignored: too many wildcards in one "
                        "path segment to match in bounded time"
                    )
            kept = [k for k in kept if not k[2]]
        else:
            backend = "re2"
    if not any(p.strip() and not p.lstrip().startswith("#") for _, p, _ in kept):
        return None
    patterns = [p for _, p, _ in kept]
    if not any(_POSIX_CLASS.search(p) for p in patterns if not p.startswith("#")):
        with contextlib.suppress(Exception):  # a pattern it refuses: dropped below
            return _spec(patterns, backend)
    usable = []
    for number, pattern, _ in kept:
        problem = None if pattern.startswith("#") else pattern_problem(pattern, backend)
        if problem is None:
            usable.append(pattern)
        elif warnings is not None:
            warnings.append(f"{source}:{number}: pattern ignored: {problem}")
    return _spec(usable, backend) if usable else None

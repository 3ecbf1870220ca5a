"""The lint cache: per-file summaries in ``.dbctl_cache/``, keyed by content hash.

Two files per dbctl version, linter source and rule set. The index, ``lint-<key>.json``,
holds ``{path: [content hash, summary, stamp]}`` and the last cross-module result; the
stamp (mtime, size, inode, recorded only when the file is older than 2 s) lets a warm
run skip reading and hashing unchanged files, as git's index does.
A summary holds the per-file facts, local findings and deferred findings of one file;
it does not depend on the configuration (``select``/``ignore``/``per-file-ignores`` are
applied afterwards), so changing the configuration never forces a re-parse. The parts
only the cross-module pass reads (a file's facts and deferred findings, most of the
bytes) live in the second file, ``lint-<key>.facts``: one JSON line
``[path, content hash, parts]`` per summary, appended when a file changed (later lines
win; compacted when mostly stale). A run over an unchanged tree reads only the index;
a run after one edit appends one line instead of rewriting everything.

The cross-module pass is recomputed from all summaries whenever any file (its content
hash), the set of files, the paths as shown or the rules enabled anywhere changed; its
result is kept under a key over all of those, so a run over an unchanged tree reuses
it without building the project index. A missing, corrupt or unwritable cache is
ignored (the run is just slower); a summary whose parts are missing or do not match its
content hash is computed again. JSON, never pickle, so a tampered cache cannot execute
code.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import stat
import tempfile
import time
from pathlib import Path
from typing import Any

from dbctl import __version__
from dbctl.lint.ignore import read_regular

#: Bump when the summary format or any rule's logic changes.
SCHEMA = 8
#: summary fields kept in the facts file, read only for the cross-module pass
_LAZY = ("facts", "deferred")


def content_hash(data: bytes) -> str:
    return hashlib.blake2b(data, digest_size=16).hexdigest()


def code_fingerprint() -> str:
    """A hash of the linter's own source, so an edited rule (an editable install, a
    development checkout) never reads summaries its previous version wrote."""
    h = hashlib.blake2b(digest_size=8)
    for path in sorted(Path(__file__).parent.rglob("*.py")):
        with contextlib.suppress(OSError):
            h.update(path.read_bytes())
    return h.hexdigest()


class LintCache:
    def __init__(self, directory: Path, rule_codes: list[str]) -> None:
        self.directory = directory
        key = content_hash(
            f"{SCHEMA}|{__version__}|{','.join(rule_codes)}|{code_fingerprint()}".encode()
        )
        self.path = directory / f"lint-{key}.json"
        self.facts_path = directory / f"lint-{key}.facts"
        self.entries: dict[str, list[Any]] = {}
        #: [key, result] of the last cross-module pass (see :meth:`get_project`)
        self.project: list[Any] | None = None
        self.dirty = False
        #: path -> [content hash, parts] of the facts file (read on first need)
        self._parts: dict[str, list[Any]] | None = None
        self._lines = 0  # lines in the facts file (live or stale)
        self._new: list[tuple[str, str, dict[str, Any]]] = []  # parts to append

    def load(self) -> None:
        try:  # a regular file only: a FIFO in its place must not block the run
            data = json.loads(read_regular(str(self.path)))
        except (OSError, ValueError):
            return
        if isinstance(data, dict) and isinstance(data.get("files"), dict):
            self.entries = data["files"]
            project = data.get("project")
            if isinstance(project, list) and len(project) == 2:
                self.project = project

    def get(self, rel: str, digest: str) -> dict[str, Any] | None:
        """The summary of ``rel`` if its content hash is ``digest`` (without the parts
        :meth:`expand` adds)."""
        entry = self.entries.get(rel)
        if isinstance(entry, list) and len(entry) == 3 and entry[0] == digest:
            summary = entry[1]
            return summary if isinstance(summary, dict) else None
        return None

    def get_by_stamp(self, rel: str, stamp: list[int] | None) -> dict[str, Any] | None:
        """The summary of ``rel`` if its (mtime, size, inode) are those recorded with its
        content hash, so the file need not be read and hashed again (git's index does the
        same). Stamps of files modified within 2 s of a save are not recorded ("racy")."""
        entry = self.entries.get(rel)
        if stamp and isinstance(entry, list) and len(entry) == 3 and entry[2] == stamp:
            summary = entry[1]
            return summary if isinstance(summary, dict) else None
        return None

    def put(self, rel: str, digest: str, summary: dict[str, Any], stamp: list[int] | None) -> None:
        if stamp and stamp[0] > time.time_ns() - 2_000_000_000:
            stamp = None
        if not any(k in summary for k in _LAZY):  # already stored form (a cache hit)
            stored = summary
        else:
            stored = {k: v for k, v in summary.items() if k not in _LAZY}
            parts = {k: summary[k] for k in _LAZY if k in summary}
            self._new.append((rel, digest, parts))
            if self._parts is not None:
                self._parts[rel] = [digest, parts]
        self.entries[rel] = [digest, stored, stamp]
        self.dirty = True

    def digest(self, rel: str) -> str:
        """The content hash recorded for ``rel`` ("" if none)."""
        entry = self.entries.get(rel)
        return entry[0] if isinstance(entry, list) and entry and isinstance(entry[0], str) else ""

    def expand(self, rel: str, summary: dict[str, Any], digest: str) -> dict[str, Any] | None:
        """``summary`` (of content hash ``digest``) with the parts the cross-module pass
        reads (a new dict: the cache keeps the stored form), as is if it has them;
        ``None`` if the facts file has no intact parts for that content."""
        if "deferred" in summary:  # computed in this run
            return summary
        entry = self._load_parts().get(rel)
        if entry is None or entry[0] != digest:
            return None
        parts = entry[1]
        return {**summary, **{k: parts[k] for k in _LAZY if k in parts}}

    def _load_parts(self) -> dict[str, list[Any]]:
        if self._parts is not None:
            return self._parts
        parts: dict[str, list[Any]] = {}
        self._parts = parts
        try:
            data = read_regular(str(self.facts_path))
        except OSError:
            data = b""
        for line in data.splitlines():
            self._lines += 1
            try:
                rel, digest, value = json.loads(line)
            except (ValueError, TypeError):
                continue  # a damaged line: its file is analysed again
            if isinstance(rel, str) and isinstance(value, dict) and isinstance(
                value.get("deferred"), list
            ) and isinstance(value.get("facts", {}), dict):
                parts[rel] = [digest, value]
        for rel, digest, value in self._new:  # put before the file was read
            parts[rel] = [digest, value]
        return parts

    def get_project(self, key: str) -> list[Any] | None:
        """The stored result of the cross-module pass if it was computed under ``key``."""
        if self.project is not None and self.project[0] == key:
            result = self.project[1]
            return result if isinstance(result, list) else None
        return None

    def put_project(self, key: str, result: list[Any]) -> None:
        self.project = [key, result]
        self.dirty = True

    def save(self) -> None:
        if not self.dirty:
            return
        try:
            self.directory.mkdir(parents=True, exist_ok=True)
            tag = self.directory / "CACHEDIR.TAG"
            if not os.path.lexists(tag):
                _write_new(tag, b"Signature: 8a477f597d28d172789f06886806bc55\n")
                _write_new(self.directory / ".gitignore", b"*\n")
            if self._new:
                self._save_parts()
            _replace(self.path, json.dumps(
                {"schema": SCHEMA, "files": self.entries, "project": self.project},
                separators=(",", ":"),
            ).encode())
            for stale in self.directory.glob("lint-*"):  # other versions / rule sets
                if stale not in (self.path, self.facts_path):
                    stale.unlink(missing_ok=True)
        except OSError:
            pass

    def _save_parts(self) -> None:
        """Append the new parts to the facts file, or rewrite it with the live parts
        only when most of its lines would be stale (or it is missing)."""
        live = len(self.entries)
        if self._parts is None and 2 * len(self._new) > live:
            self._load_parts()  # mostly new parts: maybe compact instead of appending
        if os.path.lexists(self.facts_path) and (
            self._parts is None or self._lines + len(self._new) <= 2 * live + 16
        ):
            lines = b"".join(_line(rel, d, v) for rel, d, v in self._new)
            if _append(self.facts_path, b"\n" + lines):
                return
        parts = self._load_parts()
        _replace(self.facts_path, b"".join(
            _line(rel, entry[0], value[1])
            for rel, entry in self.entries.items()
            if (value := parts.get(rel)) is not None and value[0] == entry[0]
        ))


def _line(rel: str, digest: str, parts: dict[str, Any]) -> bytes:
    return json.dumps([rel, digest, parts], separators=(",", ":")).encode() + b"\n"


def _replace(path: Path, data: bytes) -> None:
    """Write ``path`` atomically (a temporary file renamed over it)."""
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".lint-", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
        os.replace(tmp, path)
    except OSError:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


def _append(path: Path, data: bytes) -> bool:
    """Append to a regular file in one write (never blocks on a FIFO, never follows a
    symlink); False if that cannot be done."""
    flags = os.O_WRONLY | os.O_APPEND | getattr(os, "O_NOFOLLOW", 0)
    try:
        fd = os.open(path, flags | getattr(os, "O_NONBLOCK", 0))
    except OSError:
        return False
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            return False
        return os.write(fd, data) == len(data)
    except OSError:
        return False
    finally:
        os.close(fd)


def _write_new(path: Path, data: bytes) -> None:
    """Create a small file; never blocks on a FIFO or follows a symlink in its place."""
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0)
    try:
        fd = os.open(path, flags | getattr(os, "O_NONBLOCK", 0), 0o644)
    except OSError:
        return
    with os.fdopen(fd, "wb") as fh:
        fh.write(data)

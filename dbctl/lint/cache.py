"""The lint cache: per-file summaries in ``.dbctl_cache/``, keyed by content hash.

One JSON file per dbctl version, linter source and rule set holds
``{path: [content hash, summary, stamp]}``; the stamp (mtime, size, inode, recorded only
when the file is older than 2 s) lets a warm run skip reading and hashing unchanged
files, as git's index does.
A summary holds the per-file facts, local findings and deferred findings of one file;
it does not depend on the configuration (``select``/``ignore``/``per-file-ignores`` are
applied afterwards), so changing the configuration never forces a re-parse. The parts
only the cross-module pass reads (a file's facts and deferred findings) are kept as one
JSON string per file and decoded (:func:`expand`) only when that pass runs.

The cross-module pass is recomputed from all summaries whenever any file (its content
hash), the set of files, the paths as shown or the rules enabled anywhere changed; its
result is kept under a key over all of those, so a run over an unchanged tree reuses
it without building the project index. A missing, corrupt or unwritable cache is
ignored (the run is just slower); JSON, never pickle, so a tampered cache cannot
execute code.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import tempfile
import time
from pathlib import Path
from typing import Any

from dbctl import __version__
from dbctl.lint.ignore import read_regular

#: Bump when the summary format or any rule's logic changes.
SCHEMA = 7
#: summary fields stored as one JSON string, decoded only for the cross-module pass
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
        self.entries: dict[str, list[Any]] = {}
        #: [key, result] of the last cross-module pass (see :meth:`get_project`)
        self.project: list[Any] | None = None
        self.dirty = False

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
        """The summary of ``rel`` if its content hash is ``digest``."""
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
            stored["lazy"] = json.dumps(
                {k: summary[k] for k in _LAZY if k in summary}, separators=(",", ":")
            )
        self.entries[rel] = [digest, stored, stamp]
        self.dirty = True

    def digest(self, rel: str) -> str:
        """The content hash recorded for ``rel`` ("" if none)."""
        entry = self.entries.get(rel)
        return entry[0] if isinstance(entry, list) and entry and isinstance(entry[0], str) else ""

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
            fd, tmp = tempfile.mkstemp(dir=self.directory, prefix=".lint-", suffix=".tmp")
            with os.fdopen(fd, "w", encoding="utf-8") as fh:
                json.dump({"schema": SCHEMA, "files": self.entries, "project": self.project},
                          fh, separators=(",", ":"))
            os.replace(tmp, self.path)
            for stale in self.directory.glob("lint-*.json"):  # other versions / rule sets
                if stale != self.path:
                    stale.unlink(missing_ok=True)
        except OSError:
            with contextlib.suppress(OSError, UnboundLocalError):
                os.unlink(tmp)


def expand(summary: dict[str, Any]) -> dict[str, Any]:
    """``summary`` with its lazily stored parts decoded (a new dict: the cache keeps the
    stored form; a corrupt part reads as empty: no facts, no deferred findings)."""
    lazy = summary.get("lazy")
    if lazy is None:
        return summary
    out = {k: v for k, v in summary.items() if k != "lazy"}
    try:
        parts = json.loads(lazy) if isinstance(lazy, str) else None
    except ValueError:
        parts = None
    if isinstance(parts, dict):
        out.update((k, parts[k]) for k in _LAZY if k in parts)
    out.setdefault("deferred", [])
    return out


def _write_new(path: Path, data: bytes) -> None:
    """Create a small file; never blocks on a FIFO or follows a symlink in its place."""
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0)
    try:
        fd = os.open(path, flags | getattr(os, "O_NONBLOCK", 0), 0o644)
    except OSError:
        return
    with os.fdopen(fd, "wb") as fh:
        fh.write(data)

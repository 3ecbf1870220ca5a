"""Which files ``dbctl lint`` reads: git's view of the tree, per-directory configuration.

- Directories recurse; the default excludes (``.venv``, ``node_modules``, …) and each
  file's configured ``exclude`` patterns always apply.
- Inside a git work tree, files tracked by git are always linted; untracked files
  follow ``.gitignore`` (every level) and ``.git/info/exclude``, as ``git status`` shows
  them. A nested repository (a directory with its own ``.git``) has its own view.
  Outside a work tree no ``.gitignore`` applies (as ripgrep does). Paths skipped by
  ignore rules are counted (:attr:`Discovery.ignored`).
- Explicit files are always linted when dbctl understands them (``.py``/``.pyi``/
  ``.pyw``, ``.ini`` for ``sqlalchemy.url``, a script with a python shebang or without
  an extension that parses as Python); any other is skipped with a note.
- Only regular files are ever opened (:func:`dbctl.lint.ignore.read_regular`).

Tracked files come from ``git ls-files`` (the index only: git never reads a
``.gitignore`` for it, so a FIFO named ``.gitignore`` cannot block it), bounded by a
timeout; when git is missing or fails, ``.gitignore`` applies to every file as before.
"""

from __future__ import annotations

import os
import stat
import subprocess
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from dbctl.lint.ignore import compile_patterns, read_text_lines
from dbctl.lint.model import FileError, LintConfig

DEFAULT_EXCLUDES = frozenset(
    {
        ".git", ".hg", ".svn", ".bzr", ".venv", "venv", ".env", "env", ".tox", ".nox",
        "node_modules", "__pycache__", "build", "dist", "site-packages", ".dbctl_cache",
        ".mypy_cache", ".ruff_cache", ".pytest_cache", ".eggs", "__pypackages__",
        ".hypothesis", ".ipynb_checkpoints",
    }
)
PYTHON_SUFFIXES = frozenset({".py", ".pyi", ".pyw"})
GIT_TIMEOUT = 10.0
_SNIFF = 64 * 1024

Specs = list[tuple[str, Any]]
Frame = tuple[str, Specs, "Repo | None", bool, LintConfig]


@dataclass(slots=True)
class Repo:
    """A git work tree: its tracked files and the directories that hold them."""

    root: str
    tracked: frozenset[str] | None  # absolute paths; None: git could not tell
    tracked_dirs: frozenset[str] = field(default_factory=frozenset)
    exclude: Any = None  # .git/info/exclude


def _git_dir(root: str) -> str | None:
    """The common git directory of the work tree at ``root`` (for ``info/exclude``)."""
    dotgit = os.path.join(root, ".git")
    if os.path.isdir(dotgit):
        return dotgit
    lines = read_text_lines(dotgit)  # a linked worktree: "gitdir: <path>"
    if not lines or not lines[0].startswith("gitdir:"):
        return None
    gitdir = os.path.join(root, lines[0][len("gitdir:") :].strip())
    common = read_text_lines(os.path.join(gitdir, "commondir"))
    return os.path.normpath(os.path.join(gitdir, common[0].strip())) if common else gitdir


def _tracked(root: str) -> frozenset[str] | None:
    try:
        proc = subprocess.run(
            ["git", "-C", root, "ls-files", "-z", "--cached"],
            capture_output=True, timeout=GIT_TIMEOUT, check=False, stdin=subprocess.DEVNULL,
        )
    except (OSError, subprocess.SubprocessError):
        return None
    if proc.returncode != 0:
        return None
    names = proc.stdout.decode("utf-8", errors="surrogateescape").split("\0")
    return frozenset(os.path.join(root, *n.split("/")) for n in names if n)


def find_repo_root(directory: str) -> str | None:
    """The nearest directory at or above ``directory`` holding ``.git``."""
    current = directory
    while True:
        if os.path.lexists(os.path.join(current, ".git")):
            return current
        parent = os.path.dirname(current)
        if parent == current:
            return None
        current = parent


class Discovery:
    """Finds the files to lint and the configuration of each (absolute path strings)."""

    def __init__(self, config_for: Callable[[str], LintConfig], root: str) -> None:
        self.config_for = config_for
        self.root = root
        self.cwd = os.getcwd()
        self.files: dict[str, LintConfig] = {}
        self.errors: list[FileError] = []
        self.notices: list[FileError] = []
        self.warnings: list[str] = []
        self.ignored = 0
        self._repos: dict[str, Repo] = {}
        self._excludes: dict[int, tuple[LintConfig, Any]] = {}

    def display(self, path: str) -> str:
        """``path`` (absolute) relative to the current directory, POSIX separators."""
        return relative(path, self.cwd)

    # -- configuration --------------------------------------------------------------
    def _exclude_spec(self, config: LintConfig) -> Any:
        entry = self._excludes.get(id(config))
        if entry is None:
            spec = (
                compile_patterns(config.exclude, "exclude", self.warnings)
                if config.exclude else None
            )
            entry = self._excludes[id(config)] = (config, spec)
        return entry[1]

    def _excluded(self, path: str, is_dir: bool, config: LintConfig) -> bool:
        spec = self._exclude_spec(config)
        if spec is None:
            return False
        rel = relative(path, str(config.root))
        return not rel.startswith("../") and bool(spec.match_file(rel + ("/" if is_dir else "")))

    # -- git ------------------------------------------------------------------------
    def _repo(self, root: str) -> Repo:
        repo = self._repos.get(root)
        if repo is None:
            tracked = _tracked(root)
            dirs: set[str] = set()
            for path in tracked or ():
                parent = os.path.dirname(path)
                while parent not in dirs and len(parent) > len(root):
                    dirs.add(parent)
                    parent = os.path.dirname(parent)
            gitdir = _git_dir(root)
            lines = read_text_lines(os.path.join(gitdir, "info", "exclude")) if gitdir else None
            exclude = (
                compile_patterns(lines, ".git/info/exclude", self.warnings) if lines else None
            )
            repo = Repo(root, tracked, frozenset(dirs), exclude)
            self._repos[root] = repo
        return repo

    def _gitignore(self, directory: str) -> Any:
        path = os.path.join(directory, ".gitignore")
        lines = read_text_lines(path)
        if not lines:
            return None
        return compile_patterns(lines, self.display(path), self.warnings)

    # -- explicit paths ---------------------------------------------------------------
    def explicit(self, path: str) -> None:
        absolute = os.path.abspath(path)
        try:
            st = os.stat(absolute)
        except OSError as exc:
            self.errors.append(FileError(self.display(absolute), os_message(absolute, exc)))
            return
        if stat.S_ISDIR(st.st_mode):
            self.walk(absolute)
        elif not stat.S_ISREG(st.st_mode):
            self.errors.append(FileError(self.display(absolute), "not a regular file"))
        elif self._understood(absolute):
            self.files.setdefault(absolute, self.config_for(os.path.dirname(absolute)))
        else:
            self.notices.append(FileError(
                self.display(absolute),
                "skipped: not a Python file (dbctl lints .py files and alembic.ini)",
            ))

    def _understood(self, path: str) -> bool:
        name = os.path.basename(path)
        suffix = os.path.splitext(name)[1].lower()
        if suffix in PYTHON_SUFFIXES or suffix == ".ini":
            return True
        if suffix or name.startswith("."):
            return False
        try:  # a script: a python shebang, or text that parses as Python
            with open(path, "rb", buffering=0) as fh:  # a regular file (checked)
                head = fh.read(_SNIFF)
        except OSError:
            return True  # reading fails again later, reported there
        first = head.split(b"\n", 1)[0]
        if first.startswith(b"#!"):
            return b"python" in first
        if len(head) == _SNIFF:
            return False
        from dbctl.lint.parsing import parse_source

        try:
            parse_source(head, name)
        except (SyntaxError, ValueError, RecursionError, MemoryError):
            return False
        return True

    # -- directories ------------------------------------------------------------------
    def walk(self, top: str) -> None:
        repo_root = find_repo_root(top)
        repo = self._repo(repo_root) if repo_root is not None else None
        specs: Specs = []
        if repo is not None and repo_root is not None:
            if repo.exclude is not None:
                specs.append((repo_root, repo.exclude))
            # .gitignore files of the work tree's root and of the directories down to top
            if top != repo_root:
                parts = relative(top, repo_root).split("/")
                for i in range(len(parts)):
                    parent = os.path.join(repo_root, *parts[:i])
                    spec = self._gitignore(parent)
                    if spec is not None:
                        specs.append((parent, spec))
                if _matches(top, True, specs):
                    # an ignored directory named explicitly is linted, as ripgrep searches
                    # it: the rules above it, which would hide all of it, do not apply
                    specs = []
        # (directory, inherited gitignore specs, its repository, inside an ignored
        # directory, the configuration of its parent)
        stack: list[Frame] = [(top, specs, repo, False, self.config_for(top))]
        while stack:
            self._walk_directory(*stack.pop(), stack)

    def _walk_directory(
        self, directory: str, inherited: Specs, repo: Repo | None, in_ignored: bool,
        config: LintConfig, stack: list[Frame],
    ) -> None:
        try:
            with os.scandir(directory) as it:
                entries = list(it)
        except OSError as exc:
            self.errors.append(FileError(self.display(directory), os_message(directory, exc)))
            return
        names = {e.name for e in entries}
        if ".git" in names and (repo is None or repo.root != directory):
            repo = self._repo(directory)  # a nested repository: its own view
            inherited, in_ignored = [], False
            if repo.exclude is not None:
                inherited = [(directory, repo.exclude)]
        active = inherited
        if repo is not None and ".gitignore" in names:
            own = self._gitignore(directory)
            if own is not None:
                active = [*inherited, (directory, own)]
        tracked = repo.tracked if repo is not None else None
        tracked_dirs = repo.tracked_dirs if repo is not None else frozenset()
        if "pyproject.toml" in names:  # otherwise the parent's configuration holds
            config = self.config_for(directory)
        check_exclude = bool(config.exclude)
        subdirs: list[tuple[str, bool]] = []
        for entry in entries:
            name = entry.name
            if name in DEFAULT_EXCLUDES or name.endswith(".egg-info"):
                continue
            path = entry.path
            try:
                is_dir = entry.is_dir(follow_symlinks=False)
            except OSError:
                is_dir = False
            if not is_dir and not (name.endswith(".py") or name == "alembic.ini"):
                continue
            if check_exclude and self._excluded(path, is_dir, config):
                continue
            is_tracked = tracked is not None and (
                path in tracked_dirs if is_dir else path in tracked
            )
            ignored = in_ignored or (bool(active) and _matches(path, is_dir, active))
            if ignored and not is_tracked:
                if not in_ignored:
                    self.ignored += 1
                continue
            if is_dir:
                subdirs.append((path, ignored))
                continue
            if entry.is_symlink():
                try:
                    st = os.stat(path)
                except OSError as exc:
                    self.errors.append(FileError(self.display(path), os_message(path, exc)))
                    continue
                if stat.S_ISDIR(st.st_mode):
                    continue  # symlinked directories are not followed
                if not stat.S_ISREG(st.st_mode):
                    self.errors.append(FileError(self.display(path), "not a regular file"))
                    continue
            elif not entry.is_file(follow_symlinks=False):
                self.errors.append(FileError(self.display(path), "not a regular file"))
                continue
            self.files.setdefault(path, config)
        for sub, ignored in reversed(subdirs):
            stack.append((sub, active, repo, ignored, config))


def _matches(path: str, is_dir: bool, specs: Specs) -> bool:
    suffix = "/" if is_dir else ""
    return any(spec.match_file(relative(path, base) + suffix) for base, spec in specs)


def relative(path: str, base: str) -> str:
    """``path`` relative to ``base`` (both absolute), POSIX separators."""
    if path.startswith(base) and path[len(base) : len(base) + 1] == os.sep:
        rel = path[len(base) + 1 :]
    elif path == base:
        rel = "."
    else:
        try:
            rel = os.path.relpath(path, base)
        except ValueError:  # another drive on Windows
            rel = path
    return rel.replace(os.sep, "/") if os.sep != "/" else rel


def os_message(path: str, exc: OSError) -> str:
    """A short lower-case reason for an ``OSError`` on ``path``."""
    import errno

    if exc.errno == errno.ELOOP:
        return "symlink loop"
    if exc.errno == errno.ENOENT:
        return "broken symlink" if os.path.islink(path) else "no such file or directory"
    if exc.errno == errno.EACCES:
        return "permission denied"
    return (exc.strerror or type(exc).__name__).lower()


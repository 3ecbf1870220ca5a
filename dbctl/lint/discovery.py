"""Which files ``dbctl lint`` reads: git's view of the tree, per-directory configuration.

- Directories recurse; the default excludes (``.venv``, ``node_modules``, …) and each
  file's configured ``exclude`` patterns always apply.
- Inside a git work tree, files tracked by git are always linted; untracked files
  follow ``.gitignore`` (every level), ``.git/info/exclude`` and git's global excludes
  file (``core.excludesFile``, by default ``$XDG_CONFIG_HOME/git/ignore``), as
  ``git status`` shows them, with git's precedence: the deepest ``.gitignore`` first,
  then the shallower ones, ``info/exclude``, the global file; the first that has a
  matching pattern decides (so a ``!pattern`` re-includes what a shallower file
  ignores). A nested repository (a directory with its own ``.git``) has its own view.
  Outside a work tree no ``.gitignore`` applies (as ripgrep does). Paths skipped by
  ignore rules are counted (:attr:`Discovery.ignored`).
- Explicit files are always linted when dbctl understands them (``.py``/``.pyi``/
  ``.pyw``, ``.ini`` for ``sqlalchemy.url``, a script with a python shebang or without
  an extension that parses as Python); any other is skipped with a note.
- Only regular files are ever opened (:func:`dbctl.lint.ignore.read_regular`).

Tracked files come from ``git ls-files`` (the index only: git never reads a
``.gitignore`` for it, so a FIFO named ``.gitignore`` cannot block it) and the global
excludes file's location from ``git config`` (both at once, bounded by a timeout); dbctl
reads and matches the ignore files itself. When git is missing or fails (not installed,
or it refuses the repository, e.g. for "dubious ownership"), which files are tracked
cannot be known: the ignore rules then apply to every file, tracked ones included (as ripgrep
applies them), and a note says so once per work tree when they skipped anything.
"""

from __future__ import annotations

import os
import stat
import subprocess
import time
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
_LS_FILES = ("ls-files", "-z", "--cached")
_EXCLUDES_FILE = ("config", "--path", "--get", "core.excludesFile")
_SNIFF = 64 * 1024

Specs = list[tuple[str, Any]]
Frame = tuple[str, Specs, "Repo | None", bool, LintConfig]


@dataclass(slots=True)
class Repo:
    """A git work tree: its tracked files and the directories that hold them."""

    root: str
    tracked: frozenset[str] | None  # absolute paths; None: git could not tell
    tracked_dirs: frozenset[str] = field(default_factory=frozenset)
    #: the work tree's own ignore files below every .gitignore: the global excludes
    #: file, then .git/info/exclude (later entries take precedence, as in ``Specs``)
    excludes: Specs = field(default_factory=list)
    no_git: str | None = None  # why git could not list the tracked files
    noted: bool = False  # the note about ``no_git`` was given


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


def _git(root: str, *commands: tuple[str, ...]) -> list[tuple[int, bytes, bytes]] | str:
    """Run the git ``commands`` in the work tree ``root`` at the same time, each
    ``(exit code, stdout, stderr)``; or why git could not run (one line)."""
    procs: list[subprocess.Popen[bytes]] = []
    try:
        for args in commands:
            procs.append(subprocess.Popen(
                ["git", "-C", root, *args], stdin=subprocess.DEVNULL,
                stdout=subprocess.PIPE, stderr=subprocess.PIPE,
            ))
        deadline = time.monotonic() + GIT_TIMEOUT
        answers = []
        for proc in procs:
            out, err = proc.communicate(timeout=max(deadline - time.monotonic(), 0))
            answers.append((proc.returncode, out, err))
        return answers
    except FileNotFoundError:
        return "git is not installed"
    except subprocess.TimeoutExpired:
        return f"git did not answer within {GIT_TIMEOUT:g} s"
    except OSError as exc:
        return f"git could not run: {exc.strerror or exc}"
    finally:
        for proc in procs:
            if proc.returncode is None:
                proc.kill()
                proc.wait()


def _ask_git(root: str) -> tuple[frozenset[str] | None, str | None, str | None]:
    """The tracked files of the work tree at ``root`` (``None``: git could not tell,
    with the reason) and the path of git's global excludes file (``None``: none)."""
    answers = _git(root, _LS_FILES, _EXCLUDES_FILE)
    if isinstance(answers, str):
        return None, _default_excludes_file(), answers
    (code, out, err), (config_code, config_out, _) = answers
    if config_code == 0 and config_out.strip():
        excludes_file: str | None = os.path.join(root, os.fsdecode(config_out.rstrip(b"\n")))
    else:  # 1: not configured (anything else: as git would, use the default)
        excludes_file = _default_excludes_file()
    if code != 0:
        lines = err.decode("utf-8", errors="replace").strip().splitlines()
        return None, excludes_file, lines[0] if lines else f"git ls-files exited {code}"
    names = out.decode("utf-8", errors="surrogateescape").split("\0")
    return frozenset(os.path.join(root, *n.split("/")) for n in names if n), excludes_file, None


def _default_excludes_file() -> str | None:
    """Where git looks for global excludes when ``core.excludesFile`` is not set."""
    xdg = os.environ.get("XDG_CONFIG_HOME")
    if xdg:
        return os.path.join(xdg, "git", "ignore")
    home = os.environ.get("HOME")
    return os.path.join(home, ".config", "git", "ignore") if home else None


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
        self.ignored_paths: set[str] = set()  # a set: a directory may be walked twice
        self._repos: dict[str, Repo] = {}
        self._excludes: dict[int, tuple[LintConfig, Any]] = {}

    @property
    def ignored(self) -> int:
        """How many paths ignore rules skipped."""
        return len(self.ignored_paths)

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
            tracked, excludes_file, no_git = _ask_git(root)
            dirs: set[str] = set()
            for path in tracked or ():
                parent = os.path.dirname(path)
                while parent not in dirs and len(parent) > len(root):
                    dirs.add(parent)
                    parent = os.path.dirname(parent)
            gitdir = _git_dir(root)
            sources = {  # lowest precedence first
                excludes_file: excludes_file,
                gitdir and os.path.join(gitdir, "info", "exclude"): ".git/info/exclude",
            }
            excludes: Specs = []
            for file, source in sources.items():
                shown = self.display(file) if file and file == source else source
                lines = read_text_lines(file, self.warnings, shown) if file else None
                spec = compile_patterns(lines, source or "", self.warnings) if lines else None
                if spec is not None:
                    excludes.append((root, spec))
            repo = Repo(root, tracked, frozenset(dirs), excludes, no_git)
            self._repos[root] = repo
        return repo

    def _skipped_maybe_tracked(self, repo: Repo) -> None:
        """Ignore rules skipped a path of ``repo`` without knowing whether git tracks it:
        say so, once per work tree."""
        if not repo.noted:
            repo.noted = True
            self.warnings.append(
                f"{self.display(repo.root)}: cannot ask git which files are tracked "
                f"({repo.no_git}): ignore rules were applied to tracked files too"
            )

    def _gitignore(self, directory: str) -> Any:
        path = os.path.join(directory, ".gitignore")
        lines = read_text_lines(path, self.warnings, self.display(path))
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
            specs.extend(repo.excludes)
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
            inherited, in_ignored = list(repo.excludes), False
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
                    self.ignored_paths.add(path)
                    if repo is not None and repo.no_git is not None:
                        self._skipped_maybe_tracked(repo)
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
    """Whether ``specs`` ignore ``path``: as git decides, the last (deepest) ignore file
    with a pattern matching ``path`` has the last word (a ``!`` pattern: not ignored)."""
    suffix = "/" if is_dir else ""
    for base, spec in reversed(specs):
        verdict = spec.check_file(relative(path, base) + suffix).include
        if verdict is not None:
            return bool(verdict)
    return False


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


"""QA: `dbctl lint` as a team adopts it, following README.md and docs/ only: the
baseline workflow (`--format json -o .dbctl-baseline.json`, then `--baseline`) with every
kind of wrong file in place of the baseline, and ignore patterns (an existing
`.gitignore`, `exclude`, `per-file-ignores`, `--exclude`) that pathspec cannot compile."""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.lint.gitrepo import git, init_repo, write
from tests.prestart.conftest import run_dbctl

DB = 'engine_url = "postgresql+asyncpg://app:s3cret@db/app"\n'


def _fifo(path: Path) -> None:
    os.mkfifo(path)


def _write(text: str) -> Callable[[Path], None]:
    return lambda path: path.write_text(text)


@pytest.mark.parametrize(
    ("make", "says"),
    [
        (None, "no such file: base.json"),
        (_write(""), "base.json is not a `dbctl lint --format json` report (an empty file)"),
        (
            _write("db.py:1:14: DBC201 hardcoded password\n"),  # the text report
            "base.json is not a `dbctl lint --format json` report (not JSON: Expecting value:"
            " line 1 column 1 (char 0))",
        ),
        (_write("[1, 2]"), "base.json is not a `dbctl lint --format json` report"),
        (  # a SARIF report
            _write('{"version": "2.1.0", "runs": []}'),
            "base.json is not a `dbctl lint --format json` report",
        ),
        (  # entries that are not findings used to match nothing, silently
            _write('{"findings": [{"code": "DBC201", "path": "db.py"}]}'),
            "base.json is not a `dbctl lint --format json` report (finding 1 has no string"
            " 'fingerprint')",
        ),
        (
            _write('{"findings": [7]}'),
            "base.json is not a `dbctl lint --format json` report (finding 1 is not an object)",
        ),
        (lambda path: path.mkdir(), "cannot read base.json: not a regular file"),
        (_fifo, "cannot read base.json: not a regular file"),  # never opened: no hang
    ],
    ids=["missing", "empty", "text-report", "list", "sarif", "no-fingerprint", "not-object",
         "directory", "fifo"],
)
def test_a_file_that_is_not_a_baseline_is_one_line_and_exit_2(
    tmp_path: Path, make: Callable[[Path], None] | None, says: str
) -> None:
    (tmp_path / "db.py").write_text(DB)
    if make is not None:
        make(tmp_path / "base.json")
    r = run_dbctl("lint", "--no-cache", "--baseline", "base.json", cwd=tmp_path, timeout=30)
    assert r.returncode == 2, r.all
    assert r.stdout == ""
    [line] = [x for x in r.stderr.splitlines() if not x.startswith("  hint:")]
    assert line.startswith(f"error: --baseline: {says}"), r.stderr


def test_gitignore_lines_pathspec_cannot_compile_are_dropped_with_a_note(tmp_path: Path) -> None:
    # `[z-a]` (git: matches nothing), a lone `!` and git's POSIX classes made lint an
    # "internal error" (exit 2) in any work tree whose .gitignore had one; `[[:space:]]`
    # also printed Python's FutureWarning
    repo = init_repo(tmp_path / "repo")
    write(repo, {
        ".gitignore": "[z-a].py\n!\n[[:alpha:]]x.py\n[[:space:]]*.py\nskip.py\n",
        "app.py": DB,
        "skip.py": DB,
    })
    r = run_dbctl("lint", "--no-cache", cwd=repo, timeout=60)
    assert r.returncode == 1, r.all
    assert r.stdout.splitlines() == [
        "app.py:1:14: DBC201 hardcoded password in database URL "
        "'postgresql+asyncpg://app:***@db/app'"
    ]
    notes = [line for line in r.stderr.splitlines() if line.startswith("note: ")]
    assert [n.split(": pattern ignored: ")[0] for n in notes] == [
        "note: .gitignore:1", "note: .gitignore:2", "note: .gitignore:3", "note: .gitignore:4"
    ], r.stderr
    assert "internal error" not in r.stderr and "Warning" not in r.stderr, r.stderr


@pytest.mark.parametrize(
    ("pyproject", "flags", "says"),
    [
        (
            '[tool.dbctl.lint]\nexclude = ["legacy/", "[z-a].py"]\n', [],
            "error: 'exclude' in [tool.dbctl.lint] in {pyproject}: pattern '[z-a].py' is not"
            " valid",
        ),
        (
            '[tool.dbctl.lint.per-file-ignores]\n"[[:digit:]]*.py" = ["DBC201"]\n', [],
            "error: 'per-file-ignores' in [tool.dbctl.lint] in {pyproject}: pattern"
            " '[[:digit:]]*.py' is not valid",
        ),
        (None, ["--exclude", "a[b-a]*c"], "error: --exclude: pattern 'a[b-a]*c' is not valid"),
    ],
    ids=["exclude", "per-file-ignores", "--exclude"],
)
def test_an_invalid_pattern_in_the_configuration_is_a_usage_error(
    tmp_path: Path, pyproject: str | None, flags: list[str], says: str
) -> None:
    (tmp_path / "db.py").write_text(DB)
    if pyproject is not None:
        (tmp_path / "pyproject.toml").write_text(pyproject)
    r = run_dbctl("lint", "--no-cache", *flags, cwd=tmp_path, timeout=60)
    assert r.returncode == 2, r.all
    [line] = r.stderr.splitlines()
    assert line.startswith(says.format(pyproject=tmp_path / "pyproject.toml")), r.stderr
    assert "internal error" not in line


def test_precommit_hook_with_spaces_and_unicode_in_names(tmp_path: Path) -> None:
    # pre-commit passes the staged names as arguments: spaces and non-ASCII must
    # survive, the findings stay in the staged files, the password never shows
    from tests.lint.test_precommit_hook import _hook_config, _pre_commit

    repo = init_repo(tmp_path / "repo")
    write(repo, {
        ".pre-commit-config.yaml": _hook_config(),
        "app/sub dir/my db.py": DB,
        "app/ünï/dsn é.py": DB,
        "app/other.py": DB,  # not staged: not reported
        "alembic.ini": "[alembic]\nsqlalchemy.url = postgresql://app:s3cret@db/app\n",
    })
    git(repo, "add", ".pre-commit-config.yaml", "app/sub dir/my db.py", "app/ünï/dsn é.py",
        "alembic.ini")
    proc = _pre_commit(repo)
    out = proc.stdout + proc.stderr
    assert proc.returncode == 1, out
    reported = sorted(line.split(":")[0] for line in out.splitlines() if ": DBC201 " in line)
    assert reported == ["alembic.ini", "app/sub dir/my db.py", "app/ünï/dsn é.py"], out
    assert "s3cret" not in out


@pytest.mark.parametrize("args", [[".", "."], [".", "sub"], ["--project", "."]])
def test_a_directory_walked_twice_counts_each_path_once(tmp_path: Path, args: list[str]) -> None:
    # `--project .` walks the work tree and the named directory: every ignored path,
    # unreadable path and ignore-file note was counted (and printed) twice
    repo = init_repo(tmp_path / "repo")
    write(repo, {".gitignore": "skip.py\n[z-a]\n", "sub/app.py": DB, "sub/skip.py": DB})
    os.mkfifo(repo / "sub" / "pipe.py")
    r = run_dbctl("lint", "--no-cache", *args, cwd=repo, timeout=60)
    assert r.returncode == 2, r.all  # the FIFO could not be linted
    assert r.stderr.splitlines() == [
        "error: could not lint sub/pipe.py: not a regular file",
        "note: .gitignore:2: pattern ignored: bad character range z-a",
        "Found 1 finding (1 error) in 1 file. 1 path could not be linted. "
        "1 path skipped by ignore rules.",
    ], r.stderr


#: a form feed line (Emacs page breaks, old code bases): str.splitlines() splits there
#: too, so every later line was counted one too far
PAGE = "import os\n\x0c\n"


def test_a_form_feed_does_not_shift_the_baseline_fingerprint(tmp_path: Path) -> None:
    # the fingerprint hashed the line above the finding (here the empty one): a different
    # password on the flagged line was hidden as "suppressed by the baseline"
    (tmp_path / "db.py").write_text(PAGE + DB)
    run_dbctl("lint", "--no-cache", "--format", "json", "-o", "base.json", cwd=tmp_path)
    (tmp_path / "db.py").write_text(PAGE + DB.replace("app:s3cret@db", "ops:0ther@prod"))
    r = run_dbctl("lint", "--no-cache", "--baseline", "base.json", cwd=tmp_path)
    assert r.returncode == 1, r.all
    assert r.stdout.startswith("db.py:3:14: DBC201 "), r.all


def test_a_form_feed_does_not_shift_suppressions_or_ini_lines(tmp_path: Path) -> None:
    (tmp_path / "db.py").write_text(PAGE + DB.rstrip("\n") + "  # noqa: DBC201\n")
    (tmp_path / "alembic.ini").write_text(
        "[alembic]\n# \x0c\nsqlalchemy.url = postgresql://app:s3cret@db/app\n"
    )
    r = run_dbctl("lint", "--no-cache", "db.py", "alembic.ini", cwd=tmp_path)
    assert r.stdout.splitlines() == [
        "alembic.ini:3:18: DBC201 hardcoded password in database URL "
        "'postgresql://app:***@db/app'"
    ], r.all  # the noqa silenced db.py:3 (it was read as line 4's)


def test_columns_count_characters_not_utf8_bytes(tmp_path: Path) -> None:
    # Python's ast counts UTF-8 bytes: after "éé😀" every column was 5 too far right, in
    # the text, in GitHub annotations and in SARIF, which says columnKind unicodeCodePoints
    url = '"postgresql://app:s3cret@db/app"'
    (tmp_path / "db.py").write_text(f'label = "éé😀"; URL = {url}\n', encoding="utf-8")
    # a parser error (3.11 and 3.12 count it in bytes, 3.13 in characters) and a tokenizer
    # error (characters in every version): the same columns whatever Python runs dbctl
    (tmp_path / "bad.py").write_text('label = "é" $\n', encoding="utf-8")
    (tmp_path / "bad2.py").write_text('x = ["é", 1 2]\n', encoding="utf-8")
    (tmp_path / "bad3.py").write_text('x = "é" )\n', encoding="utf-8")
    text = run_dbctl("lint", "--no-cache", cwd=tmp_path)
    assert [line.split(" ")[0] for line in text.stdout.splitlines()] == [
        "bad.py:1:13:", "bad2.py:1:11:", "bad3.py:1:9:", "db.py:1:22:"
    ], text.all
    github = run_dbctl("lint", "--no-cache", "--format", "github", "db.py", cwd=tmp_path)
    assert f"col=22,endLine=1,endColumn={22 + len(url)}," in github.stdout, github.all
    sarif = json.loads(run_dbctl("lint", "--no-cache", "--format", "sarif", "db.py",
                                 cwd=tmp_path).stdout)
    [result] = sarif["runs"][0]["results"]
    assert sarif["runs"][0]["columnKind"] == "unicodeCodePoints"
    region = result["locations"][0]["physicalLocation"]["region"]
    assert (region["startColumn"], region["endColumn"]) == (22, 22 + len(url))

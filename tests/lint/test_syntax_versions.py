"""Code written for Python 3.12 and 3.14 is linted on the interpreter that runs dbctl
(3.11 in CI): the findings are at the right lines and nothing is DBC000."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

from dbctl.lint.parsing import parse_source
from tests.lint.conftest import FIXTURES, expected_codes, run_lint

SYNTAX = FIXTURES / "syntax"
NEW_SYNTAX = sorted(SYNTAX.glob("py3*.py"))


def _host_rejects(path: Path) -> bool:
    try:
        ast.parse(path.read_bytes())
    except SyntaxError:
        return True
    return False


@pytest.mark.parametrize("fixture", NEW_SYNTAX, ids=lambda p: p.stem)
def test_new_syntax_findings_at_their_lines_and_no_dbc000(fixture: Path) -> None:
    written_for = (3, int(fixture.stem.removeprefix("py3")))  # py312.py -> (3, 12)
    if sys.version_info < written_for:  # the point of the test: the host cannot parse it
        assert _host_rejects(fixture)
    expected = expected_codes(fixture)
    assert expected
    result = run_lint([fixture], SYNTAX)
    assert {(f.line, f.code) for f in result.findings} == expected
    assert result.errors == []


def test_columns_are_those_of_the_source() -> None:
    result = run_lint([SYNTAX / "py312.py"], SYNTAX)
    lines = (SYNTAX / "py312.py").read_text().splitlines()
    for f in result.findings:
        # the flagged text starts at the reported column (1-based)
        flagged = lines[f.line - 1][f.col - 1 :]
        assert flagged.startswith(
            ("session.", "create_engine(", '"postgresql', 'f"postgresql')
        ), (f, flagged)


@pytest.mark.parametrize(
    "source",
    [
        "def f(:\n    pass\n",
        "type X = \n",
        "x = f'{'\n",
        "except A, B:\n",
        "x = " + "(" * 300 + "1" + ")" * 300 + "\n",
    ],
)
def test_invalid_in_every_version_is_still_a_syntax_error(source: str) -> None:
    with pytest.raises(SyntaxError):
        parse_source(source.encode(), "m.py")


def test_invalid_file_with_new_syntax_is_dbc000_at_the_host_error(lint_tree) -> None:
    source = "type X = int\ndef f(:\n    pass\n"
    with pytest.raises(SyntaxError) as host_error:  # line 1 before 3.12, line 2 from 3.12
        ast.parse(source)
    result = lint_tree({"m.py": source})
    assert [(f.code, f.line) for f in result.findings] == [("DBC000", host_error.value.lineno)]


def test_new_constructs_become_what_the_rules_need() -> None:
    tree = parse_source(
        b'type Alias[T] = list[T]\nclass C[T]: pass\ndef f[T](x: T) -> T: ...\n'
        b'try:\n    pass\nexcept ValueError, TypeError:\n    pass\n'
        b'u = t"x{y}"\n',
        "m.py",
    )
    alias, cls, func, handler, tstring = tree.body
    assert isinstance(alias, ast.Assign) and ast.unparse(alias) == "Alias = list[T]"
    assert alias.targets[0].col_offset == 0 and alias.value.lineno == 1
    assert isinstance(cls, ast.ClassDef) and cls.name == "C"
    assert isinstance(func, ast.FunctionDef) and func.name == "f"
    assert isinstance(handler, ast.Try)
    kinds = handler.handlers[0].type
    assert isinstance(kinds, ast.Tuple) and ast.unparse(kinds) == "(ValueError, TypeError)"
    assert isinstance(tstring, ast.Assign) and isinstance(tstring.value, ast.JoinedStr)


def test_host_parsable_files_never_load_libcst(tmp_path: Path) -> None:
    (tmp_path / "m.py").write_text('U = "postgresql://a:s3cret@h/d"\n')
    code = (
        "import sys\nfrom dbctl.cli import main\n"
        "sys.argv = ['dbctl', 'lint', '--no-cache', '--exit-zero', 'm.py']\n"
        "try:\n    main()\nexcept SystemExit:\n    pass\n"
        "print('LIBCST' if 'libcst' in sys.modules else 'NO-LIBCST', file=sys.stderr)\n"
    )
    proc = subprocess.run(
        [sys.executable, "-c", code], cwd=tmp_path, capture_output=True, text=True, timeout=60
    )
    assert proc.stderr.strip().endswith("NO-LIBCST"), proc.stderr

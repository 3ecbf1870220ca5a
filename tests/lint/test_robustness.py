"""Bad input files are reported (DBC000 or an errors entry); the rest is still linted."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import dbctl.lint.engine as engine_mod
from dbctl.lint.engine import analyze
from tests.lint.conftest import FIXTURES, run_lint

GOOD = 'URL = "postgresql://app:s3cret@db/app"\n'


def _by_path(result):
    return {f.path: (f.code, f.line, f.message) for f in result.findings}


@pytest.mark.parametrize(
    ("content", "line", "fragment"),
    [
        (b"def broken(:\n    pass\n", 1, "cannot parse"),
        (b"x = 1\ny = '\xff\xfe'\n", 2, "cannot parse"),
        (b"x = 1\ny = 2\x00\n", 2, "NUL byte"),
        (b"x = 1\n  y = 2\n", 2, "cannot parse"),
        (("x = " + "+".join(["a"] * 200_000) + "\n").encode(), 1, "nested too deeply"),
        (("x = " + "(" * 300 + "1" + ")" * 300 + "\n").encode(), 1, "cannot parse"),
    ],
    ids=["syntax", "undecodable", "nul", "indent", "recursion", "parens"],
)
def test_bad_file_is_dbc000_and_rest_is_linted(
    lint_tree, content: bytes, line: int, fragment: str
) -> None:
    result = lint_tree({"bad.py": content, "good.py": GOOD})
    found = _by_path(result)
    assert found["good.py"][0] == "DBC201"
    code, got_line, message = found["bad.py"]
    assert (code, got_line) == ("DBC000", line)
    assert fragment in message
    assert result.errors == []


def test_pep263_latin1_file_is_parsed(lint_tree) -> None:
    content = "# -*- coding: latin-1 -*-\nNAME = 'café'\n".encode("latin-1") + GOOD.encode()
    result = lint_tree({"latin.py": content})
    assert [(f.code, f.line) for f in result.findings] == [("DBC201", 3)]


def test_utf8_bom_file_is_parsed(lint_tree) -> None:
    result = lint_tree({"bom.py": b"\xef\xbb\xbf" + GOOD.encode()})
    assert [(f.code, f.line) for f in result.findings] == [("DBC201", 1)]


@pytest.mark.slow
def test_ten_megabyte_file(lint_tree) -> None:
    body = "def f{0}(x):\n    return x + {0}\n\n"
    big = "".join(body.format(i) for i in range(300_000))
    assert len(big) > 10_000_000
    # over the default size cap: skipped with a notice; a raised cap lints it
    result = lint_tree({"big.py": big + GOOD})
    assert result.findings == [] and result.errors == []
    assert [(n.path, n.message.split(":")[0]) for n in result.notices] == [("big.py", "skipped")]
    result = lint_tree({}, max_file_size=20_000_000)
    assert [f.code for f in result.findings] == ["DBC201"]


def test_symlink_loop_and_broken_link_are_errors(lint_tree, tmp_path: Path) -> None:
    (tmp_path / "pkg").mkdir()
    os.symlink("loop.py", tmp_path / "pkg" / "loop.py")
    os.symlink("missing.py", tmp_path / "pkg" / "dangling.py")
    os.symlink(".", tmp_path / "pkg" / "self")  # a directory loop: not followed
    result = lint_tree({"pkg/good.py": GOOD})
    assert [f.path for f in result.findings] == ["pkg/good.py"]
    assert {(e.path, e.message) for e in result.errors} == {
        ("pkg/loop.py", "symlink loop"),
        ("pkg/dangling.py", "broken symlink"),
    }


def test_fifo_is_not_read(lint_tree, tmp_path: Path) -> None:
    os.mkfifo(tmp_path / "pipe.py")
    result = lint_tree({"good.py": GOOD})
    assert [(e.path, e.message) for e in result.errors] == [("pipe.py", "not a regular file")]
    assert len(result.findings) == 1


def test_missing_explicit_path_is_an_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    result = run_lint([Path("nope.py")], tmp_path)
    assert [(e.path, e.message) for e in result.errors] == [
        ("nope.py", "no such file or directory")
    ]


def test_unreadable_file_is_dbc000(lint_tree, monkeypatch: pytest.MonkeyPatch) -> None:
    # running as root, chmod 000 does not stop reading: make the read itself fail
    real_read = engine_mod._read

    def failing_read(path: str, max_size: int | None = None) -> bytes:
        if os.path.basename(path) == "secret.py":
            raise PermissionError(13, "Permission denied")
        return real_read(path, max_size)

    monkeypatch.setattr(engine_mod, "_read", failing_read)
    result = lint_tree({"secret.py": GOOD, "good.py": GOOD})
    found = _by_path(result)
    assert found["secret.py"] == ("DBC000", 1, "cannot read: permission denied")
    assert found["good.py"][0] == "DBC201"


def test_unreadable_directory_is_an_error(
    lint_tree, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    real_scandir = os.scandir

    def failing_scandir(path):
        if str(path).endswith("locked"):
            raise PermissionError(13, "Permission denied")
        return real_scandir(path)

    monkeypatch.setattr(engine_mod.os, "scandir", failing_scandir)
    result = lint_tree({"locked/a.py": GOOD, "good.py": GOOD})
    assert [(e.path, e.message) for e in result.errors] == [("locked", "permission denied")]
    assert [f.path for f in result.findings] == ["good.py"]


_FIXTURE_TEXTS = [p.read_bytes() for p in sorted(FIXTURES.glob("*.py"))]


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.text(max_size=400))
def test_arbitrary_text_never_raises(text: str) -> None:
    summary = analyze("fuzz.py", text.encode("utf-8", errors="surrogatepass"))
    assert isinstance(summary["findings"], list)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.sampled_from(_FIXTURE_TEXTS),
    st.lists(
        st.tuples(st.integers(0, 10_000), st.integers(0, 40), st.binary(max_size=8)), max_size=6
    ),
)
def test_mutated_fixtures_never_raise(original: bytes, edits: list[tuple[int, int, bytes]]) -> None:
    data = bytearray(original)
    for pos, cut, insert in edits:
        pos %= len(data) + 1
        data[pos : pos + cut] = insert
    summary = analyze("mutant.py", bytes(data))
    for finding in summary["findings"]:
        assert finding[0].startswith("DBC")
    for deferred in summary["deferred"]:
        assert deferred[0].startswith("DBC")


def test_internal_rule_error_is_reported_not_raised(monkeypatch: pytest.MonkeyPatch) -> None:
    def boom(rel: str, data: bytes):
        raise KeyError("bug")

    monkeypatch.setattr(engine_mod, "_analyze", boom)
    summary = analyze("x.py", b"x = 1\n")
    assert summary["findings"][0][0] == "DBC000"
    assert "internal error" in summary["findings"][0][5]


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.lists(st.sampled_from(_FIXTURE_TEXTS), min_size=1, max_size=4),
    st.lists(
        st.tuples(st.integers(0, 10_000), st.integers(0, 40), st.binary(max_size=8)), max_size=4
    ),
)
def test_mutated_projects_through_the_whole_engine(
    originals: list[bytes], edits: list[tuple[int, int, bytes]]
) -> None:
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        for i, original in enumerate(originals):
            data = bytearray(original)
            for pos, cut, insert in edits:
                pos %= len(data) + 1
                data[pos : pos + cut] = insert
            (root / f"m{i}.py").write_bytes(bytes(data))
        result = run_lint([root], root)
        assert result.files == len(originals)
        assert all(f.code.startswith("DBC") and f.line >= 1 for f in result.findings)


@pytest.mark.skipif(not Path("/proc/self/mem").exists(), reason="needs Linux /proc")
def test_really_unreadable_file_even_for_root(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # /proc/self/mem is a regular file whose read fails with EIO, also for root
    monkeypatch.chdir(tmp_path)
    (tmp_path / "good.py").write_text(GOOD)
    result = run_lint([Path("/proc/self/mem"), Path("good.py")], tmp_path)
    by_code = {(f.code, f.message) for f in result.findings}
    assert ("DBC000", "cannot read: input/output error") in by_code
    assert any(f.code == "DBC201" and f.path == "good.py" for f in result.findings)


_PW_ALPHABET = st.characters(
    min_codepoint=33, max_codepoint=0x2FFF, exclude_characters="'\"`<>\\{}$%*"
)


@settings(max_examples=200, deadline=None)
@given(password=st.text(_PW_ALPHABET, min_size=4, max_size=24))
def test_dsn_password_never_in_message(password: str) -> None:
    from dbctl.lint.secrets import url_secrets

    url = f"postgresql+asyncpg://app:{password}@db.example:5432/app"
    if password in url.replace(f":{password}@", ":@", 1):
        return  # the password also spells another part of the URL
    source = f"URL = {url!r}\n".encode()
    summary = analyze("m.py", source)
    messages = [f[5] for f in summary["findings"]]
    # the rule's own words may spell the password ('data' in "database"): look past them
    fixed = "hardcoded password in database URL"
    assert all(password not in m.replace(fixed, "") for m in messages)
    if url_secrets(url):
        assert messages and all("app:***@" in m for m in messages)

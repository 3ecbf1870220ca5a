"""[tool.dbctl.lint] + flags -> LintConfig; prefixes expanded; unknown codes are exit 2."""

from __future__ import annotations

from pathlib import Path

import pytest

from dbctl.errors import ConfigError, UsageError
from dbctl.lint.config import expand, load_lint_config, split_codes

KNOWN = ("DBC000", "DBC101", "DBC103", "DBC201", "DBC202", "DBC203", "DBC301", "DBC303")


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


def test_expand_codes_prefixes_all_case_insensitive() -> None:
    assert expand(["DBC2"], KNOWN, "x") == {"DBC201", "DBC202", "DBC203"}
    assert expand(["dbc101", "DBC30"], KNOWN, "x") == {"DBC101", "DBC301", "DBC303"}
    assert expand(["DBC"], KNOWN, "x") == set(KNOWN)
    assert expand(["ALL"], KNOWN, "x") == set(KNOWN)


@pytest.mark.parametrize("bad", ["DBC999", "DBC4", "E501", "D", "", "DBC2011"])
def test_unknown_code_or_prefix_is_a_usage_error(bad: str) -> None:
    with pytest.raises(UsageError) as info:
        expand([bad], KNOWN, "--select")
    assert info.value.exit_code == 2
    assert f"'{bad}' in --select" in info.value.message


def test_split_codes_accepts_commas_and_repeats() -> None:
    assert split_codes(["DBC201, DBC3", "DBC1", ""]) == ("DBC201", "DBC3", "DBC1")
    assert split_codes(None) == ()


def test_defaults_without_pyproject(tmp_path: Path) -> None:
    cfg = load_lint_config(cwd=tmp_path, known=KNOWN)
    assert cfg.enabled == set(KNOWN)
    assert cfg.per_file_ignores == ()
    assert cfg.exclude == ()
    assert cfg.use_cache is True
    assert cfg.root == tmp_path.resolve()
    assert cfg.cache_dir == tmp_path.resolve() / ".dbctl_cache"


def test_pyproject_table_is_read_from_the_nearest_pyproject(tmp_path: Path) -> None:
    write(
        tmp_path / "pyproject.toml",
        """
[project]
name = "app"

[tool.dbctl]
models = "app.models:Base"

[tool.dbctl.lint]
select = ["DBC1", "DBC2"]
ignore = ["DBC203"]
exclude = ["migrations/", "legacy_*.py"]

[tool.dbctl.lint.per-file-ignores]
"tests/**" = ["DBC2"]
"scripts/*.py" = ["DBC101"]
""",
    )
    sub = tmp_path / "app" / "api"
    sub.mkdir(parents=True)
    cfg = load_lint_config(cwd=sub, known=KNOWN)
    assert cfg.enabled == {"DBC000", "DBC101", "DBC103", "DBC201", "DBC202"}
    assert cfg.exclude == ("migrations/", "legacy_*.py")
    assert cfg.per_file_ignores == (
        ("tests/**", frozenset({"DBC201", "DBC202", "DBC203"})),
        ("scripts/*.py", frozenset({"DBC101"})),
    )
    assert cfg.root == tmp_path.resolve()  # globs are relative to the pyproject
    assert cfg.cache_dir == tmp_path.resolve() / ".dbctl_cache"


def test_flags_merge_with_the_file(tmp_path: Path) -> None:
    write(
        tmp_path / "pyproject.toml",
        '[tool.dbctl.lint]\nselect = ["DBC1"]\nignore = ["DBC103"]\nexclude = ["gen/"]\n',
    )
    # --select replaces select; --ignore adds to ignore; --exclude adds to exclude
    cfg = load_lint_config(
        cwd=tmp_path, known=KNOWN, select=["DBC2,DBC103"], ignore=["DBC202"], exclude=["x.py"]
    )
    assert cfg.enabled == {"DBC000", "DBC201", "DBC203"}
    assert cfg.exclude == ("gen/", "x.py")
    cfg = load_lint_config(cwd=tmp_path, known=KNOWN, no_cache=True)
    assert cfg.enabled == {"DBC000", "DBC101"}
    assert cfg.use_cache is False


def test_parse_errors_stay_on_unless_ignored_explicitly(tmp_path: Path) -> None:
    assert "DBC000" in load_lint_config(cwd=tmp_path, known=KNOWN, select=["DBC201"]).enabled
    cfg = load_lint_config(cwd=tmp_path, known=KNOWN, select=["DBC201"], ignore=["DBC000"])
    assert cfg.enabled == {"DBC201"}
    cfg = load_lint_config(cwd=tmp_path, known=KNOWN, ignore=["DBC"])
    assert cfg.enabled == set()


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ('select = ["DBC7"]', "unknown rule code or prefix 'DBC7' in 'select' of"),
        ('ignore = ["X1"]', "unknown rule code or prefix 'X1' in 'ignore' of"),
        ('per-file-ignores = {"t/**" = ["DBC5"]}', "'DBC5' in per-file-ignores 't/**'"),
        ('selcet = ["DBC1"]', "unknown key 'selcet' in [tool.dbctl.lint]"),
        ("select = 3", "'select' in [tool.dbctl.lint]"),
        ('per-file-ignores = ["x"]', "must be a table of glob = [codes]"),
        ("select = [", "cannot read"),
    ],
)
def test_invalid_configuration_is_exit_2(tmp_path: Path, body: str, message: str) -> None:
    write(tmp_path / "pyproject.toml", "[tool.dbctl.lint]\n" + body + "\n")
    with pytest.raises(UsageError) as info:
        load_lint_config(cwd=tmp_path, known=KNOWN)
    assert info.value.exit_code == 2
    assert message in info.value.message


def test_invalid_configuration_through_the_cli(cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    write(tmp_path / "pyproject.toml", '[tool.dbctl.lint]\nignore = ["nope"]\n')
    res = cli("lint")
    assert res.exit_code == 2
    assert res.stderr.startswith("error: unknown rule code or prefix 'nope'")
    assert "Traceback" not in res.all and res.stdout == ""


def test_config_error_class_for_file_problems(tmp_path: Path) -> None:
    write(tmp_path / "pyproject.toml", "[tool.dbctl.lint]\nfoo = 1\n")
    with pytest.raises(ConfigError):
        load_lint_config(cwd=tmp_path, known=KNOWN)

"""Packaging: the distribution name, its metadata, the LICENSE in sdist and wheel, the links."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import tarfile
import tomllib
import urllib.request
import zipfile
from importlib import metadata
from pathlib import Path

import pytest

from dbctl import DISTRIBUTION, REPOSITORY
from dbctl.lint import docs as rule_docs
from dbctl.lint.registry import ALL_RULES

ROOT = Path(__file__).resolve().parent.parent
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text())
PROJECT = PYPROJECT["project"]

#: Every file a user copies install commands from.
USER_DOCS = [
    ROOT / "README.md",
    *sorted((ROOT / "docs").glob("*.md")),
    ROOT / "docs" / "github-workflow.yml",
    ROOT / ".pre-commit-hooks.yaml",
    *sorted((ROOT / "examples").rglob("*.md")),
]


def test_the_distribution_is_named_as_the_code_says_and_the_command_stays_dbctl() -> None:
    assert PROJECT["name"] == DISTRIBUTION == "fastapi-dbctl"
    assert PROJECT["scripts"] == {"dbctl": "dbctl.cli:main"}
    installed = metadata.metadata(DISTRIBUTION)
    assert installed["Name"] == DISTRIBUTION
    assert any(ep.name == "dbctl" for ep in metadata.entry_points(group="console_scripts"))


def test_metadata_names_the_repository_the_code_links_to() -> None:
    urls = PROJECT["urls"]
    assert urls["Repository"] == REPOSITORY
    assert all(url.startswith(REPOSITORY) for url in urls.values())
    project_urls = metadata.metadata(DISTRIBUTION).get_all("Project-URL") or []
    assert f"Repository, {REPOSITORY}" in project_urls


def test_metadata_has_authors_classifiers_and_a_license() -> None:
    assert PROJECT["authors"]
    assert PROJECT["license"] == "MIT"
    classifiers = PROJECT["classifiers"]
    assert "Programming Language :: Python :: 3.11" in classifiers
    # one classifier per supported minor version, from requires-python up
    floor = re.fullmatch(r">=3\.(\d+)", PROJECT["requires-python"])
    assert floor
    minors = {
        int(m)
        for c in classifiers
        for m in re.findall(r"^Programming Language :: Python :: 3\.(\d+)$", c)
    }
    assert min(minors) == int(floor.group(1))
    assert "MIT License" in (ROOT / "LICENSE").read_text()


def test_sarif_help_links_point_at_docs_rules_md_in_that_repository() -> None:
    rules_md = (ROOT / "docs" / "rules.md").read_text()
    for rule in ALL_RULES:
        uri = rule_docs.help_uri(rule)
        assert uri.startswith(f"{REPOSITORY}/blob/main/docs/rules.md#")
        # the anchor is a heading of docs/rules.md (GitHub lower-cases heading anchors)
        assert f"## {rule.code} {rule.name}".lower() in rules_md.lower()


def test_docs_install_the_distribution_not_the_other_projects_dbctl() -> None:
    """`pip install dbctl` installs an unrelated program: no doc may say it."""
    wrong = re.compile(r"pip install\s+(?:-\S+\s+)*['\"]?dbctl\b")
    for path in USER_DOCS:
        text = path.read_text()
        assert not wrong.search(text), f"{path.relative_to(ROOT)} installs the wrong 'dbctl'"
    workflow = (ROOT / "docs" / "github-workflow.yml").read_text()
    assert f"pip install {DISTRIBUTION}" in workflow
    assert f"repo: {REPOSITORY}" in (ROOT / "docs" / "ci.md").read_text()


@pytest.mark.slow
def test_sdist_and_wheel_carry_the_license(tmp_path: Path) -> None:
    subprocess.run(
        [sys.executable, "-m", "hatchling", "build", "-d", str(tmp_path)],
        cwd=ROOT,
        check=True,
        capture_output=True,
        timeout=300,
    )
    (wheel,) = tmp_path.glob("*.whl")
    (sdist,) = tmp_path.glob("*.tar.gz")
    assert wheel.name.startswith("fastapi_dbctl-")
    with zipfile.ZipFile(wheel) as zf:
        names = zf.namelist()
        assert any(
            re.fullmatch(r"fastapi_dbctl-[^/]+\.dist-info/licenses/LICENSE", n) for n in names
        )
        meta_name = next(n for n in names if n.endswith(".dist-info/METADATA"))
        meta = zf.read(meta_name).decode()
    assert "License-Expression: MIT" in meta
    assert f"Project-URL: Repository, {REPOSITORY}" in meta
    with tarfile.open(sdist) as tf:
        members = tf.getnames()
    assert any(m.endswith("/LICENSE") and m.count("/") == 1 for m in members)


def _index_url() -> str:
    return os.environ.get("PIP_INDEX_URL", "https://pypi.org/simple").rstrip("/")


def _index_reachable() -> bool:
    """The package index answers for a project that certainly exists (pip itself)."""
    try:
        with urllib.request.urlopen(f"{_index_url()}/pip/", timeout=15) as response:
            return bool(response.status == 200)
    except OSError:
        return False


@pytest.mark.slow
def test_the_distribution_name_is_free_on_the_package_index(tmp_path: Path) -> None:
    """`pip download --no-deps fastapi-dbctl` finds nothing: the name is nobody else's.

    Skipped only when the index does not answer for `pip` itself (offline); when it does,
    any other outcome than "no matching distribution" fails.
    """
    if not _index_reachable():
        pytest.skip(f"the package index {_index_url()} is not reachable (offline)")
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "download",
            "--no-deps",
            "--no-cache-dir",
            "--dest",
            str(tmp_path),
            DISTRIBUTION,
        ],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode != 0, f"{DISTRIBUTION} exists on the index: {result.stdout}"
    assert f"No matching distribution found for {DISTRIBUTION}" in result.stderr
    assert list(tmp_path.iterdir()) == []

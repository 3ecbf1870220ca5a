"""QA: the --help of every command that takes a database URL names it the same way."""

from __future__ import annotations

from typing import Any

import pytest


@pytest.mark.parametrize(
    "command",
    [
        ["check"],
        ["config"],
        ["init-db"],
        ["seed"],
        ["users", "list"],
        ["users", "count"],
        ["preflight"],
    ],
)
def test_url_option_metavar_is_url(cli: Any, command: list[str]) -> None:
    r = cli(*command, "--help")
    assert r.exit_code == 0
    assert "--url URL" in r.stdout

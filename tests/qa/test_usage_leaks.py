"""QA: usage errors echo the command line; a URL given in the wrong place must not leak."""

from __future__ import annotations

from typing import Any

import pytest

from tests.conftest import CANARY

URL = f"postgresql+asyncpg://app:{CANARY}@127.0.0.1:5432/app"
RAW_AT = "postgresql://app:Can@ry-7f3Qx-pw@db/app"  # an unencoded '@' in the password


@pytest.mark.parametrize(
    "args",
    [
        ["check", URL],  # "Got unexpected extra argument(s) (...)"
        ["users", "list", URL],
        ["config", URL, URL],
        ["check", "--format", URL],  # "'...' is not one of 'human', 'json'"
        [URL],  # "No such command '...'"
        ["sandbox", URL],
        ["check", RAW_AT],
    ],
)
def test_usage_error_masks_the_password(cli: Any, args: list[str]) -> None:
    r = cli(*args)
    assert r.exit_code == 2
    assert r.stderr.startswith("error: ") and len(r.stderr.splitlines()) == 1
    assert CANARY not in r.all and "Can@ry" not in r.all and "ry-7f3Qx" not in r.all
    assert ":***@" in r.stderr

"""QA: a URL with a bad `ssl=` value: the "corrected URL" dbctl goes on with is corrected,
the hint names the values ssl takes, and the password stays masked."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import CANARY
from tests.prestart.conftest import run_dbctl

BASE = f"postgresql+asyncpg://app:{CANARY}@127.0.0.1:1/app"
SHOWN = "postgresql+asyncpg://app:***@127.0.0.1:1/app"
MODES = "disable, allow, prefer, require, verify-ca, verify-full"


@pytest.mark.parametrize(
    ("query", "corrected"),
    [
        ("ssl=bogus", SHOWN),  # no evident meaning: dbctl goes on without it
        ("ssl=true", f"{SHOWN}?ssl=verify-full"),  # asyncpg's ssl=True
        ("ssl=off", f"{SHOWN}?ssl=disable"),
        ("sslmode=bogus", SHOWN),
    ],
)
def test_bad_ssl_value(tmp_path: Path, query: str, corrected: str) -> None:
    # the corrected URL was the URL as given (?ssl=bogus), and the hint was about
    # statement_cache_size; for sslmode=bogus it said "sslmode=bogus -> ssl=bogus"
    r = run_dbctl("check", "--offline", "--url", f"{BASE}?{query}", cwd=tmp_path, timeout=60)
    assert r.returncode == 1, r.all
    first, hint = r.stdout.splitlines()[:2]
    assert first.endswith(
        f"(the other checks use the corrected URL {corrected}) "
        f"[config.{'libpq_param' if query.startswith('sslmode') else 'bad_parameter'}]"
    ), first
    assert hint.strip().startswith("hint: ") and "-> ssl=bogus" not in hint
    assert hint.strip().endswith(
        f"ssl takes one of {MODES} (an SSLContext goes in "
        "create_async_engine(url, connect_args={'ssl': context}))"
    ), hint
    assert CANARY not in r.all

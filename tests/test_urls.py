"""URL hygiene: every config.* code, the corrected URL, and masking."""

from __future__ import annotations

from urllib.parse import quote

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from dbctl.urls import analyze_url, mask_url_text

CANARY = "Canary-7f3Qx-pw"


def codes(url: str) -> list[str]:
    return [p.code for p in analyze_url(url).problems]


def test_clean_url_has_no_problems() -> None:
    a = analyze_url(f"postgresql+asyncpg://app:{CANARY}@db.internal:5433/app")
    assert a.problems == ()
    assert a.url is not None
    assert a.url.host == "db.internal" and a.url.port == 5433 and a.url.database == "app"
    assert a.url.password is not None and a.url.password.get_secret_value() == CANARY
    assert a.url.masked() == "postgresql+asyncpg://app:***@db.internal:5433/app"
    assert CANARY not in repr(a.url) and CANARY not in str(a.url)


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("postgres://app:pw@h/db", ["config.unsupported_scheme"]),
        ("postgresql://app:pw@h/db", ["config.sync_driver"]),
        ("postgresql+psycopg2://app:pw@h/db", ["config.sync_driver"]),
        ("postgresql+pg8000://app:pw@h/db", ["config.sync_driver"]),
        ("postgresql+asyncpg://app:pw@h/db?sslmode=require", ["config.libpq_param"]),
        ("postgresql+asyncpg://app:pw@h/db?connect_timeout=3", ["config.libpq_param"]),
        ("postgresql+asyncpg://app:pw@h/db?application_name=x", ["config.libpq_param"]),
        (
            "postgresql+asyncpg://app:pw@h/db?options=-c%20statement_timeout%3D5s",
            ["config.libpq_param"],
        ),
        ("postgresql+asyncpg://app:p@ss@h/db", ["config.unencoded_password"]),
        ("postgresql+asyncpg://app:p/ss@h/db", ["config.unencoded_password"]),
        ("postgresql+asyncpg://app:p#ss@h/db", ["config.unencoded_password"]),
        ("postgresql+asyncpg://app:100%@h/db", ["config.unencoded_password"]),
        (
            "postgres://app:p@ss@h/db?sslmode=disable",
            ["config.unsupported_scheme", "config.unencoded_password", "config.libpq_param"],
        ),
    ],
)
def test_problems_are_found_and_url_corrected(url: str, expected: list[str]) -> None:
    a = analyze_url(url)
    assert [p.code for p in a.problems] == expected
    assert a.url is not None, "a fixable URL yields a corrected URL"
    assert a.url.scheme == "postgresql+asyncpg"
    assert a.url.host == "h" and a.url.database == "db"
    for p in a.problems:
        assert p.hint


def test_unencoded_password_keeps_the_intended_password() -> None:
    a = analyze_url("postgresql+asyncpg://app:p@ss/w#rd@db:5432/app")
    assert a.url is not None and a.url.password is not None
    assert a.url.password.get_secret_value() == "p@ss/w#rd"
    assert a.url.host == "db" and a.url.port == 5432
    assert "p%40ss%2Fw%23rd" in a.url.render_secret()


def test_encoded_password_is_decoded() -> None:
    a = analyze_url(f"postgresql+asyncpg://app:{quote('a@b/c', safe='')}@h/db")
    assert a.problems == ()
    assert a.url is not None and a.url.password is not None
    assert a.url.password.get_secret_value() == "a@b/c"


def test_libpq_params_are_translated() -> None:
    a = analyze_url(
        "postgresql+asyncpg://u:p@h/db?sslmode=require&application_name=api&connect_timeout=3"
    )
    assert a.url is not None
    kwargs = a.url.asyncpg_kwargs(timeout=5)
    assert kwargs["ssl"] == "require"
    assert kwargs["server_settings"] == {"application_name": "api"}
    assert kwargs["timeout"] == 5
    assert "sslmode" not in a.url.render_secret()


@pytest.mark.parametrize(
    ("url", "code"),
    [
        ("", "config.invalid_url"),
        ("localhost:5432/db", "config.invalid_url"),
        ("postgresql+asyncpg://u:p@h:port/db", "config.invalid_url"),
        ("postgresql+asyncpg://u:p@h:70000/db", "config.invalid_url"),
        ("mysql://u:p@h/db", "config.unsupported_scheme"),
        ("postgresql+nosuch://u:p@h/db", "config.unsupported_scheme"),
    ],
)
def test_unusable_urls(url: str, code: str) -> None:
    a = analyze_url(url)
    assert a.url is None
    assert a.fatal is not None and a.fatal.code == code


def test_multi_host_forms() -> None:
    a = analyze_url("postgresql+asyncpg://u:p@/db?host=h1:5432&host=h2:5433")
    assert a.url is not None
    assert a.url.hosts == (("h1", 5432), ("h2", 5433))
    kw = a.url.asyncpg_kwargs(timeout=1)
    assert kw["host"] == ["h1", "h2"] and kw["port"] == [5432, 5433]


def test_mask_raw_text_even_when_unparseable() -> None:
    assert mask_url_text(f"postgresql://u:{CANARY}@h:port/db") == "postgresql://u:***@h:port/db"
    assert CANARY not in mask_url_text(f"weird://u:{CANARY}@")


password_text = st.text(
    alphabet=st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00\n\r"),
    min_size=6,
    max_size=30,
).filter(lambda s: s.strip() == s and len(set(s)) > 3)


def _shown(raw: str) -> list[str]:
    """Every text dbctl can show about a URL: the mask, problems and hints, renderings."""
    a = analyze_url(raw)
    shown = [mask_url_text(raw)] + [p.message + p.hint for p in a.problems]
    if a.url is not None:
        shown.append(a.url.masked())
        shown.append(repr(a.url))
    return shown


@given(password=password_text)
def test_no_password_in_any_message_or_mask(password: str) -> None:
    template = "postgres://app:{}@db.example:5432/app?sslmode=require"
    # a "password" that is part of the public text shown for this URL anyway (e.g.
    # "postgr", "sqlalc" from a hint naming SQLAlchemy) proves nothing
    public = " ".join(_shown(template.format("Pw0rd-ref")))
    assume(password not in public + " postgresql+asyncpg***")
    for pw in (password, quote(password, safe="")):
        for text in _shown(template.format(pw)):
            assert password not in text

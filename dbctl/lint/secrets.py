"""The linter's one parser of connection strings and their secrets.

Three forms carry a password:

- URLs ``scheme://user:password@host/db?password=…&sslpassword=…`` (userinfo and the
  libpq query parameters ``password`` and ``sslpassword``; ``passfile`` names a file,
  which is never read);
- libpq key/value strings ``host=db dbname=app password=s3cret`` (values may be quoted
  ``'it''s'``-style with backslash escapes);
- ODBC strings ``Driver={…};Server=db;UID=app;PWD=s3cret`` (``Password=``/``PWD=``).

Each finder returns the secret-bearing parts with a masked rendering (``***`` in place
of every secret), the only text a message may show. URL splitting follows
:mod:`dbctl.urls`, which imports pydantic; the linter must not, so the few lines that
split userinfo from host live here too. Nothing here imports more than the standard
library.
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass

MASK = "***"
SYNC_DRIVERS = frozenset({"psycopg2", "psycopg2cffi", "pg8000", "pygresql", "py-postgresql"})
DB_SCHEMES = ("postgresql", "postgres", "mysql", "mariadb", "mssql", "oracle", "cockroachdb",
              "redshift", "timescaledb")
#: query parameters of a URL whose value is a secret (the same as
#: ``dbctl.dialect.SECRET_PARAMS``, which costs ~10 ms to import: a test keeps them equal)
SECRET_PARAMS = frozenset({"password", "sslpassword"})
PASSWORD_NAME_RE = re.compile(r"(?:^|_|\b)(?:password|passwd|pwd|pass)(?:$|_|\b)", re.IGNORECASE)
#: The interpolation sentinel put in place of f-string fields.
FIELD = "\x00"

_SCHEME_RE = re.compile(r"^([A-Za-z][A-Za-z0-9+.\-]*)://(.*)$", re.DOTALL)
_HOSTPART_RE = re.compile(r"^(\[[^\]/?#@]*\]|[^/?#@\[\]\s]*)(:[^/?#@\s]*)?(?:[/?]|$)")
_URL_RE = re.compile(
    r"\b((?:" + "|".join(DB_SCHEMES) + r")(?:\+[A-Za-z0-9_]+)?)://([^\s'\"<>`]*)",
    re.IGNORECASE,
)
_PLACEHOLDER_CHARS = re.compile(r"\$|\{|\}|%s|%\(|^<.*>$|\x00")
_FILLER_RE = re.compile(r"^[*xX.…?_-]*$")
_QUERY_SECRET_RE = re.compile(
    r"(?P<head>[?&;](?:" + "|".join(SECRET_PARAMS) + r")=)(?P<value>[^&#\s'\"]*)", re.IGNORECASE
)

# libpq: keyword = value, whitespace-separated; a value is bare or single-quoted
_LIBPQ_PAIR_RE = re.compile(r"([A-Za-z_]+)\s*=\s*('(?:[^'\\]|\\.)*'?|[^\s']*)")
_LIBPQ_KEYS = frozenset(
    {"host", "hostaddr", "port", "dbname", "user", "password", "passfile", "sslmode",
     "connect_timeout", "application_name", "options", "service", "target_session_attrs",
     "sslpassword", "sslrootcert", "sslcert", "sslkey", "channel_binding", "gssencmode"}
)
_LIBPQ_SECRET_KEYS = frozenset({"password", "sslpassword"})
# ODBC / ADO.NET: key=value;…  a value may be {braced; with ;}
_ODBC_PAIR_RE = re.compile(r"\s*([^=;{}]+?)\s*=\s*(\{(?:[^}]|\}\})*\}?|[^;]*)(?:;|$)")
_ODBC_KEYS = frozenset(
    {"driver", "server", "database", "uid", "user id", "user", "pwd", "password", "dsn",
     "host", "port", "data source", "initial catalog", "trusted_connection", "encrypt",
     "address", "addr", "network address", "username"}
)
_ODBC_SECRET_KEYS = frozenset({"pwd", "password"})
#: names of variables/arguments that hold a connection string
DSN_NAME_RE = re.compile(
    r"dsn|conninfo|conn_?str(?:ing)?|connection_?str(?:ing)?|connect_?str(?:ing)?|"
    r"database_?ur[il]|db_?ur[il]|odbc",
    re.IGNORECASE,
)


def is_placeholder(password: str, user: str = "") -> bool:
    """A password that is a template, not a secret (``${VAR}``, ``{{x}}``, ``%s``, ``***``)."""
    if not password or _PLACEHOLDER_CHARS.search(password) or _FILLER_RE.match(password):
        return True
    # Alembic's stock alembic.ini: driver://user:pass@localhost/dbname
    return user.lower() in {"user", "username"} and password.lower() in {"pass", "password"}


def split_userinfo(rest: str) -> tuple[str | None, str]:
    """Split ``userinfo@hostpart`` at the ``@`` after which a plausible host part starts."""
    positions = [i for i, ch in enumerate(rest) if ch == "@"]
    for at in reversed(positions):
        if _HOSTPART_RE.match(rest[at + 1 :]):
            return rest[:at], rest[at + 1 :]
    if positions:
        return rest[: positions[-1]], rest[positions[-1] + 1 :]
    return None, rest


def _mask_query(text: str) -> str:
    return _QUERY_SECRET_RE.sub(lambda m: m.group("head") + MASK, text)


def mask_url_text(raw: str) -> str:
    """The URL with every secret (userinfo password, ``?password=``, ``?sslpassword=``)
    replaced by ``***``."""
    m = _SCHEME_RE.match(raw.strip())
    if not m:
        return MASK
    userinfo, hostpart = split_userinfo(m.group(2))
    if userinfo is None:
        return _mask_query(m.group(0))
    user, sep, _ = userinfo.partition(":")
    return f"{m.group(1)}://{user}{':' + MASK if sep else ''}@{_mask_query(hostpart)}"


@dataclass(frozen=True, slots=True)
class UrlSecret:
    """A connection string with a literal secret: where it is in the text, and how to show it."""

    start: int  # offset in the text
    end: int
    masked: str


def _query_has_secret(hostpart: str) -> bool:
    return any(
        not is_placeholder(m.group("value")) for m in _QUERY_SECRET_RE.finditer(hostpart)
    )


def url_secrets(text: str) -> list[UrlSecret]:
    """Database URLs with a literal (non-placeholder) password inside ``text``."""
    out: list[UrlSecret] = []
    if "://" not in text:
        return out
    for m in _URL_RE.finditer(text):
        userinfo, hostpart = split_userinfo(m.group(2))
        secret = _query_has_secret(hostpart)
        if userinfo is not None:
            user, sep, password = userinfo.partition(":")
            secret = secret or bool(sep and not is_placeholder(password, user))
        if secret:
            masked = mask_url_text(m.group(0)).replace(FIELD, "{…}")
            out.append(UrlSecret(m.start(), m.end(), masked))
    return out


def _libpq_pairs(text: str) -> list[tuple[str, str, int, int]] | None:
    """(key, value, value start, value end) of a libpq key/value string, or ``None``
    when ``text`` is not one (a stray word, an unknown keyword)."""
    pairs: list[tuple[str, str, int, int]] = []
    position = 0
    length = len(text)
    while position < length:
        while position < length and text[position].isspace():
            position += 1
        if position >= length:
            break
        m = _LIBPQ_PAIR_RE.match(text, position)
        if m is None or m.group(1).lower() not in _LIBPQ_KEYS:
            return None
        raw = m.group(2)
        value = raw[1:-1] if raw.startswith("'") and len(raw) > 1 else raw
        pairs.append((m.group(1).lower(), value.replace("\\'", "'"), m.start(2), m.end(2)))
        position = m.end()
    return pairs if len(pairs) >= 2 else None


def _odbc_pairs(text: str) -> list[tuple[str, str, int, int]] | None:
    if ";" not in text:
        return None
    pairs: list[tuple[str, str, int, int]] = []
    position = 0
    while position < len(text):
        m = _ODBC_PAIR_RE.match(text, position)
        if m is None or m.end() == position:
            return None
        raw = m.group(2).strip()
        value = raw[1:-1].replace("}}", "}") if raw.startswith("{") else raw
        pairs.append((m.group(1).strip().lower(), value, m.start(2), m.end(2)))
        position = m.end()
    keys = {k for k, *_ in pairs}
    return pairs if len(pairs) >= 2 and keys & _ODBC_KEYS - _ODBC_SECRET_KEYS else None


def keyvalue_secret(text: str) -> UrlSecret | None:
    """A libpq key/value or ODBC connection string with a literal password, masked."""
    if "=" not in text:
        return None
    for pairs, secret_keys in (
        (_libpq_pairs(text), _LIBPQ_SECRET_KEYS),
        (_odbc_pairs(text), _ODBC_SECRET_KEYS),
    ):
        if not pairs:
            continue
        user = next((v for k, v, _, _ in pairs if k in {"user", "uid", "user id"}), "")
        spans = [
            (start, end)
            for key, value, start, end in pairs
            if key in secret_keys and not is_placeholder(value.strip(), user)
        ]
        if not spans:
            continue
        masked = text
        for start, end in reversed(spans):
            masked = masked[:start] + MASK + masked[end:]
        return UrlSecret(0, len(text), masked.strip().replace(FIELD, "{…}"))
    return None


_KV_PASSWORD_RE = re.compile(
    r"(?P<head>\b(?:ssl)?(?:password|pwd)\s*=\s*)(?P<value>'(?:[^'\\]|\\.)*'?|\{[^}]*\}?|[^\s;'\"&]+)",
    re.IGNORECASE,
)
_URL_USERINFO_RE = re.compile(r"(?P<head>[A-Za-z][A-Za-z0-9+.\-]*://[^\s:/@'\"]*:)(?P<pw>[^\s@'\"]+)@")


def mask_secrets_in_text(text: str) -> str:
    """Mask every URL password, secret query parameter and ``password=``/``PWD=`` value in
    free text (the renderers' last line of defence)."""
    def userinfo(m: re.Match[str]) -> str:
        return m.group(0) if m.group("pw") in {MASK, "*****"} else m.group("head") + MASK + "@"

    def kv(m: re.Match[str]) -> str:
        value = m.group("value")
        return m.group(0) if value.strip("'{}") == MASK else m.group("head") + MASK

    text = _URL_USERINFO_RE.sub(userinfo, text)
    if "=" in text:
        text = _KV_PASSWORD_RE.sub(kv, text)
    return text


def literal_text(node: ast.AST) -> str | None:
    """The text of a string literal; f-string fields become the sentinel ``FIELD``."""
    if isinstance(node, ast.Constant):
        return node.value if isinstance(node.value, str) else None
    if isinstance(node, ast.JoinedStr):
        parts: list[str] = []
        for v in node.values:
            if isinstance(v, ast.Constant) and isinstance(v.value, str):
                parts.append(v.value)
            else:
                parts.append(FIELD)
        return "".join(parts)
    return None


def literal_secret(node: ast.AST | None) -> bool:
    """A non-empty, non-placeholder string literal (a plain constant, no interpolation)."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return not is_placeholder(node.value)
    return False

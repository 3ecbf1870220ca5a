"""The one exception tree of dbctl.

Every expected failure is a :class:`DbctlError`. Each class carries the exit
code it maps to at the CLI edge (``dbctl.cli``) and an optional hint that tells
the user what to do. Messages never contain a password.

::

    DbctlError (1)
    ├── UsageError (2)            bad flag value, unknown rule code, unreadable path
    │   └── ConfigError (2)       invalid configuration or database URL
    └── OperationError (1)        the thing inspected is not right / refused
        └── DatabaseError (1)     the server answered, and it is not right (auth, missing db…)
            └── UnreachableError (3)  DNS, refused, timeout, server starting — retryable

Ctrl-C (KeyboardInterrupt) is mapped to 130 at the CLI edge, after cleanup has run.

Exit codes (documented in the README):

0 success · 1 not right · 2 dbctl could not do its job · 3 unreachable · 130 interrupted
"""

from __future__ import annotations

EXIT_OK = 0
EXIT_FAIL = 1
EXIT_USAGE = 2
EXIT_UNREACHABLE = 3
EXIT_INTERRUPTED = 130


class DbctlError(Exception):
    """Base class: an expected failure with an exit code and an optional hint."""

    exit_code: int = EXIT_FAIL

    def __init__(self, message: str, *, hint: str | None = None, code: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint
        self.code = code


class UsageError(DbctlError):
    """dbctl was asked for something it cannot do (bad option, unknown code, bad path)."""

    exit_code = EXIT_USAGE


class ConfigError(UsageError):
    """The configuration or the database URL is invalid."""


class OperationError(DbctlError):
    """The operation was refused or failed because of the state of what it inspects."""

    exit_code = EXIT_FAIL


class DatabaseError(OperationError):
    """The database answered and something is wrong (credentials, missing database, rights).

    ``code`` is one of the stable failure codes (``auth.failed``, ``db.missing``…);
    ``retryable`` marks the transient class that ``--wait`` retries.
    """

    retryable: bool = False

    def __init__(
        self,
        message: str,
        *,
        code: str,
        hint: str | None = None,
        retryable: bool | None = None,
        sqlstate: str | None = None,
    ) -> None:
        super().__init__(message, hint=hint, code=code)
        if retryable is not None:
            self.retryable = retryable
        self.sqlstate = sqlstate


class UnreachableError(DatabaseError):
    """The server cannot be reached right now (DNS, refused, timeout, starting up)."""

    exit_code = EXIT_UNREACHABLE
    retryable = True


class Interrupted(KeyboardInterrupt):
    """SIGTERM or SIGHUP, handled exactly like Ctrl-C (cleanup runs); exit 128 + signal."""

    def __init__(self, signum: int) -> None:
        super().__init__(f"signal {signum}")
        self.signum = signum


def expected_error(exc: BaseException) -> DbctlError | None:
    """A foreign exception with a plain meaning for the user (the CLI edge shows it as one
    line instead of an internal error), or None."""
    import errno

    if isinstance(exc, OSError) and exc.errno in {
        errno.ENOSPC,
        errno.EIO,
        errno.EFBIG,
        errno.EDQUOT,
    }:
        return UsageError(
            f"cannot write: {exc.strerror}",
            hint="the disk or the device the output goes to is full or failing",
        )
    if isinstance(exc, UnicodeError) and "idna" in str(exc):  # host name over 63/253 chars
        return ConfigError(
            "the host name in the URL is not a valid DNS name (too long, or a part of it "
            "longer than 63 characters)",
            code="url.bad_host",
            hint="check the host part of the URL",
        )
    cls = type(exc)
    if cls.__name__ == "IdentifierError" and cls.__module__.startswith("sqlalchemy"):
        first = (str(exc).splitlines() or [""])[0]
        return ConfigError(
            f"the models name {first[0].lower() + first[1:] if first else 'an identifier'}",
            hint="PostgreSQL names have at most 63 characters: shorten it in the models "
            "(e.g. __tablename__, Column(name=...), Index(name=...))",
        )
    return None


# --- secret scrubbing (defence in depth) ------------------------------------------------
# Passwords are SecretStr everywhere; additionally, every message that leaves dbctl
# through the CLI edge is scrubbed of the secrets registered here.
_SECRETS: set[str] = set()


def register_secret(secret: str | None) -> None:
    """Remember a secret (and its URL-encoded forms) so :func:`scrub` can mask it."""
    if not secret or len(secret) < 3:
        return
    from urllib.parse import quote, quote_plus

    _SECRETS.update({secret, quote(secret, safe=""), quote_plus(secret)})


def scrub(text: str) -> str:
    """Replace every registered secret in ``text`` by ``***``."""
    for secret in sorted(_SECRETS, key=len, reverse=True):
        if secret in text:
            text = text.replace(secret, "***")
    return text

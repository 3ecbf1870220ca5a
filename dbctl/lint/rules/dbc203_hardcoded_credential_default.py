"""DBC203 hardcoded-credential-default."""

from __future__ import annotations

import ast
import re
from typing import ClassVar

from dbctl.lint.context import (
    FileContext,
    arg_or_keyword,
    settings_defaults,
    settings_fields,
)
from dbctl.lint.model import Severity
from dbctl.lint.rule import Rule
from dbctl.lint.secrets import PASSWORD_NAME_RE, literal_secret, literal_text, url_secrets

_ENV_GETTERS = frozenset({"os.getenv", "os.environ.get", "os.environ.setdefault", "os.getenvb"})

_WORD_RE = re.compile(r"[A-Z]?[a-z]+|[A-Z]+(?![a-z])|[0-9]+")
_PASSWORD_WORDS = frozenset({"password", "passwd", "pwd", "pass"})
#: a word before the password word that makes the name a switch (ENABLE_PASSWORD_AUTH)
_FLAG_WORDS = frozenset({
    "enable", "enabled", "disable", "disabled", "allow", "allowed", "require", "required",
    "use", "show", "hide", "skip", "force", "is", "has",
})
#: a word after the password word that makes the name a setting *about* passwords
#: (PASSWORD_HASH_ALGORITHM, PASSWORD_MIN_LENGTH, PASSWORD_VALIDATION_HINT)
_SETTING_WORDS = _FLAG_WORDS | frozenset({
    "algorithm", "algorithms", "algo", "scheme", "schemes", "hasher", "hashers", "length",
    "len", "min", "max", "minimum", "maximum", "regex", "pattern", "policy", "rules", "hint",
    "validation", "validator", "confirmation", "form", "field", "auth", "authentication",
    "login", "mode", "type", "expiry", "expire", "expires", "expiration", "ttl", "age",
    "rounds", "iterations", "cost", "complexity", "strength", "file", "path", "env", "var",
    "prompt", "label", "placeholder", "message", "help",
})
#: defaults that are a switch's value, not a password
_BOOLEAN_LIKE = frozenset({"true", "false", "yes", "no", "on", "off", "1", "0", "enabled",
                           "disabled", "none", "null"})
#: password hashing algorithms (PASSWORD_HASH_ALGORITHM = "bcrypt")
_ALGORITHM_RE = re.compile(
    r"bcrypt(?:_sha256)?|argon2(?:id|i|d)?|scrypt|pbkdf2(?:_sha\d+)?|sha-?\d+(?:_crypt)?|"
    r"md5(?:_crypt)?|scram-sha-\d+|plain(?:text)?|des_crypt",
    re.IGNORECASE,
)


def names_a_password(name: str) -> bool:
    """``name`` holds a password, not a setting about passwords.

    bandit (B105) and ruff (S105) report any name that contains a password word between
    ``_`` boundaries, so ``ENABLE_PASSWORD_AUTH`` and ``PASSWORD_HASH_ALGORITHM`` count
    as passwords there. Here the password word must be the name's head: a switch word
    before it (``ENABLE_``, ``ALLOW_``, ``USE_``) or a setting word after it
    (``_ALGORITHM``, ``_MIN_LENGTH``, ``_HINT``, ``_ENABLED``) makes the name a setting.
    """
    if not PASSWORD_NAME_RE.search(name):
        return False
    words = [w.lower() for w in _WORD_RE.findall(name)]
    where = [i for i, w in enumerate(words) if w in _PASSWORD_WORDS]
    if not where:
        return True  # matched across a separator the words do not see: stay on the safe side
    before, after = words[: where[0]], words[where[-1] + 1 :]
    return not (_FLAG_WORDS.intersection(before) or _SETTING_WORDS.intersection(after))


def _not_a_password(value: str) -> bool:
    """A switch's value (``'True'``, ``'off'``, ``'1'``) or an algorithm name (``'bcrypt'``)."""
    text = value.strip()
    return text.lower() in _BOOLEAN_LIKE or _ALGORITHM_RE.fullmatch(text) is not None


class HardcodedCredentialDefault(Rule):
    """
    ## What it does
    Flags a settings field default (a `BaseSettings` subclass) or an environment
    fallback (`os.getenv("X", default)`, `os.environ.get("X", default)`) that holds a
    password (the field or variable is named like a password) or a database URL with
    a password.

    A name is a password's when the password word is its head: `DB_PASSWORD`,
    `admin_password`, `RABBITMQ_DEFAULT_PASS`. Settings about passwords are not: a
    switch word before it (`ENABLE_PASSWORD_AUTH`, `ALLOW_PASSWORD_LOGIN`) or a setting
    word after it (`PASSWORD_HASH_ALGORITHM`, `PASSWORD_MIN_LENGTH`,
    `PASSWORD_VALIDATION_HINT`, `DB_PASSWORD_FILE`). Nor are boolean-like defaults
    (`'True'`, `'off'`, `'1'`) or password-hashing algorithm names (`'bcrypt'`,
    `'argon2'`), whatever the name. A database URL with a password is reported whatever
    the name.

    ## Why is this bad?
    A default is what runs when the environment is not set: in production by accident,
    with a password everybody who has read the repository knows.

    ## Example
    ```python
    from pydantic_settings import BaseSettings

    class Settings(BaseSettings):
        database_url: str = "postgresql+asyncpg://app:s3cret@db/app"
    ```

    Use instead:
    ```python
    from pydantic import SecretStr
    from pydantic_settings import BaseSettings

    class Settings(BaseSettings):
        database_url: SecretStr
    ```
    """

    code: ClassVar[str] = "DBC203"
    name: ClassVar[str] = "hardcoded-credential-default"
    category: ClassVar[str] = "credentials"
    severity: ClassVar[Severity] = Severity.error
    node_types: ClassVar[tuple[type[ast.AST], ...]] = (ast.ClassDef, ast.Call)
    triggers: ClassVar[tuple[bytes, ...]] = (b"getenv", b"environ", b"Settings")

    @classmethod
    def check(cls, node: ast.AST, ctx: FileContext) -> None:
        if isinstance(node, ast.ClassDef):
            if node.name not in ctx.settings_classes:
                return
            for name, value in settings_fields(node):
                for default in settings_defaults(value, ctx):
                    cls._judge(ctx, default, name, f"settings field `{node.name}.{name}`")
            return
        assert isinstance(node, ast.Call)
        if ctx.canonical(node.func) not in _ENV_GETTERS:
            return
        fallback = arg_or_keyword(node, 1, "default")
        var: ast.AST | None = node.args[0] if node.args else None
        if fallback is None:
            return
        name = var.value if isinstance(var, ast.Constant) and isinstance(var.value, str) else ""
        cls._judge(ctx, fallback, name, f"environment fallback for `{name or '…'}`")

    @classmethod
    def _judge(cls, ctx: FileContext, default: ast.AST, name: str, where: str) -> None:
        if (
            names_a_password(name)
            and literal_secret(default)
            and not _not_a_password(literal_text(default) or "")
        ):
            ctx.report(cls, default, f"{where} has a hardcoded password default ('***')")
            return
        text = literal_text(default)
        if text:
            for secret in url_secrets(text):
                ctx.report(cls, default, f"{where} has a default database URL with a "
                           f"hardcoded password '{secret.masked}'")
                return

"""DBC203 hardcoded-credential-default."""

from __future__ import annotations

import ast
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


class HardcodedCredentialDefault(Rule):
    """
    ## What it does
    Flags a settings field default (a `BaseSettings` subclass) or an environment
    fallback (`os.getenv("X", default)`, `os.environ.get("X", default)`) that holds a
    password (the field or variable is named like a password) or a database URL with
    a password.

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
        if PASSWORD_NAME_RE.search(name) and literal_secret(default):
            ctx.report(cls, default, f"{where} has a hardcoded password default ('***')")
            return
        text = literal_text(default)
        if text:
            for secret in url_secrets(text):
                ctx.report(cls, default, f"{where} has a default database URL with a "
                           f"hardcoded password '{secret.masked}'")
                return

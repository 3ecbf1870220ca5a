"""``privileges``: may the user create tables in the target schema?"""

from __future__ import annotations

from dbctl.checks.base import Check, Context


async def run(ctx: Context) -> None:
    facts, schema = ctx.facts, ctx.loaded.settings.db_schema
    user = facts["current_user"]
    data = {"schema": schema, "user": user, "is_superuser": bool(facts["is_superuser"])}
    if facts.get("in_recovery"):  # grants say nothing on a replica: no DDL runs there
        ctx.set(
            "privileges",
            "skip",
            "not applicable: a hot standby runs no CREATE whatever the grants (see session)",
            data=data,
        )
        return
    if not facts["schema_exists"]:
        can = bool(facts["can_create_schema"])
        ctx.set(
            "privileges",
            "warn",
            f"schema '{schema}' does not exist"
            + (f" ({user} may create it)" if can else f" and {user} may not create it"),
            code="privileges.no_create",
            hint=f"CREATE SCHEMA {schema} (as an owner), or set the schema setting",
            data=data,
        )
        return
    if facts["can_create"]:
        ctx.set("privileges", "pass", f"{user} may create tables in schema '{schema}'", data=data)
        return
    ctx.set(
        "privileges",
        "warn",
        f"{user} may not create tables in schema '{schema}' (create_all / migrations fail "
        "with 42501)",
        code="privileges.no_create",
        hint=f"fine if the app never runs DDL; otherwise run migrations as the owner or "
        f"GRANT CREATE ON SCHEMA {schema} TO {user} (PostgreSQL 15 removed CREATE on "
        "public from other roles)",
        data=data,
    )


CHECK = Check(
    id="privileges",
    title="Privileges",
    codes=("privileges.no_create",),
    needs=("facts",),
    run=run,
)

"""``tls``: what the server offers (its answer to the SSLRequest) against what the URL
demands (``?ssl=``); completed with the facts of the real connection by ``server``."""

from __future__ import annotations

from typing import Any

from dbctl.checks.base import Check, Context

#: URL ``ssl=`` values that refuse an unencrypted connection.
TLS_DEMANDING = frozenset({"require", "verify-ca", "verify-full", "true", "1", "on", "yes"})


async def run(ctx: Context) -> None:
    mode = (ctx.url.query_value("ssl") or "prefer").lower()
    offered = ctx.offered
    data: dict[str, Any] = {"server_offers_tls": offered, "url_ssl": mode}
    if offered is False and mode in TLS_DEMANDING:
        ctx.fail(
            "tls",
            "tls.unavailable",
            f"the URL requires TLS (ssl={mode}) but the server does not offer it",
            data=data,
        )
        return
    if offered is None:
        summary = "unknown whether the server offers TLS"
    elif offered:
        summary = f"the server offers TLS; the URL asks for ssl={mode}"
    else:
        summary = f"the server does not offer TLS; the connection is unencrypted (ssl={mode})"
    ctx.set("tls", "pass", summary, data=data)
    ctx.provides.add("transport")


def add_connection_facts(ctx: Context) -> None:
    """Complete the row with what the server says about the real connection."""
    facts = ctx.facts
    row = ctx.rows.get("tls")
    if row is None or row.status == "fail":
        return
    encrypted = facts.get("ssl")
    row.data["encrypted"] = encrypted
    if facts.get("ssl_version"):
        row.data["protocol"] = facts["ssl_version"]
    if row.status == "skip" and encrypted is not None:
        row.status = "pass"
        row.summary = (
            f"the connection is encrypted ({facts.get('ssl_version')})"
            if encrypted
            else "the connection is not encrypted"
        )
    elif encrypted:
        row.summary += f"; the connection is encrypted ({facts.get('ssl_version')})"


CHECK = Check(
    id="tls",
    title="TLS",
    codes=("tls.unavailable", "tls.required", "tls.verify_failed"),
    needs=("tcp",),
    run=run,
)

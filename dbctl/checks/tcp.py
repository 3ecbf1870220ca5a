"""``tcp``: open a TCP connection and send the PostgreSQL SSLRequest; the answer also
tells ``tls`` whether the server offers TLS."""

from __future__ import annotations

import asyncio
import contextlib
import struct
import time
from typing import Any

from dbctl.checks.base import Check, Context

#: The SSLRequest message of the PostgreSQL protocol (length 8, code 80877103).
SSL_REQUEST = struct.pack("!ii", 8, 80877103)


async def _probe(family: int, sockaddr: Any, timeout: float) -> tuple[str, bytes | None]:
    """Open a TCP connection and send SSLRequest. ('ok', b'S'|b'N'|other) or a failure.

    When the server says 'S', the TLS handshake is completed and closed cleanly
    (close_notify): a dropped handshake would log "could not accept SSL connection" on
    the server at every check, while a clean goodbye before the startup packet is silent.
    """
    try:
        reader, writer = await asyncio.wait_for(
            asyncio.open_connection(sockaddr[0], sockaddr[1], family=family), timeout=timeout
        )
    except TimeoutError:
        return "connect_timeout", None
    except ConnectionRefusedError:
        return "refused", None
    except OSError as exc:
        return f"oserror:{exc.strerror or type(exc).__name__}", None
    try:
        writer.write(SSL_REQUEST)
        try:
            answer = await asyncio.wait_for(reader.read(1), timeout=timeout)
        except TimeoutError:
            return "no_answer", None
        except OSError:
            return "ok", b""
        if answer == b"S":
            await _tls_goodbye(writer, timeout)
        return "ok", answer
    finally:
        writer.close()
        with contextlib.suppress(Exception):
            await asyncio.wait_for(writer.wait_closed(), timeout=timeout)


async def _tls_goodbye(writer: asyncio.StreamWriter, timeout: float) -> None:
    """Finish the TLS handshake the SSLRequest started, without verifying anything
    (verification is the real connection's job), so the server can close quietly."""
    import ssl

    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)  # no CA loading: nothing is verified
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    with contextlib.suppress(Exception):
        await asyncio.wait_for(writer.start_tls(ctx), timeout=timeout)


async def run(ctx: Context) -> None:
    """Connect to the first address that accepts; record whether the server offers TLS
    (True/False, None when unknown)."""
    host, port, timeout = ctx.url.host, ctx.url.port or 5432, ctx.timeout
    start = time.perf_counter()
    target = f"{host}:{port}"
    outcome, answer = "refused", None
    for family, _type, _proto, _canon, sockaddr in ctx.addrs:
        outcome, answer = await _probe(family, sockaddr, timeout)
        if outcome == "ok":
            break
    if outcome == "refused" or outcome.startswith("oserror:"):
        detail = outcome.split(":", 1)[1] if ":" in outcome else "connection refused"
        ctx.fail(
            "tcp",
            "tcp.refused",
            f"{detail} by {target}: nothing is listening"
            if outcome == "refused"
            else f"cannot connect to {target}: {detail}",
            start=start,
        )
        return
    if outcome in {"connect_timeout", "no_answer"}:
        summary = (
            f"no response from {target} within {timeout:g} s"
            if outcome == "connect_timeout"
            else f"{target} accepts TCP connections but does not answer the PostgreSQL "
            f"protocol within {timeout:g} s"
        )
        ctx.fail("tcp", "tcp.timeout", summary, start=start)
        return
    ctx.offered = {b"S": True, b"N": False}.get(answer or b"")
    summary = f"{target} accepts connections"
    if ctx.offered is None:
        summary += " (unexpected answer to the PostgreSQL SSL request: is it PostgreSQL?)"
    ctx.set("tcp", "pass", summary, start=start, data={"address": target})
    ctx.provides.add("tcp")


CHECK = Check(
    id="tcp",
    title="TCP connection",
    codes=("tcp.refused", "tcp.timeout"),
    needs=("addrs",),
    run=run,
)

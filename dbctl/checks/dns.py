"""``dns``: resolve the host, bounded by ``--timeout``."""

from __future__ import annotations

import asyncio
import contextlib
import socket
import threading
import time
from typing import Any

from dbctl.checks.base import Check, Context


async def run(ctx: Context) -> None:
    host, port = ctx.url.host, ctx.url.port or 5432
    assert host is not None
    start = time.perf_counter()
    literal = _ip_literal(host, port)
    if literal is not None:  # no resolver round trip (nor executor thread) for an address
        ctx.set("dns", "pass", f"{host} is an IP address", start=start, data={"addresses": [host]})
        ctx.addrs = [literal]
        ctx.provides.add("addrs")
        return
    try:
        infos = await asyncio.wait_for(_getaddrinfo(host, port), timeout=ctx.timeout)
    except (OSError, TimeoutError) as exc:
        timed_out = isinstance(exc, TimeoutError)
        why = f"no answer within {ctx.timeout:g} s" if timed_out else "name not known"
        ctx.fail("dns", "dns.unresolved", f"cannot resolve host '{host}' ({why})", start=start)
        return
    addrs = sorted({str(info[4][0]) for info in infos})
    ctx.set("dns", "pass", f"{host} -> {', '.join(addrs)}", start=start, data={"addresses": addrs})
    ctx.addrs = list(infos)
    ctx.provides.add("addrs")


async def _getaddrinfo(host: str, port: int) -> list[tuple[Any, ...]]:
    """``getaddrinfo`` in a daemon thread of its own: a resolver that never answers is
    abandoned at ``--timeout`` and does not keep the process alive at exit (the event
    loop's executor threads are joined when ``asyncio.run`` ends)."""
    loop = asyncio.get_running_loop()
    future: asyncio.Future[list[tuple[Any, ...]]] = loop.create_future()

    def deliver(result: Any, error: BaseException | None) -> None:
        if future.done():
            return
        if error is not None:
            future.set_exception(error)
        else:
            future.set_result(result)

    def work() -> None:
        try:
            result: Any = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
            error = None
        except BaseException as exc:  # handed to the awaiting coroutine
            result, error = None, exc
        with contextlib.suppress(RuntimeError):  # the loop is gone: nobody waits
            loop.call_soon_threadsafe(deliver, result, error)

    threading.Thread(target=work, name="dbctl-dns", daemon=True).start()
    return await future


def _ip_literal(host: str, port: int) -> tuple[Any, ...] | None:
    """A getaddrinfo-shaped entry for an IPv4/IPv6 address, or None for a name."""
    import ipaddress

    try:
        ip = ipaddress.ip_address(host)
    except ValueError:
        return None
    if ip.version == 4:
        return (socket.AF_INET, socket.SOCK_STREAM, 0, "", (host, port))
    return (socket.AF_INET6, socket.SOCK_STREAM, 0, "", (host, port, 0, 0))


CHECK = Check(
    id="dns", title="DNS resolution", codes=("dns.unresolved",), needs=("tcp_host",), run=run
)

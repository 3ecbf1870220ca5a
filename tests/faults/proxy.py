"""A fault-injecting TCP proxy for PostgreSQL's wire protocol (127.0.0.1 only).

It forwards bytes between dbctl and the test server and parses just enough of the
protocol (message boundaries) to inject one fault per client connection:

``stall_after_login``   the first message after login is never forwarded, nothing more
                        moves in either direction
``drop_after_login``    the first message after login closes both sides (FIN)
``stall_mid_result``    after ``after`` DataRow/CopyData messages from the server
``stall_mid_copy_in``   after ``after`` CopyData messages from the client
``reset_mid_copy``      after ``after`` CopyData messages from the client: RST both sides

A stalled connection still notices the client hanging up (POLLRDHUP) and then closes
the server side, as a TCP proxy does; what the server does with a cancel request
(new connections, always forwarded) is the server's business.
"""

from __future__ import annotations

import contextlib
import select
import socket
import struct
import threading
from dataclasses import dataclass, field

FAULTS = (
    "stall_after_login",
    "drop_after_login",
    "stall_mid_result",
    "stall_mid_copy_in",
    "reset_mid_copy",
)
_SSL_REQUEST = 80877103
_CANCEL_REQUEST = 80877102


class _Parser:
    """Splits a byte stream into messages; ``startup`` streams begin with untyped ones."""

    def __init__(self, *, startup: bool) -> None:
        self.buf = b""
        self.startup = startup
        self.ssl_answer_pending = False
        self.first_code: int | None = None

    def feed(self, data: bytes) -> list[tuple[str, int]]:
        """(type, end offset in ``data``) for each message that ends in ``data``."""
        out: list[tuple[str, int]] = []
        base = len(self.buf)
        self.buf += data
        pos = 0
        while True:
            if self.ssl_answer_pending:  # the server's one-byte answer to SSLRequest
                if len(self.buf) - pos < 1:
                    break
                self.ssl_answer_pending = False
                pos += 1
                out.append(("ssl", pos - base))
                continue
            if self.startup:
                if len(self.buf) - pos < 8:
                    break
                length, code = struct.unpack("!ii", self.buf[pos : pos + 8])
                if len(self.buf) - pos < length:
                    break
                pos += length
                if self.first_code is None:
                    self.first_code = code
                if code != _SSL_REQUEST:
                    self.startup = False
                out.append(("startup", pos - base))
                continue
            if len(self.buf) - pos < 5:
                break
            kind = chr(self.buf[pos])
            (length,) = struct.unpack("!i", self.buf[pos + 1 : pos + 5])
            if len(self.buf) - pos < 1 + length:
                break
            pos += 1 + length
            out.append((kind, pos - base))
        self.buf = self.buf[pos:]
        return out


@dataclass
class _Link:
    proxy: FaultProxy
    client: socket.socket
    server: socket.socket
    fault: str | None
    after: int
    logged_in: bool = False
    state: str = "forward"  # forward | stalled | closed
    counted: int = 0
    from_client: _Parser = field(default_factory=lambda: _Parser(startup=True))
    from_server: _Parser = field(default_factory=lambda: _Parser(startup=False))

    def run(self) -> None:
        poller = select.poll()
        rdhup = getattr(select, "POLLRDHUP", 0)
        poller.register(self.client, select.POLLIN | rdhup)
        poller.register(self.server, select.POLLIN)
        try:
            while self.state != "closed" and not self.proxy.closing:
                for fd, ev in poller.poll(100):
                    if self.state == "stalled":
                        if fd == self.client.fileno() and ev & (
                            rdhup | select.POLLHUP | select.POLLERR
                        ):
                            self.state = "closed"
                        continue
                    src, dst = (
                        (self.client, self.server)
                        if fd == self.client.fileno()
                        else (self.server, self.client)
                    )
                    try:
                        data = src.recv(65536)
                    except OSError:
                        data = b""
                    if not data:
                        self.state = "closed"
                        break
                    self._relay(data, src is self.client, dst)
                    if self.state == "stalled":
                        poller.modify(self.client, rdhup | select.POLLHUP)
                        poller.unregister(self.server)
        finally:
            if self.state != "reset":
                for s in (self.client, self.server):
                    _close(s)

    def _relay(self, data: bytes, upstream: bool, dst: socket.socket) -> None:
        parser = self.from_client if upstream else self.from_server
        messages = parser.feed(data)
        if upstream and any(k == "startup" for k, _ in messages):
            if parser.first_code == _SSL_REQUEST and len(messages) == 1 and parser.startup:
                self.from_server.ssl_answer_pending = True
            if parser.first_code == _CANCEL_REQUEST:
                self.fault = None  # cancel requests always get through
        cut = len(data)
        for kind, end in messages:
            if not upstream and kind == "Z":
                self.logged_in = True
            action = self._fault_at(kind, upstream)
            if action is None:
                continue
            # "before": the client's first message after login begins its chunk
            cut = 0 if action == "before" else end
            break
        else:
            action = None
        try:
            dst.sendall(data[:cut])
        except OSError:
            self.state = "closed"
            return
        if action is None:
            return
        if self.fault == "drop_after_login":
            self.state = "closed"
        elif self.fault == "reset_mid_copy":
            for s in (self.client, self.server):
                s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
                _close(s)
            self.state = "reset"
        else:
            self.state = "stalled"
        self.proxy.triggered.append(self.fault or "")

    def _fault_at(self, kind: str, upstream: bool) -> str | None:
        """ "before"/"after" the message of ``kind`` the fault fires, or None."""
        fault = self.fault
        if fault is None or not self.logged_in:
            return None
        if fault in {"stall_after_login", "drop_after_login"} and upstream:
            return "before"
        if fault == "stall_mid_result" and not upstream and kind in {"D", "d"}:
            self.counted += 1
            return "after" if self.counted >= self.after else None
        if fault in {"stall_mid_copy_in", "reset_mid_copy"} and upstream and kind == "d":
            self.counted += 1
            return "after" if self.counted >= self.after else None
        return None


def _close(s: socket.socket) -> None:
    with contextlib.suppress(OSError):
        s.close()


class FaultProxy:
    """Listen on 127.0.0.1:<random>; forward to ``upstream``; inject ``fault``."""

    def __init__(self, upstream: tuple[str, int], fault: str | None = None, after: int = 1):
        assert fault is None or fault in FAULTS, fault
        self.upstream = upstream
        self.fault = fault
        self.after = after
        self.closing = False
        self.triggered: list[str] = []
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(16)
        self.sock.settimeout(0.2)
        self.port: int = self.sock.getsockname()[1]
        self._threads: list[threading.Thread] = []
        accept = threading.Thread(target=self._accept, daemon=True)
        accept.start()
        self._threads.append(accept)

    def _accept(self) -> None:
        while not self.closing:
            try:
                client, _ = self.sock.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            try:
                server = socket.create_connection(self.upstream, timeout=5)
            except OSError:
                _close(client)
                continue
            client.settimeout(None)
            server.settimeout(None)
            link = _Link(self, client, server, self.fault, self.after)
            t = threading.Thread(target=link.run, daemon=True)
            t.start()
            self._threads.append(t)

    def close(self) -> None:
        self.closing = True
        _close(self.sock)
        for t in self._threads:
            t.join(timeout=2)

"""The client side of the notice benchmark: a websocket client cheap enough for 15,000
sockets on one core, a raw HTTP/1.1 request, and /proc readings.

The websocket client is a bare ``asyncio.Protocol`` (RFC 6455: handshake, masked client
frames, unmasked server frames, ping/pong, close). The ``websockets`` library costs several
times more CPU per received frame, which would make the client, not the server, the
bottleneck of the floors. Every receipt is stamped with CLOCK_MONOTONIC, which on Linux is
one clock for all processes, so stamps taken by server-side processes compare directly.
"""

from __future__ import annotations

import asyncio
import base64
import json
import os
import time
from collections.abc import Callable
from typing import Any

clock = time.monotonic
CLK_TCK = os.sysconf("SC_CLK_TCK")


class WsClient(asyncio.Protocol):
    """One websocket; calls ``sink(self, t, message)`` for every notice frame."""

    def __init__(
        self,
        *,
        system: str,
        user: int,
        tab: int,
        sid: int,
        port: int,
        path: str,
        headers: dict[str, str],
        sink: Callable[[WsClient, float, dict[str, Any]], None],
    ) -> None:
        self.system, self.user, self.tab, self.sid = system, user, tab, sid
        key = base64.b64encode(os.urandom(16)).decode()
        lines = [
            f"GET {path} HTTP/1.1",
            f"Host: 127.0.0.1:{port}",
            "Upgrade: websocket",
            "Connection: Upgrade",
            f"Sec-WebSocket-Key: {key}",
            "Sec-WebSocket-Version: 13",
            *(f"{k}: {v}" for k, v in headers.items()),
        ]
        self.request = ("\r\n".join(lines) + "\r\n\r\n").encode()
        self.sink = sink
        self.buf = bytearray()
        self.handshaken = False
        loop = asyncio.get_running_loop()
        self.opened: asyncio.Future[None] = loop.create_future()
        self.ready: asyncio.Future[int] = loop.create_future()
        self.transport: asyncio.Transport | None = None
        self.close_code: int | None = None
        self.lost = False
        self.replayed = 0
        self.last_seq = 0
        self.frag: bytearray | None = None
        self.frag_opcode = 0

    # --- asyncio.Protocol ---------------------------------------------------------------

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]
        transport.write(self.request)  # type: ignore[attr-defined]

    def connection_lost(self, exc: Exception | None) -> None:
        self.lost = True
        for future in (self.opened, self.ready):
            if not future.done():
                future.set_exception(ConnectionError(f"connection lost ({exc})"))
                future.exception()  # retrieved: the opener may have stopped waiting

    def data_received(self, data: bytes) -> None:
        t = clock()
        buf = self.buf
        buf += data
        if not self.handshaken:
            end = buf.find(b"\r\n\r\n")
            if end < 0:
                return
            status = bytes(buf[: buf.find(b"\r\n")])
            del buf[: end + 4]
            if b" 101 " not in status:
                if not self.opened.done():
                    self.opened.set_exception(ConnectionError(status.decode(errors="replace")))
                self.transport.close()
                return
            self.handshaken = True
            self.opened.set_result(None)
        while True:
            n = len(buf)
            if n < 2:
                return
            b0, b1 = buf[0], buf[1]
            length = b1 & 0x7F
            pos = 2
            if length == 126:
                if n < 4:
                    return
                length = int.from_bytes(buf[2:4])
                pos = 4
            elif length == 127:
                if n < 10:
                    return
                length = int.from_bytes(buf[2:10])
                pos = 10
            mask = None
            if b1 & 0x80:  # servers must not mask; tolerate it anyway
                if n < pos + 4:
                    return
                mask = bytes(buf[pos : pos + 4])
                pos += 4
            if n < pos + length:
                return
            payload = bytes(buf[pos : pos + length])
            del buf[: pos + length]
            if mask:
                payload = _xor(payload, mask)
            opcode, fin = b0 & 0x0F, b0 & 0x80
            if opcode == 0:
                if self.frag is None:
                    continue
                self.frag += payload
                if not fin:
                    continue
                payload, opcode, self.frag = bytes(self.frag), self.frag_opcode, None
            elif opcode in (1, 2) and not fin:
                self.frag, self.frag_opcode = bytearray(payload), opcode
                continue
            if opcode == 1:
                self._text(t, payload)
            elif opcode == 9:
                self.send_frame(0xA, payload)
            elif opcode == 8:
                self.close_code = int.from_bytes(payload[:2]) if len(payload) >= 2 else 1005
                self.send_frame(0x8, payload[:2])
                self.transport.close()
                return

    # --- frames -------------------------------------------------------------------------

    def _text(self, t: float, payload: bytes) -> None:
        message = json.loads(payload)
        kind = message.get("type")
        if kind == "notice":
            if not self.ready.done():
                self.replayed += 1
            self.sink(self, t, message)
        elif kind == "ready" and not self.ready.done():
            self.ready.set_result(message.get("last_seq", 0))

    def send_frame(self, opcode: int, payload: bytes) -> None:
        if self.transport is None or self.transport.is_closing():
            return
        mask = os.urandom(4)
        n = len(payload)
        if n < 126:
            header = bytes([0x80 | opcode, 0x80 | n])
        else:
            header = bytes([0x80 | opcode, 0x80 | 126]) + n.to_bytes(2)
        self.transport.write(header + mask + _xor(payload, mask))

    def send_json(self, message: dict[str, Any]) -> None:
        self.send_frame(0x1, json.dumps(message).encode())

    @property
    def is_open(self) -> bool:
        return self.handshaken and not self.lost and self.close_code is None

    def abort(self) -> None:
        if self.transport is not None:
            self.transport.abort()


def _xor(payload: bytes, mask: bytes) -> bytes:
    n = len(payload)
    if not n:
        return payload
    key = int.from_bytes((mask * (n // 4 + 1))[:n])
    return (int.from_bytes(payload) ^ key).to_bytes(n)


async def open_socket(
    *,
    system: str,
    user: int,
    tab: int,
    sid: int,
    port: int,
    path: str,
    headers: dict[str, str],
    last_seq: int,
    sink: Callable[[WsClient, float, dict[str, Any]], None],
    timeout: float = 30,
) -> tuple[WsClient, float, float]:
    """Connect, say hello, wait for ready; returns the client and the two delays (s)."""
    loop = asyncio.get_running_loop()
    t0 = clock()
    _transport, client = await asyncio.wait_for(
        loop.create_connection(
            lambda: WsClient(
                system=system,
                user=user,
                tab=tab,
                sid=sid,
                port=port,
                path=path,
                headers=headers,
                sink=sink,
            ),
            "127.0.0.1",
            port,
        ),
        timeout,
    )
    try:
        await asyncio.wait_for(client.opened, timeout)
        t_open = clock()
        client.last_seq = last_seq
        client.send_json({"type": "hello", "last_seq": last_seq})
        await asyncio.wait_for(client.ready, timeout)
    except BaseException:
        client.abort()
        raise
    return client, t_open - t0, clock() - t0


async def http_request(
    port: int,
    method: str,
    path: str,
    *,
    headers: dict[str, str] | None = None,
    body: bytes = b"",
    timeout: float = 120,
) -> tuple[int, float]:
    """One HTTP/1.1 request on a fresh connection; returns (status, seconds)."""
    t0 = clock()
    reader, writer = await asyncio.wait_for(asyncio.open_connection("127.0.0.1", port), timeout)
    try:
        lines = [f"{method} {path} HTTP/1.1", f"Host: 127.0.0.1:{port}", "Connection: close"]
        lines += [f"{k}: {v}" for k, v in (headers or {}).items()]
        if body or method == "POST":
            lines.append(f"Content-Length: {len(body)}")
        writer.write(("\r\n".join(lines) + "\r\n\r\n").encode() + body)
        await writer.drain()
        status_line = await asyncio.wait_for(reader.readline(), timeout)
        # Read the head and the body by Content-Length, not until EOF: daphne closes the
        # connection only when the application returns, which for a sync Django view
        # includes response.close() queued behind every other sync call in the process.
        length = None
        while True:
            line = await asyncio.wait_for(reader.readline(), timeout)
            if line in (b"\r\n", b"\n", b""):
                break
            name, _sep, value = line.decode("latin-1").partition(":")
            if name.strip().lower() == "content-length":
                length = int(value.strip())
        if length is None:
            await asyncio.wait_for(reader.read(), timeout)
        elif length:
            await asyncio.wait_for(reader.readexactly(length), timeout)
    finally:
        writer.close()
    parts = status_line.split()
    status = int(parts[1]) if len(parts) > 1 else 0
    return status, clock() - t0


# --- /proc ------------------------------------------------------------------------------


def proc_cpu(pid: int) -> float | None:
    """User + system CPU seconds of a process (10 ms resolution)."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as f:  # noqa: PTH123 - hot path
            fields = f.read().rsplit(b")", 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / CLK_TCK


def proc_rss_kb(pid: int) -> int | None:
    try:
        with open(f"/proc/{pid}/status", encoding="ascii") as f:  # noqa: PTH123
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
    except OSError:
        return None
    return None


def schedstat() -> tuple[int, int]:
    """(ns on the CPU, ns runnable but waiting for it) of this process's main thread."""
    with open("/proc/thread-self/schedstat", encoding="ascii") as f:  # noqa: PTH123
        run_ns, wait_ns, _slices = f.read().split()
    return int(run_ns), int(wait_ns)


def cpu_ticks() -> dict[str, tuple[int, int]]:
    """(busy, total) jiffies of each core from /proc/stat."""
    out = {}
    with open("/proc/stat", encoding="ascii") as f:  # noqa: PTH123
        for line in f:
            if line.startswith("cpu") and line[3].isdigit():
                name, *values = line.split()
                nums = [int(v) for v in values[:8]]
                idle = nums[3] + nums[4]
                out[name] = (sum(nums) - idle, sum(nums))
    return out


def busy_fraction(
    before: dict[str, tuple[int, int]], after: dict[str, tuple[int, int]]
) -> dict[str, float]:
    result = {}
    for name, (busy, total) in after.items():
        b0, t0 = before.get(name, (busy, total))
        result[name] = round((busy - b0) / (total - t0), 3) if total > t0 else 0.0
    return result

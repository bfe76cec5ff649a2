"""Floor (a) of the notice benchmark: N raw Redis pub/sub receivers on asyncio.

Each receiver is its own connection, a minimal RESP2 ``asyncio.Protocol`` subscribed to
``bench.all`` and ``bench.u.<user>`` (the publisher, bench/notices_channels_sender.py, uses
redis-py asyncio). The receivers are not redis-py ``PubSub`` objects: with redis-py 8.1 and
5,000 of them in one process, a few hundred connections dropped after a minute and the
process then spun in redis-py's retry path (seen twice at N = 5,000; a harness problem,
not the product's), and a bare protocol is also the cheaper client, so the floor measures
Redis rather than the client library.

They run in a client process of their own, on the client core beside the harness, because
one process may hold only 20,000 descriptors here (the hard ``ulimit -n`` of this machine,
which a process without CAP_SYS_RESOURCE cannot raise) and the harness already holds three
websockets per user at N = 5,000. Every message is stamped (CLOCK_MONOTONIC) on receipt and
the stamps are sent to the harness in batches every 2 ms, so batching does not change the
latencies.

Commands on stdin, one JSON object per line; answers on stdout:
  {"cmd": "ramp", "specs": [[sid, user, tab], ...], "rate": r, "inflight": k, "timeout": s}
      → {"ramp": {"ok": [[sid, seconds], ...], "failures": {...}}}
  {"cmd": "stat"}  → {"stat": [run_ns, runqueue_wait_ns]}   (this process's main thread)
  {"cmd": "count"} → {"count": receivers still listening}
Receipts: {"r": [[sid, key, t], ...]}.
"""

from __future__ import annotations

import asyncio
import json
import sys
import time
from collections import Counter

clock = time.monotonic


def _command(*parts: str) -> bytes:
    out = [f"*{len(parts)}\r\n".encode()]
    for part in parts:
        raw = part.encode()
        out.append(b"$%d\r\n%s\r\n" % (len(raw), raw))
    return b"".join(out)


def _parse(buf: bytearray, pos: int) -> tuple[list | None, int]:
    """One RESP2 array of bulk strings and integers from ``pos``: (items, end) or (None, pos)."""
    end = buf.find(b"\r\n", pos)
    if end < 0 or buf[pos] != ord("*"):
        return None, pos
    count = int(buf[pos + 1 : end])
    items: list = []
    at = end + 2
    for _ in range(count):
        end = buf.find(b"\r\n", at)
        if end < 0:
            return None, pos
        kind = buf[at]
        if kind == ord(":"):
            items.append(int(buf[at + 1 : end]))
            at = end + 2
        else:  # "$": a bulk string
            length = int(buf[at + 1 : end])
            if len(buf) < end + 2 + length + 2:
                return None, pos
            items.append(bytes(buf[end + 2 : end + 2 + length]))
            at = end + 2 + length + 2
    return items, at


class Receiver(asyncio.Protocol):
    """One connection subscribed to ``bench.all`` and its user's channel."""

    def __init__(self, owner: Receivers, sid: int, user: int) -> None:
        self.owner, self.sid, self.user = owner, sid, user
        self.buf = bytearray()
        self.subscribed = asyncio.get_running_loop().create_future()
        self.confirmations = 0
        self.lost = False

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        transport.write(_command("SUBSCRIBE", "bench.all", f"bench.u.{self.user}"))  # type: ignore[attr-defined]

    def connection_lost(self, exc: Exception | None) -> None:
        self.lost = True
        if not self.subscribed.done():
            self.subscribed.set_exception(ConnectionError(str(exc)))
            self.subscribed.exception()

    def data_received(self, data: bytes) -> None:
        t = clock()
        buf = self.buf
        buf += data
        pos = 0
        while pos < len(buf):
            items, end = _parse(buf, pos)
            if items is None:
                break
            pos = end
            if items[0] == b"message":
                self.owner.receipt(self.sid, json.loads(items[2])["document_id"], t)
            elif items[0] == b"subscribe":
                self.confirmations += 1
                if self.confirmations == 2 and not self.subscribed.done():
                    self.subscribed.set_result(None)
        del buf[:pos]


class Receivers:
    def __init__(self, url: str) -> None:
        address = url.split("://", 1)[1].split("/", 1)[0]
        host, _sep, port = address.rpartition(":")
        self.host, self.port = host or "127.0.0.1", int(port or 6379)
        self.buffer: list[list] = []
        self.flush_pending = False
        self.receivers: list[Receiver] = []

    def emit(self, message: dict) -> None:
        sys.stdout.write(json.dumps(message) + "\n")
        sys.stdout.flush()

    def flush(self) -> None:
        self.flush_pending = False
        if self.buffer:
            batch, self.buffer = self.buffer, []
            self.emit({"r": batch})

    def receipt(self, sid: int, key: int, t: float) -> None:
        self.buffer.append([sid, key, t])
        if not self.flush_pending:
            self.flush_pending = True
            asyncio.get_running_loop().call_later(0.002, self.flush)

    async def ramp(self, command: dict) -> None:
        rate, timeout = command["rate"], command["timeout"]
        semaphore = asyncio.Semaphore(command["inflight"])
        loop = asyncio.get_running_loop()
        ok: list[list] = []
        failures: Counter[str] = Counter()
        start = clock()

        async def one(i: int, sid: int, user: int) -> None:
            await asyncio.sleep(max(0.0, start + i / rate - clock()))
            async with semaphore:
                t0 = clock()
                try:
                    _transport, receiver = await asyncio.wait_for(
                        loop.create_connection(
                            lambda: Receiver(self, sid, user), self.host, self.port
                        ),
                        timeout,
                    )
                    await asyncio.wait_for(receiver.subscribed, timeout)
                except Exception as error:  # counted and reported
                    failures[f"{type(error).__name__}: {str(error)[:80]}"] += 1
                    return
                ok.append([sid, clock() - t0])
                self.receivers.append(receiver)

        await asyncio.gather(
            *(one(i, sid, user) for i, (sid, user, _tab) in enumerate(command["specs"]))
        )
        self.emit({"ramp": {"ok": ok, "failures": dict(failures)}})


def schedstat() -> list[int]:
    with open("/proc/thread-self/schedstat", encoding="ascii") as f:  # noqa: PTH123
        run_ns, wait_ns, _slices = f.read().split()
    return [int(run_ns), int(wait_ns)]


async def main(url: str) -> None:
    loop = asyncio.get_running_loop()
    reader = asyncio.StreamReader(limit=64 * 1024 * 1024)
    await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(reader), sys.stdin)
    receivers = Receivers(url)
    receivers.emit({"ready": True})
    while line := await reader.readline():
        command = json.loads(line)
        if command["cmd"] == "ramp":
            await receivers.ramp(command)
        elif command["cmd"] == "stat":
            receivers.emit({"stat": schedstat()})
        elif command["cmd"] == "count":
            receivers.emit({"count": sum(1 for r in receivers.receivers if not r.lost)})


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1]))

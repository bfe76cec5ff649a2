"""Floor (b) of the notice benchmark: a bare ``websockets`` server broadcasting on command.

    python bench/notices_ws_server.py PORT

Sockets connect to ``/ws/?u=<user>``, say hello and get ready, as with the product. Each
line on stdin, ``{"key": k, "users": "all" | [u, ...]}``, sends the product's notice frame
to every socket (``websockets.broadcast``, one encoding) or to each listed user's sockets
in turn. Writes ``{"key": k, "t_end": ...}`` when the frames are handed to the sockets.
"""

from __future__ import annotations

import asyncio
import json
import sys
import time
from collections import defaultdict
from urllib.parse import parse_qs, urlsplit

from websockets.asyncio.server import ServerConnection, broadcast, serve

everyone: set[ServerConnection] = set()
by_user: dict[int, set[ServerConnection]] = defaultdict(set)


async def handler(socket: ServerConnection) -> None:
    user = int(parse_qs(urlsplit(socket.request.path).query)["u"][0])
    hello = json.loads(await socket.recv())
    await socket.send(json.dumps({"type": "ready", "last_seq": hello.get("last_seq", 0)}))
    everyone.add(socket)
    by_user[user].add(socket)
    try:
        await socket.wait_closed()
    finally:
        everyone.discard(socket)
        by_user[user].discard(socket)


async def main(port: int) -> None:
    loop = asyncio.get_running_loop()
    reader = asyncio.StreamReader(limit=64 * 1024 * 1024)
    await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(reader), sys.stdin)
    origins = [f"http://127.0.0.1:{port}"]
    async with serve(
        handler,
        "127.0.0.1",
        port,
        origins=origins,
        compression=None,
        backlog=4096,
        max_size=4096,
    ):
        print(json.dumps({"ready": True}), flush=True)
        while line := await reader.readline():
            command = json.loads(line)
            key = command["key"]
            frame = json.dumps(
                {
                    "type": "notice",
                    "id": key,
                    "seq": key,
                    "kind": "document_assigned",
                    "document_id": key,
                }
            )
            if command["users"] == "all":
                broadcast(everyone, frame)
            else:
                for user in command["users"]:
                    broadcast(by_user.get(user, ()), frame)
            print(json.dumps({"key": key, "t_end": time.monotonic()}), flush=True)


if __name__ == "__main__":
    asyncio.run(main(int(sys.argv[1])))

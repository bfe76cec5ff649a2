"""The sender of floors (a) and (c), on command, from the server core.

Reads one JSON command per line on stdin: ``{"key": k, "groups": [...]}`` sends one
``bench.notice`` message to each group in turn through the same channel layer as the
product, awaiting each ``group_send`` as ``realtime.push._send_all`` does;
``{"key": k, "redis": [...]}`` PUBLISHes the notice frame to each raw Redis channel in
turn (floor (a): redis-py asyncio). Writes ``{"key": k, "t_end": ...}`` when done.
"""

from __future__ import annotations

import asyncio
import json
import os
import sys
import time

import django
from django.conf import settings

settings.configure(
    INSTALLED_APPS=["channels"],
    CHANNEL_LAYERS={
        "default": {
            "BACKEND": "channels_redis.pubsub.RedisPubSubChannelLayer",
            "CONFIG": {"hosts": [{"address": os.environ["REDIS_URL"]}]},
        }
    },
    LOGGING_CONFIG=None,
)
django.setup()

from channels.layers import get_channel_layer  # noqa: E402

FIELDS = ("id", "seq", "kind", "document_id")


async def main() -> None:
    import redis.asyncio as aioredis

    layer = get_channel_layer()
    raw = aioredis.Redis.from_url(os.environ["REDIS_URL"], socket_timeout=None)
    await raw.ping()
    loop = asyncio.get_running_loop()
    reader = asyncio.StreamReader(limit=64 * 1024 * 1024)  # 5,000 group names on a line
    await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(reader), sys.stdin)
    await layer.group_send("bench.warmup", {"type": "bench.notice"})  # connect to Redis now
    print(json.dumps({"ready": True}), flush=True)
    while line := await reader.readline():
        command = json.loads(line)
        key = command["key"]
        message = {
            "type": "bench.notice",
            "id": key,
            "seq": key,
            "kind": "document_assigned",
            "document_id": key,
        }
        if "redis" in command:  # floor (a): a raw PUBLISH of the notice frame
            payload = json.dumps({"type": "notice", **{k: message[k] for k in FIELDS}})
            for channel in command["redis"]:
                await raw.publish(channel, payload)
        for group in command.get("groups", []):
            await layer.group_send(group, message)
        print(json.dumps({"key": key, "t_end": time.monotonic()}), flush=True)


if __name__ == "__main__":
    asyncio.run(main())

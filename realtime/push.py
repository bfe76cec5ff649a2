"""Sending to websocket groups. Best effort: the database already holds every notice."""

from __future__ import annotations

import asyncio
import hashlib
import logging
import threading
from collections.abc import Iterable, Mapping
from typing import Any

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from channels_redis.pubsub import RedisPubSubChannelLayer

logger = logging.getLogger(__name__)

# What goes to a group: a ``type`` and plain values (often one of the TypedDicts of
# realtime.kinds, hence Mapping rather than dict).
ChannelMessage = Mapping[str, object]


def user_group(user_id: int) -> str:
    return f"user.{user_id}"


def document_group(document_id: int) -> str:
    """Sockets of pages showing this document (joined only after a visibility check)."""
    return f"document.{document_id}"


def session_group(session_key: str) -> str:
    # Group names allow a limited alphabet and length; the key itself never leaves the server.
    return "session." + hashlib.sha256(session_key.encode()).hexdigest()[:40]


# Publishes per Redis round trip when the pub/sub layer's connection is pipelined.
_PIPELINE_CHUNK = 1000


async def _send_all(messages: list[tuple[str, ChannelMessage]]) -> None:
    layer = get_channel_layer()
    if layer is None:
        return
    if isinstance(layer, RedisPubSubChannelLayer) and await _publish_pipelined(layer, messages):
        return
    for group, message in messages:
        await layer.group_send(group, message)


async def _publish_pipelined(
    layer: RedisPubSubChannelLayer, messages: list[tuple[str, ChannelMessage]]
) -> bool:
    """PUBLISH every message in pipelines, not one round trip per group.

    ``group_send`` of the pub/sub layer is one PUBLISH awaited on its shard's connection;
    an announcement to thousands of people then spends seconds in round trips (bench,
    issue 5). The layer has no batch call, so this goes through its per-loop internals
    (channels-redis 4.3, pinned in uv.lock): the same channel names, serializer, shard
    choice and connection lock as ``group_send``. Returns False, having sent nothing, when
    those internals are not there.
    """
    try:
        loop_layer = layer._get_layer()
        by_shard: dict[Any, list[tuple[str, bytes]]] = {}
        for group, message in messages:
            channel = loop_layer._get_group_channel_name(group)
            shard = loop_layer._get_shard(channel)
            by_shard.setdefault(shard, []).append((channel, layer.serialize(message)))
        for shard in by_shard:
            if not (hasattr(shard, "_lock") and hasattr(shard, "_ensure_redis")):
                raise AttributeError("_lock")
    except AttributeError:
        logger.warning("channels-redis internals changed; pushing one group at a time")
        return False
    for shard, items in by_shard.items():
        async with shard._lock:
            shard._ensure_redis()
            for start in range(0, len(items), _PIPELINE_CHUNK):
                async with shard._redis.pipeline(transaction=False) as pipe:
                    for channel, payload in items[start : start + _PIPELINE_CHUNK]:
                        pipe.publish(channel, payload)
                    await pipe.execute()
    return True


def _loop_running_here() -> bool:
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return False
    return True


def send_to_groups(messages: Iterable[tuple[str, ChannelMessage]]) -> bool:
    """Send every message from one event loop (one Redis connection), never raising.

    Returns False when the channel layer could not be reached: the notices are stored and
    clients get them through the replay when they reconnect.
    """
    batch = list(messages)
    if not batch:
        return True
    try:
        if _loop_running_here():
            # Called from a thread that runs an event loop itself (async_to_sync refuses to
            # block it): send from a short-lived thread instead.
            worker = threading.Thread(target=async_to_sync(_send_all), args=(batch,))
            worker.start()
            worker.join(timeout=10)
        else:
            async_to_sync(_send_all)(batch)
    except Exception:
        logger.warning(
            "push to %d group(s) failed; clients will catch up on reconnect",
            len(batch),
            exc_info=True,
        )
        return False
    return True

"""Sending to websocket groups. Best effort: the database already holds every notice."""

from __future__ import annotations

import asyncio
import hashlib
import logging
import threading
from collections.abc import Iterable, Mapping

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer

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


async def _send_all(messages: list[tuple[str, ChannelMessage]]) -> None:
    layer = get_channel_layer()
    for group, message in messages:
        await layer.group_send(group, message)


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

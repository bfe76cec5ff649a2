"""Sending to websocket groups. Best effort: the database already holds every notice."""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Iterable
from typing import Any

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer

logger = logging.getLogger(__name__)


def user_group(user_id: int) -> str:
    return f"user.{user_id}"


def session_group(session_key: str) -> str:
    # Group names allow a limited alphabet and length; the key itself never leaves the server.
    return "session." + hashlib.sha256(session_key.encode()).hexdigest()[:40]


async def _send_all(messages: list[tuple[str, dict[str, Any]]]) -> None:
    layer = get_channel_layer()
    for group, message in messages:
        await layer.group_send(group, message)


def send_to_groups(messages: Iterable[tuple[str, dict[str, Any]]]) -> bool:
    """Send every message from one event loop (one Redis connection), never raising.

    Returns False when the channel layer could not be reached: the notices are stored and
    clients get them through the replay when they reconnect.
    """
    batch = list(messages)
    if not batch:
        return True
    try:
        async_to_sync(_send_all)(batch)
    except Exception:
        logger.warning(
            "push to %d group(s) failed; clients will catch up on reconnect",
            len(batch),
            exc_info=True,
        )
        return False
    return True

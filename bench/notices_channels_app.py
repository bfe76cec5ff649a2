"""Floor (c) of the notice benchmark: a bare Channels consumer, served by daphne.

The same stack as the product's websockets minus the product: daphne, Channels'
``AsyncWebsocketConsumer``, ``AllowedHostsOriginValidator`` and the same channel layer
(``RedisPubSubChannelLayer`` on ``REDIS_URL``, configured as ``eoffice.settings`` does), but
no session, no database and no replay. Each socket joins two groups, as the product's
consumer does (its user's and a broadcast group): ``bench.u.<u>`` (``u`` from the query
string) and ``bench.all``. ``hello`` is answered with ``ready``; a ``bench.notice`` group
message is sent on as the product's notice frame.

    daphne -e tcp:port=...:interface=127.0.0.1:backlog=4096 bench.notices_channels_app:application
"""

from __future__ import annotations

import json
import os
from typing import Any
from urllib.parse import parse_qs

import django
from django.conf import settings

if not settings.configured:
    settings.configure(
        ALLOWED_HOSTS=["127.0.0.1", "localhost"],
        INSTALLED_APPS=["channels"],
        SECRET_KEY="bench-floor-only",  # noqa: S106 - no sessions, nothing signed
        USE_TZ=True,
        CHANNEL_LAYERS={
            "default": {
                "BACKEND": "channels_redis.pubsub.RedisPubSubChannelLayer",
                "CONFIG": {"hosts": [{"address": os.environ["REDIS_URL"]}]},
            }
        },
        LOGGING_CONFIG=None,
    )
    django.setup()

from channels.generic.websocket import AsyncWebsocketConsumer
from channels.routing import ProtocolTypeRouter, URLRouter
from channels.security.websocket import AllowedHostsOriginValidator
from django.urls import path

FIELDS = ("id", "seq", "kind", "document_id")


class BareConsumer(AsyncWebsocketConsumer):
    async def connect(self) -> None:
        query = parse_qs(self.scope.get("query_string", b"").decode())
        self.my_groups = ["bench.all", f"bench.u.{int(query['u'][0])}"]
        for group in self.my_groups:
            await self.channel_layer.group_add(group, self.channel_name)
        await self.accept()

    async def disconnect(self, code: int) -> None:
        for group in getattr(self, "my_groups", []):
            await self.channel_layer.group_discard(group, self.channel_name)

    async def receive(self, text_data: str | None = None, bytes_data: bytes | None = None) -> None:
        message = json.loads(text_data or "{}")
        if message.get("type") == "hello":
            last_seq = message.get("last_seq", 0)
            await self.send(text_data=json.dumps({"type": "ready", "last_seq": last_seq}))

    async def bench_notice(self, event: dict[str, Any]) -> None:
        await self.send(text_data=json.dumps({"type": "notice", **{k: event[k] for k in FIELDS}}))


application = ProtocolTypeRouter(
    {
        "websocket": AllowedHostsOriginValidator(URLRouter([path("ws/", BareConsumer.as_asgi())])),
    }
)

"""The one websocket endpoint: notices for the logged-in user, replayed after a drop.

Protocol (JSON text frames):
  client → {"type": "hello", "last_seq": 41}   once after connecting: what it already has
  client → {"type": "ping"}                    keep-alive; answered with {"type": "pong"}
  server → {"type": "notice", "id", "seq", "kind", "document_id"}
  server → {"type": "read"}                    notices were marked read elsewhere
  server → {"type": "ready", "last_seq": 57}   the replay after "hello" is complete
  client → {"type": "watch", "document_id": 12} the page shows this document: tell it of
                                               changes (joined only if the user may see it)
  server → {"type": "document", "document_id", "change"}
                                               the watched document changed ("state" or
                                               "comment"); the page re-reads what it shows
  server → {"type": "message", "conversation_id", "message_id"}
                                               a new message in one of the user's
                                               conversations (ids only; not replayed: the
                                               page re-reads the conversation on reload)
Anything else, or a frame above MAX_FRAME bytes, closes the socket with 4400 / 1009.
"""

from __future__ import annotations

import json
import logging
from typing import Any

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncWebsocketConsumer

from documents.permissions import visible_documents
from realtime.push import document_group, session_group, user_group
from realtime.selectors import list_notices_after

logger = logging.getLogger(__name__)

MAX_FRAME = 4096
CLOSE_UNAUTHENTICATED = 4401
CLOSE_BAD_MESSAGE = 4400
CLOSE_TOO_BIG = 1009
CLOSE_SESSION_ENDED = 4001


def _notice_event(notice) -> dict[str, Any]:
    return {
        "type": "notice",
        "id": notice.pk,
        "seq": notice.seq,
        "kind": notice.kind,
        "document_id": notice.document_id,
    }


class NoticeConsumer(AsyncWebsocketConsumer):
    groups: list[str] = []

    async def connect(self) -> None:
        user = self.scope.get("user")
        if user is None or not user.is_authenticated or not user.is_active:
            await self.close(code=CLOSE_UNAUTHENTICATED)
            return
        self.user_id = user.pk
        # Group names come from the session's user, never from what the client sends.
        self.my_groups = [user_group(user.pk)]
        session = self.scope.get("session")
        if session is not None and session.session_key:
            self.my_groups.append(session_group(session.session_key))
        for group in self.my_groups:
            await self.channel_layer.group_add(group, self.channel_name)
        self.last_sent_seq: int | None = None  # None until the client said hello
        self.watched_group: str | None = None
        await self.accept()

    async def disconnect(self, code: int) -> None:
        for group in [*getattr(self, "my_groups", []), getattr(self, "watched_group", None)]:
            if group:
                await self.channel_layer.group_discard(group, self.channel_name)

    async def receive(self, text_data: str | None = None, bytes_data: bytes | None = None) -> None:
        if bytes_data is not None or text_data is None:
            await self.close(code=CLOSE_BAD_MESSAGE)
            return
        if len(text_data.encode()) > MAX_FRAME:
            await self.close(code=CLOSE_TOO_BIG)
            return
        try:
            message = json.loads(text_data)
            kind = message["type"]
        except (ValueError, TypeError, KeyError):
            await self.close(code=CLOSE_BAD_MESSAGE)
            return
        if kind == "ping":
            await self.send(text_data=json.dumps({"type": "pong"}))
        elif kind == "hello" and self.last_sent_seq is None:
            last_seq = message.get("last_seq", 0)
            if not isinstance(last_seq, int) or isinstance(last_seq, bool) or last_seq < 0:
                await self.close(code=CLOSE_BAD_MESSAGE)
                return
            await self._replay(last_seq)
        elif kind == "watch":
            document_id = message.get("document_id")
            if not isinstance(document_id, int) or isinstance(document_id, bool) or document_id < 1:
                await self.close(code=CLOSE_BAD_MESSAGE)
                return
            await self._watch(document_id)
        else:
            await self.close(code=CLOSE_BAD_MESSAGE)

    async def _watch(self, document_id: int) -> None:
        """Follow one document's changes; a document the user may not see is ignored."""
        if self.watched_group:
            await self.channel_layer.group_discard(self.watched_group, self.channel_name)
            self.watched_group = None
        may_see = await database_sync_to_async(
            lambda: visible_documents(self.scope["user"]).filter(pk=document_id).exists()
        )()
        if may_see:
            self.watched_group = document_group(document_id)
            await self.channel_layer.group_add(self.watched_group, self.channel_name)

    async def document_changed(self, event: dict[str, Any]) -> None:
        await self.send(
            text_data=json.dumps(
                {"type": "document", "document_id": event["document_id"], "change": event["change"]}
            )
        )

    async def _replay(self, last_seq: int, *, announce: bool = True) -> None:
        """Send what the client missed; live notices wait in this consumer's queue meanwhile."""
        self.last_sent_seq = last_seq
        while True:
            missed = await database_sync_to_async(list_notices_after)(
                self.scope["user"], self.last_sent_seq
            )
            for notice in missed:
                await self.send(text_data=json.dumps(_notice_event(notice)))
                self.last_sent_seq = notice.seq
            if len(missed) < 500:
                break
        if announce:
            await self.send(text_data=json.dumps({"type": "ready", "last_seq": self.last_sent_seq}))

    # --- group messages ---------------------------------------------------------------------

    async def notice(self, event: dict[str, Any]) -> None:
        # Before "hello" the replay will include it; after, skip what the replay already sent.
        if self.last_sent_seq is None or event["seq"] <= self.last_sent_seq:
            return
        if event["seq"] > self.last_sent_seq + 1:
            # A push was lost on the way (the layer delivers at most once): read the gap.
            await self._replay(self.last_sent_seq, announce=False)
            return
        self.last_sent_seq = event["seq"]
        await self.send(
            text_data=json.dumps(
                {k: event[k] for k in ("type", "id", "seq", "kind", "document_id")}
            )
        )

    async def chat_message(self, event: dict[str, Any]) -> None:
        # Ids only: the page fetches the message through a view that checks membership.
        await self.send(
            text_data=json.dumps(
                {
                    "type": "message",
                    "conversation_id": event["conversation_id"],
                    "message_id": event["message_id"],
                }
            )
        )

    async def notices_read(self, event: dict[str, Any]) -> None:
        await self.send(text_data=json.dumps({"type": "read"}))

    async def session_close(self, event: dict[str, Any]) -> None:
        await self.close(code=CLOSE_SESSION_ENDED)

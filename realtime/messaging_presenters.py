"""Messages as one viewer sees them: rendered text, files and read receipts."""

from __future__ import annotations

from bisect import bisect_right
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field

from django.utils.translation import gettext as _

from eoffice.models import User
from realtime.message_text import document_links, render_text
from realtime.messaging_models import Conversation, Message
from realtime.messaging_selectors import MemberRead


@dataclass
class MessageView:
    message: Message
    body: str
    is_mine: bool
    # People (other than the viewer and the author) whose read position is this message.
    readers: list[User] = field(default_factory=list)


def present_messages(
    viewer: User, messages: Sequence[Message], member_reads: Sequence[MemberRead] = ()
) -> list[MessageView]:
    """Render ``messages`` (oldest first) for ``viewer``.

    Referenced documents are looked up once for the whole page and linked only when the
    viewer may see them. Each reader is shown once, at the last message of the page they
    have read up to ("Đã xem"), as messaging applications do.
    """
    links = document_links(viewer, [m.text for m in messages])
    seqs = [m.seq for m in messages]
    readers_at: dict[int, list[User]] = defaultdict(list)
    same_conversation = len({m.conversation_id for m in messages}) <= 1
    if same_conversation:
        for member in member_reads:
            if member.user.pk == viewer.pk:
                continue
            index = bisect_right(seqs, member.last_read_seq) - 1
            if index >= 0:
                readers_at[index].append(member.user)
    views = []
    for index, message in enumerate(messages):
        mentioned = {u.username.casefold() for u in message.mentions.all()}
        views.append(
            MessageView(
                message=message,
                body=render_text(message.text, mentioned=mentioned, documents=links),
                is_mine=message.author_id == viewer.pk,
                readers=[u for u in readers_at.get(index, []) if u.pk != message.author_id],
            )
        )
    return views


def conversation_title(
    conversation: Conversation, viewer: User, partner_name: str | None = None
) -> str:
    """What a conversation is called for ``viewer``: the other person, the group or the unit."""
    if conversation.kind == Conversation.Kind.DEPARTMENT and conversation.department_id:
        return str(conversation.department)
    if conversation.kind == Conversation.Kind.DIRECT:
        return partner_name or _("Direct conversation")
    return conversation.title

"""Reads of the messaging screens, each a fixed number of queries whatever the row count."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import F, IntegerField, OuterRef, Prefetch, QuerySet, Subquery, Value
from django.db.models.functions import Coalesce, Greatest, Left

from eoffice.models import User
from realtime.messaging_models import Conversation, Membership, Message, MessageAttachment
from realtime.permissions import visible_conversations

PREVIEW_LENGTH = 120


@dataclass(frozen=True)
class MemberRead:
    """A person who may read the conversation, and how far they have read it."""

    user: User
    last_read_seq: int


def list_conversations(user: User) -> QuerySet[Conversation]:
    """The user's conversations, most recent activity first, in one query.

    Each row carries ``unread`` (messages after the user's read position: their own
    messages never count, since posting moves the author's position to their message),
    ``partner_name`` (for a direct conversation, the other person) and a preview of the
    last message.
    """
    mine = Membership.objects.filter(conversation=OuterRef("pk"), user=user)
    others = (
        Membership.objects.filter(conversation=OuterRef("pk"))
        .exclude(user=user)
        .order_by("user__full_name")
    )
    last = Message.objects.filter(conversation=OuterRef("pk"), seq=OuterRef("last_seq"))
    return (
        visible_conversations(user)
        .select_related("department")
        .annotate(
            my_last_read=Coalesce(Subquery(mine.values("last_read_seq")[:1]), Value(0)),
            unread=Greatest(
                F("last_seq") - F("my_last_read"), Value(0), output_field=IntegerField()
            ),
            partner_name=Subquery(others.values("user__full_name")[:1]),
            last_author_name=Subquery(last.values("author__full_name")[:1]),
            last_preview=Subquery(
                last.annotate(preview=Left("text", PREVIEW_LENGTH)).values("preview")[:1]
            ),
        )
        .order_by(F("last_message_at").desc(nulls_last=True), "-created_at", "-pk")
    )


def list_message_page(
    conversation: Conversation, before: int | None, size: int
) -> tuple[list[Message], bool]:
    """Up to ``size`` messages before number ``before`` (default: the newest), oldest first.

    Keyset pagination on the message number: no OFFSET and no COUNT. Returns the messages
    and whether older ones exist.
    """
    messages = Message.objects.filter(conversation=conversation)
    if before is not None:
        messages = messages.filter(seq__lt=before)
    rows = list(
        messages.select_related("author__position")
        .prefetch_related(
            Prefetch("attachments", queryset=MessageAttachment.objects.order_by("id")),
            Prefetch("mentions", queryset=User.objects.only("id", "username")),
        )
        .order_by("-seq")[: size + 1]
    )
    return rows[:size][::-1], len(rows) > size


def get_message(conversation: Conversation, pk: int) -> Message:
    """One message of a conversation the caller has already checked; DoesNotExist otherwise."""
    return (
        Message.objects.filter(conversation=conversation)
        .select_related("author__position")
        .prefetch_related(
            Prefetch("attachments", queryset=MessageAttachment.objects.order_by("id")),
            Prefetch("mentions", queryset=User.objects.only("id", "username")),
        )
        .get(pk=pk)
    )


def list_member_reads(conversation: Conversation) -> list[MemberRead]:
    """Who may read the conversation now, by name, with their read positions: one query."""
    if conversation.kind == Conversation.Kind.DEPARTMENT:
        # A department conversation always has its department (conversation_department_kind).
        assert conversation.department_id is not None
        position = Membership.objects.filter(conversation=conversation, user=OuterRef("pk"))
        users = (
            User.objects.filter(department_id=conversation.department_id, is_active=True)
            .select_related("position")
            .annotate(read_seq=Coalesce(Subquery(position.values("last_read_seq")[:1]), Value(0)))
            .order_by("full_name", "pk")
        )
        return [MemberRead(user=u, last_read_seq=u.read_seq) for u in users]
    memberships = (
        # Former members' positions still say what they had read.
        Membership.objects.filter(conversation=conversation)
        .select_related("user__position")
        .order_by("user__full_name", "user_id")
    )
    return [MemberRead(user=m.user, last_read_seq=m.last_read_seq) for m in memberships]


def list_messageable_people(user: User, exclude_ids: set[int] | None = None) -> QuerySet[User]:
    """Everyone active one may write to, for the pickers."""
    people = User.objects.filter(is_active=True).exclude(pk=user.pk)
    if exclude_ids:
        people = people.exclude(pk__in=exclude_ids)
    return people.select_related("department").order_by("full_name", "pk")

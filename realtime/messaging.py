"""Internal messaging: every change to conversations and messages goes through here.

Each service runs in one transaction and refuses, with a message for the user
(``MessagingError``), what the person may not do; a conversation the person may not see is
a 404 (``realtime.permissions.get_conversation_for_user``). A new message is stored first and
announced after commit to every member's own websocket group with ids only; people named
with "@username" also get a stored "mention" notice. Ordinary messages raise no notices:
each conversation has its own unread count.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from functools import reduce
from operator import or_

from django.db import IntegrityError, transaction
from django.db.models import F, OuterRef, Prefetch, Q, QuerySet, Subquery
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _

from documents.services import files_removed_on_failure
from documents.text import fold, nfc, search_terms
from documents.uploads import CheckedFile
from eoffice.models import Department, User
from realtime.kinds import ChatMessageEvent
from realtime.message_text import mentioned_usernames
from realtime.messaging_models import (
    MESSAGE_MAX_LENGTH,
    Conversation,
    Membership,
    Message,
    MessageAttachment,
)
from realtime.permissions import (
    conversation_members,
    get_conversation_for_user,
    visible_conversations,
)
from realtime.push import send_to_groups, user_group
from realtime.services import notify

Kind = Conversation.Kind
MAX_ATTACHMENTS = 10
TITLE_MAX_LENGTH = 150


class MessagingError(Exception):
    """A refused action; the message is for the user."""


def _direct_key(first: User, second: User) -> str:
    low, high = sorted((first.pk, second.pk))
    return f"{low}:{high}"


def start_direct_conversation(user: User, other: User) -> Conversation:
    """The one direct conversation between ``user`` and ``other``, created on first use.

    Refuses a conversation with oneself or with a deactivated account. Two people starting
    it at the same moment get the same conversation (the pair's key is unique).
    """
    if other.pk == user.pk:
        raise MessagingError(_("Choose someone other than yourself."))
    if not other.is_active:
        raise MessagingError(_("This account is no longer active."))
    key = _direct_key(user, other)
    with transaction.atomic():
        existing = Conversation.objects.filter(direct_key=key).first()
        if existing is not None:
            return existing
        try:
            with transaction.atomic():
                conversation = Conversation.objects.create(
                    kind=Kind.DIRECT, direct_key=key, created_by=user
                )
                Membership.objects.bulk_create(
                    [
                        Membership(conversation=conversation, user=user, added_by=user),
                        Membership(conversation=conversation, user=other, added_by=user),
                    ]
                )
        except IntegrityError:
            return Conversation.objects.get(direct_key=key)
    return conversation


def ensure_department_conversation(department: Department) -> Conversation:
    """The department's conversation, created the first time anyone needs it."""
    existing = Conversation.objects.filter(department=department).first()
    if existing is not None:
        return existing
    with transaction.atomic():
        try:
            with transaction.atomic():
                return Conversation.objects.create(kind=Kind.DEPARTMENT, department=department)
        except IntegrityError:
            return Conversation.objects.get(department=department)


def _clean_title(title: str) -> str:
    title = nfc(title).strip()
    if not title:
        raise MessagingError(_("Give the group a name."))
    if len(title) > TITLE_MAX_LENGTH:
        raise MessagingError(
            _("A group name has at most %(max)d characters.") % {"max": TITLE_MAX_LENGTH}
        )
    return title


def create_group(creator: User, title: str, members: Iterable[User]) -> Conversation:
    """A named group of the creator and ``members`` (active accounts, at least one other)."""
    title = _clean_title(title)
    others = {u.pk: u for u in members if u.pk != creator.pk}
    if any(not u.is_active for u in others.values()):
        raise MessagingError(_("Some of the people chosen are no longer active."))
    if not others:
        raise MessagingError(_("Choose at least one other member."))
    with transaction.atomic():
        conversation = Conversation.objects.create(kind=Kind.GROUP, title=title, created_by=creator)
        Membership.objects.bulk_create(
            [
                Membership(conversation=conversation, user_id=user_id, added_by=creator)
                for user_id in [creator.pk, *sorted(others)]
            ]
        )
    return conversation


def add_members(actor: User, conversation_id: int, users: Iterable[User]) -> list[User]:
    """Add people to a group the actor belongs to; returns those who were not members yet.

    Only groups take new members: a direct conversation stays between its two people and a
    department conversation follows the department.
    """
    with transaction.atomic():
        conversation = get_conversation_for_user(actor, conversation_id)
        if conversation.kind != Kind.GROUP:
            raise MessagingError(_("Only a group can take new members."))
        candidates = {u.pk: u for u in users}
        if any(not u.is_active for u in candidates.values()):
            raise MessagingError(_("Some of the people chosen are no longer active."))
        present = set(
            Membership.objects.filter(
                conversation=conversation, user_id__in=list(candidates)
            ).values_list("user_id", flat=True)
        )
        added = [candidates[pk] for pk in sorted(candidates) if pk not in present]
        Membership.objects.bulk_create(
            [Membership(conversation=conversation, user=u, added_by=actor) for u in added],
            ignore_conflicts=True,
        )
    return added


def _mentioned_members(conversation: Conversation, text: str) -> list[User]:
    """The conversation's people named as "@username" (others cannot read the message)."""
    names = mentioned_usernames(text)
    if not names:
        return []
    by_name = reduce(or_, (Q(username__iexact=name) for name in sorted(names)))
    return list(conversation_members(conversation).filter(by_name))


def _advance_read(user: User, conversation: Conversation, seq: int) -> bool:
    """Move ``user``'s read position forward to ``seq``; never backwards."""
    now = timezone.now()
    membership, created = Membership.objects.get_or_create(
        conversation=conversation,
        user=user,
        defaults={"last_read_seq": seq, "last_read_at": now, "added_by": None},
    )
    if created:
        return seq > 0
    return bool(
        Membership.objects.filter(pk=membership.pk, last_read_seq__lt=seq).update(
            last_read_seq=seq, last_read_at=now
        )
    )


def post_message(
    author: User,
    conversation_id: int,
    text: str,
    files: Sequence[CheckedFile] = (),
) -> Message:
    """Store a message with its checked files; announce it to the members after commit.

    Guarantees: the message takes the conversation's next number (the conversation row stays
    locked until commit); files are stored under generated names and removed again if the
    transaction fails; the author's read position moves to their message; people of the
    conversation named with "@username" get a "mention" notice (nobody else gets one); after
    commit, and only then, every member's own group receives a ``chat.message`` event with
    the conversation and message ids. Refuses an empty or over-long message, more than
    ``MAX_ATTACHMENTS`` files, and (404) a conversation the author may not see.
    """
    text = nfc(text).strip()
    if not text and not files:
        raise MessagingError(_("Write a message or attach a file."))
    if len(text) > MESSAGE_MAX_LENGTH:
        raise MessagingError(
            _("A message has at most %(max)d characters.") % {"max": MESSAGE_MAX_LENGTH}
        )
    if len(files) > MAX_ATTACHMENTS:
        raise MessagingError(
            _("Attach at most %(max)d files to one message.") % {"max": MAX_ATTACHMENTS}
        )
    now = timezone.now()
    with files_removed_on_failure() as stored, transaction.atomic():
        # The UPDATE both numbers the message and locks the conversation until commit.
        changed = (
            visible_conversations(author)
            .filter(pk=conversation_id)
            .update(last_seq=F("last_seq") + 1, last_message_at=now)
        )
        if not changed:
            raise Http404
        conversation = Conversation.objects.select_related("department").get(pk=conversation_id)
        message = Message.objects.create(
            conversation=conversation,
            seq=conversation.last_seq,
            author=author,
            text=text,
            search_text=fold(text),
            created_at=now,
        )
        for checked in files:
            _store_attachment(message, checked, stored)
        mentioned = _mentioned_members(conversation, text)
        if mentioned:
            message.mentions.set(mentioned)
            notify(
                mentioned,
                "mention",
                actor=author,
                conversation_id=conversation.pk,
                message_id=message.pk,
                seq=message.seq,
            )
        _advance_read(author, conversation, message.seq)
        member_ids = list(conversation_members(conversation).values_list("pk", flat=True))
        events = [
            (
                user_group(user_id),
                ChatMessageEvent(
                    type="chat.message", conversation_id=conversation.pk, message_id=message.pk
                ),
            )
            for user_id in sorted(member_ids)
        ]
        transaction.on_commit(lambda: send_to_groups(events), robust=True)
    return message


def _store_attachment(message: Message, checked: CheckedFile, stored: list[str]) -> None:
    """Store a file checked by documents.uploads.check_upload under a generated name."""
    attachment = MessageAttachment(
        message=message,
        original_name=nfc(checked.original_name),
        content_type=checked.content_type,
        size=checked.size,
        sha256=checked.sha256,
    )
    checked.upload.seek(0)
    attachment.file.save("upload", checked.upload, save=False)
    assert attachment.file.name is not None  # save() has just stored it under this name
    stored.append(attachment.file.name)
    attachment.save()


def mark_conversation_read(user: User, conversation_id: int, up_to_seq: int | None = None) -> bool:
    """Record that ``user`` has read the conversation up to ``up_to_seq`` (default: all).

    The position only moves forward and never past the last message. Returns whether it
    moved. 404 for a conversation the user may not see.
    """
    with transaction.atomic():
        conversation = get_conversation_for_user(user, conversation_id)
        seq = conversation.last_seq if up_to_seq is None else min(up_to_seq, conversation.last_seq)
        if seq <= 0:
            return False
        return _advance_read(user, conversation, seq)


def search_messages(user: User, query: str) -> QuerySet[Message]:
    """Messages of the user's conversations containing every word of ``query``.

    Diacritic- and case-insensitive ("bao cao" finds "Báo cáo"); newest first. A read: it
    changes nothing, so it needs no transaction of its own.
    """
    terms = search_terms(query)
    if not terms:
        return Message.objects.none()
    messages = Message.objects.filter(conversation__in=visible_conversations(user))
    for term in terms:
        messages = messages.filter(search_text__contains=term)
    partner = (
        Membership.objects.filter(conversation=OuterRef("conversation_id"))
        .exclude(user=user)
        .order_by("user__full_name")
    )
    return (
        messages.select_related("author__position", "conversation__department")
        .prefetch_related(
            Prefetch("attachments", queryset=MessageAttachment.objects.order_by("id")),
            Prefetch("mentions", queryset=User.objects.only("id", "username")),
        )
        .annotate(partner_name=Subquery(partner.values("user__full_name")[:1]))
        .order_by("-created_at", "-id")
    )

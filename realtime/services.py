"""Raising notices, marking them read, and telling open websockets."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.db import transaction
from django.db.models import F
from django.utils import timezone

from documents.models import Document
from eoffice.models import User
from realtime.kinds import NoticeEvent, NoticeKind
from realtime.models import Notice, NoticeCounter
from realtime.push import document_group, send_to_groups, session_group, user_group


def _next_seqs(user_ids: list[int]) -> dict[int, int]:
    """Take the next notice number of each user, locking their counters in id order."""
    NoticeCounter.objects.bulk_create(
        [NoticeCounter(user_id=uid) for uid in user_ids], ignore_conflicts=True
    )
    seqs = {}
    for user_id in sorted(user_ids):
        NoticeCounter.objects.filter(user_id=user_id).update(last_seq=F("last_seq") + 1)
        seqs[user_id] = NoticeCounter.objects.values_list("last_seq", flat=True).get(
            user_id=user_id
        )
    return seqs


def notify(
    recipients: Iterable[User],
    kind: NoticeKind,
    *,
    document: Document | None = None,
    actor: User | None = None,
    **data: Any,
) -> list[Notice]:
    """Store a notice for each recipient in the caller's transaction; push after commit.

    The actor is never notified of their own action. A rolled-back action leaves neither a
    notice nor a push behind.
    """
    users = {u.pk: u for u in recipients if u is not None and u.is_active}
    if actor is not None:
        users.pop(actor.pk, None)
    if not users:
        return []
    with transaction.atomic():
        seqs = _next_seqs(list(users))
        notices = Notice.objects.bulk_create(
            [
                Notice(
                    recipient_id=user_id,
                    seq=seqs[user_id],
                    kind=kind,
                    document=document,
                    actor=actor,
                    data=data,
                )
                for user_id in sorted(users)
            ]
        )
    if any(n.pk is None for n in notices):  # backends without RETURNING on bulk insert
        notices = list(
            Notice.objects.filter(
                recipient_id__in=list(users), seq__in=list(seqs.values()), kind=kind
            )
        )
    events = [
        (
            user_group(n.recipient_id),
            NoticeEvent(
                type="notice",
                id=n.pk,
                seq=n.seq,
                kind=kind,
                document_id=document.pk if document else None,
            ),
        )
        for n in notices
    ]
    transaction.on_commit(lambda: send_to_groups(events), robust=True)
    return notices


def mark_read(
    user: User, notice_ids: Iterable[int] | None = None, document: Document | None = None
) -> int:
    """Mark some (or all) of the user's notices read; returns how many changed."""
    unread = Notice.objects.filter(recipient=user, read_at__isnull=True)
    if notice_ids is not None:
        unread = unread.filter(pk__in=list(notice_ids))
    if document is not None:
        unread = unread.filter(document=document)
    changed = unread.update(read_at=timezone.now())
    if changed:
        transaction.on_commit(
            lambda: send_to_groups([(user_group(user.pk), {"type": "notices.read"})]), robust=True
        )
    return changed


def close_user_sockets(user_id: int) -> None:
    """A deactivated user's open websockets are closed (the session is read only at connect)."""
    send_to_groups([(user_group(user_id), {"type": "session.close"})])


def close_session_sockets(session_key: str) -> None:
    send_to_groups([(session_group(session_key), {"type": "session.close"})])


def announce_document_change(document: Document, change: str) -> None:
    """After commit, tell pages showing the document that it changed (ids only)."""
    document_id = document.pk
    transaction.on_commit(
        lambda: send_to_groups(
            [
                (
                    document_group(document_id),
                    {"type": "document.changed", "document_id": document_id, "change": change},
                )
            ]
        ),
        robust=True,
    )

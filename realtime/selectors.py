from __future__ import annotations

from django.db.models import QuerySet

from eoffice.models import User
from realtime.models import Notice, NoticeCounter


def count_unread_notices(user: User) -> int:
    return Notice.objects.filter(recipient=user, read_at__isnull=True).count()


def get_last_seq(user: User) -> int:
    return NoticeCounter.objects.filter(user=user).values_list("last_seq", flat=True).first() or 0


def list_notices(user: User) -> QuerySet[Notice]:
    return (
        Notice.objects.filter(recipient=user)
        .select_related("document__doc_type", "actor")
        .order_by("-seq")
    )


def list_notices_after(user: User, seq: int, limit: int = 500) -> list[Notice]:
    """What a reconnecting client missed, oldest first."""
    return list(Notice.objects.filter(recipient=user, seq__gt=seq).order_by("seq")[:limit])

from __future__ import annotations

from django.db.models import Count, OuterRef, QuerySet, Subquery, Value
from django.db.models.functions import Coalesce

from eoffice.models import User
from realtime.models import Notice, NoticeCounter


def count_unread_notices(user: User) -> int:
    return Notice.objects.filter(recipient=user, read_at__isnull=True).count()


def notice_bell(user: User) -> tuple[int, int]:
    """What every page's bell needs, in one query: the unread count, and the user's last
    notice number (where the live client's replay starts)."""
    unread = (
        Notice.objects.filter(recipient=OuterRef("pk"), read_at__isnull=True)
        .order_by()
        .values("recipient")
        .annotate(n=Count("pk"))
        .values("n")
    )
    last_seq = NoticeCounter.objects.filter(user=OuterRef("pk")).values("last_seq")
    row = (
        User.objects.filter(pk=user.pk)
        .annotate(
            bell_unread=Coalesce(Subquery(unread), Value(0)),
            bell_last_seq=Coalesce(Subquery(last_seq), Value(0)),
        )
        .values_list("bell_unread", "bell_last_seq")
        .first()
    )
    return row or (0, 0)


def list_notices(user: User) -> QuerySet[Notice]:
    return (
        Notice.objects.filter(recipient=user)
        .select_related("document__doc_type", "actor")
        .order_by("-seq")
    )


def list_notices_after(user: User, seq: int, limit: int = 500) -> list[Notice]:
    """What a reconnecting client missed, oldest first."""
    return list(Notice.objects.filter(recipient=user, seq__gt=seq).order_by("seq")[:limit])

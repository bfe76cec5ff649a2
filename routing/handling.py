"""How the handling of an incoming document stands, as SQL filters.

The dashboard counts documents with these filters and the incoming list filters its rows
with the very same ones, so that a figure and the list behind it always agree. The states
follow the deadline badges (``routing.deadlines.deadline_state``): work completed on its
deadline day is on time, completed work without a deadline is on time, open work is
overdue from the day after its deadline.
"""

from __future__ import annotations

from datetime import date

from django.db import models
from django.db.models import Exists, F, OuterRef, Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from documents.models import Document
from eoffice.models import Department, User
from routing.models import Assignment

S = Document.State

# A registration cancelled by the clerk, or a copy its sender withdrew, was never work.
NOT_RECEIVED_STATES = (S.CANCELLED, S.WITHDRAWN)
DONE_STATES = (S.COMPLETED,)


class Handling(models.TextChoices):
    """The buckets a received document falls in; together they make the received total."""

    RECEIVED = "received", pgettext_lazy("documents", "Received")
    ON_TIME = "on_time", _("Completed on time")
    LATE = "late", _("Completed late")
    IN_TIME = "in_time", _("In progress, within deadline")
    OVERDUE = "overdue", _("Overdue")
    NO_DEADLINE = "no_deadline", _("In progress, no deadline")


# The buckets that partition the received documents, in the order reports show them.
HANDLING_PARTS = (
    Handling.ON_TIME,
    Handling.LATE,
    Handling.IN_TIME,
    Handling.OVERDUE,
    Handling.NO_DEADLINE,
)


def handling_q(bucket: str, today: date, prefix: str = "") -> Q:
    """The documents of ``bucket`` as of ``today``; ``prefix`` reaches the document from
    another model (``"document__"``). Incoming documents only."""

    def q(**lookups: object) -> Q:
        return Q(**{f"{prefix}{name}": value for name, value in lookups.items()})

    received = q(direction=Document.Direction.INCOMING) & ~q(state__in=NOT_RECEIVED_STATES)
    done = q(state__in=DONE_STATES)
    open_ = received & ~done
    deadline = F(f"{prefix}deadline")
    if bucket == Handling.RECEIVED:
        return received
    if bucket == Handling.ON_TIME:
        # ``__date`` is the agency's calendar day (the current time zone, Asia/Ho_Chi_Minh).
        return received & done & (q(deadline__isnull=True) | q(completed_at__date__lte=deadline))
    if bucket == Handling.LATE:
        return received & done & q(deadline__isnull=False, completed_at__date__gt=deadline)
    if bucket == Handling.IN_TIME:
        return open_ & q(deadline__gte=today)
    if bucket == Handling.OVERDUE:
        return open_ & q(deadline__lt=today)
    if bucket == Handling.NO_DEADLINE:
        return open_ & q(deadline__isnull=True)
    raise ValueError(bucket)


def lead_assignments(*, directed_only: bool = False) -> models.QuerySet[Assignment]:
    """The lead assignments that count in reports (not those closed); ``directed_only``:
    those given by a leader's direction, not those passed on below them. The list filters
    below and the dashboard's tables group by the same rows."""
    leads = Assignment.objects.filter(role=Assignment.Role.LEAD).exclude(
        state=Assignment.State.CLOSED
    )
    return leads.filter(parent__isnull=True) if directed_only else leads


def led_by_department(department: Department | int) -> Exists:
    """Documents whose lead is ``department``, or one of its members named directly."""
    return Exists(
        lead_assignments(directed_only=True).filter(
            Q(assignee_department=department) | Q(assignee_user__department=department),
            document=OuterRef("pk"),
        )
    )


def led_by_person(user: User | int) -> Exists:
    """Documents ``user`` leads: named by the leader or passed the lead by their head."""
    return Exists(lead_assignments().filter(assignee_user=user, document=OuterRef("pk")))

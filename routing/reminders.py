"""Deadline reminders, produced by a scheduled job (``manage.py send_deadline_reminders``).

Each reminder is claimed by inserting its row (unique per work, kind and deadline) in the
same transaction as its notices: a second job running at the same moment fails to insert
and skips it; a job that crashes rolls its claim back and the next run sends it.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import date, timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from documents.models import Document
from documents.permissions import department_heads
from eoffice.models import User
from realtime.kinds import NoticeKind
from realtime.services import notify
from routing.models import Assignment, DeadlineReminder
from routing.notices import assignment_holders

logger = logging.getLogger(__name__)

KIND_NOTICES: dict[str, NoticeKind] = {
    DeadlineReminder.Kind.SOON: "deadline_soon",
    DeadlineReminder.Kind.TODAY: "deadline_today",
    DeadlineReminder.Kind.OVERDUE: "deadline_overdue",
}


@dataclass
class ReminderRun:
    sent: int = 0
    skipped: int = 0


def reminder_kind(deadline: date, today: date) -> str | None:
    days_left = (deadline - today).days
    if days_left < 0:
        return DeadlineReminder.Kind.OVERDUE
    if days_left == 0:
        return DeadlineReminder.Kind.TODAY
    if days_left in settings.EOFFICE_REMINDER_DAYS:
        return DeadlineReminder.Kind.SOON
    return None


def reminder_recipients(assignment: Assignment) -> list[User]:
    """The lead handler(s) and the head of their department."""
    people = {u.pk: u for u in assignment_holders(assignment)}
    department = assignment.assignee_department or (
        assignment.assignee_user.department if assignment.assignee_user else None
    )
    if department is not None:
        for head in department_heads(department):
            people.setdefault(head.pk, head)
    return list(people.values())


def due_assignments(today: date):
    horizon = today + timedelta(days=max(settings.EOFFICE_REMINDER_DAYS, default=0))
    return (
        Assignment.objects.filter(
            role=Assignment.Role.LEAD,
            state__in=Assignment.OPEN_STATES,
            deadline__isnull=False,
            deadline__lte=horizon,
            document__state__in=[Document.State.DIRECTED, Document.State.IN_PROGRESS],
        )
        .select_related("document", "assignee_user__department", "assignee_department")
        .order_by("deadline", "pk")
    )


def send_deadline_reminders(today: date | None = None) -> ReminderRun:
    today = today or timezone.localdate()
    run = ReminderRun()
    for assignment in due_assignments(today).iterator(chunk_size=500):
        kind = reminder_kind(assignment.deadline, today)
        if kind is None:
            continue
        try:
            with transaction.atomic():
                DeadlineReminder.objects.create(
                    assignment=assignment, kind=kind, deadline=assignment.deadline
                )
                notify(
                    reminder_recipients(assignment),
                    KIND_NOTICES[kind],
                    document=assignment.document,
                    deadline=assignment.deadline.isoformat(),
                )
        except IntegrityError:
            run.skipped += 1  # sent before, or claimed by a run going on beside this one
            continue
        run.sent += 1
    return run

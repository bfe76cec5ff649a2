"""Reports on the handling of incoming documents: the overdue list and reminders from it.

"Days late" are calendar days, like every deadline badge (``routing.deadlines``): work is
overdue from the day after its deadline, so work due yesterday is one day late.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from django.db import transaction
from django.db.models import Q, QuerySet
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from documents.models import Document, DocumentEvent
from documents.permissions import visible_documents
from documents.services import record_event
from eoffice.models import Department, User
from realtime.services import notify
from routing.models import Assignment
from routing.notices import assignment_holders

# Roles that carry a handling deadline; "for information" and "to direct" do not.
OVERDUE_ROLES = (Assignment.Role.LEAD, Assignment.Role.COORDINATE)
OPEN_DOCUMENT_STATES = (Document.State.DIRECTED, Document.State.IN_PROGRESS)

OVERDUE_ORDERINGS = {
    # Most days late first.
    "": ("deadline", "assigned_at", "pk"),
    "late_least": ("-deadline", "assigned_at", "pk"),
    "holder": ("holder_name", "deadline", "pk"),
    "department": ("holder_department_name", "deadline", "pk"),
    "since": ("assigned_at", "pk"),
}


class ReminderError(Exception):
    """A refused reminder; the message is for the user."""


def overdue_scope(user: User) -> Q:
    """Whose work ``user`` answers for: leaders the whole agency, department heads their
    department (work held by it or by its members), everyone else their own."""
    if user.is_leader:
        return Q()
    if user.is_department_head and user.department_id:
        return Q(assignee_department_id=user.department_id) | Q(
            assignee_user__department_id=user.department_id
        )
    return Q(assignee_user=user)


def list_overdue(
    user: User,
    *,
    department: Department | None = None,
    sort: str = "",
    today: date | None = None,
) -> QuerySet[Assignment]:
    """Open work past its deadline that ``user`` may see, on documents they may see.

    One query, whatever the number of rows: holder, department and document come joined.
    """
    today = today or timezone.localdate()
    assignments = Assignment.objects.filter(
        overdue_scope(user),
        role__in=OVERDUE_ROLES,
        state__in=Assignment.OPEN_STATES,
        deadline__lt=today,
        document__state__in=OPEN_DOCUMENT_STATES,
        document__in=visible_documents(user).values("pk"),
    )
    if department is not None:
        assignments = assignments.filter(
            Q(assignee_department=department) | Q(assignee_user__department=department)
        )
    return (
        assignments.annotate(
            holder_name=Coalesce("assignee_user__full_name", "assignee_department__name"),
            holder_department_name=Coalesce(
                "assignee_department__name", "assignee_user__department__name"
            ),
        )
        .select_related(
            "document__doc_type",
            "assignee_user__department",
            "assignee_user__position",
            "assignee_department",
        )
        .order_by(*OVERDUE_ORDERINGS.get(sort, OVERDUE_ORDERINGS[""]))
    )


def days_late(deadline: date, today: date | None = None) -> int:
    """Calendar days since the deadline (due yesterday = 1)."""
    return ((today or timezone.localdate()) - deadline).days


def can_remind(user: User, assignment: Assignment) -> bool:
    """Leaders remind anyone; a department head reminds the work of their department."""
    if user.is_leader:
        return True
    if not (user.is_department_head and user.department_id):
        return False
    if assignment.assignee_user_id is not None:
        assert assignment.assignee_user is not None
        return assignment.assignee_user.department_id == user.department_id
    return assignment.assignee_department_id == user.department_id


@dataclass(frozen=True)
class OverdueRow:
    assignment: Assignment
    document: Document
    holder: str
    department: str
    since: datetime
    deadline: date
    days_late: int
    can_remind: bool


def overdue_rows(
    assignments: list[Assignment], user: User, today: date | None = None
) -> list[OverdueRow]:
    """What the list shows for each row; no query (everything was joined)."""
    today = today or timezone.localdate()
    rows = []
    for assignment in assignments:
        assert assignment.deadline is not None  # overdue work has a deadline
        holder = assignment.assignee_user or assignment.assignee_department
        department = assignment.assignee_department or (
            assignment.assignee_user.department if assignment.assignee_user else None
        )
        rows.append(
            OverdueRow(
                assignment=assignment,
                document=assignment.document,
                holder=holder.title if isinstance(holder, User) else str(holder),
                department=str(department) if department is not None else "",
                since=assignment.assigned_at,
                deadline=assignment.deadline,
                days_late=days_late(assignment.deadline, today),
                can_remind=can_remind(user, assignment),
            )
        )
    return rows


def send_reminder(actor: User, assignment_id: int, *, message: str = "") -> list[User]:
    """Remind whoever holds an overdue piece of work, from the overdue list.

    Refused (``ReminderError``) unless the work is in the actor's overdue list and the
    actor may remind it (``can_remind``); an id outside the list raises
    ``Assignment.DoesNotExist``, so that the view answers 404 alike for "does not exist"
    and "not yours". In one transaction: a history entry on the document and a "reminder"
    notice to the holder (the person, or the heads of the department holding it), pushed
    after commit. Returns who was reminded.
    """
    message = message.strip()
    with transaction.atomic():
        assignment = list_overdue(actor).get(pk=assignment_id)
        if not can_remind(actor, assignment):
            raise ReminderError(_("Only a leader or the head of the department can remind."))
        recipients = [u for u in assignment_holders(assignment) if u.pk != actor.pk]
        if not recipients:
            raise ReminderError(_("You hold this work yourself: there is nobody to remind."))
        assert assignment.deadline is not None
        late = days_late(assignment.deadline)
        names = ", ".join(str(u) for u in recipients)
        note = ngettext(
            "Reminded %(names)s: %(days)s day late.",
            "Reminded %(names)s: %(days)s days late.",
            late,
        ) % {"names": names, "days": late}
        if message:
            note = f"{note} {message}"
        record_event(
            assignment.document,
            actor,
            DocumentEvent.Action.REMINDED,
            note=note,
            assignment_id=assignment.pk,
            recipient_ids=[u.pk for u in recipients],
        )
        notify(
            recipients,
            "reminder",
            document=assignment.document,
            actor=actor,
            deadline=assignment.deadline.isoformat(),
            days_late=late,
            assignment_id=assignment.pk,
        )
    return recipients

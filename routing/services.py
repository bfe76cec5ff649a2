"""Every move of an incoming document along its route.

Each service locks the document row, checks that the page the user acted on is still
current (``version``), that the action is legal in the document's state
(``routing.workflow``) and that this user may take it (``routing.rules``), then writes the
change, the grants and the history in one transaction.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from django.db import transaction
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from documents.models import Attachment, Document, DocumentEvent
from documents.permissions import grant_view
from documents.services import add_attachment, files_removed_on_failure, record_event
from documents.uploads import CheckedFile
from eoffice.models import Department, User
from realtime.services import announce_document_change
from routing.models import Assignment, DeadlineExtension, Direction
from routing.notices import (
    assignment_holders,
    directing_leaders,
    followers,
    notify_assigned,
    notify_people,
)
from routing.rules import RouteView, held_by
from routing.workflow import ACTION_LABELS, Action, is_legal, next_state

Role = Assignment.Role
# The roles a handling deadline applies to ("to direct" and "for information" have none).
DEADLINE_ROLES = (Role.LEAD, Role.COORDINATE)
Event = DocumentEvent.Action


class RoutingError(Exception):
    """A refused action; the message is for the user."""


class DocumentMovedOn(RoutingError):
    def __init__(self) -> None:
        super().__init__(
            _(
                "Someone else has acted on this document in the meantime; "
                "it has moved on. The page now shows its current state."
            )
        )


class ActionNotAllowed(RoutingError):
    pass


@dataclass(frozen=True)
class Target:
    """A person or a whole department that receives work."""

    user: User | None = None
    department: Department | None = None

    def __post_init__(self) -> None:
        if (self.user is None) == (self.department is None):
            raise ValueError("a target is exactly one user or one department")

    def __str__(self) -> str:
        return str(self.user or self.department)


def _begin(
    user: User, document_id: int, action: Action, version: int | None
) -> tuple[Document, RouteView]:
    """Lock the document and check that ``user`` may take ``action`` on it now."""
    document = Document.objects.select_for_update().get(pk=document_id)
    if version is not None and document.version != version:
        raise DocumentMovedOn
    if not is_legal(action, document.state):
        raise ActionNotAllowed(
            _("“%(action)s” is not possible while the document is “%(state)s”.")
            % {"action": ACTION_LABELS[action], "state": document.get_state_display()}
        )
    route = RouteView.load(user, document)
    if action not in route.actions():
        raise ActionNotAllowed(
            _("You cannot “%(action)s” on this document.") % {"action": ACTION_LABELS[action]}
        )
    return document, route


def _move(
    document: Document, user: User, action: Action, event: str, note: str = "", **data: object
) -> None:
    """Apply the state change of ``action`` and write its history entry."""
    source = document.state
    target = next_state(action, source)
    document.state = target
    # The row is locked since ``_begin`` read it (select_for_update): its version cannot
    # have moved, so the next one is known without reading it back.
    document.version += 1
    document.save(
        update_fields=[
            "state",
            "version",
            "completed_at",
            "updated_at",
            "deadline",
            "result_summary",
            "reply_number_symbol",
            "cancel_reason",
        ]
    )
    record_event(document, user, event, from_state=source, to_state=target, note=note, **data)
    announce_document_change(document, "state")


def _grant(document: Document, actor: User, targets: Sequence[Target]) -> None:
    """Grant every target the document, with one history line naming the new ones."""
    names = grant_view(
        document,
        users=[t.user for t in targets if t.user is not None],
        departments=[t.department for t in targets if t.department is not None],
    )
    if names:
        record_event(document, actor, Event.GRANTED, note=", ".join(names))


def _assign(
    document: Document,
    actor: User,
    role: str,
    target: Target,
    *,
    deadline: date | None = None,
    direction: Direction | None = None,
    parent: Assignment | None = None,
    note: str = "",
) -> Assignment:
    (assignment,) = _assign_all(
        document,
        actor,
        [(role, target)],
        deadline=deadline,
        direction=direction,
        parent=parent,
        note=note,
    )
    return assignment


def _assign_all(
    document: Document,
    actor: User,
    work: Sequence[tuple[str, Target]],
    *,
    deadline: date | None = None,
    direction: Direction | None = None,
    parent: Assignment | None = None,
    note: str = "",
) -> list[Assignment]:
    """Give each ``(role, target)`` its assignment and access, in a fixed number of
    queries: a direction naming a hundred people costs what one naming one does.

    The deadline applies to the roles that carry one (lead and coordinating)."""
    assignments = Assignment.objects.bulk_create(
        [
            Assignment(
                document=document,
                direction=direction,
                parent=parent,
                role=role,
                assignee_user=target.user,
                assignee_department=target.department,
                deadline=deadline if role in DEADLINE_ROLES else None,
                original_deadline=deadline if role in DEADLINE_ROLES else None,
                note=note,
                assigned_by=actor,
            )
            for role, target in work
        ]
    )
    _grant(document, actor, [target for _role, target in work])
    return assignments


def _close_open(document: Document, *roles: str) -> None:
    Assignment.objects.filter(
        document=document, role__in=roles, state__in=Assignment.OPEN_STATES
    ).update(state=Assignment.State.CLOSED)


def submit_to_leader(
    clerk: User, document_id: int, *, version: int | None, leader: User, note: str = ""
) -> Document:
    """Clerk presents a registered (or returned) document to a leader for direction.

    The leader is granted access and gets a "to direct" assignment.
    """
    if not leader.is_leader or not leader.is_active:
        raise RoutingError(
            _("%(name)s is not a leader who can give directions.") % {"name": leader}
        )
    with transaction.atomic():
        document, _route = _begin(clerk, document_id, Action.SUBMIT, version)
        _assign(document, clerk, Role.DIRECT, Target(user=leader), note=note)
        _move(
            document,
            clerk,
            Action.SUBMIT,
            Event.SUBMITTED,
            note=_("To %(leader)s. %(note)s") % {"leader": leader.title, "note": note},
            leader_id=leader.pk,
        )
        notify_people([leader], "document_to_direct", document, clerk)
    return document


def direct_document(
    leader: User,
    document_id: int,
    *,
    version: int | None,
    text: str,
    lead: Target,
    coordinators: Sequence[Target] = (),
    informed: Sequence[Target] = (),
    deadline: date | None = None,
) -> Direction:
    """The leader writes a direction and assigns one lead, coordinators and readers.

    Everyone named is granted access (a confidential document only to people and to
    department heads). The handling deadline applies to lead and coordinators.
    """
    text = text.strip()
    if not text:
        raise RoutingError(_("Write the direction."))
    targets = [lead, *coordinators, *informed]
    if len({(t.user and t.user.pk, t.department and t.department.pk) for t in targets}) != len(
        targets
    ):
        raise RoutingError(_("Each person or department can hold only one role."))
    if deadline is not None and deadline < timezone.localdate():
        raise RoutingError(_("The handling deadline cannot be in the past."))
    with transaction.atomic():
        document, _route = _begin(leader, document_id, Action.DIRECT, version)
        direction = Direction.objects.create(
            document=document, leader=leader, text=text, deadline=deadline
        )
        Assignment.objects.filter(
            document=document, role=Role.DIRECT, state__in=Assignment.OPEN_STATES
        ).update(state=Assignment.State.DONE, completed_at=timezone.now(), completed_by=leader)
        assigned = _assign_all(
            document,
            leader,
            [
                (Role.LEAD, lead),
                *[(Role.COORDINATE, target) for target in coordinators],
                *[(Role.INFORM, target) for target in informed],
            ],
            deadline=deadline,
            direction=direction,
        )
        document.deadline = deadline
        _move(
            document,
            leader,
            Action.DIRECT,
            Event.DIRECTED,
            note=text,
            lead=str(lead),
            coordinators=[str(t) for t in coordinators],
            informed=[str(t) for t in informed],
            deadline=deadline.isoformat() if deadline else None,
        )
        notify_assigned(document, leader, assigned)
    return direction


def return_to_clerk(user: User, document_id: int, *, version: int | None, reason: str) -> Document:
    """The leader sends the document back to the clerks, with the reason."""
    reason = reason.strip()
    if not reason:
        raise RoutingError(_("Say why the document is returned."))
    with transaction.atomic():
        document, route = _begin(user, document_id, Action.RETURN, version)
        submitters = [a.assigned_by for a in route.held_with_role(Role.DIRECT)]
        _close_open(document, Role.DIRECT)
        _move(document, user, Action.RETURN, Event.RETURNED, note=reason)
        notify_people(submitters, "document_returned", document, user, reason=reason)
    return document


def pass_on(
    head: User,
    document_id: int,
    *,
    version: int | None,
    assignment_id: int,
    specialist: User,
    deadline: date | None = None,
    note: str = "",
) -> Assignment:
    """A department head passes their department's work to one of its specialists.

    The sub-deadline may not be later than the department's own deadline.
    """
    with transaction.atomic():
        document, route = _begin(head, document_id, Action.PASS_ON, version)
        parent = next((a for a in route.held if a.pk == assignment_id), None)
        if parent is None or not route.can_pass_on(parent):
            raise ActionNotAllowed(_("This work is not yours to pass on."))
        if specialist.department_id != head.department_id or not specialist.is_active:
            raise RoutingError(_("Choose a member of your own department."))
        if specialist.pk == head.pk:
            raise RoutingError(_("Choose someone other than yourself."))
        if deadline is not None and parent.deadline is not None and deadline > parent.deadline:
            raise RoutingError(
                _("The deadline cannot be later than the department's deadline, %(date)s.")
                % {"date": date_format(parent.deadline, "SHORT_DATE_FORMAT")}
            )
        deadline = deadline or parent.deadline
        child = _assign(
            document,
            head,
            parent.role,
            Target(user=specialist),
            deadline=deadline,
            direction=parent.direction,
            parent=parent,
            note=note,
        )
        parent.state = Assignment.State.PASSED_ON
        parent.save(update_fields=["state"])
        _move(
            document,
            head,
            Action.PASS_ON,
            Event.PASSED_ON,
            note=_("%(role)s: %(name)s. %(note)s")
            % {"role": parent.get_role_display(), "name": specialist.title, "note": note},
            assignment_id=child.pk,
            deadline=deadline.isoformat() if deadline else None,
        )
        notify_assigned(document, head, [child])
    return child


def _finish_chain(assignment: Assignment, user: User, result: str) -> None:
    """Mark an assignment and the ones it was passed on from as done."""
    now = timezone.now()
    current: Assignment | None = assignment
    while current is not None:
        current.state = Assignment.State.DONE
        current.completed_at = now
        current.completed_by = user
        current.result = result
        current.save(update_fields=["state", "completed_at", "completed_by", "result"])
        current = current.parent


def complete_part(user: User, document_id: int, *, assignment_id: int, result: str) -> None:
    """A coordinating handler reports their contribution; the document stays open."""
    result = result.strip()
    if not result:
        raise RoutingError(_("Describe what your part contributed."))
    with transaction.atomic():
        document, route = _begin(user, document_id, Action.COMPLETE_PART, None)
        assignment = next(
            (a for a in route.held_with_role(Role.COORDINATE) if a.pk == assignment_id), None
        )
        if assignment is None:
            raise DocumentMovedOn
        _finish_chain(assignment, user, result)
        record_event(document, user, Event.PART_DONE, note=result, assignment_id=assignment.pk)
        lead_holders = [
            holder
            for lead in Assignment.objects.filter(
                document=document, role=Role.LEAD, state__in=Assignment.OPEN_STATES
            ).select_related("assignee_user", "assignee_department")
            for holder in assignment_holders(lead)
        ]
        notify_people(lead_holders, "part_completed", document, user)


def complete_document(
    user: User,
    document_id: int,
    *,
    version: int | None,
    result: str,
    reply_number_symbol: str = "",
    files: Sequence[CheckedFile] = (),
) -> Document:
    """The lead handler reports the result; handling of the document is complete.

    Open coordinating and reading assignments are closed; the reply's number/symbol goes
    into the follow-up register.
    """
    result = result.strip()
    if not result:
        raise RoutingError(_("Report the result of the handling."))
    with files_removed_on_failure() as stored, transaction.atomic():
        document, route = _begin(user, document_id, Action.COMPLETE, version)
        lead = route.held_with_role(Role.LEAD)[0]
        _finish_chain(lead, user, result)
        _close_open(document, Role.LEAD, Role.COORDINATE, Role.INFORM)
        for checked in files:
            add_attachment(document, user, checked, stored, kind=Attachment.Kind.RESULT)
        document.completed_at = timezone.now()
        document.result_summary = result
        document.reply_number_symbol = reply_number_symbol.strip()
        _move(
            document,
            user,
            Action.COMPLETE,
            Event.COMPLETED,
            note=result,
            reply_number_symbol=document.reply_number_symbol,
        )
        notify_people(directing_leaders(document), "document_completed", document, user)
    return document


def reopen_document(
    leader: User,
    document_id: int,
    *,
    version: int | None,
    reason: str,
    deadline: date | None = None,
) -> Document:
    """A leader who directed the document reopens it; the last lead handler holds it again.

    A new deadline, when given, applies to the reopened work and to the document.
    """
    reason = reason.strip()
    if not reason:
        raise RoutingError(_("Say why the document is reopened."))
    if deadline is not None and deadline < timezone.localdate():
        raise RoutingError(_("The handling deadline cannot be in the past."))
    with transaction.atomic():
        document, _route = _begin(leader, document_id, Action.REOPEN, version)
        last_lead = (
            Assignment.objects.filter(document=document, role=Role.LEAD, children__isnull=True)
            .order_by("-completed_at", "-pk")
            .first()
        )
        current: Assignment | None = last_lead
        while current is not None:
            current.state = (
                Assignment.State.IN_PROGRESS if current is last_lead else Assignment.State.PASSED_ON
            )
            current.completed_at = None
            if deadline is not None:
                current.deadline = deadline
            current.save(update_fields=["state", "completed_at", "deadline"])
            current = current.parent
        if deadline is not None:
            document.deadline = deadline
        document.completed_at = None
        _move(document, leader, Action.REOPEN, Event.REOPENED, note=reason)
        if last_lead is not None:
            notify_people(
                assignment_holders(last_lead), "document_reopened", document, leader, reason=reason
            )
    return document


def cancel_registration(
    clerk: User, document_id: int, *, version: int | None, reason: str
) -> Document:
    """The registration is cancelled; its arrival number stays in the register, marked."""
    reason = reason.strip()
    if not reason:
        raise RoutingError(_("Say why the registration is cancelled."))
    with transaction.atomic():
        document, _route = _begin(clerk, document_id, Action.CANCEL, version)
        _close_open(document, Role.DIRECT)
        document.cancel_reason = reason
        _move(document, clerk, Action.CANCEL, Event.CANCELLED, note=reason)
    return document


def request_extension(
    user: User, document_id: int, *, assignment_id: int, requested_deadline: date, reason: str
) -> DeadlineExtension:
    """A handler asks whoever set their deadline for more time."""
    reason = reason.strip()
    if not reason:
        raise RoutingError(_("Say why you need more time."))
    with transaction.atomic():
        document, route = _begin(user, document_id, Action.REQUEST_EXTENSION, None)
        assignment = next(
            (
                a
                for a in route.answerable()
                if a.pk == assignment_id and route.can_request_extension(a)
            ),
            None,
        )
        if assignment is None:
            raise ActionNotAllowed(_("You cannot ask for an extension of this work."))
        assert assignment.deadline is not None  # can_request_extension() requires one
        parent = assignment.parent
        if parent is not None and parent.deadline and requested_deadline > parent.deadline:
            raise RoutingError(
                _(
                    "The department's own deadline is %(date)s; the department head must "
                    "first obtain a longer one."
                )
                % {"date": date_format(parent.deadline, "SHORT_DATE_FORMAT")}
            )
        if requested_deadline <= assignment.deadline:
            raise RoutingError(
                _("The new deadline must be later than the current one, %(date)s.")
                % {"date": date_format(assignment.deadline, "SHORT_DATE_FORMAT")}
            )
        extension = DeadlineExtension.objects.create(
            assignment=assignment,
            requested_by=user,
            previous_deadline=assignment.deadline,
            requested_deadline=requested_deadline,
            reason=reason,
        )
        record_event(
            document,
            user,
            Event.EXTENSION_REQUESTED,
            note=reason,
            extension_id=extension.pk,
            requested_deadline=requested_deadline.isoformat(),
        )
        notify_people(
            [assignment.assigned_by],
            "extension_requested",
            document,
            user,
            requested_deadline=requested_deadline.isoformat(),
        )
    return extension


def decide_extension(
    user: User, document_id: int, *, extension_id: int, grant: bool, note: str = ""
) -> DeadlineExtension:
    """Grant or refuse an extension; granting moves the deadline of that work."""
    with transaction.atomic():
        document, route = _begin(user, document_id, Action.DECIDE_EXTENSION, None)
        extension = next((e for e in route.extensions_to_decide if e.pk == extension_id), None)
        if extension is None:
            raise DocumentMovedOn
        extension.state = (
            DeadlineExtension.State.GRANTED if grant else DeadlineExtension.State.REFUSED
        )
        extension.decided_by = user
        extension.decided_at = timezone.now()
        extension.decision_note = note.strip()
        extension.save(update_fields=["state", "decided_by", "decided_at", "decision_note"])
        if grant:
            assignment = extension.assignment
            assignment.deadline = extension.requested_deadline
            assignment.save(update_fields=["deadline"])
            # Work passed on below it keeps its place inside the new deadline.
            if assignment.role == Role.LEAD and assignment.parent_id is None:
                Document.objects.filter(pk=document.pk).update(
                    deadline=extension.requested_deadline
                )
        record_event(
            document,
            user,
            Event.EXTENSION_GRANTED if grant else Event.EXTENSION_REFUSED,
            note=note,
            extension_id=extension.pk,
            requested_deadline=extension.requested_deadline.isoformat(),
        )
        notify_people(
            [extension.requested_by],
            "extension_granted" if grant else "extension_refused",
            document,
            user,
            requested_deadline=extension.requested_deadline.isoformat(),
        )
    return extension


def add_comment(user: User, document_id: int, text: str) -> DocumentEvent:
    text = text.strip()
    if not text:
        raise RoutingError(_("Write the comment."))
    with transaction.atomic():
        document, _route = _begin(user, document_id, Action.COMMENT, None)
        event = record_event(document, user, Event.COMMENTED, note=text)
        announce_document_change(document, "comment")
        notify_people(followers(document), "comment", document, user, event_id=event.pk)
    return event


def mark_read(user: User, document: Document) -> None:
    """Opening the document closes the user's "for information" assignments.

    Most page views have nothing to close: they are answered without a write transaction
    (on SQLite, a transaction takes the database's write lock at its start).
    """
    reading = Assignment.objects.filter(
        document=document, role=Role.INFORM, state__in=Assignment.OPEN_STATES
    ).filter(held_by(user))
    if not reading.exists():
        return
    with transaction.atomic():
        updated = reading.update(
            state=Assignment.State.DONE, completed_at=timezone.now(), completed_by=user
        )
        if updated:
            record_event(document, user, Event.READ)

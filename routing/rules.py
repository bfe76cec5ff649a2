"""Who may take which action on a document, derived from the route it has taken."""

from __future__ import annotations

from dataclasses import dataclass, field

from django.db.models import Q

from documents.models import Document
from eoffice.models import User
from routing.models import Assignment, DeadlineExtension, Direction
from routing.workflow import Action, is_legal

Role = Assignment.Role


def held_by(user: User) -> Q:
    """Assignments ``user`` holds: their own, and their department's if they head it."""
    condition = Q(assignee_user=user)
    if user.is_department_head and user.department_id:
        condition |= Q(assignee_user__isnull=True, assignee_department_id=user.department_id)
    return condition


@dataclass
class RouteView:
    """What one user holds on one document; read with a fixed number of queries."""

    user: User
    document: Document
    held: list[Assignment] = field(default_factory=list)
    # Work the user passed on: still theirs to answer for (they may ask for more time).
    delegated: list[Assignment] = field(default_factory=list)
    extensions_to_decide: list[DeadlineExtension] = field(default_factory=list)
    has_directed: bool = False

    @classmethod
    def load(cls, user: User, document: Document) -> RouteView:
        mine = list(
            Assignment.objects.filter(
                document=document, state__in=[*Assignment.OPEN_STATES, Assignment.State.PASSED_ON]
            )
            .filter(held_by(user))
            .select_related("assignee_user", "assignee_department", "parent")
            .prefetch_related("extensions")
        )
        held = [a for a in mine if a.state in Assignment.OPEN_STATES]
        delegated = [a for a in mine if a.state == Assignment.State.PASSED_ON]
        to_decide = list(
            DeadlineExtension.objects.filter(
                assignment__document=document,
                state=DeadlineExtension.State.PENDING,
                assignment__assigned_by=user,
            ).select_related("assignment", "requested_by")
        )
        directed = Direction.objects.filter(document=document, leader=user).exists()
        return cls(user, document, held, delegated, to_decide, directed)

    def answerable(self) -> list[Assignment]:
        """Work whose deadline the user answers for: what they hold and what they passed on."""
        return self.held + self.delegated

    def held_with_role(self, *roles: str) -> list[Assignment]:
        return [a for a in self.held if a.role in roles]

    def can_pass_on(self, assignment: Assignment) -> bool:
        return (
            self.user.is_department_head
            and assignment.role in (Role.LEAD, Role.COORDINATE)
            and (assignment.assignee_user_id is None or assignment.assignee_user_id == self.user.pk)
        )

    def can_request_extension(self, assignment: Assignment) -> bool:
        return (
            assignment.role in (Role.LEAD, Role.COORDINATE)
            and assignment.deadline is not None
            and not any(
                e.state == DeadlineExtension.State.PENDING for e in assignment.extensions.all()
            )
        )

    def actions(self) -> set[Action]:
        """Every action this user may take now; the services check the same set."""
        user, state = self.user, self.document.state
        allowed: set[Action] = set()
        if user.is_clerk and self.document.direction == Document.Direction.INCOMING:
            allowed |= {Action.SUBMIT, Action.CANCEL}
        if self.held_with_role(Role.DIRECT):
            allowed |= {Action.DIRECT, Action.RETURN}
        leads = self.held_with_role(Role.LEAD)
        coordinates = self.held_with_role(Role.COORDINATE)
        if leads:
            allowed.add(Action.COMPLETE)
        if coordinates:
            allowed.add(Action.COMPLETE_PART)
        if any(self.can_pass_on(a) for a in leads + coordinates):
            allowed.add(Action.PASS_ON)
        if any(self.can_request_extension(a) for a in self.answerable()):
            allowed.add(Action.REQUEST_EXTENSION)
        if self.extensions_to_decide:
            allowed.add(Action.DECIDE_EXTENSION)
        if user.is_leader and self.has_directed:
            allowed.add(Action.REOPEN)
        allowed.add(Action.COMMENT)
        return {action for action in allowed if is_legal(action, state)}

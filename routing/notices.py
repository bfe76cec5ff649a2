"""Who hears about each move of a document: turns routing events into notices."""

from __future__ import annotations

from documents.models import Document
from documents.permissions import department_heads
from eoffice.models import User
from realtime.kinds import NoticeKind
from realtime.services import notify
from routing.models import Assignment, Direction


def assignment_holders(assignment: Assignment) -> list[User]:
    """The person holding the work, or the heads of the department holding it."""
    if assignment.assignee_user is not None:
        return [assignment.assignee_user]
    # Without a user it is held by a department (the assignment_has_assignee constraint).
    assert assignment.assignee_department is not None
    return list(department_heads(assignment.assignee_department))


def notify_assigned(document: Document, actor: User, assignments: list[Assignment]) -> None:
    for assignment in assignments:
        notify(
            assignment_holders(assignment),
            "document_assigned",
            document=document,
            actor=actor,
            role=assignment.role,
            deadline=assignment.deadline.isoformat() if assignment.deadline else None,
        )


def directing_leaders(document: Document) -> list[User]:
    return [
        d.leader
        for d in Direction.objects.filter(document=document).select_related("leader").distinct()
    ]


def followers(document: Document) -> list[User]:
    """Everyone on the route: handlers, heads of handling departments, directing leaders."""
    people: dict[int, User] = {}
    for assignment in Assignment.objects.filter(document=document).select_related(
        "assignee_user", "assignee_department"
    ):
        for user in assignment_holders(assignment):
            people[user.pk] = user
    for leader in directing_leaders(document):
        people[leader.pk] = leader
    people.setdefault(document.registered_by_id, document.registered_by)
    return list(people.values())


def notify_people(
    users: list[User], kind: NoticeKind, document: Document, actor: User, **data: object
) -> None:
    notify(users, kind, document=document, actor=actor, **data)

"""Who hears about each move of a document: turns routing events into notices."""

from __future__ import annotations

from collections import defaultdict

from documents.models import Document
from documents.permissions import department_heads
from eoffice.models import User
from realtime.kinds import NoticeKind
from realtime.services import notify, notify_each
from routing.models import Assignment, Direction


def assignment_holders(assignment: Assignment) -> list[User]:
    """The person holding the work, or the heads of the department holding it."""
    if assignment.assignee_user is not None:
        return [assignment.assignee_user]
    # Without a user it is held by a department (the assignment_has_assignee constraint).
    assert assignment.assignee_department is not None
    return list(department_heads(assignment.assignee_department))


def notify_assigned(document: Document, actor: User, assignments: list[Assignment]) -> None:
    """One notice per assignment to whoever holds it, stored and pushed as one batch."""
    department_ids = {
        a.assignee_department_id
        for a in assignments
        if a.assignee_user is None and a.assignee_department_id is not None
    }
    heads: defaultdict[int | None, list[User]] = defaultdict(list)
    if department_ids:
        for head in User.objects.filter(
            department_id__in=department_ids, is_active=True, roles__code="department_head"
        ).distinct():
            heads[head.department_id].append(head)
    notify_each(
        [
            (
                [a.assignee_user]
                if a.assignee_user is not None
                else heads[a.assignee_department_id],
                "document_assigned",
                {
                    "role": a.role,
                    "deadline": a.deadline.isoformat() if a.deadline else None,
                },
            )
            for a in assignments
        ],
        document=document,
        actor=actor,
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
    if document.registered_by is not None:
        people.setdefault(document.registered_by.pk, document.registered_by)
    return list(people.values())


def notify_people(
    users: list[User], kind: NoticeKind, document: Document, actor: User, **data: object
) -> None:
    notify(users, kind, document=document, actor=actor, **data)

"""Turns documents and assignments into what the screens show (labels, deadline badges)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from typing import Any

from django.utils.translation import gettext_lazy as _

from documents.models import Document
from eoffice.models import User
from routing.deadlines import DeadlineState, deadline_state
from routing.models import Assignment

TODO_LABELS = {
    Assignment.Role.DIRECT: _("Direct"),
    Assignment.Role.LEAD: _("Handle (lead)"),
    Assignment.Role.COORDINATE: _("Coordinate"),
    Assignment.Role.INFORM: _("Read for information"),
}


@dataclass
class TodoRow:
    document: Document
    task: str
    deadline: date | None
    deadline_state: DeadlineState


def todo_rows(documents: Iterable[Document], user: User) -> list[TodoRow]:
    rows = []
    for document in documents:
        # routing.selectors.list_todo annotates todo_role, todo_deadline and
        # extension_pending on each row; the model's type does not know annotations.
        annotated: Any = document
        if annotated.todo_role:
            task = TODO_LABELS[annotated.todo_role]
        elif annotated.extension_pending:
            task = _("Decide on an extension")
        elif document.state == Document.State.RETURNED:
            task = _("Returned: submit again or cancel")
        else:
            task = _("Submit to a leader")
        deadline = annotated.todo_deadline or document.deadline
        rows.append(TodoRow(document, str(task), deadline, deadline_state(deadline)))
    return rows


@dataclass
class AssignmentRow:
    assignment: Assignment
    depth: int
    deadline_state: DeadlineState


def assignment_rows(assignments: Iterable[Assignment]) -> list[AssignmentRow]:
    """Assignments as a tree: work passed on is shown under the work it came from."""
    children: dict[int | None, list[Assignment]] = {}
    for assignment in assignments:
        children.setdefault(assignment.parent_id, []).append(assignment)
    rows: list[AssignmentRow] = []

    def walk(parent_id: int | None, depth: int) -> None:
        for assignment in children.get(parent_id, []):
            completed_at = (
                assignment.completed_at if assignment.state == Assignment.State.DONE else None
            )
            state = (
                deadline_state(assignment.deadline, completed_at)
                if assignment.role in (Assignment.Role.LEAD, Assignment.Role.COORDINATE)
                and assignment.state != Assignment.State.CLOSED
                else DeadlineState.NONE
            )
            rows.append(AssignmentRow(assignment, depth, state))
            walk(assignment.pk, depth + 1)

    walk(None, 0)
    return rows

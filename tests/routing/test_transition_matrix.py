"""Every action against every state, through the services, by the person it belongs to.

Legal moves succeed; illegal ones are refused with a message and leave nothing behind.
"""

from __future__ import annotations

import pytest

from documents.models import Document, DocumentEvent
from routing import services
from routing.models import Assignment
from routing.services import ActionNotAllowed, Target
from routing.workflow import INCOMING_STATES, Action, is_legal
from tests.builders import future, register

S = Document.State


def in_state(people, state: str) -> Document:
    document = register(people.clerk, files=0)
    if state in (S.REGISTERED,):
        return document
    if state == S.CANCELLED:
        services.cancel_registration(people.clerk, document.pk, version=None, reason="Nhầm")
        return document
    services.submit_to_leader(people.clerk, document.pk, version=None, leader=people.leader)
    if state == S.AWAITING_DIRECTION:
        return document
    if state == S.RETURNED:
        services.return_to_clerk(people.leader, document.pk, version=None, reason="Thiếu")
        return document
    services.direct_document(
        people.leader,
        document.pk,
        version=None,
        text="Giao",
        lead=Target(department=people.department),
        deadline=future(10),
        coordinators=[Target(department=people.other_department)],
    )
    if state == S.DIRECTED:
        return document
    lead = Assignment.objects.get(document=document, role="lead")
    services.pass_on(
        people.head,
        document.pk,
        version=None,
        assignment_id=lead.pk,
        specialist=people.specialist,
        deadline=future(5),
    )
    if state == S.IN_PROGRESS:
        return document
    services.complete_document(people.specialist, document.pk, version=None, result="Xong")
    assert state == S.COMPLETED
    return document


def attempt(people, action: Action, document: Document):
    """Take ``action`` as the person it belongs to in the route."""
    lead = Assignment.objects.filter(document=document, role="lead").order_by("-pk").first()
    lead_holder = people.specialist if lead and lead.parent_id else people.head
    coordinate = Assignment.objects.filter(document=document, role="coordinate").first()
    match action:
        case Action.SUBMIT:
            return services.submit_to_leader(
                people.clerk, document.pk, version=None, leader=people.leader
            )
        case Action.DIRECT:
            return services.direct_document(
                people.leader,
                document.pk,
                version=None,
                text="Giao",
                lead=Target(department=people.department),
            )
        case Action.RETURN:
            return services.return_to_clerk(
                people.leader, document.pk, version=None, reason="Thiếu"
            )
        case Action.PASS_ON:
            top = Assignment.objects.filter(
                document=document, role="lead", parent__isnull=True
            ).first()
            return services.pass_on(
                people.head,
                document.pk,
                version=None,
                assignment_id=top.pk if top else 0,
                specialist=people.colleague,
            )
        case Action.COMPLETE_PART:
            return services.complete_part(
                people.outsider_head,
                document.pk,
                assignment_id=coordinate.pk if coordinate else 0,
                result="Đã phối hợp",
            )
        case Action.COMPLETE:
            return services.complete_document(lead_holder, document.pk, version=None, result="Xong")
        case Action.REQUEST_EXTENSION:
            return services.request_extension(
                lead_holder,
                document.pk,
                assignment_id=lead.pk if lead else 0,
                requested_deadline=future(7 if lead_holder == people.specialist else 20),
                reason="Thêm thời gian",
            )
        case Action.REOPEN:
            return services.reopen_document(
                people.leader, document.pk, version=None, reason="Bổ sung"
            )
        case Action.CANCEL:
            return services.cancel_registration(
                people.clerk, document.pk, version=None, reason="Nhầm"
            )
        case Action.COMMENT:
            return services.add_comment(people.clerk, document.pk, "Ý kiến")
    raise AssertionError(action)


MATRIX_ACTIONS = [a for a in Action if a != Action.DECIDE_EXTENSION]
# Legal in the state, but nobody holds such work at that point of this route: the head has
# already passed the department's work on.
NOT_HELD = {(S.IN_PROGRESS, Action.PASS_ON)}


@pytest.mark.parametrize("action", MATRIX_ACTIONS)
@pytest.mark.parametrize("state", sorted(INCOMING_STATES - {S.WITHDRAWN}))
def test_action_in_state(people, state, action):
    document = in_state(people, state)
    document.refresh_from_db()
    assert document.state == state
    before = (document.version, DocumentEvent.objects.filter(document=document).count())
    if is_legal(action, state) and (state, action) not in NOT_HELD:
        attempt(people, action, document)
        document.refresh_from_db()
        assert DocumentEvent.objects.filter(document=document).count() > before[1]
    else:
        with pytest.raises(ActionNotAllowed):
            attempt(people, action, document)
        document.refresh_from_db()
        assert document.state == state
        assert (document.version, DocumentEvent.objects.filter(document=document).count()) == before

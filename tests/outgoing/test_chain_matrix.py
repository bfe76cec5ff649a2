"""Every DraftAction in every outgoing state, taken through the services by the person the
action belongs to: the legal moves succeed, the others are refused and leave nothing
behind (no history entry, no notice, no task or step change, version unchanged)."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from documents.drafts import DraftNotEditable, update_draft
from documents.models import Document, DocumentEvent
from routing.approval_workflow import OUTGOING_STATES, DraftAction
from routing.approvals import (
    abandon_draft,
    approve_step,
    comment_on_draft,
    forward_task,
    recall_draft,
    return_draft,
    sign_off,
    submit_draft,
)
from routing.issuing import issue_outgoing, withdraw_issued
from routing.services import RoutingError
from tests.builders import People, make_department, make_user
from tests.outgoing.helpers import bring_to, snapshot
from tests.outgoing_builders import Chain, draft_data, make_chain

pytestmark = pytest.mark.django_db

S = Document.State
A = DraftAction

# What each state allows, for the person each action belongs to. RECALL is in the state
# table for AWAITING_SIGNATURE too, but there approvers have already acted.
LEGAL: dict[str, set[DraftAction]] = {
    S.DRAFT: {A.EDIT, A.SUBMIT, A.ABANDON, A.COMMENT},
    S.IN_REVIEW: {A.APPROVE, A.RETURN, A.FORWARD, A.RECALL, A.COMMENT},
    S.AWAITING_SIGNATURE: {A.RETURN, A.FORWARD, A.SIGN, A.COMMENT},
    S.REVISION: {A.EDIT, A.SUBMIT, A.ABANDON, A.COMMENT},
    S.SIGNED: {A.ISSUE, A.COMMENT},
    S.ISSUED: {A.WITHDRAW, A.COMMENT},
    S.WITHDRAWN: set(),
    S.ABANDONED: set(),
}

# The state a legal action leads to (None: the state does not change).
TARGET: dict[tuple[DraftAction, str], str | None] = {
    (A.SUBMIT, S.DRAFT): S.IN_REVIEW,
    (A.SUBMIT, S.REVISION): S.IN_REVIEW,
    (A.APPROVE, S.IN_REVIEW): S.IN_REVIEW,  # from the head to the office chief
    (A.RETURN, S.IN_REVIEW): S.REVISION,
    (A.RETURN, S.AWAITING_SIGNATURE): S.REVISION,
    (A.RECALL, S.IN_REVIEW): S.DRAFT,
    (A.SIGN, S.AWAITING_SIGNATURE): S.SIGNED,
    (A.ISSUE, S.SIGNED): S.ISSUED,
    (A.WITHDRAW, S.ISSUED): S.WITHDRAWN,
    (A.ABANDON, S.DRAFT): S.ABANDONED,
    (A.ABANDON, S.REVISION): S.ABANDONED,
}

# The history entry each action writes.
EVENT: dict[DraftAction, str] = {
    A.EDIT: DocumentEvent.Action.DRAFT_EDITED,
    A.SUBMIT: DocumentEvent.Action.DRAFT_SUBMITTED,
    A.APPROVE: DocumentEvent.Action.STEP_APPROVED,
    A.RETURN: DocumentEvent.Action.STEP_RETURNED,
    A.FORWARD: DocumentEvent.Action.STEP_FORWARDED,
    A.RECALL: DocumentEvent.Action.DRAFT_RECALLED,
    A.SIGN: DocumentEvent.Action.SIGNED_OFF,
    A.ISSUE: DocumentEvent.Action.ISSUED,
    A.WITHDRAW: DocumentEvent.Action.WITHDRAWN,
    A.ABANDON: DocumentEvent.Action.DRAFT_ABANDONED,
    A.COMMENT: DocumentEvent.Action.COMMENTED,
}


def _holder(people: People, state: str):
    """Who holds the chain's current step (the head when nothing is active)."""
    return people.leader if state == S.AWAITING_SIGNATURE else people.head


def _run(
    action: DraftAction, people: People, chain: Chain, document: Document
) -> Callable[[], object]:
    pk, version, state = document.pk, document.version, document.state
    holder = _holder(people, state)
    calls: dict[DraftAction, Callable[[], object]] = {
        A.EDIT: lambda: update_draft(people.specialist, pk, version, draft_data(people)),
        A.SUBMIT: lambda: submit_draft(
            people.specialist, pk, version=version, template=chain.template
        ),
        A.APPROVE: lambda: approve_step(holder, pk, version=version),
        A.RETURN: lambda: return_draft(holder, pk, version=version, comment="Chưa đạt"),
        A.FORWARD: lambda: forward_task(
            holder, pk, version=version, to=chain.deputy, reason="Đi công tác"
        ),
        A.RECALL: lambda: recall_draft(people.specialist, pk, version=version),
        A.SIGN: lambda: sign_off(people.leader, pk, version=version),
        A.ISSUE: lambda: issue_outgoing(people.clerk, pk, version=version),
        A.WITHDRAW: lambda: withdraw_issued(people.clerk, pk, version=version, reason="Sai"),
        A.ABANDON: lambda: abandon_draft(people.specialist, pk, version=version),
        A.COMMENT: lambda: comment_on_draft(people.specialist, pk, "Ý kiến"),
    }
    return calls[action]


def test_the_matrix_covers_every_outgoing_state():
    assert set(LEGAL) == set(OUTGOING_STATES)


@pytest.mark.parametrize("state", sorted(OUTGOING_STATES))
@pytest.mark.parametrize("action", list(DraftAction))
def test_every_action_in_every_state(people, action, state):
    chain = make_chain(people)
    document = bring_to(state, people, chain)
    before = snapshot(document)
    run = _run(action, people, chain, document)
    if action in LEGAL[state]:
        run()
        document.refresh_from_db()
        expected = TARGET.get((action, state)) or state
        assert document.state == expected
        assert document.events.filter(action=EVENT[action]).exists()
        if action != A.COMMENT:
            assert document.version > before.version
    else:
        with pytest.raises((RoutingError, DraftNotEditable)):
            run()
        assert snapshot(document) == before


@pytest.mark.parametrize(
    "state", [S.DRAFT, S.IN_REVIEW, S.AWAITING_SIGNATURE, S.REVISION, S.SIGNED, S.ISSUED]
)
def test_an_outsider_can_take_no_action_and_leaves_nothing(people, state):
    chain = make_chain(people)
    document = bring_to(state, people, chain)
    before = snapshot(document)
    pk, version = document.pk, document.version
    # Someone of a department that is neither drafting nor receiving the document.
    outsider = make_user("stranger", "specialist", department=make_department("TP"))
    attempts: list[Callable[[], object]] = [
        lambda: submit_draft(outsider, pk, version=version, template=chain.template),
        lambda: approve_step(outsider, pk, version=version),
        lambda: return_draft(outsider, pk, version=version, comment="x"),
        lambda: forward_task(outsider, pk, version=version, to=people.head, reason="x"),
        lambda: recall_draft(outsider, pk, version=version),
        lambda: sign_off(outsider, pk, version=version),
        lambda: issue_outgoing(outsider, pk, version=version),
        lambda: withdraw_issued(outsider, pk, version=version, reason="x"),
        lambda: abandon_draft(outsider, pk, version=version),
        lambda: comment_on_draft(outsider, pk, "Tôi xem được không?"),
    ]
    for attempt in attempts:
        with pytest.raises(RoutingError):
            attempt()
    with pytest.raises(DraftNotEditable):
        update_draft(outsider, pk, version, draft_data(people))
    assert snapshot(document) == before


@pytest.mark.parametrize("state", [S.IN_REVIEW, S.AWAITING_SIGNATURE])
def test_a_stale_page_is_told_the_draft_moved_on_and_leaves_nothing(people, state):
    from documents.drafts import DraftMovedOn

    chain = make_chain(people)
    document = bring_to(state, people, chain)
    before = snapshot(document)
    holder = _holder(people, state)
    with pytest.raises(DraftMovedOn):
        return_draft(holder, document.pk, version=document.version - 1, comment="Sửa")
    assert snapshot(document) == before


def test_a_refused_move_of_a_later_approver_leaves_nothing(people):
    """The office chief (step 2) cannot act while the head (step 1) holds the draft."""
    chain = make_chain(people)
    document = bring_to(S.IN_REVIEW, people, chain)
    before = snapshot(document)
    for attempt in (
        lambda: approve_step(chain.office_chief, document.pk, version=document.version),
        lambda: sign_off(people.leader, document.pk, version=document.version),
        lambda: return_draft(
            chain.office_chief, document.pk, version=document.version, comment="x"
        ),
    ):
        with pytest.raises(RoutingError):
            attempt()
    assert snapshot(document) == before

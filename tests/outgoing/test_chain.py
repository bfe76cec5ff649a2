"""The approval chain through its services: sequential and parallel steps, adjustments,
returns, forwards, recalls, delegations and signing capacities, with the notices and
grants each move produces."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from documents.drafts import DraftMovedOn, add_draft_version
from documents.models import Document, DocumentEvent
from documents.permissions import visible_documents
from documents.uploads import check_upload
from eoffice.models import User
from realtime.models import Notice
from routing.approval_models import (
    ApprovalStep,
    ApprovalTask,
    ChainTemplate,
    ChainTemplateHolder,
    ChainTemplateStep,
    Delegation,
    StepMode,
)
from routing.approvals import (
    approve_step,
    cancel_absence,
    forward_task,
    recall_draft,
    return_draft,
    set_absence,
    sign_off,
    submit_draft,
)
from routing.services import ActionNotAllowed, RoutingError
from tests.builders import doc_type, pdf_upload
from tests.outgoing.helpers import notices, recipients_of, snapshot, task_of
from tests.outgoing_builders import make_chain, make_draft, signed_draft

pytestmark = pytest.mark.django_db

S = Document.State
Event = DocumentEvent.Action
TaskState = ApprovalTask.State
StepState = ApprovalStep.State


def sees(user: User, document: Document) -> bool:
    return visible_documents(user).filter(pk=document.pk).exists()


def make_template(
    name: str, steps: list[tuple[str, str, list[User]]], *, allow_adjust: bool = True
) -> ChainTemplate:
    """A template of (label, mode, named holders) steps; the last one signs."""
    template = ChainTemplate.objects.create(name=name, allow_adjust=allow_adjust)
    for order, (label, mode, holders) in enumerate(steps, start=1):
        step = ChainTemplateStep.objects.create(
            template=template,
            order=order,
            label=label,
            mode=mode,
            is_signing=order == len(steps),
        )
        for holder in holders:
            ChainTemplateHolder.objects.create(step=step, user=holder)
    return template


def steps_of(document: Document, round_number: int = 1) -> list[tuple[str, str]]:
    return list(
        ApprovalStep.objects.filter(document=document, round=round_number)
        .order_by("order")
        .values_list("label", "state")
    )


# --- sequential steps, notices and grants --------------------------------------------------


def test_sequential_chain_moves_step_by_step_with_notices_and_grants(people):
    chain = make_chain(people)
    chief, leader, head = chain.office_chief, people.leader, people.head
    draft = make_draft(people)
    assert sees(people.specialist, draft)
    assert not any(sees(u, draft) for u in (head, chief, leader, people.clerk, people.outsider))

    submit_draft(people.specialist, draft.pk, version=draft.version, template=chain.template)
    draft.refresh_from_db()
    assert draft.state == S.IN_REVIEW
    assert steps_of(draft) == [
        ("Kiểm tra nội dung", StepState.ACTIVE),
        ("Kiểm tra thể thức", StepState.WAITING),
        ("Ký ban hành", StepState.WAITING),
    ]
    assert notices(draft) == [("draft_to_approve", "head")]
    assert sees(head, draft) and sees(people.specialist, draft)
    assert not any(sees(u, draft) for u in (chief, leader, people.clerk, people.outsider))
    assert not sees(people.colleague, draft)

    approve_step(head, draft.pk, version=draft.version, comment="Đồng ý nội dung")
    draft.refresh_from_db()
    assert draft.state == S.IN_REVIEW
    assert notices(draft)[1:] == [
        ("draft_to_approve", "office_chief"),
        ("draft_approved", "specialist"),
    ]
    assert sees(chief, draft)
    assert not any(sees(u, draft) for u in (leader, people.clerk, people.outsider))
    assert task_of(draft, "head").acted_on_version == 1

    approve_step(chief, draft.pk, version=draft.version)
    draft.refresh_from_db()
    assert draft.state == S.AWAITING_SIGNATURE
    assert notices(draft)[3:] == [("draft_to_sign", "leader"), ("draft_approved", "specialist")]
    assert sees(leader, draft)
    assert not any(sees(u, draft) for u in (people.clerk, people.outsider))

    sign_off(leader, draft.pk, version=draft.version)
    draft.refresh_from_db()
    assert draft.state == S.SIGNED
    assert draft.signed_by == leader
    assert set(notices(draft)[5:]) == {
        ("document_to_issue", "clerk"),
        ("draft_signed", "specialist"),
    }
    assert sees(people.clerk, draft)  # the clerks keep the register from sign-off on
    assert not sees(people.outsider, draft)
    assert not sees(people.colleague, draft)
    # Each approver's part, in order, in the history.
    assert list(
        draft.events.filter(action__in=[Event.STEP_APPROVED, Event.SIGNED_OFF]).values_list(
            "actor__username", flat=True
        )
    ) == ["head", "office_chief", "leader"]
    assert draft.events.filter(action=Event.GRANTED).count() == 3


def test_nobody_is_notified_of_their_own_move(people):
    chain = make_chain(people)
    draft = make_draft(people)
    submit_draft(people.specialist, draft.pk, version=None, template=chain.template)
    assert not Notice.objects.filter(recipient=people.specialist).exists()


# --- parallel steps ------------------------------------------------------------------------


def test_parallel_all_step_needs_every_approver(people):
    template = make_template(
        "Song song",
        [
            ("Góp ý", StepMode.ALL, [people.head, people.outsider_head]),
            ("Ký", StepMode.SINGLE, [people.leader]),
        ],
    )
    draft = make_draft(people)
    submit_draft(people.specialist, draft.pk, version=None, template=template)
    assert recipients_of(draft, "draft_to_approve") == {"head", "outsider_head"}
    approve_step(people.head, draft.pk, version=None)
    draft.refresh_from_db()
    assert draft.state == S.IN_REVIEW
    assert steps_of(draft)[0][1] == StepState.ACTIVE
    assert task_of(draft, "outsider_head").state == TaskState.PENDING
    assert not sees(people.leader, draft)
    assert recipients_of(draft, "draft_to_sign") == set()
    assert recipients_of(draft, "draft_approved") == set()  # the step is not passed yet

    approve_step(people.outsider_head, draft.pk, version=None)
    draft.refresh_from_db()
    assert draft.state == S.AWAITING_SIGNATURE
    assert steps_of(draft) == [("Góp ý", StepState.APPROVED), ("Ký", StepState.ACTIVE)]
    assert recipients_of(draft, "draft_to_sign") == {"leader"}
    assert notices(draft, "draft_approved") == [("draft_approved", "specialist")]
    assert sees(people.leader, draft)


def test_parallel_any_step_closes_on_the_first_approval(people):
    template = make_template(
        "Một trong hai",
        [
            ("Góp ý", StepMode.ANY, [people.head, people.outsider_head]),
            ("Ký", StepMode.SINGLE, [people.leader]),
        ],
    )
    draft = make_draft(people)
    submit_draft(people.specialist, draft.pk, version=None, template=template)
    approve_step(people.outsider_head, draft.pk, version=None)
    draft.refresh_from_db()
    assert draft.state == S.AWAITING_SIGNATURE
    assert task_of(draft, "head").state == TaskState.NOT_NEEDED
    assert task_of(draft, "head").acted_at is None
    before = snapshot(draft)
    with pytest.raises(ActionNotAllowed):
        approve_step(people.head, draft.pk, version=None)
    assert snapshot(draft) == before


# --- adjusting the chain -------------------------------------------------------------------


def test_optional_step_can_be_left_out(people):
    chain = make_chain(people)
    draft = make_draft(people)
    submit_draft(
        people.specialist, draft.pk, version=None, template=chain.template, skip_orders=[2]
    )
    assert [label for label, _state in steps_of(draft)] == ["Kiểm tra nội dung", "Ký ban hành"]
    approve_step(people.head, draft.pk, version=None)
    draft.refresh_from_db()
    assert draft.state == S.AWAITING_SIGNATURE
    assert not sees(chain.office_chief, draft)


def test_a_required_step_cannot_be_left_out(people):
    chain = make_chain(people)
    draft = make_draft(people)
    before = snapshot(draft)
    with pytest.raises(RoutingError):
        submit_draft(
            people.specialist, draft.pk, version=None, template=chain.template, skip_orders=[1]
        )
    assert snapshot(draft) == before


def test_extra_reviewer_is_added_before_the_signing_step(people):
    chain = make_chain(people)
    draft = make_draft(people)
    submit_draft(
        people.specialist,
        draft.pk,
        version=None,
        template=chain.template,
        extra_reviewers=[people.outsider_head],
    )
    labels = [label for label, _state in steps_of(draft)]
    assert labels == ["Kiểm tra nội dung", "Kiểm tra thể thức", "Góp ý", "Ký ban hành"]
    approve_step(people.head, draft.pk, version=None)
    approve_step(chain.office_chief, draft.pk, version=None)
    assert recipients_of(draft, "draft_to_approve") == {"head", "office_chief", "outsider_head"}
    approve_step(people.outsider_head, draft.pk, version=None)
    draft.refresh_from_db()
    assert draft.state == S.AWAITING_SIGNATURE


@pytest.mark.parametrize("adjustment", ["skip", "extra"])
def test_a_fixed_chain_cannot_be_adjusted(people, adjustment):
    chain = make_chain(people, allow_adjust=False)
    draft = make_draft(people)
    before = snapshot(draft)
    kwargs = (
        {"skip_orders": [2]}
        if adjustment == "skip"
        else {"extra_reviewers": [people.outsider_head]}
    )
    with pytest.raises(RoutingError):
        submit_draft(people.specialist, draft.pk, version=None, template=chain.template, **kwargs)
    assert snapshot(draft) == before
    submit_draft(people.specialist, draft.pk, version=None, template=chain.template)


def test_a_template_for_another_type_does_not_apply(people):
    chain = make_chain(people)
    chain.template.doc_type = doc_type("QD")
    chain.template.save()
    draft = make_draft(people)
    with pytest.raises(RoutingError):
        submit_draft(people.specialist, draft.pk, version=None, template=chain.template)


def test_the_proposed_signer_must_be_able_to_sign(people):
    chain = make_chain(people)
    draft = make_draft(people, proposed_signer=people.colleague)
    before = snapshot(draft)
    with pytest.raises(RoutingError):
        submit_draft(people.specialist, draft.pk, version=None, template=chain.template)
    assert snapshot(draft) == before


# --- returns -------------------------------------------------------------------------------


def test_return_to_the_drafter_ends_the_round_and_resubmission_starts_round_two(people):
    chain = make_chain(people)
    draft = make_draft(people)
    submit_draft(people.specialist, draft.pk, version=None, template=chain.template)
    approve_step(people.head, draft.pk, version=None)
    draft.refresh_from_db()
    return_draft(
        chain.office_chief, draft.pk, version=draft.version, comment="Sai thể thức trích yếu"
    )
    draft.refresh_from_db()
    assert draft.state == S.REVISION
    assert steps_of(draft) == [
        ("Kiểm tra nội dung", StepState.APPROVED),
        ("Kiểm tra thể thức", StepState.RETURNED),
        ("Ký ban hành", StepState.WITHDRAWN),
    ]
    assert task_of(draft, "leader").state == TaskState.NOT_NEEDED
    assert notices(draft, "draft_returned") == [("draft_returned", "specialist")]

    add_draft_version(
        people.specialist, draft.pk, None, [check_upload(pdf_upload("du-thao-v2.pdf", "v2"))]
    )
    draft.refresh_from_db()
    assert draft.draft_version == 2
    submit_draft(people.specialist, draft.pk, version=draft.version, template=chain.template)
    draft.refresh_from_db()
    assert draft.state == S.IN_REVIEW
    assert steps_of(draft, 2)[0] == ("Kiểm tra nội dung", StepState.ACTIVE)
    assert steps_of(draft, 1)[1] == ("Kiểm tra thể thức", StepState.RETURNED)  # kept as it was
    approve_step(people.head, draft.pk, version=None)
    approve_step(chain.office_chief, draft.pk, version=None)
    sign_off(people.leader, draft.pk, version=None)

    acted = {
        (t.step.round, t.holder.username): t.acted_on_version
        for t in ApprovalTask.objects.filter(step__document=draft, acted_at__isnull=False)
    }
    assert acted == {
        (1, "head"): 1,
        (1, "office_chief"): 1,
        (2, "head"): 2,
        (2, "office_chief"): 2,
        (2, "leader"): 2,
    }
    history = [
        (e.action, e.actor.username, e.data.get("round"), e.data.get("version"))
        for e in draft.events.filter(
            action__in=[
                Event.DRAFT_SUBMITTED,
                Event.STEP_APPROVED,
                Event.STEP_RETURNED,
                Event.SIGNED_OFF,
            ]
        ).order_by("pk")
    ]
    assert history == [
        (Event.DRAFT_SUBMITTED, "specialist", 1, 1),
        (Event.STEP_APPROVED, "head", 1, 1),
        (Event.STEP_RETURNED, "office_chief", 1, 1),
        (Event.DRAFT_SUBMITTED, "specialist", 2, 2),
        (Event.STEP_APPROVED, "head", 2, 2),
        (Event.STEP_APPROVED, "office_chief", 2, 2),
        (Event.SIGNED_OFF, "leader", 2, 2),
    ]


def test_return_needs_a_comment(people):
    chain = make_chain(people)
    draft = make_draft(people)
    submit_draft(people.specialist, draft.pk, version=None, template=chain.template)
    before = snapshot(draft)
    with pytest.raises(RoutingError):
        return_draft(people.head, draft.pk, version=None, comment="   ")
    assert snapshot(draft) == before


def test_return_to_an_earlier_step_makes_its_approvers_act_again(people):
    chain = make_chain(people)
    draft = make_draft(people)
    submit_draft(people.specialist, draft.pk, version=None, template=chain.template)
    approve_step(people.head, draft.pk, version=None)
    approve_step(chain.office_chief, draft.pk, version=None)
    return_draft(people.leader, draft.pk, version=None, comment="Xem lại số liệu", to_step_order=1)
    draft.refresh_from_db()
    assert draft.state == S.IN_REVIEW
    steps = list(ApprovalStep.objects.filter(document=draft).order_by("order"))
    assert [(s.state, s.cycle) for s in steps] == [
        (StepState.ACTIVE, 2),
        (StepState.WAITING, 2),
        (StepState.WAITING, 2),
    ]
    assert [(k, u) for k, u in notices(draft)][-2:] == [
        ("draft_to_approve", "head"),
        ("draft_returned", "specialist"),
    ]
    # The leader cannot sign while the draft is back at step 1; the head acts again.
    with pytest.raises(ActionNotAllowed):
        sign_off(people.leader, draft.pk, version=None)
    approve_step(people.head, draft.pk, version=None)
    assert task_of(draft, "office_chief", cycle=2).state == TaskState.PENDING
    approve_step(chain.office_chief, draft.pk, version=None)
    sign_off(people.leader, draft.pk, version=None)
    draft.refresh_from_db()
    assert draft.state == S.SIGNED
    assert ApprovalTask.objects.filter(step__document=draft, holder=people.head).count() == 2
    returned = draft.events.get(action=Event.STEP_RETURNED)
    assert returned.data["to"] == "Kiểm tra nội dung"


def test_return_from_step_two_to_step_one(people):
    chain = make_chain(people)
    draft = make_draft(people)
    submit_draft(people.specialist, draft.pk, version=None, template=chain.template)
    approve_step(people.head, draft.pk, version=None)
    return_draft(chain.office_chief, draft.pk, version=None, comment="Bổ sung", to_step_order=1)
    assert task_of(draft, "head", cycle=2).state == TaskState.PENDING
    assert task_of(draft, "office_chief", cycle=1).state == TaskState.RETURNED
    approve_step(people.head, draft.pk, version=None)
    assert task_of(draft, "office_chief", cycle=2).state == TaskState.PENDING


@pytest.mark.parametrize("to_step_order", [1, 2, 3, 9])
def test_return_to_a_step_not_yet_passed_is_refused(people, to_step_order):
    chain = make_chain(people)
    draft = make_draft(people)
    submit_draft(people.specialist, draft.pk, version=None, template=chain.template)
    approve_step(people.head, draft.pk, version=None)
    # The office chief holds step 2: only step 1 is behind them.
    before = snapshot(draft)
    if to_step_order == 1:
        return_draft(chain.office_chief, draft.pk, version=None, comment="x", to_step_order=1)
        return
    with pytest.raises(RoutingError):
        return_draft(
            chain.office_chief, draft.pk, version=None, comment="x", to_step_order=to_step_order
        )
    assert snapshot(draft) == before


# --- forward -------------------------------------------------------------------------------


def test_forward_hands_the_task_on_with_a_reason(people):
    chain = make_chain(people)
    draft = make_draft(people)
    submit_draft(people.specialist, draft.pk, version=None, template=chain.template)
    before = snapshot(draft)
    with pytest.raises(RoutingError):
        forward_task(people.head, draft.pk, version=None, to=people.colleague, reason="  ")
    with pytest.raises(RoutingError):
        forward_task(people.head, draft.pk, version=None, to=people.head, reason="x")
    assert snapshot(draft) == before
    assert not sees(people.colleague, draft)

    forward_task(
        people.head, draft.pk, version=None, to=people.colleague, reason="Đồng chí nắm số liệu"
    )
    draft.refresh_from_db()
    assert draft.state == S.IN_REVIEW
    assert task_of(draft, "head").state == TaskState.FORWARDED
    forwarded = task_of(draft, "colleague")
    assert forwarded.state == TaskState.PENDING
    assert forwarded.forwarded_from == task_of(draft, "head")
    assert sees(people.colleague, draft)
    assert recipients_of(draft, "draft_to_approve") == {"head", "colleague"}
    event = draft.events.get(action=Event.STEP_FORWARDED)
    assert event.note == "Đồng chí nắm số liệu"
    assert event.data["to"] == str(people.colleague)
    # The head no longer holds the step; the colleague approves it.
    with pytest.raises(ActionNotAllowed):
        approve_step(people.head, draft.pk, version=None)
    approve_step(people.colleague, draft.pk, version=None)
    assert task_of(draft, "office_chief").state == TaskState.PENDING


def test_the_signing_step_is_forwarded_only_to_someone_who_can_sign(people):
    chain = make_chain(people)
    draft = make_draft(people)
    submit_draft(people.specialist, draft.pk, version=None, template=chain.template)
    approve_step(people.head, draft.pk, version=None)
    approve_step(chain.office_chief, draft.pk, version=None)
    before = snapshot(draft)
    with pytest.raises(RoutingError):
        forward_task(people.leader, draft.pk, version=None, to=people.colleague, reason="x")
    assert snapshot(draft) == before
    forward_task(people.leader, draft.pk, version=None, to=chain.deputy, reason="Đi họp")
    assert recipients_of(draft, "draft_to_sign") == {"leader", "deputy"}
    sign_off(chain.deputy, draft.pk, version=None)
    draft.refresh_from_db()
    assert draft.signed_by == chain.deputy
    assert draft.signer_capacity == "TM. ỦY BAN NHÂN DÂN\nKT. CHỦ TỊCH\nPHÓ CHỦ TỊCH"


# --- recall --------------------------------------------------------------------------------


def test_recall_before_anyone_acted_notifies_the_pending_holders(people):
    chain = make_chain(people)
    draft = make_draft(people)
    submit_draft(people.specialist, draft.pk, version=None, template=chain.template)
    draft.refresh_from_db()
    recall_draft(people.specialist, draft.pk, version=draft.version, reason="Thiếu phụ lục")
    draft.refresh_from_db()
    assert draft.state == S.DRAFT
    assert notices(draft, "draft_recalled") == [("draft_recalled", "head")]
    assert set(
        ApprovalTask.objects.filter(step__document=draft).values_list("state", flat=True)
    ) == {TaskState.NOT_NEEDED}
    assert set(ApprovalStep.objects.filter(document=draft).values_list("state", flat=True)) == {
        StepState.WITHDRAWN
    }
    with pytest.raises(ActionNotAllowed):
        approve_step(people.head, draft.pk, version=None)
    # The drafter may submit again: a new round.
    submit_draft(people.specialist, draft.pk, version=None, template=chain.template)
    assert steps_of(draft, 2)[0][1] == StepState.ACTIVE


def test_recall_is_refused_once_an_approver_acted(people):
    chain = make_chain(people)
    draft = make_draft(people)
    submit_draft(people.specialist, draft.pk, version=None, template=chain.template)
    approve_step(people.head, draft.pk, version=None)
    before = snapshot(draft)
    with pytest.raises(ActionNotAllowed):
        recall_draft(people.specialist, draft.pk, version=None)
    assert snapshot(draft) == before


def test_only_the_drafter_recalls(people):
    chain = make_chain(people)
    draft = make_draft(people)
    submit_draft(people.specialist, draft.pk, version=None, template=chain.template)
    with pytest.raises(ActionNotAllowed):
        recall_draft(people.head, draft.pk, version=None)


# --- signing capacities and absences -------------------------------------------------------


def _to_signature(people, chain, **overrides) -> Document:
    draft = make_draft(people, **overrides)
    submit_draft(people.specialist, draft.pk, version=None, template=chain.template)
    approve_step(people.head, draft.pk, version=None)
    approve_step(chain.office_chief, draft.pk, version=None)
    draft.refresh_from_db()
    assert draft.state == S.AWAITING_SIGNATURE
    return draft


def test_the_chairman_signs_on_behalf_of_the_collective_body(people):
    chain = make_chain(people)
    draft = signed_draft(people, chain)
    assert draft.signer_capacity == "TM. ỦY BAN NHÂN DÂN\nCHỦ TỊCH"
    assert task_of(draft, "leader").capacity == "TM"
    assert draft.events.get(action=Event.SIGNED_OFF).data["capacity_lines"] == [
        "TM. ỦY BAN NHÂN DÂN",
        "CHỦ TỊCH",
    ]


def test_a_deputy_signs_kt_for_the_chairman(people):
    chain = make_chain(people)
    draft = _to_signature(people, chain, proposed_signer=chain.deputy)
    sign_off(chain.deputy, draft.pk, version=None)
    draft.refresh_from_db()
    assert draft.signer_capacity == "TM. ỦY BAN NHÂN DÂN\nKT. CHỦ TỊCH\nPHÓ CHỦ TỊCH"
    assert task_of(draft, "deputy").capacity == "KT"


def test_a_department_head_signs_tl(people):
    chain = make_chain(people)
    draft = _to_signature(people, chain, proposed_signer=chain.office_chief)
    sign_off(chain.office_chief, draft.pk, version=None)
    draft.refresh_from_db()
    assert draft.signer_capacity == "TL. CHỦ TỊCH\nCHÁNH VĂN PHÒNG"
    assert task_of(draft, "office_chief", step__is_signing=True).capacity == "TL"


@pytest.mark.parametrize(
    ("capacity", "lines"),
    [
        (Delegation.Capacity.KT, "TM. ỦY BAN NHÂN DÂN\nKT. CHỦ TỊCH\nPHÓ CHỦ TỊCH"),
        (Delegation.Capacity.Q, "TM. ỦY BAN NHÂN DÂN\nQ. CHỦ TỊCH"),
        (Delegation.Capacity.TUQ, "TUQ. CHỦ TỊCH\nPHÓ CHỦ TỊCH"),
    ],
)
def test_during_an_absence_the_deputy_signs_in_the_capacity_given(people, capacity, lines):
    chain = make_chain(people)
    today = timezone.localdate()
    set_absence(
        people.leader,
        deputy=chain.deputy,
        starts_on=today,
        ends_on=today + timedelta(days=3),
        capacity=capacity,
        reference="15/GUQ-UBND" if capacity == Delegation.Capacity.TUQ else "",
    )
    draft = _to_signature(people, chain)
    assert recipients_of(draft, "draft_to_sign") == {"deputy"}
    assert sees(chain.deputy, draft)
    assert not sees(people.leader, draft)
    task = task_of(draft, "deputy")
    assert task.on_behalf_of == people.leader
    assert task.delegation.capacity == capacity
    with pytest.raises(ActionNotAllowed):
        sign_off(people.leader, draft.pk, version=None)
    if capacity == Delegation.Capacity.TUQ:
        # A written authorisation cannot be passed on.
        before = snapshot(draft)
        with pytest.raises(ActionNotAllowed):
            forward_task(chain.deputy, draft.pk, version=None, to=chain.office_chief, reason="x")
        assert snapshot(draft) == before
    sign_off(chain.deputy, draft.pk, version=None)
    draft.refresh_from_db()
    assert draft.signer_capacity == lines
    assert draft.signed_by == chain.deputy
    task.refresh_from_db()
    assert task.capacity == capacity
    event = draft.events.get(action=Event.SIGNED_OFF)
    assert event.data["on_behalf_of"] == str(people.leader)
    assert event.data["capacity"] == capacity


def test_a_tuq_limited_to_some_types_leaves_other_documents_with_the_head(people):
    chain = make_chain(people)
    today = timezone.localdate()
    set_absence(
        people.leader,
        deputy=chain.deputy,
        starts_on=today,
        ends_on=today,
        capacity=Delegation.Capacity.TUQ,
        reference="16/GUQ-UBND",
        doc_types=[doc_type("GM")],
    )
    # The usual draft is a công văn, outside the authorisation: it reaches the chairman.
    draft = _to_signature(people, chain)
    assert recipients_of(draft, "draft_to_sign") == {"leader"}
    assert task_of(draft, "leader").delegation is None


def test_a_kt_deputy_may_forward(people):
    chain = make_chain(people)
    today = timezone.localdate()
    set_absence(people.leader, deputy=chain.deputy, starts_on=today, ends_on=today)
    draft = _to_signature(people, chain)
    forward_task(chain.deputy, draft.pk, version=None, to=chain.office_chief, reason="Đi họp")


def test_tuq_must_be_written(people):
    chain = make_chain(people)
    today = timezone.localdate()
    with pytest.raises(RoutingError):
        set_absence(
            people.leader,
            deputy=chain.deputy,
            starts_on=today,
            ends_on=today,
            capacity=Delegation.Capacity.TUQ,
            reference="  ",
        )
    assert not Delegation.objects.exists()


def test_absences_are_time_limited_and_do_not_overlap(people):
    chain = make_chain(people)
    today = timezone.localdate()
    with pytest.raises(RoutingError):
        set_absence(
            people.leader, deputy=chain.deputy, starts_on=today, ends_on=today - timedelta(1)
        )
    with pytest.raises(RoutingError):
        set_absence(
            people.leader,
            deputy=chain.deputy,
            starts_on=today - timedelta(5),
            ends_on=today - timedelta(1),
        )
    with pytest.raises(RoutingError):
        set_absence(people.leader, deputy=people.leader, starts_on=today, ends_on=today)
    set_absence(
        people.leader,
        deputy=chain.deputy,
        starts_on=today + timedelta(2),
        ends_on=today + timedelta(5),
    )
    with pytest.raises(RoutingError):
        set_absence(
            people.leader,
            deputy=chain.office_chief,
            starts_on=today + timedelta(5),
            ends_on=today + timedelta(7),
            capacity=Delegation.Capacity.TUQ,
            reference="01/GUQ",
        )
    assert Delegation.objects.count() == 1


def test_outside_the_absence_there_is_no_delegation(people):
    chain = make_chain(people)
    today = timezone.localdate()
    set_absence(
        people.leader,
        deputy=chain.deputy,
        starts_on=today + timedelta(1),
        ends_on=today + timedelta(3),
        capacity=Delegation.Capacity.TUQ,
        reference="15/GUQ-UBND",
    )
    draft = _to_signature(people, chain)
    assert recipients_of(draft, "draft_to_sign") == {"leader"}
    assert task_of(draft, "leader").delegation is None
    sign_off(people.leader, draft.pk, version=None)
    draft.refresh_from_db()
    assert draft.signer_capacity == "TM. ỦY BAN NHÂN DÂN\nCHỦ TỊCH"


def test_a_cancelled_absence_no_longer_delegates(people):
    chain = make_chain(people)
    today = timezone.localdate()
    absence = set_absence(people.leader, deputy=chain.deputy, starts_on=today, ends_on=today)
    with pytest.raises(RoutingError):
        cancel_absence(chain.deputy, absence.pk)
    cancel_absence(people.leader, absence.pk)
    draft = _to_signature(people, chain)
    assert recipients_of(draft, "draft_to_sign") == {"leader"}


def test_a_stale_version_is_refused(people):
    chain = make_chain(people)
    draft = make_draft(people)
    submit_draft(people.specialist, draft.pk, version=None, template=chain.template)
    draft.refresh_from_db()
    with pytest.raises(DraftMovedOn):
        approve_step(people.head, draft.pk, version=draft.version - 1)


def test_a_new_user_cannot_submit_someone_elses_draft(people):
    chain = make_chain(people)
    draft = make_draft(people)
    with pytest.raises(ActionNotAllowed):
        submit_draft(people.colleague, draft.pk, version=None, template=chain.template)

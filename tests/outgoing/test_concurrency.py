"""Concurrent issuers and approvers on PostgreSQL: numbers stay unique and gap-free, and of
two simultaneous moves on one step exactly one wins."""

from __future__ import annotations

import threading
from collections.abc import Callable

import pytest
from django.db import close_old_connections, connection

from documents.drafts import DraftMovedOn
from documents.models import Document, DocumentEvent, NumberReservation, Register
from documents.outgoing_numbers import reserve_number
from realtime.models import Notice
from routing.approval_models import ApprovalStep, ApprovalTask, StepMode
from routing.approvals import approve_step, recall_draft, submit_draft
from routing.issuing import issue_outgoing
from routing.services import ActionNotAllowed
from tests.builders import doc_type, make_people, make_user
from tests.conftest import requires_postgres
from tests.outgoing.test_chain import make_template
from tests.outgoing_builders import make_chain, make_draft, signed_draft

S = Document.State
Event = DocumentEvent.Action


def _together(actions: list[Callable[[], object]]) -> list[object]:
    """Run every action in its own thread, released at the same moment."""
    barrier = threading.Barrier(len(actions))
    outcomes: list[object] = [None] * len(actions)

    def run(index: int, action: Callable[[], object]) -> None:
        try:
            barrier.wait()
            outcomes[index] = action()
        except Exception as error:  # the outcome is asserted by the test
            outcomes[index] = error
        finally:
            close_old_connections()
            connection.close()

    threads = [threading.Thread(target=run, args=(i, a)) for i, a in enumerate(actions)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    return outcomes


@requires_postgres
@pytest.mark.django_db(transaction=True)
def test_24_clerks_issue_at_once_and_numbers_stay_gap_free():
    people = make_people()
    chain = make_chain(people)
    clerks = [people.clerk] + [
        make_user(f"clerk{i}", "clerk", department=people.clerk.department) for i in range(3)
    ]
    drafts = [signed_draft(people, chain) for _ in range(24)]
    cv = doc_type("CV")

    def issuer(index: int, draft: Document) -> Callable[[], object]:
        clerk = clerks[index % len(clerks)]

        def work() -> tuple[int, int | None]:
            reserved = None
            if index % 3 == 0:
                reserved = reserve_number(
                    clerk, cv, confidential=False, purpose=f"Giữ số {index}"
                ).number
            issued = issue_outgoing(clerk, draft.pk, version=draft.version)
            return issued.register_number, reserved

        return work

    outcomes = _together([issuer(i, d) for i, d in enumerate(drafts)])
    errors = [o for o in outcomes if isinstance(o, Exception)]
    assert not errors, errors
    issued_numbers = [o[0] for o in outcomes]  # type: ignore[index]
    reserved_numbers = [o[1] for o in outcomes if o[1] is not None]  # type: ignore[index]
    total = 24 + 8
    assert len(reserved_numbers) == 8
    assert sorted(issued_numbers + reserved_numbers) == list(range(1, total + 1))
    stored = sorted(
        Document.objects.filter(direction=Document.Direction.OUTGOING).values_list(
            "register_number", flat=True
        )
    )
    assert sorted(stored + list(NumberReservation.objects.values_list("number", flat=True))) == (
        list(range(1, total + 1))
    )
    outgoing = Register.objects.get(kind=Register.Kind.OUTGOING)
    assert outgoing.last_number == total
    assert (
        len(
            set(
                Document.objects.filter(direction="outgoing").values_list(
                    "number_symbol", flat=True
                )
            )
        )
        == 24
    )
    # Each issue delivered two incoming copies: their arrival numbers are gap-free too.
    arrivals = sorted(
        Document.objects.filter(source_document__isnull=False).values_list(
            "register_number", flat=True
        )
    )
    assert arrivals == list(range(1, 24 * 2 + 1))


def _any_step_draft():
    people = make_people()
    template = make_template(
        "Một trong hai",
        [
            ("Góp ý", StepMode.ANY, [people.head, people.outsider_head]),
            ("Ký", StepMode.SINGLE, [people.leader]),
        ],
    )
    draft = make_draft(people)
    submit_draft(people.specialist, draft.pk, version=None, template=template)
    draft.refresh_from_db()
    return people, draft


@requires_postgres
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("with_version", [True, False])
def test_two_approvers_of_one_step_at_once_exactly_one_wins(with_version):
    people, draft = _any_step_draft()
    version = draft.version if with_version else None
    outcomes = _together(
        [
            lambda: approve_step(people.head, draft.pk, version=version),
            lambda: approve_step(people.outsider_head, draft.pk, version=version),
        ]
    )
    errors = [o for o in outcomes if isinstance(o, Exception)]
    assert len(errors) == 1, outcomes
    assert isinstance(errors[0], DraftMovedOn if with_version else ActionNotAllowed), errors
    draft.refresh_from_db()
    assert draft.state == S.AWAITING_SIGNATURE
    assert draft.events.filter(action=Event.STEP_APPROVED).count() == 1
    assert Notice.objects.filter(document=draft, kind="draft_to_sign").count() == 1
    states = sorted(
        ApprovalTask.objects.filter(step__document=draft, step__order=1).values_list(
            "state", flat=True
        )
    )
    assert states == [ApprovalTask.State.APPROVED, ApprovalTask.State.NOT_NEEDED]


@requires_postgres
@pytest.mark.django_db(transaction=True)
def test_recall_and_approval_at_once_exactly_one_wins():
    people, draft = _any_step_draft()
    outcomes = _together(
        [
            lambda: approve_step(people.head, draft.pk, version=None),
            lambda: recall_draft(people.specialist, draft.pk, version=None),
        ]
    )
    errors = [o for o in outcomes if isinstance(o, Exception)]
    assert len(errors) == 1 and isinstance(errors[0], ActionNotAllowed), outcomes
    draft.refresh_from_db()
    assert draft.state in (S.AWAITING_SIGNATURE, S.DRAFT)
    assert draft.events.filter(action__in=[Event.STEP_APPROVED, Event.DRAFT_RECALLED]).count() == 1


@requires_postgres
@pytest.mark.django_db(transaction=True)
def test_a_parallel_all_step_approved_at_once_completes_exactly_once():
    people = make_people()
    approvers = [people.head, people.outsider_head] + [
        make_user(f"reviewer{i}", "department_head", department=people.other_department)
        for i in range(4)
    ]
    template = make_template(
        "Song song",
        [("Góp ý", StepMode.ALL, approvers), ("Ký", StepMode.SINGLE, [people.leader])],
    )
    draft = make_draft(people)
    submit_draft(people.specialist, draft.pk, version=None, template=template)
    outcomes = _together([lambda a=a: approve_step(a, draft.pk, version=None) for a in approvers])
    assert not [o for o in outcomes if isinstance(o, Exception)], outcomes
    draft.refresh_from_db()
    assert draft.state == S.AWAITING_SIGNATURE
    first, signing = ApprovalStep.objects.filter(document=draft).order_by("order")
    assert first.state == ApprovalStep.State.APPROVED and first.finished_at is not None
    assert signing.state == ApprovalStep.State.ACTIVE
    assert list(signing.tasks.values_list("holder__username", "state")) == [
        ("leader", ApprovalTask.State.PENDING)
    ]
    assert draft.events.filter(action=Event.STEP_APPROVED).count() == len(approvers)
    assert Notice.objects.filter(document=draft, kind="draft_to_sign").count() == 1
    assert draft.events.filter(action=Event.GRANTED, note=str(people.leader)).count() == 1
    assert set(first.tasks.values_list("state", flat=True)) == {ApprovalTask.State.APPROVED}

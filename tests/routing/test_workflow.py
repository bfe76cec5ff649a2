"""The incoming state machine: every legal move, every illegal one, and who may act."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from django.db import close_old_connections, connection
from django.utils import timezone

from documents.models import Document, DocumentEvent
from documents.permissions import user_can_view
from routing import services
from routing.models import Assignment, DeadlineExtension
from routing.services import ActionNotAllowed, DocumentMovedOn, RoutingError, Target
from routing.workflow import INCOMING_TRANSITIONS, Action, is_legal
from tests import builders
from tests.builders import future, make_people, register
from tests.conftest import requires_postgres

S = Document.State


def directed(people, *, coordinators=(), informed=(), deadline_days=10) -> Document:
    return builders.directed(
        people,
        coordinators=coordinators,
        informed=informed,
        deadline=future(deadline_days),
        text="Giao Phòng Tài chính - Kế hoạch chủ trì, báo cáo trước hạn.",
    )


def lead_assignment(document: Document) -> Assignment:
    return Assignment.objects.get(document=document, role=Assignment.Role.LEAD, parent__isnull=True)


def passed_on(people, **kwargs) -> Document:
    document = directed(people, **kwargs)
    services.pass_on(
        people.head,
        document.pk,
        version=document.version,
        assignment_id=lead_assignment(document).pk,
        specialist=people.specialist,
        deadline=future(7),
    )
    document.refresh_from_db()
    return document


def actions_in_history(document: Document) -> list[str]:
    return list(document.events.values_list("action", flat=True))


# --- the table itself ------------------------------------------------------------------------


@pytest.mark.parametrize("action", list(Action))
@pytest.mark.parametrize("state", list(S))
def test_transition_table_is_total(action, state):
    transition = INCOMING_TRANSITIONS[action]
    assert is_legal(action, state) == (state in transition.sources)


def test_nothing_but_comment_leaves_completed_except_reopen():
    legal = {a for a in Action if is_legal(a, S.COMPLETED)}
    assert legal == {Action.REOPEN, Action.COMMENT}


def test_a_cancelled_document_accepts_no_action():
    assert not any(is_legal(a, S.CANCELLED) for a in Action)


# --- the whole happy path ----------------------------------------------------------------------


def test_register_direct_pass_on_complete(people):
    document = passed_on(people)
    assert document.state == S.IN_PROGRESS
    child = Assignment.objects.get(parent=lead_assignment(document))
    assert child.assignee_user == people.specialist
    assert user_can_view(people.specialist, document)
    # The head has passed the work on: it no longer waits for them.
    assert lead_assignment(document).state == Assignment.State.PASSED_ON

    services.complete_document(
        people.specialist,
        document.pk,
        version=document.version,
        result="Đã trình văn bản trả lời.",
        reply_number_symbol="123/UBND-TCKH",
    )
    document.refresh_from_db()
    assert document.state == S.COMPLETED
    assert document.reply_number_symbol == "123/UBND-TCKH"
    assert document.completed_at is not None
    assert lead_assignment(document).state == Assignment.State.DONE
    assert actions_in_history(document) == [
        "registered",
        "granted",
        "attachment_added",
        "granted",
        "submitted",
        "granted",
        "directed",
        "granted",
        "passed_on",
        "completed",
    ]
    completed = document.events.get(action="completed")
    assert (completed.from_state, completed.to_state, completed.actor) == (
        S.IN_PROGRESS,
        S.COMPLETED,
        people.specialist,
    )


def test_department_head_can_complete_without_passing_on(people):
    document = directed(people)
    services.complete_document(
        people.head, document.pk, version=document.version, result="Đã xử lý."
    )
    document.refresh_from_db()
    assert document.state == S.COMPLETED


def test_completion_closes_coordinators_and_readers(people):
    document = directed(
        people,
        coordinators=[Target(department=people.other_department)],
        informed=[Target(user=people.colleague)],
    )
    services.complete_document(
        people.head, document.pk, version=document.version, result="Đã xử lý."
    )
    states = dict(Assignment.objects.filter(document=document).values_list("role", "state"))
    assert states[Assignment.Role.COORDINATE] == Assignment.State.CLOSED
    assert states[Assignment.Role.INFORM] == Assignment.State.CLOSED


def test_coordinator_completes_their_part_without_closing_the_document(people):
    document = directed(people, coordinators=[Target(department=people.other_department)])
    coordinate = Assignment.objects.get(document=document, role=Assignment.Role.COORDINATE)
    services.complete_part(
        people.outsider_head,
        document.pk,
        assignment_id=coordinate.pk,
        result="Đã có ý kiến phối hợp.",
    )
    coordinate.refresh_from_db()
    document.refresh_from_db()
    assert coordinate.state == Assignment.State.DONE
    assert document.state == S.DIRECTED
    # A coordinator cannot close the whole document.
    with pytest.raises(ActionNotAllowed):
        services.complete_document(
            people.outsider_head, document.pk, version=document.version, result="x"
        )


def test_reader_assignment_closes_when_opened(people):
    document = directed(people, informed=[Target(user=people.colleague)])
    services.mark_read(people.colleague, document)
    reading = Assignment.objects.get(document=document, role=Assignment.Role.INFORM)
    assert reading.state == Assignment.State.DONE
    assert document.events.filter(action="read", actor=people.colleague).count() == 1
    services.mark_read(people.colleague, document)
    assert document.events.filter(action="read").count() == 1


# --- returns, cancels, reopen ------------------------------------------------------------------


def test_leader_returns_then_clerk_submits_again(people):
    document = register(people.clerk)
    services.submit_to_leader(people.clerk, document.pk, version=None, leader=people.leader)
    services.return_to_clerk(people.leader, document.pk, version=None, reason="Thiếu phụ lục")
    document.refresh_from_db()
    assert document.state == S.RETURNED
    assert document.events.get(action="returned").note == "Thiếu phụ lục"
    # Returning closes the leader's task.
    assert not Assignment.objects.filter(document=document, state__in=Assignment.OPEN_STATES)
    services.submit_to_leader(people.clerk, document.pk, version=None, leader=people.leader)
    document.refresh_from_db()
    assert document.state == S.AWAITING_DIRECTION


def test_return_needs_a_reason(people):
    document = register(people.clerk)
    services.submit_to_leader(people.clerk, document.pk, version=None, leader=people.leader)
    with pytest.raises(RoutingError):
        services.return_to_clerk(people.leader, document.pk, version=None, reason="  ")


def test_reopen_gives_the_work_back_to_the_last_handler(people):
    document = passed_on(people)
    services.complete_document(people.specialist, document.pk, version=None, result="Xong")
    services.reopen_document(people.leader, document.pk, version=None, reason="Cần bổ sung số liệu")
    document.refresh_from_db()
    assert document.state == S.IN_PROGRESS
    assert document.completed_at is None
    child = Assignment.objects.get(parent=lead_assignment(document))
    assert child.state == Assignment.State.IN_PROGRESS
    assert lead_assignment(document).state == Assignment.State.PASSED_ON
    services.complete_document(people.specialist, document.pk, version=None, result="Đã bổ sung")
    document.refresh_from_db()
    assert document.state == S.COMPLETED


def test_only_a_leader_who_directed_may_reopen(people):
    document = directed(people)
    services.complete_document(people.head, document.pk, version=None, result="Xong")
    for user in (people.head, people.clerk, people.specialist):
        with pytest.raises(ActionNotAllowed):
            services.reopen_document(user, document.pk, version=None, reason="x")


# --- illegal steps are refused with a message --------------------------------------------------


def test_direct_refused_before_submission(people):
    document = register(people.clerk)
    with pytest.raises(ActionNotAllowed, match="Không thể thực hiện"):
        services.direct_document(
            people.leader,
            document.pk,
            version=None,
            text="x",
            lead=Target(department=people.department),
        )


def test_leader_without_the_task_cannot_direct(people):
    from tests.builders import make_user

    other_leader = make_user("other_leader", "leader")
    document = register(people.clerk)
    services.submit_to_leader(people.clerk, document.pk, version=None, leader=people.leader)
    with pytest.raises(ActionNotAllowed):
        services.direct_document(
            other_leader,
            document.pk,
            version=None,
            text="x",
            lead=Target(department=people.department),
        )


def test_non_clerk_cannot_submit_or_cancel(people):
    document = register(people.clerk)
    for user in (people.leader, people.head, people.specialist):
        with pytest.raises(ActionNotAllowed):
            services.submit_to_leader(user, document.pk, version=None, leader=people.leader)
        with pytest.raises(ActionNotAllowed):
            services.cancel_registration(user, document.pk, version=None, reason="x")


def test_cannot_submit_to_someone_who_is_not_a_leader(people):
    document = register(people.clerk)
    with pytest.raises(RoutingError):
        services.submit_to_leader(people.clerk, document.pk, version=None, leader=people.head)


def test_specialist_without_assignment_cannot_complete(people):
    document = passed_on(people)
    with pytest.raises(ActionNotAllowed):
        services.complete_document(people.colleague, document.pk, version=None, result="x")


def test_pass_on_only_inside_own_department(people):
    document = directed(people)
    with pytest.raises(RoutingError):
        services.pass_on(
            people.head,
            document.pk,
            version=None,
            assignment_id=lead_assignment(document).pk,
            specialist=people.outsider,
        )


def test_sub_deadline_cannot_exceed_the_department_deadline(people):
    document = directed(people, deadline_days=5)
    with pytest.raises(RoutingError, match=future(5).strftime("%d/%m/%Y")):
        services.pass_on(
            people.head,
            document.pk,
            version=None,
            assignment_id=lead_assignment(document).pk,
            specialist=people.specialist,
            deadline=future(6),
        )


def test_direction_needs_distinct_targets(people):
    document = register(people.clerk)
    services.submit_to_leader(people.clerk, document.pk, version=None, leader=people.leader)
    with pytest.raises(RoutingError):
        services.direct_document(
            people.leader,
            document.pk,
            version=None,
            text="x",
            lead=Target(department=people.department),
            coordinators=[Target(department=people.department)],
        )


def test_direction_deadline_cannot_be_in_the_past(people):
    document = register(people.clerk)
    services.submit_to_leader(people.clerk, document.pk, version=None, leader=people.leader)
    with pytest.raises(RoutingError):
        services.direct_document(
            people.leader,
            document.pk,
            version=None,
            text="x",
            lead=Target(department=people.department),
            deadline=timezone.localdate() - timedelta(days=1),
        )


def test_stale_version_is_told_the_document_moved_on(people):
    document = register(people.clerk)
    stale = document.version
    services.submit_to_leader(people.clerk, document.pk, version=stale, leader=people.leader)
    with pytest.raises(DocumentMovedOn):
        services.cancel_registration(people.clerk, document.pk, version=stale, reason="x")


def test_refused_action_writes_nothing(people):
    document = register(people.clerk)
    before = DocumentEvent.objects.count()
    with pytest.raises(ActionNotAllowed):
        services.reopen_document(people.leader, document.pk, version=None, reason="x")
    assert DocumentEvent.objects.count() == before
    document.refresh_from_db()
    assert document.state == S.REGISTERED


# --- extensions ----------------------------------------------------------------------------------


def test_extension_granted_moves_the_deadline(people):
    document = directed(people, deadline_days=5)
    lead = lead_assignment(document)
    extension = services.request_extension(
        people.head,
        document.pk,
        assignment_id=lead.pk,
        requested_deadline=future(12),
        reason="Chờ số liệu",
    )
    # A second request while one waits is refused.
    with pytest.raises(ActionNotAllowed):
        services.request_extension(
            people.head,
            document.pk,
            assignment_id=lead.pk,
            requested_deadline=future(13),
            reason="again",
        )
    # Only the one who set the deadline decides.
    with pytest.raises(ActionNotAllowed):
        services.decide_extension(people.head, document.pk, extension_id=extension.pk, grant=True)
    services.decide_extension(
        people.leader, document.pk, extension_id=extension.pk, grant=True, note="Đồng ý"
    )
    lead.refresh_from_db()
    document.refresh_from_db()
    assert lead.deadline == future(12)
    assert lead.original_deadline == future(5)
    assert document.deadline == future(12)
    assert actions_in_history(document)[-2:] == ["extension_requested", "extension_granted"]


def test_extension_refused_keeps_the_deadline(people):
    document = passed_on(people)
    child = Assignment.objects.get(parent=lead_assignment(document))
    extension = services.request_extension(
        people.specialist,
        document.pk,
        assignment_id=child.pk,
        requested_deadline=future(9),
        reason="Bận",
    )
    services.decide_extension(
        people.head, document.pk, extension_id=extension.pk, grant=False, note="Không đồng ý"
    )
    child.refresh_from_db()
    extension.refresh_from_db()
    assert child.deadline == future(7)
    assert extension.state == DeadlineExtension.State.REFUSED


def test_extension_must_move_the_deadline_later(people):
    document = directed(people, deadline_days=5)
    with pytest.raises(RoutingError):
        services.request_extension(
            people.head,
            document.pk,
            assignment_id=lead_assignment(document).pk,
            requested_deadline=future(4),
            reason="x",
        )


# --- concurrency: exactly one of two simultaneous actions wins -----------------------------------


def _race(first, second) -> list[object]:
    barrier = threading.Barrier(2)
    outcomes: list[object] = []

    def run(action) -> None:
        try:
            barrier.wait()
            outcomes.append(action())
        except Exception as error:
            outcomes.append(error)
        finally:
            close_old_connections()
            connection.close()

    threads = [threading.Thread(target=run, args=(a,)) for a in (first, second)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return outcomes


@requires_postgres
@pytest.mark.django_db(transaction=True)
def test_direct_and_return_at_the_same_moment_one_wins_on_postgresql():
    people = make_people()
    document = register(people.clerk)
    services.submit_to_leader(people.clerk, document.pk, version=None, leader=people.leader)
    document.refresh_from_db()
    version = document.version
    outcomes = _race(
        lambda: services.direct_document(
            people.leader,
            document.pk,
            version=version,
            text="x",
            lead=Target(department=people.department),
        ),
        lambda: services.return_to_clerk(people.leader, document.pk, version=version, reason="y"),
    )
    errors = [o for o in outcomes if isinstance(o, Exception)]
    assert len(errors) == 1 and isinstance(errors[0], DocumentMovedOn), outcomes
    document.refresh_from_db()
    assert document.state in (S.DIRECTED, S.RETURNED)
    assert document.events.filter(action__in=["directed", "returned"]).count() == 1


@requires_postgres
@pytest.mark.django_db(transaction=True)
def test_two_clerks_submit_the_same_document_one_wins_on_postgresql():
    people = make_people()
    from tests.builders import make_user

    second_clerk = make_user("clerk2", "clerk", department=people.clerk.department)
    document = register(people.clerk)
    outcomes = _race(
        lambda: services.submit_to_leader(
            people.clerk, document.pk, version=document.version, leader=people.leader
        ),
        lambda: services.submit_to_leader(
            second_clerk, document.pk, version=document.version, leader=people.leader
        ),
    )
    assert sum(isinstance(o, DocumentMovedOn) for o in outcomes) == 1, outcomes
    assert Assignment.objects.filter(document=document, role=Assignment.Role.DIRECT).count() == 1


def test_reopen_with_a_new_deadline(people):
    document = passed_on(people)
    services.complete_document(people.specialist, document.pk, version=None, result="Xong")
    services.reopen_document(
        people.leader, document.pk, version=None, reason="Bổ sung", deadline=future(4)
    )
    document.refresh_from_db()
    child = Assignment.objects.get(parent=lead_assignment(document))
    assert (document.deadline, child.deadline, lead_assignment(document).deadline) == (
        future(4),
        future(4),
        future(4),
    )


def test_specialist_cannot_be_extended_past_the_department_deadline(people):
    document = passed_on(people)  # department: +10 days, specialist: +7 days
    child = Assignment.objects.get(parent=lead_assignment(document))
    with pytest.raises(RoutingError, match=future(10).strftime("%d/%m/%Y")):
        services.request_extension(
            people.specialist,
            document.pk,
            assignment_id=child.pk,
            requested_deadline=future(11),
            reason="Cần thêm thời gian",
        )
    services.request_extension(
        people.specialist,
        document.pk,
        assignment_id=child.pk,
        requested_deadline=future(10),
        reason="Cần thêm thời gian",
    )


def test_department_head_asks_the_leader_for_more_time_after_passing_on(people):
    document = passed_on(people)
    lead = lead_assignment(document)
    extension = services.request_extension(
        people.head,
        document.pk,
        assignment_id=lead.pk,
        requested_deadline=future(15),
        reason="Chờ các xã",
    )
    services.decide_extension(people.leader, document.pk, extension_id=extension.pk, grant=True)
    lead.refresh_from_db()
    assert lead.deadline == future(15)
    # Now the specialist may ask for more, within the department's new deadline.
    child = Assignment.objects.get(parent=lead)
    services.request_extension(
        people.specialist,
        document.pk,
        assignment_id=child.pk,
        requested_deadline=future(14),
        reason="Cần thêm thời gian",
    )


def test_demo_agency_loads(db, client):
    from eoffice.models import User
    from routing.demo import load_demo
    from tests.reports.test_dashboard import assert_figures_match_lists

    assert load_demo(documents=40, days=60, seed=7, outgoing=50)
    assert not load_demo(documents=40, days=60, seed=7)  # loaded once only
    states = set(Document.objects.values_list("state", flat=True))
    assert {S.REGISTERED, S.COMPLETED, S.IN_PROGRESS} <= states
    from realtime.messaging_models import Message

    assert Message.objects.count() == 5
    check_demo_outgoing(50)
    check_demo_constraints()
    # Issue 6: on the demo data, every figure of the dashboard is the count of its list,
    # for the chairman (whole agency, per department) and a head (per person).
    today = timezone.localdate()
    query = f"?period=custom&date_from={today - timedelta(days=90)}&date_to={today}"
    for username in ("chutich", "tp.tckh"):
        assert assert_figures_match_lists(client, User.objects.get(username=username), query) > 10


def check_demo_outgoing(about: int) -> None:
    from documents.models import NumberReservation, OutgoingRecipient, Register
    from routing.approval_models import ApprovalStep, ApprovalTask
    from routing.approval_workflow import OUTGOING_STATES

    outgoing = Document.objects.filter(direction=Document.Direction.OUTGOING)
    assert about - 5 <= outgoing.count() <= about + 5
    assert set(outgoing.values_list("state", flat=True)) == OUTGOING_STATES
    waiting_at = set(
        ApprovalStep.objects.filter(
            state=ApprovalStep.State.ACTIVE, document__state=S.IN_REVIEW
        ).values_list("label", flat=True)
    )
    assert {"Kiểm tra nội dung", "Kiểm tra thể thức", "Thẩm định pháp lý"} <= waiting_at
    signed = ApprovalTask.objects.filter(state=ApprovalTask.State.SIGNED)
    assert {"TM", "KT", "TUQ"} <= set(signed.values_list("capacity", flat=True))
    assert signed.filter(capacity="KT", delegation__isnull=False).exists()
    assert signed.filter(capacity="TUQ").exclude(delegation__reference="").exists()
    assert ApprovalTask.objects.filter(state=ApprovalTask.State.FORWARDED).count() >= 2
    events = set(DocumentEvent.objects.values_list("action", flat=True))
    assert {DocumentEvent.Action.DRAFT_RECALLED, DocumentEvent.Action.VERSION_ADDED} <= events
    assert outgoing.filter(state=S.REVISION, approval_steps__tasks__comment__gt="").exists()
    assert outgoing.filter(state=S.ISSUED, draft_version__gte=2).exists()
    assert outgoing.filter(state=S.WITHDRAWN).exclude(withdraw_reason="").exists()
    reply = outgoing.filter(state=S.ISSUED, in_reply_to__isnull=False).first()
    assert reply is not None
    assert reply.in_reply_to.reply_number_symbol == reply.number_symbol
    assert outgoing.filter(secrecy__gt=0, state=S.ISSUED).exists()
    used = NumberReservation.objects.get(state=NumberReservation.State.USED)
    assert used.document.state == S.ISSUED and used.document.register_number == used.number
    released = NumberReservation.objects.get(state=NumberReservation.State.RELEASED)
    assert released.release_reason
    # Issued numbers: unique and gap-free per register, reserved ones included.
    for series in Register.objects.filter(kind=Register.Kind.OUTGOING):
        numbered = series.documents.filter(direction=Document.Direction.OUTGOING)
        numbers = list(numbered.values_list("register_number", flat=True))
        unused = list(series.reservations.exclude(document__isnull=False).values_list("number"))
        taken = sorted(numbers + [number for (number,) in unused])
        assert taken == list(range(1, series.last_number + 1)), series.name
        symbols = list(numbered.values_list("number_symbol", flat=True))
        assert len(set(symbols)) == len(symbols)
    # Every internal recipient of an issued document got its copy, which points back.
    issued = outgoing.filter(state__in=[S.ISSUED, S.WITHDRAWN])
    internal = OutgoingRecipient.objects.filter(document__in=issued, external_name="").exclude(
        group=OutgoingRecipient.Group.FILE
    )
    assert internal.exists()
    for recipient in internal.select_related("delivered_document"):
        copy = recipient.delivered_document
        assert copy is not None and copy.source_document_id == recipient.document_id
    copies = Document.objects.filter(source_document__isnull=False)
    assert copies.count() == internal.count()
    assert copies.filter(state=S.COMPLETED).exists()
    assert not outgoing.filter(state__in=[S.DRAFT, S.IN_REVIEW], register__isnull=False).exists()


def check_demo_constraints() -> None:
    """Every row of the demo passes its model's validation and constraints."""
    from documents.models import Attachment, NumberReservation, OutgoingRecipient, Register
    from routing.approval_models import (
        ApprovalStep,
        ApprovalTask,
        ChainTemplate,
        ChainTemplateHolder,
        ChainTemplateStep,
        Delegation,
    )

    models = [Document, OutgoingRecipient, NumberReservation, Register, Attachment, Assignment]
    models += [ApprovalStep, ApprovalTask, Delegation, ChainTemplate, ChainTemplateStep]
    models += [ChainTemplateHolder]
    for model in models:
        for row in model.objects.all():
            # A draft has no number/symbol until it is issued.
            unnumbered = isinstance(row, Document) and not row.number_symbol
            row.full_clean(exclude=["number_symbol"] if unnumbered else None)

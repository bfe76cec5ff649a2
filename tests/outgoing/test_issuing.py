"""Issuing: number/symbols, series, the year, reserved numbers, distribution inside the
agency and withdrawal."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.utils import timezone

from documents.errors import DocumentError
from documents.models import (
    Attachment,
    Document,
    DocumentEvent,
    NumberReservation,
    OutgoingRecipient,
    Register,
    Secrecy,
)
from documents.outgoing_numbers import outgoing_register, release_number, reserve_number
from documents.permissions import visible_documents
from documents.uploads import check_upload
from eoffice.models import Agency
from realtime.models import Notice
from routing.issuing import issue_outgoing, withdraw_issued
from routing.models import Assignment
from routing.selectors import list_todo
from routing.services import ActionNotAllowed, RoutingError
from tests.builders import doc_type, pdf_upload
from tests.outgoing.helpers import recipients_of, snapshot
from tests.outgoing_builders import make_chain, signed_draft

pytestmark = pytest.mark.django_db

HCM = ZoneInfo("Asia/Ho_Chi_Minh")
S = Document.State
Group = OutgoingRecipient.Group
Delivery = OutgoingRecipient.Delivery


def issue(people, draft, **kwargs) -> Document:
    return issue_outgoing(people.clerk, draft.pk, version=None, **kwargs)


def sees(user, document) -> bool:
    return visible_documents(user).filter(pk=document.pk).exists()


# --- number/symbols and series -------------------------------------------------------------


@pytest.mark.parametrize(("previous", "expected"), [(0, "01"), (4, "05"), (8, "09"), (9, "10")])
def test_a_cong_van_takes_the_drafting_departments_code(people, previous, expected):
    chain = make_chain(people)
    draft = signed_draft(people, chain)
    agency = Agency.objects.get()
    register = outgoing_register(
        agency, draft.doc_type, timezone.localdate().year, confidential=False
    )
    Register.objects.filter(pk=register.pk).update(last_number=previous)
    issued = issue(people, draft)
    assert issued.number_symbol == f"{expected}/UBND-TCKH"
    assert issued.register_number == previous + 1
    assert issued.register == register
    assert issued.issued_on is not None and issued.issued_at is not None


def test_a_decision_takes_its_type_abbreviation(people):
    chain = make_chain(people)
    issued = issue(people, signed_draft(people, chain, doc_type=doc_type("QD")))
    assert issued.number_symbol == "01/QĐ-UBND"


def test_one_series_for_all_types(people):
    chain = make_chain(people)
    letter = issue(people, signed_draft(people, chain))
    decision = issue(people, signed_draft(people, chain, doc_type=doc_type("QD")))
    plan = issue(people, signed_draft(people, chain, doc_type=doc_type("KH")))
    assert [letter.number_symbol, decision.number_symbol, plan.number_symbol] == [
        "01/UBND-TCKH",
        "02/QĐ-UBND",
        "03/KH-UBND",
    ]
    assert letter.register == decision.register == plan.register
    assert letter.register.doc_type is None


def test_one_series_per_type(people):
    Agency.objects.update(outgoing_series=Agency.OutgoingSeries.PER_TYPE)
    chain = make_chain(people)
    letter = issue(people, signed_draft(people, chain))
    decision = issue(people, signed_draft(people, chain, doc_type=doc_type("QD")))
    second_letter = issue(people, signed_draft(people, chain))
    assert [letter.number_symbol, decision.number_symbol, second_letter.number_symbol] == [
        "01/UBND-TCKH",
        "01/QĐ-UBND",
        "02/UBND-TCKH",
    ]
    assert letter.register != decision.register
    assert letter.register.doc_type == doc_type("CV")
    assert decision.register.doc_type == doc_type("QD")


def test_confidential_documents_have_their_own_series(people):
    chain = make_chain(people)
    normal = issue(people, signed_draft(people, chain))
    secret = issue(people, signed_draft(people, chain, secrecy=Secrecy.CONFIDENTIAL))
    again = issue(people, signed_draft(people, chain))
    assert (normal.register_number, secret.register_number, again.register_number) == (1, 1, 2)
    assert secret.register.is_confidential and not normal.register.is_confidential
    # Its copies go to the confidential incoming register, seen only by personal grants.
    copy = (
        Document.objects.get(source_document=secret, recipient_for__isnull=False)
        if False
        else (secret.recipients.get(department=people.other_department).delivered_document)
    )
    assert copy.register.is_confidential and copy.register.kind == Register.Kind.INCOMING
    assert sees(people.outsider_head, copy)
    assert not sees(people.outsider, copy)
    assert not sees(people.outsider, secret)


def test_the_year_is_the_numbering_year(people):
    chain = make_chain(people)
    with time_machine.travel(datetime(2025, 12, 31, 9, 0, tzinfo=HCM)):
        december = issue(people, signed_draft(people, chain))
        late = signed_draft(people, chain)
    assert late.signed_at.astimezone(HCM).date() == date(2025, 12, 31)
    with time_machine.travel(datetime(2026, 1, 2, 8, 30, tzinfo=HCM)):
        january = issue(people, late)
    assert (december.register.year, december.number_symbol) == (2025, "01/UBND-TCKH")
    assert (january.register.year, january.number_symbol) == (2026, "01/UBND-TCKH")
    assert january.issued_on == date(2026, 1, 2)
    assert january.register != december.register


# --- reserved numbers ----------------------------------------------------------------------


def test_a_reserved_number_leaves_the_counter_and_is_used_once(people):
    chain = make_chain(people)
    cv = doc_type("CV")
    reservation = reserve_number(people.clerk, cv, confidential=False, purpose="Công văn ký tay")
    assert reservation.number == 1
    assert reservation.register.last_number == 1
    other = issue(people, signed_draft(people, chain))
    assert other.register_number == 2

    paper = signed_draft(people, chain)
    issued = issue(people, paper, reservation_id=reservation.pk)
    assert issued.number_symbol == "01/UBND-TCKH"
    reservation.refresh_from_db()
    assert reservation.state == NumberReservation.State.USED
    assert reservation.document == issued
    assert Register.objects.get(pk=reservation.register_id).last_number == 2
    assert issued.events.get(action=DocumentEvent.Action.ISSUED).data["reservation_id"] == (
        reservation.pk
    )

    third = signed_draft(people, chain)
    before = snapshot(third)
    with pytest.raises(DocumentError):
        issue(people, third, reservation_id=reservation.pk)
    assert snapshot(third) == before
    assert Register.objects.get(pk=reservation.register_id).last_number == 2


def test_a_released_number_stays_visible_and_cannot_be_used(people):
    chain = make_chain(people)
    cv = doc_type("CV")
    reservation = reserve_number(people.clerk, cv, confidential=False, purpose="Giữ số")
    with pytest.raises(DocumentError):
        release_number(people.clerk, reservation.pk, "  ")
    with pytest.raises(DocumentError):
        release_number(people.specialist, reservation.pk, "Không dùng")
    released = release_number(people.clerk, reservation.pk, "Văn bản không ban hành nữa")
    assert released.state == NumberReservation.State.RELEASED
    assert released.release_reason == "Văn bản không ban hành nữa"
    assert NumberReservation.objects.filter(pk=reservation.pk).exists()
    with pytest.raises(DocumentError):
        release_number(people.clerk, reservation.pk, "Lần nữa")

    draft = signed_draft(people, chain)
    before = snapshot(draft)
    with pytest.raises(DocumentError):
        issue(people, draft, reservation_id=reservation.pk)
    assert snapshot(draft) == before
    # The next document takes the next number; the released one is never reused.
    assert issue(people, draft).register_number == 2


def test_a_reservation_of_another_register_is_refused(people):
    chain = make_chain(people)
    secret = reserve_number(people.clerk, doc_type("CV"), confidential=True, purpose="Mật")
    draft = signed_draft(people, chain)
    before = snapshot(draft)
    with pytest.raises(DocumentError):
        issue(people, draft, reservation_id=secret.pk)
    assert snapshot(draft) == before
    secret.refresh_from_db()
    assert secret.state == NumberReservation.State.RESERVED


def test_only_a_clerk_reserves_with_a_purpose(people):
    with pytest.raises(DocumentError):
        reserve_number(people.specialist, doc_type("CV"), confidential=False, purpose="x")
    with pytest.raises(DocumentError):
        reserve_number(people.clerk, doc_type("CV"), confidential=False, purpose=" ")
    assert not NumberReservation.objects.exists()
    assert not Register.objects.filter(kind=Register.Kind.OUTGOING, last_number__gt=0).exists()


def test_an_unknown_reservation_is_refused(people):
    chain = make_chain(people)
    draft = signed_draft(people, chain)
    with pytest.raises(DocumentError):
        issue(people, draft, reservation_id=987654)


# --- distribution --------------------------------------------------------------------------


def test_each_internal_recipient_receives_one_incoming_document(people):
    chain = make_chain(people)
    draft = signed_draft(people, chain)
    issued = issue(people, draft)
    copies = list(Document.objects.filter(source_document=issued).order_by("pk"))
    assert len(copies) == 2
    by_recipient = {r.label: r for r in issued.recipients.all()}
    department_line = issued.recipients.get(department=people.other_department)
    person_line = issued.recipients.get(user=people.outsider_head)
    file_line = issued.recipients.get(department=people.department)
    external_line = issued.recipients.get(external_name="Sở Tài chính")
    assert {department_line.delivered_document, person_line.delivered_document} == set(copies)
    assert file_line.delivered_document is None and file_line.delivery == Delivery.DELIVERED
    assert external_line.delivered_document is None and external_line.delivery == Delivery.TO_SEND
    assert len(by_recipient) == 4

    for number, copy in enumerate(copies, start=1):
        assert copy.direction == Document.Direction.INCOMING
        assert copy.register.kind == Register.Kind.INCOMING
        assert copy.register_number == number
        assert copy.number_symbol == issued.number_symbol
        assert copy.state == S.DIRECTED
        assert copy.events.filter(action=DocumentEvent.Action.RECEIVED).count() == 1

    lead = Assignment.objects.get(document=department_line.delivered_document)
    assert lead.role == Assignment.Role.LEAD
    assert lead.assignee_department == people.other_department
    inform = Assignment.objects.get(document=person_line.delivered_document)
    assert inform.role == Assignment.Role.INFORM
    assert inform.assignee_user == people.outsider_head

    todo = set(list_todo(people.outsider_head).values_list("pk", flat=True))
    assert set(c.pk for c in copies) <= todo
    for someone in (people.head, people.specialist, people.colleague, people.leader):
        assert not set(list_todo(someone).values_list("pk", flat=True)) & {c.pk for c in copies}
    # The head of the receiving department and its members see the department's copy;
    # the drafting department (to file) sees only the outgoing document.
    dept_copy = department_line.delivered_document
    assert sees(people.outsider_head, dept_copy) and sees(people.outsider, dept_copy)
    assert not sees(people.colleague, dept_copy) and not sees(people.head, dept_copy)
    assert sees(people.colleague, issued)
    assert not sees(people.outsider, person_line.delivered_document)

    assert recipients_of(dept_copy, "document_assigned") == {"outsider_head"}
    assert recipients_of(issued, "document_issued") == {
        "head",
        "office_chief",
        "leader",
        "specialist",
    }


def test_the_files_are_shared_not_copied(people):
    chain = make_chain(people)
    draft = signed_draft(people, chain)
    draft_file = draft.attachments.get().file.name
    issued = issue(people, draft)
    finals = list(issued.attachments.filter(kind=Attachment.Kind.FINAL))
    assert [a.file.name for a in finals] == [draft_file]
    for copy in Document.objects.filter(source_document=issued):
        assert [a.file.name for a in copy.attachments.all()] == [draft_file]


def test_an_uploaded_final_file_is_the_one_distributed(people):
    chain = make_chain(people)
    draft = signed_draft(people, chain)
    issued = issue(
        people, draft, final_files=[check_upload(pdf_upload("ban-chinh.pdf", "Bản chính"))]
    )
    final = issued.attachments.get(kind=Attachment.Kind.FINAL)
    assert final.original_name == "ban-chinh.pdf"
    for copy in Document.objects.filter(source_document=issued):
        assert [a.file.name for a in copy.attachments.all()] == [final.file.name]


def test_a_recipient_both_as_department_and_person_is_counted_per_line(people):
    from documents.drafts import RecipientLine

    chain = make_chain(people)
    draft = signed_draft(
        people,
        chain,
        recipients=[
            RecipientLine(Group.EXECUTE, department=people.other_department),
            RecipientLine(Group.INFORM, department=people.other_department),  # a repeat
        ],
    )
    issued = issue(people, draft)
    assert Document.objects.filter(source_document=issued).count() == 1


# --- withdrawal ----------------------------------------------------------------------------


def test_withdrawal_marks_every_copy_and_closes_the_work(people):
    chain = make_chain(people)
    issued = issue(people, signed_draft(people, chain))
    copies = list(Document.objects.filter(source_document=issued))
    versions = {c.pk: c.version for c in copies}
    before_notices = Notice.objects.count()
    with pytest.raises(RoutingError):
        withdraw_issued(people.clerk, issued.pk, version=None, reason="  ")
    with pytest.raises(ActionNotAllowed):
        withdraw_issued(people.specialist, issued.pk, version=None, reason="Sai")
    assert Notice.objects.count() == before_notices

    withdraw_issued(people.clerk, issued.pk, version=None, reason="Sai căn cứ pháp lý")
    issued.refresh_from_db()
    assert issued.state == S.WITHDRAWN
    assert issued.withdraw_reason == "Sai căn cứ pháp lý"
    assert issued.withdrawn_at is not None
    for copy in copies:
        copy.refresh_from_db()
        assert copy.state == S.WITHDRAWN
        assert copy.withdraw_reason == "Sai căn cứ pháp lý"
        assert copy.version > versions[copy.pk]  # an open page of the copy is out of date
        assert not Assignment.objects.filter(
            document=copy, state__in=Assignment.OPEN_STATES
        ).exists()
        assert copy.events.filter(action=DocumentEvent.Action.WITHDRAWN).count() == 1
        assert sees(people.outsider_head, copy)  # kept, marked withdrawn
    assert not set(list_todo(people.outsider_head).values_list("pk", flat=True)) & {
        c.pk for c in copies
    }
    assert recipients_of(issued, "document_withdrawn") == {"outsider_head", "specialist"}
    # The register keeps its number: the next document does not reuse it.
    assert issue(people, signed_draft(people, chain)).register_number == 2


def test_the_signer_may_withdraw(people):
    chain = make_chain(people)
    issued = issue(people, signed_draft(people, chain))
    withdraw_issued(people.leader, issued.pk, version=None, reason="Ban hành nhầm")
    issued.refresh_from_db()
    assert issued.state == S.WITHDRAWN
    # The recipients and the drafter are told; the signer acted and is not.
    assert recipients_of(issued, "document_withdrawn") == {"outsider_head", "specialist", "clerk"}


def test_completing_an_incoming_document_points_to_its_issued_reply(people, client_for):
    from django.urls import reverse

    from tests.builders import directed

    incoming = directed(people)
    chain = make_chain(people)
    reply = signed_draft(people, chain, in_reply_to=incoming)
    issued = issue_outgoing(people.clerk, reply.pk, version=None)
    page = client_for(people.head).get(reverse("incoming-detail", args=[incoming.pk]))
    assert page.status_code == 200
    assert f'value="{issued.number_symbol}"' in page.content.decode()

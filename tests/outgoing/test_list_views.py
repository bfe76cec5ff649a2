"""The outgoing lists through HTTP: my drafts, the register, the issue queue, reserved
numbers, the "Nơi nhận" block, absences and the outgoing part of "Việc cần xử lý"."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from documents.models import Document, NumberReservation
from routing.approval_models import Delegation
from routing.approvals import approve_step, submit_draft
from routing.issuing import issue_outgoing, withdraw_issued
from tests.builders import doc_type, make_department, make_user
from tests.outgoing_builders import make_chain, make_draft, signed_draft

pytestmark = pytest.mark.django_db


@pytest.fixture
def chain(people):
    return make_chain(people)


@pytest.fixture
def stranger(people):
    """Someone of a department that is neither drafter nor recipient of anything."""
    return make_user("stranger", "specialist", department=make_department("TP", "Phòng Tư pháp"))


def _get(client, name, *args, **params):
    return client.get(reverse(name, args=args), params)


def _queries(client, url: str) -> int:
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
    assert response.status_code == 200
    return len(captured)


def _issued(people, chain, **overrides) -> Document:
    draft = signed_draft(people, chain, **overrides)
    return issue_outgoing(people.clerk, draft.pk, version=draft.version)


# --- "Dự thảo của tôi" -----------------------------------------------------------------------


def test_drafter_sees_own_drafts_with_where_each_stands(people, chain, client_for):
    waiting = make_draft(people, summary="V/v dự thảo chưa trình")
    submitted = make_draft(people, summary="V/v dự thảo đã trình")
    submit_draft(people.specialist, submitted.pk, version=None, template=chain.template)
    response = _get(client_for(people.specialist), "draft-list")
    assert response.status_code == 200
    rows = list(response.context["page"].object_list)
    assert [d.pk for d in rows] == [submitted.pk, waiting.pk]  # newest first
    assert "Kiểm tra nội dung" in response.text  # the active step
    assert people.head.full_name in response.text  # who holds it
    assert reverse("draft-create") in response.text


def test_draft_list_filters_by_state(people, chain, client_for):
    make_draft(people, summary="V/v dự thảo chưa trình")
    submitted = make_draft(people, summary="V/v dự thảo đã trình")
    submit_draft(people.specialist, submitted.pk, version=None, template=chain.template)
    response = _get(client_for(people.specialist), "draft-list", state=Document.State.IN_REVIEW)
    assert [d.pk for d in response.context["page"].object_list] == [submitted.pk]


def test_nobody_else_sees_my_drafts(people, chain, client_for, stranger):
    make_draft(people)
    for user in (people.head, people.colleague, people.clerk, stranger):
        response = _get(client_for(user), "draft-list")
        assert list(response.context["page"].object_list) == []


# --- "Việc cần xử lý" ------------------------------------------------------------------------


def test_approver_sees_the_draft_in_todo_only_once_reached(people, chain, client_for):
    draft = make_draft(people, summary="V/v xin ý kiến về kế hoạch")
    head_client = client_for(people.head)
    assert draft.summary not in head_client.get(reverse("home")).text
    submit_draft(people.specialist, draft.pk, version=None, template=chain.template)
    todo = head_client.get(reverse("home")).context["outgoing_todo"]
    assert [d.pk for d in todo.to_approve] == [draft.pk]
    assert todo.to_approve[0].step_label == "Kiểm tra nội dung"
    chief_client = client_for(chain.office_chief)
    assert chief_client.get(reverse("home")).context["outgoing_todo"].to_approve == []
    approve_step(people.head, draft.pk, version=None)
    assert client_for(people.head).get(reverse("home")).context["outgoing_todo"].to_approve == []
    response = client_for(chain.office_chief).get(reverse("home"))
    assert [d.pk for d in response.context["outgoing_todo"].to_approve] == [draft.pk]
    assert reverse("outgoing-detail", args=[draft.pk]) in response.text


def test_signer_sees_the_signing_step_and_the_clerk_the_issue(people, chain, client_for):
    draft = make_draft(people)
    submit_draft(people.specialist, draft.pk, version=None, template=chain.template)
    approve_step(people.head, draft.pk, version=None)
    approve_step(chain.office_chief, draft.pk, version=None)
    todo = client_for(people.leader).get(reverse("home")).context["outgoing_todo"]
    assert [d.step_is_signing for d in todo.to_approve] == [True]
    assert client_for(people.clerk).get(reverse("home")).context["outgoing_todo"].to_issue == []


def test_clerk_sees_signed_documents_in_todo_and_queue(people, chain, client_for, stranger):
    draft = signed_draft(people, chain, urgency=2)
    clerk = client_for(people.clerk)
    todo = clerk.get(reverse("home")).context["outgoing_todo"]
    assert [d.pk for d in todo.to_issue] == [draft.pk]
    response = _get(clerk, "issue-queue")
    assert [d.pk for d in response.context["page"].object_list] == [draft.pk]
    assert "Thượng khẩn" in response.text
    assert reverse("outgoing-detail", args=[draft.pk]) in response.text
    for user in (people.specialist, people.leader, stranger):
        assert _get(client_for(user), "issue-queue").status_code == 403
        assert client_for(user).get(reverse("home")).context["outgoing_todo"].to_issue == []


def test_issue_queue_is_oldest_first_and_empties_on_issue(people, chain, client_for):
    first = signed_draft(people, chain, summary="V/v thứ nhất")
    second = signed_draft(people, chain, summary="V/v thứ hai")
    clerk = client_for(people.clerk)
    page = _get(clerk, "issue-queue").context["page"]
    assert [d.pk for d in page.object_list] == [first.pk, second.pk]
    issue_outgoing(people.clerk, first.pk, version=first.version)
    page = _get(clerk, "issue-queue").context["page"]
    assert [d.pk for d in page.object_list] == [second.pk]


# --- The outgoing register -------------------------------------------------------------------


def test_register_shows_issued_documents_to_those_who_may_see_them(
    people, chain, client_for, stranger
):
    issued = _issued(people, chain)
    clerk_page = _get(client_for(people.clerk), "outgoing-list")
    assert issued.number_symbol in clerk_page.text
    row = clerk_page.context["rows"][0]
    assert row.document.pk == issued.pk
    assert "Sở Tài chính" in row.send_to and str(people.other_department) in row.send_to
    assert row.kept_by == [str(people.department)]
    assert people.leader.full_name in clerk_page.text
    # A recipient department sees it; someone of an unrelated department does not.
    assert issued.number_symbol in _get(client_for(people.outsider), "outgoing-list").text
    assert _get(client_for(stranger), "outgoing-list").context["rows"] == []


def test_drafts_and_signed_documents_are_not_in_the_register(people, chain, client_for):
    make_draft(people)
    signed_draft(people, chain)
    for user in (people.clerk, people.specialist, people.leader):
        assert _get(client_for(user), "outgoing-list").context["rows"] == []


def test_register_filters(people, chain, client_for):
    decision = _issued(people, chain, doc_type=doc_type("QD"), summary="Quyết định thành lập tổ")
    letter = _issued(people, chain, summary="V/v báo cáo ngân sách")
    client = client_for(people.clerk)

    def numbers(**params):
        return [r.document.pk for r in _get(client, "outgoing-list", **params).context["rows"]]

    assert numbers(q="thanh lap") == [decision.pk]
    assert numbers(doc_type=doc_type("CV").pk) == [letter.pk]
    year = timezone.localdate().year
    assert set(numbers(year=year)) == {decision.pk, letter.pk}
    assert numbers(year=year - 1) == []
    tomorrow = (timezone.localdate() + timedelta(days=1)).isoformat()
    assert numbers(date_from=tomorrow) == []
    assert numbers(register=decision.register_id) != []


def test_reserve_and_release_show_in_the_register_in_their_place(people, chain, client_for):
    client = client_for(people.clerk)
    first = _issued(people, chain, summary="V/v thứ nhất")
    response = client.post(
        reverse("number-reservations"),
        {"action": "reserve", "doc_type": doc_type("CV").pk, "purpose": "Công văn ký tay"},
    )
    assert response.status_code == 302
    kept = NumberReservation.objects.get()
    assert kept.number == 2
    response = client.post(
        reverse("number-reservations"),
        {"action": "reserve", "doc_type": doc_type("CV").pk, "purpose": "Giấy mời họp"},
    )
    released = NumberReservation.objects.get(number=3)
    third = _issued(people, chain, summary="V/v thứ ba")
    assert third.register_number == 4
    response = client.post(
        reverse("number-reservations"),
        {
            "action": "release",
            "release-reservation": released.pk,
            "release-reason": "Không ban hành",
        },
    )
    assert response.status_code == 302
    released.refresh_from_db()
    assert released.state == NumberReservation.State.RELEASED

    page = _get(client, "outgoing-list")
    rows = page.context["rows"]
    assert [r.number for r in rows] == [4, 3, 2, 1]
    assert [r.document.pk if r.document else None for r in rows] == [
        third.pk,
        None,
        None,
        first.pk,
    ]
    assert rows[1].reservation.pk == released.pk and rows[2].reservation.pk == kept.pk
    assert "Không ban hành" in page.text and "Công văn ký tay" in page.text
    # Others do not see the bare reserved numbers; a search leaves them out.
    assert [
        r.number for r in _get(client_for(people.outsider), "outgoing-list").context["rows"]
    ] == [4, 1]
    client = client_for(people.clerk)  # the same test client, logged in again
    assert [r.number for r in _get(client, "outgoing-list", q="thu nhat").context["rows"]] == [1]
    # The print view lists them in the order of the register.
    printed = _get(client, "outgoing-register-print", year=timezone.localdate().year)
    assert printed.status_code == 200
    assert [r.number for r in printed.context["rows"]] == [1, 2, 3, 4]


def test_reservation_errors_are_in_vietnamese_and_keep_the_input(people, client_for):
    client = client_for(people.clerk)
    response = client.post(
        reverse("number-reservations"), {"action": "reserve", "doc_type": doc_type("CV").pk}
    )
    assert response.status_code == 400
    assert "Trường này là bắt buộc." in response.text
    assert NumberReservation.objects.count() == 0
    client.post(
        reverse("number-reservations"),
        {"action": "reserve", "doc_type": doc_type("CV").pk, "purpose": "Giữ số"},
    )
    reservation = NumberReservation.objects.get()
    response = client.post(
        reverse("number-reservations"),
        {"action": "release", "release-reservation": reservation.pk, "release-reason": ""},
    )
    assert response.status_code == 400
    assert "Trường này là bắt buộc." in response.text
    reservation.refresh_from_db()
    assert reservation.state == NumberReservation.State.RESERVED


def test_only_clerks_reserve_numbers(people, client_for):
    for user in (people.specialist, people.leader, people.head):
        client = client_for(user)
        assert client.get(reverse("number-reservations")).status_code == 403
        response = client.post(
            reverse("number-reservations"),
            {"action": "reserve", "doc_type": doc_type("CV").pk, "purpose": "x"},
        )
        assert response.status_code == 403
    assert NumberReservation.objects.count() == 0


def test_withdrawn_document_stays_in_the_register_noted(people, chain, client_for):
    issued = _issued(people, chain)
    withdraw_issued(people.clerk, issued.pk, version=None, reason="Sai thẩm quyền")
    response = _get(client_for(people.clerk), "outgoing-list")
    [row] = response.context["rows"]
    assert row.is_withdrawn
    assert "Sai thẩm quyền" in response.text


# --- Query counts ----------------------------------------------------------------------------


def test_outgoing_lists_do_not_grow_with_rows(people, chain, client_for, settings):
    settings.EOFFICE_PAGE_SIZE = 50
    urls = [
        reverse("outgoing-list"),
        reverse("outgoing-list") + "?q=ngan+sach",
        reverse("outgoing-register-print"),
        reverse("draft-list"),
        reverse("home"),
    ]
    users = (people.clerk, people.specialist, people.head, people.leader)

    def add(count: int) -> None:
        for _ in range(count):
            _issued(people, chain)
            signed_draft(people, chain)
            draft = make_draft(people)
            submit_draft(people.specialist, draft.pk, version=None, template=chain.template)
        client_for(people.clerk).post(
            reverse("number-reservations"),
            {"action": "reserve", "doc_type": doc_type("CV").pk, "purpose": "Giữ số"},
        )

    def measure() -> dict[tuple[str, str], int]:
        counts = {(u.username, url): _queries(client_for(u), url) for u in users for url in urls}
        counts[("clerk", "queue")] = _queries(client_for(people.clerk), reverse("issue-queue"))
        return counts

    add(1)
    few = measure()
    add(3)
    assert measure() == few


# --- The "Nơi nhận" block --------------------------------------------------------------------


def test_recipients_block_page(people, chain, client_for, stranger):
    draft = make_draft(people)
    url = reverse("outgoing-recipients-block", args=[draft.pk])
    response = client_for(people.specialist).get(url)
    assert response.status_code == 200
    assert "Kính gửi:" in response.text
    assert "- Như trên;" in response.text
    assert "- Lưu: VT, TCKH." in response.text
    assert f"- {people.outsider_head.full_name};" in response.text
    for user in (stranger, people.outsider, people.clerk):
        assert client_for(user).get(url).status_code == 404


def test_recipients_block_of_an_incoming_document_is_404(people, client_for):
    from tests.builders import register

    incoming = register(people.clerk)
    url = reverse("outgoing-recipients-block", args=[incoming.pk])
    assert client_for(people.clerk).get(url).status_code == 404


# --- Absences --------------------------------------------------------------------------------


def test_leader_sets_and_cancels_an_absence(people, chain, client_for):
    client = client_for(people.leader)
    today = timezone.localdate()
    data = {
        "action": "set",
        "deputy": chain.deputy.pk,
        "starts_on": today.isoformat(),
        "ends_on": (today + timedelta(days=3)).isoformat(),
        "capacity": "TUQ",
        "reference": "",
        "reason": "Đi công tác",
    }
    response = client.post(reverse("absence"), data)
    assert response.status_code == 400
    assert Delegation.objects.count() == 0
    assert "Đi công tác" in response.text  # what was typed stays
    response = client.post(reverse("absence"), {**data, "reference": "12/GUQ-UBND"})
    assert response.status_code == 302
    delegation = Delegation.objects.get()
    assert delegation.capacity == "TUQ" and delegation.reference == "12/GUQ-UBND"
    page = client.get(reverse("absence"))
    assert [d.pk for d in page.context["absences"]] == [delegation.pk]
    assert chain.deputy.full_name in page.text
    # Someone else cannot cancel it.
    other = client_for(people.head)
    other.post(reverse("absence"), {"action": "cancel", "delegation": delegation.pk})
    delegation.refresh_from_db()
    assert delegation.cancelled_at is None
    client = client_for(people.leader)
    response = client.post(reverse("absence"), {"action": "cancel", "delegation": delegation.pk})
    assert response.status_code == 302
    delegation.refresh_from_db()
    assert delegation.cancelled_at is not None
    assert list(client.get(reverse("absence")).context["absences"]) == []


def test_absence_page_is_for_leaders_and_heads(people, client_for):
    assert client_for(people.head).get(reverse("absence")).status_code == 200
    for user in (people.specialist, people.clerk):
        assert client_for(user).get(reverse("absence")).status_code == 403


# --- Menu ------------------------------------------------------------------------------------


def test_menu_links(people, client_for):
    clerk_page = client_for(people.clerk).get(reverse("home")).text
    for name in ("outgoing-list", "draft-list", "issue-queue", "number-reservations"):
        assert f'href="{reverse(name)}"' in clerk_page
    specialist_page = client_for(people.specialist).get(reverse("home")).text
    assert f'href="{reverse("outgoing-list")}"' in specialist_page
    assert f'href="{reverse("issue-queue")}"' not in specialist_page

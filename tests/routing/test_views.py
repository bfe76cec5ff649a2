"""The routing screens, through HTTP, as the people use them."""

from __future__ import annotations

from datetime import timedelta

from django.urls import reverse
from django.utils import timezone

from documents.models import Document, DocumentEvent
from routing import services
from routing.calendar import add_working_days
from routing.models import Assignment, CalendarDay
from routing.services import Target
from tests.builders import doc_type, future, register


def _messages(response) -> list[str]:
    return [str(m) for m in response.context["messages"]]


def _registration(**overrides):
    data = {
        "received_at": timezone.localtime().strftime("%Y-%m-%dT%H:%M"),
        "receipt_method": "paper",
        "sender_name": "Sở Nội vụ",
        "number_symbol": "1234/SNV-TCBC",
        "issued_on": (timezone.localdate() - timedelta(days=2)).isoformat(),
        "doc_type": doc_type("KH").pk,
        "summary": "Kế hoạch cải cách hành chính",
        "urgency": "1",
        "secrecy": "0",
    }
    data.update(overrides)
    return data


def test_clerk_registers_and_sees_the_confirmation(people, client_for):
    client = client_for(people.clerk)
    response = client.post(reverse("incoming-register"), _registration(), follow=True)
    document = Document.objects.get()
    assert response.redirect_chain[-1][0] == reverse("incoming-detail", args=[document.pk])
    assert "Đã vào sổ văn bản đến số 01." in _messages(response)
    assert document.urgency == 1 and document.doc_type.code == "KH"
    assert "Khẩn" in response.text


def test_duplicate_needs_an_explicit_confirmation(people, client_for):
    client = client_for(people.clerk)
    client.post(reverse("incoming-register"), _registration())
    # Same sender, number/symbol (written differently) and date.
    again = _registration(number_symbol="1234 / snv-tcbc", sender_name="SỞ NỘI VỤ")
    response = client.post(reverse("incoming-register"), again)
    assert response.status_code == 400
    assert "Số 01" in response.text or "01" in response.text
    assert Document.objects.count() == 1
    response = client.post(reverse("incoming-register"), {**again, "confirm_duplicate": "on"})
    assert response.status_code == 302
    assert Document.objects.count() == 2
    assert DocumentEvent.objects.filter(action="duplicate_confirmed").count() == 1


def test_duplicate_check_while_typing(people, client_for):
    register(people.clerk, number_symbol="77/UBND-VP", sender_name="UBND tỉnh")
    document = Document.objects.get()
    response = client_for(people.clerk).get(
        reverse("incoming-duplicates"),
        {
            "sender_name": "UBND tỉnh",
            "number_symbol": "77/ubnd-vp",
            "issued_on": document.issued_on.isoformat(),
        },
    )
    assert "77/UBND-VP" in response.text
    response = client_for(people.clerk).get(
        reverse("incoming-duplicates"),
        {
            "sender_name": "UBND tỉnh",
            "number_symbol": "78/UBND-VP",
            "issued_on": document.issued_on.isoformat(),
        },
    )
    assert "77/UBND-VP" not in response.text


def test_registration_errors_are_in_vietnamese_next_to_fields(people, client_for):
    response = client_for(people.clerk).post(
        reverse("incoming-register"),
        _registration(summary="", issued_on=(timezone.localdate() + timedelta(days=3)).isoformat()),
    )
    assert response.status_code == 400
    assert "Trường này là bắt buộc." in response.text
    assert Document.objects.count() == 0


def test_direction_in_working_days_through_the_page(people, client_for):
    document = register(people.clerk)
    services.submit_to_leader(people.clerk, document.pk, version=None, leader=people.leader)
    document.refresh_from_db()
    CalendarDay.objects.create(date=add_working_days(timezone.localdate(), 1), name="Nghỉ lễ")
    client = client_for(people.leader)
    page = client.get(reverse("incoming-detail", args=[document.pk]))
    assert "Chỉ đạo, phân công" in page.text
    response = client.post(
        reverse("incoming-action", args=[document.pk, "direct"]),
        {
            "version": document.version,
            "text": "Giao Phòng TCKH chủ trì",
            "lead": f"d:{people.department.pk}",
            "coordinators": [f"u:{people.outsider.pk}"],
            "working_days": "3",
        },
        follow=True,
    )
    assert (
        "Đã ghi ý kiến chỉ đạo và phân công xử lý." in _messages(response)
        or response.status_code == 200
    )
    lead = Assignment.objects.get(document=document, role="lead")
    assert lead.deadline == add_working_days(timezone.localdate(), 3)
    assert lead.assignee_department == people.department
    assert (
        Assignment.objects.get(document=document, role="coordinate").assignee_user
        == people.outsider
    )


def test_invalid_direction_keeps_the_form_and_changes_nothing(people, client_for):
    document = register(people.clerk)
    services.submit_to_leader(people.clerk, document.pk, version=None, leader=people.leader)
    document.refresh_from_db()
    response = client_for(people.leader).post(
        reverse("incoming-action", args=[document.pk, "direct"]),
        {
            "version": document.version,
            "text": "Giao xử lý",
            "lead": "",
            "deadline": future(3).isoformat(),
            "working_days": "2",
        },
    )
    assert response.status_code == 400
    assert "Giao xử lý" in response.text
    document.refresh_from_db()
    assert document.state == Document.State.AWAITING_DIRECTION


def test_stale_page_is_told_the_document_moved_on(people, client_for):
    document = register(people.clerk)
    stale = document.version
    services.submit_to_leader(people.clerk, document.pk, version=stale, leader=people.leader)
    response = client_for(people.clerk).post(
        reverse("incoming-action", args=[document.pk, "cancel"]),
        {"cancel-version": stale, "cancel-reason": "Nhầm"},
        follow=True,
    )
    assert any("người khác đã xử lý văn bản này" in m for m in _messages(response)), _messages(
        response
    )
    document.refresh_from_db()
    assert document.state == Document.State.AWAITING_DIRECTION


def test_todo_lists_what_waits_for_each_person(people, client_for):
    waiting_clerk = register(people.clerk, summary="Chờ văn thư trình")
    at_leader = register(people.clerk, summary="Chờ lãnh đạo chỉ đạo")
    services.submit_to_leader(people.clerk, at_leader.pk, version=None, leader=people.leader)
    overdue = register(people.clerk, summary="Việc đã quá hạn")
    services.submit_to_leader(people.clerk, overdue.pk, version=None, leader=people.leader)
    services.direct_document(
        people.leader,
        overdue.pk,
        version=None,
        text="Giao",
        lead=Target(department=people.department),
        deadline=future(1),
    )
    Assignment.objects.filter(document=overdue).update(
        deadline=timezone.localdate() - timedelta(days=1)
    )

    def todo(user) -> str:
        return client_for(user).get(reverse("home")).text

    clerk_page = todo(people.clerk)
    assert waiting_clerk.summary in clerk_page and at_leader.summary not in clerk_page
    leader_page = todo(people.leader)
    assert at_leader.summary in leader_page and waiting_clerk.summary not in leader_page
    head_page = todo(people.head)
    assert overdue.summary in head_page and "row-overdue" in head_page
    assert "Quá hạn" in head_page
    assert overdue.summary not in todo(people.outsider)


def test_handling_slip_lists_direction_and_handlers(people, client_for):
    document = register(people.clerk)
    services.submit_to_leader(people.clerk, document.pk, version=None, leader=people.leader)
    services.direct_document(
        people.leader,
        document.pk,
        version=None,
        text="Giao phòng Tài chính chủ trì",
        deadline=future(5),
        lead=Target(department=people.department),
    )
    response = client_for(people.head).get(reverse("incoming-slip", args=[document.pk]))
    assert "PHIẾU GIẢI QUYẾT VĂN BẢN ĐẾN" in response.text
    assert "Giao phòng Tài chính chủ trì" in response.text
    assert people.department.name in response.text
    assert future(5).strftime("%d/%m/%Y") in response.text


def test_english_is_available(people, client_for):
    client = client_for(people.clerk)
    client.post(reverse("set_language"), {"language": "en", "next": "/"})
    assert "To do" in client.get(reverse("home")).text


def test_locked_register_is_a_clear_error_not_a_crash(people, client_for):
    from documents.models import Register

    register(people.clerk)
    Register.objects.update(is_locked=True)
    response = client_for(people.clerk).post(reverse("incoming-register"), _registration())
    assert response.status_code == 400
    assert "đã khóa" in response.text or "locked" in response.text


def test_duplicate_the_clerk_cannot_open_is_announced_without_details(people, client_for):
    from documents.models import Secrecy
    from tests.builders import make_user

    secret = register(
        people.clerk,
        secrecy=Secrecy.CONFIDENTIAL,
        number_symbol="9/CAT-PV01",
        sender_name="Công an tỉnh",
    )
    other_clerk = make_user("clerk2", "clerk", department=people.clerk.department)
    response = client_for(other_clerk).get(
        reverse("incoming-duplicates"),
        {
            "sender_name": "Công an tỉnh",
            "number_symbol": "9/CAT-PV01",
            "issued_on": secret.issued_on.isoformat(),
        },
    )
    assert "9/CAT-PV01" not in response.text
    assert secret.register.name not in response.text
    assert 'role="alert"' in response.text

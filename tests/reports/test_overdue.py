"""The overdue list ("Quá hạn") and reminders sent from it."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from documents.models import DocumentEvent
from realtime.models import Notice
from routing import services
from routing.models import Assignment
from routing.reports import ReminderError, list_overdue, send_reminder
from routing.services import Target
from tests.builders import directed, future

pytestmark = pytest.mark.django_db


def make_overdue(document, days: int) -> Assignment:
    """Deadlines cannot be set in the past: move the lead's deadline back afterwards."""
    lead = Assignment.objects.get(document=document, role=Assignment.Role.LEAD, parent=None)
    Assignment.objects.filter(document=document).exclude(deadline=None).update(
        deadline=timezone.localdate() - timedelta(days=days)
    )
    lead.refresh_from_db()
    return lead


@pytest.fixture
def overdue(people):
    """Work of the finance department 3 days late, passed on to the specialist; work of
    the interior department 1 day late; work of finance due tomorrow (not overdue)."""
    finance = directed(people, deadline=future(5), summary="Báo cáo quyết toán ngân sách")
    lead = make_overdue(finance, 3)
    services.pass_on(
        people.head,
        finance.pk,
        version=None,
        assignment_id=lead.pk,
        specialist=people.specialist,
    )
    passed = Assignment.objects.get(document=finance, parent=lead)
    interior = directed(
        people,
        lead=Target(department=people.other_department),
        deadline=future(5),
        summary="Rà soát biên chế",
    )
    interior_lead = make_overdue(interior, 1)
    soon = directed(people, deadline=future(1), summary="Chưa quá hạn")
    return {"passed": passed, "interior": interior_lead, "soon": soon, "finance": finance}


def ids(user, **kwargs) -> list[int]:
    return [a.pk for a in list_overdue(user, **kwargs)]


def test_who_sees_which_overdue_work(people, overdue):
    passed, interior = overdue["passed"], overdue["interior"]
    assert ids(people.leader) == [passed.pk, interior.pk]  # most days late first
    assert ids(people.leader, sort="late_least") == [interior.pk, passed.pk]
    assert ids(people.leader, department=people.other_department) == [interior.pk]
    assert ids(people.head) == [passed.pk]
    assert ids(people.specialist) == [passed.pk]
    assert ids(people.outsider_head) == [interior.pk]
    for user in (people.colleague, people.outsider, people.clerk):
        assert ids(user) == []


def test_completed_work_leaves_the_list(people, overdue):
    finance = overdue["finance"]
    services.complete_document(people.specialist, finance.pk, version=None, result="Đã báo cáo")
    assert ids(people.leader) == [overdue["interior"].pk]


def test_overdue_page_shows_holder_since_and_days_late(people, client_for, overdue):
    response = client_for(people.leader).get(reverse("overdue-list"))
    assert response.status_code == 200
    text = response.text
    assert people.specialist.full_name in text and people.other_department.name in text
    assert reverse("incoming-detail", args=[overdue["finance"].pk]) in text
    assert "Báo cáo quyết toán ngân sách" in text and "Chưa quá hạn" not in text
    passed = overdue["passed"]
    assert f"{timezone.localtime(passed.assigned_at):%d/%m/%Y %H:%M}" in text
    assert text.count(reverse("overdue-remind", args=[passed.pk])) == 1
    # Days late: calendar days since the deadline.
    rows = {r.assignment.pk: r for r in _rows(people.leader)}
    assert rows[passed.pk].days_late == 3 and rows[overdue["interior"].pk].days_late == 1

    filtered = client_for(people.leader).get(
        reverse("overdue-list"), {"department": people.other_department.pk, "sort": "holder"}
    )
    assert "Rà soát biên chế" in filtered.text
    assert "Báo cáo quyết toán ngân sách" not in filtered.text


def _rows(user):
    from routing.reports import overdue_rows

    return overdue_rows(list(list_overdue(user)), user)


def test_specialist_sees_own_work_without_reminder_button(people, client_for, overdue):
    response = client_for(people.specialist).get(reverse("overdue-list"))
    assert "Báo cáo quyết toán ngân sách" in response.text
    assert "Rà soát biên chế" not in response.text
    assert reverse("overdue-remind", args=[overdue["passed"].pk]) not in response.text


def test_leader_reminds_and_a_notice_and_history_entry_follow(people, client_for, overdue):
    passed = overdue["passed"]
    response = client_for(people.leader).post(
        reverse("overdue-remind", args=[passed.pk]), {"next": reverse("overdue-list")}
    )
    assert response.status_code == 302 and response["Location"] == reverse("overdue-list")
    notice = Notice.objects.get(kind="reminder")
    assert notice.recipient == people.specialist
    assert notice.document_id == overdue["finance"].pk
    assert notice.actor == people.leader
    assert notice.data["days_late"] == 3
    event = DocumentEvent.objects.get(action=DocumentEvent.Action.REMINDED)
    assert event.document_id == overdue["finance"].pk and event.actor == people.leader
    assert people.specialist.full_name in event.note
    assert event.data["assignment_id"] == passed.pk


def test_department_held_work_reminds_its_heads(people, overdue):
    reminded = send_reminder(people.leader, overdue["interior"].pk)
    assert reminded == [people.outsider_head]
    assert Notice.objects.get(kind="reminder").recipient == people.outsider_head


def test_head_reminds_their_department_only(people, client_for, overdue):
    assert send_reminder(people.head, overdue["passed"].pk, message="Hoàn thành trong hôm nay")
    assert "Hoàn thành trong hôm nay" in DocumentEvent.objects.get(action="reminded").note
    # Another department's work is not in their list: 404, nothing recorded.
    response = client_for(people.head).post(
        reverse("overdue-remind", args=[overdue["interior"].pk])
    )
    assert response.status_code == 404
    assert Notice.objects.filter(kind="reminder").count() == 1


def test_who_may_not_remind(people, client_for, overdue):
    passed = overdue["passed"]
    # The specialist sees their own work in the list but may not remind.
    with pytest.raises(ReminderError):
        send_reminder(people.specialist, passed.pk)
    # The outsider does not see it at all.
    assert (
        client_for(people.outsider).post(reverse("overdue-remind", args=[passed.pk])).status_code
        == 404
    )
    # Work not overdue cannot be reminded from the list.
    soon = Assignment.objects.get(document=overdue["soon"], role=Assignment.Role.LEAD)
    assert (
        client_for(people.leader).post(reverse("overdue-remind", args=[soon.pk])).status_code == 404
    )
    # GET is not an action.
    assert (
        client_for(people.leader).get(reverse("overdue-remind", args=[passed.pk])).status_code
        == 405
    )
    assert not Notice.objects.filter(kind="reminder").exists()
    assert not DocumentEvent.objects.filter(action="reminded").exists()


def test_head_cannot_remind_themselves(people, overdue):
    # Work held by the interior department itself: its head holds it.
    with pytest.raises(ReminderError):
        send_reminder(people.outsider_head, overdue["interior"].pk)


def _queries(client, url: str) -> int:
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
    assert response.status_code == 200
    return len(captured)


def test_overdue_list_queries_do_not_grow_with_rows(people, client_for, overdue):
    url = reverse("overdue-list")
    urls = [url, url + "?sort=department", url + f"?department={people.department.pk}"]
    users = (people.leader, people.head, people.specialist)

    def count() -> dict:
        return {(u.username, x): _queries(client_for(u), x) for u in users for x in urls}

    few = count()
    for i in range(5):
        make_overdue(directed(people, deadline=future(5), summary=f"Việc {i}"), 2 + i)
        make_overdue(directed(people, lead=Target(user=people.specialist), deadline=future(5)), 1)
    assert len(ids(people.leader)) == 12
    assert count() == few

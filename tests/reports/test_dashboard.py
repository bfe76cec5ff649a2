"""The "Báo cáo" dashboard: figures against a hand-counted agency, each figure equal to the
list behind it, periods in the agency's time zone, permissions, constant query count."""

from __future__ import annotations

import re
from datetime import date, datetime
from urllib.parse import parse_qs, urlsplit
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from documents.models import Document
from routing import services
from routing.dashboard import Period, PeriodKind, build_dashboard, period_of
from routing.handling import HANDLING_PARTS, Handling
from routing.models import Assignment
from routing.services import Target
from tests.builders import register

pytestmark = pytest.mark.django_db

HCM = ZoneInfo("Asia/Ho_Chi_Minh")
TODAY = date(2026, 11, 20)
NOVEMBER = Period(PeriodKind.MONTH, date(2026, 11, 1), date(2026, 11, 30))


def at(month: int, day: int, hour: int = 9, minute: int = 0) -> datetime:
    return datetime(2026, month, day, hour, minute, tzinfo=HCM)


def lead_of(document: Document) -> Assignment:
    return Assignment.objects.get(document=document, role=Assignment.Role.LEAD, parent=None)


class Agency:
    """Ten documents, each a case the figures must get right (counted by hand below)."""

    def __init__(self, people) -> None:
        self.people = people
        self.docs: dict[str, Document] = {}

    def receive(
        self,
        name: str,
        when: datetime,
        *,
        lead=None,
        deadline: date | None = None,
        submit: bool = True,
        **extra,
    ) -> Document:
        p = self.people
        with time_machine.travel(when, tick=False):
            document = register(p.clerk, received_at=when, summary=f"Văn bản {name}", **extra)
            if submit:
                services.submit_to_leader(p.clerk, document.pk, version=None, leader=p.leader)
            if submit and lead is not False:
                services.direct_document(
                    p.leader,
                    document.pk,
                    version=None,
                    text="Giao xử lý",
                    lead=lead or Target(department=p.department),
                    coordinators=[],
                    informed=[],
                    deadline=deadline,
                )
        self.docs[name] = document
        return document

    def pass_on(self, name: str, when: datetime, to) -> None:
        with time_machine.travel(when, tick=False):
            services.pass_on(
                self.people.head,
                self.docs[name].pk,
                version=None,
                assignment_id=lead_of(self.docs[name]).pk,
                specialist=to,
            )

    def complete(self, name: str, when: datetime, by) -> None:
        with time_machine.travel(when, tick=False):
            services.complete_document(by, self.docs[name].pk, version=None, result="Đã xử lý")


@pytest.fixture
def agency(people) -> Agency:
    p = people
    a = Agency(p)
    # 1. Completed late in the evening of its deadline day: on time.
    a.receive("on_deadline", at(11, 2), deadline=date(2026, 11, 10))
    a.pass_on("on_deadline", at(11, 2, 10), p.specialist)
    a.complete("on_deadline", at(11, 10, 23, 30), p.specialist)
    # 2. Completed half an hour into the next day (still the deadline day in UTC): late.
    a.receive("late_by_the_clock", at(11, 3), deadline=date(2026, 11, 10))
    a.pass_on("late_by_the_clock", at(11, 3, 10), p.colleague)
    a.complete("late_by_the_clock", at(11, 11, 0, 30), p.colleague)
    # 3. Deadline extended from the 6th to the 13th, completed on the 12th: on time.
    a.receive("extended", at(11, 4), deadline=date(2026, 11, 6))
    with time_machine.travel(at(11, 5), tick=False):
        extension = services.request_extension(
            p.head,
            a.docs["extended"].pk,
            assignment_id=lead_of(a.docs["extended"]).pk,
            requested_deadline=date(2026, 11, 13),
            reason="Chờ số liệu của xã",
        )
        services.decide_extension(
            p.leader, a.docs["extended"].pk, extension_id=extension.pk, grant=True
        )
    a.complete("extended", at(11, 12, 10), p.head)
    # 4. Completed on time, then reopened: open again, and past its deadline: overdue.
    a.receive("reopened", at(11, 5), deadline=date(2026, 11, 12))
    a.complete("reopened", at(11, 11), p.head)
    with time_machine.travel(at(11, 13), tick=False):
        services.reopen_document(
            p.leader, a.docs["reopened"].pk, version=None, reason="Báo cáo chưa đủ số liệu"
        )
    # 5. Open, deadline ahead: in progress within deadline.
    a.receive("in_time", at(11, 16), deadline=date(2026, 11, 27))
    # 6. Led by another department, no deadline, received 00:30 on the 17th.
    a.receive(
        "other_department",
        at(11, 17, 0, 30),
        lead=Target(department=p.other_department),
        receipt_method=Document.ReceiptMethod.ELECTRONIC,
    )
    # 7. Presented to the leader, no direction yet: counted for the agency only.
    a.receive("not_directed", at(11, 18), lead=False)
    # 8. Registration cancelled: never work.
    a.receive("cancelled", at(11, 6), submit=False)
    with time_machine.travel(at(11, 6, 10), tick=False):
        services.cancel_registration(
            p.clerk, a.docs["cancelled"].pk, version=None, reason="Vào sổ trùng"
        )
    # 9. Arrived 00:30 on 1 November (31 October in UTC), deadline the 5th, open: overdue.
    a.receive("first_minute", at(11, 1, 0, 30), deadline=date(2026, 11, 5))
    # 10. Led by the specialist in person, no deadline, completed: on time.
    a.receive("no_deadline_done", at(11, 9), lead=Target(user=p.specialist))
    a.complete("no_deadline_done", at(11, 10), p.specialist)
    # 11. Arrived 23:30 on 31 October: not November's.
    a.receive("october", at(10, 31, 23, 30), deadline=date(2026, 11, 3))
    return a


def test_figures_match_the_hand_count(agency, people):
    figures = build_dashboard(people.leader, NOVEMBER, None, today=TODAY)
    c = figures.totals.counts
    assert (c.received, c.on_time, c.late, c.in_time, c.overdue, c.no_deadline) == (
        9,
        3,  # on_deadline, extended, no_deadline_done
        1,  # late_by_the_clock
        1,  # in_time
        2,  # reopened, first_minute
        2,  # other_department, not_directed
    )
    assert c.on_time_share == pytest.approx(3 / 6)
    # Completed: 8 d 14 h 30, 7 d 15 h 30, 8 d 1 h, 1 d (the reopened one is open again).
    times = [8 + 14.5 / 24, 7 + 15.5 / 24, 8 + 1 / 24, 1.0]
    assert c.average_days == pytest.approx(sum(times) / 4)
    assert figures.totals.percentile_90_days == pytest.approx(8 + 14.5 / 24)  # 4th of 4
    assert (figures.totals.electronic, figures.totals.paper) == (1, 8)

    by_department = {row.name: row.counts for row in figures.departments}
    finance = by_department["Phòng Tài chính - Kế hoạch"]
    assert (finance.received, finance.on_time, finance.late, finance.in_time) == (7, 3, 1, 1)
    assert (finance.overdue, finance.no_deadline) == (2, 0)
    interior = by_department["Phòng Nội vụ"]
    assert (interior.received, interior.no_deadline) == (1, 1)
    assert set(by_department) == {"Phòng Tài chính - Kế hoạch", "Phòng Nội vụ"}


def test_people_of_a_department(agency, people):
    figures = build_dashboard(people.leader, NOVEMBER, people.department, today=TODAY)
    assert figures.departments == []
    by_person = {row.pk: row.counts for row in figures.people}
    specialist = by_person[people.specialist.pk]
    assert (specialist.received, specialist.on_time) == (2, 2)  # passed on; named in person
    colleague = by_person[people.colleague.pk]
    assert (colleague.received, colleague.late) == (1, 1)
    assert people.outsider.pk not in by_person
    totals = figures.totals.counts
    assert (totals.received, totals.overdue) == (7, 2)


def test_period_boundaries_are_local_days(agency, people):
    first_half = Period(PeriodKind.CUSTOM, date(2026, 11, 1), date(2026, 11, 16))
    c = build_dashboard(people.leader, first_half, None, today=TODAY).totals.counts
    # 00:30 on the 1st counts, 00:30 on the 17th (the 16th in UTC) does not.
    assert c.received == 7
    october = period_of(PeriodKind.MONTH, date(2026, 10, 15))
    c = build_dashboard(people.leader, october, None, today=TODAY).totals.counts
    assert c.received == 1  # 23:30 on the 31st


def test_weeks_add_up_to_the_period(agency, people):
    figures = build_dashboard(people.leader, NOVEMBER, None, today=TODAY)
    assert [w.start for w in figures.weeks][:2] == [date(2026, 11, 1), date(2026, 11, 2)]
    assert figures.weeks[-1].end == date(2026, 11, 30)
    for bucket in (Handling.RECEIVED, *HANDLING_PARTS):
        assert sum(w.counts.value(bucket) for w in figures.weeks) == (
            figures.totals.counts.value(bucket)
        )
    assert figures.weeks[0].counts.received == 1  # Sunday the 1st: first_minute


def list_count(client, href: str) -> int:
    response = client.get(href)
    assert response.status_code == 200
    return response.context["page"].paginator.count


def figure_links(html: str) -> list[tuple[str, int]]:
    """Every figure of the page that links to a list: (href, the number shown)."""
    found = re.findall(r'<a href="([^"]*/(?:incoming|outgoing)/\?[^"]*)">([\d.]+)</a>', html)
    found += re.findall(
        r'<a href="([^"]*/(?:incoming|outgoing)/\?[^"]*)"><span class="figure-value">([\d.]+)',
        html,
    )
    return [(href.replace("&amp;", "&"), int(value.replace(".", ""))) for href, value in found]


def assert_figures_match_lists(client, user, query: str = "") -> int:
    """Open the dashboard as ``user`` and every list a figure links to: same numbers."""
    client.force_login(user)
    html = client.get(reverse("dashboard") + query).content.decode()
    links = figure_links(html)
    assert links, "the dashboard shows no figure"
    for href, shown in links:
        assert list_count(client, href) == shown, href
    return len(links)


@time_machine.travel(datetime(2026, 11, 20, 15, tzinfo=HCM), tick=False)
def test_every_figure_is_the_count_of_its_list(agency, people, client):
    assert assert_figures_match_lists(client, people.leader, "?period=month") >= 15
    assert assert_figures_match_lists(client, people.head, "?period=month") >= 10


@time_machine.travel(datetime(2026, 11, 20, 15, tzinfo=HCM), tick=False)
def test_a_figure_opens_the_documents_behind_it(agency, people, client):
    client.force_login(people.leader)
    html = client.get(reverse("dashboard")).content.decode()
    href = re.search(r'class="figure figure-late"><a href="([^"]+)"', html)[1].replace("&amp;", "&")
    response = client.get(href)
    rows = list(response.context["page"].object_list)
    assert [d.summary for d in rows] == ["Văn bản late_by_the_clock"]
    assert parse_qs(urlsplit(href).query)["date_from"] == ["2026-11-01"]


@time_machine.travel(datetime(2026, 11, 20, 15, tzinfo=HCM), tick=False)
def test_a_head_sees_only_their_department(agency, people, client):
    client.force_login(people.head)
    response = client.get(
        reverse("dashboard"), {"period": "month", "department": people.other_department.pk}
    )
    assert response.status_code == 200
    assert response.context["department"] == people.department
    # The document the leader named to the specialist in person is not the head's to see:
    # figures count only what their lists can show.
    assert response.context["figures"].totals.counts.received == 6
    assert "Phòng Nội vụ" not in response.content.decode()
    client.force_login(people.outsider_head)
    counts = client.get(reverse("dashboard")).context["figures"].totals.counts
    assert (counts.received, counts.no_deadline) == (1, 1)


def test_others_may_not_open_it(people, client):
    for user in (people.specialist, people.clerk):
        client.force_login(user)
        assert client.get(reverse("dashboard")).status_code == 403


def test_a_bad_custom_period_is_explained(people, client):
    client.force_login(people.leader)
    response = client.get(
        reverse("dashboard"),
        {"period": "custom", "date_from": "2026-11-30", "date_to": "2026-11-01"},
        HTTP_ACCEPT_LANGUAGE="vi",
    )
    assert response.status_code == 400
    assert "Ngày kết thúc" in response.content.decode() or "trước" in response.content.decode()
    response = client.get(reverse("dashboard"), {"period": "custom", "date_from": "2026-11-01"})
    assert response.status_code == 400
    assert response.context["form"].errors["date_to"]


def test_periods():
    day = date(2026, 11, 22)  # a Sunday
    assert period_of("week", day) == Period("week", date(2026, 11, 16), date(2026, 11, 22))
    assert period_of("month", date(2028, 2, 10)).end == date(2028, 2, 29)
    assert period_of("quarter", day) == Period("quarter", date(2026, 10, 1), date(2026, 12, 31))
    assert period_of("quarter", date(2026, 2, 1)).end == date(2026, 3, 31)
    assert period_of("year", day).start == date(2026, 1, 1)
    assert period_of("month", day).previous().start == date(2026, 10, 1)
    assert period_of("month", date(2026, 12, 5)).following().start == date(2027, 1, 1)


@time_machine.travel(datetime(2026, 11, 20, 15, tzinfo=HCM), tick=False)
def test_query_count_does_not_grow_with_rows(agency, people, client):
    client.force_login(people.leader)

    def queries() -> int:
        with CaptureQueriesContext(connection) as ctx:
            assert client.get(reverse("dashboard"), {"period": "month"}).status_code == 200
        return len(ctx.captured_queries)

    before = queries()
    for n in range(3):
        agency.receive(f"more-{n}", at(11, 19), lead=Target(department=people.other_department))
        agency.receive(f"person-{n}", at(11, 19), lead=Target(user=people.colleague))
    assert queries() == before

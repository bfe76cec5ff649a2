"""The register read from grants (PostgreSQL): the same rows, in the same order, with the
same count as the list's own query, and the grants' order kept by the database."""

from __future__ import annotations

import html
import re
from datetime import timedelta

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from documents import search
from documents.models import (
    Document,
    DocumentGroupObjectPermission,
    DocumentUserObjectPermission,
    Secrecy,
    Urgency,
)
from documents.permissions import GrantedRegister, view_permission_id
from routing.selectors import RegisterFilter, granted_register, list_incoming
from routing.services import Target
from tests.builders import directed, register
from tests.conftest import requires_postgres

pytestmark = requires_postgres

NEXT = re.compile(r'href="\?([^"]*after=[^"]+)"')
PREVIOUS = re.compile(r'href="\?([^"]*before=[^"]+)"')
ROW = re.compile(r'href="/incoming/(\d+)/"')


def _agency(people):
    """Documents the specialist sees by every route, arrivals out of registration order."""
    now = timezone.now().replace(microsecond=0)
    arrivals = [3, 1, 5, 1, 9, 2]  # days ago; two share a moment, the id breaks the tie
    seen = [directed(people, files=0, received_at=now - timedelta(days=days)) for days in arrivals]
    seen.append(
        directed(
            people,
            files=0,
            lead=Target(user=people.specialist),
            received_at=now - timedelta(days=4),
        )
    )
    confidential = directed(
        people, files=0, secrecy=Secrecy.CONFIDENTIAL, received_at=now - timedelta(hours=1)
    )
    unseen = register(people.clerk, files=0, received_at=now)  # never directed
    return seen, confidential, unseen


def _ids(user) -> list[int]:
    return list(list_incoming(user).values_list("pk", flat=True))


def test_it_reads_the_same_rows_in_the_same_order(people):
    seen, confidential, unseen = _agency(people)
    reader = GrantedRegister.for_user(people.specialist)
    assert reader is not None
    expected = _ids(people.specialist)
    assert set(expected) == {d.pk for d in seen}
    assert confidential.pk not in expected and unseen.pk not in expected
    assert reader.ids(None, forward=True, limit=100) == expected
    assert reader.ids(None, forward=False, limit=100) == expected[::-1]
    assert reader.count(100) == len(expected) and reader.count(3) == 4
    # From a key on, both ways.
    third = Document.objects.get(pk=expected[2])
    key = (third.received_at, third.pk)
    assert reader.ids(key, forward=True, limit=2) == expected[3:5]
    assert reader.ids(key, forward=False, limit=5) == expected[:2][::-1]
    # The heads see the confidential one by their personal grant, in its place.
    head = GrantedRegister.for_user(people.head)
    assert head is not None
    assert head.ids(None, forward=True, limit=100) == _ids(people.head)
    assert confidential.pk in _ids(people.head)


def test_the_database_keeps_each_grants_place(people):
    seen, confidential, _unseen = _agency(people)
    group_grant = DocumentGroupObjectPermission.objects.filter(content_object=seen[0]).first()
    assert group_grant.register_order == seen[0].received_at
    # A department's grant on a confidential document (written by hand: the route gives
    # its heads personal grants instead) never opens it, so it has no place.
    written = DocumentGroupObjectPermission.objects.create(
        content_object=confidential,
        group=people.department.group,
        permission_id=view_permission_id(),
    )
    written.refresh_from_db()
    assert written.register_order is None
    assert DocumentUserObjectPermission.objects.filter(
        content_object=confidential, user=people.head, register_order=confidential.received_at
    ).exists()
    # A corrected arrival moves the document in every grant holder's register.
    moved = seen[4]  # the oldest
    moved.received_at = timezone.now() + timedelta(minutes=1)
    moved.save()
    reader = GrantedRegister.for_user(people.specialist)
    assert reader.ids(None, forward=True, limit=1) == [moved.pk] == _ids(people.specialist)[:1]
    # Made confidential: the department's grant no longer opens it.
    Document.objects.filter(pk=moved.pk).update(secrecy=Secrecy.CONFIDENTIAL)
    assert moved.pk not in reader.ids(None, forward=True, limit=100)
    assert moved.pk not in _ids(people.specialist)


def test_the_register_pages_from_grants_by_its_links(people, client_for, settings):
    settings.EOFFICE_PAGE_SIZE = 2
    _agency(people)
    assert granted_register(people.specialist, RegisterFilter()) is not None
    assert granted_register(people.specialist, RegisterFilter(sort="received")) is None
    assert granted_register(people.specialist, RegisterFilter(sender="so tai")) is None
    assert granted_register(people.clerk, RegisterFilter()) is None  # walks the register
    client = client_for(people.specialist)
    url = reverse("incoming-list")
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
    statements = [q["sql"] for q in captured]
    assert not any("OVER ()" in s for s in statements)
    assert not any('FROM "documents_document"' in s and "COUNT(*)" in s for s in statements)
    assert "7 văn bản" in response.text
    pages = []
    while True:
        pages.append([int(pk) for pk in ROW.findall(response.text)])
        link = NEXT.search(response.text)
        if not link:
            break
        response = client.get(url + "?" + html.unescape(link.group(1)))
    assert [pk for page in pages for pk in page] == _ids(people.specialist)
    assert [len(page) for page in pages] == [2, 2, 2, 1]
    back = []
    while link := PREVIOUS.search(response.text):
        response = client.get(url + "?" + html.unescape(link.group(1)))
        back.append([int(pk) for pk in ROW.findall(response.text)])
    assert back == pages[-2:0:-1]  # page 2 links to page 1 by its number


def test_a_search_for_common_words_walks_the_grants(people, client_for, settings, monkeypatch):
    """Common words (by the column's statistics: here every word is made common) are
    searched by walking the grants newest first: the same rows, order and count as the
    list's own query; rare words take the general path."""
    settings.EOFFICE_PAGE_SIZE = 2
    now = timezone.now().replace(microsecond=0)
    summaries = ["Dự toán ngân sách", "Báo cáo ngân hàng", "Quyết toán ngân sách", "Ngân sách xã"]
    found = [
        directed(people, files=0, summary=text, received_at=now - timedelta(days=days))
        for days, text in enumerate(summaries)
    ]
    directed(  # matching, but confidential: the department's grant does not open it
        people, files=0, summary="Ngân sách mật", secrecy=Secrecy.CONFIDENTIAL, received_at=now
    )
    monkeypatch.setattr(search, "word_shares", lambda words: dict.fromkeys(words, 0.5))
    filters = RegisterFilter(q="ngan sach")
    reader = granted_register(people.specialist, filters)
    assert reader is not None and reader.matching is not None
    expected = list(list_incoming(people.specialist, filters).values_list("pk", flat=True))
    assert expected == [found[0].pk, found[2].pk, found[3].pk]
    assert reader.ids(None, forward=True, limit=10) == expected
    assert reader.ids(None, forward=False, limit=10) == expected[::-1]
    assert reader.count(10) == 3 and reader.count(1) == 2
    assert (
        granted_register(people.specialist, RegisterFilter(q="ngan sach", sort="deadline")) is None
    )
    assert granted_register(people.specialist, RegisterFilter(q="45/QĐ")) is None
    monkeypatch.setattr(search, "word_shares", lambda words: {})  # rare: the index serves
    assert granted_register(people.specialist, filters) is None

    monkeypatch.setattr(search, "word_shares", lambda words: dict.fromkeys(words, 0.5))
    client = client_for(people.specialist)
    url = reverse("incoming-list") + "?q=ng%C3%A2n+s%C3%A1ch"
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
    assert not any("OVER ()" in q["sql"] for q in captured)  # not the general path
    assert "3 văn bản" in response.text
    pages = [[int(pk) for pk in ROW.findall(response.text)]]
    while link := NEXT.search(response.text):
        response = client.get(reverse("incoming-list") + "?" + html.unescape(link.group(1)))
        pages.append([int(pk) for pk in ROW.findall(response.text)])
    assert pages == [expected[:2], expected[2:]]


def test_filters_walk_the_grants_with_the_same_rows_and_counts(people, monkeypatch):
    """Every filter the register offers, alone and together, read from the grants: the
    same rows in the same order, and the same count, as the list's own query."""
    seen, confidential, _unseen = _agency(people)
    today = timezone.localdate()
    urgent = directed(
        people,
        files=0,
        urgency=Urgency.URGENT,
        summary="Khẩn: ngân sách quý",
        received_at=timezone.now() - timedelta(days=20),
        deadline=today + timedelta(days=3),
    )
    electronic = directed(
        people,
        files=0,
        receipt_method=Document.ReceiptMethod.ELECTRONIC,
        received_at=timezone.now() - timedelta(days=40),
    )
    monkeypatch.setattr(search, "word_shares", lambda words: dict.fromkeys(words, 0.5))
    days_ago = today - timedelta(days=6)
    variants = [
        RegisterFilter(),
        RegisterFilter(date_from=days_ago),
        RegisterFilter(date_to=today - timedelta(days=2)),
        RegisterFilter(date_from=today - timedelta(days=30), date_to=today - timedelta(days=2)),
        RegisterFilter(urgency=Urgency.URGENT),
        RegisterFilter(secrecy=Secrecy.NONE),
        RegisterFilter(secrecy=Secrecy.CONFIDENTIAL),
        RegisterFilter(state=Document.State.DIRECTED),
        RegisterFilter(state=Document.State.COMPLETED),
        RegisterFilter(doc_type=urgent.doc_type, date_from=today - timedelta(days=25)),
        RegisterFilter(department=people.department),
        RegisterFilter(handling="no_deadline"),
        RegisterFilter(handling="in_time"),
        RegisterFilter(lead_department=people.department),
        RegisterFilter(receipt_method=Document.ReceiptMethod.ELECTRONIC),
        RegisterFilter(q="ngan sach"),
        RegisterFilter(q="ngan sach", urgency=Urgency.URGENT, date_from=days_ago),
    ]
    for user in (people.specialist, people.head):
        for filters in variants:
            reader = granted_register(user, filters)
            assert reader is not None, filters
            expected = list(list_incoming(user, filters).values_list("pk", flat=True))
            assert reader.ids(None, forward=True, limit=100) == expected, filters
            assert reader.ids(None, forward=False, limit=100) == expected[::-1], filters
            assert reader.count(100) == len(expected), filters
            assert reader.first_page(2, 100) == (expected[:2], len(expected)), filters
            assert reader.first_page(2, 1) == (expected[:2], min(len(expected), 2)), filters
    # The filters do select: not everything, not nothing.
    assert list(list_incoming(people.specialist, RegisterFilter(urgency=Urgency.URGENT))) == [
        urgent
    ]
    head_confidential = list_incoming(people.head, RegisterFilter(secrecy=Secrecy.CONFIDENTIAL))
    assert list(head_confidential) == [confidential]
    electronic_only = list_incoming(people.specialist, RegisterFilter(receipt_method="electronic"))
    assert list(electronic_only) == [electronic]
    assert len(seen) == 7

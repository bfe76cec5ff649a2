"""Lists page by keyset: every row once, at a constant number of queries at any depth.

Issue 5: a deep page of the register must not be an OFFSET scan; the "Next" link carries the
last row's sort key, and the page after it is read from that key on.
"""

from __future__ import annotations

import html
import re
from datetime import date, datetime, time, timedelta

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from eoffice.pagination import KeysetPaginator, decode_cursor, encode_cursor, sort_keys
from routing.selectors import RegisterFilter, list_incoming, list_todo
from routing.services import Target
from tests.builders import directed, future, register

NEXT = re.compile(r'href="\?([^"]*after=[^"]+)"')
PREVIOUS = re.compile(r'href="\?([^"]*before=[^"]+)"')


def _numbers(response) -> list[str]:
    return re.findall(r"\b\d+/STC-QLNS\b", response.text)


def _follow(client, url: str, pattern: re.Pattern[str]) -> tuple[list[list[str]], list[int]]:
    """Pages met by following one kind of link from ``url``, and each page's query count."""
    pages, counts = [], []
    while True:
        with CaptureQueriesContext(connection) as captured:
            response = client.get(url)
        assert response.status_code == 200
        pages.append(_numbers(response))
        counts.append(len(captured))
        link = pattern.search(response.text)
        if not link:
            return pages, counts
        url = reverse("incoming-list") + "?" + html.unescape(link.group(1))


def test_next_links_reach_every_row_once_with_constant_queries(people, client_for, settings):
    settings.EOFFICE_PAGE_SIZE = 5
    settings.EOFFICE_COUNT_CAP = 100
    moment = timezone.now().replace(microsecond=0)
    # Several documents share an arrival moment: the id breaks the tie.
    for i in range(17):
        register(people.clerk, files=0, received_at=moment - timedelta(minutes=i // 3))
    client = client_for(people.clerk)

    pages, counts = _follow(client, reverse("incoming-list"), NEXT)

    rows = [n for page in pages for n in page]
    expected = list(list_incoming(people.clerk).values_list("number_symbol", flat=True))
    assert rows == expected and len(rows) == 17
    assert [len(p) for p in pages] == [5, 5, 5, 2]
    # Page 1 by offset, the others by keyset: the same number of queries.
    assert len(set(counts)) == 1

    # And back: "Previous" from the last page shows the same pages in reverse.
    last_url = (
        reverse("incoming-list")
        + "?"
        + html.unescape(NEXT.findall(client.get(reverse("incoming-list") + "?page=3").text)[0])
    )
    back, _counts = _follow(client, last_url, PREVIOUS)
    assert back[:3] == [pages[3], pages[2], pages[1]]


def test_links_keep_the_filters_and_the_page_number(people, client_for, settings):
    settings.EOFFICE_PAGE_SIZE = 5
    for _ in range(7):
        register(people.clerk, files=0, summary="Về ngân sách")
    register(people.clerk, files=0, summary="Về đất đai")
    response = client_for(people.clerk).get(reverse("incoming-list"), {"q": "ngan sach"})
    link = html.unescape(NEXT.search(response.text).group(1))
    assert "q=ngan+sach" in link and "page=2" in link
    second = client_for(people.clerk).get(reverse("incoming-list") + "?" + link)
    assert len(_numbers(second)) == 2
    assert "Trang 2/2" in second.text


def test_a_bad_cursor_is_ignored(people, client_for, settings):
    settings.EOFFICE_PAGE_SIZE = 5
    for _ in range(6):
        register(people.clerk, files=0)
    client = client_for(people.clerk)
    for cursor in ("%%%", "W10", encode_cursor([1]), "eyJ4IjoxfQ"):
        response = client.get(reverse("incoming-list"), {"page": 2, "after": cursor})
        assert response.status_code == 200
        assert len(_numbers(response)) == 1  # page 2 by offset


def test_past_the_count_cap_next_still_works(people, client_for, settings):
    settings.EOFFICE_PAGE_SIZE = 5
    settings.EOFFICE_COUNT_CAP = 100
    for _ in range(12):
        register(people.clerk, files=0)
    paginator = KeysetPaginator(list_incoming(people.clerk), 5, cap=6)
    first = paginator.page_for({})
    assert paginator.is_capped and first.has_next()
    values = [key.value_of(list(first.object_list)[-1]) for key in paginator.keys or []]
    second = paginator.page_for({"page": "2", "after": encode_cursor(values)})
    third_values = [key.value_of(list(second.object_list)[-1]) for key in paginator.keys or []]
    third = paginator.page_for({"page": "3", "after": encode_cursor(third_values)})
    assert len(first) + len(second) + len(third) == 12
    assert not third.has_next()


def test_todo_pages_by_keyset_with_and_without_deadlines(people, settings):
    settings.EOFFICE_PAGE_SIZE = 2
    for days in (None, 5, 3, None, 9):
        directed(people, deadline=future(days) if days else None, lead=Target(user=people.head))
    queryset = list_todo(people.head)
    keys = sort_keys(queryset)
    assert keys is not None
    paginator = KeysetPaginator(queryset, 2)
    page = paginator.page_for({})
    seen = [d.pk for d in page.object_list]
    number = 1
    while page.has_next():
        number += 1
        values = [key.value_of(list(page.object_list)[-1]) for key in paginator.keys or []]
        page = paginator.page_for({"page": str(number), "after": encode_cursor(values)})
        seen += [d.pk for d in page.object_list]
    assert seen == [d.pk for d in list_todo(people.head)]
    assert len(seen) == 5


def test_cursor_round_trip():
    moment = timezone.now()
    values = [moment, date(2026, 1, 2), None, 3, True, "a"]
    assert decode_cursor(encode_cursor(values), 6) == values
    assert decode_cursor(encode_cursor(values), 5) is None


def test_date_filter_follows_the_agency_calendar(people):
    """Received at 23:30 on 1 March (Asia/Ho_Chi_Minh) is 1 March, though 16:30 UTC."""
    zone = timezone.get_default_timezone()
    late = register(
        people.clerk,
        files=0,
        received_at=datetime.combine(date(2026, 3, 1), time(23, 30), tzinfo=zone),
    )
    early = register(
        people.clerk,
        files=0,
        received_at=datetime.combine(date(2026, 3, 2), time(0, 10), tzinfo=zone),
    )

    def found(**filters) -> set[int]:
        return set(
            list_incoming(people.clerk, RegisterFilter(**filters)).values_list("pk", flat=True)
        )

    assert found(date_from=date(2026, 3, 1), date_to=date(2026, 3, 1)) == {late.pk}
    assert found(date_from=date(2026, 3, 2)) >= {early.pk}
    assert late.pk not in found(date_from=date(2026, 3, 2))
    assert early.pk not in found(date_to=date(2026, 3, 1))


def test_a_list_read_from_grants_is_counted_with_its_page(people, client_for, settings):
    """A specialist's register filtered by sender is a set of granted ids: the page's ids
    come with the count (``COUNT(*) OVER ()``), one query instead of two, and the figures
    stay exact. (Without a sender or rare words, on PostgreSQL, it is read from the grants'
    order: test_granted_register.)"""
    settings.EOFFICE_PAGE_SIZE = 2
    settings.EOFFICE_COUNT_CAP = 100
    mine = [directed(people, lead=Target(user=people.specialist)) for _ in range(5)]
    register(people.clerk, files=0)  # not granted to the specialist
    client = client_for(people.specialist)

    with CaptureQueriesContext(connection) as captured:
        response = client.get(reverse("incoming-list"), {"sender": "tài chính"})
    statements = [q["sql"] for q in captured]
    counts = [s for s in statements if s.startswith("SELECT COUNT(*)")]
    assert not any("documents_document" in s for s in counts)
    assert sum("OVER ()" in s for s in statements) == 1
    assert "5 văn bản" in response.text
    expected = [d.number_symbol for d in sorted(mine, key=lambda d: (d.received_at, d.pk))]
    assert _numbers(response) == expected[::-1][:2]

    # Past the cap: the count stops there, the next page continues from the last row.
    paginator = KeysetPaginator(list_incoming(people.specialist), 2, cap=3)
    first = paginator.page_for({})
    assert paginator.count == 4 and paginator.is_capped and len(first) == 2
    # A typed page past the end: nothing read ahead, counted the usual way.
    paginator = KeysetPaginator(list_incoming(people.specialist), 2)
    last = paginator.page_for({"page": "9"})
    assert paginator.count == 5 and last.number == 3 and len(last) == 1

    # A search that finds nothing: its one query says so, no count after it.
    with CaptureQueriesContext(connection) as captured:
        response = client.get(reverse("incoming-list"), {"q": "khôngcóđâu"})
    assert "Không có văn bản nào phù hợp" in response.text
    assert not any("documents_document" in q["sql"] and "COUNT(*)" in q["sql"] for q in captured)


def test_the_register_rows_escape_what_they_show(people, client_for):
    register(
        people.clerk,
        files=0,
        summary='<script>alert("x")</script> & ngân sách',
        sender_name="Sở <Tài chính>",
    )
    response = client_for(people.clerk).get(reverse("incoming-list"))
    assert "<script>alert" not in response.text
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; ngân sách" in response.text
    assert '<td data-label="Cơ quan ban hành">Sở &lt;Tài chính&gt;</td>' in response.text
    assert '<td data-label="Trạng thái"><span class="state state-registered">' in response.text

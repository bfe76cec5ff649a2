"""List pages cost a fixed number of queries, whatever the number of rows."""

from __future__ import annotations

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from routing import services
from routing.services import Target
from tests.builders import directed, future, register


def _queries(client, url: str) -> int:
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
    assert response.status_code == 200
    return len(captured)


def _add_directed(people, count: int) -> None:
    for _ in range(count):
        directed(people, deadline=future(3), files=0)


def test_register_list_and_todo_do_not_grow_with_rows(people, client_for, settings):
    settings.EOFFICE_PAGE_SIZE = 50
    urls = [reverse("incoming-list"), reverse("incoming-list") + "?q=ngan+sach", reverse("home")]
    _add_directed(people, 3)
    few = {
        (user.username, url): _queries(client_for(user), url)
        for user in (people.clerk, people.head, people.leader)
        for url in urls
    }
    _add_directed(people, 20)
    many = {
        (user.username, url): _queries(client_for(user), url)
        for user in (people.clerk, people.head, people.leader)
        for url in urls
    }
    assert few == many


def test_document_page_does_not_grow_with_history(people, client_for):
    document = register(people.clerk)
    services.submit_to_leader(people.clerk, document.pk, version=None, leader=people.leader)
    services.direct_document(
        people.leader,
        document.pk,
        version=None,
        text="Giao",
        lead=Target(department=people.department),
        deadline=future(9),
    )
    url = reverse("incoming-detail", args=[document.pk])
    client = client_for(people.head)
    before = _queries(client, url)
    for i in range(10):
        services.add_comment(people.head, document.pk, f"Ý kiến {i}")
    assert _queries(client, url) == before


def test_register_count_is_capped(people, client_for, settings):
    settings.EOFFICE_COUNT_CAP = 100
    settings.EOFFICE_PAGE_SIZE = 5
    from eoffice.pagination import CappedPaginator
    from routing.selectors import list_incoming

    for _ in range(3):
        register(people.clerk, files=0)
    paginator = CappedPaginator(list_incoming(people.clerk), 5, cap=2)
    assert paginator.is_capped and paginator.num_pages == 1
    response = client_for(people.clerk).get(reverse("incoming-list"))
    assert "3 văn bản" in response.text

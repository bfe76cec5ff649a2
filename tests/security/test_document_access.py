"""Invisible means 404: every document view, list, search and download, for every persona."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse

from documents.models import Document, DocumentEvent, Secrecy
from documents.permissions import user_can_view, visible_documents
from eoffice.models import Role
from routing import services
from tests.builders import directed, future, register

DOCUMENT_URLS = ["incoming-detail", "incoming-slip"]
ACTIONS = [
    "submit",
    "direct",
    "return",
    "pass_on",
    "complete",
    "complete_part",
    "request_extension",
    "decide_extension",
    "reopen",
    "cancel",
    "comment",
]


def directed_to_department(people, **overrides) -> Document:
    return directed(people, deadline=future(5), **overrides)


@pytest.mark.parametrize("url_name", DOCUMENT_URLS)
def test_outsider_gets_404_on_document_pages(people, client_for, url_name):
    document = directed_to_department(people)
    response = client_for(people.outsider).get(reverse(url_name, args=[document.pk]))
    assert response.status_code == 404


@pytest.mark.parametrize("url_name", DOCUMENT_URLS)
def test_department_member_sees_a_document_granted_to_the_department(people, client_for, url_name):
    document = directed_to_department(people)
    response = client_for(people.colleague).get(reverse(url_name, args=[document.pk]))
    assert response.status_code == 200
    assert document.number_symbol in response.text


def test_nonexistent_and_invisible_look_the_same(people, client_for):
    document = directed_to_department(people)
    client = client_for(people.outsider)
    invisible = client.get(reverse("incoming-detail", args=[document.pk]))
    missing = client.get(reverse("incoming-detail", args=[document.pk + 1000]))
    assert invisible.status_code == missing.status_code == 404

    def main_content(response) -> str:
        # The frame differs (CSRF tokens are masked anew, the language form names the URL).
        return re.search(r"<main.*</main>", response.text, re.DOTALL).group(0)

    assert main_content(invisible) == main_content(missing)


def test_download_is_404_for_outsider_and_recorded_for_a_reader(people, client_for):
    document = directed_to_department(people)
    attachment = document.attachments.get()
    url = reverse("attachment-download", args=[document.pk, attachment.pk])
    assert client_for(people.outsider).get(url).status_code == 404
    assert not DocumentEvent.objects.filter(action="downloaded").exists()
    response = client_for(people.colleague).get(url)
    assert response.status_code == 200
    assert b"".join(response.streaming_content).startswith(b"%PDF-")
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"].startswith("inline")
    event = DocumentEvent.objects.get(action="downloaded")
    assert (event.actor, event.document) == (people.colleague, document)


def test_download_of_another_documents_attachment_is_404(people, client_for):
    mine = directed_to_department(people)
    other = register(people.clerk)
    url = reverse("attachment-download", args=[mine.pk, other.attachments.get().pk])
    assert client_for(people.colleague).get(url).status_code == 404


def test_forced_download_uses_rfc6266_name(people, client_for):
    document = directed_to_department(people)
    attachment = document.attachments.get()
    attachment.original_name = "Công văn số 5.pdf"
    attachment.save()
    url = reverse("attachment-download", args=[document.pk, attachment.pk]) + "?download=1"
    response = client_for(people.colleague).get(url)
    assert response["Content-Disposition"].startswith("attachment")
    assert "filename*=utf-8''C%C3%B4ng%20v%C4%83n" in response["Content-Disposition"]


@pytest.mark.parametrize("action", ACTIONS)
def test_outsider_actions_are_404_and_change_nothing(people, client_for, action):
    document = directed_to_department(people)
    before = (document.state, document.version, DocumentEvent.objects.count())
    response = client_for(people.outsider).post(
        reverse("incoming-action", args=[document.pk, action]),
        {"version": document.version, "text": "x", "reason": "x", "result": "x"},
    )
    assert response.status_code == 404
    document.refresh_from_db()
    assert (document.state, document.version, DocumentEvent.objects.count()) == before


def test_visible_but_not_allowed_action_is_refused_with_a_message(people, client_for):
    document = directed_to_department(people)
    client = client_for(people.colleague)
    response = client.post(
        reverse("incoming-action", args=[document.pk, "complete"]),
        {"version": document.version, "result": "Xong"},
        follow=True,
    )
    document.refresh_from_db()
    assert document.state == Document.State.DIRECTED
    assert any("Hoàn thành" in str(m) or "Complete" in str(m) for m in response.context["messages"])


def test_lists_and_search_hide_what_is_not_granted(people, client_for):
    document = directed_to_department(people, summary="V/v cải cách hành chính bí mật riêng")
    for user, expected in (
        (people.outsider, False),
        (people.colleague, True),
        (people.clerk, True),
    ):
        client = client_for(user)
        for url in (reverse("incoming-list"), reverse("incoming-list") + "?q=cai+cach"):
            assert (document.number_symbol in client.get(url).text) is expected, (user, url)


def test_unregistered_user_cannot_see_the_register_but_clerk_sees_it_all(people):
    first = register(people.clerk)
    assert user_can_view(people.clerk, first)
    assert not user_can_view(people.specialist, first)
    assert not user_can_view(people.leader, first)


def test_confidential_document_only_for_explicit_people(people):
    from tests.builders import make_user

    other_clerk = make_user("clerk2", "clerk", department=people.clerk.department)
    document = directed_to_department(people, secrecy=Secrecy.CONFIDENTIAL)
    # The registering clerk, the leader it was submitted to and the department's head.
    for user in (people.clerk, people.leader, people.head):
        assert user_can_view(user, document), user
    # Not the rest of the department, nor the other clerks, nor outsiders.
    for user in (people.colleague, people.specialist, other_clerk, people.outsider):
        assert not user_can_view(user, document), user
    services.pass_on(
        people.head,
        document.pk,
        version=None,
        assignment_id=document.assignments.get(role="lead").pk,
        specialist=people.specialist,
    )
    assert user_can_view(people.specialist, document)
    assert not user_can_view(people.colleague, document)


def test_inactive_user_sees_nothing(people):
    document = directed_to_department(people)
    people.colleague.is_active = False
    people.colleague.save()
    assert not visible_documents(people.colleague).filter(pk=document.pk).exists()


def test_anonymous_is_sent_to_log_in(people, client):
    document = directed_to_department(people)
    for url in (
        reverse("home"),
        reverse("incoming-list"),
        reverse("incoming-detail", args=[document.pk]),
    ):
        response = client.get(url)
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("login"))


def test_only_clerks_reach_the_registration_form(people, client_for):
    for user in (people.leader, people.head, people.specialist):
        assert client_for(user).get(reverse("incoming-register")).status_code == 403
    assert client_for(people.clerk).get(reverse("incoming-register")).status_code == 200


@pytest.mark.parametrize("dense", [True, False])
def test_both_query_shapes_see_the_same_documents(people, dense):
    # Leaders and clerks get the EXISTS walk; the others the UNION of granted ids.
    if dense:
        people.colleague.roles.add(Role.objects.get(code="leader"))
        people.colleague._role_codes = None
    mine = directed_to_department(people)
    secret = directed_to_department(people, secrecy=Secrecy.CONFIDENTIAL)
    other = register(people.clerk)
    assert set(visible_documents(people.colleague)) == {mine}
    assert set(visible_documents(people.head)) == {mine, secret}
    assert set(visible_documents(people.outsider)) == set()
    assert set(visible_documents(people.clerk)) == {mine, secret, other}

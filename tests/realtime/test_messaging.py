"""Internal messaging: services, permissions, rendering and screens, as the people use them."""

from __future__ import annotations

import threading
import unicodedata
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import IntegrityError, connection, transaction
from django.http import Http404
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from documents.permissions import grant_view_to_user
from documents.uploads import check_upload
from realtime import messaging
from realtime.messaging_models import Conversation, Membership, Message, MessageAttachment
from realtime.models import Notice
from tests.builders import make_people, make_user, pdf_upload, register
from tests.conftest import requires_postgres

HTML_AS_PDF = b"<!DOCTYPE html><html><script>alert(1)</script></html>"


def _stored_files(settings) -> list[Path]:
    root = Path(settings.STORAGES["default"]["OPTIONS"]["location"])
    return [p for p in root.rglob("*") if p.is_file()] if root.exists() else []


def _group(people, *members, title="Tổ công tác ngân sách"):
    return messaging.create_group(people.head, title, list(members) or [people.specialist])


def _post(user, conversation, text, files=()):
    return messaging.post_message(user, conversation.pk, text, list(files))


def _page(client, conversation, **params):
    return client.get(reverse("conversation-detail", args=[conversation.pk]), params)


# --- direct conversations -------------------------------------------------------------------


def test_direct_conversation_is_unique_per_pair(people):
    first = messaging.start_direct_conversation(people.head, people.specialist)
    again = messaging.start_direct_conversation(people.specialist, people.head)
    assert first == again
    assert Conversation.objects.filter(kind="direct").count() == 1
    assert set(first.memberships.values_list("user_id", flat=True)) == {
        people.head.pk,
        people.specialist.pk,
    }
    other = messaging.start_direct_conversation(people.head, people.colleague)
    assert other != first
    # The database refuses a second row for the same pair, whatever the code does.
    with pytest.raises(IntegrityError), transaction.atomic():
        Conversation.objects.create(kind="direct", direct_key=first.direct_key)


def test_direct_conversation_with_oneself_or_an_inactive_account_is_refused(people):
    with pytest.raises(messaging.MessagingError):
        messaging.start_direct_conversation(people.head, people.head)
    people.outsider.is_active = False
    people.outsider.save()
    with pytest.raises(messaging.MessagingError):
        messaging.start_direct_conversation(people.head, people.outsider)


def test_starting_a_direct_conversation_through_the_screen(people, client_for):
    client = client_for(people.head)
    assert client.get(reverse("conversation-new")).status_code == 200
    response = client.post(reverse("conversation-new"), {"person": people.specialist.pk})
    conversation = Conversation.objects.get(kind="direct")
    assert response.status_code == 302
    assert response["Location"] == reverse("conversation-detail", args=[conversation.pk])
    client.post(reverse("conversation-new"), {"person": people.specialist.pk})
    assert Conversation.objects.filter(kind="direct").count() == 1
    page = _page(client, conversation)
    assert page.context["title"] == people.specialist.full_name


def test_creating_a_group_and_adding_members(people, client_for):
    client = client_for(people.head)
    response = client.post(
        reverse("conversation-new-group"),
        {"title": "Tổ dự toán", "members": [people.specialist.pk]},
    )
    group = Conversation.objects.get(kind="group")
    assert response.status_code == 302
    assert group.title == "Tổ dự toán"
    response = client.post(
        reverse("conversation-members", args=[group.pk]), {"members": [people.colleague.pk]}
    )
    assert response.status_code == 302
    assert set(group.memberships.values_list("user_id", flat=True)) == {
        people.head.pk,
        people.specialist.pk,
        people.colleague.pk,
    }
    # An outsider cannot add themselves or anyone else.
    outsider = client_for(people.outsider)
    response = outsider.post(
        reverse("conversation-members", args=[group.pk]), {"members": [people.outsider.pk]}
    )
    assert response.status_code == 404
    assert not group.memberships.filter(user=people.outsider).exists()


def test_only_groups_take_new_members(people):
    direct = messaging.start_direct_conversation(people.head, people.specialist)
    with pytest.raises(messaging.MessagingError):
        messaging.add_members(people.head, direct.pk, [people.colleague])


def test_group_needs_a_name_and_another_member(people):
    with pytest.raises(messaging.MessagingError):
        messaging.create_group(people.head, "  ", [people.specialist])
    with pytest.raises(messaging.MessagingError):
        messaging.create_group(people.head, "Tổ", [people.head])


# --- department conversations -----------------------------------------------------------------


def test_department_conversation_follows_the_department(people, client_for):
    conversation = messaging.ensure_department_conversation(people.department)
    assert messaging.ensure_department_conversation(people.department) == conversation
    _post(people.head, conversation, "Họp giao ban phòng lúc 8h")
    specialist = client_for(people.specialist)
    assert _page(specialist, conversation).status_code == 200
    assert _page(client_for(people.outsider), conversation).status_code == 404
    # The specialist moves to the interior department.
    people.specialist.department = people.other_department
    people.specialist.save()
    specialist = client_for(people.specialist)
    assert _page(specialist, conversation).status_code == 404
    message = Message.objects.get()
    fragment = reverse("message-fragment", args=[conversation.pk, message.pk])
    assert specialist.get(fragment).status_code == 404
    post = specialist.post(reverse("message-post", args=[conversation.pk]), {"text": "Còn đây"})
    assert post.status_code == 404
    assert messaging.search_messages(people.specialist, "giao ban").count() == 0
    # ... and gains the new department's conversation.
    specialist.get(reverse("conversation-list"))
    interior = Conversation.objects.get(department=people.other_department)
    assert _page(specialist, interior).status_code == 200
    listed = specialist.get(reverse("conversation-list")).context["rows"]
    assert [row["conversation"] for row in listed] == [interior]


def test_department_conversation_is_listed_before_its_first_message(people, client_for):
    rows = client_for(people.colleague).get(reverse("conversation-list")).context["rows"]
    assert [row["title"] for row in rows] == [people.department.name]


def test_one_conversation_per_department(people):
    messaging.ensure_department_conversation(people.department)
    with pytest.raises(IntegrityError), transaction.atomic():
        Conversation.objects.create(kind="department", department=people.department)


# --- 404 for everyone outside -----------------------------------------------------------------


def _urls(conversation, message, attachment):
    return {
        "page": reverse("conversation-detail", args=[conversation.pk]),
        "fragment": reverse("message-fragment", args=[conversation.pk, message.pk]),
        "attachment": reverse("message-attachment", args=[conversation.pk, attachment.pk]),
    }


@pytest.mark.parametrize("kind", ["direct", "group", "department"])
def test_outsider_gets_404_everywhere(people, client_for, settings, kind):
    if kind == "direct":
        conversation = messaging.start_direct_conversation(people.head, people.specialist)
    elif kind == "group":
        conversation = _group(people)
    else:
        conversation = messaging.ensure_department_conversation(people.department)
    message = _post(people.head, conversation, "Gửi kèm tệp", [check_upload(pdf_upload())])
    attachment = message.attachments.get()
    outsider = client_for(people.outsider)
    for name, url in _urls(conversation, message, attachment).items():
        assert outsider.get(url).status_code == 404, name
    files_before = _stored_files(settings)
    response = outsider.post(
        reverse("message-post", args=[conversation.pk]),
        {"text": "Tôi chen vào", "files": [pdf_upload("chen.pdf")]},
    )
    assert response.status_code == 404
    read = outsider.post(reverse("conversation-read", args=[conversation.pk]))
    assert read.status_code == 404
    assert Message.objects.count() == 1
    assert _stored_files(settings) == files_before
    assert not Membership.objects.filter(user=people.outsider).exists()
    # A conversation that does not exist looks the same.
    assert outsider.get(reverse("conversation-detail", args=[99999])).status_code == 404
    # The members get through.
    member = client_for(people.specialist)
    for name, url in _urls(conversation, message, attachment).items():
        assert member.get(url).status_code == 200, name


def test_attachment_of_another_conversation_is_404(people, client_for):
    mine = messaging.start_direct_conversation(people.head, people.specialist)
    theirs = _group(people, people.outsider, title="Khác")
    message = _post(people.head, theirs, "Tệp", [check_upload(pdf_upload())])
    url = reverse("message-attachment", args=[mine.pk, message.attachments.get().pk])
    assert client_for(people.specialist).get(url).status_code == 404


def test_attachment_download_headers(people, client_for):
    conversation = messaging.start_direct_conversation(people.head, people.specialist)
    message = _post(people.head, conversation, "", [check_upload(pdf_upload("Báo cáo quý.pdf"))])
    attachment = message.attachments.get()
    assert attachment.file.name.startswith("messages/")
    assert "Báo" not in attachment.file.name
    response = client_for(people.specialist).get(
        reverse("message-attachment", args=[conversation.pk, attachment.pk])
    )
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"].startswith("attachment;")
    assert "filename*=utf-8''B%C3%A1o%20c%C3%A1o%20qu%C3%BD.pdf" in response["Content-Disposition"]
    assert "sandbox" in response["Content-Security-Policy"]
    assert b"".join(response.streaming_content).startswith(b"%PDF-")


# --- uploads --------------------------------------------------------------------------------


def test_refused_upload_stores_nothing(people, client_for, settings):
    conversation = messaging.start_direct_conversation(people.head, people.specialist)
    client = client_for(people.head)
    response = client.post(
        reverse("message-post", args=[conversation.pk]),
        {
            "text": "Gửi hai tệp",
            "files": [
                pdf_upload("tot.pdf"),
                SimpleUploadedFile("xau.pdf", HTML_AS_PDF, content_type="application/pdf"),
            ],
        },
    )
    assert response.status_code == 400
    assert "xau.pdf" in response.content.decode()
    # What was typed is kept.
    assert "Gửi hai tệp" in response.content.decode()
    assert Message.objects.count() == 0
    assert MessageAttachment.objects.count() == 0
    assert _stored_files(settings) == []
    conversation.refresh_from_db()
    assert conversation.last_seq == 0


def test_refused_upload_through_htmx_answers_the_form_with_its_error(people, client_for):
    conversation = messaging.start_direct_conversation(people.head, people.specialist)
    response = client_for(people.head).post(
        reverse("message-post", args=[conversation.pk]),
        {"text": "", "files": [SimpleUploadedFile("xau.pdf", HTML_AS_PDF)]},
        headers={"HX-Request": "true"},
    )
    assert response.status_code == 200
    assert 'id="message-form"' in response.content.decode()
    assert "field-error" in response.content.decode()
    assert Message.objects.count() == 0


def test_failure_after_storing_a_file_removes_it(people, settings, monkeypatch):
    conversation = _group(people)

    def broken(*args, **kwargs):
        raise RuntimeError("notice store failed")

    monkeypatch.setattr(messaging, "notify", broken)
    with pytest.raises(RuntimeError):
        _post(people.head, conversation, "@specialist xem tệp", [check_upload(pdf_upload())])
    assert Message.objects.count() == 0
    assert _stored_files(settings) == []


def test_empty_and_over_long_messages_are_refused(people, client_for):
    conversation = messaging.start_direct_conversation(people.head, people.specialist)
    with pytest.raises(messaging.MessagingError):
        _post(people.head, conversation, "   ")
    with pytest.raises(messaging.MessagingError):
        _post(people.head, conversation, "x" * 4001)
    response = client_for(people.head).post(
        reverse("message-post", args=[conversation.pk]), {"text": "x" * 4001}
    )
    assert response.status_code == 400
    assert Message.objects.count() == 0


def test_message_is_stored_nfc_with_a_folded_search_column(people):
    conversation = messaging.start_direct_conversation(people.head, people.specialist)
    decomposed = unicodedata.normalize("NFD", "Báo cáo Quyết toán")
    message = _post(people.head, conversation, decomposed)
    assert message.text == unicodedata.normalize("NFC", "Báo cáo Quyết toán")
    assert message.search_text == "bao cao quyet toan"
    assert message.seq == 1
    assert _post(people.specialist, conversation, "Đã nhận").seq == 2


def test_posting_through_the_screen_with_a_file(people, client_for):
    conversation = messaging.start_direct_conversation(people.head, people.specialist)
    client = client_for(people.head)
    response = client.post(
        reverse("message-post", args=[conversation.pk]),
        {"text": "Tờ trình đây", "files": [pdf_upload("to-trinh.pdf")]},
    )
    assert response.status_code == 302
    message = Message.objects.get()
    assert message.attachments.get().original_name == "to-trinh.pdf"
    response = client.post(
        reverse("message-post", args=[conversation.pk]),
        {"text": "Và lời nhắn"},
        headers={"HX-Request": "true"},
    )
    html = response.content.decode()
    assert 'hx-swap-oob="beforeend:#thread"' in html
    assert "Và lời nhắn" in html


# --- mentions and document references -------------------------------------------------------


def test_mention_notifies_the_mentioned_member_only(people):
    conversation = _group(people, people.specialist, people.colleague)
    message = _post(
        people.head,
        conversation,
        "@Specialist xem giúp; @outsider không ở nhóm; thư head@example.com không phải nhắc",
    )
    notices = list(Notice.objects.all())
    assert [(n.recipient, n.kind) for n in notices] == [(people.specialist, "mention")]
    assert notices[0].actor == people.head
    assert notices[0].data["conversation_id"] == conversation.pk
    assert notices[0].data["message_id"] == message.pk
    assert "text" not in notices[0].data
    assert list(message.mentions.all()) == [people.specialist]
    # An ordinary message raises no notice at all.
    _post(people.specialist, conversation, "Vâng ạ")
    assert Notice.objects.count() == 1
    # Mentioning oneself notifies nobody.
    _post(people.head, conversation, "@head tự nhắc")
    assert Notice.objects.count() == 1


def test_mention_notice_opens_the_conversation(people, client_for):
    conversation = _group(people)
    message = _post(people.head, conversation, "@specialist xem")
    notice = Notice.objects.get()
    response = client_for(people.specialist).post(reverse("notice-open", args=[notice.pk]))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("conversation-detail", args=[conversation.pk]))
    assert response["Location"].endswith(f"#message-{message.pk}")


def test_document_reference_shows_the_summary_only_to_viewers_with_access(people, client_for):
    document = register(
        people.clerk, files=0, number_symbol="5052/STC-QLNS", summary="V/v dự toán ngân sách 2026"
    )
    grant_view_to_user(document, people.head)
    conversation = _group(people, people.specialist)
    _post(people.head, conversation, "Anh xem văn bản 5052/STC-QLNS. Và <b>in đậm</b>")
    link = reverse("incoming-detail", args=[document.pk])
    head_page = _page(client_for(people.head), conversation).content.decode()
    assert f'href="{link}"' in head_page
    assert "V/v dự toán ngân sách 2026" in head_page
    specialist_page = _page(client_for(people.specialist), conversation).content.decode()
    assert "5052/STC-QLNS" in specialist_page
    assert link not in specialist_page
    assert "dự toán ngân sách 2026" not in specialist_page
    # Text is escaped, never trusted as HTML.
    assert "&lt;b&gt;in đậm&lt;/b&gt;" in specialist_page
    # A grant later: the same message now shows the link to them.
    grant_view_to_user(document, people.specialist)
    assert link in _page(client_for(people.specialist), conversation).content.decode()


def test_reference_is_matched_by_number_symbol_key(people, client_for):
    document = register(people.clerk, files=0, number_symbol="45/QĐ-UBND", summary="Quyết định")
    grant_view_to_user(document, people.head)
    conversation = _group(people)
    _post(people.head, conversation, "Theo 045/qđ-ubnd và phân số 3/4")
    message = Message.objects.get()
    fragment = client_for(people.head).get(
        reverse("message-fragment", args=[conversation.pk, message.pk])
    )
    html = fragment.content.decode()
    assert reverse("incoming-detail", args=[document.pk]) in html
    assert html.count('class="doc-ref"') == 1


# --- search --------------------------------------------------------------------------------


def test_search_with_and_without_diacritics(people, client_for):
    group = _group(people)
    hit = _post(people.head, group, "Đề nghị gửi báo cáo quyết toán trước thứ Sáu")
    _post(people.head, group, "Lịch họp tuần sau")
    secret = _group(people, people.outsider, title="Riêng")
    _post(people.outsider, secret, "Báo cáo quyết toán của phòng khác")
    for query in ("bao cao quyet toan", "Báo cáo", "BÁO CÁO QUYẾT", "de nghi", "Đề"):
        assert list(messaging.search_messages(people.specialist, query)) == [hit], query
    decomposed = unicodedata.normalize("NFD", "quyết toán")
    assert list(messaging.search_messages(people.specialist, decomposed)) == [hit]
    assert list(messaging.search_messages(people.specialist, "")) == []
    response = client_for(people.specialist).get(reverse("message-search"), {"q": "quyet toan"})
    assert response.status_code == 200
    html = response.content.decode()
    assert "trước thứ Sáu" in html
    assert "phòng khác" not in html
    assert f"#message-{hit.pk}" in html


# --- unread counts and read receipts ----------------------------------------------------------


def _unread(client) -> dict[int, int]:
    rows = client.get(reverse("conversation-list")).context["rows"]
    return {row["conversation"].pk: row["conversation"].unread for row in rows}


def test_unread_counts_per_conversation(people, client_for):
    direct = messaging.start_direct_conversation(people.head, people.specialist)
    group = _group(people, people.specialist, people.colleague)
    for text in ("một", "hai", "ba"):
        _post(people.head, direct, text)
    _post(people.colleague, group, "bốn")
    _post(people.specialist, group, "của tôi")
    specialist = client_for(people.specialist)
    department = messaging.ensure_department_conversation(people.department)
    # The specialist's own message moved their read position past "bốn".
    assert _unread(specialist) == {direct.pk: 3, group.pk: 0, department.pk: 0}
    messaging.mark_conversation_read(people.specialist, direct.pk, up_to_seq=2)
    assert _unread(specialist)[direct.pk] == 1
    # Opening the conversation reads it.
    _page(specialist, direct)
    assert _unread(specialist)[direct.pk] == 0
    # The read position never moves back, nor past the last message.
    messaging.mark_conversation_read(people.specialist, direct.pk, up_to_seq=1)
    messaging.mark_conversation_read(people.specialist, direct.pk, up_to_seq=99)
    assert Membership.objects.get(conversation=direct, user=people.specialist).last_read_seq == 3
    # The author's own messages never count as unread for them.
    assert _unread(client_for(people.head))[direct.pk] == 0


def test_read_receipts_show_who_has_read_up_to_each_message(people, client_for):
    group = _group(people, people.specialist, people.colleague)
    first = _post(people.head, group, "Tin thứ nhất")
    second = _post(people.head, group, "Tin thứ hai")
    messaging.mark_conversation_read(people.specialist, group.pk)
    messaging.mark_conversation_read(people.colleague, group.pk, up_to_seq=1)
    page = client_for(people.head).get(
        reverse("conversation-detail", args=[group.pk]), {"before": 99}
    )
    readers = {item.message.pk: [u.pk for u in item.readers] for item in page.context["items"]}
    assert readers == {first.pk: [people.colleague.pk], second.pk: [people.specialist.pk]}
    html = page.content.decode()
    assert "Đã xem" in html
    # "?before" pages do not mark anything read for the viewer.
    assert not Membership.objects.filter(
        conversation=group, user=people.head, last_read_seq__gt=2
    ).exists()


def test_the_viewer_is_not_listed_as_a_reader(people, client_for):
    direct = messaging.start_direct_conversation(people.head, people.specialist)
    _post(people.head, direct, "Chào")
    page = _page(client_for(people.specialist), direct)
    assert [u for item in page.context["items"] for u in item.readers] == []
    page = _page(client_for(people.head), direct)
    assert [u for item in page.context["items"] for u in item.readers] == [people.specialist]


def test_older_messages_by_keyset(people, client_for, settings):
    settings.EOFFICE_PAGE_SIZE = 3
    direct = messaging.start_direct_conversation(people.head, people.specialist)
    for i in range(1, 8):
        _post(people.head, direct, f"Tin {i}")
    client = client_for(people.specialist)
    page = _page(client, direct)
    assert [i.message.seq for i in page.context["items"]] == [5, 6, 7]
    assert page.context["has_older"]
    older = _page(client, direct, before=page.context["older_before"])
    assert [i.message.seq for i in older.context["items"]] == [2, 3, 4]
    oldest = _page(client, direct, before=2)
    assert [i.message.seq for i in oldest.context["items"]] == [1]
    assert not oldest.context["has_older"]


# --- query counts -------------------------------------------------------------------------


def _queries(client, url: str) -> int:
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
    assert response.status_code == 200
    return len(captured)


def _busy_conversations(people, count: int, start: int) -> None:
    for i in range(start, start + count):
        other = make_user(f"person{i}", "specialist", department=people.other_department)
        direct = messaging.start_direct_conversation(people.head, other)
        _post(other, direct, f"Xin chào @head, số {i}")
        group = messaging.create_group(people.head, f"Nhóm {i}", [other, people.specialist])
        _post(people.specialist, group, f"Tin nhóm {i}")


def test_conversation_list_does_not_grow_with_conversations(people, client_for, settings):
    settings.EOFFICE_PAGE_SIZE = 50
    client = client_for(people.head)
    url = reverse("conversation-list")
    _busy_conversations(people, 2, 0)
    client.get(url)  # the department conversation is created on the first visit
    few = _queries(client, url)
    _busy_conversations(people, 10, 2)
    many = _queries(client, url)
    assert few == many
    rows = client.get(url).context["rows"]
    assert len(rows) == 25
    assert sum(row["conversation"].unread for row in rows) == 24


def test_conversation_page_does_not_grow_with_messages(people, client_for):
    document = register(people.clerk, files=0, number_symbol="77/UBND-VP", summary="Công văn")
    grant_view_to_user(document, people.head)
    group = _group(people, people.specialist, people.colleague)

    def add(count: int) -> None:
        for i in range(count):
            _post(people.specialist, group, f"@head xem 77/UBND-VP lần {i}")
            _post(people.colleague, group, f"Tệp {i}", [check_upload(pdf_upload(f"t{i}.pdf"))])
            messaging.mark_conversation_read(people.specialist, group.pk)

    client = client_for(people.head)
    url = reverse("conversation-detail", args=[group.pk])
    add(2)
    client.get(url)
    few = _queries(client, url)
    add(8)
    client.get(url)
    many = _queries(client, url)
    assert few == many
    search = reverse("message-search") + "?q=xem"
    assert _queries(client, search) == _queries(client, search)
    add(2)
    fragment_url = reverse("message-fragment", args=[group.pk, Message.objects.last().pk])
    assert _queries(client, fragment_url) < 15


def test_search_page_does_not_grow_with_results(people, client_for, settings):
    settings.EOFFICE_PAGE_SIZE = 50
    group = _group(people, people.specialist)
    client = client_for(people.specialist)
    url = reverse("message-search") + "?q=bao+cao"
    _post(people.head, group, "Báo cáo @specialist", [check_upload(pdf_upload())])
    few = _queries(client, url)
    for i in range(6):
        _post(people.head, group, f"Báo cáo {i} @specialist", [check_upload(pdf_upload())])
    assert _queries(client, url) == few


def test_inactive_user_sees_no_conversation(people):
    group = _group(people)
    people.specialist.is_active = False
    people.specialist.save()
    with pytest.raises(Http404):
        messaging.post_message(people.specialist, group.pk, "Còn không?")


# --- concurrency (PostgreSQL: SQLite serialises writers anyway) ---------------------------


def _in_threads(target, argument_lists) -> list:
    barrier = threading.Barrier(len(argument_lists))
    results: list = []
    errors: list = []

    def run(*args):
        try:
            barrier.wait(timeout=10)
            results.append(target(*args))
        except Exception as error:  # reported by the assertion below
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=args) for args in argument_lists]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert errors == []
    return results


@requires_postgres
@pytest.mark.django_db(transaction=True)
def test_simultaneous_starts_make_one_conversation_and_posts_get_distinct_numbers():
    people = make_people()
    started = _in_threads(
        messaging.start_direct_conversation,
        [(people.head, people.specialist), (people.specialist, people.head)] * 2,
    )
    assert len({c.pk for c in started}) == 1
    assert Conversation.objects.filter(kind="direct").count() == 1
    conversation = started[0]
    posted = _in_threads(
        lambda user, i: messaging.post_message(user, conversation.pk, f"Tin {i}"),
        [(people.head, i) for i in range(3)] + [(people.specialist, i) for i in range(3)],
    )
    assert sorted(m.seq for m in posted) == [1, 2, 3, 4, 5, 6]
    conversation.refresh_from_db()
    assert conversation.last_seq == 6

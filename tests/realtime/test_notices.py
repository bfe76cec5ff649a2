"""Every routing move that concerns a person leaves a stored notice for them."""

from __future__ import annotations

from django.core import mail
from django.urls import reverse

from documents.models import Secrecy
from realtime.digest import send_notice_digests
from realtime.models import Notice
from realtime.services import notify
from routing import services
from routing.models import Assignment
from routing.services import Target
from tests.builders import future, register


def kinds(user) -> list[str]:
    return list(
        Notice.objects.filter(recipient=user).order_by("seq").values_list("kind", flat=True)
    )


def test_the_route_notifies_each_person_once_and_never_the_actor(people):
    document = register(people.clerk)
    services.submit_to_leader(people.clerk, document.pk, version=None, leader=people.leader)
    services.direct_document(
        people.leader,
        document.pk,
        version=None,
        text="Giao",
        lead=Target(department=people.department),
        deadline=future(8),
        coordinators=[Target(department=people.other_department)],
        informed=[Target(user=people.outsider)],
    )
    lead = Assignment.objects.get(document=document, role="lead")
    services.pass_on(
        people.head,
        document.pk,
        version=None,
        assignment_id=lead.pk,
        specialist=people.specialist,
        deadline=future(4),
    )
    child = Assignment.objects.get(parent=lead)
    extension = services.request_extension(
        people.specialist,
        document.pk,
        assignment_id=child.pk,
        requested_deadline=future(6),
        reason="Cần thêm",
    )
    services.decide_extension(people.head, document.pk, extension_id=extension.pk, grant=True)
    coordinate = Assignment.objects.get(document=document, role="coordinate")
    services.complete_part(
        people.outsider_head, document.pk, assignment_id=coordinate.pk, result="Đã phối hợp"
    )
    services.complete_document(people.specialist, document.pk, version=None, result="Xong")
    services.reopen_document(people.leader, document.pk, version=None, reason="Bổ sung")
    services.add_comment(people.head, document.pk, "Đề nghị bổ sung số liệu quý IV")

    assert kinds(people.leader) == ["document_to_direct", "document_completed", "comment"]
    assert kinds(people.head) == ["document_assigned", "extension_requested"]
    assert kinds(people.outsider_head) == ["document_assigned", "comment"]
    assert kinds(people.outsider) == ["document_assigned", "comment"]
    assert kinds(people.specialist) == [
        "document_assigned",
        "extension_granted",
        "part_completed",
        "document_reopened",
        "comment",
    ]
    assert kinds(people.clerk) == ["comment"]
    assert kinds(people.colleague) == []
    # Numbers per person run from 1 without gaps.
    for user in (people.leader, people.specialist):
        seqs = list(
            Notice.objects.filter(recipient=user).order_by("seq").values_list("seq", flat=True)
        )
        assert seqs == list(range(1, len(seqs) + 1))


def test_return_notifies_the_clerk_who_submitted(people):
    document = register(people.clerk)
    services.submit_to_leader(people.clerk, document.pk, version=None, leader=people.leader)
    services.return_to_clerk(people.leader, document.pk, version=None, reason="Thiếu phụ lục")
    notice = Notice.objects.get(recipient=people.clerk)
    assert (notice.kind, notice.data["reason"], notice.actor) == (
        "document_returned",
        "Thiếu phụ lục",
        people.leader,
    )


def test_confidential_department_work_notifies_only_its_heads(people):
    document = register(people.clerk, secrecy=Secrecy.CONFIDENTIAL)
    services.submit_to_leader(people.clerk, document.pk, version=None, leader=people.leader)
    services.direct_document(
        people.leader,
        document.pk,
        version=None,
        text="Giao",
        lead=Target(department=people.department),
    )
    assert kinds(people.head) == ["document_assigned"]
    assert kinds(people.specialist) == kinds(people.colleague) == []


def test_bell_list_read_and_read_all(people, client_for):
    document = register(people.clerk)
    services.submit_to_leader(people.clerk, document.pk, version=None, leader=people.leader)
    notify([people.leader], "reminder")
    client = client_for(people.leader)
    home = client.get(reverse("home"))
    assert 'class="bell-count" data-count="2"' in home.text
    page = client.get(reverse("notice-list"))
    assert "Văn bản chờ bạn cho ý kiến chỉ đạo" in page.text
    notice = Notice.objects.get(recipient=people.leader, kind="document_to_direct")
    response = client.post(reverse("notice-open", args=[notice.pk]))
    assert response["Location"] == reverse("incoming-detail", args=[document.pk])
    assert client.get(reverse("notice-unread")).json() == {"unread": 1}
    client.post(reverse("notice-read-all"))
    assert client.get(reverse("notice-unread")).json() == {"unread": 0}


def test_opening_a_document_marks_its_notices_read(people, client_for):
    document = register(people.clerk)
    services.submit_to_leader(people.clerk, document.pk, version=None, leader=people.leader)
    client_for(people.leader).get(reverse("incoming-detail", args=[document.pk]))
    assert not Notice.objects.filter(recipient=people.leader, read_at__isnull=True).exists()


def test_someone_elses_notice_is_404(people, client_for):
    notice = notify([people.leader], "reminder")[0]
    client = client_for(people.head)
    assert client.get(reverse("notice-toast", args=[notice.pk])).status_code == 404
    assert client.post(reverse("notice-open", args=[notice.pk])).status_code == 404
    notice.refresh_from_db()
    assert notice.read_at is None


def test_toast_fragment_shows_the_document(people, client_for):
    document = register(people.clerk, number_symbol="321/SNV-TCBC")
    services.submit_to_leader(people.clerk, document.pk, version=None, leader=people.leader)
    notice = Notice.objects.get(recipient=people.leader)
    response = client_for(people.leader).get(reverse("notice-toast", args=[notice.pk]))
    assert "321/SNV-TCBC" in response.text
    assert "Văn bản chờ bạn cho ý kiến chỉ đạo" in response.text


def test_daily_digest_once_and_only_for_those_who_asked(people, client_for):
    for user in (people.leader, people.head):
        user.email = f"{user.username}@example.gov.vn"
        user.save()
    response = client_for(people.leader).post(reverse("notice-settings"), {"email_notices": "on"})
    assert response.status_code == 302
    secret = register(
        people.clerk, secrecy=Secrecy.CONFIDENTIAL, summary="Nội dung mật không được gửi thư"
    )
    services.submit_to_leader(people.clerk, secret.pk, version=None, leader=people.leader)
    notify([people.leader, people.head], "reminder")
    run = send_notice_digests()
    assert (run.emails, run.notices) == (1, 2)
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["leader@example.gov.vn"]
    assert secret.number_symbol in message.body
    assert "Nội dung mật" not in message.body
    assert send_notice_digests().emails == 0


def test_digest_needs_an_email_address(people, client_for):
    people.leader.email = ""
    people.leader.save()
    response = client_for(people.leader).post(reverse("notice-settings"), {"email_notices": "on"})
    assert response.status_code == 400
    people.leader.refresh_from_db()
    assert not people.leader.email_notices


def test_the_bell_reads_its_count_and_last_number_in_one_query(people):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from realtime.selectors import notice_bell
    from realtime.services import mark_read

    assert notice_bell(people.head) == (0, 0)  # no notice yet, no counter row
    first = notify([people.head], "reminder")[0]
    notify([people.head], "comment")
    notify([people.specialist], "comment")
    with CaptureQueriesContext(connection) as captured:
        assert notice_bell(people.head) == (2, 2)
    assert len(captured) == 1
    mark_read(people.head, [first.pk])
    assert notice_bell(people.head) == (1, 2)
    assert notice_bell(people.specialist) == (1, 1)

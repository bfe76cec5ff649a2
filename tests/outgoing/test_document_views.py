"""The outgoing document's pages through HTTP: writing a draft, its page, every action."""

from __future__ import annotations

import pytest
from django.urls import reverse

from documents.models import (
    Attachment,
    Document,
    DocumentEvent,
    NumberReservation,
    OutgoingRecipient,
)
from documents.outgoing_numbers import reserve_number
from realtime.models import Notice
from routing.approval_models import ApprovalStep, ApprovalTask
from routing.approvals import approve_step, return_draft, submit_draft
from routing.issuing import issue_outgoing
from tests.builders import doc_type, pdf_upload, register
from tests.outgoing_builders import make_chain, make_draft, signed_draft

pytestmark = pytest.mark.django_db
Event = DocumentEvent.Action
S = Document.State


def _messages(response) -> list[str]:
    return [str(m) for m in response.context["messages"]]


def _draft_post(people, **overrides):
    data = {
        "doc_type": doc_type("CV").pk,
        "summary": "V/v báo cáo quyết toán ngân sách năm",
        "urgency": "0",
        "secrecy": "0",
        "proposed_signer": people.leader.pk,
        "execute_departments": [people.other_department.pk],
        "inform_people": [people.outsider_head.pk],
        "execute_external": "Sở Tài chính | 000.00.12.h49\nKho bạc Nhà nước huyện",
        "file_departments": [people.department.pk],
        "files": [pdf_upload("du-thao.pdf", "Dự thảo")],
        "appendices": [pdf_upload("phu-luc.pdf", "Phụ lục")],
    }
    data.update(overrides)
    return data


def _action(client, document, action, **data):
    document.refresh_from_db()
    payload = {f"{action}-version": document.version}
    payload.update({f"{action}-{k}" if k != "row" else k: v for k, v in data.items()})
    return client.post(reverse("outgoing-action", args=[document.pk, action]), payload)


# --- writing a draft -------------------------------------------------------------------------


def test_create_page_shows_the_form(people, client_for):
    response = client_for(people.specialist).get(reverse("draft-create"))
    assert response.status_code == 200
    assert 'name="summary"' in response.text
    assert 'for="id_execute_external"' in response.text


def test_specialist_creates_a_draft(people, client_for):
    client = client_for(people.specialist)
    response = client.post(reverse("draft-create"), _draft_post(people))
    document = Document.objects.get(direction=Document.Direction.OUTGOING)
    assert response.status_code == 302
    assert response.url == reverse("outgoing-detail", args=[document.pk])
    assert document.state == S.DRAFT
    assert document.drafter == people.specialist
    assert document.proposed_signer == people.leader
    kinds = sorted(document.attachments.values_list("kind", "version"))
    assert kinds == [(Attachment.Kind.APPENDIX, 1), (Attachment.Kind.DRAFT, 1)]
    rows = {(r.group, r.label, r.external_code) for r in document.recipients.all()}
    assert rows == {
        ("execute", people.other_department.name, ""),
        ("execute", "Sở Tài chính", "000.00.12.H49"),
        ("execute", "Kho bạc Nhà nước huyện", ""),
        ("inform", people.outsider_head.full_name, ""),
        ("file", people.department.name, ""),
    }
    assert DocumentEvent.objects.filter(document=document, action=Event.DRAFT_CREATED).exists()


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"summary": ""}, "summary"),
        ({"doc_type": ""}, "doc_type"),
        ({"doc_type": "999999"}, "doc_type"),
        ({"proposed_signer": ""}, "proposed_signer"),
        ({"urgency": "9"}, "urgency"),
        ({"secrecy": "x"}, "secrecy"),
        ({"files": []}, "files"),
        ({"execute_external": "Sở Tài chính | 12345"}, "execute_external"),
        ({"inform_external": " | 000.00.12.H49"}, "inform_external"),
        ({"execute_departments": ["999999"]}, "execute_departments"),
        ({"inform_people": ["abc"]}, "inform_people"),
        ({"in_reply_to": "999999"}, "in_reply_to"),
    ],
)
def test_invalid_draft_is_refused_and_keeps_the_input(people, client_for, overrides, field):
    client = client_for(people.specialist)
    response = client.post(reverse("draft-create"), _draft_post(people, **overrides))
    assert response.status_code == 400
    assert field in response.context["form"].errors
    assert not Document.objects.filter(direction=Document.Direction.OUTGOING).exists()
    # What the user typed is still there.
    if field != "summary":
        assert "V/v báo cáo quyết toán ngân sách năm" in response.text


def test_a_non_signer_cannot_be_proposed(people, client_for):
    response = client_for(people.specialist).post(
        reverse("draft-create"), _draft_post(people, proposed_signer=people.colleague.pk)
    )
    assert response.status_code == 400
    assert "proposed_signer" in response.context["form"].errors


def test_an_unreadable_file_is_refused_with_its_name_kept(people, client_for):
    from django.core.files.uploadedfile import SimpleUploadedFile

    bad = SimpleUploadedFile("virus.pdf", b"MZ\x90\x00 not a pdf", content_type="application/pdf")
    response = client_for(people.specialist).post(
        reverse("draft-create"), _draft_post(people, files=[bad])
    )
    assert response.status_code == 400
    assert "files" in response.context["form"].errors
    assert "virus.pdf" in response.text


def test_reply_to_an_incoming_document(people, client_for):
    incoming = register(people.clerk)
    from documents.permissions import grant_view_to_user

    grant_view_to_user(incoming, people.specialist)
    client = client_for(people.specialist)
    page = client.get(reverse("incoming-detail", args=[incoming.pk]))
    link = f"{reverse('draft-create')}?reply_to={incoming.pk}"
    assert link in page.text
    form = client.get(link)
    assert form.status_code == 200
    assert incoming.number_symbol in form.text
    client.post(reverse("draft-create"), _draft_post(people, in_reply_to=incoming.pk))
    draft = Document.objects.get(direction=Document.Direction.OUTGOING)
    assert draft.in_reply_to == incoming


def test_reply_to_an_invisible_document_is_404(people, client_for):
    incoming = register(people.clerk)
    client = client_for(people.outsider)
    assert client.get(f"{reverse('draft-create')}?reply_to={incoming.pk}").status_code == 404
    response = client.post(reverse("draft-create"), _draft_post(people, in_reply_to=incoming.pk))
    assert response.status_code == 400
    assert not Document.objects.filter(direction=Document.Direction.OUTGOING).exists()


def test_edit_page_changes_the_draft(people, client_for):
    draft = make_draft(people)
    client = client_for(people.specialist)
    page = client.get(reverse("draft-edit", args=[draft.pk]))
    assert page.status_code == 200
    assert "Sở Tài chính | 000.00.12.H49" in page.text
    data = _draft_post(people, summary="V/v nội dung mới", version=draft.version)
    del data["files"], data["appendices"]
    response = client.post(reverse("draft-edit", args=[draft.pk]), data)
    assert response.status_code == 302
    draft.refresh_from_db()
    assert draft.summary == "V/v nội dung mới"
    assert DocumentEvent.objects.filter(document=draft, action=Event.DRAFT_EDITED).exists()
    # Someone else (even a colleague who could see it) cannot edit; an outsider gets 404.
    outsider = client_for(people.outsider)
    assert outsider.get(reverse("draft-edit", args=[draft.pk])).status_code == 404


def test_edit_with_a_stale_version_is_refused(people, client_for):
    draft = make_draft(people)
    client = client_for(people.specialist)
    data = _draft_post(people, summary="V/v cũ", version=draft.version - 1 or 99)
    del data["files"], data["appendices"]
    response = client.post(reverse("draft-edit", args=[draft.pk]), data, follow=True)
    draft.refresh_from_db()
    assert draft.summary != "V/v cũ"
    assert response.redirect_chain[-1][0] == reverse("outgoing-detail", args=[draft.pk])


# --- the page --------------------------------------------------------------------------------


def test_drafter_sees_the_page_with_versions_and_actions(people, client_for):
    draft = make_draft(people)
    response = client_for(people.specialist).get(reverse("outgoing-detail", args=[draft.pk]))
    assert response.status_code == 200
    file = draft.attachments.get()
    assert reverse("attachment-download", args=[draft.pk, file.pk]) in response.text
    forms = response.context["action_forms"]
    assert set(forms) == {"new_version", "abandon", "comment"}
    assert len(response.context["submit_forms"]) == 0  # no chain template in this test
    assert reverse("draft-edit", args=[draft.pk]) in response.text


def test_an_incoming_document_id_redirects_to_its_page(people, client_for):
    incoming = register(people.clerk)
    client = client_for(people.clerk)
    response = client.get(reverse("outgoing-detail", args=[incoming.pk]))
    assert response.url == reverse("incoming-detail", args=[incoming.pk])
    draft = make_draft(people)
    response = client_for(people.specialist).get(reverse("incoming-detail", args=[draft.pk]))
    assert response.url == reverse("outgoing-detail", args=[draft.pk])


ALL_ACTIONS = [
    "new_version",
    "submit",
    "approve",
    "sign",
    "return",
    "forward",
    "recall",
    "issue",
    "withdraw",
    "abandon",
    "comment",
]


def test_outsider_gets_404_everywhere(people, client_for):
    chain = make_chain(people)
    draft = make_draft(people)
    submit_draft(people.specialist, draft.pk, version=None, template=chain.template)
    file = draft.attachments.get()
    client = client_for(people.outsider)
    before = DocumentEvent.objects.filter(document=draft).count()
    assert client.get(reverse("outgoing-detail", args=[draft.pk])).status_code == 404
    assert client.get(reverse("outgoing-history", args=[draft.pk])).status_code == 404
    assert client.get(reverse("draft-edit", args=[draft.pk])).status_code == 404
    download = reverse("attachment-download", args=[draft.pk, file.pk])
    assert client.get(download).status_code == 404
    for action in ALL_ACTIONS:
        response = client.post(
            reverse("outgoing-action", args=[draft.pk, action]),
            {f"{action}-version": draft.version, "comment-text": "x"},
        )
        assert response.status_code == 404, action
    assert client.get(reverse("outgoing-detail", args=[999999])).status_code == 404
    assert DocumentEvent.objects.filter(document=draft).count() == before


def test_approver_sees_the_draft_only_once_the_chain_reaches_them(people, client_for):
    chain = make_chain(people)
    draft = make_draft(people)
    url = reverse("outgoing-detail", args=[draft.pk])
    file = draft.attachments.get()
    download = reverse("attachment-download", args=[draft.pk, file.pk])
    assert client_for(people.head).get(url).status_code == 404
    assert client_for(people.head).get(download).status_code == 404
    submit_draft(people.specialist, draft.pk, version=None, template=chain.template)
    assert client_for(chain.office_chief).get(url).status_code == 404
    response = client_for(people.head).get(url)
    assert response.status_code == 200
    assert {"approve", "return", "forward", "comment"} <= set(response.context["action_forms"])
    assert client_for(people.head).get(download).status_code == 200
    approve_step(people.head, draft.pk, version=None)
    assert client_for(chain.office_chief).get(url).status_code == 200
    # The head acted already: still sees it, with nothing to do but comment.
    response = client_for(people.head).get(url)
    assert set(response.context["action_forms"]) == {"comment"}


def test_page_query_count_does_not_grow(people, client_for, django_assert_max_num_queries):
    chain = make_chain(people)
    client = client_for(people.specialist)

    def page_queries(draft):
        from django.db import connection
        from django.test.utils import CaptureQueriesContext

        with CaptureQueriesContext(connection) as ctx:
            assert client.get(reverse("outgoing-detail", args=[draft.pk])).status_code == 200
        return len(ctx.captured_queries)

    def revise(draft, rounds, **kwargs):
        from documents.drafts import add_draft_version
        from documents.uploads import check_upload

        for n in range(rounds):
            submit_draft(
                people.specialist, draft.pk, version=None, template=chain.template, **kwargs
            )
            approve_step(people.head, draft.pk, version=None)
            return_draft(chain.office_chief, draft.pk, version=None, comment=f"Sửa lần {n}")
            add_draft_version(
                people.specialist, draft.pk, None, [check_upload(pdf_upload(f"v{n}.pdf", "v"))]
            )
        submit_draft(people.specialist, draft.pk, version=None, template=chain.template)

    small = make_draft(people)
    revise(small, 1)
    baseline = page_queries(small)

    big = make_draft(people)
    revise(big, 4, extra_reviewers=[people.colleague, people.outsider_head])
    assert ApprovalStep.objects.filter(document=big).count() > 12
    with django_assert_max_num_queries(baseline):
        client.get(reverse("outgoing-detail", args=[big.pk]))


# --- actions ---------------------------------------------------------------------------------


def test_the_whole_chain_through_the_page(people, client_for):
    chain = make_chain(people)
    draft = make_draft(people)
    specialist = client_for(people.specialist)

    page = specialist.get(reverse("outgoing-detail", args=[draft.pk]))
    assert len(page.context["submit_forms"]) == 1
    payload = {
        "row": chain.template.pk,
        f"submit{chain.template.pk}-version": draft.version,
        f"submit{chain.template.pk}-template": chain.template.pk,
        f"submit{chain.template.pk}-skip": [2],
        f"submit{chain.template.pk}-extra_reviewers": [people.colleague.pk],
        f"submit{chain.template.pk}-note": "Kính trình",
    }
    response = specialist.post(reverse("outgoing-action", args=[draft.pk, "submit"]), payload)
    assert response.status_code == 302
    draft.refresh_from_db()
    assert draft.state == S.IN_REVIEW
    labels = list(ApprovalStep.objects.filter(document=draft).values_list("label", flat=True))
    assert "Kiểm tra thể thức" not in labels and len(labels) == 3
    assert Notice.objects.filter(recipient=people.head, document=draft).exists()

    head = client_for(people.head)
    response = _action(head, draft, "approve", comment="Đồng ý nội dung")
    assert response.status_code == 302
    draft.refresh_from_db()
    task = ApprovalTask.objects.get(holder=people.head, step__document=draft)
    assert task.state == ApprovalTask.State.APPROVED and task.acted_on_version == 1

    colleague = client_for(people.colleague)
    response = _action(colleague, draft, "forward", to=people.outsider_head.pk, reason="Nghỉ phép")
    assert response.status_code == 302
    assert ApprovalTask.objects.get(holder=people.outsider_head).state == "pending"
    assert DocumentEvent.objects.filter(document=draft, action=Event.STEP_FORWARDED).exists()

    outsider_head = client_for(people.outsider_head)
    response = _action(outsider_head, draft, "approve")
    draft.refresh_from_db()
    assert draft.state == S.AWAITING_SIGNATURE

    leader = client_for(people.leader)
    page = leader.get(reverse("outgoing-detail", args=[draft.pk]))
    assert "sign" in page.context["action_forms"]
    assert "approve" not in page.context["action_forms"]
    response = _action(leader, draft, "sign", comment="Ký")
    draft.refresh_from_db()
    assert draft.state == S.SIGNED and draft.signed_by == people.leader

    clerk = client_for(people.clerk)
    response = _action(clerk, draft, "issue", copies=5)
    assert response.status_code == 302
    response = clerk.get(response.url)
    draft.refresh_from_db()
    assert draft.state == S.ISSUED and draft.copies == 5
    assert any(draft.number_symbol in m for m in _messages(response))
    assert Document.objects.filter(source_document=draft).count() == 2

    response = _action(clerk, draft, "withdraw", reason="Sai số liệu")
    draft.refresh_from_db()
    assert draft.state == S.WITHDRAWN and draft.withdraw_reason == "Sai số liệu"
    copy = Document.objects.filter(source_document=draft).first()
    assert copy.state == S.WITHDRAWN
    page = client_for(people.outsider_head).get(reverse("incoming-detail", args=[copy.pk]))
    assert reverse("outgoing-detail", args=[draft.pk]) in page.text
    assert "Sai số liệu" in page.text


def _submitted(people, chain):
    draft = make_draft(people)
    submit_draft(people.specialist, draft.pk, version=None, template=chain.template)
    draft.refresh_from_db()
    return draft


def test_return_to_the_drafter_needs_a_comment(people, client_for):
    chain = make_chain(people)
    draft = _submitted(people, chain)
    head = client_for(people.head)
    response = _action(head, draft, "return", comment="")
    assert response.status_code == 400
    assert "comment" in response.context["action_forms"]["return"].errors
    response = _action(head, draft, "return", comment="Sửa số liệu")
    draft.refresh_from_db()
    assert draft.state == S.REVISION
    assert Notice.objects.filter(
        recipient=people.specialist, document=draft, kind="draft_returned"
    ).exists()


def test_return_to_an_earlier_step(people, client_for):
    chain = make_chain(people)
    draft = _submitted(people, chain)
    approve_step(people.head, draft.pk, version=None)
    chief = client_for(chain.office_chief)
    page = chief.get(reverse("outgoing-detail", args=[draft.pk]))
    choices = dict(page.context["action_forms"]["return"].fields["to_step"].choices)
    assert 1 in choices
    _action(chief, draft, "return", comment="Trưởng phòng xem lại", to_step=1)
    draft.refresh_from_db()
    assert draft.state == S.IN_REVIEW
    step = ApprovalStep.objects.get(document=draft, order=1)
    assert step.state == ApprovalStep.State.ACTIVE and step.cycle == 2


def test_forward_needs_a_reason(people, client_for):
    chain = make_chain(people)
    draft = _submitted(people, chain)
    response = _action(client_for(people.head), draft, "forward", to=people.colleague.pk, reason="")
    assert response.status_code == 400
    assert not ApprovalTask.objects.filter(holder=people.colleague).exists()


def test_recall_and_new_version_and_abandon(people, client_for):
    chain = make_chain(people)
    draft = _submitted(people, chain)
    client = client_for(people.specialist)
    page = client.get(reverse("outgoing-detail", args=[draft.pk]))
    assert "recall" in page.context["action_forms"]
    _action(client, draft, "recall", reason="Bổ sung phụ lục")
    draft.refresh_from_db()
    assert draft.state == S.DRAFT
    assert DocumentEvent.objects.filter(document=draft, action=Event.DRAFT_RECALLED).exists()

    response = _action(client, draft, "new_version", files=pdf_upload("v2.pdf"), note="Bản 2")
    assert response.status_code == 302
    draft.refresh_from_db()
    assert draft.draft_version == 2
    page = client.get(reverse("outgoing-detail", args=[draft.pk]))
    versions = page.context["versions"]
    assert [v.number for v in versions] == [2, 1]
    assert versions[0].is_current and not versions[1].is_current
    for a in draft.attachments.all():
        assert reverse("attachment-download", args=[draft.pk, a.pk]) in page.text

    response = _action(client, draft, "new_version", note="no file")
    assert response.status_code == 400

    _action(client, draft, "abandon", reason="Không cần nữa")
    draft.refresh_from_db()
    assert draft.state == S.ABANDONED


def test_comment_goes_into_the_history(people, client_for):
    draft = make_draft(people)
    client = client_for(people.specialist)
    response = client.post(
        reverse("outgoing-action", args=[draft.pk, "comment"]), {"comment-text": "Ghi chú"}
    )
    assert response.status_code == 302
    assert DocumentEvent.objects.filter(
        document=draft, action=Event.COMMENTED, note="Ghi chú"
    ).exists()
    history = client.get(reverse("outgoing-history", args=[draft.pk]))
    assert "Ghi chú" in history.text


def test_stale_version_is_refused(people, client_for):
    chain = make_chain(people)
    draft = _submitted(people, chain)
    stale = draft.version
    approve_step(people.head, draft.pk, version=None)
    client = client_for(chain.office_chief)
    response = client.post(
        reverse("outgoing-action", args=[draft.pk, "approve"]),
        {"approve-version": stale},
        follow=True,
    )
    assert response.redirect_chain[-1][0] == reverse("outgoing-detail", args=[draft.pk])
    assert any(m.level_tag == "warning" for m in response.context["messages"])
    assert not ApprovalTask.objects.filter(
        holder=chain.office_chief, state=ApprovalTask.State.APPROVED
    ).exists()


def test_an_action_not_allowed_is_refused_with_a_message(people, client_for):
    chain = make_chain(people)
    draft = _submitted(people, chain)
    # The drafter can see the page but may not approve their own draft.
    response = _action(client_for(people.specialist), draft, "approve")
    assert response.status_code == 302
    draft.refresh_from_db()
    assert draft.state == S.IN_REVIEW
    assert not ApprovalTask.objects.filter(state=ApprovalTask.State.APPROVED).exists()


def test_issue_with_a_reserved_number_and_a_final_file(people, client_for):
    chain = make_chain(people)
    draft = signed_draft(people, chain)
    reservation = reserve_number(people.clerk, draft.doc_type, confidential=False, purpose="x")
    client = client_for(people.clerk)
    page = client.get(reverse("outgoing-detail", args=[draft.pk]))
    assert reservation in page.context["action_forms"]["issue"].fields["reservation"].queryset
    response = _action(
        client,
        draft,
        "issue",
        reservation=reservation.pk,
        files=pdf_upload("ban-ky.pdf", "Bản ký"),
    )
    assert response.status_code == 302
    draft.refresh_from_db()
    reservation.refresh_from_db()
    assert draft.register_number == reservation.number
    assert reservation.state == NumberReservation.State.USED
    final = draft.attachments.get(kind=Attachment.Kind.FINAL)
    assert final.original_name == "ban-ky.pdf"
    page = client.get(reverse("outgoing-detail", args=[draft.pk]))
    assert reverse("attachment-download", args=[draft.pk, final.pk]) in page.text


def test_only_a_clerk_may_issue(people, client_for):
    chain = make_chain(people)
    draft = signed_draft(people, chain)
    response = _action(client_for(people.specialist), draft, "issue")
    assert response.status_code == 302
    draft.refresh_from_db()
    assert draft.state == S.SIGNED


def test_notice_opens_the_outgoing_page(people, client_for):
    chain = make_chain(people)
    draft = _submitted(people, chain)
    notice = Notice.objects.filter(recipient=people.head, document=draft).first()
    response = client_for(people.head).post(reverse("notice-open", args=[notice.pk]))
    assert response.url == reverse("outgoing-detail", args=[draft.pk])


def test_issued_document_shows_recipients_and_delivery(people, client_for):
    chain = make_chain(people)
    draft = signed_draft(people, chain)
    issue_outgoing(people.clerk, draft.pk, version=None)
    page = client_for(people.specialist).get(reverse("outgoing-detail", args=[draft.pk]))
    groups = dict(page.context["recipient_groups"])
    assert sum(len(rows) for rows in groups.values()) == 4
    external = draft.recipients.get(external_name="Sở Tài chính")
    assert external.delivery == OutgoingRecipient.Delivery.TO_SEND

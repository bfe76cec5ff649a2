"""An outgoing document's whole journey, in a real browser, the way the people do it.

The specialist drafts and submits; the department head returns it with a comment; the
specialist uploads version 2 and resubmits; the head and the office chief approve; the
chairman signs off; the clerk numbers and issues it; the head of a recipient department
finds it in "Việc cần xử lý". A full-page screenshot of every step goes to
test-artifacts/e2e/.
"""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from documents.models import Document, DocumentEvent
from routing.approval_models import ApprovalTask
from routing.models import Assignment
from tests.builders import make_people
from tests.e2e.test_incoming_journey import log_in, log_out, pdf_file, status
from tests.outgoing_builders import make_chain

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SUMMARY = "V/v đề nghị bổ sung kinh phí sửa chữa trụ sở làm việc năm 2026"
COMMENT = "Bổ sung số liệu dự toán chi tiết theo từng hạng mục."


def action_form(page: Page, heading: str):
    """The action form whose heading starts with ``heading``."""
    return page.locator("form.action-form").filter(
        has=page.get_by_role("heading", name=re.compile("^" + re.escape(heading)))
    )


def open_draft_from_todo(page: Page, task: str) -> None:
    section = page.get_by_role("region", name="Văn bản đi chờ bạn xử lý")
    row = section.get_by_role("row").filter(has_text=SUMMARY[:40])
    expect(row).to_have_count(1)
    expect(row.get_by_role("cell").first).to_contain_text(task)
    row.get_by_role("link").first.click()
    expect(page.get_by_role("heading", level=2, name="Quy trình duyệt")).to_be_visible()


def test_outgoing_document_journey(live_server, page: Page, server_errors, screenshot):
    base = live_server.url
    people = make_people()
    chain = make_chain(people)

    # 1. The specialist writes the draft and submits it into its chain.
    log_in(page, base, "specialist")
    page.get_by_role("navigation", name="Trình đơn chính").get_by_role(
        "link", name="Dự thảo của tôi"
    ).click()
    page.get_by_role("link", name="Tạo dự thảo").first.click()
    expect(page.get_by_role("heading", level=1, name="Tạo dự thảo")).to_be_visible()
    page.get_by_label("Loại văn bản").select_option(label="Công văn")
    page.get_by_label("Trích yếu").fill(SUMMARY)
    signer = page.get_by_label("Người ký")
    signer_option = signer.locator("option", has_text="Nguyễn Văn Lãnh")
    signer.select_option(value=signer_option.get_attribute("value"))
    page.get_by_label("Tệp dự thảo").set_input_files([pdf_file("du-thao-v1.pdf", "Du thao lan 1")])
    execute = page.get_by_role("group", name="Để thực hiện")
    execute.get_by_label("Đơn vị").select_option(label="Phòng Nội vụ")
    screenshot(page, "50-outgoing-draft-form")
    page.get_by_role("button", name="Tạo dự thảo").click()
    expect(status(page)).to_contain_text("phiên bản 1")
    draft = Document.objects.get(summary=SUMMARY)
    expect(page).to_have_url(f"{base}/outgoing/{draft.pk}/")
    action_form(page, "Trình duyệt").get_by_role("button", name="Trình duyệt").click()
    expect(page.get_by_role("region", name="Quy trình duyệt")).to_contain_text("Kiểm tra nội dung")
    draft.refresh_from_db()
    assert draft.state == Document.State.IN_REVIEW
    screenshot(page, "51-outgoing-submitted")
    log_out(page, base)

    # 2. The department head returns it with a comment.
    log_in(page, base, "head")
    open_draft_from_todo(page, "Duyệt")
    form = action_form(page, "Trả lại")
    form.get_by_label("Nội dung cần sửa").fill(COMMENT)
    form.get_by_role("button", name="Trả lại").click()
    expect(status(page)).to_be_visible()
    draft.refresh_from_db()
    assert draft.state == Document.State.REVISION
    log_out(page, base)

    # 3. The specialist sees the comment, uploads version 2 and submits again.
    log_in(page, base, "specialist")
    page.goto(f"{base}/outgoing/{draft.pk}/")
    expect(page.get_by_role("region", name="Lịch sử xử lý")).to_contain_text(COMMENT)
    page.get_by_label("Tệp dự thảo").set_input_files([pdf_file("du-thao-v2.pdf", "Du thao 2")])
    page.get_by_role("button", name="Tải lên phiên bản mới").click()
    expect(status(page)).to_be_visible()
    draft.refresh_from_db()
    assert draft.draft_version == 2
    action_form(page, "Trình duyệt").get_by_role("button", name="Trình duyệt").click()
    expect(status(page)).to_be_visible()
    screenshot(page, "52-outgoing-resubmitted")
    log_out(page, base)

    # 4. The head, then the office chief, approve version 2.
    for username in ("head", "office_chief"):
        log_in(page, base, username)
        open_draft_from_todo(page, "Duyệt")
        action_form(page, "Duyệt").get_by_role("button", name="Duyệt").click()
        expect(status(page)).to_be_visible()
        log_out(page, base)
    assert set(
        ApprovalTask.objects.filter(
            step__document=draft, state=ApprovalTask.State.APPROVED, step__round=2
        ).values_list("acted_on_version", flat=True)
    ) == {2}

    # 5. The chairman signs off.
    log_in(page, base, "leader")
    open_draft_from_todo(page, "Ký duyệt")
    action_form(page, "Ký duyệt").get_by_role("button", name="Ký duyệt").click()
    expect(status(page)).to_be_visible()
    draft.refresh_from_db()
    assert draft.state == Document.State.SIGNED
    screenshot(page, "53-outgoing-signed")
    log_out(page, base)

    # 6. The clerk numbers and issues it: the number is shown.
    log_in(page, base, "clerk")
    open_draft_from_todo(page, "Cấp số, phát hành")
    action_form(page, "Cấp số, phát hành").get_by_role("button", name="Cấp số, phát hành").click()
    expect(status(page)).to_contain_text("01/UBND-TCKH")
    expect(page.get_by_role("heading", level=1)).to_contain_text("01/UBND-TCKH")
    draft.refresh_from_db()
    assert draft.state == Document.State.ISSUED
    screenshot(page, "54-outgoing-issued")
    log_out(page, base)

    # 7. The head of the recipient department finds it in "Việc cần xử lý".
    copy = Document.objects.get(source_document=draft)
    assert Assignment.objects.get(document=copy).assignee_department == people.other_department
    log_in(page, base, "outsider_head")
    table = page.get_by_role("table", name="Văn bản đang chờ bạn xử lý")
    row = table.get_by_role("row").filter(has_text="01/UBND-TCKH")
    expect(row).to_have_count(1)
    row.get_by_role("link").first.click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("01/UBND-TCKH")
    screenshot(page, "55-outgoing-received")

    assert DocumentEvent.objects.filter(
        document=draft, action=DocumentEvent.Action.STEP_RETURNED, note=COMMENT
    ).exists()
    assert chain.template.name
    assert server_errors == []

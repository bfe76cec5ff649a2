"""An incoming document's whole journey, in a real browser, the way the people do it.

Clerk registers it and submits it to the leader; the leader directs a department; the
department head passes it on; the specialist completes it; the clerk sees it done in the
register. A full-page screenshot of every step goes to test-artifacts/e2e/.
"""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect

from documents.models import Attachment, Document, DocumentEvent
from documents.pdfgen import make_text_pdf
from routing.models import Assignment, Direction
from tests.builders import make_people, register

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

NUMBER_SYMBOL = "125/STC-QLNS"
SUMMARY = "V/v báo cáo tình hình thực hiện dự toán ngân sách quý III"
DIRECTION = "Giao Phòng Tài chính - Kế hoạch chủ trì, tham mưu văn bản trả lời."
RESULT = "Đã tham mưu văn bản trả lời Sở Tài chính."


def pdf_file(name: str, text: str) -> dict[str, object]:
    return {"name": name, "mimeType": "application/pdf", "buffer": make_text_pdf([text])}


def log_in(page: Page, base_url: str, username: str) -> None:
    page.goto(f"{base_url}/login/")
    expect(page).to_have_title(re.compile(r"^Đăng nhập — eoffice$"))
    page.get_by_label("Tên đăng nhập").fill(username)
    page.get_by_label("Mật khẩu").fill("pw")
    page.get_by_role("button", name="Đăng nhập").click()
    expect(page).to_have_url(f"{base_url}/")
    expect(page.get_by_role("heading", level=1, name="Việc cần xử lý")).to_be_visible()


def log_out(page: Page, base_url: str) -> None:
    page.get_by_role("banner").get_by_role("button", name="Đăng xuất").click()
    expect(page).to_have_url(re.compile(re.escape(f"{base_url}/login/")))
    expect(page.get_by_label("Tên đăng nhập")).to_be_visible()


def choose(page: Page, label: str, option: str) -> None:
    """Pick an option of the select named ``label`` (its accessible name, without the "*")."""
    select = page.get_by_role("combobox", name=label, exact=True)
    # Nothing of Django's untranslated English: the empty choice reads "—".
    expect(select.locator("option").first).to_have_text("—")
    select.select_option(label=option)


def status(page: Page):
    return page.get_by_role("status")


def open_from_todo(page: Page, task: str) -> None:
    """Open the document from "Việc cần xử lý", checking the task the row names."""
    table = page.get_by_role("table", name="Văn bản đang chờ bạn xử lý")
    row = table.get_by_role("row").filter(has_text=NUMBER_SYMBOL)
    expect(row).to_have_count(1)
    expect(row.get_by_role("cell").first).to_have_text(task)
    row.get_by_role("link", name=SUMMARY).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Công văn {NUMBER_SYMBOL}")


def test_incoming_document_journey(live_server, page: Page, server_errors, screenshot):
    base = live_server.url
    people = make_people()
    deadline = timezone.localdate() + timedelta(days=5)
    deadline_shown = deadline.strftime("%d/%m/%Y")

    # 1. The clerk logs in and registers the document.
    log_in(page, base, "clerk")
    expect(page.get_by_role("banner")).to_contain_text("Đỗ Thị Văn Thư")
    screenshot(page, "01-clerk-logged-in")

    menu = page.get_by_role("navigation", name="Trình đơn chính")
    menu.get_by_role("link", name="Vào sổ văn bản đến").click()
    expect(page).to_have_url(f"{base}/incoming/new/")
    expect(page).to_have_title("Vào sổ văn bản đến — eoffice")
    page.get_by_label("Cơ quan ban hành").fill("Sở Tài chính")
    page.get_by_label("Số, ký hiệu").fill(NUMBER_SYMBOL)
    page.get_by_label("Ngày văn bản").fill((timezone.localdate() - timedelta(days=2)).isoformat())
    choose(page, "Loại văn bản", "Công văn")
    page.get_by_label("Trích yếu").fill(SUMMARY)
    page.get_by_label("Người ký").fill("Phạm Giám Đốc")
    page.get_by_label("Số trang").fill("2")
    page.get_by_label("Tệp đính kèm").set_input_files(
        pdf_file("125-STC-QLNS.pdf", "So Tai chinh - cong van 125")
    )
    screenshot(page, "02-registration-form")
    page.get_by_role("button", name="Vào sổ văn bản đến").click()

    expect(status(page)).to_contain_text("Đã vào sổ văn bản đến số 01")
    expect(page).to_have_url(re.compile(rf"^{re.escape(base)}/incoming/\d+/$"))
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Công văn {NUMBER_SYMBOL}")
    expect(page.get_by_role("link", name="Tải xuống 125-STC-QLNS.pdf")).to_be_visible()
    document_url = page.url
    screenshot(page, "03-registered")

    # 2. ... and submits it to the leader.
    submit = page.get_by_role("button", name="Trình lãnh đạo")
    choose(page, "Lãnh đạo", "Nguyễn Văn Lãnh — Chủ tịch")
    submit.click()
    expect(status(page)).to_contain_text("Đã trình Nguyễn Văn Lãnh")
    expect(page.get_by_text("Chờ chỉ đạo").first).to_be_visible()
    expect(page.get_by_role("button", name="Trình lãnh đạo")).to_have_count(0)
    screenshot(page, "04-submitted-to-leader")
    log_out(page, base)

    # 3. The leader finds it in "Việc cần xử lý", directs and assigns.
    log_in(page, base, "leader")
    screenshot(page, "05-leader-todo")
    open_from_todo(page, "Cho ý kiến chỉ đạo")
    expect(page).to_have_url(document_url)
    page.get_by_label("Ý kiến chỉ đạo").fill(DIRECTION)
    choose(page, "Chủ trì", "Phòng Tài chính - Kế hoạch")
    page.get_by_label("Hạn xử lý").fill(deadline.isoformat())
    screenshot(page, "06-direction-form")
    page.get_by_role("button", name="Chỉ đạo, phân công").click()
    expect(status(page)).to_contain_text("Đã ghi nhận ý kiến chỉ đạo và phân công xử lý.")
    expect(page.locator("blockquote.direction")).to_contain_text(DIRECTION)
    screenshot(page, "07-directed")
    log_out(page, base)

    # 4. The head of the department passes it on to a specialist.
    log_in(page, base, "head")
    screenshot(page, "08-head-todo")
    open_from_todo(page, "Xử lý (chủ trì)")
    choose(page, "Chuyên viên", "Lê Chuyên Viên — Chuyên viên")
    # The department's deadline is offered as the specialist's.
    expect(
        page.get_by_role("button", name="Chuyển xử lý")
        .locator("xpath=ancestor::form")
        .get_by_label("Hạn xử lý")
    ).to_have_value(deadline.isoformat())
    page.get_by_role("button", name="Chuyển xử lý").click()
    expect(status(page)).to_contain_text("Đã chuyển xử lý cho Lê Chuyên Viên")
    screenshot(page, "09-passed-on")
    log_out(page, base)

    # 5. The specialist completes it, with a reply file.
    log_in(page, base, "specialist")
    screenshot(page, "10-specialist-todo")
    open_from_todo(page, "Xử lý (chủ trì)")
    page.get_by_label("Kết quả xử lý").fill(RESULT)
    page.get_by_label("Số, ký hiệu văn bản trả lời").fill("210/TCKH")
    page.get_by_label("Tệp báo cáo hoặc văn bản trả lời").set_input_files(
        pdf_file("tra-loi.pdf", "Van ban tra loi")
    )
    page.get_by_role("button", name="Hoàn thành", exact=True).click()
    expect(status(page)).to_contain_text("Đã hoàn thành xử lý.")
    expect(page.get_by_role("button", name="Hoàn thành", exact=True)).to_have_count(0)
    expect(page.get_by_text(RESULT).first).to_be_visible()
    expect(page.get_by_role("link", name="Tải xuống tra-loi.pdf")).to_be_visible()
    screenshot(page, "11-completed")
    log_out(page, base)

    # 6. The clerk sees it done, on time, in the register.
    log_in(page, base, "clerk")
    page.get_by_role("navigation", name="Trình đơn chính").get_by_role(
        "link", name="Văn bản đến", exact=True
    ).click()
    expect(page).to_have_url(f"{base}/incoming/")
    register_table = page.get_by_role("table", name="Sổ văn bản đến")
    row = register_table.get_by_role("row").filter(has_text=NUMBER_SYMBOL)
    expect(row).to_have_count(1)
    expect(row.get_by_role("cell").first).to_have_text("01")
    expect(row).to_contain_text("Sở Tài chính")
    expect(row.locator("td[data-label='Trạng thái']")).to_have_text("Hoàn thành")
    deadline_cell = row.locator("td[data-label='Hạn xử lý']")
    expect(deadline_cell).to_contain_text(deadline_shown)
    expect(deadline_cell.get_by_text("Hoàn thành đúng hạn", exact=True)).to_be_visible()
    screenshot(page, "12-register-completed")

    # The database agrees with what the screens said.
    document = Document.objects.get(number_symbol=NUMBER_SYMBOL)
    assert document.state == Document.State.COMPLETED
    assert document.register_number == 1
    assert document.registered_by == people.clerk
    assert document.result_summary == RESULT
    assert document.reply_number_symbol == "210/TCKH"
    assert document.completed_at is not None
    assert document_url.endswith(f"/incoming/{document.pk}/")
    actions = list(document.events.values_list("action", flat=True))
    A = DocumentEvent.Action
    milestones = [A.REGISTERED, A.SUBMITTED, A.DIRECTED, A.PASSED_ON, A.COMPLETED]
    assert [a for a in actions if a in milestones] == milestones
    actors = {e.action: e.actor for e in document.events.filter(action__in=milestones)}
    assert actors == {
        A.REGISTERED: people.clerk,
        A.SUBMITTED: people.clerk,
        A.DIRECTED: people.leader,
        A.PASSED_ON: people.head,
        A.COMPLETED: people.specialist,
    }
    direction = Direction.objects.get(document=document)
    assert direction.leader == people.leader
    assert direction.deadline == deadline
    lead = Assignment.objects.get(document=document, role=Assignment.Role.LEAD, parent__isnull=True)
    assert lead.assignee_department == people.department
    handler = Assignment.objects.get(document=document, parent=lead)
    assert handler.assignee_user == people.specialist
    assert sorted(document.attachments.values_list("kind", "original_name")) == sorted(
        [
            (Attachment.Kind.DOCUMENT, "125-STC-QLNS.pdf"),
            (Attachment.Kind.RESULT, "tra-loi.pdf"),
        ]
    )
    assert server_errors == []


def test_phone_width_has_no_horizontal_scroll(live_server, mobile_page: Page, screenshot):
    page = mobile_page
    base = live_server.url
    people = make_people()
    document = register(people.clerk, summary=SUMMARY, number_symbol=NUMBER_SYMBOL)

    def assert_fits(name: str) -> None:
        width = page.evaluate("document.documentElement.scrollWidth")
        screenshot(page, name)
        assert width <= 360 + 1, f"{name}: the page is {width}px wide at a 360px viewport"

    log_in(page, base, "clerk")
    menu = page.get_by_role("navigation", name="Trình đơn chính")
    expect(menu).to_be_hidden()
    assert_fits("20-phone-home")

    toggle = page.get_by_role("button", name="Trình đơn", exact=True)
    expect(toggle).to_have_attribute("aria-expanded", "false")
    toggle.click()
    expect(toggle).to_have_attribute("aria-expanded", "true")
    expect(menu).to_be_visible()
    expect(menu.get_by_role("link", name="Việc cần xử lý")).to_be_visible()
    assert_fits("21-phone-menu-open")

    menu.get_by_role("link", name="Văn bản đến", exact=True).click()
    expect(page).to_have_url(f"{base}/incoming/")
    assert_fits("22-phone-register")

    page.goto(f"{base}/incoming/{document.pk}/")
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Công văn {NUMBER_SYMBOL}")
    expect(page.get_by_role("button", name="Trình lãnh đạo")).to_be_visible()
    assert_fits("23-phone-document")

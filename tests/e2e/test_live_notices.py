"""Two people in two browsers: a direction reaches the department head's open page live."""

from __future__ import annotations

import os

import pytest
from django.contrib.auth.hashers import make_password
from playwright.sync_api import Browser, expect

from routing import services
from tests.builders import make_people, register
from tests.e2e.conftest import TIMEOUT_MS
from tests.realtime.servers import daphne

SUMMARY = "V/v triển khai kế hoạch chuyển đổi số năm 2026"


def _context(browser: Browser):
    context = browser.new_context(
        locale="vi-VN", timezone_id="Asia/Ho_Chi_Minh", viewport={"width": 1280, "height": 900}
    )
    context.set_default_timeout(TIMEOUT_MS)
    return context


def _log_in(page, base: str, username: str) -> None:
    page.goto(f"{base}/login/")
    page.get_by_label("Tên đăng nhập").fill(username)
    page.get_by_label("Mật khẩu").fill("pw")
    page.get_by_role("button", name="Đăng nhập").click()
    expect(page).to_have_url(f"{base}/")
    # The page's websocket has said hello and been given its replay.
    expect(page.locator("body")).to_have_attribute("data-live", "ready")


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_direction_reaches_the_heads_open_page_without_reload(
    browser: Browser, tmp_path, screenshot
):
    people = make_people()
    for user in (people.head, people.leader):
        user.password = make_password("pw", hasher="pbkdf2_sha256")
        user.save(update_fields=["password"])
    document = register(people.clerk, summary=SUMMARY, number_symbol="88/STTTT-CĐS")
    services.submit_to_leader(people.clerk, document.pk, version=None, leader=people.leader)
    with daphne(os.environ.get("REDIS_URL", ""), tmp_path) as server:
        head_context, leader_context = _context(browser), _context(browser)
        head, leader = head_context.new_page(), leader_context.new_page()
        _log_in(head, server.base, "head")
        expect(head.get_by_text("Không có việc nào đang chờ bạn xử lý.")).to_be_visible()
        head.evaluate("window.__sameDocument = 42")
        screenshot(head, "30-head-waiting")

        _log_in(leader, server.base, "leader")
        leader.get_by_role("link", name=SUMMARY).click()
        leader.get_by_label("Ý kiến chỉ đạo").fill("Giao Phòng Tài chính - Kế hoạch chủ trì.")
        leader.get_by_role("combobox", name="Chủ trì", exact=True).select_option(
            label=people.department.name
        )
        leader.get_by_role("button", name="Chỉ đạo, phân công").click()
        expect(leader.get_by_role("status")).to_contain_text("phân công")
        screenshot(leader, "31-leader-directed")

        toast = head.locator("#toasts .toast")
        expect(toast).to_contain_text("Bạn được giao xử lý văn bản")
        expect(toast).to_contain_text("88/STTTT-CĐS")
        row = (
            head.get_by_role("table", name="Văn bản đang chờ bạn xử lý")
            .get_by_role("row")
            .filter(has_text=SUMMARY)
        )
        expect(row).to_have_count(1)
        expect(head.locator(".bell-count")).to_have_text("1")
        assert head.evaluate("window.__sameDocument") == 42  # no reload happened
        screenshot(head, "32-head-notified-live")

        # Opening the document marks its notice read; the bell follows.
        row.get_by_role("link", name=SUMMARY).click()
        expect(head.locator(".bell-count")).to_have_text("0")
        expect(head.locator("body")).to_have_attribute("data-live", "ready")

        # A comment written on the leader's page appears in the head's open history.
        head.evaluate("window.__sameDocument = 43")
        leader.get_by_role("textbox", name="Ý kiến", exact=True).fill(
            "Đề nghị báo cáo trước thứ Sáu."
        )
        leader.get_by_role("button", name="Gửi ý kiến").click()
        expect(head.locator("#history")).to_contain_text("Đề nghị báo cáo trước thứ Sáu.")
        assert head.evaluate("window.__sameDocument") == 43
        screenshot(head, "33-comment-live")

        # They talk it over: two messages, each appearing live on the other's open page.
        leader.goto(f"{server.base}/messages/new/")
        leader.get_by_role("combobox", name="Người nhận").select_option(
            label=f"{people.head.full_name} — {people.department.name}"
        )
        leader.get_by_role("button", name="Mở cuộc trò chuyện").click()
        expect(leader.locator("body")).to_have_attribute("data-live", "ready")
        conversation_url = leader.url
        head.goto(conversation_url)
        expect(head.locator("body")).to_have_attribute("data-live", "ready")
        head.evaluate("window.__sameDocument = 44")
        leader.evaluate("window.__sameDocument = 45")
        leader.get_by_label("Nội dung tin nhắn").fill("88/STTTT-CĐS cần báo cáo trước thứ Sáu")
        leader.get_by_role("button", name="Gửi", exact=True).click()
        expect(head.locator("#thread")).to_contain_text("cần báo cáo trước thứ Sáu")
        # The document's number/symbol becomes a link for the head, who may see it.
        expect(head.locator("#thread").get_by_role("link", name="88/STTTT-CĐS")).to_be_visible()
        head.get_by_label("Nội dung tin nhắn").fill("Vâng, phòng sẽ gửi trước thứ Năm.")
        head.get_by_role("button", name="Gửi", exact=True).click()
        expect(leader.locator("#thread")).to_contain_text("phòng sẽ gửi trước thứ Năm")
        assert head.evaluate("window.__sameDocument") == 44
        assert leader.evaluate("window.__sameDocument") == 45
        screenshot(leader, "34-messages-exchanged")
        head_context.close()
        leader_context.close()

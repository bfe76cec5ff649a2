"""Two people in two browsers: messages appear live, the list's unread count follows."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from django.contrib.auth.hashers import make_password

from realtime import messaging
from tests.builders import make_people
from tests.realtime.servers import daphne

CHROMIUM = os.environ.get("CHROMIUM") or shutil.which("chromium") or "/usr/bin/chromium"
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "e2e"
TIMEOUT_MS = 10_000

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def browser(monkeypatch) -> Iterator:
    if not Path(CHROMIUM).exists():
        pytest.fail(f"Chromium not found at {CHROMIUM}: install it (make browser-deps)")
    # Playwright's sync API keeps an event loop running in this thread while the test
    # uses the ORM; Django refuses that unless told it is safe here.
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM,
            headless=True,
            args=["--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-quic"],
        )
        yield browser
        browser.close()


def _context(browser, width: int):
    context = browser.new_context(
        locale="vi-VN",
        timezone_id="Asia/Ho_Chi_Minh",
        viewport={"width": width, "height": 800},
    )
    context.set_default_timeout(TIMEOUT_MS)
    return context


def _log_in(page, base: str, username: str) -> None:
    from playwright.sync_api import expect

    page.goto(f"{base}/login/")
    page.get_by_label("Tên đăng nhập").fill(username)
    page.get_by_label("Mật khẩu").fill("pw")
    page.get_by_role("button", name="Đăng nhập").click()
    expect(page).to_have_url(f"{base}/")


def _screenshot(page, name: str) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)


def test_messages_appear_live_and_unread_counts_follow(browser, tmp_path):
    from playwright.sync_api import expect

    people = make_people()
    for user in (people.head, people.specialist):
        user.password = make_password("pw", hasher="pbkdf2_sha256")
        user.save(update_fields=["password"])
    group = messaging.create_group(people.head, "Tổ dự toán 2026", [people.specialist])
    messaging.post_message(people.head, group.pk, "Chào cả tổ")
    with daphne(os.environ.get("REDIS_URL", ""), tmp_path) as server:
        head_context, specialist_context = _context(browser, 1280), _context(browser, 360)
        head, specialist = head_context.new_page(), specialist_context.new_page()
        _log_in(specialist, server.base, "specialist")
        specialist.goto(f"{server.base}/messages/")
        row = specialist.locator(f'[data-conversation-id="{group.pk}"]')
        expect(row).to_contain_text("Tổ dự toán 2026")
        expect(row).to_contain_text("1 chưa đọc")
        row.get_by_role("link").click()
        expect(specialist.locator("#thread")).to_contain_text("Chào cả tổ")
        expect(specialist.locator("body")).to_have_attribute("data-live", "ready")
        specialist.evaluate("window.__sameDocument = 7")

        _log_in(head, server.base, "head")
        head.goto(f"{server.base}/messages/{group.pk}/")
        head.get_by_label("Nội dung tin nhắn").fill("@specialist xem giúp bảng số liệu")
        head.get_by_role("button", name="Gửi").click()
        expect(head.locator("#thread .chat-message")).to_have_count(2)
        expect(head.get_by_label("Nội dung tin nhắn")).to_have_value("")

        # The specialist's open page shows it without a reload, the mention marked.
        message = specialist.locator("#thread .chat-message").last
        expect(message).to_contain_text("xem giúp bảng số liệu")
        expect(message.locator(".mention")).to_have_text("@specialist")
        expect(specialist.locator("#thread .chat-message")).to_have_count(2)
        assert specialist.evaluate("window.__sameDocument") == 7
        expect(specialist.locator(".bell-count")).to_have_text("1")
        _screenshot(specialist, "60-message-live-360")

        # Back on the list, a new message raises the conversation's unread count live.
        specialist.goto(f"{server.base}/messages/")
        row = specialist.locator(f'[data-conversation-id="{group.pk}"]')
        expect(row).not_to_contain_text("chưa đọc")
        expect(specialist.locator("body")).to_have_attribute("data-live", "ready")
        head.get_by_label("Nội dung tin nhắn").fill("Hạn nộp thứ Sáu")
        head.get_by_role("button", name="Gửi").click()
        expect(row).to_contain_text("1 chưa đọc")
        expect(row).to_contain_text("Hạn nộp thứ Sáu")
        _screenshot(specialist, "61-message-list-360")
        # The page is as wide as the phone: nothing scrolls sideways.
        assert specialist.evaluate("document.documentElement.scrollWidth") <= 360
        _screenshot(head, "62-conversation-desktop")
        head_context.close()
        specialist_context.close()

"""Issue 6 in Chromium: the leader opens "Báo cáo", clicks a figure through to the
documents behind it, and downloads the incoming register as XLSX; the dashboard fits a
phone."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.utils import timezone
from openpyxl import load_workbook
from playwright.sync_api import Page, expect

from routing import services
from routing.models import Assignment
from tests.builders import directed, future, make_people
from tests.e2e.test_incoming_journey import log_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def make_month(people) -> dict[str, object]:
    """This month: one document completed, one open within its deadline, one overdue."""
    done = directed(people, deadline=future(5), summary="Kế hoạch tổ chức hội nghị tổng kết")
    services.complete_document(people.head, done.pk, version=None, result="Đã tổ chức")
    directed(people, deadline=future(5), summary="Rà soát hồ sơ đất đai")
    late = directed(people, deadline=future(5), summary="Báo cáo quyết toán ngân sách xã")
    Assignment.objects.filter(document=late).exclude(deadline=None).update(
        deadline=timezone.localdate() - timedelta(days=2)
    )
    late.__class__.objects.filter(pk=late.pk).update(
        deadline=timezone.localdate() - timedelta(days=2)
    )
    return {"late": late, "done": done}


def test_dashboard_figure_to_list_and_register_download(
    live_server, page: Page, screenshot, server_errors, tmp_path
):
    base = live_server.url
    people = make_people()
    docs = make_month(people)

    log_in(page, base, "leader")
    page.locator("#sidebar").get_by_role("link", name="Báo cáo", exact=True).click()
    expect(page).to_have_title(re.compile(r"^Báo cáo — eoffice$"))
    received = page.locator(".figure-received")
    expect(received.locator(".figure-value")).to_have_text("3")
    overdue = page.locator(".figure-overdue")
    expect(overdue).to_contain_text("Quá hạn")
    expect(overdue.locator(".figure-value")).to_have_text("1")
    expect(page.get_by_role("img", name=re.compile("Văn bản đến theo tuần"))).to_be_visible()
    screenshot(page, "60-dashboard")

    overdue.get_by_role("link").click()
    expect(page.get_by_role("heading", level=1, name="Văn bản đến")).to_be_visible()
    expect(page.get_by_label("Tình trạng xử lý")).to_have_value("overdue")
    rows = page.locator("#register tbody tr")
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text(str(docs["late"].summary))
    screenshot(page, "61-dashboard-overdue-list")

    page.goto(f"{base}/reports/")
    page.get_by_role("link", name="Xuất sổ").first.click()
    page.get_by_label("XLSX").check()
    with page.expect_download() as download_info:
        page.get_by_role("button", name="Tải xuống").click()
    download = download_info.value
    assert download.suggested_filename.endswith(".xlsx")
    path = tmp_path / download.suggested_filename
    download.save_as(path)
    sheet = load_workbook(path, read_only=True).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[1] == ("SỔ ĐĂNG KÝ VĂN BẢN ĐẾN",)
    body = {row[1]: row for row in rows[4:]}
    assert sorted(body) == [1, 2, 3]
    assert body[3][5] == "Công văn — Báo cáo quyết toán ngân sách xã"
    assert body[3][6] == "Phòng Tài chính - Kế hoạch"
    assert server_errors == []


def test_dashboard_fits_a_phone(live_server, mobile_page: Page, screenshot):
    page = mobile_page
    people = make_people()
    make_month(people)
    log_in(page, live_server.url, "leader")
    page.goto(f"{live_server.url}/reports/?period=year")
    expect(page.get_by_role("heading", name="Văn bản đến theo tuần")).to_be_visible()
    width = page.evaluate("document.documentElement.scrollWidth")
    screenshot(page, "62-phone-dashboard")
    assert width <= 361, f"the dashboard is {width}px wide at a 360px viewport"
    # Chart text stays readable: the weekly chart scrolls instead of shrinking.
    box = page.locator("svg.chart").first.bounding_box()
    assert box is not None and box["width"] >= 320

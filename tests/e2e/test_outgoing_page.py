"""The outgoing document's pages in Chromium at a phone's width."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from routing.approvals import submit_draft
from tests.builders import make_people
from tests.e2e.test_incoming_journey import log_in, log_out
from tests.outgoing_builders import make_chain, make_draft

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_draft_pages_fit_a_phone(live_server, mobile_page: Page, screenshot):
    page = mobile_page
    base = live_server.url
    people = make_people()
    chain = make_chain(people)
    draft = make_draft(people)
    submit_draft(people.specialist, draft.pk, version=None, template=chain.template)

    def assert_fits(name: str) -> None:
        width = page.evaluate("document.documentElement.scrollWidth")
        screenshot(page, name)
        assert width <= 360 + 1, f"{name}: the page is {width}px wide at a 360px viewport"

    log_in(page, base, "specialist")
    page.goto(f"{base}/outgoing/new/")
    expect(page.get_by_label("Trích yếu")).to_be_visible()
    assert_fits("40-phone-draft-create")

    log_out(page, base)
    log_in(page, base, "head")
    page.goto(f"{base}/outgoing/{draft.pk}/")
    expect(page.get_by_role("button", name="Trả lại")).to_be_visible()
    assert_fits("41-phone-outgoing-detail")

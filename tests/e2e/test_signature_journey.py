"""Digital signatures in a real browser (issue 7): the leader signs off with his key, the
clerk issues (number, date and the agency's seal), and the head of a recipient department
sees two valid signatures on the copy he received. Screenshots go to test-artifacts/e2e/."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from documents.models import Document
from documents.signing import services
from documents.signing.images import make_seal_png, make_signature_png
from documents.signing.models import SigningKey
from eoffice.models import Agency
from routing.approvals import approve_step, submit_draft
from tests.builders import make_people
from tests.e2e.test_incoming_journey import log_in, log_out, status
from tests.e2e.test_outgoing_journey import action_form
from tests.outgoing_builders import make_chain, make_draft
from tests.signatures.pki_fixtures import PASSPHRASE, build_keys

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_leader_signs_clerk_seals_recipient_sees_valid_signatures(
    live_server, page: Page, server_errors, screenshot, settings
):
    base = live_server.url
    keys = build_keys()
    people = make_people()
    chain = make_chain(people)
    settings.EOFFICE_SIGNING_TRUST_DIR.mkdir(parents=True)
    (settings.EOFFICE_SIGNING_TRUST_DIR / "root.pem").write_bytes(keys.pki.root_pem())
    agency = Agency.objects.get()
    agency.place_name = "Sơn Hà"
    agency.save()
    for owner, user, issued, image in (
        (SigningKey.Owner.PERSON, people.leader, keys.leader, make_signature_png("leader")),
        (SigningKey.Owner.AGENCY, None, keys.agency, make_seal_png(agency.name)),
    ):
        services.install_server_key(
            owner=owner,
            user=user,
            pkcs12_data=issued.pkcs12(PASSPHRASE),
            passphrase=PASSPHRASE,
            image=image,
            name=owner,
        )
    draft = make_draft(people)
    submit_draft(people.specialist, draft.pk, version=None, template=chain.template)
    approve_step(people.head, draft.pk, version=None)
    approve_step(chain.office_chief, draft.pk, version=None)

    # The chairman signs off: his key signs the final PDF.
    log_in(page, base, "leader")
    page.goto(f"{base}/outgoing/{draft.pk}/")
    action_form(page, "Ký duyệt").get_by_role("button", name="Ký duyệt").click()
    expect(status(page)).to_be_visible()
    assert services.get_signed_file(draft) is not None
    log_out(page, base)

    # The clerk issues: the number, the date and the agency's seal.
    log_in(page, base, "clerk")
    page.goto(f"{base}/outgoing/{draft.pk}/")
    action_form(page, "Cấp số, phát hành").get_by_role("button", name="Cấp số, phát hành").click()
    expect(status(page)).to_be_visible()
    panel = page.locator(".signatures-panel")
    expect(panel.locator('[data-verdict="valid"]')).to_have_count(1)
    screenshot(page, "60-signatures-issued")
    log_out(page, base)

    # The head of the recipient department opens the copy: two valid signatures.
    copy = Document.objects.get(source_document=draft, delivered_from__department__isnull=False)
    log_in(page, base, "outsider_head")
    page.goto(f"{base}/incoming/{copy.pk}/")
    panel = page.locator(".signatures-panel")
    expect(panel.locator('[data-verdict="valid"]')).to_have_count(1)
    expect(panel.locator(".signature-list > li")).to_have_count(2)
    expect(panel).to_contain_text(keys.leader.common_name)
    expect(panel).to_contain_text(keys.agency.common_name)
    screenshot(page, "61-signatures-received")
    assert server_errors == []

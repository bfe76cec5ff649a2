"""The leader's key is on a USB token: the page hands the digest to the device and the value
comes back through the two endpoints (issue 7, SIGNATURES.md §5)."""

from __future__ import annotations

import base64

import pytest
from django.test import Client
from django.urls import reverse

from documents.models import Document
from documents.signing import services
from documents.signing.models import SignedFile, SigningKey
from documents.signing.sign import PendingSignature
from realtime.models import Notice
from routing.issuing import issue_outgoing
from routing.services import RoutingError
from tests.builders import make_user
from tests.outgoing_builders import make_chain, signed_draft
from tests.signatures.test_flow import read, signing_setup  # noqa: F401 - a fixture

pytestmark = pytest.mark.django_db

JSON = {"HTTP_ACCEPT": "application/json"}


@pytest.fixture
def token_draft(people, signing_setup):  # noqa: F811
    """The leader's key is a token's (only its certificate here); the draft is signed off."""
    key = services.get_signing_key(people.leader)
    key.adapter = SigningKey.Adapter.REMOTE
    key.save()
    draft = signed_draft(people, make_chain(people))
    return draft, SignedFile.objects.get(document=draft)


def url(document: Document) -> str:
    return reverse("device-signature", args=[document.pk])


def b64(value: bytes) -> str:
    return base64.b64encode(value).decode()


def test_the_signer_gets_the_digest_and_the_page_shows_the_panel(people, token_draft, client_for):
    draft, pending = token_draft
    client = client_for(people.leader)
    response = client.get(url(draft))
    assert response.status_code == 200
    data = response.json()
    digest = PendingSignature.from_dict(pending.pending).digest_to_sign
    assert data["id"] == pending.pk and base64.b64decode(data["digest"]) == digest
    assert data["algorithm"] == "RSASSA-PKCS1-v1_5" and data["prehashed"] is True
    assert len(data["certificate_fingerprint"]) == 64

    html = client.get(reverse("outgoing-detail", args=[draft.pk])).content.decode()
    assert "data-device-signing" in html and data["digest"] in html
    assert "eoffice/device-signing.js" in html and "<script>" not in html


@pytest.mark.parametrize("who", ["outsider", "clerk", "specialist", "other_leader"])
def test_nobody_else_sees_or_finishes_the_signature(people, token_draft, keys, client_for, who):
    draft, pending = token_draft
    user = make_user("leader2", "leader", full_name="Lê Văn Hai") if who == "other_leader" else None
    client = client_for(user or getattr(people, who))
    assert client.get(url(draft)).status_code == 404
    value = keys.token(keys.leader).sign_digest(
        PendingSignature.from_dict(pending.pending).digest_to_sign
    )
    response = client.post(url(draft), {"signature_id": pending.pk, "value": b64(value)}, **JSON)
    assert response.status_code == 404
    assert (
        "data-device-signing"
        not in client.get(reverse("outgoing-detail", args=[draft.pk])).content.decode()
    )
    pending.refresh_from_db()
    assert pending.state == SignedFile.State.PENDING


def test_a_correct_value_signs_the_draft_as_a_server_key_would(
    people, token_draft, keys, client_for
):
    draft, pending = token_draft
    client = client_for(people.leader)
    request = client.get(url(draft)).json()
    token = keys.token(keys.leader)
    value = token.sign_digest(base64.b64decode(request["digest"]))

    response = client.post(url(draft), {"signature_id": request["id"], "value": b64(value)}, **JSON)
    assert response.status_code == 200 and response.json()["ok"] is True

    pending.refresh_from_db()
    assert pending.state == SignedFile.State.SIGNED and pending.pending == {}
    report = services.verify_bytes(read(pending.file))
    assert report.verdict == "valid"
    (signature,) = report.signatures
    assert signature.docmdp == "FILL_FORMS" and signature.signer == keys.leader.common_name
    # The draft is signed off exactly as with a key kept on the server.
    draft.refresh_from_db()
    assert draft.state == Document.State.SIGNED and draft.signed_by == people.leader
    assert draft.signer_capacity
    assert services.get_signed_file(draft) == pending
    assert Notice.objects.filter(recipient=people.clerk, kind="document_to_issue").exists()
    assert Notice.objects.filter(recipient=people.specialist, kind="draft_signed").exists()
    # Nothing pending any more: no panel, no digest.
    assert client.get(url(draft)).status_code == 404
    page = client.get(reverse("outgoing-detail", args=[draft.pk])).content.decode()
    assert "data-device-signing" not in page
    # Issuing seals the file the token signed.
    document = issue_outgoing(people.clerk, draft.pk, version=None)
    assert document.state == Document.State.ISSUED


@pytest.mark.parametrize("value", ["corrupted", "stranger", "not base64 !", ""])
def test_a_wrong_value_is_refused_and_nothing_is_embedded(
    people, token_draft, keys, client_for, value
):
    draft, pending = token_draft
    version = draft.version
    digest = PendingSignature.from_dict(pending.pending).digest_to_sign
    if value == "corrupted":
        value = b64(keys.token(keys.leader, corrupt=True).sign_digest(digest))
    elif value == "stranger":
        value = b64(keys.token(keys.stranger).sign_digest(digest))
    client = client_for(people.leader)
    response = client.post(url(draft), {"signature_id": pending.pk, "value": value}, **JSON)
    assert response.status_code == 400
    body = response.json()
    assert body["ok"] is False and body["error"]
    if value not in {"not base64 !", ""}:
        assert "không khớp với chứng thư số" in body["error"]  # Vietnamese, for the signer
    pending.refresh_from_db()
    assert pending.state == SignedFile.State.PENDING and not pending.file and pending.pending
    draft.refresh_from_db()
    assert draft.state == Document.State.SIGNED and draft.version == version
    assert services.get_signed_file(draft) is None
    assert client.get(url(draft)).status_code == 200  # still waiting for a good value


def test_posting_twice_is_refused_the_second_time(people, token_draft, keys, client_for):
    draft, pending = token_draft
    value = b64(
        keys.token(keys.leader).sign_digest(
            PendingSignature.from_dict(pending.pending).digest_to_sign
        )
    )
    client = client_for(people.leader)
    data = {"signature_id": pending.pk, "value": value}
    assert client.post(url(draft), data, **JSON).status_code == 200
    pending.refresh_from_db()
    first = (pending.file.name, pending.sha256, pending.signed_at)

    second = client.post(url(draft), data, **JSON)
    assert second.status_code == 409 and second.json()["ok"] is False
    pending.refresh_from_db()
    assert (pending.file.name, pending.sha256, pending.signed_at) == first


def test_the_pasted_form_works_without_script_and_is_csrf_protected(
    people, token_draft, keys, client_for
):
    draft, pending = token_draft
    digest = PendingSignature.from_dict(pending.pending).digest_to_sign
    value = keys.token(keys.leader).sign_digest(digest)
    # Without the CSRF token the value is not taken.
    strict = Client(enforce_csrf_checks=True)
    strict.force_login(people.leader)
    data = {"signature_id": pending.pk, "value": b64(value)}
    assert strict.post(url(draft), data, **JSON).status_code == 403
    pending.refresh_from_db()
    assert pending.state == SignedFile.State.PENDING

    # A bad paste: back to the page with the reason.
    client = client_for(people.leader)
    corrupt = keys.token(keys.leader, corrupt=True).sign_digest(digest)
    response = client.post(url(draft), {**data, "value": b64(corrupt)}, follow=True)
    assert "không khớp với chứng thư số" in response.content.decode()
    # URL-safe base64 split over lines, as some services return it.
    pasted = base64.urlsafe_b64encode(value).decode().rstrip("=")
    pasted = "\n".join(pasted[i : i + 64] for i in range(0, len(pasted), 64))
    response = client.post(url(draft), {**data, "value": pasted})
    assert response.status_code == 302
    assert response.url == reverse("outgoing-detail", args=[draft.pk])
    pending.refresh_from_db()
    assert pending.state == SignedFile.State.SIGNED


def test_the_clerk_cannot_issue_while_the_device_signature_is_pending(
    people, token_draft, keys, client_for
):
    draft, pending = token_draft
    with pytest.raises(RoutingError):
        issue_outgoing(people.clerk, draft.pk, version=None)
    draft.refresh_from_db()
    assert draft.state == Document.State.SIGNED and draft.register_number is None
    value = keys.token(keys.leader).sign_digest(
        PendingSignature.from_dict(pending.pending).digest_to_sign
    )
    client = client_for(people.leader)
    response = client.post(url(draft), {"signature_id": pending.pk, "value": b64(value)}, **JSON)
    assert response.status_code == 200
    issued = issue_outgoing(people.clerk, draft.pk, version=None)
    assert issued.state == Document.State.ISSUED

"""Signatures in the outgoing flow: sign-off signs, issuing seals, copies are verified,
and the document pages show the verdict (issue 7)."""

from __future__ import annotations

import io

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.urls import reverse
from pyhanko.pdf_utils import generic
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter

from documents.models import Attachment, Document
from documents.signing import fields, services
from documents.signing.images import make_seal_png, make_signature_png
from documents.signing.models import SignatureCheck, SignedFile, SigningKey
from documents.signing.signers import SignatureValueRejected
from documents.uploads import check_upload
from eoffice.models import Agency
from routing.issuing import issue_outgoing
from tests.builders import pdf_upload
from tests.outgoing_builders import make_chain, signed_draft
from tests.signatures.pki_fixtures import PASSPHRASE, make_pages_pdf

pytestmark = pytest.mark.django_db


@pytest.fixture
def signing_setup(people, keys, settings):
    """The test root trusted, a server-held key for the leader and one for the agency."""
    trust = settings.EOFFICE_SIGNING_TRUST_DIR
    trust.mkdir(parents=True)
    (trust / "test-root.pem").write_bytes(keys.pki.root_pem())
    agency = Agency.objects.get()
    agency.place_name = "Sơn Hà"
    agency.save()
    services.install_server_key(
        owner=SigningKey.Owner.PERSON,
        user=people.leader,
        pkcs12_data=keys.leader.pkcs12(PASSPHRASE),
        passphrase=PASSPHRASE,
        image=make_signature_png(people.leader.get_full_name()),
        name=f"users/{people.leader.pk}",
    )
    services.install_server_key(
        owner=SigningKey.Owner.AGENCY,
        user=None,
        pkcs12_data=keys.agency.pkcs12(PASSPHRASE),
        passphrase=PASSPHRASE,
        image=make_seal_png(agency.name),
        name="agency",
    )
    return keys


def read(field_file) -> bytes:
    with field_file.open("rb") as handle:
        return handle.read()


def test_sign_off_signs_the_draft_with_the_leaders_key(people, signing_setup):
    draft = signed_draft(people, make_chain(people))
    signed = services.get_signed_file(draft)
    assert signed is not None and signed.signer == people.leader
    report = services.verify_bytes(read(signed.file))
    assert report.verdict == "valid"
    (leader,) = report.signatures
    assert leader.docmdp == "FILL_FORMS" and leader.field == fields.SIGNER_FIELD
    # The approved draft itself is unchanged: the signed file is kept beside it.
    assert read(signed.source.file) != read(signed.file)


def test_no_key_no_signature(people):
    draft = signed_draft(people, make_chain(people))
    assert draft.state == Document.State.SIGNED
    assert not SignedFile.objects.exists()


def test_issue_fills_number_and_date_and_seals_and_copies_are_verified(people, signing_setup):
    draft = signed_draft(people, make_chain(people))
    source = services.get_signed_file(draft).source
    document = issue_outgoing(people.clerk, draft.pk, version=None)

    (final,) = Attachment.objects.filter(document=document, kind=Attachment.Kind.FINAL)
    assert final.file.name != source.file.name and final.sha256 != source.sha256
    data = read(final.file)
    assert fields.get_field_values(data)["SoKyHieu"] == f"Số: {document.number_symbol}"
    assert "Sơn Hà, ngày" in fields.get_field_values(data)["NgayBanHanh"]
    report = services.verify_bytes(data)
    assert report.verdict == "valid"
    leader, agency = report.signatures
    assert leader.modification_level == "FORM_FILLING" and leader.docmdp_ok
    assert agency.signer == signing_setup.agency.common_name

    copies = Attachment.objects.filter(document__source_document=document)
    assert copies and all(c.sha256 == final.sha256 for c in copies)
    checks = SignatureCheck.objects.filter(attachment__in=copies)
    assert {c.verdict for c in checks} == {"valid"} and checks.count() == copies.count()


def test_appendices_get_the_agency_signature_alone(people, signing_setup):
    chain = make_chain(people)
    draft = signed_draft(people, chain)
    appendix = Attachment.objects.create(
        document=draft,
        kind=Attachment.Kind.APPENDIX,
        file=default_storage.save("phu-luc", ContentFile(make_pages_pdf(2, title="PHU LUC"))),
        original_name="phu-luc.pdf",
        content_type="application/pdf",
        size=1,
        sha256="0" * 64,
        uploaded_by=people.specialist,
        version=draft.draft_version,
    )
    document = issue_outgoing(people.clerk, draft.pk, version=None)
    # The issued rows are the clerk's; the draft's own appendix row keeps the unsealed file.
    sealed = Attachment.objects.get(
        document=document, kind=Attachment.Kind.APPENDIX, uploaded_by=people.clerk
    )
    appendix.refresh_from_db()
    assert sealed.sha256 != appendix.sha256
    (signature,) = services.verify_bytes(read(sealed.file)).signatures
    assert signature.field == fields.ATTACHMENT_FIELD and signature.verdict == "valid"


def test_uploaded_final_file_is_not_sealed(people, signing_setup):
    draft = signed_draft(people, make_chain(people))
    upload = check_upload(pdf_upload("ban-giay.pdf", "Bản ký giấy"))
    document = issue_outgoing(people.clerk, draft.pk, version=None, final_files=[upload])
    (final,) = Attachment.objects.filter(document=document, kind=Attachment.Kind.FINAL)
    assert services.verify_bytes(read(final.file)).verdict == "unsigned"


def test_remote_key_leaves_a_pending_signature_and_a_bad_value_is_refused(
    people, signing_setup, keys
):
    key = services.get_signing_key(people.leader)
    key.adapter = SigningKey.Adapter.REMOTE
    key.save()
    draft = signed_draft(people, make_chain(people))
    pending = SignedFile.objects.get(document=draft)
    assert pending.state == SignedFile.State.PENDING and not pending.file
    token = keys.token(keys.leader, corrupt=True)
    from documents.signing.sign import PendingSignature

    digest = PendingSignature.from_dict(pending.pending).digest_to_sign
    with pytest.raises(SignatureValueRejected):
        services.finish_remote_signature(pending.pk, token.sign_digest(digest))
    pending.refresh_from_db()
    assert pending.state == SignedFile.State.PENDING
    token.corrupt = False
    done = services.finish_remote_signature(pending.pk, token.sign_digest(digest))
    assert done.state == SignedFile.State.SIGNED
    assert services.verify_bytes(read(done.file)).verdict == "valid"


def tamper(data: bytes) -> bytes:
    writer = IncrementalPdfFileWriter(io.BytesIO(data), strict=False)
    writer.add_stream_to_page(0, writer.add_object(generic.StreamObject(stream_data=b"q Q")))
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def test_pages_show_the_verdict_green_then_red(people, signing_setup, client_for):
    draft = signed_draft(people, make_chain(people))
    document = issue_outgoing(people.clerk, draft.pk, version=None)
    page = client_for(people.clerk).get(reverse("outgoing-detail", args=[document.pk]))
    html = page.content.decode()
    assert 'data-verdict="valid"' in html and "verdict-red" not in html
    assert signing_setup.agency.common_name in html

    # The copy the other department received, as its head sees it.
    copy = Document.objects.get(
        source_document=document, delivered_from__department=people.other_department
    )
    page = client_for(people.outsider_head).get(reverse("incoming-detail", args=[copy.pk]))
    assert page.status_code == 200
    assert 'data-verdict="valid"' in page.content.decode()

    # A file changed after signing shows red.
    final = Attachment.objects.get(document=document, kind=Attachment.Kind.FINAL)
    tampered = tamper(read(final.file))
    with final.file.open("wb") as handle:
        handle.write(tampered)
    final.sha256 = "f" * 64
    final.save(update_fields=["sha256"])
    html = client_for(people.clerk).get(reverse("outgoing-detail", args=[document.pk])).content
    assert b'data-verdict="modified"' in html and b"verdict-red" in html


def test_a_signed_pdf_registered_as_incoming_is_accepted_and_verified(people, signing_setup):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from documents.services import register_incoming
    from documents.signing import sign
    from tests.builders import incoming_data

    keys = signing_setup
    signed = sign.sign_as_leader(
        make_pages_pdf(2),
        keys.device(keys.leader),
        capacity="KT. CHỦ TỊCH\nPHÓ CHỦ TỊCH",
        name=keys.leader.common_name,
        image=make_signature_png("x"),
    )
    upload = SimpleUploadedFile("cong-van-den.pdf", signed, content_type="application/pdf")
    document = register_incoming(people.clerk, incoming_data(), [check_upload(upload)])
    (check,) = SignatureCheck.objects.filter(attachment__document=document)
    assert check.verdict == "valid"
    assert check.report["signatures"][0]["signer"] == keys.leader.common_name

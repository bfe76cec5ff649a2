"""Signing and verifying PDFs with the test PKI, offline (documents.signing, issue 7)."""

from __future__ import annotations

import io
import json
import shutil
import subprocess
from datetime import date

import pytest
from pyhanko.pdf_utils import generic
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign.timestamps import HTTPTimeStamper
from pyhanko.sign.validation import validate_pdf_signature
from pyhanko.sign.validation.status import ModificationLevel

from documents.signing import fields, sign, verify
from documents.signing.images import make_seal_png, make_signature_png
from documents.signing.signers import SignatureValueRejected
from tests.signatures.pki_fixtures import AGENCY_NAME, make_pages_pdf

CAPACITY = "TM. ỦY BAN NHÂN DÂN\nKT. CHỦ TỊCH\nPHÓ CHỦ TỊCH"


def leader_signed(keys, pdf: bytes | None = None, *, device=None, timestamper=None) -> bytes:
    return sign.sign_as_leader(
        pdf or make_pages_pdf(2),
        device or keys.device(keys.leader),
        capacity=CAPACITY,
        name="Nguyễn Văn An",
        image=make_signature_png("Nguyễn Văn An"),
        timestamper=timestamper,
    )


def issued(keys, signed: bytes, *, timestamper=None) -> bytes:
    return sign.seal_issued(
        signed,
        keys.device(keys.agency),
        number_symbol="125/QĐ-UBND",
        place_date=sign.format_place_date("Sơn Hà", date(2026, 11, 22)),
        agency_name=AGENCY_NAME,
        seal=make_seal_png(AGENCY_NAME),
        timestamper=timestamper,
    )


def add_content_to_page(pdf: bytes) -> bytes:
    """What a forger would do: draw over the text of page 1 in a new revision."""
    writer = IncrementalPdfFileWriter(io.BytesIO(pdf), strict=False)
    box = writer.add_object(generic.StreamObject(stream_data=b"q 1 1 1 rg 60 600 300 80 re f Q"))
    writer.add_stream_to_page(0, box)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def pyhanko_statuses(pdf: bytes, keys):
    from documents.signing.verify import build_validation_context

    reader = PdfFileReader(io.BytesIO(pdf), strict=False)
    return [
        validate_pdf_signature(
            sig,
            signer_validation_context=build_validation_context(keys.roots),
            ts_validation_context=build_validation_context(keys.roots),
        )
        for sig in reader.embedded_signatures
    ]


def test_leader_signs_clerk_fills_and_seals_both_valid(keys):
    stamper = keys.timestamper()
    document = issued(keys, leader_signed(keys, timestamper=stamper), timestamper=stamper)

    leader, agency = pyhanko_statuses(document, keys)
    # The leader's certification allows form filling; the clerk did nothing else.
    assert leader.docmdp_ok and leader.bottom_line and leader.trusted
    assert leader.modification_level == ModificationLevel.FORM_FILLING
    assert agency.modification_level == ModificationLevel.NONE and agency.bottom_line

    report = verify.verify_pdf(document, keys.roots)
    assert report.verdict == verify.VALID
    first, second = report.signatures
    assert (first.field, first.signer, first.docmdp) == ("LanhDao", "Nguyễn Văn An", "FILL_FORMS")
    assert first.modification_level == "FORM_FILLING"
    assert (first.revision, first.total_revisions, first.coverage) == (3, 4, "ENTIRE_REVISION")
    assert (second.field, second.signer, second.coverage) == ("VanThu", AGENCY_NAME, "ENTIRE_FILE")
    assert first.issuer == "eoffice Test Issuing CA"
    # Claimed and timestamped times, in the agency's time zone.
    assert first.claimed_time.utcoffset().total_seconds() == 7 * 3600
    assert first.timestamp_time is not None and first.timestamp_trusted
    assert fields.get_field_values(document) == {
        "SoKyHieu": "Số: 125/QĐ-UBND",
        "NgayBanHanh": "Sơn Hà, ngày 22 tháng 11 năm 2026",
    }
    json.dumps(report.to_dict())  # storable as is


def test_fields_are_placed_before_the_leader_signs(keys):
    signed = leader_signed(keys)
    reader = PdfFileReader(io.BytesIO(signed), strict=False)
    names = {str(ref.get_object()["/T"]) for ref in reader.root["/AcroForm"]["/Fields"]}
    assert names == {"LanhDao", "VanThu", "SoKyHieu", "NgayBanHanh"}
    # The agency's seal covers the left part of the signer's box (DOMAIN §c.3).
    layout = fields.DEFAULT_LAYOUT
    assert layout.seal_box[0] < layout.signer_box[0] < layout.seal_box[2] < layout.signer_box[2]


def test_page_content_change_after_signing_is_detected(keys):
    tampered = add_content_to_page(issued(keys, leader_signed(keys)))
    statuses = pyhanko_statuses(tampered, keys)
    assert all(s.modification_level == ModificationLevel.OTHER for s in statuses)
    report = verify.verify_pdf(tampered, keys.roots)
    assert report.verdict == verify.MODIFIED
    assert [s.verdict for s in report.signatures] == [verify.MODIFIED, verify.MODIFIED]

    only_leader = verify.verify_pdf(add_content_to_page(leader_signed(keys)), keys.roots)
    assert only_leader.signatures[0].modification_level == "OTHER"
    assert only_leader.verdict == verify.MODIFIED


def test_two_step_signing_with_a_token(keys):
    token = keys.token(keys.leader)
    pending = sign.prepare_leader_signature(
        make_pages_pdf(1),
        token.identity,
        capacity=CAPACITY,
        name="Nguyễn Văn An",
        image=make_signature_png("Nguyễn Văn An"),
    )
    # The pending signature survives a round trip through storage between requests.
    stored = json.loads(json.dumps(pending.to_dict()))
    restored = sign.PendingSignature.from_dict(stored)
    value = token.sign_digest(restored.digest_to_sign)
    assert token.digests == [pending.digest_to_sign]
    signed = sign.finish_signature(restored, token.identity, value, keys.timestamper())
    report = verify.verify_pdf(signed, keys.roots)
    assert report.verdict == verify.VALID
    assert report.signatures[0].docmdp == "FILL_FORMS"
    assert report.signatures[0].timestamp_trusted


def test_corrupted_token_value_is_refused_before_embedding(keys):
    token = keys.token(keys.leader, corrupt=True)
    pending = sign.prepare_leader_signature(
        make_pages_pdf(1), token.identity, capacity=CAPACITY, name="Nguyễn Văn An", image=None
    )
    value = token.sign_digest(pending.digest_to_sign)
    with pytest.raises(SignatureValueRejected):
        sign.finish_signature(pending, token.identity, value)
    # A value made by another key for the right digest is refused too.
    stranger = keys.token(keys.stranger)
    with pytest.raises(SignatureValueRejected):
        sign.finish_signature(pending, token.identity, stranger.sign_digest(pending.digest_to_sign))


def test_attachment_is_sealed_top_right_of_page_one(keys):
    sealed = sign.seal_attachment(
        make_pages_pdf(3, title="PHU LUC"),
        keys.device(keys.agency),
        number_symbol="125/QĐ-UBND",
        agency_name=AGENCY_NAME,
        timestamper=keys.timestamper(),
    )
    report = verify.verify_pdf(sealed, keys.roots)
    assert report.verdict == verify.VALID
    (signature,) = report.signatures
    assert (signature.field, signature.signer, signature.coverage) == (
        "VanThuDinhKem",
        AGENCY_NAME,
        "ENTIRE_FILE",
    )
    reader = PdfFileReader(io.BytesIO(sealed), strict=False)
    widget = reader.root["/AcroForm"]["/Fields"][0].get_object()
    x0, _y0, _x1, y1 = (float(v) for v in widget["/Rect"])
    assert x0 > 297 and y1 > 800  # top right of the A4 page
    assert widget["/P"].get_object() == reader.root["/Pages"]["/Kids"][0].get_object()


def test_verdicts_valid_modified_expired_untrusted(keys):
    valid = verify.verify_pdf(leader_signed(keys), keys.roots)
    assert valid.verdict == verify.VALID
    assert valid.message == verify.verdict_message(verify.VALID, 1)

    modified = verify.verify_pdf(add_content_to_page(leader_signed(keys)), keys.roots)
    assert modified.verdict == verify.MODIFIED
    assert modified.message == verify.verdict_message(verify.MODIFIED, 1)

    expired = verify.verify_pdf(leader_signed(keys, device=keys.device(keys.expired)), keys.roots)
    assert expired.verdict == verify.EXPIRED, expired.signatures[0].trust_problem
    assert expired.signatures[0].intact

    untrusted = verify.verify_pdf(
        leader_signed(keys, device=keys.device(keys.stranger)), keys.roots
    )
    assert untrusted.verdict == verify.UNTRUSTED
    assert untrusted.signatures[0].issuer == "Unknown Issuing CA"
    # Our own signature, when the administrator trusts nothing yet, is untrusted too.
    assert verify.verify_pdf(leader_signed(keys), []).verdict == verify.UNTRUSTED

    assert verify.verify_pdf(make_pages_pdf(1), keys.roots).verdict == verify.UNSIGNED
    assert verify.verify_pdf(b"not a pdf", keys.roots).verdict == verify.UNREADABLE


def test_bytes_changed_inside_the_signed_range_are_invalid(keys):
    signed = bytearray(leader_signed(keys))
    position = signed.index(b"Dieu 5.")
    signed[position] = ord("X")  # same length: the byte ranges still line up
    report = verify.verify_pdf(bytes(signed), keys.roots)
    assert report.verdict == verify.INVALID
    assert not report.signatures[0].intact


def test_timestamp_over_loopback_http(keys, loopback_tsa):
    signed = leader_signed(keys, timestamper=HTTPTimeStamper(loopback_tsa.url))
    assert loopback_tsa.requests == 1
    (signature,) = verify.verify_pdf(signed, keys.roots).signatures
    assert signature.timestamp_trusted and signature.verdict == verify.VALID


@pytest.fixture
def nss_db(keys, tmp_path):
    if not (shutil.which("pdfsig") and shutil.which("certutil")):
        pytest.fail("pdfsig (poppler-utils) and certutil (libnss3-tools) are needed: make test")
    db = tmp_path / "nss"
    db.mkdir()
    root = tmp_path / "root.pem"
    root.write_bytes(keys.pki.root_pem())
    subprocess.run(["certutil", "-N", "-d", f"sql:{db}", "--empty-password"], check=True)
    subprocess.run(
        ["certutil", "-A", "-d", f"sql:{db}", "-n", "Test Root", "-t", "CT,C,C", "-i", str(root)],
        check=True,
    )
    return db


def test_pdfsig_confirms_both_signatures(keys, nss_db, tmp_path):
    path = tmp_path / "issued.pdf"
    path.write_bytes(issued(keys, leader_signed(keys), timestamper=keys.timestamper()))
    result = subprocess.run(
        ["pdfsig", "-nssdir", f"sql:{nss_db}", str(path)],
        capture_output=True,
        text=True,
        env={"TZ": "Asia/Ho_Chi_Minh", "PATH": "/usr/bin:/bin"},
        check=False,
    )
    out = result.stdout
    assert "Signature Field Name: LanhDao" in out and "Signature Field Name: VanThu" in out
    assert "Signer Certificate Common Name: Nguyễn Văn An" in out
    assert f"Signer Certificate Common Name: {AGENCY_NAME}" in out
    assert out.count("Signature Validation: Signature is Valid.") == 2
    assert out.count("Certificate Validation: Certificate is Trusted.") == 2

    # pdfsig checks the cryptography: a flipped byte in the signed range is caught.
    broken = bytearray(path.read_bytes())
    position = broken.index(b"Dieu 5.")
    broken[position] = ord("X")
    path.write_bytes(bytes(broken))
    out = subprocess.run(
        ["pdfsig", "-nssdir", f"sql:{nss_db}", str(path)],
        capture_output=True,
        text=True,
        check=False,
    ).stdout
    assert "Signature is Valid." not in out
    assert "Digest Mismatch" in out

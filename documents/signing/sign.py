"""The three signatures of an issued document (Decree 30/2020, Art. 5 and Appendix I).

1. **The leader signs** (``LanhDao``): a PAdES certification signature (DocMDP P=2: form
   filling and signing still allowed, anything else is a detectable change), SHA-256, with
   the blue signature image between the capacity lines and the name.
2. **The clerk issues**: one incremental update fills the number/symbol and the
   place-and-date fields and applies the agency's signature (``VanThu``) with the red seal
   over the left third of the leader's image, the agency's name and the signing time
   (ISO 8601, +07:00), with a TSA timestamp when one is configured.
3. **Separate attachments**: the agency's signature alone, in a new field at the top right
   of page 1, showing the agency, the number/symbol and the time, without image.

Every signature goes through ``prepare_*`` (the document and the digest to sign) and
``finish_signature`` (check the returned value, embed it), so keys on a USB token or at a
remote-signing service use the same code as keys the server holds (``signers``).
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import io
import threading
from dataclasses import asdict, dataclass
from datetime import date

from asn1crypto import cms
from django.utils.translation import gettext as _
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.sign import fields as sig_fields
from pyhanko.sign import signers
from pyhanko.sign.fields import MDPPerm, SigSeedSubFilter
from pyhanko.sign.signers.pdf_byterange import PreparedByteRangeDigest
from pyhanko.sign.signers.pdf_signer import PdfTBSDocument
from pyhanko.sign.timestamps import TimeStamper
from pyhanko_certvalidator.registry import SimpleCertificateStore

from documents.signing.appearance import BlockStampStyle, TextBlock, load_image
from documents.signing.fields import (
    AGENCY_FIELD,
    ATTACHMENT_FIELD,
    DATE_FIELD,
    DEFAULT_LAYOUT,
    NUMBER_FIELD,
    SIGNER_FIELD,
    SignatureLayout,
    fill_text_fields,
    has_signature_fields,
    int_box,
    prepare_for_signature,
)
from documents.signing.signers import (
    SignerIdentity,
    SigningDevice,
    SigningError,
    check_signature_value,
)

MD_ALGORITHM = "sha256"
# Room for the CMS with its chain and a TSA token with the TSA's chain; too little fails at
# the finish (SIGNATURES.md §10.2), so the estimate is not left to the external signer.
BYTES_RESERVED = 24576

BLUE = (0.05, 0.2, 0.65)


def run_async(coroutine):
    """Run pyHanko's coroutine from sync code, even when this thread has a running loop."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(coroutine)
    result: dict = {}

    def target() -> None:
        try:
            result["value"] = asyncio.run(coroutine)
        except BaseException as exc:
            result["error"] = exc

    thread = threading.Thread(target=target)
    thread.start()
    thread.join()
    if "error" in result:
        raise result["error"]
    return result["value"]


@dataclass
class PendingSignature:
    """A prepared signature waiting for its value: everything the finish needs.

    It can be stored (``to_dict``) between the request that prepares it and the one that
    brings the value back from the user's token or a remote service.
    """

    field_name: str
    prepared_pdf: bytes
    document_digest: bytes
    reserved_start: int
    reserved_end: int
    signed_attrs: bytes

    @property
    def digest_to_sign(self) -> bytes:
        """What the device signs: SHA-256 of the DER-encoded signed attributes."""
        return hashlib.sha256(self.signed_attrs).digest()

    def to_dict(self) -> dict:
        return {
            key: base64.b64encode(value).decode() if isinstance(value, bytes) else value
            for key, value in asdict(self).items()
        }

    @classmethod
    def from_dict(cls, data: dict) -> PendingSignature:
        decoded = dict(data)
        for key in ("prepared_pdf", "document_digest", "signed_attrs"):
            decoded[key] = base64.b64decode(data[key])
        return cls(**decoded)


def _external(identity: SignerIdentity, value: bytes | int = 256) -> signers.ExternalSigner:
    return signers.ExternalSigner(
        signing_cert=identity.asn1_certificate(),
        cert_registry=SimpleCertificateStore.from_certs(identity.asn1_chain()),
        signature_value=value,
    )


async def _prepare(
    writer: IncrementalPdfFileWriter,
    identity: SignerIdentity,
    meta: signers.PdfSignatureMetadata,
    style,
    new_field_spec: sig_fields.SigFieldSpec | None = None,
) -> PendingSignature:
    external = _external(identity)
    pdf_signer = signers.PdfSigner(
        meta, signer=external, stamp_style=style, new_field_spec=new_field_spec
    )
    prepared, _tbs, output = await pdf_signer.async_digest_doc_for_signing(
        writer, existing_fields_only=new_field_spec is None, bytes_reserved=BYTES_RESERVED
    )
    attrs = await external.signed_attrs(prepared.document_digest, MD_ALGORITHM, use_pades=True)
    output.seek(0)
    return PendingSignature(
        field_name=meta.field_name or "",
        prepared_pdf=output.read(),
        document_digest=prepared.document_digest,
        reserved_start=prepared.reserved_region_start,
        reserved_end=prepared.reserved_region_end,
        signed_attrs=attrs.dump(),
    )


def finish_signature(
    pending: PendingSignature,
    identity: SignerIdentity,
    value: bytes,
    timestamper: TimeStamper | None = None,
) -> bytes:
    """Embed the value returned by the device, after checking it against the certificate.

    Raises ``SignatureValueRejected`` (nothing is embedded) when the value is not this
    certificate's signature of the prepared digest.
    """
    check_signature_value(identity.certificate, pending.digest_to_sign, value)

    async def finish() -> bytes:
        external = _external(identity, value)
        cms_object = await external.async_sign_prescribed_attributes(
            MD_ALGORITHM,
            signed_attrs=cms.CMSAttributes.load(pending.signed_attrs),
            timestamper=timestamper,
        )
        buffer = io.BytesIO(pending.prepared_pdf)
        await PdfTBSDocument.async_finish_signing(
            buffer,
            PreparedByteRangeDigest(
                pending.document_digest, pending.reserved_start, pending.reserved_end
            ),
            cms_object,
        )
        return buffer.getvalue()

    return run_async(finish())


def sign_with(
    device: SigningDevice, pending: PendingSignature, timestamper: TimeStamper | None = None
) -> bytes:
    """Ask the device for the value now and finish (server-held keys and test doubles)."""
    value = device.sign_digest(pending.digest_to_sign)
    return finish_signature(pending, device.identity, value, timestamper)


# --- 1. the leader ---------------------------------------------------------------------


def leader_style(
    capacity: str, name: str, image: bytes | None, layout: SignatureLayout = DEFAULT_LAYOUT
) -> BlockStampStyle:
    lines = tuple(line.strip() for line in capacity.splitlines() if line.strip())
    return BlockStampStyle(
        image=load_image(image) if image else None,
        image_box=layout.signer_image_box,
        top=TextBlock(lines=lines, size=11, font="serif-bold") if lines else None,
        bottom=TextBlock(lines=(name,), size=12, font="serif-bold") if name else None,
    )


def prepare_leader_signature(
    pdf: bytes,
    identity: SignerIdentity,
    *,
    capacity: str,
    name: str,
    image: bytes | None,
    reason: str = "Phê duyệt ban hành",
    location: str = "",
    layout: SignatureLayout = DEFAULT_LAYOUT,
) -> PendingSignature:
    """The final PDF with its fields, certified by the leader (DocMDP P=2), ready to sign."""
    if not has_signature_fields(pdf):
        pdf = prepare_for_signature(pdf, layout)
    writer = IncrementalPdfFileWriter(io.BytesIO(pdf), strict=False)
    meta = signers.PdfSignatureMetadata(
        field_name=SIGNER_FIELD,
        certify=True,
        docmdp_permissions=MDPPerm.FILL_FORMS,
        subfilter=SigSeedSubFilter.PADES,
        md_algorithm=MD_ALGORITHM,
        reason=reason,
        location=location or None,
        name=name or None,
    )
    return run_async(_prepare(writer, identity, meta, leader_style(capacity, name, image, layout)))


def sign_as_leader(
    pdf: bytes,
    device: SigningDevice,
    *,
    capacity: str,
    name: str,
    image: bytes | None,
    timestamper: TimeStamper | None = None,
    **kwargs,
) -> bytes:
    pending = prepare_leader_signature(
        pdf, device.identity, capacity=capacity, name=name, image=image, **kwargs
    )
    return sign_with(device, pending, timestamper)


# --- 2. the clerk: number, date and the agency's seal -----------------------------------


def format_place_date(place: str, day: date) -> str:
    """ "Sơn Hà, ngày 05 tháng 01 năm 2027": days below 10 and months below 3 take a 0."""
    month = f"{day.month:02d}" if day.month < 3 else str(day.month)
    line = f"ngày {day.day:02d} tháng {month} năm {day.year}"
    return f"{place}, {line}" if place else line.capitalize()


def seal_style(agency_name: str, seal: bytes | None, layout: SignatureLayout) -> BlockStampStyle:
    return BlockStampStyle(
        image=load_image(seal) if seal else None,
        image_box=layout.seal_image_box,
        bottom=TextBlock(lines=(agency_name, "%(ts)s"), size=5.5, font="serif"),
    )


def prepare_agency_seal(
    pdf: bytes,
    identity: SignerIdentity,
    *,
    number_symbol: str,
    place_date: str,
    agency_name: str,
    seal: bytes | None,
    layout: SignatureLayout = DEFAULT_LAYOUT,
) -> PendingSignature:
    """Fill the number and date fields and prepare the agency's signature, in one update."""
    if not has_signature_fields(pdf):
        raise SigningError(_("The document was not prepared for signature."))
    writer = IncrementalPdfFileWriter(io.BytesIO(pdf), strict=False)
    fill_text_fields(
        writer,
        {NUMBER_FIELD: f"Số: {number_symbol}", DATE_FIELD: place_date},
        fonts={NUMBER_FIELD: "serif", DATE_FIELD: "serif-italic"},
    )
    meta = signers.PdfSignatureMetadata(
        field_name=AGENCY_FIELD,
        subfilter=SigSeedSubFilter.PADES,
        md_algorithm=MD_ALGORITHM,
        reason=f"Ban hành văn bản số {number_symbol}",
        name=agency_name,
    )
    return run_async(_prepare(writer, identity, meta, seal_style(agency_name, seal, layout)))


def seal_issued(
    pdf: bytes,
    device: SigningDevice,
    *,
    number_symbol: str,
    place_date: str,
    agency_name: str,
    seal: bytes | None,
    timestamper: TimeStamper | None = None,
    layout: SignatureLayout = DEFAULT_LAYOUT,
) -> bytes:
    pending = prepare_agency_seal(
        pdf,
        device.identity,
        number_symbol=number_symbol,
        place_date=place_date,
        agency_name=agency_name,
        seal=seal,
        layout=layout,
    )
    return sign_with(device, pending, timestamper)


# --- 3. separate attachments ------------------------------------------------------------


def attachment_style(number_symbol: str) -> BlockStampStyle:
    return BlockStampStyle(
        top=TextBlock(
            lines=("%(signer)s", f"Số: {number_symbol}", "Thời gian ký: %(ts)s"),
            size=8.5,
            font="serif",
            align="left",
        ),
    )


def prepare_attachment_seal(
    pdf: bytes,
    identity: SignerIdentity,
    *,
    number_symbol: str,
    agency_name: str,
    layout: SignatureLayout = DEFAULT_LAYOUT,
) -> PendingSignature:
    writer = IncrementalPdfFileWriter(io.BytesIO(pdf), strict=False)
    existing = {name for name, _v, _r in sig_fields.enumerate_sig_fields(writer)}
    field_name = ATTACHMENT_FIELD
    suffix = 1
    while field_name in existing:
        suffix += 1
        field_name = f"{ATTACHMENT_FIELD}{suffix}"
    meta = signers.PdfSignatureMetadata(
        field_name=field_name,
        subfilter=SigSeedSubFilter.PADES,
        md_algorithm=MD_ALGORITHM,
        reason=f"Ban hành kèm văn bản số {number_symbol}",
        name=agency_name,
    )
    spec = sig_fields.SigFieldSpec(field_name, on_page=0, box=int_box(layout.attachment_box))
    return run_async(
        _prepare(writer, identity, meta, attachment_style(number_symbol), new_field_spec=spec)
    )


def seal_attachment(
    pdf: bytes,
    device: SigningDevice,
    *,
    number_symbol: str,
    agency_name: str,
    timestamper: TimeStamper | None = None,
    layout: SignatureLayout = DEFAULT_LAYOUT,
) -> bytes:
    pending = prepare_attachment_seal(
        pdf,
        device.identity,
        number_symbol=number_symbol,
        agency_name=agency_name,
        layout=layout,
    )
    return sign_with(device, pending, timestamper)

"""Signatures in the document flow: keys, the leader's signature, the seal, verification.

The approval chain (``routing.approvals.sign_off``) and issuing
(``routing.issuing.issue_outgoing``) call ``sign_for_signer`` and ``seal_issued_files``
inside their own transactions; files stored here are added to the caller's ``stored`` list
so a rolled-back action leaves no file behind. Verification results are stored per
attachment (``SignatureCheck``) and shown on the document pages.
"""

from __future__ import annotations

import hashlib
import logging
import os
from pathlib import Path

from asn1crypto import pem
from asn1crypto import x509 as asn1_x509
from cryptography import x509
from django.conf import settings
from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from pyhanko.sign.timestamps import HTTPTimeStamper, TimeStamper

from documents.models import Attachment, Document, DocumentEvent
from documents.services import record_event
from documents.signing import sign, verify
from documents.signing.models import SignatureCheck, SignedFile, SigningKey
from documents.signing.signers import (
    RemoteDevice,
    ServerKeyDevice,
    SignerIdentity,
    SigningDevice,
    SigningError,
)
from eoffice.models import Agency, User

logger = logging.getLogger(__name__)

PDF = "application/pdf"


# --- configuration ---------------------------------------------------------------------


def key_dir() -> Path:
    return Path(settings.EOFFICE_SIGNING_KEY_DIR)


def resolve_key_path(relative: str) -> Path:
    """A path under SIGNING_KEY_DIR; anything that escapes it is refused."""
    base = key_dir().resolve()
    path = (base / relative).resolve()
    if not path.is_relative_to(base):
        raise SigningError(_("The key file must be inside the key directory."))
    return path


def list_trust_roots() -> list[asn1_x509.Certificate]:
    """Every certificate (PEM or DER, several per PEM file) in SIGNING_TRUST_DIR."""
    roots: list[asn1_x509.Certificate] = []
    folder = Path(settings.EOFFICE_SIGNING_TRUST_DIR)
    if not folder.is_dir():
        return roots
    for path in sorted(folder.iterdir()):
        if path.suffix.lower() not in {".pem", ".crt", ".cer", ".der"}:
            continue
        data = path.read_bytes()
        try:
            if pem.detect(data):
                roots.extend(
                    asn1_x509.Certificate.load(der) for _t, _h, der in pem.unarmor(data, True)
                )
            else:
                roots.append(asn1_x509.Certificate.load(data))
        except ValueError:
            logger.warning("signing: %s is not a certificate; ignored", path)
    return roots


def get_timestamper() -> TimeStamper | None:
    url = settings.EOFFICE_SIGNING_TSA_URL
    return HTTPTimeStamper(url) if url else None


# --- keys ------------------------------------------------------------------------------


def _write_private(path: Path, data: bytes) -> None:
    """Write a key, passphrase or image readable by eoffice's user alone (dirs 0700)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    base = key_dir().resolve()
    folder = path.parent.resolve()
    while folder.is_relative_to(base):
        folder.chmod(0o700)
        if folder == base:
            break
        folder = folder.parent
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as handle:
        handle.write(data)


def install_server_key(
    *,
    owner: str,
    user: User | None,
    pkcs12_data: bytes,
    passphrase: bytes,
    image: bytes | None,
    name: str,
) -> SigningKey:
    """Store a PKCS#12 key under SIGNING_KEY_DIR and make it the owner's active key."""
    device = ServerKeyDevice.from_pkcs12(pkcs12_data, passphrase)
    folder = Path(name)
    _write_private(resolve_key_path(str(folder / "key.p12")), pkcs12_data)
    _write_private(resolve_key_path(str(folder / "passphrase")), passphrase)
    if image:
        _write_private(resolve_key_path(str(folder / "image.png")), image)
    from cryptography.hazmat.primitives.serialization import Encoding

    with transaction.atomic():
        SigningKey.objects.filter(
            owner=owner, user=user if owner == SigningKey.Owner.PERSON else None, is_active=True
        ).update(is_active=False)
        return SigningKey.objects.create(
            owner=owner,
            user=user,
            adapter=SigningKey.Adapter.SERVER,
            certificate_pem="".join(
                c.public_bytes(Encoding.PEM).decode()
                for c in [device.identity.certificate, *device.identity.chain]
            ),
            pkcs12_path=str(folder / "key.p12"),
            passphrase_path=str(folder / "passphrase"),
            image_path=str(folder / "image.png") if image else "",
        )


def get_signing_key(user: User) -> SigningKey | None:
    return SigningKey.objects.filter(
        owner=SigningKey.Owner.PERSON, user=user, is_active=True
    ).first()


def get_agency_key() -> SigningKey | None:
    return SigningKey.objects.filter(owner=SigningKey.Owner.AGENCY, is_active=True).first()


def get_key_image(key: SigningKey) -> bytes | None:
    if not key.image_path:
        return None
    return resolve_key_path(key.image_path).read_bytes()


def get_device(key: SigningKey) -> SigningDevice:
    if key.adapter == SigningKey.Adapter.SERVER:
        data = resolve_key_path(key.pkcs12_path).read_bytes()
        passphrase = (
            resolve_key_path(key.passphrase_path).read_bytes().strip()
            if key.passphrase_path
            else None
        )
        return ServerKeyDevice.from_pkcs12(data, passphrase)
    certificate, *chain = x509.load_pem_x509_certificates(key.certificate_pem.encode())
    return RemoteDevice(SignerIdentity(certificate=certificate, chain=chain))


# --- the leader ------------------------------------------------------------------------


def _read(field_file) -> bytes:
    with field_file.open("rb") as handle:
        return handle.read()


def _main_pdf(document: Document) -> Attachment | None:
    from documents.drafts import draft_files

    for attachment in draft_files(document):
        if attachment.kind == Attachment.Kind.DRAFT and attachment.content_type == PDF:
            return attachment
    return None


def _store(instance, field_name: str, data: bytes, stored: list[str]) -> None:
    getattr(instance, field_name).save("signed", ContentFile(data), save=False)
    name = getattr(instance, field_name).name
    stored.append(name)


def sign_for_signer(document: Document, user: User, stored: list[str]) -> SignedFile | None:
    """The signer's digital signature on the main PDF of the signed-off version.

    Called by ``sign_off`` in its transaction, after the capacity lines are set. Does
    nothing when the signer has no key or the draft has no PDF (the chain works as before:
    the document is then signed on paper). A key kept on the server signs at once; a token
    or remote key leaves a pending signature for the device to finish.
    """
    key = get_signing_key(user)
    source = _main_pdf(document) if key is not None else None
    if key is None or source is None:
        return None
    device = get_device(key)
    agency = Agency.objects.first()
    pending = sign.prepare_leader_signature(
        _read(source.file),
        device.identity,
        capacity=document.signer_capacity,
        name=user.get_full_name() or str(user),
        image=get_key_image(key),
        location=agency.place_name if agency else "",
    )
    signed_file = SignedFile(document=document, source=source, key=key, signer=user)
    if device.is_remote:
        signed_file.pending = pending.to_dict()
        signed_file.save()
        if isinstance(device, RemoteDevice):
            device.request(pending.digest_to_sign, document.summary)
        return signed_file
    data = sign.sign_with(device, pending, get_timestamper())
    _finish_signed_file(signed_file, data, stored)
    return signed_file


def _finish_signed_file(signed_file: SignedFile, data: bytes, stored: list[str]) -> None:
    _store(signed_file, "file", data, stored)
    signed_file.sha256 = hashlib.sha256(data).hexdigest()
    signed_file.size = len(data)
    signed_file.state = SignedFile.State.SIGNED
    signed_file.signed_at = timezone.now()
    signed_file.pending = {}
    signed_file.save()


def finish_remote_signature(signed_file_id: int, value: bytes) -> SignedFile:
    """Embed the value a token or remote service returned, after checking it.

    Raises ``SignatureValueRejected`` and embeds nothing when the value does not verify
    against the signer's certificate.
    """
    from documents.services import files_removed_on_failure

    with files_removed_on_failure() as stored, transaction.atomic():
        signed_file = SignedFile.objects.select_for_update().get(
            pk=signed_file_id, state=SignedFile.State.PENDING
        )
        device = get_device(signed_file.key)
        pending = sign.PendingSignature.from_dict(signed_file.pending)
        data = sign.finish_signature(pending, device.identity, value, get_timestamper())
        _finish_signed_file(signed_file, data, stored)
    return signed_file


def get_signed_file(document: Document) -> SignedFile | None:
    """The leader's signed file of the current draft version (an older signature of a
    version sent back for revision does not count)."""
    return (
        SignedFile.objects.filter(
            document=document,
            state=SignedFile.State.SIGNED,
            source__version=document.draft_version,
        )
        .select_related("source")
        .first()
    )


# --- the clerk -------------------------------------------------------------------------


def seal_issued_files(
    document: Document, clerk: User, files: list[Attachment], stored: list[str]
) -> int:
    """Number, date and agency seal on the issued PDF; the agency seal on PDF appendices.

    Called by ``issue_outgoing`` in its transaction, after the number/symbol and the issue
    date are set and the FINAL rows are made from the signed version, before the copies
    are distributed (so they share the sealed files). The agency signs only what its
    competent person signed (Decree 30, Art. 32): without the leader's digital signature,
    or without an agency key, nothing is sealed. Returns the number of files sealed.
    """
    agency_key = get_agency_key()
    signed_file = get_signed_file(document)
    if agency_key is None or signed_file is None:
        return 0
    device = get_device(agency_key)
    if device.is_remote:
        return 0  # an agency key off the server: sealing is done on its device (not yet)
    agency = Agency.objects.get()
    assert document.issued_on is not None  # set by issue_outgoing before it calls us
    timestamper = get_timestamper()
    place_date = sign.format_place_date(agency.place_name, document.issued_on)
    sealed = 0
    for attachment in files:
        if attachment.content_type != PDF:
            continue
        if attachment.file.name == signed_file.source.file.name:
            data = sign.seal_issued(
                _read(signed_file.file),
                device,
                number_symbol=document.number_symbol,
                place_date=place_date,
                agency_name=agency.name,
                seal=get_key_image(agency_key),
                timestamper=timestamper,
            )
            note = _("%(name)s, signed by the leader and the agency")
        elif attachment.kind == Attachment.Kind.APPENDIX:
            data = sign.seal_attachment(
                _read(attachment.file),
                device,
                number_symbol=document.number_symbol,
                agency_name=agency.name,
                timestamper=timestamper,
            )
            note = _("%(name)s, signed by the agency")
        else:
            continue
        _store(attachment, "file", data, stored)
        attachment.sha256 = hashlib.sha256(data).hexdigest()
        attachment.size = len(data)
        attachment.save(update_fields=["file", "sha256", "size"])
        record_event(
            document,
            clerk,
            DocumentEvent.Action.ATTACHMENT_ADDED,
            note=note % {"name": attachment.original_name},
            attachment_id=attachment.pk,
            sha256=attachment.sha256,
            size=attachment.size,
        )
        sealed += 1
    return sealed


# --- verification ----------------------------------------------------------------------


def verify_bytes(data: bytes) -> verify.VerificationReport:
    return verify.verify_pdf(
        data, list_trust_roots(), allow_fetching=settings.EOFFICE_SIGNING_ALLOW_FETCHING
    )


def check_attachment(
    attachment: Attachment, *, cache: dict[str, verify.VerificationReport] | None = None
) -> SignatureCheck:
    """Verify one attached PDF and store the result (copies sharing a file share a report)."""
    report = None if cache is None else cache.get(attachment.sha256)
    if report is None:
        report = verify_bytes(_read(attachment.file))
        if cache is not None:
            cache[attachment.sha256] = report
    return SignatureCheck.objects.create(
        attachment=attachment,
        sha256=attachment.sha256,
        verdict=report.verdict,
        message=report.message,
        report=report.to_dict(),
    )


def check_document_files(document: Document) -> list[SignatureCheck]:
    return check_attachments(
        [a for a in document.attachments.all() if a.content_type == PDF],
    )


def check_attachments(attachments: list[Attachment]) -> list[SignatureCheck]:
    cache: dict[str, verify.VerificationReport] = {}
    return [check_attachment(a, cache=cache) for a in attachments if a.content_type == PDF]


def check_issued_copies(document: Document) -> list[SignatureCheck]:
    """Verify the issued files and the copies delivered inside the agency (one check each,
    computed once per stored file)."""
    attachments = list(
        Attachment.objects.filter(document=document, kind=Attachment.Kind.FINAL)
    ) + list(Attachment.objects.filter(document__source_document=document))
    return check_attachments(attachments)


def list_signature_panel(document: Document, *, verify_missing: int = 5) -> list[dict]:
    """The latest check of each PDF the page shows, verifying up to ``verify_missing``
    files that were never checked (files registered before signatures existed)."""
    attachments = [
        a
        for a in document.attachments.all()
        if a.content_type == PDF and a.kind in {Attachment.Kind.DOCUMENT, Attachment.Kind.FINAL}
    ]
    rows = []
    for attachment in attachments:
        check = (
            SignatureCheck.objects.filter(attachment=attachment, sha256=attachment.sha256)
            .order_by("-checked_at", "-id")
            .first()
        )
        if check is None and verify_missing > 0:
            verify_missing -= 1
            check = check_attachment(attachment)
        if check is not None:
            rows.append({"attachment": attachment, "check": check})
    return rows

"""The signer's own device finishes a pending signature (issue 7, SIGNATURES.md §5).

When the signer's key is on a USB token or at a remote-signing service, "Ký duyệt" signs
the draft off and leaves a pending signature (``documents.signing.services``): the server
holds the prepared PDF and the digest, never the key. The page then offers the digest to
the signer's device (a local signing app, or a service that hands the value back to the
user), and the value comes back here. ``finish_remote_signature`` checks it against the
certificate before embedding it; this module adds who may finish, and when.
"""

from __future__ import annotations

import base64
import binascii
import hashlib

from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from django.db import transaction
from django.urls import reverse
from django.utils.translation import gettext as _

from documents.models import Document
from documents.signing.models import SignedFile
from documents.signing.services import finish_remote_signature
from documents.signing.sign import PendingSignature
from documents.signing.signers import SignatureValueRejected, SigningError
from eoffice.models import User

# An RSA-4096 value is 684 base64 characters; anything much longer is not a signature.
MAX_VALUE_CHARS = 4096


class DeviceSignatureRefused(SigningError):
    """The returned value is not added; ``status`` is the HTTP status to answer with."""

    def __init__(self, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.status = status


def get_pending_signature(document: Document, user: User) -> SignedFile | None:
    """``user``'s signature of the signed-off version still waiting for their device."""
    if document.state != Document.State.SIGNED:
        return None
    return (
        SignedFile.objects.filter(
            document=document,
            signer=user,
            state=SignedFile.State.PENDING,
            source__version=document.draft_version,
        )
        .select_related("key")
        .first()
    )


def _algorithm(certificate: x509.Certificate) -> str:
    public_key = certificate.public_key()
    if isinstance(public_key, rsa.RSAPublicKey):
        return "RSASSA-PKCS1-v1_5"
    if isinstance(public_key, ec.EllipticCurvePublicKey):
        return "ECDSA"  # the value is the DER-encoded (r, s) pair
    return ""


def describe(signed_file: SignedFile) -> dict:
    """What the device needs: the digest to sign, how, and with which certificate.

    The digest is already SHA-256 (of the CMS signed attributes): the device signs it as a
    pre-hashed value (PKCS#11 ``CKM_RSA_PKCS`` over a DigestInfo, or a remote service's
    "sign hash" call), it must not hash it again.
    """
    certificate = x509.load_pem_x509_certificates(signed_file.key.certificate_pem.encode())[0]
    digest = PendingSignature.from_dict(signed_file.pending).digest_to_sign
    fingerprint = hashlib.sha256(certificate.public_bytes(serialization.Encoding.DER)).hexdigest()
    return {
        "id": signed_file.pk,
        "document": signed_file.document_id,
        "digest": base64.b64encode(digest).decode(),
        "digest_algorithm": "SHA-256",
        "prehashed": True,
        "algorithm": _algorithm(certificate),
        "certificate_fingerprint": fingerprint,
        "fingerprint_algorithm": "SHA-256",
        "certificate_subject": signed_file.key.subject_name,
        "certificate_serial": signed_file.key.serial,
        "url": reverse("device-signature", args=[signed_file.document_id]),
    }


def decode_value(text: str) -> bytes:
    """The value as base64 (standard or URL-safe, whitespace and missing padding allowed)."""
    compact = "".join(text.split())
    if len(compact) > MAX_VALUE_CHARS:
        raise DeviceSignatureRefused(_("The signature value is too long to be a signature."))
    compact = compact.replace("-", "+").replace("_", "/")
    compact += "=" * (-len(compact) % 4)
    try:
        value = base64.b64decode(compact, validate=True)
    except (binascii.Error, ValueError):
        value = b""
    if not value:
        raise DeviceSignatureRefused(
            _("The signature value is empty or is not base64 text; paste it again as given.")
        )
    return value


def finish_device_signature(
    user: User, document_id: int, signature_id: int, text: str
) -> SignedFile:
    """Check and embed the value ``user``'s device returned for their pending signature.

    The document row is locked first, as issuing does, so the value is never added to a
    document the clerks have issued meanwhile. Raises ``DeviceSignatureRefused`` (nothing
    embedded, nothing changed) and ``SignedFile.DoesNotExist`` for someone else's signature.
    """
    value = decode_value(text)
    with transaction.atomic():
        document = Document.objects.select_for_update().get(pk=document_id)
        signed_file = SignedFile.objects.select_related("source").get(
            pk=signature_id, document=document, signer=user
        )
        already = _("This signature is already finished; nothing was changed.")
        if signed_file.state != SignedFile.State.PENDING:
            raise DeviceSignatureRefused(already, status=409)
        if (
            document.state != Document.State.SIGNED
            or signed_file.source.version != document.draft_version
        ):
            raise DeviceSignatureRefused(
                _(
                    "The document has moved on since you signed it off, so this signature "
                    "can no longer be added."
                ),
                status=409,
            )
        try:
            return finish_remote_signature(signed_file.pk, value)
        except SignedFile.DoesNotExist as exc:  # finished by a request that won the race
            raise DeviceSignatureRefused(already, status=409) from exc
        except SignatureValueRejected as exc:
            advice = _(
                "Nothing was added to the document. Check that you are using the right token "
                "or signing account, then sign again."
            )
            raise DeviceSignatureRefused(f"{exc} {advice}") from exc

"""Verifying every signature of a PDF, with a plain verdict in Vietnamese for each one.

pyHanko checks the cryptography, the certificate chain against the trust anchors the
administrator configured, the timestamp, and — what matters for Decree 30 — what changed in
the file after each signature: only signing and filling the pre-placed fields is allowed
after the leader's signature (``FORM_FILLING``); anything else (``OTHER``) means the
document was modified after it was signed, and the verdict is red. pdfsig and most viewers
do not analyse modifications (SIGNATURES.md §3).
"""

from __future__ import annotations

import io
import logging
from dataclasses import asdict, dataclass, field
from datetime import datetime
from typing import Any

from asn1crypto import x509 as asn1_x509
from django.utils import timezone
from django.utils.translation import gettext as _
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign.validation import validate_pdf_signature, validate_pdf_timestamp
from pyhanko.sign.validation.status import ModificationLevel
from pyhanko_certvalidator import ValidationContext

# Verdicts, from best to worst; a document's verdict is the worst of its signatures.
VALID = "valid"
UNTRUSTED = "untrusted"
EXPIRED = "expired"
MODIFIED = "modified"
INVALID = "invalid"
UNSIGNED = "unsigned"
UNREADABLE = "unreadable"
ORDER = [UNSIGNED, VALID, UNTRUSTED, EXPIRED, MODIFIED, INVALID, UNREADABLE]

# pyHanko logs a full traceback at WARNING for every certificate it cannot chain to a trust
# anchor, i.e. for every document from an agency whose CA is not configured: the verdict is
# stored and shown, the traceback adds nothing.
logging.getLogger("pyhanko.sign.validation.generic_cms").setLevel(logging.ERROR)

_TIME_PROBLEMS = {"EXPIRED", "OUT_OF_BOUNDS_NO_POE", "OUT_OF_BOUNDS_NOT_REVOKED", "NOT_YET_VALID"}


@dataclass
class SignatureReport:
    field: str
    kind: str  # "signature" or "timestamp" (a PAdES document timestamp)
    signer: str
    subject: str
    issuer: str
    serial: str
    valid_from: datetime | None
    valid_until: datetime | None
    claimed_time: datetime | None
    timestamp_time: datetime | None
    timestamp_trusted: bool
    intact: bool
    valid: bool
    trusted: bool
    trust_problem: str
    revision: int
    total_revisions: int
    coverage: str
    docmdp: str
    modification_level: str
    docmdp_ok: bool
    bottom_line: bool
    verdict: str
    message: str

    @property
    def is_ok(self) -> bool:
        return self.verdict == VALID

    def to_dict(self) -> dict:
        data = asdict(self)
        for key, value in data.items():
            if isinstance(value, datetime):
                data[key] = value.isoformat()
        return data


@dataclass
class VerificationReport:
    signatures: list[SignatureReport] = field(default_factory=list)
    error: str = ""

    @property
    def verdict(self) -> str:
        if self.error:
            return UNREADABLE
        if not self.signatures:
            return UNSIGNED
        return max((s.verdict for s in self.signatures), key=ORDER.index)

    @property
    def message(self) -> str:
        return verdict_message(self.verdict, len(self.signatures))

    def to_dict(self) -> dict:
        return {
            "verdict": self.verdict,
            "message": self.message,
            "error": self.error,
            "signatures": [s.to_dict() for s in self.signatures],
        }


def verdict_message(verdict: str, count: int) -> str:
    messages = {
        UNSIGNED: _("The file carries no digital signature."),
        VALID: _(
            "All %(count)s signatures are valid and trusted; nothing but permitted form "
            "filling and signing happened after them."
        )
        if count > 1
        else _("The signature is valid and trusted."),
        UNTRUSTED: _(
            "A signature is intact, but its certificate does not lead to a trusted "
            "certification authority."
        ),
        EXPIRED: _(
            "A signature is intact, but its certificate was not valid at the time of signing."
        ),
        MODIFIED: _("The document was modified after it was signed."),
        INVALID: _("A signature is broken: the signed content or the signature value was altered."),
        UNREADABLE: _("The file could not be read as a PDF to check its signatures."),
    }
    text = messages[verdict]
    return text % {"count": count} if "%(count)s" in text else text


def _name(name: asn1_x509.Name) -> str:
    native = name.native
    return str(native.get("common_name") or name.human_friendly)


def _local(moment: datetime | None) -> datetime | None:
    return timezone.localtime(moment) if moment is not None else None


def build_validation_context(
    trust_roots: list[asn1_x509.Certificate], *, allow_fetching: bool = False
) -> ValidationContext:
    return ValidationContext(
        trust_roots=trust_roots,
        allow_fetching=allow_fetching,
        # Test and many national PKIs publish no reachable CRL/OCSP for us: missing
        # revocation information is reported, not fatal; a revoked certificate still fails.
        revocation_mode="soft-fail",
    )


def verify_pdf(
    pdf: bytes, trust_roots: list[asn1_x509.Certificate], *, allow_fetching: bool = False
) -> VerificationReport:
    """One report per embedded signature, oldest first."""
    try:
        reader = PdfFileReader(io.BytesIO(pdf), strict=False)
        embedded = list(reader.embedded_signatures)
        total = reader.xrefs.total_revisions
    except Exception as exc:  # a malformed file must not break the page that shows it
        return VerificationReport(error=str(exc) or exc.__class__.__name__)
    report = VerificationReport()
    for sig in embedded:
        context = build_validation_context(trust_roots, allow_fetching=allow_fetching)
        try:
            report.signatures.append(_check(sig, context, total))
        except Exception as exc:
            report.signatures.append(_broken(sig, total, exc))
    return report


def _check(sig, context: ValidationContext, total: int) -> SignatureReport:
    is_timestamp = sig.sig_object_type == "/DocTimeStamp"
    status: Any
    if is_timestamp:
        status = validate_pdf_timestamp(sig, validation_context=context)
    else:
        status = validate_pdf_signature(
            sig, signer_validation_context=context, ts_validation_context=context
        )
    cert = status.signing_cert
    tsa = getattr(status, "timestamp_validity", None)
    level = status.modification_level
    indic = status.trust_problem_indic
    trust_problem = getattr(indic, "name", str(indic)) if indic else ""
    if is_timestamp:
        ts_time, ts_trusted = status.timestamp, status.trusted
    elif tsa is not None:
        ts_time, ts_trusted = tsa.timestamp, tsa.trusted
    else:
        ts_time, ts_trusted = None, False
    docmdp = sig.docmdp_level
    modified = level == ModificationLevel.OTHER or status.docmdp_ok is False
    if not (status.intact and status.valid):
        verdict, message = INVALID, _("The signature does not match the signed content.")
    elif modified:
        verdict, message = (
            MODIFIED,
            _(
                "The document was changed after this signature in a way it does not allow "
                "(more than filling the prepared fields and signing)."
            ),
        )
    elif not status.trusted:
        if trust_problem in _TIME_PROBLEMS:
            verdict, message = (
                EXPIRED,
                _("The certificate was not valid at the time of signing."),
            )
        else:
            verdict, message = (
                UNTRUSTED,
                _("The certificate's issuer is not among the trusted certification authorities."),
            )
    else:
        verdict = VALID
        if level == ModificationLevel.FORM_FILLING:
            message = _("Valid. After it, only the prepared fields were filled and signed.")
        else:
            message = _("Valid. The document has not been changed since.")
    return SignatureReport(
        field=str(sig.field_name or ""),
        kind="timestamp" if is_timestamp else "signature",
        signer=_name(cert.subject),
        subject=cert.subject.human_friendly,
        issuer=_name(cert.issuer),
        serial=format(cert.serial_number, "x"),
        valid_from=_local(cert.not_valid_before),
        valid_until=_local(cert.not_valid_after),
        claimed_time=_local(sig.self_reported_timestamp),
        timestamp_time=_local(ts_time),
        timestamp_trusted=bool(ts_trusted),
        intact=bool(status.intact),
        valid=bool(status.valid),
        trusted=bool(status.trusted),
        trust_problem=trust_problem,
        revision=sig.signed_revision + 1,
        total_revisions=total,
        coverage=status.coverage.name if status.coverage else "",
        docmdp=docmdp.name if docmdp else "",
        modification_level=level.name if level else "",
        docmdp_ok=bool(status.docmdp_ok),
        bottom_line=bool(getattr(status, "bottom_line", status.trusted)),
        verdict=verdict,
        message=message,
    )


def _broken(sig, total: int, exc: Exception) -> SignatureReport:
    return SignatureReport(
        field=str(getattr(sig, "field_name", "") or ""),
        kind="signature",
        signer="",
        subject="",
        issuer="",
        serial="",
        valid_from=None,
        valid_until=None,
        claimed_time=None,
        timestamp_time=None,
        timestamp_trusted=False,
        intact=False,
        valid=False,
        trusted=False,
        trust_problem=exc.__class__.__name__,
        revision=0,
        total_revisions=total,
        coverage="",
        docmdp="",
        modification_level="",
        docmdp_ok=False,
        bottom_line=False,
        verdict=INVALID,
        message=_("The signature could not be checked: %(error)s") % {"error": exc},
    )

"""Signing keys of people and of the agency, signed drafts, and verification results.

Private keys never enter the database or the repository: a server-held key is a PKCS#12
file under ``EOFFICE_SIGNING_KEY_DIR`` (outside the web root and the code), referenced by a
path relative to that directory, with its passphrase in a file beside it. A key on a USB
token or at a remote-signing service has only its certificate here.
"""

from __future__ import annotations

import uuid
from datetime import date

from cryptography import x509
from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


def signed_file_path(instance: models.Model, filename: str) -> str:
    today = date.today()  # noqa: DTZ011 - a directory bucket, any clock will do
    return f"signatures/{today:%Y/%m}/{uuid.uuid4().hex}"


class SigningKey(models.Model):
    class Owner(models.TextChoices):
        PERSON = "person", _("A person (the signer's own signature)")
        AGENCY = "agency", _("The agency (its electronic seal)")

    class Adapter(models.TextChoices):
        SERVER = "server", _("Kept on the server (PKCS#12 file)")
        REMOTE = "remote", _("USB token or remote-signing service")

    owner = models.CharField(_("owner"), max_length=10, choices=Owner.choices)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="signing_keys",
        verbose_name=_("person"),
    )
    adapter = models.CharField(
        _("where the key is"), max_length=10, choices=Adapter.choices, default=Adapter.SERVER
    )
    # The signer's certificate first, then the chain above it (PEM blocks one after another).
    certificate_pem = models.TextField(_("certificate (PEM)"))
    pkcs12_path = models.CharField(
        _("PKCS#12 file"),
        max_length=300,
        blank=True,
        help_text=_("Relative to SIGNING_KEY_DIR; only for keys kept on the server."),
    )
    passphrase_path = models.CharField(
        _("passphrase file"),
        max_length=300,
        blank=True,
        help_text=_("Relative to SIGNING_KEY_DIR: a file holding the PKCS#12 passphrase."),
    )
    image_path = models.CharField(
        _("signature or seal image"),
        max_length=300,
        blank=True,
        help_text=_(
            "Relative to SIGNING_KEY_DIR: a transparent PNG, the signature in blue or the "
            "seal in red at actual size."
        ),
    )
    subject_name = models.CharField(_("subject"), max_length=300, editable=False, default="")
    issuer_name = models.CharField(_("issuer"), max_length=300, editable=False, default="")
    serial = models.CharField(_("serial number"), max_length=80, editable=False, default="")
    valid_from = models.DateTimeField(_("valid from"), null=True, editable=False)
    valid_until = models.DateTimeField(_("valid until"), null=True, editable=False)
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)

    class Meta:
        verbose_name = _("signing key")
        verbose_name_plural = _("signing keys")
        ordering = ["owner", "user", "-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["user"],
                condition=models.Q(is_active=True, owner="person"),
                name="signing_key_one_active_per_user",
            ),
            models.UniqueConstraint(
                fields=["owner"],
                condition=models.Q(is_active=True, owner="agency"),
                name="signing_key_one_active_agency",
            ),
            models.CheckConstraint(
                condition=models.Q(owner="agency", user__isnull=True)
                | models.Q(owner="person", user__isnull=False),
                name="signing_key_owner_matches_user",
            ),
        ]

    def __str__(self) -> str:
        return self.subject_name or str(self.pk)

    def save(self, *args, **kwargs) -> None:
        certificate = x509.load_pem_x509_certificates(self.certificate_pem.encode())[0]
        self.subject_name = _common_name(certificate.subject)
        self.issuer_name = _common_name(certificate.issuer)
        self.serial = format(certificate.serial_number, "x")
        self.valid_from = certificate.not_valid_before_utc
        self.valid_until = certificate.not_valid_after_utc
        super().save(*args, **kwargs)


def _common_name(name: x509.Name) -> str:
    values = name.get_attributes_for_oid(x509.NameOID.COMMON_NAME)
    return str(values[0].value) if values else name.rfc4514_string()


class SignedFile(models.Model):
    """A draft file as the leader signed it (or is signing it, on a token).

    Kept apart from the draft's attachments so the versions the chain approved stay as
    they were; issuing seals this file to make the issued one.
    """

    class State(models.TextChoices):
        PENDING = "pending", _("Waiting for the signer's device")
        SIGNED = "signed", _("Signed")

    document = models.ForeignKey(
        "documents.Document", on_delete=models.PROTECT, related_name="signed_files"
    )
    source = models.ForeignKey(
        "documents.Attachment", on_delete=models.PROTECT, related_name="signed_versions"
    )
    key = models.ForeignKey(SigningKey, on_delete=models.PROTECT, related_name="+")
    signer = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    state = models.CharField(max_length=10, choices=State.choices, default=State.PENDING)
    file = models.FileField(upload_to=signed_file_path, max_length=200, blank=True)
    sha256 = models.CharField("SHA-256", max_length=64, blank=True)
    size = models.PositiveBigIntegerField(default=0)
    # The prepared signature while a token or a remote service is signing it.
    pending = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    signed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("signed file")
        verbose_name_plural = _("signed files")
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.source_id}: {self.state}"


class SignatureCheck(models.Model):
    """The verification of one attached PDF: its verdict and one entry per signature."""

    class Verdict(models.TextChoices):
        UNSIGNED = "unsigned", _("Not signed")
        VALID = "valid", _("Valid")
        UNTRUSTED = "untrusted", _("Issuer not trusted")
        EXPIRED = "expired", _("Certificate not valid when signed")
        MODIFIED = "modified", _("Modified after signing")
        INVALID = "invalid", _("Signature broken")
        UNREADABLE = "unreadable", _("Could not be read")

    attachment = models.ForeignKey(
        "documents.Attachment", on_delete=models.CASCADE, related_name="signature_checks"
    )
    sha256 = models.CharField("SHA-256", max_length=64)
    verdict = models.CharField(_("verdict"), max_length=12, choices=Verdict.choices)
    message = models.TextField(_("verdict in words"))
    report = models.JSONField(default=dict)
    checked_at = models.DateTimeField(_("checked at"), default=timezone.now)

    class Meta:
        verbose_name = _("signature check")
        verbose_name_plural = _("signature checks")
        ordering = ["-checked_at", "-id"]
        indexes = [models.Index(fields=["attachment", "-checked_at"], name="sigcheck_att_idx")]

    def __str__(self) -> str:
        return f"{self.attachment_id}: {self.verdict}"

    @property
    def is_red(self) -> bool:
        return self.verdict in {self.Verdict.MODIFIED, self.Verdict.INVALID}

from __future__ import annotations

from django.contrib import admin

from documents.signing.models import SignatureCheck, SigningKey


@admin.register(SigningKey)
class SigningKeyAdmin(admin.ModelAdmin):
    """The administrator registers keys: a PKCS#12 file placed under SIGNING_KEY_DIR (by
    path), or only the certificate of a key on a token or at a remote-signing service."""

    list_display = [
        "subject_name",
        "owner",
        "user",
        "adapter",
        "issuer_name",
        "valid_until",
        "is_active",
    ]
    list_filter = ["owner", "adapter", "is_active"]
    readonly_fields = ["subject_name", "issuer_name", "serial", "valid_from", "valid_until"]


@admin.register(SignatureCheck)
class SignatureCheckAdmin(admin.ModelAdmin):
    list_display = ["attachment", "verdict", "checked_at"]
    list_filter = ["verdict"]
    readonly_fields = ["attachment", "sha256", "verdict", "message", "report", "checked_at"]

    def has_add_permission(self, request) -> bool:
        return False

from __future__ import annotations

from django.contrib import admin

from documents.models import DocumentType, Register


@admin.register(DocumentType)
class DocumentTypeAdmin(admin.ModelAdmin):
    list_display = ["name", "abbreviation", "code", "is_active", "sort_order"]
    list_filter = ["is_active"]


@admin.register(Register)
class RegisterAdmin(admin.ModelAdmin):
    list_display = ["name", "kind", "year", "is_confidential", "last_number", "is_locked"]
    list_filter = ["kind", "year", "is_confidential"]
    # The counter only moves through numbering; editing it by hand would open gaps or reuse.
    readonly_fields = ["kind", "year", "is_confidential", "last_number", "created_at"]

    def has_add_permission(self, request) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False

from __future__ import annotations

from django.contrib import admin

from documents.models import DocumentType, NumberReservation, Register


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


@admin.register(NumberReservation)
class NumberReservationAdmin(admin.ModelAdmin):
    """Read only: numbers are reserved and released by the clerks through the services, so
    that the register's counter and history stay right."""

    list_display = ["number_display", "register", "purpose", "state", "reserved_by", "reserved_at"]
    list_filter = ["state", "register"]
    list_select_related = ["register", "reserved_by"]
    search_fields = ["purpose"]

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False

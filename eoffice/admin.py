from __future__ import annotations

from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.utils.translation import gettext_lazy as _

from eoffice.models import Agency, Department, Position, Role, User


@admin.register(Agency)
class AgencyAdmin(admin.ModelAdmin):
    list_display = ["name", "short_code", "identifier_code"]
    fieldsets = (
        (None, {"fields": ("name", "short_code", "identifier_code", "address", "place_name")}),
        (
            _("Outgoing documents"),
            {"fields": ("collective_name", "head_position", "outgoing_series")},
        ),
    )

    def has_add_permission(self, request) -> bool:
        # One agency per installation.
        return not Agency.objects.exists() and super().has_add_permission(request)


@admin.register(Department)
class DepartmentAdmin(admin.ModelAdmin):
    list_display = ["name", "short_code", "parent", "is_active", "sort_order"]
    list_filter = ["is_active"]
    search_fields = ["name", "short_code"]
    list_select_related = ["parent"]


@admin.register(Position)
class PositionAdmin(admin.ModelAdmin):
    list_display = ["name", "rank"]


@admin.register(Role)
class RoleAdmin(admin.ModelAdmin):
    list_display = ["__str__", "code"]

    def has_add_permission(self, request) -> bool:
        return False  # roles are fixed: the workflows refer to them by code

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    list_display = ["username", "full_name", "position", "department", "is_active"]
    list_filter = ["department", "position", "roles", "is_active"]
    search_fields = ["username", "full_name", "email"]
    list_select_related = ["position", "department"]
    filter_horizontal = ["roles", "groups", "user_permissions"]
    ordering = ["full_name"]
    fieldsets = (
        (None, {"fields": ("username", "password")}),
        (
            _("Person"),
            {"fields": ("full_name", "email", "department", "position", "roles", "email_notices")},
        ),
        (
            _("Access"),
            {"fields": ("is_active", "is_staff", "is_superuser", "groups", "user_permissions")},
        ),
        (_("Dates"), {"fields": ("last_login", "date_joined")}),
    )
    add_fieldsets = (
        (
            None,
            {
                "classes": ("wide",),
                "fields": (
                    "username",
                    "full_name",
                    "email",
                    "department",
                    "position",
                    "roles",
                    "password1",
                    "password2",
                ),
            },
        ),
    )

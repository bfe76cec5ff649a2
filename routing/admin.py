from __future__ import annotations

from django.contrib import admin
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from routing.approval_models import (
    ChainTemplate,
    ChainTemplateHolder,
    ChainTemplateStep,
    Delegation,
)
from routing.models import CalendarDay


@admin.register(CalendarDay)
class CalendarDayAdmin(admin.ModelAdmin):
    list_display = ["date", "name", "is_working_day"]
    list_filter = ["is_working_day"]
    date_hierarchy = "date"
    search_fields = ["name"]


# --- Approval chains and absences ------------------------------------------------------------


class ChainTemplateStepInline(admin.TabularInline):
    model = ChainTemplateStep
    extra = 1
    fields = ["order", "label", "mode", "is_signing", "is_optional", "holders_link"]
    readonly_fields = ["holders_link"]
    ordering = ["order"]
    show_change_link = True

    @admin.display(description=_("approvers"))
    def holders_link(self, step: ChainTemplateStep) -> str:
        if step.pk is None:
            return "—"
        url = reverse("admin:routing_chaintemplatestep_change", args=[step.pk])
        names = ", ".join(str(h) for h in step.holders.all()) or _("nobody yet")
        return format_html('<a href="{}">{}</a>', url, names)


@admin.register(ChainTemplate)
class ChainTemplateAdmin(admin.ModelAdmin):
    list_display = ["name", "doc_type", "department", "allow_adjust", "is_active"]
    list_filter = ["is_active", "doc_type", "department"]
    list_select_related = ["doc_type", "department"]
    search_fields = ["name"]
    inlines = [ChainTemplateStepInline]


class ChainTemplateHolderInline(admin.TabularInline):
    model = ChainTemplateHolder
    extra = 1
    fields = ["user", "position", "department"]
    autocomplete_fields = ["user"]


@admin.register(ChainTemplateStep)
class ChainTemplateStepAdmin(admin.ModelAdmin):
    """Reached from a template's steps: the people or positions holding one step."""

    list_display = ["__str__", "template", "mode", "is_signing", "is_optional"]
    list_filter = ["template"]
    list_select_related = ["template"]
    inlines = [ChainTemplateHolderInline]

    def get_model_perms(self, request):
        # Not a menu entry of its own: steps are edited from their template.
        return {}


@admin.register(Delegation)
class DelegationAdmin(admin.ModelAdmin):
    list_display = [
        "principal",
        "deputy",
        "capacity",
        "starts_on",
        "ends_on",
        "reference",
        "cancelled_at",
    ]
    list_filter = ["capacity", "starts_on"]
    list_select_related = ["principal", "deputy"]
    search_fields = ["principal__full_name", "deputy__full_name", "reference"]
    autocomplete_fields = ["principal", "deputy"]
    readonly_fields = ["created_at"]
    date_hierarchy = "starts_on"

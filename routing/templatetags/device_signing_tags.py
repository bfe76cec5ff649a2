"""``{% device_signing_panel document %}``: the pending signature of the current user."""

from __future__ import annotations

from django import template
from django.conf import settings

from documents.models import Document
from routing.device_signing import describe, get_pending_signature

register = template.Library()


@register.inclusion_tag("routing/_device_signing.html", takes_context=True)
def device_signing_panel(context: template.Context, document: Document) -> dict:
    request = context.get("request")
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"pending": None}
    signed_file = get_pending_signature(document, user)
    if signed_file is None:
        return {"pending": None}
    return {
        "pending": describe(signed_file),
        "document": document,
        "csrf_token": context.get("csrf_token"),
        # A static script of the agency's signing app integration (optional, same origin).
        "integration_script": getattr(settings, "EOFFICE_SIGNING_DEVICE_SCRIPT", ""),
    }

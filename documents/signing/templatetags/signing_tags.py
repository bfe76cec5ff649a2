"""``{% signature_panel document %}``: the verification of a document's signed PDFs."""

from __future__ import annotations

from django import template
from django.utils.dateparse import parse_datetime

from documents.models import Document
from documents.signing.services import list_signature_panel

register = template.Library()


@register.inclusion_tag("signing/_panel.html")
def signature_panel(document: Document) -> dict:
    rows = list_signature_panel(document)
    for row in rows:
        row["signatures"] = [_with_dates(s) for s in row["check"].report.get("signatures", [])]
    return {"rows": rows, "document": document}


def _with_dates(signature: dict) -> dict:
    shown = dict(signature)
    for key in ("valid_from", "valid_until", "claimed_time", "timestamp_time"):
        value = signature.get(key)
        shown[key] = parse_datetime(value) if isinstance(value, str) else value
    return shown

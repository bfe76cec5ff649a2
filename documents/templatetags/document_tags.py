"""Template tags of documents: what every list shows on every row, rendered in Python."""

from __future__ import annotations

from django import template
from django.utils.html import format_html
from django.utils.safestring import mark_safe

from documents.models import Document

register = template.Library()


@register.simple_tag
def document_badges(document: Document) -> str:
    """Urgency and confidentiality badges (``documents/_badges.html``), rendered in Python:
    a list shows them on every row, and an include per row costs more than the row."""
    badges = []
    if document.urgency:
        badges.append(
            format_html(
                '<span class="badge urgency-{}">{}</span>',
                document.urgency,
                document.get_urgency_display(),
            )
        )
    if document.secrecy:
        badges.append(
            format_html('<span class="badge secrecy">{}</span>', document.get_secrecy_display())
        )
    return mark_safe(" ".join(badges))  # noqa: S308 - each part went through format_html

from __future__ import annotations

from django import template
from django.utils.html import format_html

from documents.models import Document
from routing.deadlines import DeadlineState, deadline_state

register = template.Library()


@register.filter
def document_deadline_state(document: Document) -> DeadlineState:
    """The deadline badge of a whole document: its deadline against its completion."""
    if document.state == Document.State.CANCELLED:
        return DeadlineState.NONE
    return deadline_state(document.deadline, document.completed_at)


@register.simple_tag
def deadline_badge(state: DeadlineState | str | None) -> str:
    """The deadline badge (``routing/_deadline.html``): nothing without a deadline."""
    if not state or state == DeadlineState.NONE:
        return ""
    state = DeadlineState(state)
    return format_html('<span class="badge deadline-{}">{}</span>', state.value, state.label)

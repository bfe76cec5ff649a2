from __future__ import annotations

from django import template

from documents.models import Document
from routing.deadlines import DeadlineState, deadline_state

register = template.Library()


@register.filter
def document_deadline_state(document: Document) -> DeadlineState:
    """The deadline badge of a whole document: its deadline against its completion."""
    if document.state == Document.State.CANCELLED:
        return DeadlineState.NONE
    return deadline_state(document.deadline, document.completed_at)

from __future__ import annotations

from datetime import date
from html import escape

from django import template
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.safestring import SafeString, mark_safe
from django.utils.text import Truncator
from django.utils.translation import gettext, gettext_lazy

from documents.models import Document
from documents.templatetags.document_tags import document_badges
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


# The incoming register's columns, in order (header cells and each row's data-label).
REGISTER_COLUMNS = (
    gettext_lazy("Arrival number"),
    gettext_lazy("Arrival date"),
    gettext_lazy("Issuing body"),
    gettext_lazy("Number and symbol"),
    gettext_lazy("Document date"),
    gettext_lazy("Type and summary"),
    gettext_lazy("Recipient unit or person"),
    gettext_lazy("State"),
    gettext_lazy("Handling deadline"),
)


@register.simple_tag
def register_columns() -> list[str]:
    return [str(label) for label in REGISTER_COLUMNS]


def _date(value: date | None, with_time: bool = False) -> str:
    if value is None:
        return ""
    if with_time:
        return timezone.localtime(value).strftime("%d/%m/%Y %H:%M")  # type: ignore[arg-type]
    return value.strftime("%d/%m/%Y")


@register.simple_tag
def register_row(document: Document, columns: list[str]) -> SafeString:
    """One row of the incoming register (``routing/_register_table.html``), written with
    f-strings and ``html.escape``: a page shows 25 rows, and through the template engine
    (or ``format_html``, whose lazy-string checks run per argument) each row cost ~0.5 ms.
    Every value from the database is escaped; the badges are already safe HTML."""
    register = document.register
    number = escape(str(document.register_number_display))
    if register is not None and register.is_confidential:
        number += f" <small>({escape(gettext('conf.'))})</small>"
    link = reverse("incoming-detail", args=[document.pk])
    summary = (
        f'<a href="{escape(link)}">{escape(document.doc_type.name)} — '
        f"{escape(Truncator(document.summary).chars(200))}</a> {document_badges(document)}"
    )
    state = Document.State(document.state)
    deadline = _date(document.deadline) or "—"
    cells = (
        number,
        _date(document.received_at, with_time=True),
        escape(document.sender_name),
        escape(document.number_symbol),
        _date(document.issued_on),
        summary,
        escape(str(getattr(document, "recipient", None) or "—")),
        f'<span class="state state-{escape(state.value)}">{escape(str(state.label))}</span>',
        f"{deadline} {deadline_badge(document_deadline_state(document))}",
    )
    body = "".join(
        f'<td data-label="{escape(label)}">{cell}</td>'
        for label, cell in zip(columns, cells, strict=True)
    )
    row_class = "cancelled" if document.is_cancelled else ""
    return mark_safe(f'<tr class="{row_class}">{body}</tr>')  # noqa: S308 - escaped above

"""Lists of the outgoing side: my drafts, the outgoing register (and its print), the
clerk's issue queue, and the printable "Nơi nhận" block of one document."""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from documents.models import Document, OutgoingRecipient
from documents.permissions import get_document_for_user
from documents.recipients_block import build_recipients_block
from eoffice.http import AuthenticatedHttpRequest, is_htmx
from eoffice.models import Agency
from eoffice.pagination import CappedPaginator
from routing.outgoing_list_forms import DraftFilterForm, OutgoingFilterForm
from routing.outgoing_selectors import (
    OutgoingFilter,
    RegisterPaginator,
    list_issue_queue,
    list_my_drafts,
    list_outgoing_register,
    list_outgoing_registers,
    register_rows,
)

# A printed register is for a period; past this many lines the clerk narrows it.
PRINT_LIMIT = 2000


def _query_without_page(request: AuthenticatedHttpRequest) -> str:
    query = request.GET.copy()
    query.pop("page", None)
    return query.urlencode()


@login_required
@require_GET
def draft_list(request: AuthenticatedHttpRequest) -> HttpResponse:
    form = DraftFilterForm(request.GET or None)
    state = form.cleaned_data.get("state", "") if form.is_valid() else ""
    paginator = CappedPaginator(list_my_drafts(request.user, state), settings.EOFFICE_PAGE_SIZE)
    page = paginator.get_page(request.GET.get("page"))
    context = {"form": form, "page": page, "query": _query_without_page(request)}
    template = "routing/_draft_table.html" if is_htmx(request) else "routing/draft_list.html"
    return render(request, template, context)


def _register_filter(
    request: AuthenticatedHttpRequest,
) -> tuple[OutgoingFilterForm, OutgoingFilter]:
    form = OutgoingFilterForm(request.GET or None, registers=list_outgoing_registers(request.user))
    filters = OutgoingFilter(**form.cleaned_data) if form.is_valid() else OutgoingFilter()
    return form, filters


@login_required
@require_GET
def outgoing_list(request: AuthenticatedHttpRequest) -> HttpResponse:
    form, filters = _register_filter(request)
    paginator = RegisterPaginator(
        list_outgoing_register(request.user, filters), settings.EOFFICE_PAGE_SIZE
    )
    page = paginator.get_page(request.GET.get("page"))
    context = {
        "form": form,
        "page": page,
        "rows": register_rows(list(page.object_list)),
        "query": _query_without_page(request),
    }
    template = (
        "routing/_outgoing_register_table.html"
        if is_htmx(request)
        else "routing/outgoing_list.html"
    )
    return render(request, template, context)


@login_required
@require_GET
def outgoing_register_print(request: AuthenticatedHttpRequest) -> HttpResponse:
    """The register for a period, in the order of its numbers, to print and bind."""
    form, filters = _register_filter(request)
    lines = list(
        list_outgoing_register(request.user, filters, oldest_first=True)[: PRINT_LIMIT + 1]
    )
    context = {
        "form": form,
        "filters": filters,
        "rows": register_rows(lines[:PRINT_LIMIT]),
        "truncated": len(lines) > PRINT_LIMIT,
        "limit": PRINT_LIMIT,
        "query": _query_without_page(request),
    }
    return render(request, "routing/outgoing_list_print.html", context)


@login_required
@require_GET
def issue_queue(request: AuthenticatedHttpRequest) -> HttpResponse:
    if not request.user.is_clerk:
        raise PermissionDenied
    paginator = CappedPaginator(list_issue_queue(request.user), settings.EOFFICE_PAGE_SIZE)
    page = paginator.get_page(request.GET.get("page"))
    context = {"page": page, "query": _query_without_page(request)}
    template = "routing/_issue_queue_table.html" if is_htmx(request) else "routing/issue_queue.html"
    return render(request, template, context)


@login_required
@require_GET
def recipients_block(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    """The "Kính gửi" / "Nơi nhận" block of one outgoing document, ready to print."""
    document = get_document_for_user(request.user, pk)
    if document.direction != Document.Direction.OUTGOING:
        raise Http404
    recipients = list(
        document.recipients.select_related("department", "user").order_by("sort_order", "pk")
    )
    Group = OutgoingRecipient.Group
    drafting = document.drafting_department
    block = build_recipients_block(
        document.doc_type.code,
        to_execute=[r.label for r in recipients if r.group == Group.EXECUTE],
        to_inform=[r.label for r in recipients if r.group == Group.INFORM],
        drafting_unit=drafting.short_code if drafting is not None else "",
        to_file=[
            r.department.short_code
            for r in recipients
            if r.group == Group.FILE and r.department is not None
        ],
    )
    context = {"document": document, "block": block, "agency": Agency.objects.first()}
    return render(request, "routing/outgoing_recipients_block.html", context)

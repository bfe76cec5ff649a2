"""The notice list, marking notices read, and the fragments the live client fetches."""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_GET, require_POST

from eoffice.http import AuthenticatedHttpRequest
from realtime import services
from realtime.models import Notice
from realtime.selectors import count_unread_notices, list_notices


@login_required
@require_GET
def notice_list(request: AuthenticatedHttpRequest) -> HttpResponse:
    paginator = Paginator(list_notices(request.user), settings.EOFFICE_PAGE_SIZE)
    page = paginator.get_page(request.GET.get("page"))
    return render(request, "realtime/notice_list.html", {"page": page})


@login_required
@require_POST
def mark_all_read(request: AuthenticatedHttpRequest) -> HttpResponse:
    services.mark_read(request.user)
    return redirect("notice-list")


@login_required
@require_POST
def open_notice(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    """Mark one notice read and go to what it is about."""
    notice = _get_notice(request, pk)
    services.mark_read(request.user, [notice.pk])
    if notice.document_id:
        document = notice.document
        if document is not None and document.direction == document.Direction.OUTGOING:
            return redirect("outgoing-detail", pk=notice.document_id)
        return redirect("incoming-detail", pk=notice.document_id)
    export_job_id = notice.data.get("export_job_id")
    if isinstance(export_job_id, int):  # a register export: its page (404 once deleted)
        return redirect("export-job", pk=export_job_id)
    conversation_id, seq = notice.data.get("conversation_id"), notice.data.get("seq")
    if isinstance(conversation_id, int):
        # A mention: the conversation, ending at the message (404 if no longer a member).
        target = reverse("conversation-detail", args=[conversation_id])
        if isinstance(seq, int):
            target += f"?before={seq + 1}#message-{notice.data.get('message_id')}"
        return redirect(target)
    target = request.POST.get("next", "")
    if target and url_has_allowed_host_and_scheme(target, {request.get_host()}):
        return redirect(target)
    return redirect("notice-list")


@login_required
@require_GET
def notice_toast(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    """The text of one notice, rendered for its recipient only (the socket carries ids)."""
    notice = _get_notice(request, pk)
    return render(request, "realtime/_toast.html", {"notice": notice})


@login_required
@require_GET
def unread_count(request: AuthenticatedHttpRequest) -> JsonResponse:
    return JsonResponse({"unread": count_unread_notices(request.user)})


def _get_notice(request: AuthenticatedHttpRequest, pk: int) -> Notice:
    try:
        return list_notices(request.user).get(pk=pk)
    except Notice.DoesNotExist as exc:
        raise Http404 from exc

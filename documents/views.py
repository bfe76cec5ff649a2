"""Registering incoming documents and serving their files."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.clickjacking import xframe_options_sameorigin
from django.views.decorators.http import require_GET, require_http_methods

from documents.downloads import stored_file_response
from documents.forms import IncomingRegistrationForm
from documents.models import Attachment
from documents.permissions import get_document_for_user, visible_documents
from documents.services import (
    DocumentError,
    IncomingData,
    PossibleDuplicate,
    find_possible_duplicates,
    record_download,
    register_incoming,
)
from eoffice.http import AuthenticatedHttpRequest


@login_required
@require_http_methods(["GET", "POST"])
def register_incoming_view(request: AuthenticatedHttpRequest) -> HttpResponse:
    if not request.user.is_clerk:
        raise PermissionDenied
    form = IncomingRegistrationForm(request.POST or None, request.FILES or None)
    duplicates: list = []
    visible_ids: set[int] = set()
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        incoming = IncomingData(
            sender_name=data["sender_name"],
            number_symbol=data["number_symbol"],
            issued_on=data["issued_on"],
            doc_type=data["doc_type"],
            summary=data["summary"],
            received_at=data["received_at"],
            signer_name=data["signer_name"],
            urgency=data["urgency"],
            secrecy=data["secrecy"],
            page_count=data["page_count"],
            deadline=data["deadline"],
            receipt_method=data["receipt_method"],
            notes=data["notes"],
        )
        try:
            document = register_incoming(
                request.user, incoming, data["files"], confirm_duplicate=data["confirm_duplicate"]
            )
        except PossibleDuplicate as duplicate:
            duplicates = duplicate.existing
            visible_ids = _visible_ids(request.user, duplicates)
            form.add_error(
                "confirm_duplicate",
                _(
                    "A document with the same issuing body, number/symbol and date is already "
                    "in the register. Check it; to register this one anyway, tick the box and "
                    "choose the files again."
                ),
            )
        except DocumentError as error:
            form.add_error(None, str(error))
        else:
            messages.success(
                request,
                _("Registered as incoming document number %(number)s.")
                % {"number": document.register_number_display},
            )
            return redirect("incoming-detail", pk=document.pk)
    status = 400 if request.method == "POST" else 200
    return render(
        request,
        "documents/register_incoming.html",
        {
            "form": form,
            "duplicates": duplicates,
            "visible_ids": visible_ids,
            "previous_files": [f.name for f in request.FILES.getlist("files")],
        },
        status=status,
    )


@login_required
@require_GET
def duplicate_check(request: AuthenticatedHttpRequest) -> HttpResponse:
    """HTMX: warns while the clerk types, before the form is sent."""
    if not request.user.is_clerk:
        raise PermissionDenied
    form = IncomingRegistrationForm(request.GET)
    form.is_valid()
    data = form.cleaned_data
    duplicates = []
    if data.get("sender_name") and data.get("number_symbol") and data.get("issued_on"):
        duplicates = find_possible_duplicates(
            data["sender_name"], data["number_symbol"], data["issued_on"]
        )
    return render(
        request,
        "documents/_duplicates.html",
        {"duplicates": duplicates, "visible_ids": _visible_ids(request.user, duplicates)},
    )


def _visible_ids(user, documents) -> set[int]:
    """A possible duplicate the clerk may not open is announced without its details."""
    return set(
        visible_documents(user)
        .filter(pk__in=[d.pk for d in documents])
        .values_list("pk", flat=True)
    )


@login_required
@require_GET
@xframe_options_sameorigin
def download_attachment(
    request: AuthenticatedHttpRequest, pk: int, attachment_pk: int
) -> FileResponse:
    document = get_document_for_user(request.user, pk)
    try:
        attachment = document.attachments.get(pk=attachment_pk)
    except Attachment.DoesNotExist as exc:
        raise Http404 from exc
    inline = attachment.is_pdf and request.GET.get("download") != "1"
    # The preview on the document page is part of reading it; opening or saving the file is
    # a download and goes into the history.
    if request.GET.get("preview") != "1":
        record_download(document, request.user, attachment)
    return stored_file_response(
        attachment.file,
        filename=attachment.original_name,
        content_type=attachment.content_type,
        inline=inline,
    )

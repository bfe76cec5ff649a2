"""The "Xuất sổ" page: a register of a period downloaded as XLSX, CSV or PDF.

CSV and PDF are streamed while the rows are read. An XLSX of more than
``EOFFICE_EXPORT_INLINE_ROWS`` rows cannot be (openpyxl writes the zip at the end), so it
becomes a background job with a page of its own (``documents.export_jobs``).
"""

from __future__ import annotations

import tempfile
from datetime import date
from typing import Any

from django import forms
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import FileResponse, Http404, HttpResponse, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_GET

from documents.downloads import stored_file_response
from documents.export_jobs import (
    fail_interrupted_jobs,
    get_export_job_for_user,
    get_job_export,
    is_large_export,
    list_recent_export_jobs,
    start_export,
)
from documents.export_models import ExportJob
from documents.exports import (
    ExportFormat,
    RegisterExport,
    can_export_registers,
    in_current_language,
    iter_csv,
    iter_pdf,
    list_export_registers,
    write_xlsx,
)
from documents.forms import DATE_WIDGET
from eoffice.http import AuthenticatedHttpRequest, is_htmx

DATE_INPUTS = ["%Y-%m-%d", "%d/%m/%Y"]
# A register export covers at most this many days: a year and its leap day, with margin.
MAX_PERIOD_DAYS = 400


class RegisterExportForm(forms.Form):
    register = forms.ChoiceField(label=_("Register"))
    date_from = forms.DateField(label=_("From"), widget=DATE_WIDGET, input_formats=DATE_INPUTS)
    date_to = forms.DateField(label=_("To"), widget=DATE_WIDGET, input_formats=DATE_INPUTS)
    format = forms.ChoiceField(
        label=_("Format"), choices=ExportFormat.CHOICES, widget=forms.RadioSelect
    )

    def __init__(self, *args: Any, registers: list[tuple[str, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["register"].choices = registers  # type: ignore[attr-defined]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        start, end = data.get("date_from"), data.get("date_to")
        if start and end:
            if end < start:
                self.add_error("date_to", _("The end of the period comes before its start."))
            elif (end - start).days > MAX_PERIOD_DAYS:
                self.add_error(
                    "date_to", _("Choose a period of at most one year; export years one by one.")
                )
        return data

    def export(self) -> RegisterExport:
        kind, _sep, confidential = self.cleaned_data["register"].partition("_")
        return RegisterExport(
            kind=kind,
            confidential=bool(confidential),
            date_from=self.cleaned_data["date_from"],
            date_to=self.cleaned_data["date_to"],
        )


def _initial() -> dict[str, Any]:
    today = timezone.localdate()
    return {
        "register": "incoming",
        "date_from": date(today.year, today.month, 1),
        "date_to": today,
        "format": ExportFormat.XLSX,
    }


@login_required
@require_GET
def register_export(request: AuthenticatedHttpRequest) -> HttpResponse | StreamingHttpResponse:
    """The form, and the download when it is sent with ``download``.

    Clerks, leaders and department heads only; the rows are those ``visible_documents``
    gives the user, so a department head gets what their department may see.
    """
    user = request.user
    if not can_export_registers(user):
        raise PermissionDenied
    registers = list_export_registers(user)
    if "download" not in request.GET:
        form = RegisterExportForm(initial=_initial(), registers=registers)
        return _render_form(request, form)
    form = RegisterExportForm(request.GET, registers=registers)
    if not form.is_valid():
        return _render_form(request, form, status=400)
    export = form.export()
    fmt = form.cleaned_data["format"]
    if fmt == ExportFormat.XLSX and is_large_export(user, export):
        job = start_export(user, export, fmt)
        return redirect("export-job", pk=job.pk)
    filename = export.filename(fmt)
    content_type = ExportFormat.CONTENT_TYPES[fmt]
    if fmt == ExportFormat.XLSX:
        # openpyxl writes the zip at the end: rows go to a temporary file as they are read,
        # and the file (deleted when closed) is streamed from disk.
        spool = tempfile.TemporaryFile()  # noqa: SIM115 - closed by FileResponse
        write_xlsx(user, export, spool)
        spool.seek(0)
        response: HttpResponse | StreamingHttpResponse = FileResponse(
            spool, as_attachment=True, filename=filename, content_type=content_type
        )
    else:
        body = iter_csv(user, export) if fmt == ExportFormat.CSV else iter_pdf(user, export)
        response = StreamingHttpResponse(in_current_language(body), content_type=content_type)
        response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    return response


def _render_form(
    request: AuthenticatedHttpRequest, form: RegisterExportForm, status: int = 200
) -> HttpResponse:
    fail_interrupted_jobs()
    recent_exports = [(job, get_job_export(job)) for job in list_recent_export_jobs(request.user)]
    context = {"form": form, "recent_exports": recent_exports}
    return render(request, "documents/register_export.html", context, status=status)


# HTMX stops polling an element whose response has this status (and still swaps it).
HTMX_STOP_POLLING = 286


@login_required
@require_GET
def export_job(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    """A background export of the user's: its progress and, once written, the download.

    Polled by HTMX for the status fragment every few seconds until the job is finished;
    without JavaScript the page refreshes itself.
    """
    if not can_export_registers(request.user):
        raise PermissionDenied
    job = get_export_job_for_user(request.user, pk)
    if not job.is_finished and fail_interrupted_jobs():
        job.refresh_from_db()
    context = {"job": job, "export": get_job_export(job)}
    if is_htmx(request):
        status = HTMX_STOP_POLLING if job.is_finished else 200
        return render(request, "documents/_export_job_status.html", context, status=status)
    return render(request, "documents/export_job.html", context)


@login_required
@require_GET
def export_job_download(request: AuthenticatedHttpRequest, pk: int) -> FileResponse:
    """The written workbook, to its owner only (404 for anyone else and until it is done)."""
    if not can_export_registers(request.user):
        raise PermissionDenied
    job = get_export_job_for_user(request.user, pk)
    if job.state != ExportJob.State.DONE or not job.file:
        raise Http404
    try:
        return stored_file_response(
            job.file,
            filename=get_job_export(job).filename(job.format),
            content_type=ExportFormat.CONTENT_TYPES[job.format],
        )
    except FileNotFoundError as exc:
        raise Http404 from exc

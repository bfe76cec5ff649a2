"""The "Xuất sổ" page: a register of a period downloaded as XLSX, CSV or PDF."""

from __future__ import annotations

import tempfile
from datetime import date
from typing import Any

from django import forms
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import FileResponse, HttpResponse, StreamingHttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_GET

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
from eoffice.http import AuthenticatedHttpRequest

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
        return render(request, "documents/register_export.html", {"form": form})
    form = RegisterExportForm(request.GET, registers=registers)
    if not form.is_valid():
        return render(request, "documents/register_export.html", {"form": form}, status=400)
    export = form.export()
    fmt = form.cleaned_data["format"]
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

"""Forms of the documents app: registration of an incoming document and file uploads."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from documents.models import Document, DocumentType, Secrecy, Urgency
from documents.uploads import ACCEPT_ATTRIBUTE, CheckedFile, check_upload


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class CheckedFilesField(forms.FileField):
    """Several files, each checked by content (documents.uploads); cleans to CheckedFiles."""

    widget = MultipleFileInput

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("required", False)
        super().__init__(*args, **kwargs)
        self.widget.attrs.setdefault("accept", ACCEPT_ATTRIBUTE)

    def clean(self, data: Any, initial: Any = None) -> list[CheckedFile]:
        uploads = data if isinstance(data, list | tuple) else ([data] if data else [])
        if self.required and not uploads:
            raise ValidationError(self.error_messages["required"], code="required")
        checked: list[CheckedFile] = []
        errors: list[ValidationError] = []
        for upload in uploads:
            try:
                checked.append(check_upload(upload))
            except ValidationError as error:
                errors.append(error)
        if errors:
            raise ValidationError(errors)
        return checked


DATE_WIDGET = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
DATETIME_WIDGET = forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M")


class IncomingRegistrationForm(forms.Form):
    received_at = forms.DateTimeField(
        label=_("Arrival date"),
        widget=DATETIME_WIDGET,
        input_formats=["%Y-%m-%dT%H:%M", "%d/%m/%Y %H:%M"],
    )
    receipt_method = forms.ChoiceField(
        label=_("Received"),
        choices=Document.ReceiptMethod.choices,
        initial=Document.ReceiptMethod.PAPER,
    )
    sender_name = forms.CharField(label=_("Issuing body"), max_length=255)
    number_symbol = forms.CharField(
        label=_("Number and symbol"), max_length=60, help_text=_("As printed, e.g. 5052/UBND-NC.")
    )
    issued_on = forms.DateField(
        label=_("Document date"), widget=DATE_WIDGET, input_formats=["%Y-%m-%d", "%d/%m/%Y"]
    )
    doc_type = forms.ModelChoiceField(
        label=_("Document type"),
        queryset=DocumentType.objects.filter(is_active=True),
        empty_label="—",
    )
    summary = forms.CharField(
        label=_("Summary"), max_length=1000, widget=forms.Textarea(attrs={"rows": 3})
    )
    signer_name = forms.CharField(label=_("Signer"), max_length=150, required=False)
    urgency = forms.TypedChoiceField(
        label=_("Urgency"), choices=Urgency.choices, coerce=int, initial=Urgency.NORMAL
    )
    secrecy = forms.TypedChoiceField(
        label=_("Confidentiality"), choices=Secrecy.choices, coerce=int, initial=Secrecy.NONE
    )
    page_count = forms.IntegerField(
        label=_("Page count"), min_value=1, max_value=100000, required=False
    )
    deadline = forms.DateField(
        label=_("Handling deadline"),
        required=False,
        widget=DATE_WIDGET,
        input_formats=["%Y-%m-%d", "%d/%m/%Y"],
    )
    notes = forms.CharField(
        label=_("Notes"), required=False, max_length=2000, widget=forms.Textarea(attrs={"rows": 2})
    )
    # A declared field (the form's metaclass takes it out of the class), not BaseForm.files.
    files = CheckedFilesField(label=_("Attachments"))  # type: ignore[assignment]
    confirm_duplicate = forms.BooleanField(
        label=_("I have checked: this is a different document, register it anyway"),
        required=False,
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if not self.is_bound:
            self.initial.setdefault(
                "received_at", timezone.localtime().replace(second=0, microsecond=0)
            )

    def clean_received_at(self):
        value = self.cleaned_data["received_at"]
        if value > timezone.now() + timedelta(minutes=5):
            raise ValidationError(_("The arrival date cannot be in the future."))
        return value

    def clean(self) -> dict[str, Any]:
        super().clean()
        data = self.cleaned_data  # what Form.clean() returns (the stubs allow None)
        issued_on, received_at = data.get("issued_on"), data.get("received_at")
        if issued_on and received_at and issued_on > timezone.localdate(received_at):
            self.add_error("issued_on", _("The document date cannot be after the arrival date."))
        deadline = data.get("deadline")
        if deadline and received_at and deadline < timezone.localdate(received_at):
            self.add_error("deadline", _("The deadline cannot be before the arrival date."))
        return data

"""Forms of the outgoing lists: filters, reserved numbers and absences."""

from __future__ import annotations

from typing import Any, cast

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from documents.forms import DATE_WIDGET
from documents.models import Document, DocumentType, Register
from eoffice.models import Department, User
from eoffice.widgets import NameChoiceField
from routing.approval_models import Delegation
from routing.forms import DATE_INPUTS, UserTitleChoiceField
from routing.outgoing_selectors import Signature

# The states a draft passes through, as its drafter filters them.
DRAFT_STATES = [
    Document.State.DRAFT,
    Document.State.IN_REVIEW,
    Document.State.AWAITING_SIGNATURE,
    Document.State.REVISION,
    Document.State.SIGNED,
    Document.State.ISSUED,
    Document.State.WITHDRAWN,
    Document.State.ABANDONED,
]


class DraftFilterForm(forms.Form):
    state = forms.ChoiceField(label=_("State"), required=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        cast(forms.ChoiceField, self.fields["state"]).choices = [
            ("", _("All")),
            *[(s.value, s.label) for s in DRAFT_STATES],
        ]


class OutgoingFilterForm(forms.Form):
    q = forms.CharField(label=_("Search"), required=False, max_length=200)
    year = forms.TypedChoiceField(label=_("Year"), required=False, coerce=int, empty_value=None)
    register = forms.ModelChoiceField(
        label=_("Register"), required=False, queryset=Register.objects.none()
    )
    doc_type = NameChoiceField(
        label=_("Document type"), required=False, queryset=DocumentType.objects.all()
    )
    date_from = forms.DateField(
        label=_("Dated from"), required=False, widget=DATE_WIDGET, input_formats=DATE_INPUTS
    )
    date_to = forms.DateField(
        label=_("to"), required=False, widget=DATE_WIDGET, input_formats=DATE_INPUTS
    )
    department = NameChoiceField(
        label=_("Drafting department"),
        required=False,
        queryset=Department.objects.filter(is_active=True),
    )
    signature = forms.ChoiceField(
        label=_("Signature"), required=False, choices=[("", _("All")), *Signature.choices]
    )

    def __init__(self, *args: Any, registers: Any = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        register_field = cast(forms.ModelChoiceField, self.fields["register"])
        if registers is not None:
            register_field.queryset = registers
        this_year = timezone.localdate().year
        cast(forms.ChoiceField, self.fields["year"]).choices = [
            ("", _("All")),
            *[(y, str(y)) for y in range(this_year, this_year - 10, -1)],
        ]
        for name in ("register", "doc_type", "department"):
            cast(forms.ModelChoiceField, self.fields[name]).empty_label = _("All")


class ReserveNumberForm(forms.Form):
    doc_type = forms.ModelChoiceField(
        label=_("Document type"), queryset=DocumentType.objects.filter(is_active=True)
    )
    confidential = forms.BooleanField(
        label=_("Confidential series"),
        required=False,
        help_text=_("Confidential documents are numbered in their own series."),
    )
    purpose = forms.CharField(
        label=_("Reserved for"),
        max_length=500,
        help_text=_("The document signed on paper that will take this number."),
    )


class ReleaseNumberForm(forms.Form):
    reservation = forms.IntegerField(widget=forms.HiddenInput)
    reason = forms.CharField(
        label=_("Reason for releasing"),
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}),
    )


class AbsenceForm(forms.Form):
    deputy = UserTitleChoiceField(label=_("Deputy"), queryset=User.objects.none(), empty_label="—")
    starts_on = forms.DateField(label=_("From"), widget=DATE_WIDGET, input_formats=DATE_INPUTS)
    ends_on = forms.DateField(label=_("Until"), widget=DATE_WIDGET, input_formats=DATE_INPUTS)
    capacity = forms.ChoiceField(
        label=_("Signing capacity"), choices=Delegation.Capacity.choices, initial="KT"
    )
    reference = forms.CharField(
        label=_("Written authorisation"),
        required=False,
        max_length=100,
        help_text=_("Number and symbol of the authorisation letter; required for TUQ."),
    )
    reason = forms.CharField(label=_("Reason"), required=False, max_length=300)
    doc_types = forms.ModelMultipleChoiceField(
        label=_("For document types"),
        queryset=DocumentType.objects.filter(is_active=True),
        required=False,
        help_text=_("The types a TUQ. authorisation covers; none chosen: every type."),
    )

    def __init__(self, *args: Any, user: User, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        cast(UserTitleChoiceField, self.fields["deputy"]).queryset = (
            User.objects.filter(is_active=True)
            .exclude(pk=user.pk)
            .select_related("position")
            .order_by("position__rank", "full_name")
        )

    def clean(self) -> dict[str, Any]:
        super().clean()
        data = self.cleaned_data
        starts, ends = data.get("starts_on"), data.get("ends_on")
        if starts and ends and ends < starts:
            self.add_error("ends_on", _("The absence must end on or after the day it starts."))
        if data.get("capacity") == Delegation.Capacity.TUQ and not data.get("reference", ""):
            self.add_error(
                "reference",
                _("An authorisation (TUQ.) must be given in writing: enter its number and symbol."),
            )
        return data


class CancelAbsenceForm(forms.Form):
    delegation = forms.IntegerField(widget=forms.HiddenInput)

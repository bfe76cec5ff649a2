"""Forms for the actions on an incoming document's route."""

from __future__ import annotations

from typing import Any, cast

from django import forms
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from documents.forms import DATE_WIDGET, CheckedFilesField
from documents.models import Document, DocumentType, Secrecy, Urgency
from eoffice.models import Department, User
from eoffice.widgets import FastSelect, FastSelectMultiple, NameChoiceField
from routing.calendar import add_working_days
from routing.handling import Handling
from routing.services import Target

DATE_INPUTS = ["%Y-%m-%d", "%d/%m/%Y"]
REGISTER_SORTS = [
    ("", _("Newest arrivals first")),
    ("received", _("Oldest arrivals first")),
    ("deadline", _("Nearest deadline first")),
    ("number", _("Arrival number")),
]


class UserTitleChoiceField(forms.ModelChoiceField):
    """People shown by name and position (``User.title``)."""

    def label_from_instance(self, obj: User) -> str:
        return obj.title


class ActionForm(forms.Form):
    """Every action names the version of the document the user saw."""

    version = forms.IntegerField(widget=forms.HiddenInput, required=False)


class ReasonForm(ActionForm):
    reason = forms.CharField(
        label=_("Reason"), max_length=2000, widget=forms.Textarea(attrs={"rows": 2})
    )


class ReopenForm(ReasonForm):
    deadline = forms.DateField(
        label=_("New handling deadline"),
        required=False,
        widget=DATE_WIDGET,
        input_formats=DATE_INPUTS,
    )


class SubmitForm(ActionForm):
    leader = UserTitleChoiceField(label=_("Leader"), queryset=User.objects.none(), empty_label="—")
    note = forms.CharField(
        label=_("Note for the leader"),
        required=False,
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 2}),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        leader = cast(UserTitleChoiceField, self.fields["leader"])
        leader.queryset = (
            User.objects.filter(is_active=True, roles__code="leader")
            .select_related("position")
            .order_by("position__rank", "full_name")
        )


def target_choices() -> list[tuple[str, list[tuple[str, str]]]]:
    departments = [(f"d:{d.pk}", d.name) for d in Department.objects.filter(is_active=True)]
    people = [
        (
            f"u:{u.pk}",
            " — ".join(str(part) for part in (u.full_name, u.position, u.department) if part),
        )
        for u in User.objects.filter(is_active=True)
        .select_related("position", "department")
        .order_by("department__sort_order", "position__rank", "full_name")
    ]
    return [(str(_("Departments")), departments), (str(_("People")), people)]


def submitted_targets(values: list[str]) -> dict[str, Target]:
    """The active people and departments among submitted "u:<id>"/"d:<id>" values."""
    user_ids: set[int] = set()
    department_ids: set[int] = set()
    for value in values:
        kind, _sep, raw_pk = value.partition(":")
        if not (raw_pk.isascii() and raw_pk.isdigit() and len(raw_pk) < 19):
            continue
        if kind == "u":
            user_ids.add(int(raw_pk))
        elif kind == "d":
            department_ids.add(int(raw_pk))
    targets: dict[str, Target] = {}
    if user_ids:
        for user in User.objects.filter(pk__in=user_ids, is_active=True).select_related(
            "position", "department"
        ):
            targets[f"u:{user.pk}"] = Target(user=user)
    if department_ids:
        for department in Department.objects.filter(pk__in=department_ids, is_active=True):
            targets[f"d:{department.pk}"] = Target(department=department)
    return targets


class DirectionForm(ActionForm):
    text = forms.CharField(
        label=_("Direction"), max_length=4000, widget=forms.Textarea(attrs={"rows": 3})
    )
    lead = forms.ChoiceField(label=_("Lead"), widget=FastSelect)
    coordinators = forms.MultipleChoiceField(
        label=_("Coordinating"), required=False, widget=FastSelectMultiple(attrs={"size": 6})
    )
    informed = forms.MultipleChoiceField(
        label=_("For information"), required=False, widget=FastSelectMultiple(attrs={"size": 6})
    )
    deadline = forms.DateField(
        label=_("Handling deadline"), required=False, widget=DATE_WIDGET, input_formats=DATE_INPUTS
    )
    working_days = forms.IntegerField(
        label=_("or within working days"),
        required=False,
        min_value=1,
        max_value=365,
        help_text=_("Counted on the agency's working calendar, without weekends and holidays."),
    )

    TARGET_FIELDS = ("lead", "coordinators", "informed")

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # A submitted form checks only the ids it names (two queries), not the whole
        # directory: listing every person of a large agency cost most of a direction.
        self._targets: dict[str, Target] = {}
        if self.is_bound:
            self._targets = submitted_targets(self._submitted_values())
            self._set_target_choices(
                [("", [(value, str(target)) for value, target in self._targets.items()])]
            )
        else:
            self._set_target_choices(target_choices())

    def _submitted_values(self) -> list[str]:
        values: list[str] = []
        for name in self.TARGET_FIELDS:
            widget = self.fields[name].widget
            raw = widget.value_from_datadict(self.data, self.files, self.add_prefix(name))
            if isinstance(raw, list | tuple):
                values.extend(str(v) for v in raw)
            elif raw:
                values.append(str(raw))
        return values

    def _set_target_choices(self, choices: list[tuple[str, list[tuple[str, str]]]]) -> None:
        cast(forms.ChoiceField, self.fields["lead"]).choices = [("", "—"), *choices]
        cast(forms.ChoiceField, self.fields["coordinators"]).choices = choices
        cast(forms.ChoiceField, self.fields["informed"]).choices = choices

    def full_clean(self) -> None:
        super().full_clean()
        if self.is_bound and self.errors:
            # Shown again with its errors: the lists must offer everyone.
            self._set_target_choices(target_choices())

    def clean(self) -> dict[str, Any]:
        super().clean()
        data = self.cleaned_data  # what Form.clean() returns (the stubs allow None)
        if data.get("deadline") and data.get("working_days"):
            self.add_error(
                "working_days", _("Give either a date or a number of working days, not both.")
            )
        elif data.get("working_days"):
            data["deadline"] = add_working_days(timezone.localdate(), data["working_days"])
        if data.get("deadline") and data["deadline"] < timezone.localdate():
            self.add_error("deadline", _("The handling deadline cannot be in the past."))
        chosen = [data.get("lead"), *data.get("coordinators", []), *data.get("informed", [])]
        chosen = [c for c in chosen if c]
        if len(set(chosen)) != len(chosen):
            raise ValidationError(_("Each person or department can hold only one role."))
        # The choices held only valid targets, so every chosen value is one of them.
        if data.get("lead"):
            data["lead_target"] = self._targets[data["lead"]]
        data["coordinator_targets"] = [self._targets[v] for v in data.get("coordinators", [])]
        data["informed_targets"] = [self._targets[v] for v in data.get("informed", [])]
        return data


class PassOnForm(ActionForm):
    assignment = forms.IntegerField(widget=forms.HiddenInput)
    specialist = UserTitleChoiceField(
        label=_("Specialist"), queryset=User.objects.none(), empty_label="—"
    )
    deadline = forms.DateField(
        label=_("Handling deadline"), required=False, widget=DATE_WIDGET, input_formats=DATE_INPUTS
    )
    note = forms.CharField(
        label=_("Instruction"),
        required=False,
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 2}),
    )

    def __init__(self, *args: Any, head: User, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        specialist = cast(UserTitleChoiceField, self.fields["specialist"])
        specialist.queryset = (
            # For a head without a department this is department_id=None (IS NULL), a lookup
            # Django accepts and the django-stubs plugin rejects.
            User.objects.filter(department_id=head.department_id, is_active=True)  # type: ignore[misc]
            .exclude(pk=head.pk)
            .select_related("position")
            .order_by("position__rank", "full_name")
        )


class CompleteForm(ActionForm):
    result = forms.CharField(
        label=_("Handling result"), max_length=4000, widget=forms.Textarea(attrs={"rows": 3})
    )
    reply_number_symbol = forms.CharField(
        label=_("Number and symbol of the reply"), required=False, max_length=60
    )
    # A declared field (the form's metaclass takes it out of the class), not BaseForm.files.
    files = CheckedFilesField(label=_("Report or reply file"))  # type: ignore[assignment]


class CompletePartForm(ActionForm):
    assignment = forms.IntegerField(widget=forms.HiddenInput)
    result = forms.CharField(
        label=_("Your contribution"), max_length=4000, widget=forms.Textarea(attrs={"rows": 2})
    )


class ExtensionRequestForm(ActionForm):
    assignment = forms.IntegerField(widget=forms.HiddenInput)
    requested_deadline = forms.DateField(
        label=_("New deadline"), widget=DATE_WIDGET, input_formats=DATE_INPUTS
    )
    reason = forms.CharField(
        label=_("Reason"), max_length=2000, widget=forms.Textarea(attrs={"rows": 2})
    )


class ExtensionDecisionForm(ActionForm):
    extension = forms.IntegerField(widget=forms.HiddenInput)
    decision = forms.ChoiceField(
        choices=[("grant", _("Grant")), ("refuse", _("Refuse"))], widget=forms.HiddenInput
    )
    note = forms.CharField(
        label=_("Answer"), required=False, max_length=1000, widget=forms.Textarea(attrs={"rows": 2})
    )


class CommentForm(forms.Form):
    text = forms.CharField(
        label=_("Comment"), max_length=4000, widget=forms.Textarea(attrs={"rows": 2})
    )


class RegisterFilterForm(forms.Form):
    q = forms.CharField(label=_("Search"), required=False, max_length=200)
    date_from = forms.DateField(
        label=_("Arrived from"), required=False, widget=DATE_WIDGET, input_formats=DATE_INPUTS
    )
    date_to = forms.DateField(
        label=_("to"), required=False, widget=DATE_WIDGET, input_formats=DATE_INPUTS
    )
    doc_type = NameChoiceField(
        label=_("Document type"), required=False, queryset=DocumentType.objects.all()
    )
    urgency = forms.TypedChoiceField(
        label=_("Urgency"), required=False, coerce=int, empty_value=None, widget=FastSelect
    )
    secrecy = forms.TypedChoiceField(
        label=_("Confidentiality"), required=False, coerce=int, empty_value=None, widget=FastSelect
    )
    sender = forms.CharField(label=_("Issuing body"), required=False, max_length=200)
    state = forms.ChoiceField(label=_("State"), required=False, widget=FastSelect)
    department = NameChoiceField(
        label=_("Department"), required=False, queryset=Department.objects.filter(is_active=True)
    )
    handling = forms.ChoiceField(
        label=_("Handling state"),
        required=False,
        choices=[("", _("All")), *Handling.choices],
        widget=FastSelect,
    )
    lead_department = NameChoiceField(
        label=_("Lead department"),
        required=False,
        queryset=Department.objects.filter(is_active=True),
    )
    # Set by the dashboard's links (one person of ten thousand: no select box for it).
    lead_user = forms.ModelChoiceField(
        label=_("Lead handler"),
        required=False,
        queryset=User.objects.select_related("position"),
        widget=forms.HiddenInput,
    )
    receipt_method = forms.ChoiceField(
        label=_("Received"),
        required=False,
        choices=[("", _("All")), *Document.ReceiptMethod.choices],
        widget=FastSelect,
    )
    sort = forms.ChoiceField(
        label=_("Sort by"), required=False, choices=REGISTER_SORTS, widget=FastSelect
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        cast(forms.ChoiceField, self.fields["urgency"]).choices = [("", _("All")), *Urgency.choices]
        cast(forms.ChoiceField, self.fields["secrecy"]).choices = [("", _("All")), *Secrecy.choices]
        cast(forms.ChoiceField, self.fields["state"]).choices = [
            ("", _("All")),
            *Document.State.choices,
        ]
        for name in ("doc_type", "department", "lead_department"):
            cast(forms.ModelChoiceField, self.fields[name]).empty_label = _("All")

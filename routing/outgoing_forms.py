"""Forms of an outgoing document's pages: writing a draft and every move along its chain."""

from __future__ import annotations

import re
from typing import Any, cast

from django import forms
from django.core.exceptions import ValidationError
from django.db.models import Q, QuerySet
from django.utils.translation import gettext_lazy as _

from documents.drafts import DraftData, RecipientLine
from documents.forms import CheckedFilesField
from documents.models import (
    Document,
    DocumentType,
    NumberReservation,
    OutgoingRecipient,
    Secrecy,
    Urgency,
)
from documents.permissions import visible_documents
from documents.text import nfc
from eoffice.models import Department, Role, User
from routing.approval_models import ApprovalStep, ChainTemplate
from routing.forms import ActionForm, UserTitleChoiceField

Group = OutgoingRecipient.Group
# Mã định danh of QCVN 102:2016, e.g. 000.00.12.H49 (eoffice.models.organ_id_validator).
ORGAN_CODE = re.compile(r"^[A-Z0-9]{3}\.[A-Z0-9]{2}\.[A-Z0-9]{2}\.[A-Z][0-9]{2}$")
RECIPIENT_GROUPS = (
    (Group.EXECUTE, _("To execute")),
    (Group.INFORM, _("To inform")),
    (Group.FILE, _("To file")),
)
MAX_EXTERNAL_LINES = 200


class UserTitleMultipleChoiceField(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj: User) -> str:
        return obj.title


def signer_queryset() -> QuerySet[User]:
    """Who may be proposed as signer: leaders and department heads."""
    return (
        User.objects.filter(
            is_active=True, roles__code__in=[Role.Code.LEADER, Role.Code.DEPARTMENT_HEAD]
        )
        .distinct()
        .select_related("position")
        .order_by("position__rank", "full_name")
    )


def people_queryset() -> QuerySet[User]:
    return (
        User.objects.filter(is_active=True)
        .select_related("position")
        .order_by("department__sort_order", "position__rank", "full_name")
    )


def parse_external_lines(text: str) -> list[tuple[str, str]]:
    """ "Tên cơ quan | mã định danh" per line; the code may be left out."""
    agencies: list[tuple[str, str]] = []
    errors: list[ValidationError] = []
    lines = [line.strip() for line in nfc(text).splitlines() if line.strip()]
    if len(lines) > MAX_EXTERNAL_LINES:
        raise ValidationError(
            _("List at most %(count)d agencies here.") % {"count": MAX_EXTERNAL_LINES}
        )
    for number, line in enumerate(lines, start=1):
        name, _sep, code = (part.strip() for part in line.partition("|"))
        code = code.upper()
        if not name:
            errors.append(
                ValidationError(
                    _("Line %(line)d: write the agency's name before the “|”.") % {"line": number}
                )
            )
        elif len(name) > 200:
            errors.append(
                ValidationError(
                    _("Line %(line)d: the agency's name is too long (at most 200 characters).")
                    % {"line": number}
                )
            )
        elif code and not ORGAN_CODE.match(code):
            errors.append(
                ValidationError(
                    _(
                        "Line %(line)d: “%(code)s” is not an identifier code; it has 13 "
                        "characters, e.g. 000.00.12.H49."
                    )
                    % {"line": number, "code": code}
                )
            )
        else:
            agencies.append((name, code))
    if errors:
        raise ValidationError(errors)
    return agencies


def external_lines_text(recipients: list[OutgoingRecipient], group: str) -> str:
    return "\n".join(
        f"{r.external_name} | {r.external_code}" if r.external_code else r.external_name
        for r in recipients
        if r.group == group and not r.is_internal
    )


class DraftForm(forms.Form):
    """What a draft says and to whom it goes (the files are in ``NewDraftForm``)."""

    doc_type = forms.ModelChoiceField(
        label=_("Document type"),
        queryset=DocumentType.objects.filter(is_active=True),
        empty_label="—",
    )
    summary = forms.CharField(
        label=_("Summary"), max_length=1000, widget=forms.Textarea(attrs={"rows": 3})
    )
    urgency = forms.TypedChoiceField(
        label=_("Urgency"), choices=Urgency.choices, coerce=int, initial=Urgency.NORMAL
    )
    secrecy = forms.TypedChoiceField(
        label=_("Confidentiality"), choices=Secrecy.choices, coerce=int, initial=Secrecy.NONE
    )
    proposed_signer = UserTitleChoiceField(
        label=_("Signer"), queryset=User.objects.none(), empty_label="—"
    )
    in_reply_to = forms.IntegerField(widget=forms.HiddenInput, required=False)
    notes = forms.CharField(
        label=_("Notes"), required=False, max_length=2000, widget=forms.Textarea(attrs={"rows": 2})
    )

    def __init__(self, *args: Any, user: User, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.user = user
        cast(UserTitleChoiceField, self.fields["proposed_signer"]).queryset = signer_queryset()
        departments = Department.objects.filter(is_active=True)
        for group, _label in RECIPIENT_GROUPS:
            self.fields[f"{group}_departments"] = forms.ModelMultipleChoiceField(
                label=_("Departments"),
                required=False,
                queryset=departments,
                widget=forms.SelectMultiple(attrs={"size": 5}),
            )
            self.fields[f"{group}_people"] = UserTitleMultipleChoiceField(
                label=_("People"),
                required=False,
                queryset=people_queryset(),
                widget=forms.SelectMultiple(attrs={"size": 5}),
            )
            self.fields[f"{group}_external"] = forms.CharField(
                label=_("Outside agencies"),
                required=False,
                max_length=20000,
                widget=forms.Textarea(attrs={"rows": 2}),
                help_text=_("One per line: “Agency name | identifier code”."),
            )

    @property
    def recipient_groups(self) -> list[dict[str, Any]]:
        return [
            {
                "label": label,
                "departments": self[f"{group}_departments"],
                "people": self[f"{group}_people"],
                "external": self[f"{group}_external"],
            }
            for group, label in RECIPIENT_GROUPS
        ]

    def clean_in_reply_to(self) -> Document | None:
        pk = self.cleaned_data.get("in_reply_to")
        if pk is None:
            return None
        found = (
            visible_documents(self.user)
            .filter(pk=pk, direction=Document.Direction.INCOMING)
            .select_related("doc_type")
            .first()
        )
        if found is None:
            raise ValidationError(_("This incoming document cannot be answered here."))
        return found

    def clean(self) -> dict[str, Any]:
        super().clean()
        data = self.cleaned_data
        lines: list[RecipientLine] = []
        for group, _label in RECIPIENT_GROUPS:
            for department in data.get(f"{group}_departments") or []:
                lines.append(RecipientLine(group, department=department))
            for person in data.get(f"{group}_people") or []:
                lines.append(RecipientLine(group, user=person))
            name = f"{group}_external"
            if name in data:
                try:
                    agencies = parse_external_lines(data[name])
                except ValidationError as error:
                    self.add_error(name, error)
                    agencies = []
                for agency_name, code in agencies:
                    lines.append(
                        RecipientLine(group, external_name=agency_name, external_code=code)
                    )
        data["recipients"] = lines
        return data

    def draft_data(self) -> DraftData:
        data = self.cleaned_data
        return DraftData(
            doc_type=data["doc_type"],
            summary=data["summary"],
            urgency=data["urgency"],
            secrecy=data["secrecy"],
            proposed_signer=data["proposed_signer"],
            in_reply_to=data["in_reply_to"],
            notes=data["notes"],
            recipients=data["recipients"],
        )

    @classmethod
    def initial_for(cls, document: Document) -> dict[str, Any]:
        recipients = list(document.recipients.all())
        initial: dict[str, Any] = {
            "doc_type": document.doc_type_id,
            "summary": document.summary,
            "urgency": document.urgency,
            "secrecy": document.secrecy,
            "proposed_signer": document.proposed_signer_id,
            "in_reply_to": document.in_reply_to_id,
            "notes": document.notes,
            "version": document.version,
        }
        for group, _label in RECIPIENT_GROUPS:
            initial[f"{group}_departments"] = [
                r.department_id for r in recipients if r.group == group and r.department_id
            ]
            initial[f"{group}_people"] = [
                r.user_id for r in recipients if r.group == group and r.user_id
            ]
            initial[f"{group}_external"] = external_lines_text(recipients, group)
        return initial


class NewDraftForm(DraftForm):
    # Declared fields (the form's metaclass takes them out of the class), not BaseForm.files.
    files = CheckedFilesField(label=_("File of the draft"), required=True)  # type: ignore[assignment]
    appendices = CheckedFilesField(label=_("Appendices"))


class EditDraftForm(DraftForm):
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)


# --- actions on the document page ------------------------------------------------------------


class NewVersionForm(ActionForm):
    files = CheckedFilesField(label=_("File of the draft"), required=True)  # type: ignore[assignment]
    appendices = CheckedFilesField(label=_("Appendices"))
    note = forms.CharField(
        label=_("What changed"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}),
    )


class SubmitDraftForm(ActionForm):
    """Submission under one template: its optional steps may be left out and reviewers
    added, when the template allows adjusting."""

    template = forms.IntegerField(widget=forms.HiddenInput)
    skip = forms.TypedMultipleChoiceField(
        label=_("Leave out these optional steps"),
        required=False,
        coerce=int,
        widget=forms.CheckboxSelectMultiple,
    )
    extra_reviewers = UserTitleMultipleChoiceField(
        label=_("Add reviewers before the signing step"),
        required=False,
        queryset=User.objects.none(),
        widget=forms.SelectMultiple(attrs={"size": 4}),
    )
    note = forms.CharField(
        label=_("Note for the approvers"),
        required=False,
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 2}),
    )

    def __init__(
        self, *args: Any, templates: list[ChainTemplate], drafter: User, **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        self.templates = {t.pk: t for t in templates}
        template_pk = self._template_pk()
        template = self.templates.get(template_pk) if template_pk is not None else None
        self.chain_template = template
        skip = cast(forms.ChoiceField, self.fields["skip"])
        if template is not None and template.allow_adjust:
            skip.choices = [(s.order, s.label) for s in template.steps.all() if s.is_optional]
            cast(
                UserTitleMultipleChoiceField, self.fields["extra_reviewers"]
            ).queryset = people_queryset().exclude(pk=drafter.pk)
        else:
            del self.fields["skip"]
            del self.fields["extra_reviewers"]

    def _template_pk(self) -> int | None:
        raw = self.data.get(self.add_prefix("template")) if self.is_bound else None
        raw = raw if raw is not None else self.initial.get("template")
        try:
            return int(str(raw))
        except (TypeError, ValueError):
            return None

    def clean_template(self) -> ChainTemplate:
        template = self.templates.get(self.cleaned_data["template"])
        if template is None:
            raise ValidationError(_("This approval chain does not apply to this draft."))
        return template


class StepCommentForm(ActionForm):
    """Approve or sign off, with an optional comment."""

    comment = forms.CharField(
        label=_("Comment"),
        required=False,
        max_length=4000,
        widget=forms.Textarea(attrs={"rows": 2}),
    )


class ReturnDraftForm(ActionForm):
    comment = forms.CharField(
        label=_("What must be changed"), max_length=4000, widget=forms.Textarea(attrs={"rows": 3})
    )
    to_step = forms.TypedChoiceField(
        label=_("Return to"), required=False, coerce=int, empty_value=None
    )

    def __init__(self, *args: Any, earlier: list[ApprovalStep], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        cast(forms.ChoiceField, self.fields["to_step"]).choices = [
            ("", _("The drafter")),
            *[(s.order, f"{s.order}. {s.label}") for s in earlier],
        ]


class ForwardDraftForm(ActionForm):
    to = UserTitleChoiceField(label=_("Forward to"), queryset=User.objects.none(), empty_label="—")
    reason = forms.CharField(
        label=_("Reason"), max_length=2000, widget=forms.Textarea(attrs={"rows": 2})
    )

    def __init__(self, *args: Any, user: User, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        cast(UserTitleChoiceField, self.fields["to"]).queryset = people_queryset().exclude(
            pk=user.pk
        )


class OptionalReasonForm(ActionForm):
    reason = forms.CharField(
        label=_("Reason"), required=False, max_length=2000, widget=forms.Textarea(attrs={"rows": 2})
    )


class WithdrawForm(ActionForm):
    reason = forms.CharField(
        label=_("Reason for withdrawal"), max_length=2000, widget=forms.Textarea(attrs={"rows": 2})
    )


class ReservationChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: NumberReservation) -> str:
        return f"{obj.number_display} — {obj.register.name} — {obj.purpose}"


class IssueForm(ActionForm):
    files = CheckedFilesField(  # type: ignore[assignment]
        label=_("Issued file"),
        help_text=_("Leave empty to issue the signed version's files."),
    )
    reservation = ReservationChoiceField(
        label=_("Use a reserved number"),
        required=False,
        queryset=NumberReservation.objects.none(),
        empty_label=_("No: take the next number"),
    )
    copies = forms.IntegerField(
        label=_("Number of copies"), required=False, min_value=1, max_value=9999
    )

    def __init__(self, *args: Any, document: Document, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        cast(ReservationChoiceField, self.fields["reservation"]).queryset = (
            NumberReservation.objects.filter(state=NumberReservation.State.RESERVED)
            .filter(Q(register__doc_type__isnull=True) | Q(register__doc_type=document.doc_type_id))
            .filter(register__is_confidential=document.is_confidential)
            .select_related("register")
            .order_by("register__year", "number")
        )
        if not self.is_bound:
            self.initial.setdefault("copies", document.copies)

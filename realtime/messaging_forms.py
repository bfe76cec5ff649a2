"""Forms of the messaging screens; files are checked by content (documents.uploads)."""

from __future__ import annotations

from typing import Any, cast

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from documents.forms import CheckedFilesField
from documents.text import nfc
from eoffice.models import User
from realtime.messaging import MAX_ATTACHMENTS, TITLE_MAX_LENGTH
from realtime.messaging_models import MESSAGE_MAX_LENGTH


class PersonChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: User) -> str:
        if obj.department is not None:
            return f"{obj.get_full_name()} — {obj.department.name}"
        return obj.get_full_name()


class PeopleChoiceField(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj: User) -> str:
        if obj.department is not None:
            return f"{obj.get_full_name()} — {obj.department.name}"
        return obj.get_full_name()


class MessageForm(forms.Form):
    text = forms.CharField(
        label=_("Message"),
        required=False,
        # The limit is checked after NFC normalisation: decomposed input is longer.
        widget=forms.Textarea(attrs={"rows": 3, "maxlength": MESSAGE_MAX_LENGTH}),
        help_text=_(
            "Write @username to mention someone, or a number/symbol such as 5052/STC-QLNS."
        ),
    )
    # A declared field (the form's metaclass takes it out of the class), not BaseForm.files.
    files = CheckedFilesField(label=_("Attachments"))  # type: ignore[assignment]

    def clean_text(self) -> str:
        text = nfc(self.cleaned_data.get("text") or "").strip()
        if len(text) > MESSAGE_MAX_LENGTH:
            raise ValidationError(
                _("A message has at most %(max)d characters; this one has %(length)d.")
                % {"max": MESSAGE_MAX_LENGTH, "length": len(text)}
            )
        return text

    def clean(self) -> dict[str, Any]:
        super().clean()
        data = self.cleaned_data  # what Form.clean() returns (the stubs allow None)
        files = data.get("files") or []
        if len(files) > MAX_ATTACHMENTS:
            self.add_error(
                "files",
                _("Attach at most %(max)d files to one message.") % {"max": MAX_ATTACHMENTS},
            )
        if not (data.get("text") or "").strip() and not files and not self.has_error("files"):
            raise ValidationError(_("Write a message or attach a file."))
        return data


class DirectConversationForm(forms.Form):
    person = PersonChoiceField(label=_("Recipient"), queryset=User.objects.none(), empty_label="—")

    def __init__(self, *args: Any, people: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        cast(PersonChoiceField, self.fields["person"]).queryset = people


class GroupForm(forms.Form):
    title = forms.CharField(label=_("Group name"), max_length=TITLE_MAX_LENGTH)
    members = PeopleChoiceField(
        label=_("Members"),
        queryset=User.objects.none(),
        help_text=_("Hold Ctrl (or Cmd) to choose several people."),
        widget=forms.SelectMultiple(attrs={"size": 8}),
    )

    def __init__(self, *args: Any, people: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        cast(PeopleChoiceField, self.fields["members"]).queryset = people


class AddMembersForm(forms.Form):
    members = PeopleChoiceField(
        label=_("Add members"),
        queryset=User.objects.none(),
        widget=forms.SelectMultiple(attrs={"size": 6}),
    )

    def __init__(self, *args: Any, people: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        cast(PeopleChoiceField, self.fields["members"]).queryset = people


class MessageSearchForm(forms.Form):
    q = forms.CharField(label=_("Search messages"), max_length=200, required=False)

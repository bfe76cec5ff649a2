"""Each person's notice settings (for now: the daily e-mail)."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from eoffice.models import User


class NoticePreferencesForm(forms.ModelForm):
    class Meta:
        model = User
        fields = ["email_notices"]

    def clean_email_notices(self) -> bool:
        wanted = self.cleaned_data["email_notices"]
        if wanted and not self.instance.email:
            raise forms.ValidationError(
                _("Your account has no e-mail address; ask the administrator to add one.")
            )
        return wanted


@login_required
@require_http_methods(["GET", "POST"])
def notice_settings(request: HttpRequest) -> HttpResponse:
    form = NoticePreferencesForm(request.POST or None, instance=request.user)
    if request.method == "POST" and form.is_valid():
        form.save()
        messages.success(request, _("Your notice settings are saved."))
        return redirect("notice-settings")
    return render(
        request,
        "realtime/notice_settings.html",
        {"form": form},
        status=400 if request.method == "POST" else 200,
    )

"""Reports: the overdue list ("Quá hạn") and reminders sent from it."""

from __future__ import annotations

from typing import Any

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_POST

from eoffice.http import AuthenticatedHttpRequest, is_htmx
from eoffice.models import Department
from eoffice.pagination import CappedPaginator
from routing.models import Assignment
from routing.reports import ReminderError, list_overdue, overdue_rows, send_reminder

OVERDUE_SORTS = [
    ("", gettext_lazy("Most days late first")),
    ("late_least", gettext_lazy("Fewest days late first")),
    ("holder", gettext_lazy("Held by")),
    ("department", gettext_lazy("Department")),
    ("since", gettext_lazy("Held since")),
]


class OverdueFilterForm(forms.Form):
    department = forms.ModelChoiceField(
        label=gettext_lazy("Department"),
        required=False,
        queryset=Department.objects.filter(is_active=True),
        empty_label=gettext_lazy("All"),
    )
    sort = forms.ChoiceField(label=gettext_lazy("Sort by"), required=False, choices=OVERDUE_SORTS)


@login_required
@require_GET
def overdue_list(request: AuthenticatedHttpRequest) -> HttpResponse:
    form = OverdueFilterForm(request.GET or None)
    filters: dict[str, Any] = form.cleaned_data if form.is_valid() else {}
    assignments = list_overdue(
        request.user, department=filters.get("department"), sort=filters.get("sort") or ""
    )
    paginator = CappedPaginator(assignments, settings.EOFFICE_PAGE_SIZE)
    page = paginator.get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    context = {
        "form": form,
        "page": page,
        "rows": overdue_rows(list(page.object_list), request.user),
        "query": query.urlencode(),
        "back": request.get_full_path(),
    }
    template = "routing/_overdue_table.html" if is_htmx(request) else "routing/overdue_list.html"
    return render(request, template, context)


@login_required
@require_POST
def overdue_remind(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    try:
        reminded = send_reminder(request.user, pk, message=request.POST.get("message", ""))
    except Assignment.DoesNotExist as exc:
        raise Http404 from exc
    except ReminderError as error:
        messages.error(request, str(error))
    else:
        messages.success(
            request,
            _("Reminder sent to %(names)s.") % {"names": ", ".join(str(u) for u in reminded)},
        )
    back = request.POST.get("next", "")
    if not url_has_allowed_host_and_scheme(
        back, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        back = reverse("overdue-list")
    return HttpResponseRedirect(back)

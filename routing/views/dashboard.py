"""The "Báo cáo" dashboard: how incoming documents are handled, what was issued, for a
period, for the whole agency (leaders) or one department (its head)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, cast

from django import forms
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy
from django.views.decorators.http import require_GET

from documents.forms import DATE_WIDGET
from eoffice.http import AuthenticatedHttpRequest
from eoffice.models import Department
from eoffice.widgets import FastSelect, NameChoiceField
from routing.dashboard import (
    GROUP_SORTS,
    MAX_PERIOD_DAYS,
    Counts,
    PeriodKind,
    build_dashboard,
    can_see_dashboard,
    dashboard_department,
    period_of,
    sort_groups,
)
from routing.dashboard_charts import share_chart, weekly_chart
from routing.forms import DATE_INPUTS
from routing.handling import HANDLING_PARTS, Handling

SORT_CHOICES = [(key, key) for column in GROUP_SORTS for key in (column, f"-{column}")]


class DashboardForm(forms.Form):
    period = forms.ChoiceField(
        label=_("Period"), choices=PeriodKind.choices, required=False, widget=FastSelect
    )
    # The day whose week, month, quarter or year is shown (today when absent).
    on = forms.DateField(required=False, widget=forms.HiddenInput, input_formats=DATE_INPUTS)
    date_from = forms.DateField(
        label=_("From"), required=False, widget=DATE_WIDGET, input_formats=DATE_INPUTS
    )
    date_to = forms.DateField(
        label=_("To"), required=False, widget=DATE_WIDGET, input_formats=DATE_INPUTS
    )
    department = NameChoiceField(
        label=_("Department"), required=False, queryset=Department.objects.filter(is_active=True)
    )
    sort = forms.ChoiceField(required=False, choices=SORT_CHOICES, widget=forms.HiddenInput)

    def __init__(self, *args: Any, leader: bool, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if leader:
            field = cast(forms.ModelChoiceField, self.fields["department"])
            field.empty_label = _("Whole agency")
        else:
            del self.fields["department"]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("period") == PeriodKind.CUSTOM:
            start, end = data.get("date_from"), data.get("date_to")
            if start is None and "date_from" not in self.errors:
                self.add_error("date_from", _("Enter the first day of the period."))
            if end is None and "date_to" not in self.errors:
                self.add_error("date_to", _("Enter the last day of the period."))
            if start and end:
                if end < start:
                    self.add_error("date_to", _("The end of the period comes before its start."))
                elif (end - start).days > MAX_PERIOD_DAYS:
                    self.add_error("date_to", _("Choose a period of at most one year."))
        return data


def _incoming_link(counts: Counts, bucket: str = Handling.RECEIVED, **more: Any) -> str:
    query = {**counts.query, "handling": str(bucket), **more}
    return f"{reverse('incoming-list')}?{urlencode(query)}"


@dataclass
class Cell:
    bucket: str
    label: str
    count: int
    href: str


def _cells(counts: Counts) -> list[Cell]:
    """The received total and its parts, each with the list behind it."""
    return [
        Cell(str(b), str(Handling(b).label), counts.value(b), _incoming_link(counts, b))
        for b in (Handling.RECEIVED, *HANDLING_PARTS)
    ]


def _outgoing_link(query: dict[str, Any], **more: Any) -> str:
    return f"{reverse('outgoing-list')}?{urlencode({**query, **more})}"


@dataclass
class Column:
    label: str
    href: str
    aria_sort: str


def _columns(request: AuthenticatedHttpRequest, current: str, first: str) -> list[Column]:
    """The tables' headers, each a link that sorts by it: figures largest first, names
    A to Z; a second click turns the order round."""
    labels = [
        ("name", first),
        *[(str(b), str(Handling(b).label)) for b in (Handling.RECEIVED, *HANDLING_PARTS)],
        ("share", str(_("On-time share"))),
        ("average", str(_("Average handling time"))),
    ]
    columns = []
    for key, label in labels:
        default = key if key == "name" else f"-{key}"
        query = request.GET.copy()
        query["sort"] = default.lstrip("-") if current == default else default
        if current.lstrip("-") == key:
            aria_sort = "descending" if current.startswith("-") else "ascending"
        else:
            aria_sort = ""
        columns.append(Column(label, f"?{query.urlencode()}", aria_sort))
    return columns


def _drill_down(request: AuthenticatedHttpRequest, department_id: int) -> str:
    """The same dashboard for one department."""
    query = request.GET.copy()
    query.pop("sort", None)
    query["department"] = str(department_id)
    return f"?{query.urlencode()}"


@login_required
@require_GET
def dashboard(request: AuthenticatedHttpRequest) -> HttpResponse:
    user = request.user
    if not can_see_dashboard(user):
        raise PermissionDenied
    query = request.GET.copy()
    query.setdefault("period", PeriodKind.MONTH)  # the form shows what the page shows
    form = DashboardForm(query, leader=user.is_leader)
    today = timezone.localdate()
    data: dict[str, Any] = form.cleaned_data if form.is_valid() else {}
    status = 200 if form.is_valid() else 400
    kind = data.get("period") or PeriodKind.MONTH
    period = period_of(
        kind, data.get("on") or today, start=data.get("date_from"), end=data.get("date_to")
    )
    department = dashboard_department(user, data.get("department"))
    figures = build_dashboard(user, period, department, today=today)
    sort = data.get("sort") or "-overdue"
    context = {
        "form": form,
        "figures": figures,
        "period": period,
        "department": department,
        "totals": _cells(figures.totals.counts),
        "receipt_links": {
            method: _incoming_link(figures.totals.counts, receipt_method=method)
            for method in ("electronic", "paper")
        },
        "departments": [
            (row, _cells(row.counts), _drill_down(request, row.pk))
            for row in sort_groups(figures.departments, sort)
        ],
        "people": [(row, _cells(row.counts), "") for row in sort_groups(figures.people, sort)],
        "department_columns": _columns(request, sort, str(_("Department"))),
        "person_columns": _columns(request, sort, str(pgettext_lazy("report column", "Person"))),
        "weekly": weekly_chart(figures.weeks, _incoming_link),
        "weeks_table": [(w, _cells(w.counts)) for w in figures.weeks if w.counts.received],
        "shares": share_chart(
            figures.departments or figures.people,
            lambda counts: _incoming_link(counts, Handling.ON_TIME),
        ),
        "outgoing_link": _outgoing_link(figures.outgoing.query),
        "outgoing_types": [(row, _outgoing_link(row.query)) for row in figures.outgoing.by_type],
        "signature_links": {
            kind: _outgoing_link(figures.outgoing.query, signature=kind)
            for kind in ("digital", "other")
        },
        "navigation": _navigation(request, period),
    }
    return render(request, "routing/dashboard.html", context, status=status)


def _navigation(request: AuthenticatedHttpRequest, period: Any) -> dict[str, str] | None:
    """Links to the previous and the following week, month, quarter or year."""
    if period.kind == PeriodKind.CUSTOM:
        return None
    links = {}
    for name, other in (("previous", period.previous()), ("following", period.following())):
        query = request.GET.copy()
        query["period"] = period.kind
        query["on"] = other.start.isoformat()
        links[name] = f"?{query.urlencode()}"
        links[f"{name}_label"] = other.label
    return links

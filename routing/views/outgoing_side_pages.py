"""Side pages of the outgoing flow: the clerk's reserved numbers and a leader's absences."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from documents.errors import DocumentError
from documents.models import NumberReservation
from documents.outgoing_numbers import release_number, reserve_number
from eoffice.http import AuthenticatedHttpRequest
from routing.approval_models import Delegation
from routing.approvals import cancel_absence, set_absence
from routing.outgoing_list_forms import (
    AbsenceForm,
    CancelAbsenceForm,
    ReleaseNumberForm,
    ReserveNumberForm,
)
from routing.outgoing_selectors import list_current_absences, list_reservations
from routing.services import RoutingError

# --- Reserved numbers (giữ số) ---------------------------------------------------------------


def _render_reservations(
    request: AuthenticatedHttpRequest,
    *,
    reserve_form: ReserveNumberForm | None = None,
    release_form: ReleaseNumberForm | None = None,
    status: int = 200,
) -> HttpResponse:
    context: dict[str, Any] = {
        "reservations": list_reservations(request.user),
        "reserve_form": reserve_form or ReserveNumberForm(),
        "release_form": release_form,
        "reserved_state": NumberReservation.State.RESERVED,
        # What the clerk typed, so that a refused release keeps it.
        "release_id": release_form.data.get("release-reservation") if release_form else None,
        "release_reason": release_form.data.get("release-reason", "") if release_form else "",
    }
    return render(request, "routing/number_reservations.html", context, status=status)


@login_required
@require_http_methods(["GET", "POST"])
def number_reservations(request: AuthenticatedHttpRequest) -> HttpResponse:
    """Reserve the next number of a series for a document signed on paper, or release one."""
    if not request.user.is_clerk:
        raise PermissionDenied
    if request.method == "GET":
        return _render_reservations(request)
    if request.POST.get("action") == "release":
        release_form = ReleaseNumberForm(request.POST, prefix="release")
        if not release_form.is_valid():
            return _render_reservations(request, release_form=release_form, status=400)
        try:
            reservation = release_number(
                request.user,
                release_form.cleaned_data["reservation"],
                release_form.cleaned_data["reason"],
            )
        except NumberReservation.DoesNotExist:
            release_form.add_error(None, _("This reserved number does not exist."))
            return _render_reservations(request, release_form=release_form, status=400)
        except DocumentError as error:
            release_form.add_error("reason", str(error))
            return _render_reservations(request, release_form=release_form, status=400)
        messages.success(
            request,
            _("Number %(number)s released; it stays in the register as not used.")
            % {"number": reservation.number_display},
        )
        return redirect("number-reservations")
    reserve_form = ReserveNumberForm(request.POST)
    if not reserve_form.is_valid():
        return _render_reservations(request, reserve_form=reserve_form, status=400)
    data = reserve_form.cleaned_data
    try:
        reservation = reserve_number(
            request.user,
            data["doc_type"],
            confidential=data["confidential"],
            purpose=data["purpose"],
        )
    except DocumentError as error:
        reserve_form.add_error("purpose", str(error))
        return _render_reservations(request, reserve_form=reserve_form, status=400)
    messages.success(
        request,
        _("Number %(number)s reserved in %(register)s.")
        % {"number": reservation.number_display, "register": reservation.register.name},
    )
    return redirect("number-reservations")


# --- Absences and deputies -------------------------------------------------------------------


def _may_delegate(request: AuthenticatedHttpRequest) -> None:
    if not (request.user.is_leader or request.user.is_department_head):
        raise PermissionDenied


def _render_absence(
    request: AuthenticatedHttpRequest, form: AbsenceForm, status: int = 200
) -> HttpResponse:
    context = {"form": form, "absences": list_current_absences(request.user)}
    return render(request, "routing/absence.html", context, status=status)


@login_required
@require_http_methods(["GET", "POST"])
def absence(request: AuthenticatedHttpRequest) -> HttpResponse:
    """A leader or department head says when they are away and who acts for them."""
    _may_delegate(request)
    if request.method == "GET":
        return _render_absence(request, AbsenceForm(user=request.user))
    if request.POST.get("action") == "cancel":
        cancel_form = CancelAbsenceForm(request.POST)
        if cancel_form.is_valid():
            try:
                cancel_absence(request.user, cancel_form.cleaned_data["delegation"])
            except (RoutingError, Delegation.DoesNotExist):
                messages.error(request, _("This absence cannot be cancelled."))
                return redirect("absence")
            messages.success(request, _("Absence cancelled."))
        return redirect("absence")
    form = AbsenceForm(request.POST, user=request.user)
    if not form.is_valid():
        return _render_absence(request, form, status=400)
    data = form.cleaned_data
    try:
        delegation = set_absence(
            request.user,
            deputy=data["deputy"],
            starts_on=data["starts_on"],
            ends_on=data["ends_on"],
            capacity=data["capacity"],
            reference=data["reference"],
            reason=data["reason"],
            doc_types=list(data["doc_types"]),
        )
    except RoutingError as error:
        form.add_error(None, str(error))
        return _render_absence(request, form, status=400)
    messages.success(
        request,
        _("Absence recorded: %(deputy)s acts for you from %(start)s to %(end)s.")
        % {
            "deputy": delegation.deputy,
            "start": delegation.starts_on.strftime("%d/%m/%Y"),
            "end": delegation.ends_on.strftime("%d/%m/%Y"),
        },
    )
    return redirect("absence")

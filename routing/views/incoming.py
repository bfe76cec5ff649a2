"""The incoming register, a document's page, its handling slip and the actions on its route."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import Prefetch
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from documents.models import Document, DocumentEvent
from documents.permissions import get_document_for_user, sees_most_documents, visible_documents
from eoffice.http import AuthenticatedHttpRequest, is_htmx
from eoffice.pagination import KeysetPaginator
from realtime import services as notice_services
from routing import forms, services
from routing.models import Assignment, DeadlineExtension, Direction
from routing.presenters import assignment_rows
from routing.rules import RouteView
from routing.selectors import RegisterFilter, granted_register, list_incoming
from routing.workflow import Action

SEARCH_COUNT_CAP = 200


@login_required
@require_GET
def incoming_list(request: AuthenticatedHttpRequest) -> HttpResponse:
    form = forms.RegisterFilterForm(request.GET or None)
    filters = RegisterFilter(**form.cleaned_data) if form.is_valid() else RegisterFilter()
    # A search counts fewer matches: a common word matches a tenth of the register, and
    # counting past a few pages of it costs more than it tells.
    searching = bool(filters.q.strip() or filters.sender.strip())
    paginator = KeysetPaginator(
        list_incoming(request.user, filters),
        settings.EOFFICE_PAGE_SIZE,
        cap=min(SEARCH_COUNT_CAP, settings.EOFFICE_COUNT_CAP) if searching else None,
        count_in_order=sees_most_documents(request.user),
        ordered=granted_register(request.user, filters),
    )
    page = paginator.page_for(request.GET)
    query = request.GET.copy()
    for name in ("page", "after", "before"):
        query.pop(name, None)
    without_lead_user = query.copy()
    without_lead_user.pop("lead_user", None)
    context = {
        "form": form,
        "page": page,
        "query": query.urlencode(),
        "without_lead_user": without_lead_user.urlencode(),
    }
    template = "routing/_register_table.html" if is_htmx(request) else "routing/incoming_list.html"
    return render(request, template, context)


def _load_route(document: Document) -> dict[str, Any]:
    assignments = list(
        Assignment.objects.filter(document=document)
        .select_related(
            "assignee_user__position", "assignee_department", "assigned_by", "completed_by"
        )
        .prefetch_related(
            Prefetch(
                "extensions",
                queryset=DeadlineExtension.objects.select_related("requested_by", "decided_by"),
            )
        )
    )
    return {
        "assignment_rows": assignment_rows(assignments),
        "directions": list(
            Direction.objects.filter(document=document).select_related("leader__position")
        ),
        "attachments": list(document.attachments.select_related("uploaded_by")),
        "events": list(
            DocumentEvent.objects.filter(document=document).select_related("actor__position")
        ),
    }


def _action_forms(
    request: AuthenticatedHttpRequest, document: Document, route: RouteView, actions: set[Action]
) -> dict[str, Any]:
    initial = {"version": document.version}
    user = request.user
    result: dict[str, Any] = {"comment_form": forms.CommentForm()}
    if Action.SUBMIT in actions:
        result["submit_form"] = forms.SubmitForm(initial=initial)
    if Action.DIRECT in actions:
        result["direction_form"] = forms.DirectionForm(initial=initial)
    if Action.PASS_ON in actions:
        result["pass_on_forms"] = [
            forms.PassOnForm(
                initial={**initial, "assignment": a.pk, "deadline": a.deadline},
                head=user,
                prefix=f"pass{a.pk}",
            )
            for a in route.held
            if route.can_pass_on(a)
        ]
        result["pass_on_assignments"] = [a for a in route.held if route.can_pass_on(a)]
    if Action.COMPLETE in actions:
        # A reply drafted for this document and issued: completing points to it.
        reply = (
            visible_documents(user)
            .filter(in_reply_to=document, state=Document.State.ISSUED)
            .order_by("-issued_at")
            .values_list("number_symbol", flat=True)
            .first()
        )
        result["complete_form"] = forms.CompleteForm(
            initial={**initial, "reply_number_symbol": reply or ""}
        )
    if Action.COMPLETE_PART in actions:
        result["complete_part_forms"] = [
            forms.CompletePartForm(initial={"assignment": a.pk}, prefix=f"part{a.pk}")
            for a in route.held_with_role(Assignment.Role.COORDINATE)
        ]
    if Action.REQUEST_EXTENSION in actions:
        result["extension_forms"] = [
            forms.ExtensionRequestForm(initial={"assignment": a.pk}, prefix=f"ext{a.pk}")
            for a in route.answerable()
            if route.can_request_extension(a)
        ]
    if Action.DECIDE_EXTENSION in actions:
        result["extensions_to_decide"] = route.extensions_to_decide
    for action, name in (
        (Action.RETURN, "return_form"),
        (Action.REOPEN, "reopen_form"),
        (Action.CANCEL, "cancel_form"),
    ):
        if action in actions:
            form_class = forms.ReopenForm if action == Action.REOPEN else forms.ReasonForm
            result[name] = form_class(initial=initial, prefix=action.value)
    return result


def _render_detail(
    request: AuthenticatedHttpRequest,
    document: Document,
    *,
    status: int = 200,
    bound: dict[str, Any] | None = None,
) -> HttpResponse:
    route = RouteView.load(request.user, document)
    actions = route.actions()
    context: dict[str, Any] = {
        "document": document,
        "actions": actions,
        **_load_route(document),
        **_action_forms(request, document, route, actions),
        **(bound or {}),
    }
    return render(request, "routing/incoming_detail.html", context, status=status)


@login_required
@require_GET
def incoming_detail(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    document = get_document_for_user(request.user, pk)
    if document.is_outgoing:
        return redirect("outgoing-detail", pk=document.pk)
    services.mark_read(request.user, document)
    notice_services.mark_read(request.user, document=document)
    return _render_detail(request, document)


@login_required
@require_GET
def incoming_history(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    """The history alone: the document page re-reads it when a comment arrives live."""
    document = get_document_for_user(request.user, pk)
    events = DocumentEvent.objects.filter(document=document).select_related("actor__position")
    return render(request, "routing/_history.html", {"document": document, "events": events})


@login_required
@require_GET
def handling_slip(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    """Phiếu giải quyết văn bản đến (Decree 30, Appendix IV), ready to print."""
    document = get_document_for_user(request.user, pk)
    return render(
        request, "routing/handling_slip.html", {"document": document, **_load_route(document)}
    )


# --- actions --------------------------------------------------------------------------------

ActionHandler = Callable[[AuthenticatedHttpRequest, Document, dict[str, Any]], str]


def _submit(request: AuthenticatedHttpRequest, document: Document, data: dict[str, Any]) -> str:
    services.submit_to_leader(
        request.user, document.pk, version=data["version"], leader=data["leader"], note=data["note"]
    )
    return _("Submitted to %(leader)s.") % {"leader": data["leader"]}


def _direct(request: AuthenticatedHttpRequest, document: Document, data: dict[str, Any]) -> str:
    services.direct_document(
        request.user,
        document.pk,
        version=data["version"],
        text=data["text"],
        lead=data["lead_target"],
        coordinators=data["coordinator_targets"],
        informed=data["informed_targets"],
        deadline=data["deadline"],
    )
    return _("Direction recorded and the work assigned.")


def _return(request: AuthenticatedHttpRequest, document: Document, data: dict[str, Any]) -> str:
    services.return_to_clerk(
        request.user, document.pk, version=data["version"], reason=data["reason"]
    )
    return _("Returned to the clerk.")


def _pass_on(request: AuthenticatedHttpRequest, document: Document, data: dict[str, Any]) -> str:
    services.pass_on(
        request.user,
        document.pk,
        version=data["version"],
        assignment_id=data["assignment"],
        specialist=data["specialist"],
        deadline=data["deadline"],
        note=data["note"],
    )
    return _("Passed on to %(name)s.") % {"name": data["specialist"]}


def _complete(request: AuthenticatedHttpRequest, document: Document, data: dict[str, Any]) -> str:
    services.complete_document(
        request.user,
        document.pk,
        version=data["version"],
        result=data["result"],
        reply_number_symbol=data["reply_number_symbol"],
        files=data["files"],
    )
    return _("Handling completed.")


def _complete_part(
    request: AuthenticatedHttpRequest, document: Document, data: dict[str, Any]
) -> str:
    services.complete_part(
        request.user, document.pk, assignment_id=data["assignment"], result=data["result"]
    )
    return _("Your part is recorded as done.")


def _request_extension(
    request: AuthenticatedHttpRequest, document: Document, data: dict[str, Any]
) -> str:
    services.request_extension(
        request.user,
        document.pk,
        assignment_id=data["assignment"],
        requested_deadline=data["requested_deadline"],
        reason=data["reason"],
    )
    return _("Extension requested.")


def _decide_extension(
    request: AuthenticatedHttpRequest, document: Document, data: dict[str, Any]
) -> str:
    grant = data["decision"] == "grant"
    services.decide_extension(
        request.user, document.pk, extension_id=data["extension"], grant=grant, note=data["note"]
    )
    return _("Extension granted.") if grant else _("Extension refused.")


def _reopen(request: AuthenticatedHttpRequest, document: Document, data: dict[str, Any]) -> str:
    services.reopen_document(
        request.user,
        document.pk,
        version=data["version"],
        reason=data["reason"],
        deadline=data["deadline"],
    )
    return _("Document reopened.")


def _cancel(request: AuthenticatedHttpRequest, document: Document, data: dict[str, Any]) -> str:
    services.cancel_registration(
        request.user, document.pk, version=data["version"], reason=data["reason"]
    )
    return _("Registration cancelled; the number stays in the register, marked cancelled.")


def _comment(request: AuthenticatedHttpRequest, document: Document, data: dict[str, Any]) -> str:
    services.add_comment(request.user, document.pk, data["text"])
    return _("Comment added.")


def _prefixed(name: str) -> Callable[[HttpRequest], str]:
    return lambda request: name


def _row_prefix(field: str, prefix: str) -> Callable[[HttpRequest], str]:
    return lambda request: f"{prefix}{request.POST.get('row', '')}"


ACTIONS: dict[str, tuple[type, Callable[[HttpRequest], str | None], ActionHandler, str]] = {
    # url name: (form, prefix, handler, context name for the bound form on errors)
    "submit": (forms.SubmitForm, lambda r: None, _submit, "submit_form"),
    "direct": (forms.DirectionForm, lambda r: None, _direct, "direction_form"),
    "return": (forms.ReasonForm, _prefixed("return"), _return, "return_form"),
    "pass_on": (forms.PassOnForm, _row_prefix("assignment", "pass"), _pass_on, ""),
    "complete": (forms.CompleteForm, lambda r: None, _complete, "complete_form"),
    "complete_part": (
        forms.CompletePartForm,
        _row_prefix("assignment", "part"),
        _complete_part,
        "",
    ),
    "request_extension": (
        forms.ExtensionRequestForm,
        _row_prefix("assignment", "ext"),
        _request_extension,
        "",
    ),
    "decide_extension": (forms.ExtensionDecisionForm, lambda r: None, _decide_extension, ""),
    "reopen": (forms.ReopenForm, _prefixed("reopen"), _reopen, "reopen_form"),
    "cancel": (forms.ReasonForm, _prefixed("cancel"), _cancel, "cancel_form"),
    "comment": (forms.CommentForm, lambda r: None, _comment, "comment_form"),
}


@login_required
@require_POST
def incoming_action(request: AuthenticatedHttpRequest, pk: int, action: str) -> HttpResponse:
    if action not in ACTIONS:
        raise Http404
    document = get_document_for_user(request.user, pk)
    form_class, prefix_of, handler, context_name = ACTIONS[action]
    kwargs: dict[str, Any] = {"prefix": prefix_of(request)}
    if form_class is forms.PassOnForm:
        kwargs["head"] = request.user
    form = form_class(request.POST, request.FILES or None, **kwargs)
    if not form.is_valid():
        messages.error(request, _("Check the highlighted fields."))
        bound = {context_name: form} if context_name else {"row_errors": form}
        return _render_detail(request, document, status=400, bound=bound)
    try:
        message = handler(request, document, form.cleaned_data)
    except services.DocumentMovedOn as error:
        messages.warning(request, str(error))
        return redirect("incoming-detail", pk=document.pk)
    except services.RoutingError as error:
        messages.error(request, str(error))
        return redirect("incoming-detail", pk=document.pk)
    messages.success(request, message)
    return redirect("incoming-detail", pk=document.pk)

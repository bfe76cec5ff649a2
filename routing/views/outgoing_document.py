"""An outgoing document's own pages: writing a draft, its page, and every move on its chain."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import prefetch_related_objects
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from documents.drafts import DraftMovedOn, add_draft_version, create_draft, update_draft
from documents.errors import DocumentError
from documents.models import Attachment, Document, DocumentEvent, OutgoingRecipient
from documents.permissions import get_document_for_user, visible_documents
from eoffice.http import AuthenticatedHttpRequest
from realtime import services as notice_services
from routing import outgoing_forms as oforms
from routing.approval_models import ApprovalStep
from routing.approval_rules import ChainView
from routing.approval_workflow import DraftAction
from routing.approvals import (
    abandon_draft,
    approve_step,
    comment_on_draft,
    forward_task,
    list_templates,
    recall_draft,
    return_draft,
    sign_off,
    submit_draft,
)
from routing.forms import CommentForm
from routing.issuing import issue_outgoing, withdraw_issued
from routing.services import RoutingError

Group = OutgoingRecipient.Group

# --- writing a draft -------------------------------------------------------------------------


def _reply_target(request: AuthenticatedHttpRequest) -> Document | None:
    """The incoming document named by ``?reply_to=``; 404 when the user cannot see it."""
    raw = request.GET.get("reply_to")
    if not raw:
        return None
    document = get_document_for_user(request.user, raw)
    if document.is_outgoing:
        raise Http404
    return document


def _render_draft_form(
    request: AuthenticatedHttpRequest,
    form: oforms.DraftForm,
    *,
    document: Document | None,
    reply_to: Document | None,
    status: int,
) -> HttpResponse:
    previous = [f.name for name in ("files", "appendices") for f in request.FILES.getlist(name)]
    return render(
        request,
        "routing/outgoing_form.html",
        {
            "form": form,
            "document": document,
            "reply_to": reply_to,
            "previous_files": previous,
        },
        status=status,
    )


@login_required
@require_http_methods(["GET", "POST"])
def draft_create(request: AuthenticatedHttpRequest) -> HttpResponse:
    user = request.user
    if request.method == "GET":
        reply_to = _reply_target(request)
        initial = {"in_reply_to": reply_to.pk} if reply_to else {}
        form = oforms.NewDraftForm(initial=initial, user=user)
        return _render_draft_form(request, form, document=None, reply_to=reply_to, status=200)
    form = oforms.NewDraftForm(request.POST, request.FILES, user=user)
    if form.is_valid():
        try:
            document = create_draft(
                user,
                form.draft_data(),
                form.cleaned_data["files"],
                form.cleaned_data["appendices"],
            )
        except DocumentError as error:
            form.add_error(None, str(error))
        else:
            messages.success(request, _("Draft created (version 1)."))
            return redirect("outgoing-detail", pk=document.pk)
    reply_to = form.cleaned_data.get("in_reply_to") if hasattr(form, "cleaned_data") else None
    return _render_draft_form(request, form, document=None, reply_to=reply_to, status=400)


def _get_outgoing(request: AuthenticatedHttpRequest, pk: int) -> Document:
    document = get_document_for_user(request.user, pk)
    if not document.is_outgoing:
        raise Http404
    return document


@login_required
@require_http_methods(["GET", "POST"])
def draft_edit(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    """Sửa dự thảo: what the draft says and its recipients, while it is with its drafter."""
    document = _get_outgoing(request, pk)
    if DraftAction.EDIT not in ChainView.load(request.user, document).actions():
        messages.error(request, _("This draft cannot be changed now."))
        return redirect("outgoing-detail", pk=document.pk)
    if request.method == "GET":
        form = oforms.EditDraftForm(
            initial=oforms.DraftForm.initial_for(document), user=request.user
        )
        return _render_draft_form(
            request, form, document=document, reply_to=document.in_reply_to, status=200
        )
    form = oforms.EditDraftForm(request.POST, user=request.user)
    if form.is_valid():
        try:
            update_draft(request.user, document.pk, form.cleaned_data["version"], form.draft_data())
        except DraftMovedOn as error:
            messages.warning(request, str(error))
            return redirect("outgoing-detail", pk=document.pk)
        except DocumentError as error:
            form.add_error(None, str(error))
        else:
            messages.success(request, _("Draft saved."))
            return redirect("outgoing-detail", pk=document.pk)
    reply_to = form.cleaned_data.get("in_reply_to") if hasattr(form, "cleaned_data") else None
    return _render_draft_form(request, form, document=document, reply_to=reply_to, status=400)


# --- the document page -----------------------------------------------------------------------


@dataclass
class DraftVersion:
    number: int
    files: list[Attachment] = field(default_factory=list)
    is_current: bool = False

    @property
    def uploaded_by(self) -> Any:
        return self.files[0].uploaded_by if self.files else None

    @property
    def uploaded_at(self) -> Any:
        return self.files[0].uploaded_at if self.files else None


@dataclass
class ChainRound:
    number: int
    steps: list[ApprovalStep]


def _versions(document: Document, attachments: list[Attachment]) -> list[DraftVersion]:
    by_number: dict[int, DraftVersion] = {}
    for a in attachments:
        if a.kind in (Attachment.Kind.DRAFT, Attachment.Kind.APPENDIX) and a.version:
            version = by_number.setdefault(a.version, DraftVersion(a.version))
            version.files.append(a)
    for number, version in by_number.items():
        version.is_current = number == document.draft_version
    return sorted(by_number.values(), key=lambda v: v.number, reverse=True)


def _earlier_rounds(document: Document, current: int) -> list[ChainRound]:
    if current <= 1:
        return []
    steps = list(
        ApprovalStep.objects.filter(document=document, round__lt=current)
        .order_by("-round", "order")
        .prefetch_related("tasks__holder__position", "tasks__on_behalf_of", "tasks__delegation")
    )
    rounds: dict[int, ChainRound] = {}
    for step in steps:
        rounds.setdefault(step.round, ChainRound(step.round, [])).steps.append(step)
    return list(rounds.values())


def _recipient_groups(recipients: list[OutgoingRecipient]) -> list[tuple[str, list[Any]]]:
    return [
        (str(label), [r for r in recipients if r.group == group])
        for group, label in oforms.RECIPIENT_GROUPS
        if any(r.group == group for r in recipients)
    ]


def _page_data(request: AuthenticatedHttpRequest, document: Document) -> dict[str, Any]:
    attachments = list(document.attachments.select_related("uploaded_by"))
    recipients = list(
        document.recipients.select_related("department", "user__position", "delivered_document")
    )
    reply_visible = (
        document.in_reply_to_id is not None
        and visible_documents(request.user).filter(pk=document.in_reply_to_id).exists()
    )
    return {
        "versions": _versions(document, attachments),
        "final_files": [a for a in attachments if a.kind == Attachment.Kind.FINAL],
        "recipient_groups": _recipient_groups(recipients),
        "reply_visible": reply_visible,
        "events": list(
            DocumentEvent.objects.filter(document=document).select_related("actor__position")
        ),
    }


def _build_form(
    name: str,
    request: AuthenticatedHttpRequest,
    document: Document,
    chain: ChainView,
    *,
    bound: bool,
) -> forms.Form:
    """The form of one action, unbound for the page or bound to the POST being handled."""
    posted: dict[str, Any] = {"data": request.POST, "files": request.FILES} if bound else {}
    common: dict[str, Any] = {"prefix": name, "initial": {"version": document.version}}
    if name == "new_version":
        return oforms.NewVersionForm(**posted, **common)
    if name == "submit":
        # One form per applicable template; "row" names the template of the posted one.
        templates = list_templates(document.doc_type_id, document.drafting_department_id)
        prefetch_related_objects(templates, "steps")
        row = request.POST.get("row", "") if bound else ""
        return oforms.SubmitDraftForm(
            **posted,
            templates=templates,
            drafter=request.user,
            prefix=f"submit{row}",
            initial=common["initial"],
        )
    if name in ("approve", "sign"):
        return oforms.StepCommentForm(**posted, **common)
    if name == "return":
        return oforms.ReturnDraftForm(**posted, earlier=chain.earlier_steps(), **common)
    if name == "forward":
        return oforms.ForwardDraftForm(**posted, user=request.user, **common)
    if name in ("recall", "abandon"):
        return oforms.OptionalReasonForm(**posted, **common)
    if name == "issue":
        return oforms.IssueForm(**posted, document=document, **common)
    if name == "withdraw":
        return oforms.WithdrawForm(**posted, **common)
    if name == "comment":
        return CommentForm(**posted, prefix=name)
    raise Http404


# url name of the action → the DraftAction that makes its form appear on the page
ACTION_OF_FORM: dict[str, DraftAction] = {
    "new_version": DraftAction.EDIT,
    "approve": DraftAction.APPROVE,
    "sign": DraftAction.SIGN,
    "return": DraftAction.RETURN,
    "forward": DraftAction.FORWARD,
    "recall": DraftAction.RECALL,
    "issue": DraftAction.ISSUE,
    "withdraw": DraftAction.WITHDRAW,
    "abandon": DraftAction.ABANDON,
    "comment": DraftAction.COMMENT,
}


def _submit_forms(
    request: AuthenticatedHttpRequest, document: Document, bound_form: forms.Form | None
) -> list[oforms.SubmitDraftForm]:
    templates = list_templates(document.doc_type_id, document.drafting_department_id)
    prefetch_related_objects(templates, "steps__holders__user", "steps__holders__position")
    result = []
    for template in templates:
        if (
            isinstance(bound_form, oforms.SubmitDraftForm)
            and bound_form.chain_template is not None
            and bound_form.chain_template.pk == template.pk
        ):
            result.append(bound_form)
            continue
        result.append(
            oforms.SubmitDraftForm(
                templates=templates,
                drafter=request.user,
                prefix=f"submit{template.pk}",
                initial={"version": document.version, "template": template.pk},
            )
        )
    return result


def _render_detail(
    request: AuthenticatedHttpRequest,
    document: Document,
    *,
    status: int = 200,
    bound_name: str = "",
    bound_form: forms.Form | None = None,
) -> HttpResponse:
    chain = ChainView.load(request.user, document)
    actions = chain.actions()
    action_forms: dict[str, forms.Form] = {}
    for name, action in ACTION_OF_FORM.items():
        if action in actions:
            if name == bound_name and bound_form is not None:
                action_forms[name] = bound_form
            else:
                action_forms[name] = _build_form(name, request, document, chain, bound=False)
    context: dict[str, Any] = {
        "document": document,
        "actions": actions,
        "can_submit": DraftAction.SUBMIT in actions,
        "chain": chain,
        "my_task": chain.my_task(),
        "earlier_rounds": _earlier_rounds(document, chain.round),
        "action_forms": action_forms,
        "submit_forms": (
            _submit_forms(request, document, bound_form if bound_name == "submit" else None)
            if DraftAction.SUBMIT in actions
            else []
        ),
        **_page_data(request, document),
    }
    return render(request, "routing/outgoing_detail.html", context, status=status)


PAGE_RELATED = (
    "doc_type",
    "register",
    "drafter__position",
    "drafting_department",
    "proposed_signer__position",
    "signed_by__position",
    "in_reply_to",
)


def _load_for_page(request: AuthenticatedHttpRequest, pk: int) -> Document:
    """The document with everything its facts block shows, in one query; 404 if invisible."""
    try:
        return visible_documents(request.user).select_related(*PAGE_RELATED).get(pk=pk)
    except (Document.DoesNotExist, ValueError, TypeError) as exc:
        raise Http404 from exc


@login_required
@require_GET
def outgoing_detail(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    document = _load_for_page(request, pk)
    if not document.is_outgoing:
        return redirect("incoming-detail", pk=document.pk)
    notice_services.mark_read(request.user, document=document)
    return _render_detail(request, document)


@login_required
@require_GET
def outgoing_history(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    """The history alone: the page re-reads it when something happens live."""
    document = _get_outgoing(request, pk)
    events = DocumentEvent.objects.filter(document=document).select_related("actor__position")
    return render(request, "routing/_history.html", {"document": document, "events": events})


# --- actions ---------------------------------------------------------------------------------

Handler = Callable[[AuthenticatedHttpRequest, Document, dict[str, Any]], str]


def _new_version(
    request: AuthenticatedHttpRequest, document: Document, data: dict[str, Any]
) -> str:
    updated = add_draft_version(
        request.user,
        document.pk,
        data["version"],
        data["files"],
        data["appendices"],
        note=data["note"],
    )
    return _("Version %(number)s uploaded.") % {"number": updated.draft_version}


def _submit(request: AuthenticatedHttpRequest, document: Document, data: dict[str, Any]) -> str:
    submit_draft(
        request.user,
        document.pk,
        version=data["version"],
        template=data["template"],
        skip_orders=data.get("skip") or [],
        extra_reviewers=list(data.get("extra_reviewers") or []),
        note=data["note"],
    )
    return _("Submitted for approval.")


def _approve(request: AuthenticatedHttpRequest, document: Document, data: dict[str, Any]) -> str:
    approve_step(request.user, document.pk, version=data["version"], comment=data["comment"])
    return _("Approved.")


def _sign(request: AuthenticatedHttpRequest, document: Document, data: dict[str, Any]) -> str:
    sign_off(request.user, document.pk, version=data["version"], comment=data["comment"])
    return _("Signed off; the document waits to be numbered and issued.")


def _return(request: AuthenticatedHttpRequest, document: Document, data: dict[str, Any]) -> str:
    return_draft(
        request.user,
        document.pk,
        version=data["version"],
        comment=data["comment"],
        to_step_order=data["to_step"],
    )
    return _("Returned.")


def _forward(request: AuthenticatedHttpRequest, document: Document, data: dict[str, Any]) -> str:
    forward_task(
        request.user, document.pk, version=data["version"], to=data["to"], reason=data["reason"]
    )
    return _("Forwarded to %(name)s.") % {"name": data["to"]}


def _recall(request: AuthenticatedHttpRequest, document: Document, data: dict[str, Any]) -> str:
    recall_draft(request.user, document.pk, version=data["version"], reason=data["reason"])
    return _("Draft recalled; you can change it and submit it again.")


def _issue(request: AuthenticatedHttpRequest, document: Document, data: dict[str, Any]) -> str:
    reservation = data["reservation"]
    issued = issue_outgoing(
        request.user,
        document.pk,
        version=data["version"],
        final_files=data["files"],
        reservation_id=reservation.pk if reservation else None,
        copies=data["copies"],
    )
    return _("Issued as number %(number)s.") % {"number": issued.number_symbol}


def _withdraw(request: AuthenticatedHttpRequest, document: Document, data: dict[str, Any]) -> str:
    withdraw_issued(request.user, document.pk, version=data["version"], reason=data["reason"])
    return _("The issued document is withdrawn; its recipients see it marked withdrawn.")


def _abandon(request: AuthenticatedHttpRequest, document: Document, data: dict[str, Any]) -> str:
    abandon_draft(request.user, document.pk, version=data["version"], reason=data["reason"])
    return _("Draft abandoned.")


def _comment(request: AuthenticatedHttpRequest, document: Document, data: dict[str, Any]) -> str:
    comment_on_draft(request.user, document.pk, data["text"])
    return _("Comment added.")


HANDLERS: dict[str, Handler] = {
    "new_version": _new_version,
    "submit": _submit,
    "approve": _approve,
    "sign": _sign,
    "return": _return,
    "forward": _forward,
    "recall": _recall,
    "issue": _issue,
    "withdraw": _withdraw,
    "abandon": _abandon,
    "comment": _comment,
}


@login_required
@require_POST
def outgoing_action(request: AuthenticatedHttpRequest, pk: int, action: str) -> HttpResponse:
    if action not in HANDLERS:
        raise Http404
    document = _get_outgoing(request, pk)
    chain = ChainView.load(request.user, document)
    form = _build_form(action, request, document, chain, bound=True)
    if not form.is_valid():
        messages.error(request, _("Check the highlighted fields."))
        document = Document.objects.select_related(*PAGE_RELATED).get(pk=document.pk)
        return _render_detail(
            request,
            document,
            status=400,
            bound_name=action,
            bound_form=form,
        )
    try:
        message = HANDLERS[action](request, document, form.cleaned_data)
    except DraftMovedOn as error:
        messages.warning(request, str(error))
    except (RoutingError, DocumentError) as error:
        messages.error(request, str(error))
    else:
        messages.success(request, message)
    return redirect("outgoing-detail", pk=document.pk)

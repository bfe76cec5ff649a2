"""Every move of an outgoing draft along its approval chain.

Each service locks the document row, checks that the page the user acted on is still
current (``version``), that the action is legal in the draft's state
(``routing.approval_workflow``) and that this user may take it (``routing.approval_rules``),
then writes the change, the grants, the history and the notices in one transaction: of two
approvers acting on the same step at the same moment, exactly one wins.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date

from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from documents.drafts import DraftMovedOn
from documents.models import Document, DocumentEvent, DocumentType
from documents.permissions import grant_view_to_user
from documents.services import files_removed_on_failure, record_event
from documents.signing.services import sign_for_signer
from documents.text import nfc
from eoffice.models import Agency, Role, User
from realtime.kinds import NoticeKind
from realtime.services import announce_document_change, notify
from routing.approval_models import (
    ApprovalStep,
    ApprovalTask,
    Capacity,
    ChainTemplate,
    ChainTemplateStep,
    Delegation,
    StepMode,
)
from routing.approval_rules import ChainView
from routing.approval_workflow import (
    DRAFT_ACTION_LABELS,
    DraftAction,
    check_target,
    is_legal_draft_action,
)
from routing.services import ActionNotAllowed, RoutingError

S = Document.State
Event = DocumentEvent.Action
TaskState = ApprovalTask.State
StepState = ApprovalStep.State


# --- Chain templates -----------------------------------------------------------------------


@dataclass
class PlannedStep:
    label: str
    mode: str
    is_signing: bool
    holders: list[User] = field(default_factory=list)


def list_templates(doc_type_id: int | None, department_id: int | None) -> list[ChainTemplate]:
    """The active templates that apply, most specific first (type and department, type,
    department, default)."""
    templates = ChainTemplate.objects.filter(is_active=True).filter(
        Q(doc_type__isnull=True) | Q(doc_type_id=doc_type_id),
        Q(department__isnull=True) | Q(department_id=department_id),
    )

    def specificity(t: ChainTemplate) -> tuple[int, str]:
        return (-(2 * (t.doc_type_id is not None) + (t.department_id is not None)), t.name)

    return sorted(templates, key=specificity)


def _step_holders(
    step: ChainTemplateStep, drafter: User, proposed_signer: User | None
) -> list[User]:
    if step.is_signing and proposed_signer is not None:
        return [proposed_signer]
    people: dict[int, User] = {}
    for holder in step.holders.all():
        if holder.user is not None:
            people[holder.user.pk] = holder.user
            continue
        department_id = holder.department_id or drafter.department_id
        if holder.position_id is None or department_id is None:
            continue
        for user in User.objects.filter(
            is_active=True, position_id=holder.position_id, department_id=department_id
        ).order_by("full_name"):
            people[user.pk] = user
    return list(people.values())


def plan_chain(
    template: ChainTemplate,
    drafter: User,
    proposed_signer: User | None,
    *,
    skip_orders: Iterable[int] = (),
    extra_reviewers: Sequence[User] = (),
) -> list[PlannedStep]:
    """The steps a draft will take under ``template``, with the people who hold each.

    The drafter may leave out optional steps and add reviewers before the signing step
    only when the template allows it. Refuses a chain with a step nobody holds.
    """
    skip = set(skip_orders)
    if proposed_signer is not None and not (
        proposed_signer.is_active
        and (proposed_signer.is_leader or proposed_signer.is_department_head)
    ):
        # The signing step goes to the proposed signer: only a leader or a department head
        # signs for the agency (the same rule as forwarding the signing step).
        raise RoutingError(_("%(name)s cannot sign documents.") % {"name": proposed_signer})
    steps = list(template.steps.prefetch_related("holders__user", "holders__position"))
    if (skip or extra_reviewers) and not template.allow_adjust:
        raise RoutingError(_("This approval chain cannot be changed."))
    for step in steps:
        if step.order in skip and not step.is_optional:
            raise RoutingError(_("The step “%(step)s” cannot be left out.") % {"step": step.label})
    planned: list[PlannedStep] = []
    for step in steps:
        if step.order in skip:
            continue
        if step.is_signing:
            for reviewer in extra_reviewers:
                planned.append(PlannedStep(_("Review"), StepMode.SINGLE, False, [reviewer]))
        holders = _step_holders(step, drafter, proposed_signer)
        if not holders:
            raise RoutingError(
                _("Nobody holds the step “%(step)s” of this chain; ask the administrator.")
                % {"step": step.label}
            )
        mode = step.mode if len(holders) > 1 else StepMode.SINGLE
        if step.is_signing and len(holders) > 1:
            mode = StepMode.ANY
        planned.append(PlannedStep(step.label, mode, step.is_signing, holders))
    if not planned or not planned[-1].is_signing:
        raise RoutingError(_("An approval chain must end with the signing step."))
    if any(p.is_signing for p in planned[:-1]):
        raise RoutingError(_("Only the last step of a chain can be the signing step."))
    return planned


# --- Delegations ---------------------------------------------------------------------------


def active_delegation(user: User, day: date, doc_type_id: int | None = None) -> Delegation | None:
    """The absence of ``user`` covering ``day`` (and this document type, for a TUQ.
    authorisation limited to some types), if any."""
    delegations = Delegation.objects.filter(
        principal=user, cancelled_at__isnull=True, starts_on__lte=day, ends_on__gte=day
    )
    if doc_type_id is not None:
        delegations = delegations.filter(Q(doc_types__isnull=True) | Q(doc_types=doc_type_id))
    return delegations.select_related("deputy").order_by("-created_at").first()


def set_absence(
    principal: User,
    *,
    deputy: User,
    starts_on: date,
    ends_on: date,
    capacity: str = Delegation.Capacity.KT,
    reference: str = "",
    reason: str = "",
    doc_types: Sequence[DocumentType] = (),
) -> Delegation:
    """Record that ``principal`` is away and who acts for them.

    A TUQ. authorisation must be written (its reference), is time-limited and may be
    limited to some document types (``doc_types``; none: every type); periods of one
    person never overlap.
    """
    if deputy.pk == principal.pk:
        raise RoutingError(_("Choose someone else as deputy."))
    if not deputy.is_active:
        raise RoutingError(_("%(name)s can no longer sign in.") % {"name": deputy})
    if ends_on < starts_on:
        raise RoutingError(_("The absence must end on or after the day it starts."))
    if ends_on < timezone.localdate():
        raise RoutingError(_("The absence is already over."))
    reference = nfc(reference).strip()
    if capacity == Delegation.Capacity.TUQ and not reference:
        raise RoutingError(
            _("An authorisation (TUQ.) must be given in writing: enter its number and symbol.")
        )
    with transaction.atomic():
        User.objects.select_for_update().filter(pk=principal.pk).get()
        if Delegation.objects.filter(
            principal=principal,
            cancelled_at__isnull=True,
            starts_on__lte=ends_on,
            ends_on__gte=starts_on,
        ).exists():
            raise RoutingError(_("You already have an absence in this period."))
        delegation = Delegation.objects.create(
            principal=principal,
            deputy=deputy,
            capacity=capacity,
            starts_on=starts_on,
            ends_on=ends_on,
            reference=reference,
            reason=nfc(reason).strip(),
        )
        delegation.doc_types.set(doc_types)
        return delegation


def cancel_absence(user: User, delegation_id: int) -> None:
    with transaction.atomic():
        delegation = Delegation.objects.select_for_update().get(pk=delegation_id)
        if delegation.principal_id != user.pk:
            raise RoutingError(_("Only the absent person can cancel their absence."))
        if delegation.cancelled_at is None:
            delegation.cancelled_at = timezone.now()
            delegation.save(update_fields=["cancelled_at"])


# --- Signing capacity ----------------------------------------------------------------------


def _upper(text: str) -> str:
    return text.upper()


def signing_capacity(task: ApprovalTask, agency: Agency | None) -> tuple[str, list[str]]:
    """How ``task``'s holder signs: the capacity code and the lines printed above the name.

    E.g. a deputy chairman of a People's Committee: ``KT``, ["TM. ỦY BAN NHÂN DÂN",
    "KT. CHỦ TỊCH", "PHÓ CHỦ TỊCH"] (DOMAIN §b).
    """
    signer = task.holder
    own = _upper(signer.position.name) if signer.position else ""
    collective = _upper(agency.collective_name) if agency and agency.collective_name else ""
    head_position = agency.head_position if agency else None
    head = _upper(head_position.name) if head_position else ""
    lines: list[str] = []
    if task.delegation is not None and task.on_behalf_of is not None:
        principal = task.on_behalf_of
        principal_position = _upper(principal.position.name) if principal.position else ""
        principal_is_head = head_position is not None and principal.position_id == head_position.pk
        code = task.delegation.capacity
        # A written authorisation is given by the head as a person: "TUQ. CHỦ TỊCH" without
        # the collective line (Decree 30, Appendix I).
        if collective and principal_is_head and code != Delegation.Capacity.TUQ:
            lines.append(f"TM. {collective}")
        if code == Delegation.Capacity.Q:
            return Capacity.Q, [*lines, f"Q. {principal_position}"]
        return code, [*lines, f"{code}. {principal_position}", own]
    if head_position is not None and signer.position_id == head_position.pk:
        if collective:
            return Capacity.TM, [f"TM. {collective}", own]
        return "", [own]
    if signer.is_leader and head:
        if collective:
            lines.append(f"TM. {collective}")
        return Capacity.KT, [*lines, f"KT. {head}", own]
    if head:
        return Capacity.TL, [f"TL. {head}", own]
    return "", [own]


# --- Moving a draft ------------------------------------------------------------------------


def _begin(
    user: User, document_id: int, action: DraftAction, version: int | None
) -> tuple[Document, ChainView]:
    try:
        document = Document.objects.select_for_update().get(
            pk=document_id, direction=Document.Direction.OUTGOING
        )
    except Document.DoesNotExist as exc:
        raise RoutingError(_("This draft does not exist.")) from exc
    if version is not None and document.version != version:
        raise DraftMovedOn
    if not is_legal_draft_action(action, document.state):
        raise ActionNotAllowed(
            _("“%(action)s” is not possible while the document is “%(state)s”.")
            % {"action": DRAFT_ACTION_LABELS[action], "state": document.get_state_display()}
        )
    chain = ChainView.load(user, document)
    if action not in chain.actions():
        raise ActionNotAllowed(
            _("You cannot “%(action)s” on this document.") % {"action": DRAFT_ACTION_LABELS[action]}
        )
    return document, chain


def _move(
    document: Document,
    user: User,
    action: DraftAction,
    target: str,
    event: str,
    note: str = "",
    **data: object,
) -> None:
    source = document.state
    document.state = check_target(action, source, target)
    document.version = F("version") + 1
    document.save()
    document.refresh_from_db(fields=["version"])
    record_event(
        document, user, event, from_state=source, to_state=document.state, note=note, **data
    )
    announce_document_change(document, "state")


def _drafter(document: Document) -> list[User]:
    """The drafter, as a list of recipients for ``notify``."""
    return [document.drafter] if document.drafter is not None else []


def _planned_holders(step: ApprovalStep) -> list[User]:
    """Who the chain named for ``step`` (before delegations and forwards)."""
    holders: dict[int, User] = {}
    for task in step.tasks.all():
        if task.cycle != step.cycle or task.forwarded_from_id is not None:
            continue
        person = task.on_behalf_of if task.delegation_id else task.holder
        assert person is not None
        holders.setdefault(person.pk, person)
    return list(holders.values())


def _activate(document: Document, step: ApprovalStep, actor: User) -> list[User]:
    """Open ``step``: its waiting tasks go to their holders (or their deputies)."""
    today = timezone.localdate()
    step.state = StepState.ACTIVE
    step.reached_at = timezone.now()
    step.save(update_fields=["state", "reached_at"])
    reached: list[User] = []
    for task in step.tasks.filter(cycle=step.cycle, state=TaskState.WAITING).select_related(
        "holder"
    ):
        delegation = active_delegation(task.holder, today, document.doc_type_id)
        if delegation is not None:
            task.on_behalf_of = task.holder
            task.holder = delegation.deputy
            task.delegation = delegation
        task.state = TaskState.PENDING
        task.save(update_fields=["holder", "on_behalf_of", "delegation", "state"])
        if grant_view_to_user(document, task.holder):
            record_event(document, actor, Event.GRANTED, note=str(task.holder))
        reached.append(task.holder)
    kind: NoticeKind = "draft_to_sign" if step.is_signing else "draft_to_approve"
    notify(reached, kind, document=document, actor=actor, step=step.label)
    return reached


def _reset_step(step: ApprovalStep, holders: list[User]) -> None:
    step.cycle += 1
    step.state = StepState.WAITING
    step.reached_at = None
    step.finished_at = None
    step.save(update_fields=["cycle", "state", "reached_at", "finished_at"])
    ApprovalTask.objects.bulk_create(
        [ApprovalTask(step=step, holder=h, cycle=step.cycle) for h in holders]
    )


def _close_pending(step: ApprovalStep, *, except_task: ApprovalTask | None = None) -> None:
    tasks = step.tasks.filter(cycle=step.cycle, state__in=[TaskState.PENDING, TaskState.WAITING])
    if except_task is not None:
        tasks = tasks.exclude(pk=except_task.pk)
    tasks.update(state=TaskState.NOT_NEEDED)


def _act(task: ApprovalTask, state: str, document: Document, comment: str, **extra: object) -> None:
    task.state = state
    task.acted_at = timezone.now()
    task.acted_on_version = document.draft_version
    task.comment = nfc(comment).strip()
    for name, value in extra.items():
        setattr(task, name, value)
    task.save()


def _task_data(task: ApprovalTask, step: ApprovalStep) -> dict[str, object]:
    return {
        "round": step.round,
        "step": step.label,
        "version": task.acted_on_version,
        "on_behalf_of": str(task.on_behalf_of) if task.on_behalf_of_id else "",
        "capacity": task.capacity,
    }


def submit_draft(
    drafter: User,
    document_id: int,
    *,
    version: int | None,
    template: ChainTemplate,
    skip_orders: Iterable[int] = (),
    extra_reviewers: Sequence[User] = (),
    note: str = "",
) -> Document:
    """Send a draft into its chain: a new round of steps, the first one reached at once.

    Refuses a template that does not apply to this draft, a chain nobody can hold, or a
    draft without recipients.
    """
    with transaction.atomic():
        document, chain = _begin(drafter, document_id, DraftAction.SUBMIT, version)
        applicable = {
            t.pk for t in list_templates(document.doc_type_id, document.drafting_department_id)
        }
        if template.pk not in applicable:
            raise RoutingError(_("This approval chain does not apply to this draft."))
        if not document.recipients.exists():
            raise RoutingError(_("Add at least one recipient before submitting."))
        planned = plan_chain(
            template,
            drafter,
            document.proposed_signer,
            skip_orders=skip_orders,
            extra_reviewers=extra_reviewers,
        )
        round_number = chain.round + 1
        for order, plan in enumerate(planned, start=1):
            step = ApprovalStep.objects.create(
                document=document,
                round=round_number,
                order=order,
                label=plan.label,
                mode=plan.mode,
                is_signing=plan.is_signing,
            )
            ApprovalTask.objects.bulk_create(
                [ApprovalTask(step=step, holder=holder) for holder in plan.holders]
            )
        first = ApprovalStep.objects.get(document=document, round=round_number, order=1)
        target = S.AWAITING_SIGNATURE if first.is_signing else S.IN_REVIEW
        _move(
            document,
            drafter,
            DraftAction.SUBMIT,
            target,
            Event.DRAFT_SUBMITTED,
            note=nfc(note).strip(),
            round=round_number,
            version=document.draft_version,
            template=template.name,
            steps=[p.label for p in planned],
        )
        _activate(document, first, drafter)
    return document


def approve_step(
    user: User, document_id: int, *, version: int | None, comment: str = ""
) -> Document:
    """The holder approves their part; when the step is complete the next one is reached."""
    with transaction.atomic():
        document, chain = _begin(user, document_id, DraftAction.APPROVE, version)
        task = chain.my_task()
        step = chain.active_step
        assert task is not None and step is not None  # checked by chain.actions()
        _act(task, TaskState.APPROVED, document, comment)
        live = [t for t in step.tasks.filter(cycle=step.cycle)]
        complete = step.mode != StepMode.ALL or all(
            t.state in (TaskState.APPROVED, TaskState.FORWARDED) for t in live
        )
        target = document.state
        next_step = None
        if complete:
            _close_pending(step, except_task=task)
            step.state = StepState.APPROVED
            step.finished_at = timezone.now()
            step.save(update_fields=["state", "finished_at"])
            next_step = next((s for s in chain.steps if s.order > step.order), None)
            if next_step is None:
                raise RoutingError(_("This chain has no signing step; ask the administrator."))
            target = S.AWAITING_SIGNATURE if next_step.is_signing else S.IN_REVIEW
        _move(
            document,
            user,
            DraftAction.APPROVE,
            target,
            Event.STEP_APPROVED,
            note=task.comment,
            **_task_data(task, step),
        )
        if next_step is not None:
            _activate(document, next_step, user)
        if complete:
            # The drafter hears when a step is passed, not of each part of a parallel one.
            notify(
                _drafter(document),
                "draft_approved",
                document=document,
                actor=user,
                step=step.label,
            )
    return document


def return_draft(
    user: User,
    document_id: int,
    *,
    version: int | None,
    comment: str,
    to_step_order: int | None = None,
) -> Document:
    """Send the draft back with comments: to the drafter (the round ends) or to an
    earlier step, whose approvers see it again."""
    comment = nfc(comment).strip()
    if not comment:
        raise RoutingError(_("Say what must be changed."))
    with transaction.atomic():
        document, chain = _begin(user, document_id, DraftAction.RETURN, version)
        task = chain.my_task()
        step = chain.active_step
        assert task is not None and step is not None
        _act(task, TaskState.RETURNED, document, comment)
        _close_pending(step, except_task=task)
        if to_step_order is None:
            for s in chain.steps:
                if s.state in (StepState.ACTIVE, StepState.WAITING):
                    s.state = StepState.RETURNED if s.pk == step.pk else StepState.WITHDRAWN
                    s.finished_at = timezone.now()
                    s.save(update_fields=["state", "finished_at"])
            ApprovalTask.objects.filter(
                step__document=document, step__round=chain.round, state=TaskState.WAITING
            ).update(state=TaskState.NOT_NEEDED)
            _move(
                document,
                user,
                DraftAction.RETURN,
                S.REVISION,
                Event.STEP_RETURNED,
                note=comment,
                to=str(document.drafter),
                **_task_data(task, step),
            )
            notify(
                _drafter(document),
                "draft_returned",
                document=document,
                actor=user,
                step=step.label,
            )
            return document
        earlier = {s.order: s for s in chain.earlier_steps()}
        back_to = earlier.get(to_step_order)
        if back_to is None:
            raise RoutingError(_("Choose a step the draft has already passed."))
        for s in chain.steps:
            if back_to.order <= s.order <= step.order:
                _reset_step(s, _planned_holders(s))
        _move(
            document,
            user,
            DraftAction.RETURN,
            S.IN_REVIEW,
            Event.STEP_RETURNED,
            note=comment,
            to=back_to.label,
            **_task_data(task, step),
        )
        back_to.refresh_from_db()
        _activate(document, back_to, user)
        notify(
            _drafter(document),
            "draft_returned",
            document=document,
            actor=user,
            step=back_to.label,
        )
    return document


def forward_task(
    user: User, document_id: int, *, version: int | None, to: User, reason: str
) -> Document:
    """Hand one's part of the step to another approver, with the reason; the history keeps
    who forwarded to whom."""
    reason = nfc(reason).strip()
    if not reason:
        raise RoutingError(_("Say why you forward the draft."))
    if not to.is_active:
        raise RoutingError(_("%(name)s can no longer sign in.") % {"name": to})
    if to.pk == user.pk:
        raise RoutingError(_("Choose someone else."))
    with transaction.atomic():
        document, chain = _begin(user, document_id, DraftAction.FORWARD, version)
        task = chain.my_task()
        step = chain.active_step
        assert task is not None and step is not None
        if any(
            t.holder_id == to.pk and t.state == TaskState.PENDING for t in chain.live_tasks(step)
        ):
            raise RoutingError(_("%(name)s already holds this step.") % {"name": to})
        if step.is_signing and not (to.is_leader or to.is_department_head):
            raise RoutingError(_("%(name)s cannot sign documents.") % {"name": to})
        _act(task, TaskState.FORWARDED, document, reason)
        ApprovalTask.objects.create(
            step=step, holder=to, cycle=step.cycle, state=TaskState.PENDING, forwarded_from=task
        )
        if grant_view_to_user(document, to):
            record_event(document, user, Event.GRANTED, note=str(to))
        _move(
            document,
            user,
            DraftAction.FORWARD,
            document.state,
            Event.STEP_FORWARDED,
            note=reason,
            to=str(to),
            **_task_data(task, step),
        )
        kind: NoticeKind = "draft_to_sign" if step.is_signing else "draft_to_approve"
        notify([to], kind, document=document, actor=user, step=step.label)
    return document


def recall_draft(
    drafter: User, document_id: int, *, version: int | None, reason: str = ""
) -> Document:
    """The drafter takes the draft back before any approver has acted on it."""
    with transaction.atomic():
        document, chain = _begin(drafter, document_id, DraftAction.RECALL, version)
        pending = [
            t.holder for s in chain.steps for t in s.tasks.all() if t.state == TaskState.PENDING
        ]
        for s in chain.steps:
            if s.state in (StepState.ACTIVE, StepState.WAITING):
                s.state = StepState.WITHDRAWN
                s.save(update_fields=["state"])
        ApprovalTask.objects.filter(
            step__document=document,
            step__round=chain.round,
            state__in=[TaskState.PENDING, TaskState.WAITING],
        ).update(state=TaskState.NOT_NEEDED)
        _move(
            document,
            drafter,
            DraftAction.RECALL,
            S.DRAFT,
            Event.DRAFT_RECALLED,
            note=nfc(reason).strip(),
            round=chain.round,
        )
        notify(pending, "draft_recalled", document=document, actor=drafter)
    return document


def sign_off(user: User, document_id: int, *, version: int | None, comment: str = "") -> Document:
    """The signer approves the final draft (Ký duyệt); it waits for the clerks to issue.

    The capacity in which they sign (TM., KT., Q., TL., TUQ.) is recorded from the chain
    and their position. Confidential drafts are granted to the clerks personally.
    """
    with files_removed_on_failure() as stored, transaction.atomic():
        document, chain = _begin(user, document_id, DraftAction.SIGN, version)
        task = chain.my_task()
        step = chain.active_step
        assert task is not None and step is not None
        code, lines = signing_capacity(task, Agency.objects.select_related("head_position").first())
        _act(task, TaskState.SIGNED, document, comment, capacity=code)
        _close_pending(step, except_task=task)
        step.state = StepState.APPROVED
        step.finished_at = timezone.now()
        step.save(update_fields=["state", "finished_at"])
        document.signed_by = user
        document.signed_at = timezone.now()
        document.signer_name = user.get_full_name()
        document.signer_capacity = "\n".join(line for line in lines if line)
        sign_for_signer(document, user, stored)  # issue 7: the signer's digital signature
        _move(
            document,
            user,
            DraftAction.SIGN,
            S.SIGNED,
            Event.SIGNED_OFF,
            note=task.comment,
            capacity_lines=lines,
            **_task_data(task, step),
        )
        clerks = list(User.objects.filter(is_active=True, roles__code=Role.Code.CLERK))
        if document.is_confidential:
            for clerk in clerks:
                if grant_view_to_user(document, clerk):
                    record_event(document, user, Event.GRANTED, note=str(clerk))
        notify(clerks, "document_to_issue", document=document, actor=user)
        notify(
            _drafter(document),
            "draft_signed",
            document=document,
            actor=user,
        )
    return document


def abandon_draft(
    drafter: User, document_id: int, *, version: int | None, reason: str = ""
) -> Document:
    """The drafter gives the draft up; it stays, marked abandoned, with its history."""
    with transaction.atomic():
        document, _chain = _begin(drafter, document_id, DraftAction.ABANDON, version)
        _move(
            document,
            drafter,
            DraftAction.ABANDON,
            S.ABANDONED,
            Event.DRAFT_ABANDONED,
            note=nfc(reason).strip(),
        )
    return document


def comment_on_draft(user: User, document_id: int, text: str) -> DocumentEvent:
    text = nfc(text).strip()
    if not text:
        raise RoutingError(_("Write a comment first."))
    with transaction.atomic():
        document, _chain = _begin(user, document_id, DraftAction.COMMENT, None)
        event = record_event(
            document, user, Event.COMMENTED, note=text, version=document.draft_version
        )
        announce_document_change(document, "history")
    return event

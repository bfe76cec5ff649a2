"""Shared helpers of the outgoing service tests: drafts brought to each state, snapshots."""

from __future__ import annotations

from dataclasses import dataclass

from documents.models import Document, DocumentEvent
from realtime.models import Notice
from routing.approval_models import ApprovalStep, ApprovalTask
from routing.approvals import (
    abandon_draft,
    approve_step,
    return_draft,
    submit_draft,
)
from routing.issuing import issue_outgoing, withdraw_issued
from tests.builders import People
from tests.outgoing_builders import Chain, make_draft, signed_draft

S = Document.State


def bring_to(state: str, people: People, chain: Chain) -> Document:
    """A draft of the usual chain (head, office chief, leader) in ``state``."""
    if state in (S.SIGNED, S.ISSUED, S.WITHDRAWN):
        draft = signed_draft(people, chain)
        if state != S.SIGNED:
            issue_outgoing(people.clerk, draft.pk, version=None)
        if state == S.WITHDRAWN:
            withdraw_issued(people.clerk, draft.pk, version=None, reason="Sai sót")
    else:
        draft = make_draft(people)
        if state == S.ABANDONED:
            abandon_draft(people.specialist, draft.pk, version=None)
        elif state != S.DRAFT:
            submit_draft(people.specialist, draft.pk, version=None, template=chain.template)
            if state == S.REVISION:
                return_draft(people.head, draft.pk, version=None, comment="Sửa số liệu")
            elif state == S.AWAITING_SIGNATURE:
                approve_step(people.head, draft.pk, version=None)
                approve_step(chain.office_chief, draft.pk, version=None)
    draft.refresh_from_db()
    assert draft.state == state
    return draft


@dataclass(frozen=True)
class Snapshot:
    state: str
    version: int
    draft_version: int
    events: int
    notices: int
    tasks: tuple[tuple[int, str], ...]
    steps: tuple[tuple[int, str, int], ...]
    documents: int


def snapshot(document: Document) -> Snapshot:
    document.refresh_from_db()
    return Snapshot(
        state=document.state,
        version=document.version,
        draft_version=document.draft_version,
        events=DocumentEvent.objects.count(),
        notices=Notice.objects.count(),
        tasks=tuple(
            ApprovalTask.objects.filter(step__document=document)
            .order_by("pk")
            .values_list("pk", "state")
        ),
        steps=tuple(
            ApprovalStep.objects.filter(document=document)
            .order_by("pk")
            .values_list("pk", "state", "cycle")
        ),
        documents=Document.objects.count(),
    )


def notices(document: Document, kind: str | None = None) -> list[tuple[str, str]]:
    """(kind, recipient username) of the notices about ``document``, oldest first."""
    rows = Notice.objects.filter(document=document).order_by("pk")
    if kind is not None:
        rows = rows.filter(kind=kind)
    return [(n.kind, n.recipient.username) for n in rows.select_related("recipient")]


def recipients_of(document: Document, kind: str) -> set[str]:
    return {username for k, username in notices(document, kind) if k == kind}


def task_of(document: Document, username: str, **filters: object) -> ApprovalTask:
    return ApprovalTask.objects.filter(
        step__document=document, holder__username=username, **filters
    ).latest("pk")

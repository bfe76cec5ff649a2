"""The outgoing-document state machine: which action is legal in which state.

Who may take an action is decided by ``routing.approval_rules``; this table only says where
an action is legal at all, and which states it may lead to (approving moves to the signing
step or stays in review, depending on the chain). Services refuse anything not in it.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from django.utils.translation import gettext_lazy as _

from documents.models import Document

S = Document.State


class DraftAction(StrEnum):
    EDIT = "edit"
    SUBMIT = "submit"
    APPROVE = "approve"
    RETURN = "return"
    FORWARD = "forward"
    RECALL = "recall"
    SIGN = "sign"
    ISSUE = "issue"
    WITHDRAW = "withdraw"
    ABANDON = "abandon"
    COMMENT = "comment"


DRAFT_ACTION_LABELS = {
    DraftAction.EDIT: _("Edit the draft"),
    DraftAction.SUBMIT: _("Submit for approval"),
    DraftAction.APPROVE: _("Approve"),
    DraftAction.RETURN: _("Return"),
    DraftAction.FORWARD: _("Forward"),
    DraftAction.RECALL: _("Recall"),
    DraftAction.SIGN: _("Sign off"),
    DraftAction.ISSUE: _("Number and issue"),
    DraftAction.WITHDRAW: _("Withdraw the issued document"),
    DraftAction.ABANDON: _("Abandon the draft"),
    DraftAction.COMMENT: _("Comment"),
}


@dataclass(frozen=True)
class DraftTransition:
    sources: frozenset[str]
    targets: frozenset[str]  # empty: the state does not change


EDITABLE = frozenset({S.DRAFT, S.REVISION})
UNDER_REVIEW = frozenset({S.IN_REVIEW, S.AWAITING_SIGNATURE})
REVIEW_TARGETS = frozenset({S.IN_REVIEW, S.AWAITING_SIGNATURE})

OUTGOING_TRANSITIONS: dict[DraftAction, DraftTransition] = {
    DraftAction.EDIT: DraftTransition(EDITABLE, frozenset()),
    DraftAction.SUBMIT: DraftTransition(EDITABLE, REVIEW_TARGETS),
    DraftAction.APPROVE: DraftTransition(frozenset({S.IN_REVIEW}), REVIEW_TARGETS),
    # To the drafter (revision) or to an earlier step (stays in review).
    DraftAction.RETURN: DraftTransition(UNDER_REVIEW, frozenset({S.REVISION, S.IN_REVIEW})),
    DraftAction.FORWARD: DraftTransition(UNDER_REVIEW, frozenset()),
    DraftAction.RECALL: DraftTransition(UNDER_REVIEW, frozenset({S.DRAFT})),
    DraftAction.SIGN: DraftTransition(frozenset({S.AWAITING_SIGNATURE}), frozenset({S.SIGNED})),
    DraftAction.ISSUE: DraftTransition(frozenset({S.SIGNED}), frozenset({S.ISSUED})),
    DraftAction.WITHDRAW: DraftTransition(frozenset({S.ISSUED}), frozenset({S.WITHDRAWN})),
    DraftAction.ABANDON: DraftTransition(EDITABLE, frozenset({S.ABANDONED})),
    DraftAction.COMMENT: DraftTransition(
        frozenset({S.DRAFT, S.IN_REVIEW, S.AWAITING_SIGNATURE, S.REVISION, S.SIGNED, S.ISSUED}),
        frozenset(),
    ),
}

OUTGOING_STATES = frozenset(
    {
        S.DRAFT,
        S.IN_REVIEW,
        S.AWAITING_SIGNATURE,
        S.REVISION,
        S.SIGNED,
        S.ISSUED,
        S.WITHDRAWN,
        S.ABANDONED,
    }
)


def is_legal_draft_action(action: DraftAction, state: str) -> bool:
    return state in OUTGOING_TRANSITIONS[action].sources


def check_target(action: DraftAction, source: str, target: str) -> str:
    """The state ``action`` leads to; refuses a target the table does not allow."""
    transition = OUTGOING_TRANSITIONS[action]
    if not transition.targets:
        if target != source:
            raise ValueError(f"{action} does not change the state")
        return source
    if target not in transition.targets:
        raise ValueError(f"{action} cannot lead from {source} to {target}")
    return target

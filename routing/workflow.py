"""The incoming-document state machine: which action moves a document from which state.

Who may take an action is decided by ``routing.rules``; this table only says where an
action is legal at all. Services refuse anything that is not in it.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from django.utils.translation import gettext_lazy as _

from documents.models import Document

S = Document.State


class Action(StrEnum):
    SUBMIT = "submit"
    DIRECT = "direct"
    RETURN = "return"
    PASS_ON = "pass_on"  # noqa: S105 - an action name
    COMPLETE_PART = "complete_part"
    COMPLETE = "complete"
    REQUEST_EXTENSION = "request_extension"
    DECIDE_EXTENSION = "decide_extension"
    REOPEN = "reopen"
    CANCEL = "cancel"
    COMMENT = "comment"


ACTION_LABELS = {
    Action.SUBMIT: _("Submit to a leader"),
    Action.DIRECT: _("Direct and assign"),
    Action.RETURN: _("Return"),
    Action.PASS_ON: _("Pass on for handling"),
    Action.COMPLETE_PART: _("Complete my part"),
    Action.COMPLETE: _("Complete"),
    Action.REQUEST_EXTENSION: _("Ask for an extension"),
    Action.DECIDE_EXTENSION: _("Decide on the extension"),
    Action.REOPEN: _("Reopen"),
    Action.CANCEL: _("Cancel the registration"),
    Action.COMMENT: _("Comment"),
}


@dataclass(frozen=True)
class Transition:
    sources: frozenset[str]
    target: str | None  # None: the document's state does not change


# The states of the incoming flow; WITHDRAWN is reached only by a copy of one of our own
# documents when we withdraw it (routing.issuing).
INCOMING_STATES = frozenset(
    {
        S.REGISTERED,
        S.AWAITING_DIRECTION,
        S.DIRECTED,
        S.IN_PROGRESS,
        S.COMPLETED,
        S.RETURNED,
        S.CANCELLED,
        S.WITHDRAWN,
    }
)
IN_HANDLING = frozenset({S.DIRECTED, S.IN_PROGRESS})

INCOMING_TRANSITIONS: dict[Action, Transition] = {
    Action.SUBMIT: Transition(frozenset({S.REGISTERED, S.RETURNED}), S.AWAITING_DIRECTION),
    Action.DIRECT: Transition(frozenset({S.AWAITING_DIRECTION}), S.DIRECTED),
    Action.RETURN: Transition(frozenset({S.AWAITING_DIRECTION}), S.RETURNED),
    Action.PASS_ON: Transition(IN_HANDLING, S.IN_PROGRESS),
    Action.COMPLETE_PART: Transition(IN_HANDLING, None),
    Action.COMPLETE: Transition(IN_HANDLING, S.COMPLETED),
    Action.REQUEST_EXTENSION: Transition(IN_HANDLING, None),
    Action.DECIDE_EXTENSION: Transition(IN_HANDLING, None),
    Action.REOPEN: Transition(frozenset({S.COMPLETED}), S.IN_PROGRESS),
    Action.CANCEL: Transition(frozenset({S.REGISTERED, S.RETURNED}), S.CANCELLED),
    Action.COMMENT: Transition(INCOMING_STATES - {S.CANCELLED}, None),
}


def is_legal(action: Action, state: str) -> bool:
    return state in INCOMING_TRANSITIONS[action].sources


def next_state(action: Action, state: str) -> str:
    transition = INCOMING_TRANSITIONS[action]
    return transition.target or state

"""The kinds of notice and how each reads; routing decides when each is raised."""

from __future__ import annotations

from typing import TYPE_CHECKING, Literal, TypedDict

from django.utils.translation import gettext_lazy as _

if TYPE_CHECKING:
    # django-stubs-ext is a development dependency: imported for annotations only.
    from django_stubs_ext import StrPromise

NoticeKind = Literal[
    "document_to_direct",
    "document_assigned",
    "document_returned",
    "document_completed",
    "part_completed",
    "document_reopened",
    "extension_requested",
    "extension_granted",
    "extension_refused",
    "comment",
    "deadline_soon",
    "deadline_today",
    "deadline_overdue",
    "reminder",
    "mention",
    "draft_to_approve",
    "draft_to_sign",
    "draft_approved",
    "draft_returned",
    "draft_recalled",
    "draft_signed",
    "document_to_issue",
    "document_issued",
    "document_withdrawn",
    "export_ready",
    "export_failed",
]

NOTICE_LABELS: dict[str, StrPromise] = {
    "document_to_direct": _("A document waits for your direction"),
    "document_assigned": _("A document was assigned to you"),
    "document_returned": _("A document was returned to the clerks"),
    "document_completed": _("A document you directed has been handled"),
    "part_completed": _("A coordinating unit reported its part"),
    "document_reopened": _("A document was reopened"),
    "extension_requested": _("An extension is asked of you"),
    "extension_granted": _("Your extension was granted"),
    "extension_refused": _("Your extension was refused"),
    "comment": _("New comment on a document you follow"),
    "deadline_soon": _("Deadline in two days"),
    "deadline_today": _("Deadline today"),
    "deadline_overdue": _("Handling is overdue"),
    "reminder": _("Reminder from a leader"),
    "mention": _("You were mentioned in a message"),
    "draft_to_approve": _("A draft waits for your approval"),
    "draft_to_sign": _("A draft waits for your signature"),
    "draft_approved": _("Your draft passed a step"),
    "draft_returned": _("A draft was returned for revision"),
    "draft_recalled": _("A draft was recalled by its drafter"),
    "draft_signed": _("Your draft was signed off"),
    "document_to_issue": _("A signed document waits to be numbered and issued"),
    "document_issued": _("A document you worked on was issued"),
    "document_withdrawn": _("An issued document was withdrawn"),
    "export_ready": _("Your register export is ready to download"),
    "export_failed": _("Your register export could not be written"),
}


class NoticeEvent(TypedDict):
    """What a websocket carries: ids and a kind, never document content."""

    type: Literal["notice"]
    id: int
    seq: int
    kind: str
    document_id: int | None


class ChatMessageEvent(TypedDict):
    """A new message in a conversation: ids only; the page fetches the text it may see."""

    type: Literal["chat.message"]
    conversation_id: int
    message_id: int

"""Outgoing drafts: writing them, their versions and their recipients.

The approval chain that moves a draft is ``routing.approvals``; this module owns what the
draft says and which files it has. Every function here runs in one transaction and writes
its history entry; files stored by a failed call are removed again.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from documents.errors import DocumentError
from documents.models import (
    Attachment,
    Document,
    DocumentEvent,
    DocumentType,
    OutgoingRecipient,
)
from documents.permissions import grant_view_to_user
from documents.services import add_attachment, files_removed_on_failure, record_event
from documents.text import fold, nfc
from documents.uploads import CheckedFile
from eoffice.models import Agency, Department, User

# The states in which the drafter may change the draft (routing.approval_workflow agrees).
EDITABLE_STATES = frozenset({Document.State.DRAFT, Document.State.REVISION})
Group = OutgoingRecipient.Group


@dataclass
class RecipientLine:
    """One recipient as the drafter chose it: a department, a person or an outside agency."""

    group: str
    department: Department | None = None
    user: User | None = None
    external_name: str = ""
    external_code: str = ""


@dataclass
class DraftData:
    doc_type: DocumentType
    summary: str
    urgency: int = 0
    secrecy: int = 0
    proposed_signer: User | None = None
    in_reply_to: Document | None = None
    page_count: int | None = None
    copies: int | None = None
    notes: str = ""
    recipients: list[RecipientLine] = field(default_factory=list)


class DraftNotEditable(DocumentError):
    pass


def _check_can_write(user: User, document: Document) -> None:
    if document.drafter_id != user.pk:
        raise DraftNotEditable(_("Only the drafter can change this draft."))
    if document.state not in EDITABLE_STATES:
        raise DraftNotEditable(
            _("The draft is “%(state)s”: it can be changed only after it comes back to you.")
            % {"state": document.get_state_display()}
        )


def _apply(document: Document, data: DraftData) -> None:
    if data.in_reply_to is not None and data.in_reply_to.direction != Document.Direction.INCOMING:
        raise DocumentError(_("A draft can only answer an incoming document."))
    document.doc_type = data.doc_type
    document.summary = nfc(data.summary).strip()
    document.urgency = data.urgency
    document.secrecy = data.secrecy
    document.proposed_signer = data.proposed_signer
    document.in_reply_to = data.in_reply_to
    document.page_count = data.page_count
    document.copies = data.copies
    document.notes = nfc(data.notes).strip()
    document.signer_name = str(data.proposed_signer) if data.proposed_signer else ""
    document.search_text = fold(f"{document.summary} {document.sender_name}")


def _set_recipients(document: Document, lines: list[RecipientLine]) -> None:
    seen: set[tuple[str, object]] = set()
    rows = []
    for order, line in enumerate(lines):
        key: tuple[str, object]
        if line.department is not None:
            key = ("department", line.department.pk)
        elif line.user is not None:
            key = ("user", line.user.pk)
        else:
            name = nfc(line.external_name).strip()
            if not name:
                continue
            key = ("external", fold(name))
        if key in seen:
            continue  # the same recipient twice: once is enough, in the first group given
        seen.add(key)
        rows.append(
            OutgoingRecipient(
                document=document,
                group=line.group,
                department=line.department,
                user=line.user,
                external_name="" if key[0] != "external" else nfc(line.external_name).strip(),
                external_code=line.external_code.strip().upper() if key[0] == "external" else "",
                sort_order=order,
            )
        )
    document.recipients.all().delete()
    OutgoingRecipient.objects.bulk_create(rows)


def _store_version(
    document: Document,
    user: User,
    files: list[CheckedFile],
    appendices: list[CheckedFile],
    stored: list[str],
) -> None:
    for checked in files:
        attachment = add_attachment(document, user, checked, stored, kind=Attachment.Kind.DRAFT)
        attachment.version = document.draft_version
        attachment.save(update_fields=["version"])
    for checked in appendices:
        attachment = add_attachment(document, user, checked, stored, kind=Attachment.Kind.APPENDIX)
        attachment.version = document.draft_version
        attachment.save(update_fields=["version"])


def create_draft(
    drafter: User,
    data: DraftData,
    files: list[CheckedFile],
    appendices: list[CheckedFile] | None = None,
) -> Document:
    """Write a new outgoing draft (version 1) by ``drafter``, visible to them alone.

    Refuses a draft without a file or by someone outside any department. The draft, its
    files, recipients, grant and history are written together or not at all.
    """
    if not drafter.is_active or drafter.department_id is None:
        raise DocumentError(_("Only a member of a department can write a draft."))
    if not files:
        raise DocumentError(_("Attach the file of the draft."))
    agency = Agency.objects.first()
    now = timezone.now()
    with files_removed_on_failure() as stored, transaction.atomic():
        document = Document(
            direction=Document.Direction.OUTGOING,
            state=Document.State.DRAFT,
            registered_at=now,
            sender_name=agency.name if agency else "",
            sender_key=fold(agency.name) if agency else "",
            number_symbol="",
            number_symbol_key="",
            drafter=drafter,
            drafting_department_id=drafter.department_id,
            draft_version=1,
            receipt_method=Document.ReceiptMethod.ELECTRONIC,
        )
        _apply(document, data)
        document.save()
        _set_recipients(document, data.recipients)
        record_event(
            document,
            drafter,
            DocumentEvent.Action.DRAFT_CREATED,
            to_state=Document.State.DRAFT,
            version=1,
        )
        grant_view_to_user(document, drafter)
        _store_version(document, drafter, files, appendices or [], stored)
    return document


def update_draft(drafter: User, document_id: int, version: int | None, data: DraftData) -> Document:
    """Change what a draft says while it is with its drafter."""
    with transaction.atomic():
        document = Document.objects.select_for_update().get(pk=document_id)
        check_version(document, version)
        _check_can_write(drafter, document)
        _apply(document, data)
        document.version = F("version") + 1
        document.save()
        document.refresh_from_db(fields=["version"])
        _set_recipients(document, data.recipients)
        record_event(
            document,
            drafter,
            DocumentEvent.Action.DRAFT_EDITED,
            version=document.draft_version,
        )
    return document


def add_draft_version(
    drafter: User,
    document_id: int,
    version: int | None,
    files: list[CheckedFile],
    appendices: list[CheckedFile] | None = None,
    note: str = "",
) -> Document:
    """Upload the next version of the draft; earlier versions are kept as they were."""
    if not files:
        raise DocumentError(_("Attach the file of the new version."))
    with files_removed_on_failure() as stored, transaction.atomic():
        document = Document.objects.select_for_update().get(pk=document_id)
        check_version(document, version)
        _check_can_write(drafter, document)
        document.draft_version += 1
        document.version = F("version") + 1
        document.save(update_fields=["draft_version", "version", "updated_at"])
        document.refresh_from_db(fields=["version"])
        _store_version(document, drafter, files, appendices or [], stored)
        record_event(
            document,
            drafter,
            DocumentEvent.Action.VERSION_ADDED,
            note=nfc(note).strip(),
            version=document.draft_version,
        )
    return document


class DraftMovedOn(DocumentError):
    def __init__(self) -> None:
        super().__init__(
            _(
                "Someone else has acted on this document in the meantime; "
                "it has moved on. The page now shows its current state."
            )
        )


def check_version(document: Document, version: int | None) -> None:
    if version is not None and document.version != version:
        raise DraftMovedOn


def draft_files(document: Document, version: int | None = None) -> list[Attachment]:
    """The files of one version of a draft (the current one by default)."""
    wanted = document.draft_version if version is None else version
    return [
        a
        for a in document.attachments.all()
        if a.kind in (Attachment.Kind.DRAFT, Attachment.Kind.APPENDIX) and a.version == wanted
    ]

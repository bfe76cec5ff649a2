"""State changes owned by the documents app: registering, attaching files, history."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from django.core.files.storage import default_storage
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from documents.errors import DocumentError
from documents.models import Attachment, Document, DocumentEvent, DocumentType, Register
from documents.numbering import get_or_create_register, insert_numbered
from documents.permissions import grant_view_to_user
from documents.text import fold, nfc, number_symbol_key
from documents.uploads import CheckedFile
from eoffice.models import User

logger = logging.getLogger(__name__)


class PossibleDuplicate(DocumentError):
    def __init__(self, existing: list[Document]) -> None:
        self.existing = existing
        super().__init__(_("This document may already be registered."))


@dataclass
class IncomingData:
    sender_name: str
    number_symbol: str
    issued_on: date
    doc_type: DocumentType
    summary: str
    received_at: datetime
    signer_name: str = ""
    urgency: int = 0
    secrecy: int = 0
    page_count: int | None = None
    deadline: date | None = None
    receipt_method: str = Document.ReceiptMethod.PAPER
    notes: str = ""


def record_event(
    document: Document,
    actor: User | None,
    action: str,
    *,
    note: str = "",
    from_state: str = "",
    to_state: str = "",
    **data: Any,
) -> DocumentEvent:
    return DocumentEvent.objects.create(
        document=document,
        actor=actor,
        action=action,
        note=note,
        from_state=from_state,
        to_state=to_state,
        data=data,
    )


def build_search_text(document: Document) -> str:
    return fold(f"{document.summary} {document.number_symbol} {document.sender_name}")


def find_possible_duplicates(
    sender_name: str, number_symbol: str, issued_on: date
) -> list[Document]:
    """Registered documents with the same sender, number/symbol and date (App. VI)."""
    return list(
        Document.objects.filter(
            direction=Document.Direction.INCOMING,
            number_symbol_key=number_symbol_key(number_symbol),
            issued_on=issued_on,
        )
        .exclude(state=Document.State.CANCELLED)
        .filter(sender_key=fold(sender_name))
        .select_related("register")[:5]
    )


def build_incoming(clerk: User, data: IncomingData, register: Register, now: datetime) -> Document:
    """The incoming document as registered, whole but not saved and not numbered yet."""
    document = Document(
        direction=Document.Direction.INCOMING,
        register=register,
        received_at=data.received_at,
        registered_at=now,
        registered_by=clerk,
        sender_name=nfc(data.sender_name).strip(),
        sender_key=fold(data.sender_name),
        number_symbol=nfc(data.number_symbol).strip(),
        number_symbol_key=number_symbol_key(data.number_symbol),
        issued_on=data.issued_on,
        doc_type=data.doc_type,
        summary=nfc(data.summary).strip(),
        signer_name=nfc(data.signer_name).strip(),
        urgency=data.urgency,
        secrecy=data.secrecy,
        page_count=data.page_count,
        deadline=data.deadline,
        receipt_method=data.receipt_method,
        notes=nfc(data.notes).strip(),
        state=Document.State.REGISTERED,
    )
    document.search_text = build_search_text(document)
    return document


def register_incoming(
    clerk: User, data: IncomingData, files: list[CheckedFile], *, confirm_duplicate: bool = False
) -> Document:
    """Register an incoming document and give it the next arrival number of its register.

    Guarantees: the number is unique and gap-free in the register of the current year
    (confidential documents in their own register); the document, its files and the history
    entries are written in one transaction, so a failure leaves nothing behind. Refuses a
    possible duplicate unless ``confirm_duplicate``; the confirmation is recorded.
    """
    if not clerk.is_clerk:
        raise DocumentError(_("Only a clerk can register incoming documents."))
    duplicates = find_possible_duplicates(data.sender_name, data.number_symbol, data.issued_on)
    if duplicates and not confirm_duplicate:
        raise PossibleDuplicate(duplicates)
    now = timezone.now()
    year = timezone.localdate(now).year
    with files_removed_on_failure() as stored, transaction.atomic():
        register = get_or_create_register(
            Register.Kind.INCOMING, year, confidential=data.secrecy != 0
        )
        # Built whole before the number is taken: from the number to the COMMIT the
        # register's counter is locked (documents.numbering.insert_numbered).
        document = build_incoming(clerk, data, register, now)
        insert_numbered(document)
        record_event(
            document,
            clerk,
            DocumentEvent.Action.REGISTERED,
            to_state=Document.State.REGISTERED,
            note=_("Arrival number %(number)s in %(register)s")
            % {"number": document.register_number_display, "register": register.name},
        )
        if duplicates:
            record_event(
                document,
                clerk,
                DocumentEvent.Action.DUPLICATE_CONFIRMED,
                note=", ".join(str(d.pk) for d in duplicates),
                duplicate_ids=[d.pk for d in duplicates],
            )
        if grant_view_to_user(document, clerk):
            record_event(document, clerk, DocumentEvent.Action.GRANTED, note=str(clerk))
        added = [add_attachment(document, clerk, checked, stored) for checked in files]
    # Digital signatures (issue 7): every PDF entering the system is verified once, after
    # the commit, so that checking signatures never holds the register's counter lock.
    # The registration stands even if a check fails: the document page checks any PDF that
    # has no result yet.
    from documents.signing.services import check_attachments

    try:
        check_attachments(added)
    except Exception:
        logger.exception("signature check of document %s failed", document.pk)
    return document


@contextmanager
def files_removed_on_failure() -> Iterator[list[str]]:
    """Collect the names of files stored inside a transaction; delete them if it fails.

    The database rolls back on its own; files on disk do not, so a failed action would
    otherwise leave orphans behind.
    """
    stored: list[str] = []
    try:
        yield stored
    except BaseException:
        for name in stored:
            default_storage.delete(name)
        raise


def add_attachment(
    document: Document,
    user: User,
    checked: CheckedFile,
    stored: list[str],
    kind: str = Attachment.Kind.DOCUMENT,
) -> Attachment:
    """Store a checked file under a generated name and record it in the history.

    ``stored`` comes from ``files_removed_on_failure()`` in the calling service.
    """
    attachment = Attachment(
        document=document,
        kind=kind,
        original_name=nfc(checked.original_name),
        content_type=checked.content_type,
        size=checked.size,
        sha256=checked.sha256,
        uploaded_by=user,
    )
    checked.upload.seek(0)
    attachment.file.save("upload", checked.upload, save=False)
    assert attachment.file.name is not None  # save() has just stored it under this name
    stored.append(attachment.file.name)
    attachment.save()
    record_event(
        document,
        user,
        DocumentEvent.Action.ATTACHMENT_ADDED,
        note=attachment.original_name,
        attachment_id=attachment.pk,
        sha256=attachment.sha256,
        size=attachment.size,
    )
    return attachment


def record_download(document: Document, user: User, attachment: Attachment) -> None:
    record_event(
        document,
        user,
        DocumentEvent.Action.DOWNLOADED,
        note=attachment.original_name,
        attachment_id=attachment.pk,
    )

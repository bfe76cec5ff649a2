"""Issuing a signed-off document, distributing it inside the agency, and withdrawing it."""

from __future__ import annotations

from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from documents.drafts import draft_files
from documents.models import Attachment, Document, DocumentEvent, OutgoingRecipient, Register
from documents.numbering import allocate_number, get_or_create_register
from documents.outgoing_numbers import build_number_symbol, take_number
from documents.permissions import grant_view_to_department, grant_view_to_user
from documents.services import (
    add_attachment,
    build_search_text,
    files_removed_on_failure,
    record_event,
)
from documents.signing.models import SignedFile
from documents.signing.services import check_issued_copies, seal_issued_files
from documents.text import nfc, number_symbol_key
from documents.uploads import CheckedFile
from eoffice.models import Agency, User
from realtime.services import announce_document_change, notify
from routing.approval_models import ApprovalTask
from routing.approval_workflow import DraftAction
from routing.approvals import _begin, _move
from routing.models import Assignment
from routing.notices import followers, notify_assigned
from routing.services import RoutingError, Target, _assign

S = Document.State
Event = DocumentEvent.Action
Group = OutgoingRecipient.Group


def issue_outgoing(
    clerk: User,
    document_id: int,
    *,
    version: int | None,
    final_files: list[CheckedFile] | None = None,
    reservation_id: int | None = None,
    copies: int | None = None,
) -> Document:
    """Number a signed-off document, issue it and deliver it to its internal recipients.

    In one transaction: the next number of its outgoing series for the year of today's date
    (or a number reserved for it), the number/symbol, the issue date, the final file (the
    one uploaded, else the signed version's files), the lock; then, for every internal
    recipient to execute or to inform, an incoming document registered with its own arrival
    number, linked to this one, sharing its files, and assigned to the recipient. Outside
    agencies are listed as "to be sent".
    """
    now = timezone.now()
    today = timezone.localdate(now)
    with files_removed_on_failure() as stored, transaction.atomic():
        document, _chain = _begin(clerk, document_id, DraftAction.ISSUE, version)
        if SignedFile.objects.filter(document=document, state=SignedFile.State.PENDING).exists():
            # Issued now, it would go out without the leader's digital signature.
            raise RoutingError(
                _(
                    "The signer has not yet signed this document with their device; it can "
                    "be issued once the signature is in."
                )
            )
        agency = Agency.objects.get()
        register, number = take_number(document, clerk, today, reservation_id)
        document.register = register
        document.register_number = number
        document.number_symbol = build_number_symbol(
            number, document.doc_type, agency, document.drafting_department
        )
        document.number_symbol_key = number_symbol_key(document.number_symbol)
        document.issued_on = today
        document.issued_at = now
        document.registered_by = clerk
        if copies is not None:
            document.copies = copies
        document.search_text = build_search_text(document)
        files = _final_files(document, clerk, final_files or [], stored)
        seal_issued_files(document, clerk, files, stored)  # issue 7: number, date, agency seal
        _move(
            document,
            clerk,
            DraftAction.ISSUE,
            S.ISSUED,
            Event.ISSUED,
            note=_("Number %(number)s in %(register)s")
            % {"number": document.number_symbol, "register": register.name},
            number=number,
            register_id=register.pk,
            reservation_id=reservation_id,
            version=document.draft_version,
        )
        delivered = _distribute(document, clerk, files, now)
        check_issued_copies(document)  # issue 7: verify the issued file and the copies
        if delivered:
            record_event(document, clerk, Event.DISTRIBUTED, note=", ".join(delivered))
        participants = {
            t.holder
            # Those who acted on it; someone a chain never reached may not even see it.
            for t in ApprovalTask.objects.filter(
                step__document=document, acted_at__isnull=False
            ).select_related("holder")
        }
        if document.drafter is not None:
            participants.add(document.drafter)
        notify(participants, "document_issued", document=document, actor=clerk)
    return document


def _final_files(
    document: Document, clerk: User, uploads: list[CheckedFile], stored: list[str]
) -> list[Attachment]:
    if uploads:
        return [
            add_attachment(document, clerk, checked, stored, kind=Attachment.Kind.FINAL)
            for checked in uploads
        ]
    signed = draft_files(document)
    if not signed:
        raise RoutingError(_("Attach the final file of the document."))
    # The signed version becomes the issued file: new rows, the same stored file.
    return Attachment.objects.bulk_create(
        [
            _shared_file(
                a,
                document,
                clerk,
                kind=Attachment.Kind.FINAL if a.kind == Attachment.Kind.DRAFT else a.kind,
                version=a.version,
            )
            for a in signed
        ]
    )


def _shared_file(
    source: Attachment, document: Document, clerk: User, *, kind: str, version: int | None = None
) -> Attachment:
    """A new attachment row of ``document`` for the file ``source`` stores (never copied)."""
    return Attachment(
        document=document,
        kind=kind,
        file=source.file.name,
        original_name=source.original_name,
        content_type=source.content_type,
        size=source.size,
        sha256=source.sha256,
        uploaded_by=clerk,
        version=version,
    )


def _distribute(document: Document, clerk: User, files: list[Attachment], now) -> list[str]:
    delivered: list[str] = []
    recipients = list(document.recipients.select_related("department", "user"))
    for recipient in recipients:
        if not recipient.is_internal:
            recipient.delivery = OutgoingRecipient.Delivery.TO_SEND
            recipient.save(update_fields=["delivery"])
            continue
        # The outgoing document itself is visible to every internal recipient.
        if recipient.department is not None:
            grant_view_to_department(document, recipient.department)
        elif recipient.user is not None:
            grant_view_to_user(document, recipient.user)
        if recipient.group == Group.FILE:
            recipient.delivery = OutgoingRecipient.Delivery.DELIVERED
            recipient.save(update_fields=["delivery"])
            continue
        copy = _register_copy(document, clerk, recipient, files, now)
        recipient.delivered_document = copy
        recipient.delivery = OutgoingRecipient.Delivery.DELIVERED
        recipient.save(update_fields=["delivered_document", "delivery"])
        delivered.append(recipient.label)
    return delivered


def _register_copy(
    document: Document,
    clerk: User,
    recipient: OutgoingRecipient,
    files: list[Attachment],
    now,
) -> Document:
    """The incoming document one internal recipient receives, assigned to them."""
    register = get_or_create_register(
        Register.Kind.INCOMING, timezone.localdate(now).year, confidential=document.is_confidential
    )
    copy = Document(
        direction=Document.Direction.INCOMING,
        register=register,
        register_number=allocate_number(register),
        received_at=now,
        registered_at=now,
        registered_by=clerk,
        sender_name=document.sender_name,
        sender_key=document.sender_key,
        number_symbol=document.number_symbol,
        number_symbol_key=document.number_symbol_key,
        issued_on=document.issued_on,
        doc_type=document.doc_type,
        summary=document.summary,
        signer_name=document.signer_name,
        urgency=document.urgency,
        secrecy=document.secrecy,
        page_count=document.page_count,
        receipt_method=Document.ReceiptMethod.ELECTRONIC,
        state=S.DIRECTED,
        source_document=document,
    )
    copy.search_text = build_search_text(copy)
    copy.save()
    Attachment.objects.bulk_create(
        [_shared_file(a, copy, clerk, kind=Attachment.Kind.DOCUMENT) for a in files]
    )
    record_event(
        copy,
        clerk,
        Event.RECEIVED,
        to_state=S.DIRECTED,
        note=_("Arrival number %(number)s in %(register)s, from %(source)s")
        % {
            "number": copy.register_number_display,
            "register": register.name,
            "source": document.number_symbol,
        },
        source_id=document.pk,
    )
    role = Assignment.Role.LEAD if recipient.group == Group.EXECUTE else Assignment.Role.INFORM
    target = (
        Target(department=recipient.department)
        if recipient.department
        else Target(user=recipient.user)
    )
    assignment = _assign(copy, clerk, role, target)
    notify_assigned(copy, clerk, [assignment])
    return copy


def withdraw_issued(user: User, document_id: int, *, version: int | None, reason: str) -> Document:
    """Withdraw (thu hồi) an issued document: it and every copy delivered inside the agency
    stay, marked withdrawn with the reason; open work on the copies is closed."""
    reason = nfc(reason).strip()
    if not reason:
        raise RoutingError(_("Say why the document is withdrawn."))
    now = timezone.now()
    with transaction.atomic():
        document, _chain = _begin(user, document_id, DraftAction.WITHDRAW, version)
        document.withdrawn_at = now
        document.withdraw_reason = reason
        _move(document, user, DraftAction.WITHDRAW, S.WITHDRAWN, Event.WITHDRAWN, note=reason)
        copies = list(
            Document.objects.select_for_update().filter(source_document=document).order_by("pk")
        )
        told: dict[int, User] = {}
        for copy in copies:
            for person in followers(copy):
                told[person.pk] = person
            Assignment.objects.filter(document=copy, state__in=Assignment.OPEN_STATES).update(
                state=Assignment.State.CLOSED
            )
            source = copy.state
            copy.state = S.WITHDRAWN
            copy.withdrawn_at = now
            copy.withdraw_reason = reason
            # A page of the copy opened before the withdrawal is now out of date.
            copy.version = F("version") + 1
            copy.save(
                update_fields=["state", "withdrawn_at", "withdraw_reason", "version", "updated_at"]
            )
            record_event(
                copy, user, Event.WITHDRAWN, from_state=source, to_state=S.WITHDRAWN, note=reason
            )
            announce_document_change(copy, "state")
        # The recipients' handlers, the drafter and the clerks who keep the register.
        if document.drafter is not None:
            told.setdefault(document.drafter.pk, document.drafter)
        if document.registered_by is not None:
            told.setdefault(document.registered_by.pk, document.registered_by)
        notify(told.values(), "document_withdrawn", document=document, actor=user)
    return document

"""Reads of the outgoing side: my drafts, the outgoing register, the clerk's issue queue,
reserved numbers, and the outgoing part of "Việc cần xử lý".

Every list is filtered in SQL and costs a fixed number of queries whatever its length.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from functools import cached_property
from typing import Any

from django.db import models
from django.db.models import (
    CharField,
    Exists,
    F,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    Subquery,
    Value,
)
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from documents.models import (
    Document,
    DocumentType,
    NumberReservation,
    OutgoingRecipient,
    Register,
)
from documents.permissions import visible_documents
from documents.signing.models import SignedFile
from documents.text import search_terms
from eoffice.models import Department, User
from eoffice.pagination import CappedPaginator
from routing.approval_models import ApprovalStep, ApprovalTask, Delegation

S = Document.State
REGISTER_STATES = (S.ISSUED, S.WITHDRAWN)
# Drafts that stand somewhere in their chain (a step holds them).
IN_CHAIN_STATES = (S.IN_REVIEW, S.AWAITING_SIGNATURE)


# --- "Dự thảo của tôi" ----------------------------------------------------------------------


def _active_steps_prefetch() -> Prefetch:
    """The active step of each draft, with the people it waits for."""
    pending = ApprovalTask.objects.filter(state=ApprovalTask.State.PENDING).select_related(
        "holder__position"
    )
    return Prefetch(
        "approval_steps",
        queryset=ApprovalStep.objects.filter(state=ApprovalStep.State.ACTIVE).prefetch_related(
            Prefetch("tasks", queryset=pending, to_attr="pending_tasks")
        ),
        to_attr="active_steps",
    )


def list_my_drafts(user: User, state: str = "") -> QuerySet[Document]:
    """The outgoing documents ``user`` drafted, newest first, each with ``active_steps``
    (the step holding it now and its ``pending_tasks``)."""
    documents = Document.objects.filter(direction=Document.Direction.OUTGOING, drafter=user)
    if state:
        documents = documents.filter(state=state)
    return (
        documents.select_related("doc_type", "drafting_department")
        .prefetch_related(_active_steps_prefetch())
        .order_by("-registered_at", "-pk")
    )


# --- "Việc cần xử lý": drafts and documents waiting for me -----------------------------------


def list_drafts_awaiting(user: User) -> QuerySet[Document]:
    """Drafts whose active step waits for ``user``'s approval or signature, urgent first,
    then the longest waiting. Each row carries ``step_label``, ``step_is_signing`` and
    ``step_reached_at``."""
    mine = ApprovalTask.objects.filter(
        holder=user,
        state=ApprovalTask.State.PENDING,
        step__state=ApprovalStep.State.ACTIVE,
        step__document=OuterRef("pk"),
    ).order_by("step__order")
    waiting_ids = ApprovalTask.objects.filter(
        holder=user, state=ApprovalTask.State.PENDING, step__state=ApprovalStep.State.ACTIVE
    ).values("step__document_id")
    return (
        Document.objects.filter(
            pk__in=waiting_ids,
            direction=Document.Direction.OUTGOING,
            state__in=IN_CHAIN_STATES,
        )
        .annotate(
            step_label=Subquery(mine.values("step__label")[:1]),
            step_is_signing=Subquery(mine.values("step__is_signing")[:1]),
            step_reached_at=Subquery(mine.values("step__reached_at")[:1]),
        )
        .select_related("doc_type", "drafting_department", "drafter")
        .order_by("-urgency", F("step_reached_at").asc(nulls_last=True), "pk")
    )


def list_issue_queue(user: User) -> QuerySet[Document]:
    """Signed documents waiting to be numbered and issued, for a clerk: the oldest
    signature first (an urgent one first of all)."""
    if not user.is_clerk:
        return Document.objects.none()
    return (
        visible_documents(user)
        .filter(direction=Document.Direction.OUTGOING, state=S.SIGNED)
        .select_related("doc_type", "drafting_department", "drafter", "signed_by")
        .order_by("-urgency", F("signed_at").asc(nulls_last=True), "pk")
    )


# --- The outgoing register -------------------------------------------------------------------


@dataclass
class OutgoingFilter:
    q: str = ""
    year: int | None = None
    register: Register | None = None
    doc_type: DocumentType | None = None
    date_from: date | None = None
    date_to: date | None = None
    # The dashboard's links: the drafting department, how the document was signed.
    department: Department | int | None = None
    signature: str = ""

    @property
    def leaves_out_reservations(self) -> bool:
        """A reserved number has no words, type, department or signature to match."""
        return bool(self.q.strip() or self.doc_type or self.department or self.signature)


class Signature(models.TextChoices):
    DIGITAL = "digital", _("Digitally signed")
    OTHER = "other", _("Not digitally signed")


def digitally_signed() -> Exists:
    """Issued from the file the signer signed with a digital signature (not a scan)."""
    return Exists(SignedFile.objects.filter(document=OuterRef("pk"), state=SignedFile.State.SIGNED))


@dataclass
class RegisterRow:
    """One line of the register: an issued document, or a number reserved and not used."""

    number: int
    register: Register
    document: Document | None = None
    reservation: NumberReservation | None = None
    send_to: list[str] = field(default_factory=list)
    kept_by: list[str] = field(default_factory=list)

    @property
    def number_display(self) -> str:
        return f"{self.number:02d}"

    @property
    def is_withdrawn(self) -> bool:
        return self.document is not None and self.document.state == S.WITHDRAWN


def filter_outgoing_register(
    user: User, filters: OutgoingFilter, *, counting: bool = False
) -> QuerySet[Document]:
    """The issued documents of the register ``user`` may see that pass ``filters``: the
    register's document lines, and what the dashboard counts (``counting``: see
    visible_documents)."""
    documents = visible_documents(user, counting=counting).filter(
        direction=Document.Direction.OUTGOING, state__in=REGISTER_STATES, register__isnull=False
    )
    for term in search_terms(filters.q):
        documents = documents.filter(search_text__contains=term)
    if filters.year:
        documents = documents.filter(register__year=filters.year)
    if filters.register:
        documents = documents.filter(register=filters.register)
    if filters.doc_type:
        documents = documents.filter(doc_type=filters.doc_type)
    if filters.date_from:
        documents = documents.filter(issued_on__gte=filters.date_from)
    if filters.date_to:
        documents = documents.filter(issued_on__lte=filters.date_to)
    if filters.department:
        documents = documents.filter(drafting_department=filters.department)
    if filters.signature == Signature.DIGITAL:
        documents = documents.filter(digitally_signed())
    elif filters.signature == Signature.OTHER:
        documents = documents.exclude(digitally_signed())
    return documents


def _register_reservations(user: User, filters: OutgoingFilter) -> QuerySet[NumberReservation]:
    """Numbers reserved and not (yet) used: register keepers see them in their place. A
    search by words or type says nothing about a bare number, so it leaves them out."""
    reservations = NumberReservation.objects.filter(
        state__in=[NumberReservation.State.RESERVED, NumberReservation.State.RELEASED]
    )
    if not user.is_clerk or filters.leaves_out_reservations:
        return reservations.none()
    # A confidential series shows its reservations only to the clerk who took them.
    reservations = reservations.filter(Q(register__is_confidential=False) | Q(reserved_by=user))
    if filters.year:
        reservations = reservations.filter(register__year=filters.year)
    if filters.register:
        reservations = reservations.filter(register=filters.register)
    if filters.date_from:
        reservations = reservations.filter(reserved_at__date__gte=filters.date_from)
    if filters.date_to:
        reservations = reservations.filter(reserved_at__date__lte=filters.date_to)
    return reservations


def list_outgoing_register(
    user: User, filters: OutgoingFilter | None = None, *, oldest_first: bool = False
) -> QuerySet[Any]:
    """The register's lines as ``(kind, year, register_id, number, id)`` tuples, newest
    number first (or in the order of a printed register), documents and reserved numbers
    merged in SQL so that pagination sees one list. ``register_rows`` loads a page."""
    filters = filters or OutgoingFilter()
    documents = (
        filter_outgoing_register(user, filters)
        .order_by()
        .annotate(
            row_kind=Value("d", output_field=CharField()),
            row_year=F("register__year"),
            row_register=F("register_id"),
            row_number=F("register_number"),
            row_id=F("pk"),
        )
        .values_list("row_kind", "row_year", "row_register", "row_number", "row_id")
    )
    reservations = (
        _register_reservations(user, filters)
        .order_by()
        .annotate(
            row_kind=Value("r", output_field=CharField()),
            row_year=F("register__year"),
            row_register=F("register_id"),
            row_number=F("number"),
            row_id=F("pk"),
        )
        .values_list("row_kind", "row_year", "row_register", "row_number", "row_id")
    )
    merged = documents.union(reservations, all=True)
    if oldest_first:
        return merged.order_by("row_year", "row_register", "row_number")
    return merged.order_by("-row_year", "row_register", "-row_number")


class RegisterPaginator(CappedPaginator):
    """Counts the merged lines of the register (a UNION has no ``pk`` to count)."""

    @cached_property
    def count(self) -> int:
        return self.queryset.order_by()[: self.cap + 1].count()


def _labels(recipients: list[OutgoingRecipient], groups: set[str]) -> list[str]:
    return [r.label for r in recipients if r.group in groups]


def register_rows(lines: list[tuple[str, int, int, int, int]]) -> list[RegisterRow]:
    """The page's lines with their documents and reservations, in three queries."""
    document_ids = [line[4] for line in lines if line[0] == "d"]
    reservation_ids = [line[4] for line in lines if line[0] == "r"]
    documents: dict[int, Document] = {}
    if document_ids:
        recipients = OutgoingRecipient.objects.select_related("department", "user")
        documents = {
            d.pk: d
            for d in Document.objects.filter(pk__in=document_ids)
            .select_related(
                "doc_type", "register", "signed_by", "drafting_department", "reservation"
            )
            .prefetch_related(Prefetch("recipients", queryset=recipients, to_attr="all_recipients"))
        }
    reservations: dict[int, NumberReservation] = {}
    if reservation_ids:
        reservations = {
            r.pk: r
            for r in NumberReservation.objects.filter(pk__in=reservation_ids).select_related(
                "register", "reserved_by", "closed_by"
            )
        }
    rows: list[RegisterRow] = []
    Group = OutgoingRecipient.Group
    for kind, _year, _register, number, pk in lines:
        if kind == "d":
            document = documents.get(pk)
            if document is None or document.register is None:
                continue
            lines_of: list[OutgoingRecipient] = getattr(document, "all_recipients", [])
            kept_by = _labels(lines_of, {Group.FILE})
            if not kept_by and document.drafting_department is not None:
                kept_by = [str(document.drafting_department)]
            rows.append(
                RegisterRow(
                    number=number,
                    register=document.register,
                    document=document,
                    send_to=_labels(lines_of, {Group.EXECUTE, Group.INFORM}),
                    kept_by=kept_by,
                )
            )
        else:
            reservation = reservations.get(pk)
            if reservation is not None:
                rows.append(
                    RegisterRow(
                        number=number, register=reservation.register, reservation=reservation
                    )
                )
    return rows


def list_outgoing_registers(user: User) -> QuerySet[Register]:
    """The outgoing registers offered in the filter (confidential ones to clerks only)."""
    registers = Register.objects.filter(kind=Register.Kind.OUTGOING)
    if not user.is_clerk:
        registers = registers.filter(is_confidential=False)
    return registers.order_by("-year", "is_confidential", "name")


# --- Reserved numbers ------------------------------------------------------------------------


def list_reservations(user: User, year: int | None = None) -> QuerySet[NumberReservation]:
    """The reserved numbers of a year for a clerk, newest first."""
    if not user.is_clerk:
        return NumberReservation.objects.none()
    year = year or timezone.localdate().year
    return (
        NumberReservation.objects.filter(register__year=year)
        .filter(Q(register__is_confidential=False) | Q(reserved_by=user))
        .select_related("register", "reserved_by", "closed_by", "document")
        .order_by("-reserved_at", "-pk")
    )


# --- Absences --------------------------------------------------------------------------------


def list_current_absences(user: User) -> QuerySet[Delegation]:
    """``user``'s absences not cancelled and not over yet, soonest first."""
    return (
        Delegation.objects.filter(
            principal=user, cancelled_at__isnull=True, ends_on__gte=timezone.localdate()
        )
        .select_related("deputy__position")
        .order_by("starts_on", "pk")
    )


# --- The outgoing part of "Việc cần xử lý" ----------------------------------------------------

TODO_OUTGOING_LIMIT = 20


@dataclass
class OutgoingTodo:
    """Drafts waiting for the user's approval or signature and, for a clerk, signed
    documents waiting to be issued (the first ``TODO_OUTGOING_LIMIT`` of each)."""

    to_approve: list[Document]
    to_issue: list[Document]
    more_to_issue: bool = False

    def __bool__(self) -> bool:
        return bool(self.to_approve or self.to_issue)


def get_outgoing_todo(user: User) -> OutgoingTodo:
    """Two queries for a clerk, one for anyone else, whatever the number of rows."""
    to_approve = list(list_drafts_awaiting(user)[:TODO_OUTGOING_LIMIT])
    to_issue: list[Document] = []
    if user.is_clerk:
        to_issue = list(list_issue_queue(user)[: TODO_OUTGOING_LIMIT + 1])
    return OutgoingTodo(
        to_approve=to_approve,
        to_issue=to_issue[:TODO_OUTGOING_LIMIT],
        more_to_issue=len(to_issue) > TODO_OUTGOING_LIMIT,
    )

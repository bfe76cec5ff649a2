"""Reads that matter: "Việc cần xử lý" and the incoming register, filtered in SQL."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, datetime, time, timedelta

from django.db.models import (
    Exists,
    F,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
)
from django.db.models.functions import Coalesce
from django.utils import timezone

from documents.models import Document, DocumentType
from documents.permissions import GrantedRegister, visible_documents
from documents.search import common_words_filter, search_filter
from documents.text import fold
from eoffice.models import Department, User
from routing.handling import handling_q, led_by_department, led_by_person
from routing.models import Assignment, DeadlineExtension
from routing.rules import held_by

CLERK_QUEUE_STATES = (Document.State.REGISTERED, Document.State.RETURNED)


def _lead_assignee_annotations() -> dict[str, Subquery]:
    """The current lead handler of each row, for the register's "Đơn vị hoặc người nhận"."""
    lead = Assignment.objects.filter(
        document=OuterRef("pk"),
        role=Assignment.Role.LEAD,
        parent__isnull=True,
    ).order_by("-assigned_at", "-pk")
    return {
        "lead_department_name": Subquery(lead.values("assignee_department__name")[:1]),
        "lead_user_name": Subquery(lead.values("assignee_user__full_name")[:1]),
    }


def list_todo(user: User) -> QuerySet[Document]:
    """Documents waiting for an action of ``user``, urgent first, then by deadline.

    Each row carries ``todo_role``, ``todo_deadline`` and ``extension_pending``.
    """
    held = (
        Assignment.objects.filter(document=OuterRef("pk"), state__in=Assignment.OPEN_STATES)
        .filter(held_by(user))
        .order_by(F("deadline").asc(nulls_last=True), "pk")
    )
    to_decide = DeadlineExtension.objects.filter(
        state=DeadlineExtension.State.PENDING, assignment__assigned_by=user
    )
    # The waiting documents are found from the user's open work (a few rows, by index),
    # never by testing every document of the register against it.
    waiting_ids = (
        Assignment.objects.filter(state__in=Assignment.OPEN_STATES)
        .filter(held_by(user))
        .values("document_id")
        .union(to_decide.values("assignment__document_id"))
    )
    if user.is_clerk:
        waiting_ids = waiting_ids.union(
            Document.objects.filter(
                direction=Document.Direction.INCOMING, state__in=CLERK_QUEUE_STATES
            ).values("pk")
        )
    waiting = Q(pk__in=waiting_ids)
    return (
        visible_documents(user)
        .annotate(
            todo_role=Subquery(held.values("role")[:1]),
            todo_deadline=Subquery(held.values("deadline")[:1]),
            extension_pending=Exists(to_decide.filter(assignment__document=OuterRef("pk"))),
        )
        .filter(waiting)
        .select_related("doc_type")
        .order_by("-urgency", F("todo_deadline").asc(nulls_last=True), "-received_at", "-pk")
    )


@dataclass
class RegisterFilter:
    q: str = ""
    date_from: date | None = None
    date_to: date | None = None
    doc_type: DocumentType | None = None
    urgency: int | None = None
    secrecy: int | None = None
    sender: str = ""
    state: str = ""
    department: Department | None = None
    # The dashboard's links: how the handling stands, who leads, how it arrived.
    handling: str = ""
    lead_department: Department | int | None = None
    lead_user: User | int | None = None
    receipt_method: str = ""
    sort: str = ""


REGISTER_ORDERINGS = {
    "": ("-received_at", "-pk"),
    "received": ("received_at", "pk"),
    "deadline": (F("deadline").asc(nulls_last=True), "-received_at", "-pk"),
    "number": ("-register__year", "register__is_confidential", "register_number", "pk"),
}


def _local_midnight(day: date) -> datetime:
    """The moment the agency's day ``day`` begins (Asia/Ho_Chi_Minh)."""
    return timezone.make_aware(datetime.combine(day, time.min), timezone.get_default_timezone())


def list_incoming(user: User, filters: RegisterFilter | None = None) -> QuerySet[Document]:
    """The incoming register rows ``user`` may see, newest first, filtered in SQL."""
    filters = filters or RegisterFilter()
    return (
        filter_incoming(user, filters)
        .annotate(**_lead_assignee_annotations())
        .annotate(recipient=Coalesce("lead_department_name", "lead_user_name"))
        .select_related("doc_type", "register")
        .order_by(*REGISTER_ORDERINGS.get(filters.sort, REGISTER_ORDERINGS[""]))
    )


def granted_register(
    user: User, filters: RegisterFilter, today: date | None = None
) -> GrantedRegister | None:
    """The register read from the user's grants, newest first (``GrantedRegister``), when
    the list is in its default order and every filter can be tested on each granted
    document as the grants are walked: the arrival dates bound the walk by the grants' own
    index, the others are tested per document. A search must be of common words only, and
    there is no sender filter: rare words and senders are found faster by their indexes
    (the list's own query). None otherwise, and for users it does not serve."""
    if filters.sort or filters.sender.strip():
        return None
    matching: QuerySet[Document] | None = None
    if filters.q.strip():
        condition = common_words_filter(filters.q)
        if condition is None:
            return None
        matching = Document.objects.filter(condition)
    others = replace(filters, q="", date_from=None, date_to=None)
    if others != RegisterFilter():
        base = matching if matching is not None else Document.objects.all()
        matching = _passing(base, others, today)
    start, end = _arrival_range(filters)
    return GrantedRegister.for_user(user, matching, arrived_from=start, arrived_before=end)


def _arrival_range(filters: RegisterFilter) -> tuple[datetime | None, datetime | None]:
    """The arrival dates as a range of moments [start, end): they are the agency's calendar
    days, and a range lets the indexes on arrival serve it (``received_at__date`` would
    convert every row)."""
    start = _local_midnight(filters.date_from) if filters.date_from else None
    end = _local_midnight(filters.date_to + timedelta(days=1)) if filters.date_to else None
    return start, end


def filter_incoming(
    user: User, filters: RegisterFilter, today: date | None = None, *, counting: bool = False
) -> QuerySet[Document]:
    """The incoming documents ``user`` may see that pass ``filters``: the rows of the
    incoming list, and what the dashboard counts (``counting``: see visible_documents)."""
    documents = visible_documents(user, counting=counting).filter(
        direction=Document.Direction.INCOMING
    )
    if filters.q.strip():
        documents = documents.filter(search_filter(filters.q))
    if filters.sender.strip():
        documents = documents.filter(sender_key__contains=fold(filters.sender))
    start, end = _arrival_range(filters)
    if start:
        documents = documents.filter(received_at__gte=start)
    if end:
        documents = documents.filter(received_at__lt=end)
    return _passing(documents, filters, today)


def _passing(
    documents: QuerySet[Document], filters: RegisterFilter, today: date | None
) -> QuerySet[Document]:
    """``documents`` that pass the filters on a document's own facts and route (all but
    the search, the sender and the arrival dates)."""
    if filters.doc_type:
        documents = documents.filter(doc_type=filters.doc_type)
    if filters.urgency is not None:
        documents = documents.filter(urgency=filters.urgency)
    if filters.secrecy is not None:
        documents = documents.filter(secrecy=filters.secrecy)
    if filters.state:
        documents = documents.filter(state=filters.state)
    if filters.department:
        documents = documents.filter(
            Exists(
                Assignment.objects.filter(
                    Q(assignee_department=filters.department)
                    | Q(assignee_user__department=filters.department),
                    document=OuterRef("pk"),
                ).exclude(role=Assignment.Role.DIRECT)
            )
        )
    if filters.handling:
        documents = documents.filter(handling_q(filters.handling, today or timezone.localdate()))
    if filters.lead_department:
        documents = documents.filter(led_by_department(filters.lead_department))
    if filters.lead_user:
        documents = documents.filter(led_by_person(filters.lead_user))
    if filters.receipt_method:
        documents = documents.filter(receipt_method=filters.receipt_method)
    return documents

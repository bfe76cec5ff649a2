"""The figures of the "Báo cáo" dashboard, computed in SQL.

Every figure counts the rows of a list a user can open: incoming figures are aggregates
over ``filter_incoming`` (the incoming list's own filter) and outgoing ones over
``filter_outgoing_register`` (the outgoing register's), each with the filters its link
carries. A figure and the list behind it therefore cannot disagree, and both respect the
same permissions. Periods are the agency's calendar days (Asia/Ho_Chi_Minh).

Query count is fixed: one for the totals, one for the 90th percentile, one per table
(departments, people, weeks, document types), one for the names.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, replace
from datetime import date, timedelta
from typing import Any

from django.core.exceptions import PermissionDenied
from django.db import models
from django.db.models import Avg, Count, DurationField, ExpressionWrapper, F, Q, QuerySet
from django.db.models.functions import Coalesce, TruncWeek
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from documents.models import Document, DocumentType
from eoffice.models import Department, User
from routing.handling import HANDLING_PARTS, Handling, handling_q, lead_assignments
from routing.models import Assignment
from routing.outgoing_selectors import (
    OutgoingFilter,
    digitally_signed,
    filter_outgoing_register,
)
from routing.selectors import RegisterFilter, filter_incoming

# How long a document took, from its arrival to the report of its result.
HANDLING_TIME = ExpressionWrapper(
    F("completed_at") - F("received_at"), output_field=DurationField()
)


class PeriodKind(models.TextChoices):
    WEEK = "week", gettext_lazy("This week")
    MONTH = "month", gettext_lazy("This month")
    QUARTER = "quarter", gettext_lazy("This quarter")
    YEAR = "year", gettext_lazy("This year")
    CUSTOM = "custom", gettext_lazy("Custom period")


# A custom period covers at most a year and its leap day, with margin (as register exports).
MAX_PERIOD_DAYS = 400


def date_span(start: date, end: date) -> str:
    """Two days as a span, "16/11/2026 to 22/11/2026" with an en dash."""
    return "{} \N{EN DASH} {}".format(
        date_format(start, "SHORT_DATE_FORMAT"), date_format(end, "SHORT_DATE_FORMAT")
    )


@dataclass(frozen=True)
class Period:
    """Calendar days ``start`` to ``end``, both included."""

    kind: str
    start: date
    end: date

    @property
    def label(self) -> str:
        span = date_span(self.start, self.end)
        if self.kind == PeriodKind.WEEK:
            week = self.start.isocalendar()
            return _("Week %(week)s/%(year)s (%(span)s)") % {
                "week": week.week,
                "year": week.year,
                "span": span,
            }
        if self.kind == PeriodKind.MONTH:
            return _("Month %(month)s/%(year)s") % {
                "month": self.start.month,
                "year": self.start.year,
            }
        if self.kind == PeriodKind.QUARTER:
            return _("Quarter %(quarter)s/%(year)s") % {
                "quarter": (self.start.month - 1) // 3 + 1,
                "year": self.start.year,
            }
        if self.kind == PeriodKind.YEAR:
            return _("Year %(year)s") % {"year": self.start.year}
        return span

    def previous(self) -> Period:
        return period_of(self.kind, self.start - timedelta(days=1))

    def following(self) -> Period:
        return period_of(self.kind, self.end + timedelta(days=1))


def period_of(kind: str, day: date, start: date | None = None, end: date | None = None) -> Period:
    """The period of ``kind`` that holds ``day``; a custom period is ``start`` to ``end``."""
    if kind == PeriodKind.WEEK:
        monday = day - timedelta(days=day.weekday())
        return Period(kind, monday, monday + timedelta(days=6))
    if kind == PeriodKind.MONTH:
        first = day.replace(day=1)
        following = (first + timedelta(days=32)).replace(day=1)
        return Period(kind, first, following - timedelta(days=1))
    if kind == PeriodKind.QUARTER:
        first = date(day.year, 3 * ((day.month - 1) // 3) + 1, 1)
        following = (first + timedelta(days=95)).replace(day=1)
        return Period(kind, first, following - timedelta(days=1))
    if kind == PeriodKind.YEAR:
        return Period(kind, date(day.year, 1, 1), date(day.year, 12, 31))
    if kind == PeriodKind.CUSTOM and start and end:
        return Period(kind, start, end)
    raise ValueError(kind)


# --- who sees what ---------------------------------------------------------------------------


def can_see_dashboard(user: User) -> bool:
    return bool(user.is_leader or (user.is_department_head and user.department_id))


def dashboard_department(user: User, chosen: Department | None) -> Department | None:
    """The department the figures are about: a leader's choice (None: the whole agency),
    always their own for a department head."""
    if user.is_leader:
        return chosen
    if user.is_department_head and user.department_id:
        return user.department
    raise PermissionDenied


# --- the figures -----------------------------------------------------------------------------


@dataclass
class Counts:
    """The handling of a set of received documents; each count links to its list."""

    received: int = 0
    on_time: int = 0
    late: int = 0
    in_time: int = 0
    overdue: int = 0
    no_deadline: int = 0
    average_days: float | None = None
    # The list filters these counts were made with (see ``links``).
    query: dict[str, Any] = field(default_factory=dict)

    @property
    def decided(self) -> int:
        """Documents whose timeliness is known: completed, or past their deadline."""
        return self.on_time + self.late + self.overdue

    @property
    def on_time_share(self) -> float | None:
        """On time ÷ (on time + late + overdue); None when nothing is decided yet."""
        return None if not self.decided else self.on_time / self.decided

    @property
    def on_time_percent(self) -> float | None:
        share = self.on_time_share
        return None if share is None else round(100 * share, 1)

    def value(self, bucket: str) -> int:
        return int(getattr(self, str(bucket)))


def _bucket_counts(today: date, prefix: str = "", distinct: bool = False) -> dict[str, Count]:
    target = f"{prefix}pk" if prefix else "pk"
    return {
        str(bucket): Count(target, filter=handling_q(bucket, today, prefix), distinct=distinct)
        for bucket in (Handling.RECEIVED, *HANDLING_PARTS)
    }


def _counts(row: Any, query: dict[str, Any]) -> Counts:
    average = row.get("average")
    return Counts(
        **{str(b): row[str(b)] or 0 for b in (Handling.RECEIVED, *HANDLING_PARTS)},
        average_days=average.total_seconds() / 86400 if average is not None else None,
        query=query,
    )


@dataclass
class Totals:
    counts: Counts
    percentile_90_days: float | None
    electronic: int
    paper: int


@dataclass
class GroupRow:
    """One department or one person in the tables."""

    pk: int
    name: str
    counts: Counts


@dataclass
class WeekRow:
    start: date
    end: date
    counts: Counts


@dataclass
class TypeRow:
    doc_type: DocumentType
    issued: int
    query: dict[str, Any]


@dataclass
class OutgoingFigures:
    issued: int
    digital: int
    other: int
    by_type: list[TypeRow]
    query: dict[str, Any]


@dataclass
class Dashboard:
    period: Period
    department: Department | None
    totals: Totals
    weeks: list[WeekRow]
    departments: list[GroupRow]
    people: list[GroupRow]
    outgoing: OutgoingFigures


def _incoming_filter(period: Period, department: Department | None) -> RegisterFilter:
    return RegisterFilter(date_from=period.start, date_to=period.end, lead_department=department)


def incoming_query(period: Period, department: Department | None, **more: Any) -> dict[str, Any]:
    """The incoming list's query string for a figure: the period, the department, more."""
    query: dict[str, Any] = {
        "date_from": period.start.isoformat(),
        "date_to": period.end.isoformat(),
    }
    if department is not None:
        query["lead_department"] = department.pk
    query.update(more)
    return query


# Past this many days the grants are read as a set rather than probed row by row (see
# ``visible_documents``): at a million documents, a chairman's month takes 0.3 s probed and
# 1.5 s as a set, his year 4.2 s probed and 2.7 s as a set (docs/PERFORMANCE.md).
COUNT_AS_SET_AFTER_DAYS = 92


def _counting(period: Period) -> bool:
    return (period.end - period.start).days > COUNT_AS_SET_AFTER_DAYS


def _received(user: User, period: Period, department: Department | None) -> QuerySet[Document]:
    return filter_incoming(user, _incoming_filter(period, department), counting=_counting(period))


def _totals(user: User, period: Period, department: Department | None, today: date) -> Totals:
    documents = _received(user, period, department).order_by()
    received = handling_q(Handling.RECEIVED, today)
    done = handling_q(Handling.ON_TIME, today) | handling_q(Handling.LATE, today)
    row = documents.aggregate(
        **_bucket_counts(today),
        average=Avg(HANDLING_TIME, filter=done),
        electronic=Count(
            "pk", filter=received & Q(receipt_method=Document.ReceiptMethod.ELECTRONIC)
        ),
        paper=Count("pk", filter=received & Q(receipt_method=Document.ReceiptMethod.PAPER)),
    )
    counts = _counts(row, incoming_query(period, department))
    return Totals(
        counts=counts,
        percentile_90_days=_percentile_days(documents.filter(done), counts.on_time + counts.late),
        electronic=row["electronic"],
        paper=row["paper"],
    )


def _percentile_days(done: QuerySet[Document], n: int, rank: float = 0.9) -> float | None:
    """The nearest-rank percentile of the handling times: the value that ``rank`` of the
    completed documents do not exceed. One indexed read of one row, on every database."""
    if n == 0:
        return None
    position = math.ceil(rank * n) - 1
    value = (
        done.annotate(handling_time=HANDLING_TIME)
        .order_by("handling_time", "pk")
        .values_list("handling_time", flat=True)[position]
    )
    return value.total_seconds() / 86400


def _leads_of(
    documents: QuerySet[Document], *, directed_only: bool = False
) -> QuerySet[Assignment]:
    return lead_assignments(directed_only=directed_only).filter(
        document__in=documents.order_by().values("pk")
    )


def _group_counts(today: date) -> dict[str, Any]:
    done = handling_q(Handling.ON_TIME, today, "document__") | handling_q(
        Handling.LATE, today, "document__"
    )
    return {
        **_bucket_counts(today, "document__", distinct=True),
        "average": Avg(
            ExpressionWrapper(
                F("document__completed_at") - F("document__received_at"),
                output_field=DurationField(),
            ),
            filter=done,
        ),
    }


def _departments(user: User, period: Period, today: date) -> list[GroupRow]:
    """Per department, the documents it leads (named by the leader's direction)."""
    rows = (
        _leads_of(_received(user, period, None), directed_only=True)
        .annotate(unit=Coalesce("assignee_department_id", "assignee_user__department_id"))
        .filter(unit__isnull=False)
        .values("unit")
        .annotate(**_group_counts(today))
        .order_by()
    )
    figures = {row["unit"]: row for row in rows}
    names = dict(Department.objects.filter(pk__in=figures).values_list("pk", "name"))
    return [
        GroupRow(
            pk=pk,
            name=names.get(pk, "?"),
            counts=_counts(row, incoming_query(period, None, lead_department=pk)),
        )
        for pk, row in figures.items()
    ]


def _people(user: User, period: Period, department: Department, today: date) -> list[GroupRow]:
    """Per person, the documents of the department they lead themselves."""
    rows = (
        _leads_of(_received(user, period, department))
        .filter(assignee_user__isnull=False)
        .values("assignee_user")
        .annotate(**_group_counts(today))
        .order_by()
    )
    figures = {row["assignee_user"]: row for row in rows}
    names = {u.pk: u.title for u in User.objects.filter(pk__in=figures).select_related("position")}
    return [
        GroupRow(
            pk=pk,
            name=names.get(pk, "?"),
            counts=_counts(row, incoming_query(period, department, lead_user=pk)),
        )
        for pk, row in figures.items()
    ]


def _weeks(user: User, period: Period, department: Department | None, today: date) -> list[WeekRow]:
    """The received documents of each week of the period (Monday to Sunday), by handling."""
    tz = timezone.get_default_timezone()
    rows = (
        _received(user, period, department)
        .order_by()
        .annotate(week=TruncWeek("received_at", tzinfo=tz))
        .values("week")
        .annotate(**_bucket_counts(today))
    )
    by_week = {timezone.localtime(row["week"], tz).date(): row for row in rows}
    weeks = []
    monday = period.start - timedelta(days=period.start.weekday())
    while monday <= period.end:
        start, end = max(monday, period.start), min(monday + timedelta(days=6), period.end)
        week_period = replace(period, kind=PeriodKind.CUSTOM, start=start, end=end)
        row: Any = by_week.get(monday, {})
        weeks.append(
            WeekRow(
                start=start,
                end=end,
                counts=_counts(
                    {str(b): row.get(str(b), 0) for b in (Handling.RECEIVED, *HANDLING_PARTS)},
                    incoming_query(week_period, department),
                ),
            )
        )
        monday += timedelta(days=7)
    return weeks


def outgoing_query(period: Period, department: Department | None, **more: Any) -> dict[str, Any]:
    query: dict[str, Any] = {
        "date_from": period.start.isoformat(),
        "date_to": period.end.isoformat(),
    }
    if department is not None:
        query["department"] = department.pk
    query.update(more)
    return query


def _outgoing(user: User, period: Period, department: Department | None) -> OutgoingFigures:
    documents = filter_outgoing_register(
        user,
        OutgoingFilter(date_from=period.start, date_to=period.end, department=department),
        counting=_counting(period),
    ).order_by()
    totals = documents.aggregate(issued=Count("pk"), digital=Count("pk", filter=digitally_signed()))
    by_type = dict(
        documents.values("doc_type").annotate(n=Count("pk")).values_list("doc_type", "n")
    )
    types = DocumentType.objects.in_bulk(list(by_type))
    rows = sorted(
        (
            TypeRow(
                doc_type=types[pk],
                issued=n,
                query=outgoing_query(period, department, doc_type=pk),
            )
            for pk, n in by_type.items()
        ),
        key=lambda row: (-row.issued, row.doc_type.name),
    )
    return OutgoingFigures(
        issued=totals["issued"],
        digital=totals["digital"],
        other=totals["issued"] - totals["digital"],
        by_type=rows,
        query=outgoing_query(period, department),
    )


def build_dashboard(
    user: User, period: Period, department: Department | None, today: date | None = None
) -> Dashboard:
    """The whole dashboard of ``user`` for ``period`` (``department`` from
    ``dashboard_department``)."""
    today = today or timezone.localdate()
    return Dashboard(
        period=period,
        department=department,
        totals=_totals(user, period, department, today),
        weeks=_weeks(user, period, department, today),
        departments=_departments(user, period, today) if department is None else [],
        people=_people(user, period, department, today) if department is not None else [],
        outgoing=_outgoing(user, period, department),
    )


# --- sorting the tables ----------------------------------------------------------------------

GROUP_SORTS = (
    "name",
    "received",
    "on_time",
    "late",
    "in_time",
    "overdue",
    "no_deadline",
    "share",
    "average",
)


def sort_groups(rows: list[GroupRow], key: str) -> list[GroupRow]:
    """Sort by a column; ``-`` before it for descending. Missing values go last."""
    descending = key.startswith("-")
    column = key.lstrip("-")
    if column not in GROUP_SORTS:
        column, descending = "overdue", True

    def value(row: GroupRow) -> Any:
        if column == "name":
            return row.name.casefold()
        if column == "share":
            return row.counts.on_time_share
        if column == "average":
            return row.counts.average_days
        return row.counts.value(column)

    present = [r for r in rows if value(r) is not None]
    missing = [r for r in rows if value(r) is None]
    present.sort(key=lambda r: r.name.casefold())
    present.sort(key=value, reverse=descending)
    return present + sorted(missing, key=lambda r: r.name.casefold())

"""Pagination that stays cheap on registers of millions of rows.

Two costs grow with a register: counting it, and skipping rows to reach a deep page
(``OFFSET`` makes the database produce and throw away every row before the page). Counts
stop at a cap; and the "Next" / "Previous" links carry the sort key of the last (first)
row shown, so the following page is read from that key on, by index, at any depth
(keyset pagination). The page number stays in the link for display; a bare ``?page=N``
(typed or bookmarked) still works, by offset.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from functools import cached_property
from typing import Any, Protocol, cast
from urllib.parse import urlencode

from django.conf import settings
from django.core.paginator import Page, Paginator
from django.db.models import Count, F, OrderBy, Q, QuerySet, Window
from django.db.models.sql.where import WhereNode


class CappedPaginator(Paginator):
    """Counts at most ``cap`` rows: ``COUNT(*)`` over a whole register on every page view
    costs seconds at a million documents, and nobody pages past a few hundred rows — they
    filter. Past the cap the page shows "10.000+"; the pages after it are reached with
    "Next" (keyset, see ``KeysetPaginator``)."""

    def __init__(
        self,
        object_list: QuerySet[Any],
        per_page: int,
        *,
        cap: int | None = None,
        count_in_order: bool = False,
        **kwargs: Any,
    ) -> None:
        super().__init__(object_list, per_page, **kwargs)
        self.queryset = object_list
        self.cap = cap or settings.EOFFICE_COUNT_CAP
        self.count_in_order = count_in_order

    @cached_property
    def count(self) -> int:
        # Counting ids only. Without ORDER BY the database may count in any order, which
        # suits a list read from a small set of ids; a list that walks the newest rows of
        # the whole register (``count_in_order``) is counted the same way, by index, up to
        # the cap (unordered, PostgreSQL chose bitmaps over 500,000-row indexes instead).
        rows = self.queryset if self.count_in_order else self.queryset.order_by()
        return rows.values("pk")[: self.cap + 1].count()

    @property
    def is_capped(self) -> bool:
        return self.count > self.cap


@dataclass(frozen=True)
class SortKey:
    """One term of a list's ORDER BY: a field path or annotation name and its direction."""

    name: str
    descending: bool
    nulls_last: bool  # where NULL sorts: PostgreSQL's default is last ascending, first descending

    def reversed(self) -> SortKey:
        return SortKey(self.name, not self.descending, not self.nulls_last)

    def order_by(self) -> OrderBy:
        nulls = {"nulls_last": True} if self.nulls_last else {"nulls_first": True}
        expression = F(self.name)
        return expression.desc(**nulls) if self.descending else expression.asc(**nulls)

    def value_of(self, row: Any) -> Any:
        value = row
        for part in self.name.split("__"):
            value = None if value is None else getattr(value, part)
        return value

    def after(self, value: Any) -> Q | None:
        """Rows that sort strictly after ``value`` on this key (None: there are none)."""
        lookup = f"{self.name}__{'lt' if self.descending else 'gt'}"
        if value is None:
            # NULLs sort together at one end: after them come either nothing or every
            # non-NULL value.
            return None if self.nulls_last else Q(**{f"{self.name}__isnull": False})
        beyond = Q(**{lookup: value})
        return beyond | Q(**{f"{self.name}__isnull": True}) if self.nulls_last else beyond

    def equal(self, value: Any) -> Q:
        if value is None:
            return Q(**{f"{self.name}__isnull": True})
        return Q(**{self.name: value})


def sort_keys(queryset: QuerySet[Any]) -> list[SortKey] | None:
    """The ORDER BY of ``queryset`` as sort keys; None when a term is not a plain name."""
    keys = []
    for term in queryset.query.order_by:
        if isinstance(term, str):
            name = term.removeprefix("-")
            descending = term.startswith("-")
            nulls_last = not descending
        elif isinstance(term, OrderBy) and isinstance(term.expression, F):
            name = cast(Any, term.expression).name
            descending = term.descending
            nulls_last = bool(term.nulls_last) or (not term.nulls_first and not descending)
        else:
            return None
        keys.append(SortKey("pk" if name == "id" else name, descending, nulls_last))
    if not keys or keys[-1].name != "pk":
        return None  # not a total order: a key could skip or repeat rows
    return keys


def keyset_filter(keys: Sequence[SortKey], values: Sequence[Any]) -> Q:
    """Rows after ``values`` in the order of ``keys``: (k1 after v1) or (k1 = v1 and k2
    after v2) or ..."""
    condition = Q(pk__in=[])
    prefix = Q()
    for key, value in zip(keys, values, strict=True):
        after = key.after(value)
        if after is not None:
            condition |= prefix & after
        prefix &= key.equal(value)
    return condition


def _encode_value(value: Any) -> Any:
    if isinstance(value, datetime):
        return {"t": value.isoformat()}
    if isinstance(value, date):
        return {"d": value.isoformat()}
    if value is None or isinstance(value, bool | int | str):
        return value
    raise TypeError(f"cannot put a {type(value).__name__} in a page cursor")


def _decode_value(value: Any) -> Any:
    if isinstance(value, dict):
        if "t" in value:
            return datetime.fromisoformat(value["t"])
        return date.fromisoformat(value["d"])
    if value is None or isinstance(value, bool | int | str):
        return value
    raise ValueError("bad cursor value")


def encode_cursor(values: Sequence[Any]) -> str:
    raw = json.dumps([_encode_value(v) for v in values], separators=(",", ":"))
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def decode_cursor(cursor: str, length: int) -> list[Any] | None:
    """The values of a cursor from a link, or None for anything malformed."""
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        values = json.loads(raw)
        if not isinstance(values, list) or len(values) != length:
            return None
        return [_decode_value(v) for v in values]
    except (binascii.Error, ValueError, TypeError, KeyError, UnicodeDecodeError):
        return None


class OrderedIds(Protocol):
    """A cheaper reader of a list's ids, in the list's own order (its sort keys'), than the
    list's query: ``documents.permissions.GrantedRegister`` reads a register from grants."""

    def ids(self, after: Sequence[Any] | None, *, forward: bool, limit: int) -> list[Any]:
        """Up to ``limit`` ids from the sort key values ``after`` on (excluded; from the
        start when None), in the list's order or, not ``forward``, the reverse."""
        ...

    def count(self, cap: int) -> int:
        """How many rows the list holds, counted up to ``cap + 1``."""
        ...

    def first_page(self, limit: int, cap: int) -> tuple[list[Any], int]:
        """``ids(None, forward=True, limit=limit)`` and ``count(cap)``, read together where
        that is cheaper."""
        ...


class KeysetPage(Page):
    """A page that knows the query strings of its "Next" and "Previous" links."""

    def __init__(
        self,
        object_list: Sequence[Any],
        number: int,
        paginator: KeysetPaginator,
        *,
        has_next: bool,
        has_previous: bool,
    ) -> None:
        super().__init__(object_list, number, paginator)
        self._has_next = has_next
        self._has_previous = has_previous

    def has_next(self) -> bool:
        return self._has_next

    def has_previous(self) -> bool:
        return self._has_previous

    def next_page_number(self) -> int:
        return self.number + 1

    def previous_page_number(self) -> int:
        return self.number - 1

    @property
    def keys(self) -> list[SortKey]:
        return cast(KeysetPaginator, self.paginator).keys or []

    @property
    def next_query(self) -> str:
        rows = list(self.object_list)
        if not rows:
            return urlencode({"page": self.number + 1})
        values = [key.value_of(rows[-1]) for key in self.keys]
        return urlencode({"page": self.number + 1, "after": encode_cursor(values)})

    @property
    def previous_query(self) -> str:
        rows = list(self.object_list)
        if not rows or self.number <= 2:
            return urlencode({"page": max(1, self.number - 1)})
        values = [key.value_of(rows[0]) for key in self.keys]
        return urlencode({"page": self.number - 1, "before": encode_cursor(values)})


class KeysetPaginator(CappedPaginator):
    """A capped paginator whose links continue from the last row shown (keyset).

    The count (capped) is one query and the page two more (its ids, then its rows), at any
    depth: constant per page, however many rows the list has. Needs an ordering that ends
    with the primary key, made of field names or ``F(...)`` terms; otherwise it pages by
    offset.
    """

    def __init__(
        self,
        object_list: QuerySet[Any],
        per_page: int,
        *,
        ordered: OrderedIds | None = None,
        **kwargs: Any,
    ) -> None:
        keys = sort_keys(object_list)
        if keys is not None:
            # Where NULLs sort is spelt out, the same on every page and every backend
            # (PostgreSQL's defaults, which its indexes follow).
            object_list = object_list.order_by(*(key.order_by() for key in keys))
        super().__init__(object_list, per_page, **kwargs)
        self.keys = keys
        # Pages reached by link (and page 1) take their ids and the count from ``ordered``
        # when given: it must read the same rows in the order of ``keys``.
        self.ordered = ordered if keys is not None else None
        # Ids read ahead with the count (``_count_with_ids``): (bottom, ids, complete).
        self._read_ahead: tuple[int, list[Any], bool] | None = None

    @cached_property
    def count(self) -> int:
        if self.ordered is not None:
            return self.ordered.count(self.cap)
        return CappedPaginator.count.func(self)  # type: ignore[attr-defined]

    def _count_with_ids(self, number: int) -> None:
        """Count a list and choose the ids of its page ``number`` in one query.

        For a list read from a set of ids (not ``count_in_order``: a few thousand granted
        documents), the database reads and sorts the whole set to find any page, and the
        capped count read the same set again: ``COUNT(*) OVER ()`` beside the page's ids
        gives the count for free (10 ms of 50 for a median user's register, 30 of 70 for a
        search, at a million documents). An empty first page counts 0; past the last row
        of a longer list nothing comes back, and the count is then made the usual way.
        """
        bottom = (number - 1) * self.per_page
        wanted = self.per_page + self.orphans + 1
        rows = list(
            self.queryset.annotate(list_total=Window(Count("pk"))).values_list("pk", "list_total")[
                bottom : bottom + wanted
            ]
        )
        if not rows:
            if bottom == 0:
                self.__dict__["count"] = 0  # an empty list (a search that found nothing)
            return
        self.__dict__["count"] = min(rows[0][1], self.cap + 1)
        self._read_ahead = (bottom, [pk for pk, _total in rows], len(rows) < wanted)

    def _page_ids(self, queryset: QuerySet[Any], bottom: int, top: int) -> list[Any]:
        ahead = self._read_ahead
        if ahead is not None and queryset is self.queryset and ahead[0] == bottom:
            _bottom, ids, complete = ahead
            if complete or top - bottom <= len(ids):
                return ids[: top - bottom]
        return list(queryset.values_list("pk", flat=True)[bottom:top])

    def rows(self, queryset: QuerySet[Any], bottom: int, top: int) -> list[Any]:
        """Rows ``bottom:top`` of ``queryset``, in two queries: a narrow one chooses the
        page's ids (ids, sort keys and filters: what indexes can answer, index-only for
        most users), then only those rows are read whole and annotated, by primary key.

        Two queries rather than ``pk IN (subquery)``: given the subquery, PostgreSQL
        walked the whole register to join it (7 s for a clerk's search).
        """
        return self._read(queryset, self._page_ids(queryset, bottom, top))

    @staticmethod
    def _read(queryset: QuerySet[Any], ids: list[Any]) -> list[Any]:
        """The rows of ``ids``, whole and annotated, in the order of ``queryset``."""
        if not ids:
            return []
        page = queryset.all()  # the same annotations, joins and order, without the filters
        page.query.where = WhereNode()
        return list(page.filter(pk__in=ids))

    def page(self, number: Any) -> Page:
        number = self.validate_number(number)
        bottom = (number - 1) * self.per_page
        top = bottom + self.per_page
        if top + self.orphans >= self.count:
            top = self.count
        return Page(self.rows(self.queryset, bottom, top), number, self)

    def page_for(self, params: Mapping[str, Any]) -> Page:
        """The page a request asks for: ``page`` (its number), with ``after`` or ``before``
        (the cursor of the row it continues from) when it came from a link."""
        try:
            number = max(1, int(params.get("page") or 1))
        except (TypeError, ValueError):
            number = 1
        if self.keys is not None:
            for direction in ("after", "before"):
                cursor = params.get(direction)
                values = decode_cursor(cursor, len(self.keys)) if cursor else None
                if values is not None and number > 1:
                    return self._keyset_page(number, values, forward=direction == "after")
        if self.ordered is not None and number == 1:
            wanted = self.per_page + self.orphans + 1
            ids, count = self.ordered.first_page(wanted, self.cap)
            self.__dict__["count"] = count
            self._read_ahead = (0, ids, len(ids) < wanted)
        elif self.keys is not None and not self.count_in_order:
            self._count_with_ids(number)
        if self.keys is not None and self.is_capped and number > self.num_pages:
            # Past the count: a typed or bookmarked page number, read by offset.
            bottom = (number - 1) * self.per_page
            rows = self.rows(self.queryset, bottom, bottom + self.per_page + 1)
            if rows:
                more = len(rows) > self.per_page
                return KeysetPage(
                    rows[: self.per_page], number, self, has_next=more, has_previous=True
                )
        page = self.get_page(number)
        if self.keys is None:
            return page
        return KeysetPage(
            list(page.object_list),
            page.number,
            self,
            has_next=page.has_next(),
            has_previous=page.has_previous(),
        )

    def _keyset_page(self, number: int, values: list[Any], *, forward: bool) -> KeysetPage:
        assert self.keys is not None
        keys = self.keys if forward else [key.reversed() for key in self.keys]
        following = self.queryset.filter(keyset_filter(keys, values)).order_by(
            *(key.order_by() for key in keys)
        )
        if self.ordered is not None:
            ids = self.ordered.ids(values, forward=forward, limit=self.per_page + 1)
            rows = self._read(following, ids)
        else:
            rows = self.rows(following, 0, self.per_page + 1)
        more = len(rows) > self.per_page
        rows = rows[: self.per_page]
        if forward:
            return KeysetPage(rows, number, self, has_next=more, has_previous=True)
        rows.reverse()
        # Going back, the page before is there when more rows were found; the page after
        # is the one we came from.
        return KeysetPage(rows, number, self, has_next=True, has_previous=more or number > 1)

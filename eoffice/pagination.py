"""Pagination that stays cheap on registers of millions of rows."""

from __future__ import annotations

from functools import cached_property
from typing import Any

from django.conf import settings
from django.core.paginator import Paginator
from django.db.models import QuerySet


class CappedPaginator(Paginator):
    """Counts at most ``cap`` rows: ``COUNT(*)`` over a whole register on every page view
    costs seconds at a million documents, and nobody pages past a few hundred rows — they
    filter. Past the cap the page shows "10.000+" and the last pages are not reachable."""

    def __init__(
        self, object_list: QuerySet[Any], per_page: int, *, cap: int | None = None, **kwargs: Any
    ) -> None:
        super().__init__(object_list, per_page, **kwargs)
        self.queryset = object_list
        self.cap = cap or settings.EOFFICE_COUNT_CAP

    @cached_property
    def count(self) -> int:
        # Counting ids only: the list's ordering and annotations cost a sort for nothing.
        return self.queryset.order_by().values("pk")[: self.cap + 1].count()

    @property
    def is_capped(self) -> bool:
        return self.count > self.cap

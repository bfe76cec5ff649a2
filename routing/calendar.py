"""The agency's working calendar: Monday to Friday, less public holidays, plus swapped days."""

from __future__ import annotations

from datetime import date, timedelta

from routing.models import CalendarDay


def _exceptions(start: date, end: date) -> dict[date, bool]:
    return dict(
        CalendarDay.objects.filter(date__gte=start, date__lte=end).values_list(
            "date", "is_working_day"
        )
    )


def is_working_day(day: date, exceptions: dict[date, bool] | None = None) -> bool:
    if exceptions is None:
        exceptions = _exceptions(day, day)
    if day in exceptions:
        return exceptions[day]
    return day.weekday() < 5


def add_working_days(start: date, days: int) -> date:
    """The date ``days`` working days after ``start`` (``start`` itself is not counted).

    One query: the exceptions of a window wide enough for any run of holidays (Tết
    takes up to nine days off in a row).
    """
    if days < 0:
        raise ValueError("days must not be negative")
    window_end = start + timedelta(days=days * 2 + 30)
    exceptions = _exceptions(start, window_end)
    day = start
    counted = 0
    while counted < days:
        day += timedelta(days=1)
        if day > window_end:
            window_end = day + timedelta(days=days * 2 + 30)
            exceptions |= _exceptions(day, window_end)
        if is_working_day(day, exceptions):
            counted += 1
    return day


def count_working_days(start: date, end: date) -> int:
    """Working days after ``start`` up to and including ``end``."""
    exceptions = _exceptions(start, end)
    total = 0
    day = start
    while day < end:
        day += timedelta(days=1)
        if is_working_day(day, exceptions):
            total += 1
    return total

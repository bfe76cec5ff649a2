"""Vietnamese public holidays (Labour Code 2019, Art. 112) for the working calendar.

Lunar holidays move every year; the Government announces the exact days off (with swapped
working days) each year, and an administrator keeps them in "Quản trị → Lịch làm việc".
The days below follow the Government's notice for 2026 (check them against it); for
other years only the fixed-date holidays are known in advance.
"""

from __future__ import annotations

from datetime import date, timedelta

from django.db import transaction

from routing.models import CalendarDay


def _span(start: date, days: int, name: str) -> list[tuple[date, str]]:
    return [(start + timedelta(days=offset), name) for offset in range(days)]


ANNOUNCED: dict[int, list[tuple[date, str]]] = {
    2026: [
        (date(2026, 1, 1), "Tết Dương lịch"),
        *_span(date(2026, 2, 14), 9, "Tết Nguyên đán"),
        (date(2026, 4, 27), "Giỗ Tổ Hùng Vương (nghỉ bù)"),
        (date(2026, 4, 30), "Ngày Giải phóng miền Nam"),
        (date(2026, 5, 1), "Ngày Quốc tế Lao động"),
        (date(2026, 9, 1), "Quốc khánh"),
        (date(2026, 9, 2), "Quốc khánh"),
    ],
}


def holidays_for(year: int) -> list[tuple[date, str]]:
    if year in ANNOUNCED:
        return ANNOUNCED[year]
    return [
        (date(year, 1, 1), "Tết Dương lịch"),
        (date(year, 4, 30), "Ngày Giải phóng miền Nam"),
        (date(year, 5, 1), "Ngày Quốc tế Lao động"),
        (date(year, 9, 2), "Quốc khánh"),
    ]


@transaction.atomic
def load_holidays(year: int) -> int:
    """Add the year's holidays to the calendar; days already there are left as they are."""
    created = 0
    for day, name in holidays_for(year):
        _obj, was_created = CalendarDay.objects.get_or_create(
            date=day, defaults={"name": name, "is_working_day": False}
        )
        created += was_created
    return created

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest

from routing.calendar import add_working_days, count_working_days, is_working_day
from routing.deadlines import DeadlineState, deadline_state
from routing.holidays import load_holidays
from routing.models import CalendarDay

HCM = ZoneInfo("Asia/Ho_Chi_Minh")


def test_weekends_are_skipped(db):
    friday = date(2026, 11, 20)
    assert add_working_days(friday, 1) == date(2026, 11, 23)
    assert add_working_days(friday, 5) == date(2026, 11, 27)
    assert add_working_days(friday, 0) == friday


def test_holidays_are_skipped_and_swapped_saturdays_count(db):
    CalendarDay.objects.create(date=date(2026, 11, 23), name="Nghỉ lễ")
    CalendarDay.objects.create(date=date(2026, 11, 21), name="Làm bù", is_working_day=True)
    friday = date(2026, 11, 20)
    assert add_working_days(friday, 1) == date(2026, 11, 21)
    assert add_working_days(friday, 2) == date(2026, 11, 24)
    assert not is_working_day(date(2026, 11, 23))
    assert count_working_days(friday, date(2026, 11, 24)) == 2


def test_tet_holiday_of_2026(db):
    assert load_holidays(2026) >= 14
    assert load_holidays(2026) == 0  # loading twice adds nothing
    # Friday 13/02/2026 + 1 working day jumps the nine days of Tết to Monday 23/02.
    assert add_working_days(date(2026, 2, 13), 1) == date(2026, 2, 23)


def test_long_runs_of_holidays_beyond_the_first_window(db):
    for day in range(1, 29):
        CalendarDay.objects.create(date=date(2027, 2, day), name="Nghỉ")
    assert add_working_days(date(2027, 1, 29), 1) == date(2027, 3, 1)


@pytest.mark.parametrize(
    ("deadline", "completed", "today", "expected"),
    [
        (None, None, date(2026, 5, 10), DeadlineState.NONE),
        (date(2026, 5, 20), None, date(2026, 5, 10), DeadlineState.IN_TIME),
        (date(2026, 5, 12), None, date(2026, 5, 10), DeadlineState.DUE_SOON),
        (date(2026, 5, 10), None, date(2026, 5, 10), DeadlineState.DUE_SOON),
        (date(2026, 5, 9), None, date(2026, 5, 10), DeadlineState.OVERDUE),
        # Done on the deadline day, late in the evening Vietnam time, is on time.
        (
            date(2026, 5, 10),
            datetime(2026, 5, 10, 23, 30, tzinfo=HCM),
            None,
            DeadlineState.DONE_ON_TIME,
        ),
        (date(2026, 5, 10), datetime(2026, 5, 11, 0, 5, tzinfo=HCM), None, DeadlineState.DONE_LATE),
        (None, datetime(2026, 5, 11, 0, 5, tzinfo=HCM), None, DeadlineState.DONE_ON_TIME),
    ],
)
def test_deadline_states(deadline, completed, today, expected):
    assert deadline_state(deadline, completed, today) == expected

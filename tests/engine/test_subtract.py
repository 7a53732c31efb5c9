"""Schedule.subtract: the inverse of add for counts that end in business time."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from policies.engine.business_time import Holiday, NoBusinessTime, Schedule, WeeklyInterval

NY = ZoneInfo("America/New_York")
WEEKDAYS_9_TO_5 = [WeeklyInterval(d * 1440 + 540, d * 1440 + 1020) for d in range(1, 6)]


def ny(*args: int) -> datetime:
    return datetime(*args, tzinfo=NY)


def test_an_hour_before_a_deadline_inside_the_day() -> None:
    schedule = Schedule("America/New_York", WEEKDAYS_9_TO_5)
    assert schedule.subtract(ny(2024, 3, 6, 15), 3600) == ny(2024, 3, 6, 14).astimezone(UTC)


def test_crosses_the_night_and_the_weekend() -> None:
    schedule = Schedule("America/New_York", WEEKDAYS_9_TO_5)
    # Monday 10:00 less 2 business hours is Friday 16:00.
    assert schedule.subtract(ny(2024, 3, 11, 10), 7200) == ny(2024, 3, 8, 16).astimezone(UTC)


def test_crosses_a_dst_change_and_a_holiday() -> None:
    holiday = Holiday(date(2024, 3, 8), date(2024, 3, 8))
    schedule = Schedule("America/New_York", WEEKDAYS_9_TO_5, [holiday])
    # Monday 11 March (EDT) 10:00 less 3 hours: Friday 8 March is a holiday, so Thursday 15:00
    # (EST).
    assert schedule.subtract(ny(2024, 3, 11, 10), 3 * 3600) == ny(2024, 3, 7, 15).astimezone(UTC)


def test_a_schedule_without_hours_has_no_business_time() -> None:
    with pytest.raises(NoBusinessTime):
        Schedule("UTC", []).subtract(datetime(2024, 1, 1, tzinfo=UTC), 60)


@given(
    start=st.datetimes(min_value=datetime(2023, 1, 1), max_value=datetime(2026, 1, 1)),
    seconds=st.integers(min_value=1, max_value=200 * 3600),
)
def test_add_after_subtract_lands_on_the_deadline(start: datetime, seconds: int) -> None:
    """For a deadline that `add` produced, subtracting the same count finds a start from which
    `add` reaches that deadline again, and it is the earliest: a second before, more is left."""
    schedule = Schedule("America/New_York", WEEKDAYS_9_TO_5)
    end = schedule.add(start.replace(microsecond=0, tzinfo=UTC), seconds)
    begin = schedule.subtract(end, seconds)
    assert schedule.between(begin, end) == seconds
    assert schedule.add(begin, seconds) == end
    assert schedule.between(begin - timedelta(seconds=1), end) > seconds

"""Table tests for policies.engine.business_time: explicit instants, no clock reads, no database."""

from __future__ import annotations

import pickle
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from policies.engine.business_time import (
    AddExplanation,
    Holiday,
    HolidaySkip,
    NoBusinessTime,
    Schedule,
    WeeklyInterval,
    validate_intervals,
)

NY = "America/New_York"
HOUR = 3600


def local(
    zone: str, y: int, mo: int, d: int, h: int = 0, mi: int = 0, s: int = 0, us: int = 0
) -> datetime:
    return datetime(y, mo, d, h, mi, s, us, tzinfo=ZoneInfo(zone))


def ny(y: int, mo: int, d: int, h: int = 0, mi: int = 0, s: int = 0, us: int = 0) -> datetime:
    return local(NY, y, mo, d, h, mi, s, us)


def utc(y: int, mo: int, d: int, h: int = 0, mi: int = 0, s: int = 0, us: int = 0) -> datetime:
    return datetime(y, mo, d, h, mi, s, us, tzinfo=UTC)


def minute(day: int, hour: int, minute: int = 0) -> int:
    """Minute of the week; day 0 is Sunday."""
    return day * 1440 + hour * 60 + minute


def iv(start: int, end: int) -> WeeklyInterval:
    return WeeklyInterval(start, end)


MON_FRI = tuple(iv(minute(day, 9), minute(day, 17)) for day in range(1, 6))
NIGHT_SAT_SUN = (iv(minute(6, 22), minute(7, 6)),)  # Sat 22:00 -> Sun 06:00, wraps the week
NIGHT_FRI_SAT = (iv(minute(5, 22), minute(6, 6)),)  # Fri 22:00 -> Sat 06:00
ALWAYS = (iv(0, 10080),)


def check(result: datetime, expected: datetime) -> None:
    assert result == expected, (result, expected.astimezone(UTC))
    assert result.tzinfo is UTC


# 2024-06: Mon 3, Tue 4, Fri 7, Sat 8, Sun 9, Mon 10, Tue 11.
BASIC_ADD = [
    ("same span", ny(2024, 6, 3, 10), HOUR, ny(2024, 6, 3, 11)),
    ("lands exactly on close: close", ny(2024, 6, 3, 10), 7 * HOUR, ny(2024, 6, 3, 17)),
    ("one second past close", ny(2024, 6, 3, 10), 7 * HOUR + 1, ny(2024, 6, 4, 9, 0, 1)),
    ("overnight", ny(2024, 6, 3, 16), 2 * HOUR, ny(2024, 6, 4, 10)),
    ("friday 16:00 + 2h -> monday 10:00", ny(2024, 6, 7, 16), 2 * HOUR, ny(2024, 6, 10, 10)),
    ("start given in UTC", utc(2024, 6, 7, 20), 2 * HOUR, ny(2024, 6, 10, 10)),
    ("before opening", ny(2024, 6, 3, 7), HOUR, ny(2024, 6, 3, 10)),
    ("at opening", ny(2024, 6, 3, 9), HOUR, ny(2024, 6, 3, 10)),
    ("at close is out of hours", ny(2024, 6, 3, 17), HOUR, ny(2024, 6, 4, 10)),
    ("after close", ny(2024, 6, 3, 18, 30), HOUR, ny(2024, 6, 4, 10)),
    ("saturday", ny(2024, 6, 8, 12), HOUR, ny(2024, 6, 10, 10)),
    ("sunday night, one second", ny(2024, 6, 9, 23, 59), 1, ny(2024, 6, 10, 9, 0, 1)),
    ("a full week lands on friday close", ny(2024, 6, 3, 9), 40 * HOUR, ny(2024, 6, 7, 17)),
    ("full week plus a second", ny(2024, 6, 3, 9), 40 * HOUR + 1, ny(2024, 6, 10, 9, 0, 1)),
    ("ten weeks", ny(2024, 6, 3, 9), 400 * HOUR, ny(2024, 8, 9, 17)),
    ("zero inside hours", ny(2024, 6, 3, 10), 0, ny(2024, 6, 3, 10)),
    ("zero outside hours returns start", ny(2024, 6, 8, 12), 0, ny(2024, 6, 8, 12)),
    (
        "microseconds kept",
        ny(2024, 6, 3, 10, 0, 0, 250_000),
        HOUR,
        ny(2024, 6, 3, 11, 0, 0, 250_000),
    ),
    (
        "microseconds kept across the night",
        ny(2024, 6, 3, 16, 30, 0, 500_000),
        HOUR,
        ny(2024, 6, 4, 9, 30, 0, 500_000),
    ),
    (
        "microseconds: count reaching close with a fraction left",
        ny(2024, 6, 3, 16, 0, 0, 500_000),
        HOUR,
        ny(2024, 6, 4, 9, 0, 0, 500_000),
    ),
    (
        "microseconds dropped outside hours",
        ny(2024, 6, 8, 12, 0, 0, 500_000),
        HOUR,
        ny(2024, 6, 10, 10),
    ),
]


@pytest.mark.parametrize(
    ("start", "seconds", "expected"),
    [row[1:] for row in BASIC_ADD],
    ids=[row[0] for row in BASIC_ADD],
)
def test_add_mon_fri(start: datetime, seconds: int, expected: datetime) -> None:
    schedule = Schedule(NY, MON_FRI)
    check(schedule.add(start, seconds), expected)
    assert schedule.between(start, expected) == seconds


def hol(
    start: date, end: date | None = None, t0: time | None = None, t1: time | None = None
) -> Holiday:
    return Holiday(start, end or start, t0, t1)


JUNE_10 = date(2024, 6, 10)
HOLIDAY_ADD = [
    (
        "monday holiday -> tuesday",
        [hol(JUNE_10)],
        ny(2024, 6, 7, 16),
        2 * HOUR,
        ny(2024, 6, 11, 10),
    ),
    (
        "holiday spanning a weekend",
        [hol(date(2024, 6, 7), JUNE_10)],
        ny(2024, 6, 6, 16),
        2 * HOUR,
        ny(2024, 6, 11, 10),
    ),
    ("start inside a holiday", [hol(JUNE_10)], ny(2024, 6, 10, 11), HOUR, ny(2024, 6, 11, 10)),
    (
        "partial holiday at midday",
        [hol(date(2024, 6, 3), None, time(12), time(14))],
        ny(2024, 6, 3, 11),
        2 * HOUR,
        ny(2024, 6, 3, 15),
    ),
    (
        "partial holiday across two days",
        [hol(date(2024, 6, 3), date(2024, 6, 4), time(15), time(11))],
        ny(2024, 6, 3, 14),
        2 * HOUR,
        ny(2024, 6, 4, 12),
    ),
    (
        "holiday equal to the interval",
        [hol(JUNE_10, None, time(9), time(17))],
        ny(2024, 6, 7, 16),
        2 * HOUR,
        ny(2024, 6, 11, 10),
    ),
    (
        "holiday from close to opening removes nothing",
        [hol(JUNE_10, date(2024, 6, 11), time(17), time(9))],
        ny(2024, 6, 10, 16),
        2 * HOUR,
        ny(2024, 6, 11, 10),
    ),
    (
        "holiday ending exactly at opening",
        [hol(date(2024, 6, 8), JUNE_10, None, time(9))],
        ny(2024, 6, 7, 16),
        2 * HOUR,
        ny(2024, 6, 10, 10),
    ),
    (
        "holiday starting exactly at close",
        [hol(date(2024, 6, 7), date(2024, 6, 9), time(17))],
        ny(2024, 6, 7, 16),
        2 * HOUR,
        ny(2024, 6, 10, 10),
    ),
    (
        "count ends where a holiday starts: close, not holiday end",
        [hol(JUNE_10, None, time(9), time(12))],
        ny(2024, 6, 7, 16),
        HOUR,
        ny(2024, 6, 7, 17),
    ),
    (
        "morning holiday",
        [hol(JUNE_10, None, time(9), time(12))],
        ny(2024, 6, 7, 16),
        HOUR + 1,
        ny(2024, 6, 10, 12, 0, 1),
    ),
    (
        "start time only: runs to midnight",
        [hol(JUNE_10, None, time(12))],
        ny(2024, 6, 10, 11),
        2 * HOUR,
        ny(2024, 6, 11, 10),
    ),
    (
        "end time only: starts at midnight",
        [hol(JUNE_10, None, None, time(12))],
        ny(2024, 6, 7, 16),
        2 * HOUR,
        ny(2024, 6, 10, 13),
    ),
    (
        "overlapping holidays",
        [hol(JUNE_10, date(2024, 6, 11)), hol(date(2024, 6, 11), date(2024, 6, 12))],
        ny(2024, 6, 7, 16),
        2 * HOUR,
        ny(2024, 6, 13, 10),
    ),
    (
        "two years of holiday, then normal",
        [hol(date(2024, 1, 1), date(2025, 12, 31))],
        ny(2024, 3, 1, 10),
        HOUR,
        ny(2026, 1, 1, 10),
    ),
]


@pytest.mark.parametrize(
    ("holidays", "start", "seconds", "expected"),
    [row[1:] for row in HOLIDAY_ADD],
    ids=[row[0] for row in HOLIDAY_ADD],
)
def test_add_with_holidays(
    holidays: list[Holiday], start: datetime, seconds: int, expected: datetime
) -> None:
    schedule = Schedule(NY, MON_FRI, holidays)
    check(schedule.add(start, seconds), expected)
    assert schedule.between(start, expected) == seconds


BETWEEN = [
    ("same span", (), ny(2024, 6, 3, 10), ny(2024, 6, 3, 11), HOUR),
    ("overnight", (), ny(2024, 6, 3, 16), ny(2024, 6, 4, 10), 2 * HOUR),
    ("across a weekend", (), ny(2024, 6, 7, 16), ny(2024, 6, 10, 10), 2 * HOUR),
    ("a whole week", (), ny(2024, 6, 2), ny(2024, 6, 9), 40 * HOUR),
    ("four weeks", (), ny(2024, 6, 2), ny(2024, 6, 30), 160 * HOUR),
    ("end before start", (), ny(2024, 6, 4), ny(2024, 6, 3), 0),
    ("empty range", (), ny(2024, 6, 3, 10), ny(2024, 6, 3, 10), 0),
    ("weekend only", (), ny(2024, 6, 8), ny(2024, 6, 9, 23), 0),
    ("monday holiday", (hol(JUNE_10),), ny(2024, 6, 7, 16), ny(2024, 6, 11, 10), 2 * HOUR),
    (
        "partial holiday",
        (hol(date(2024, 6, 3), None, time(12), time(14)),),
        ny(2024, 6, 3, 9),
        ny(2024, 6, 3, 17),
        6 * HOUR,
    ),
    (
        "holiday week",
        (hol(date(2024, 6, 3), date(2024, 6, 7)),),
        ny(2024, 6, 1),
        ny(2024, 6, 15),
        40 * HOUR,
    ),
    (
        "fractions add up, then round down",
        (),
        ny(2024, 6, 3, 10, 0, 0, 999_999),
        ny(2024, 6, 3, 10, 0, 2),
        1,
    ),
    (
        "fractions across the night round down",
        (),
        ny(2024, 6, 3, 16, 59, 59, 500_000),
        ny(2024, 6, 4, 9, 0, 0, 250_000),
        0,
    ),
    (
        "fraction outside hours ignored",
        (),
        ny(2024, 6, 3, 8, 59, 59, 500_000),
        ny(2024, 6, 3, 9, 0, 1),
        1,
    ),
]


@pytest.mark.parametrize(
    ("holidays", "start", "end", "expected"),
    [row[1:] for row in BETWEEN],
    ids=[row[0] for row in BETWEEN],
)
def test_between(
    holidays: tuple[Holiday, ...], start: datetime, end: datetime, expected: int
) -> None:
    assert Schedule(NY, MON_FRI, holidays).between(start, end) == expected


INSTANTS = [
    ("opening", ny(2024, 6, 3, 9), True, ny(2024, 6, 3, 9)),
    ("inside", ny(2024, 6, 3, 12, 30, 15, 7), True, ny(2024, 6, 3, 12, 30, 15, 7)),
    ("last second", ny(2024, 6, 3, 16, 59, 59, 999_999), True, ny(2024, 6, 3, 16, 59, 59, 999_999)),
    ("close", ny(2024, 6, 3, 17), False, ny(2024, 6, 4, 9)),
    ("before opening", ny(2024, 6, 3, 8, 59, 59, 999_999), False, ny(2024, 6, 3, 9)),
    ("saturday", ny(2024, 6, 8, 9, 30), False, ny(2024, 6, 10, 9)),
    ("friday evening", ny(2024, 6, 7, 23), False, ny(2024, 6, 10, 9)),
]


@pytest.mark.parametrize(
    ("at", "business", "expected"),
    [row[1:] for row in INSTANTS],
    ids=[row[0] for row in INSTANTS],
)
def test_instants(at: datetime, business: bool, expected: datetime) -> None:
    schedule = Schedule(NY, MON_FRI)
    assert schedule.is_business_time(at) is business
    check(schedule.next_business_instant(at), expected)


def test_next_business_instant_skips_holidays() -> None:
    schedule = Schedule(NY, MON_FRI, [hol(JUNE_10, date(2024, 6, 11), None, time(13))])
    assert not schedule.is_business_time(ny(2024, 6, 10, 10))
    check(schedule.next_business_instant(ny(2024, 6, 7, 17)), ny(2024, 6, 11, 13))


# Daylight saving time. Each row: zone, intervals, holidays, [start, end) in UTC, business seconds.
# New York: 2024-03-10 02:00 EST -> 03:00 EDT; 2024-11-03 02:00 EDT -> 01:00 EST.
# London: 2024-03-31 01:00 GMT -> 02:00 BST; 2024-10-27 02:00 BST -> 01:00 GMT.
# Lord Howe: 2024-04-07 02:00 (+11) -> 01:30 (+10:30); 2024-10-06 02:00 (+10:30) -> 02:30 (+11).
# Kathmandu: +05:45, and 1986-01-01 00:00 (+05:30) -> 00:15 (+05:45).
LH = "Australia/Lord_Howe"
DST_BETWEEN = [
    ("NY 09-17 on spring Monday", NY, MON_FRI, utc(2024, 3, 11), utc(2024, 3, 12), 8 * HOUR),
    ("NY 09-17 on fall Monday", NY, MON_FRI, utc(2024, 11, 4), utc(2024, 11, 5), 8 * HOUR),
    (
        "NY night across spring forward",
        NY,
        NIGHT_SAT_SUN,
        utc(2024, 3, 9),
        utc(2024, 3, 11),
        7 * HOUR,
    ),
    ("NY night across fall back", NY, NIGHT_SAT_SUN, utc(2024, 11, 2), utc(2024, 11, 4), 9 * HOUR),
    ("NY night normal week", NY, NIGHT_SAT_SUN, utc(2024, 3, 16), utc(2024, 3, 18), 8 * HOUR),
    ("NY 24/7 spring day", NY, ALWAYS, utc(2024, 3, 10, 5), utc(2024, 3, 11, 4), 23 * HOUR),
    ("NY 24/7 fall day", NY, ALWAYS, utc(2024, 11, 3, 4), utc(2024, 11, 4, 5), 25 * HOUR),
    # Start 02:30 is in the gap: starts at the jump (07:00 UTC = 03:00 EDT).
    ("NY start in gap", NY, (iv(150, 300),), utc(2024, 3, 10), utc(2024, 3, 11), 2 * HOUR),
    ("NY same interval next week", NY, (iv(150, 300),), utc(2024, 3, 17), utc(2024, 3, 18), 9000),
    # End 02:30 is in the gap: ends at the jump.
    ("NY end in gap", NY, (iv(0, 150),), utc(2024, 3, 10), utc(2024, 3, 11), 2 * HOUR),
    ("NY wholly inside gap", NY, (iv(135, 165),), utc(2024, 3, 10), utc(2024, 3, 11), 0),
    # Start 01:30 occurs twice: first occurrence (05:30 UTC), end 05:00 EST (10:00 UTC).
    ("NY start in repeat", NY, (iv(90, 300),), utc(2024, 11, 3), utc(2024, 11, 4), 16200),
    # End 01:30: first occurrence (05:30 UTC); start 00:00 EDT (04:00 UTC).
    ("NY end in repeat", NY, (iv(0, 90),), utc(2024, 11, 3), utc(2024, 11, 4), 5400),
    (
        "NY split at repeat adds up",
        NY,
        (iv(0, 90), iv(90, 300)),
        utc(2024, 11, 3),
        utc(2024, 11, 4),
        6 * HOUR,
    ),
    (
        "NY 01:00-02:00 on fall day",
        NY,
        (iv(60, 120),),
        utc(2024, 11, 3),
        utc(2024, 11, 4),
        2 * HOUR,
    ),
    (
        "London night spring",
        "Europe/London",
        NIGHT_SAT_SUN,
        utc(2024, 3, 30),
        utc(2024, 4, 1),
        7 * HOUR,
    ),
    (
        "London night fall",
        "Europe/London",
        NIGHT_SAT_SUN,
        utc(2024, 10, 26),
        utc(2024, 10, 28),
        9 * HOUR,
    ),
    (
        "London start in gap",
        "Europe/London",
        (iv(90, 180),),
        utc(2024, 3, 31),
        utc(2024, 4, 1),
        HOUR,
    ),
    ("London 09-17", "Europe/London", MON_FRI, utc(2024, 3, 30), utc(2024, 4, 6), 40 * HOUR),
    ("Lord Howe night fall back", LH, NIGHT_SAT_SUN, utc(2024, 4, 6), utc(2024, 4, 8), 30600),
    ("Lord Howe night spring", LH, NIGHT_SAT_SUN, utc(2024, 10, 5), utc(2024, 10, 7), 27000),
    # 02:15 is in the 30-minute gap: starts at the jump (15:30 UTC), ends 03:00 +11 (16:00 UTC).
    ("Lord Howe start in gap", LH, (iv(135, 180),), utc(2024, 10, 5), utc(2024, 10, 7), 1800),
    # 01:45 occurs twice: first (14:45 UTC); end 03:00 +10:30 (16:30 UTC).
    ("Lord Howe start in repeat", LH, (iv(105, 180),), utc(2024, 4, 6), utc(2024, 4, 8), 6300),
    (
        "Kathmandu 09-17 week",
        "Asia/Kathmandu",
        MON_FRI,
        utc(2024, 6, 2),
        utc(2024, 6, 9),
        40 * HOUR,
    ),
    # Wednesday 1986-01-01 00:00 does not exist: the interval starts at the jump.
    (
        "Kathmandu 1986 offset change",
        "Asia/Kathmandu",
        (iv(minute(3, 0), minute(3, 1)),),
        utc(1985, 12, 30),
        utc(1986, 1, 2),
        45 * 60,
    ),
    (
        "Kathmandu week after",
        "Asia/Kathmandu",
        (iv(minute(3, 0), minute(3, 1)),),
        utc(1986, 1, 6),
        utc(1986, 1, 9),
        HOUR,
    ),
]


@pytest.mark.parametrize(
    ("zone", "intervals", "start", "end", "expected"),
    [row[1:] for row in DST_BETWEEN],
    ids=[row[0] for row in DST_BETWEEN],
)
def test_dst_between(
    zone: str, intervals: tuple[WeeklyInterval, ...], start: datetime, end: datetime, expected: int
) -> None:
    schedule = Schedule(zone, intervals)
    assert schedule.between(start, end) == expected
    if expected:
        # add() walks the same spans: from the range start, `expected` seconds ends inside it.
        assert schedule.add(start, expected) <= end
        assert schedule.between(start, schedule.add(start, expected)) == expected


DST_ADD = [
    (
        "NY friday to monday over spring forward",
        NY,
        MON_FRI,
        ny(2024, 3, 8, 16),
        2 * HOUR,
        utc(2024, 3, 11, 14),
    ),
    (
        "NY friday to monday over fall back",
        NY,
        MON_FRI,
        ny(2024, 11, 1, 16),
        2 * HOUR,
        utc(2024, 11, 4, 15),
    ),
    ("NY 24/7 is real time", NY, ALWAYS, ny(2024, 3, 9, 12), 24 * HOUR, utc(2024, 3, 10, 17)),
    (
        "NY gap start: opens at the jump",
        NY,
        (iv(150, 300),),
        utc(2024, 3, 10),
        60,
        utc(2024, 3, 10, 7, 1),
    ),
    (
        "NY gap end: lands on the jump",
        NY,
        (iv(0, 150),),
        utc(2024, 3, 10, 5),
        2 * HOUR,
        utc(2024, 3, 10, 7),
    ),
    (
        "NY night over fall back",
        NY,
        NIGHT_SAT_SUN,
        ny(2024, 11, 2, 22),
        9 * HOUR,
        utc(2024, 11, 3, 11),
    ),
    (
        "NY night over spring forward",
        NY,
        NIGHT_SAT_SUN,
        ny(2024, 3, 9, 22),
        7 * HOUR,
        utc(2024, 3, 10, 10),
    ),
    (
        "NY night over spring forward, one more second",
        NY,
        NIGHT_SAT_SUN,
        ny(2024, 3, 9, 22),
        7 * HOUR + 1,
        utc(2024, 3, 17, 2, 0, 1),
    ),
    ("Lord Howe gap start", LH, (iv(135, 180),), utc(2024, 10, 5), 60, utc(2024, 10, 5, 15, 31)),
    ("Lord Howe repeat start", LH, (iv(105, 180),), utc(2024, 4, 6), 60, utc(2024, 4, 6, 14, 46)),
    (
        "Kathmandu friday 16:00 + 2h",
        "Asia/Kathmandu",
        MON_FRI,
        local("Asia/Kathmandu", 2024, 6, 7, 16),
        2 * HOUR,
        utc(2024, 6, 10, 4, 15),
    ),
]


@pytest.mark.parametrize(
    ("zone", "intervals", "start", "seconds", "expected"),
    [row[1:] for row in DST_ADD],
    ids=[row[0] for row in DST_ADD],
)
def test_dst_add(
    zone: str,
    intervals: tuple[WeeklyInterval, ...],
    start: datetime,
    seconds: int,
    expected: datetime,
) -> None:
    check(Schedule(zone, intervals).add(start, seconds), expected)


REPEAT = [
    # NY 2024-11-03: 05:15 UTC is 01:15 EDT (first pass), 06:15 UTC is 01:15 EST (second pass).
    ("first pass, interval from 01:30", (iv(90, 300),), utc(2024, 11, 3, 5, 15), False),
    ("second pass, interval from 01:30", (iv(90, 300),), utc(2024, 11, 3, 6, 15), True),
    ("first pass, interval to 01:30", (iv(0, 90),), utc(2024, 11, 3, 5, 15), True),
    ("second pass, interval to 01:30", (iv(0, 90),), utc(2024, 11, 3, 6, 15), False),
    ("second pass, interval 01:00-02:00", (iv(60, 120),), utc(2024, 11, 3, 6, 59, 59), True),
    ("02:00 EST, interval 01:00-02:00", (iv(60, 120),), utc(2024, 11, 3, 7), False),
    ("gap: just before the jump", (iv(150, 300),), utc(2024, 3, 10, 6, 59, 59), False),
    ("gap: the jump", (iv(150, 300),), utc(2024, 3, 10, 7), True),
]


@pytest.mark.parametrize(
    ("intervals", "at", "business"),
    [row[1:] for row in REPEAT],
    ids=[row[0] for row in REPEAT],
)
def test_gap_and_repeat_membership(
    intervals: tuple[WeeklyInterval, ...], at: datetime, business: bool
) -> None:
    assert Schedule(NY, intervals).is_business_time(at) is business


def test_whole_day_holiday_starting_in_midnight_gap() -> None:
    # Santiago 2024-09-08 00:00 (-04) -> 01:00 (-03): the holiday starts at the jump (04:00 UTC)
    # and ends 2024-09-09 00:00 -03 (03:00 UTC), so it is 23 real hours long.
    schedule = Schedule("America/Santiago", ALWAYS, [hol(date(2024, 9, 8))])
    assert schedule.between(utc(2024, 9, 7), utc(2024, 9, 10)) == 49 * HOUR
    assert schedule.is_business_time(utc(2024, 9, 8, 3, 59, 59))
    assert not schedule.is_business_time(utc(2024, 9, 8, 4))
    check(schedule.next_business_instant(utc(2024, 9, 8, 4)), utc(2024, 9, 9, 3))


MIDNIGHT = [
    ("friday night", NIGHT_FRI_SAT, ny(2024, 6, 7, 23), 2 * HOUR, ny(2024, 6, 8, 1)),
    (
        "saturday morning to next friday",
        NIGHT_FRI_SAT,
        ny(2024, 6, 8, 5),
        2 * HOUR,
        ny(2024, 6, 14, 23),
    ),
    (
        "whole shift lands on its end",
        NIGHT_FRI_SAT,
        ny(2024, 6, 7, 21),
        8 * HOUR,
        ny(2024, 6, 8, 6),
    ),
    (
        "week wrap: saturday to sunday",
        NIGHT_SAT_SUN,
        ny(2024, 6, 8, 23),
        3 * HOUR,
        ny(2024, 6, 9, 2),
    ),
    (
        "week wrap: sunday to next saturday",
        NIGHT_SAT_SUN,
        ny(2024, 6, 9, 5),
        2 * HOUR,
        ny(2024, 6, 15, 23),
    ),
    (
        "week wrap touching sunday day shift",
        (*NIGHT_SAT_SUN, iv(minute(0, 6), minute(0, 12))),
        ny(2024, 6, 9, 5),
        2 * HOUR,
        ny(2024, 6, 9, 7),
    ),
    (
        "24/7 UTC across week end",
        ALWAYS,
        utc(2024, 6, 8, 23, 59, 59, 500_000),
        1,
        utc(2024, 6, 9, 0, 0, 0, 500_000),
    ),
    ("24/7 from monday", (iv(1440, 11520),), utc(2024, 6, 5, 12), 30 * 86400, utc(2024, 7, 5, 12)),
]


@pytest.mark.parametrize(
    ("intervals", "start", "seconds", "expected"),
    [row[1:] for row in MIDNIGHT],
    ids=[row[0] for row in MIDNIGHT],
)
def test_midnight_and_week_wrap(
    intervals: tuple[WeeklyInterval, ...], start: datetime, seconds: int, expected: datetime
) -> None:
    zone = "UTC" if start.tzinfo is UTC else NY
    schedule = Schedule(zone, intervals)
    check(schedule.add(start, seconds), expected)
    assert schedule.between(start, expected) == seconds


@pytest.mark.parametrize(
    ("at", "business"),
    [
        (ny(2024, 6, 8, 21, 59, 59), False),
        (ny(2024, 6, 8, 22), True),
        (ny(2024, 6, 9, 0), True),
        (ny(2024, 6, 9, 5, 59, 59), True),
        (ny(2024, 6, 9, 6), False),
    ],
)
def test_week_wrap_membership(at: datetime, business: bool) -> None:
    assert Schedule(NY, NIGHT_SAT_SUN).is_business_time(at) is business


def test_24_7_is_plain_addition() -> None:
    schedule = Schedule("UTC", ALWAYS)
    start = utc(2024, 2, 28, 13, 14, 15, 16)
    for seconds in (1, 59, 86_400, 604_800, 10_000_000):
        check(schedule.add(start, seconds), start + timedelta(seconds=seconds))
        assert schedule.between(start, start + timedelta(seconds=seconds)) == seconds


@pytest.mark.parametrize(
    ("intervals", "expected"),
    [((), 0), (MON_FRI, 144_000), (NIGHT_SAT_SUN, 28_800), (ALWAYS, 604_800)],
)
def test_weekly_seconds(intervals: tuple[WeeklyInterval, ...], expected: int) -> None:
    assert Schedule(NY, intervals).weekly_seconds == expected


def test_empty_schedule() -> None:
    schedule = Schedule(NY, [])
    start = ny(2024, 6, 3, 10)
    with pytest.raises(NoBusinessTime):
        schedule.add(start, 1)
    with pytest.raises(NoBusinessTime):
        schedule.next_business_instant(start)
    with pytest.raises(NoBusinessTime):
        schedule.explain_add(start, 60)
    check(schedule.add(start, 0), start)
    assert schedule.between(start, start + timedelta(days=30)) == 0
    assert not schedule.is_business_time(start)


def test_holiday_forever_raises_at_once() -> None:
    schedule = Schedule(NY, MON_FRI, [hol(date(2024, 1, 1), date.max)])
    start = ny(2024, 6, 3, 10)
    with pytest.raises(NoBusinessTime):
        schedule.add(start, 1)
    with pytest.raises(NoBusinessTime):
        schedule.next_business_instant(start)
    assert schedule.between(start, start + timedelta(days=3650)) == 0
    assert not schedule.is_business_time(start)
    # Before the holiday there is business time, and the count stops there.
    assert schedule.between(ny(2023, 12, 29, 9), start) == 8 * HOUR
    with pytest.raises(NoBusinessTime):
        schedule.add(ny(2023, 12, 29, 9), 8 * HOUR + 1)


def test_no_business_time_is_a_value_error() -> None:
    assert issubclass(NoBusinessTime, ValueError)


NAIVE = datetime(2024, 6, 3, 10)  # deliberately naive


@pytest.mark.parametrize(
    "call",
    [
        lambda s: s.add(NAIVE, 60),
        lambda s: s.add(ny(2024, 6, 3), -1),
        lambda s: s.add(ny(2024, 6, 3), 1.5),
        lambda s: s.add(ny(2024, 6, 3), True),
        lambda s: s.add(ny(2024, 6, 3), "60"),
        lambda s: s.add(date(2024, 6, 3), 60),
        lambda s: s.add("2024-06-03T10:00:00Z", 60),
        lambda s: s.add(utc(1899, 12, 31), 60),
        lambda s: s.add(utc(9500, 1, 1), 60),
        lambda s: s.add(utc(8999, 12, 30), 30 * 24 * HOUR),
        lambda s: s.add(ny(2024, 6, 3), 10**18),
        lambda s: s.between(NAIVE, ny(2024, 6, 3)),
        lambda s: s.between(ny(2024, 6, 3), NAIVE),
        lambda s: s.between(utc(1950, 1, 1), utc(2100, 1, 1)),
        lambda s: s.next_business_instant(NAIVE),
        lambda s: s.is_business_time(NAIVE),
        lambda s: s.is_business_time(None),
        lambda s: s.explain_add(NAIVE, 60),
    ],
)
def test_bad_arguments_raise_value_error(call: object) -> None:
    schedule = Schedule(NY, MON_FRI)
    with pytest.raises(ValueError):  # noqa: PT011 - the contract is "a ValueError"
        call(schedule)  # type: ignore[operator]


@pytest.mark.parametrize(
    ("zone", "intervals", "holidays"),
    [
        ("Mars/Olympus_Mons", MON_FRI, ()),
        ("../../etc/passwd", MON_FRI, ()),
        ("", MON_FRI, ()),
        (None, MON_FRI, ()),
        (NY, (iv(10, 5),), ()),
        (NY, (iv(0, 100), iv(50, 150)), ()),
        (NY, MON_FRI, (date(2024, 1, 1),)),
        (NY, 5, ()),
    ],
)
def test_bad_schedules_raise_value_error(zone: object, intervals: object, holidays: object) -> None:
    with pytest.raises(ValueError):  # noqa: PT011
        Schedule(zone, intervals, holidays)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "make",
    [
        lambda: Holiday(date(2024, 6, 10), date(2024, 6, 9)),
        lambda: Holiday(date(2024, 6, 10), date(2024, 6, 10), time(12), time(12)),
        lambda: Holiday(date(2024, 6, 10), date(2024, 6, 10), time(14), time(12)),
        lambda: Holiday(datetime(2024, 6, 10), date(2024, 6, 10)),
        lambda: Holiday("2024-06-10", date(2024, 6, 10)),  # type: ignore[arg-type]
        lambda: Holiday(date(2024, 6, 10), date(2024, 6, 10), time(12, tzinfo=UTC)),
        lambda: Holiday(date(2024, 6, 10), date(2024, 6, 10), time(12, 0, 0, 5)),
        lambda: Holiday(date(2024, 6, 10), date(2024, 6, 10), "12:00"),  # type: ignore[arg-type]
    ],
)
def test_bad_holidays_raise_value_error(make: object) -> None:
    with pytest.raises(ValueError):  # noqa: PT011
        make()  # type: ignore[operator]


VALIDATION = [
    ("mon-fri", list(MON_FRI), []),
    ("empty", [], []),
    ("touching", [iv(0, 60), iv(60, 120)], []),
    ("touching across week end", [iv(9960, 10080), iv(0, 360)], []),
    ("week wrap", list(NIGHT_SAT_SUN), []),
    ("24/7", list(ALWAYS), []),
    ("24/7 from monday", [iv(1440, 11520)], []),
    (
        "overlap",
        [iv(1980, 2460), iv(2400, 2500)],
        ["intervals[0] (Mon 09:00-Mon 17:00) overlaps intervals[1] (Mon 16:00-Mon 17:40)"],
    ),
    (
        "overlap across week end",
        [iv(9960, 10440), iv(300, 400)],
        [
            "intervals[0] (Sat 22:00-Sun 06:00 (next week)) overlaps "
            "intervals[1] (Sun 05:00-Sun 06:40)"
        ],
    ),
    (
        "duplicate",
        [iv(60, 120), iv(60, 120)],
        ["intervals[0] (Sun 01:00-Sun 02:00) overlaps intervals[1] (Sun 01:00-Sun 02:00)"],
    ),
    (
        "24/7 plus anything",
        [iv(0, 10080), iv(5000, 5001)],
        [
            "intervals[0] (Sun 00:00-Sun 00:00 (next week)) overlaps "
            "intervals[1] (Wed 11:20-Wed 11:21)"
        ],
    ),
    (
        "end equals start",
        [iv(60, 60)],
        ["intervals[0]: end_minute 60 must be greater than start_minute 60"],
    ),
    (
        "end before start",
        [iv(60, 30)],
        ["intervals[0]: end_minute 30 must be greater than start_minute 60"],
    ),
    ("negative start", [iv(-1, 30)], ["intervals[0]: start_minute -1 must be between 0 and 10079"]),
    (
        "start past the week",
        [iv(10080, 10200)],
        ["intervals[0]: start_minute 10080 must be between 0 and 10079"],
    ),
    (
        "end past monday 00:00",
        [iv(10000, 11521)],
        ["intervals[0]: end_minute 11521 must be at most 11520 (Monday 00:00 next week)"],
    ),
    (
        "longer than a week",
        [iv(0, 10081)],
        ["intervals[0]: longer than a week (10081 > 10080 minutes)"],
    ),
    (
        "float",
        [WeeklyInterval(1.5, 3)],  # type: ignore[arg-type]
        ["intervals[0]: start_minute and end_minute must be integers"],
    ),
    (
        "bool",
        [WeeklyInterval(True, 3)],
        ["intervals[0]: start_minute and end_minute must be integers"],
    ),
    ("not an interval", [iv(0, 60), "Mon 9-5"], ["intervals[1]: expected an interval, got str"]),
    (
        "bad ones are not also reported as overlapping",
        [iv(0, 100), iv(50, 20)],
        ["intervals[1]: end_minute 20 must be greater than start_minute 50"],
    ),
]


@pytest.mark.parametrize(
    ("intervals", "expected"),
    [row[1:] for row in VALIDATION],
    ids=[row[0] for row in VALIDATION],
)
def test_validate_intervals(intervals: list[object], expected: list[str]) -> None:
    assert validate_intervals(intervals) == expected


def test_validate_intervals_not_iterable() -> None:
    assert validate_intervals(5) == ["intervals must be a list of intervals"]  # type: ignore[arg-type]


# US federal holidays 2024-2025 (observed dates), for the long-target reference below.
FEDERAL = [
    date(2024, 1, 1), date(2024, 1, 15), date(2024, 2, 19), date(2024, 5, 27), date(2024, 6, 19),
    date(2024, 7, 4), date(2024, 9, 2), date(2024, 10, 14), date(2024, 11, 11), date(2024, 11, 28),
    date(2024, 12, 25), date(2025, 1, 1), date(2025, 1, 20), date(2025, 2, 17), date(2025, 5, 26),
    date(2025, 6, 19), date(2025, 7, 4), date(2025, 9, 1), date(2025, 10, 13), date(2025, 11, 11),
    date(2025, 11, 27), date(2025, 12, 25),
]  # fmt: skip


def day_walk_add(start: datetime, seconds: int) -> datetime:
    """Independent reference: walk NY calendar days, 09:00-17:00 on non-holiday weekdays."""
    zone = ZoneInfo(NY)
    day = start.astimezone(zone).date()
    left = seconds
    while True:
        if day.weekday() < 5 and day not in FEDERAL:
            opening = datetime.combine(day, time(9), zone)
            closing = datetime.combine(day, time(17), zone)
            begin = max(opening, start)
            if begin < closing:
                available = int((closing - begin).total_seconds())
                if left <= available:
                    return (begin + timedelta(seconds=left)).astimezone(UTC)
                left -= available
        day += timedelta(days=1)


@pytest.mark.parametrize(
    "start",
    [ny(2024, 1, 2, 9), ny(2024, 3, 8, 16, 30), ny(2024, 5, 24, 23), ny(2024, 11, 1, 12, 0, 7)],
)
@pytest.mark.parametrize("seconds", [2000 * HOUR, 2000 * HOUR + 1, 1_234_567, 30 * 8 * HOUR])
def test_long_targets_match_day_walk(start: datetime, seconds: int) -> None:
    schedule = Schedule(NY, MON_FRI, [hol(d) for d in FEDERAL])
    result = schedule.add(start, seconds)
    check(result, day_walk_add(start, seconds))
    assert schedule.between(start, result) == seconds


def test_long_targets_walk_weeks_not_days() -> None:
    schedule = Schedule(NY, MON_FRI, [hol(d) for d in FEDERAL])
    schedule.add(ny(2024, 1, 2, 9), 30 * 8 * HOUR)  # 30 business days, about 6.5 weeks
    assert schedule._bucket.cache_info().misses <= 8
    schedule.add(ny(2024, 1, 2, 9), 2000 * HOUR)  # about 53 weeks
    assert schedule._bucket.cache_info().misses <= 60


def test_explain_add_lists_spans_and_holidays() -> None:
    schedule = Schedule(NY, MON_FRI, [hol(JUNE_10), hol(date(2024, 6, 8))])
    explanation = schedule.explain_add(ny(2024, 6, 7, 16), 2 * HOUR)
    assert explanation == AddExplanation(
        time_zone=NY,
        start=utc(2024, 6, 7, 20),
        seconds=2 * HOUR,
        result=utc(2024, 6, 11, 14),
        spans=(
            (utc(2024, 6, 7, 20), utc(2024, 6, 7, 21)),
            (utc(2024, 6, 11, 13), utc(2024, 6, 11, 14)),
        ),
        span_count=2,
        # The Saturday holiday removed no business time, so it is not listed.
        holidays=(HolidaySkip(hol(JUNE_10), utc(2024, 6, 10, 4), utc(2024, 6, 11, 4), 8 * HOUR),),
        holiday_count=1,
    )
    assert not explanation.truncated


def test_explain_add_caps_spans() -> None:
    schedule = Schedule(NY, MON_FRI)
    start = ny(2024, 6, 3, 10, 0, 0, 500_000)
    explanation = schedule.explain_add(start, 100 * 8 * HOUR)
    assert explanation.span_count == 101
    assert len(explanation.spans) == 50
    assert explanation.truncated
    assert explanation.spans[0] == (start.astimezone(UTC), utc(2024, 6, 3, 21))
    assert explanation.result == schedule.add(start, 100 * 8 * HOUR)


def test_explain_add_joins_spans_across_weeks() -> None:
    schedule = Schedule("UTC", ALWAYS)
    explanation = schedule.explain_add(utc(2024, 6, 1), 14 * 86_400)
    assert explanation.spans == ((utc(2024, 6, 1), utc(2024, 6, 15)),)
    assert explanation.span_count == 1


def test_explain_add_zero() -> None:
    explanation = Schedule(NY, MON_FRI).explain_add(ny(2024, 6, 8), 0)
    assert explanation.result == ny(2024, 6, 8)
    assert explanation.spans == ()
    assert explanation.span_count == 0


def test_schedule_pickles_without_its_cache() -> None:
    schedule = Schedule(NY, MON_FRI, [hol(JUNE_10)])
    check(schedule.add(ny(2024, 6, 7, 16), 2 * HOUR), ny(2024, 6, 11, 10))
    copy = pickle.loads(pickle.dumps(schedule))
    assert copy._bucket.cache_info().currsize == 0
    check(copy.add(ny(2024, 6, 7, 16), 2 * HOUR), ny(2024, 6, 11, 10))
    assert copy.weekly_seconds == schedule.weekly_seconds

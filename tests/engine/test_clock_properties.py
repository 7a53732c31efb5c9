"""Property tests for policies.engine.business_time against a slow, independent brute force.

The brute force walks UTC minute by minute, reads the local wall clock with zoneinfo and keeps
its highest reading so far (so the hour repeated at a fall-back keeps reading as the moment the
clock was turned back), then tests that reading against the weekly intervals and holidays as
plain naive wall times. That is the documented meaning of the schedule, computed without the
module's gap/fold mapping, buckets or bisection.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from policies.engine.business_time import Holiday, Schedule, WeeklyInterval

ORDINARY = [datetime(2024, 6, 13, tzinfo=UTC), datetime(2024, 1, 4, tzinfo=UTC)]
# Per zone: windows open up to 3 days before these, so they contain the zone's offset changes,
# and "hot" minute of the week near which interval boundaries cluster (where the change is).
ZONES: dict[str, tuple[list[datetime], int]] = {
    # 2024-03-10 02:00 -> 03:00, 2024-11-03 02:00 -> 01:00 (Sunday)
    "America/New_York": (
        [datetime(2024, 3, 7, tzinfo=UTC), datetime(2024, 10, 31, tzinfo=UTC)],
        120,
    ),
    # 2024-03-31 01:00 -> 02:00, 2024-10-27 02:00 -> 01:00 (Sunday)
    "Europe/London": ([datetime(2024, 3, 28, tzinfo=UTC), datetime(2024, 10, 24, tzinfo=UTC)], 90),
    # 2024-04-07 02:00 -> 01:30, 2024-10-06 02:00 -> 02:30 (Sunday)
    "Australia/Lord_Howe": (
        [datetime(2024, 4, 4, tzinfo=UTC), datetime(2024, 10, 3, tzinfo=UTC)],
        120,
    ),
    # 1986-01-01 00:00 -> 00:15 (Wednesday), +05:45 since
    "Asia/Kathmandu": ([datetime(1985, 12, 28, tzinfo=UTC)], 3 * 1440),
    "UTC": ([], 0),
}
WINDOW_MINUTES = 10 * 1440
LEAD_MINUTES = 2 * 1440  # walked before the window so the highest wall reading is settled
SUNDAY = datetime(1970, 1, 4)
SETTINGS = settings(
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)


@dataclass(frozen=True)
class Spec:
    zone: str
    intervals: tuple[WeeklyInterval, ...]
    holidays: tuple[Holiday, ...]

    def schedule(self) -> Schedule:
        return Schedule(self.zone, self.intervals, self.holidays)


@st.composite
def interval_sets(draw: st.DrawFn, hot: int, focus: bool) -> tuple[WeeklyInterval, ...]:
    """1-6 non-overlapping intervals at random minutes; some cross midnight or the week end.

    Half the time (always with `focus`) boundaries cluster around `hot`, where the zone changes
    its offset.
    """
    if not focus and draw(st.integers(0, 9)) == 0:
        start = draw(st.integers(0, 1440))
        return (WeeklyInterval(start, start + 10080),)  # 24/7 from a random minute
    count = draw(st.integers(1, 6))
    room = 10080 // (2 * count)
    clustered = focus or draw(st.booleans())
    step = st.integers(0, 45) if clustered else st.integers(0, room)
    cursor = draw(st.integers(max(0, hot - 150), hot + 30) if clustered else st.integers(0, 10079))
    intervals = []
    for _ in range(count):
        start = cursor + draw(step)
        end = start + max(1, min(1440, room, draw(step)))
        cursor = end
        offset = start % 10080
        intervals.append(WeeklyInterval(offset, offset + end - start))
    return tuple(intervals)


@st.composite
def holiday_sets(draw: st.DrawFn, first_day: date) -> tuple[Holiday, ...]:
    holidays = []
    for _ in range(draw(st.integers(0, 3))):
        day = first_day + timedelta(days=draw(st.integers(-1, 10)))
        kind = draw(st.sampled_from(["whole", "partial", "from", "until"]))
        if kind == "whole":
            holidays.append(Holiday(day, day + timedelta(days=draw(st.integers(0, 2)))))
            continue
        minute = draw(st.one_of(st.integers(0, 1439), st.integers(0, 180)))
        clock = time(minute // 60, minute % 60)
        if kind == "from":
            holidays.append(Holiday(day, day, clock, None))
        elif kind == "until":
            holidays.append(Holiday(day, day, None, clock if minute else time(0, 1)))
        else:
            end = datetime.combine(day, clock) + timedelta(minutes=draw(st.integers(1, 3 * 1440)))
            holidays.append(Holiday(day, end.date(), clock, end.time()))
    return tuple(holidays)


@st.composite
def cases(draw: st.DrawFn, focus: bool = False) -> tuple[Spec, int]:
    """A schedule and the UTC start (whole minutes, epoch seconds) of its brute-force window.

    With `focus`, the window always holds an offset change and boundaries cluster around it.
    """
    zone = draw(st.sampled_from([z for z in sorted(ZONES) if ZONES[z][0] or not focus]))
    changes, hot = ZONES[zone]
    anchor = draw(st.sampled_from(changes if focus else changes + ORDINARY))
    anchor += timedelta(minutes=draw(st.integers(0, 3 * 1440)))
    spec = Spec(zone, draw(interval_sets(hot, focus)), draw(holiday_sets(anchor.date())))
    return spec, int(anchor.timestamp())


def wall_bounds(holiday: Holiday) -> tuple[datetime, datetime]:
    start = datetime.combine(holiday.start_date, holiday.start_time or time())
    if holiday.end_time is None:
        return start, datetime.combine(holiday.end_date + timedelta(days=1), time())
    return start, datetime.combine(holiday.end_date, holiday.end_time)


def brute_force(spec: Spec, window: int) -> list[bool]:
    """Business flag of each UTC minute of the window, from its highest wall reading."""
    zone = ZoneInfo(spec.zone)
    bounds = [wall_bounds(h) for h in spec.holidays]
    flags = []
    high: datetime | None = None
    for index in range(-LEAD_MINUTES, WINDOW_MINUTES):
        wall = datetime.fromtimestamp(window + index * 60, zone).replace(tzinfo=None)
        if high is None or wall > high:
            high = wall
        if index < 0:
            continue
        week_minute = int((high - SUNDAY).total_seconds()) // 60 % 10080
        open_ = any(
            i.start_minute <= m < i.end_minute
            for i in spec.intervals
            for m in (week_minute, week_minute + 10080)
        )
        flags.append(open_ and not any(lo <= high < hi for lo, hi in bounds))
    return flags


def as_datetime(seconds: int, microseconds: int = 0) -> datetime:
    return datetime.fromtimestamp(seconds, UTC) + timedelta(microseconds=microseconds)


def reference_add(flags: list[bool], window: int, start: int, seconds: int) -> int | None:
    """Reference add from a whole-second start; None when the window runs out first."""
    index, offset = divmod(start - window, 60)
    left = seconds
    while index < len(flags):
        if flags[index]:
            available = 60 - offset
            if left <= available:
                return window + index * 60 + offset + left
            left -= available
        index, offset = index + 1, 0
    return None


def reference_between(flags: list[bool], window: int, start: int, end: int) -> int:
    total = 0
    for index in range((start - window) // 60, (end - window + 59) // 60):
        lo = max(start, window + index * 60)
        hi = min(end, window + index * 60 + 60)
        if flags[index] and hi > lo:
            total += hi - lo
    return total


@settings(SETTINGS, max_examples=80)
@given(case=cases(), data=st.data())
def test_matches_brute_force(case: tuple[Spec, int], data: st.DataObject) -> None:
    check_against_brute_force(case, data)


@settings(SETTINGS, max_examples=60)
@given(case=cases(focus=True), data=st.data())
def test_matches_brute_force_around_offset_changes(
    case: tuple[Spec, int], data: st.DataObject
) -> None:
    check_against_brute_force(case, data)


def check_against_brute_force(case: tuple[Spec, int], data: st.DataObject) -> None:
    spec, window = case
    schedule = spec.schedule()
    flags = brute_force(spec, window)
    window_end = window + WINDOW_MINUTES * 60
    seconds_in_window = st.integers(window, window_end - 1)

    for _ in range(6):
        at = data.draw(seconds_in_window)
        business = flags[(at - window) // 60]
        assert schedule.is_business_time(as_datetime(at)) is business, as_datetime(at)

        nxt = next((i for i in range((at - window) // 60, len(flags)) if flags[i]), None)
        if nxt is None:
            if any(flags) or spec.holidays:  # nothing before the window end; maybe later
                continue
        else:
            expected = at if business else window + nxt * 60
            assert schedule.next_business_instant(as_datetime(at)) == as_datetime(expected)

    # Every edge of every business run, and the window total: catches any misplaced boundary.
    assert schedule.between(as_datetime(window), as_datetime(window_end)) == 60 * sum(flags)
    for index in range(1, len(flags)):
        if flags[index] != flags[index - 1]:
            edge = window + 60 * index
            assert schedule.is_business_time(as_datetime(edge)) is flags[index], edge
            assert schedule.is_business_time(as_datetime(edge - 1)) is flags[index - 1], edge

    minutes_in_window = st.integers(0, WINDOW_MINUTES - 1).map(lambda i: window + 60 * i)
    starts = st.one_of(seconds_in_window, minutes_in_window)

    # Counting exactly to the end of a business run lands on that end, not the next opening.
    for _ in range(3):
        start = data.draw(minutes_in_window)
        first = next((i for i in range((start - window) // 60, len(flags)) if flags[i]), None)
        if first is None:
            continue
        last = next((i for i in range(first, len(flags)) if not flags[i]), None)
        if last is None:
            continue
        run_end = window + last * 60
        seconds = reference_between(flags, window, start, run_end)
        assert schedule.add(as_datetime(start), seconds) == as_datetime(run_end)

    for _ in range(6):
        start = data.draw(starts)
        seconds = data.draw(
            st.one_of(
                st.integers(1, 7200),
                st.integers(1, 4 * 86400),
                st.integers(1, 600).map(lambda m: 60 * m),
            )
        )
        expected_add = reference_add(flags, window, start, seconds)
        result = schedule.add(as_datetime(start), seconds)
        if expected_add is None:
            assert result >= as_datetime(window_end)
        else:
            assert result == as_datetime(expected_add), (as_datetime(start), seconds)

    for _ in range(6):
        a, b = sorted((data.draw(starts), data.draw(starts)))
        expected = reference_between(flags, window, a, b)
        assert schedule.between(as_datetime(a), as_datetime(b)) == expected
        assert schedule.between(as_datetime(b), as_datetime(a)) == 0


YEARS = st.integers(
    int(datetime(2020, 1, 1, tzinfo=UTC).timestamp()),
    int(datetime(2030, 1, 1, tzinfo=UTC).timestamp()),
)


@settings(SETTINGS, max_examples=300)
@given(
    case=cases(),
    start=YEARS,
    micro=st.one_of(st.just(0), st.integers(0, 999_999)),
    d1=st.integers(0, 60 * 86400),
    d2=st.integers(0, 60 * 86400),
)
def test_add_and_between_agree(
    case: tuple[Spec, int], start: int, micro: int, d1: int, d2: int
) -> None:
    spec, _ = case
    schedule = spec.schedule()
    at = as_datetime(start, micro)
    # At most about a year of weeks, so sparse schedules stay far inside the search horizon.
    cap = 52 * schedule.weekly_seconds
    low, high = sorted((d1 % cap, d2 % cap))
    first, second = schedule.add(at, low), schedule.add(at, high)

    assert schedule.between(at, first) == low
    assert schedule.between(at, second) == high
    assert at <= first <= second  # monotonic in the target
    assert schedule.between(first, second) in (high - low, high - low - 1)  # fractions round down
    if high:
        # The count runs out inside a span or at its end, never in a closed stretch.
        assert schedule.is_business_time(second - timedelta(microseconds=1))

    opening = schedule.next_business_instant(at)
    assert opening >= at
    assert schedule.is_business_time(opening)
    assert schedule.between(at, opening) == 0
    assert (opening == at) is schedule.is_business_time(at)
    if high:
        assert schedule.add(opening, high) == second


@settings(SETTINGS, max_examples=150)
@given(case=cases(), points=st.lists(YEARS, min_size=3, max_size=3))
def test_between_is_additive(case: tuple[Spec, int], points: list[int]) -> None:
    schedule = case[0].schedule()
    a, b, c = (as_datetime(p) for p in sorted(points))
    assert schedule.between(a, b) + schedule.between(b, c) == schedule.between(a, c)


EDGES = st.one_of(
    st.datetimes(),
    st.datetimes(datetime(1899, 12, 1), datetime(1900, 2, 1)),
    st.datetimes(datetime(8999, 11, 1), datetime(9000, 2, 1)),
)
AWARE = st.builds(
    lambda moment, zone: moment.replace(tzinfo=ZoneInfo(zone)),
    EDGES,
    st.sampled_from(sorted(ZONES)),
)


@settings(SETTINGS, max_examples=200)
@given(
    case=cases(),
    at=AWARE,
    other=AWARE,
    seconds=st.one_of(st.integers(-10, 10**6), st.integers(-(10**20), 10**20)),
)
def test_only_value_errors(
    case: tuple[Spec, int], at: datetime, other: datetime, seconds: int
) -> None:
    schedule = case[0].schedule()
    calls = [
        lambda: schedule.add(at, seconds),
        lambda: schedule.between(at, other),
        lambda: schedule.next_business_instant(at),
        lambda: schedule.is_business_time(at),
        lambda: schedule.explain_add(at, seconds % 10**6),
        lambda: schedule.add(at.replace(tzinfo=None), 1),
    ]
    for call in calls:
        try:
            result = call()
        except ValueError:
            continue
        if isinstance(result, datetime):
            assert result.tzinfo is UTC

"""A carried state's closed stretches: stored as text, read back to the microsecond."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from policies.engine.business_time import Schedule, WeeklyInterval
from policies.engine.stretches import StoredStretches, Stretch

WEEKDAYS = Schedule(
    "Europe/Berlin", [WeeklyInterval(d * 1440 + 540, d * 1440 + 1020) for d in range(5)]
)
OTHER = Schedule("America/New_York", [WeeklyInterval(540, 1020)])
START = datetime(2026, 3, 27, 8, 0, tzinfo=UTC)  # the Friday before Europe's clocks go forward


def stretches(spans: list[tuple[int, int, int]], schedules: list[Schedule | None]) -> list[Stretch]:
    out, end = [], START
    for gap, length, which in spans:
        start = end + timedelta(microseconds=gap)
        end = start + timedelta(microseconds=length)
        out.append(Stretch(start, end, schedules[which]))
    return out


def ref_of(schedules: list[Schedule | None]) -> Callable[[Schedule | None], int]:
    return lambda schedule: -1 if schedule is schedules[0] else schedules.index(schedule)


@given(
    first=st.lists(
        st.tuples(st.integers(0, 10**12), st.integers(0, 10**11), st.sampled_from([0, 0, 1, 2])),
        max_size=30,
    ),
    then=st.lists(st.tuples(st.integers(0, 10**10), st.integers(0, 10**9), st.just(0)), max_size=5),
)
def test_stretches_read_back_as_they_were_measured(
    first: list[tuple[int, int, int]], then: list[tuple[int, int, int]]
) -> None:
    schedules: list[Schedule | None] = [WEEKDAYS, OTHER, None]
    closed = stretches(first + then, schedules)
    # Stored in two saves: the second appends to the text the first left, unread.
    value = StoredStretches().dump(closed[: len(first)], ref_of(schedules))
    value = StoredStretches.load(value).dump(closed[len(first) :], ref_of(schedules))
    stored = StoredStretches.load(value)
    read = stored.read(WEEKDAYS, schedules) if closed else []
    assert [(s.start, s.end, s.calendar, s.business, s.schedule) for s in read] == [
        (s.start, s.end, s.calendar, s.business, s.schedule) for s in closed
    ]
    assert bool(stored) == bool(closed)


def test_a_pause_costs_a_few_bytes() -> None:
    closed = stretches([(60 * 10**6, 60 * 10**6, 0)] * 100, [None])
    text, end = StoredStretches().dump(closed, lambda _schedule: -1)
    assert text.count(" ") == 99
    assert len(text) <= 25 + 99 * 6
    assert end == str(int((closed[-1].end - datetime(1970, 1, 1, tzinfo=UTC)).total_seconds()))


@pytest.mark.parametrize(
    "value",
    [
        "60,60",  # not [text, end]
        ["60,60"],
        ["60,60", 120],
        ["", "0"],
        ["60,60", "121"],  # does not end where the state says
        ["60", "60"],  # no length
        ["60,60,x", "120"],
        ["60,60,-1", "120"],
        ["60,60,5", "120"],  # no such schedule
        ["60.5,60", "120.5"],  # microseconds are six digits
        ["a,b", "0"],
        ["+60,60", "120"],  # only what `dump` writes
        ["1_000,60", "1060"],
        ["0,-5", "-5"],  # a stretch cannot run backwards
        ["5,5", "300000000000"],  # past the last year a datetime holds
        ["300000000000,0 -300000000000,10", "10"],
    ],
)
def test_damaged_stretches_are_refused(value: object) -> None:
    with pytest.raises((TypeError, ValueError, IndexError, OverflowError)):
        StoredStretches.load(value).read(None, [None])

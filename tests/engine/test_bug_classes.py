"""One test per bug class that SLA tools keep shipping (peer-notes §3.9), named after it."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import UTC, datetime, time
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from policies.engine.business_time import Holiday, NoBusinessTime, Schedule, WeeklyInterval
from policies.engine.conditions import compile_filter, explain_match, first_matching_policy
from policies.engine.types import PolicySpec, Target, TicketFacts
from policies.engine.vocabulary import Metric, Priority
from policies.engine.vocabulary import StatusCategory as S
from tests.engine.test_metrics import Ticket, end_user, instance, policy

NEW_YORK = ZoneInfo("America/New_York")
WEEKDAYS_9_TO_5 = [WeeklyInterval(1980 + 1440 * d, 2460 + 1440 * d) for d in range(5)]
ROOT = Path(__file__).resolve().parents[2]


def ny(*args: int) -> datetime:
    return datetime(*args, tzinfo=NEW_YORK)


def frt_business(hours: float) -> PolicySpec:
    return policy({Metric.FIRST_REPLY_TIME: hours}, business=True)


def test_1_dst_inside_a_deadline_span() -> None:
    schedule = Schedule("America/New_York", WEEKDAYS_9_TO_5)
    # Friday before spring-forward, 16:00 EST + 2 business hours -> Monday 10:00 EDT.
    assert schedule.add(ny(2024, 3, 8, 16), 2 * 3600) == ny(2024, 3, 11, 10)
    # A whole business day across the fall-back night is still 8 hours.
    assert schedule.between(ny(2024, 11, 1, 9), ny(2024, 11, 4, 17)) == 16 * 3600
    # A calendar target counts real hours: 24 h from Saturday noon EST ends Sunday 13:00 EDT.
    ticket = Ticket((policy({Metric.FIRST_REPLY_TIME: 24}),))
    ticket.save(ny(2024, 3, 9, 12), end_user())
    assert instance(ticket.evaluate(ny(2024, 3, 9, 13)), Metric.FIRST_REPLY_TIME).breach_at == ny(
        2024, 3, 10, 13
    )


def test_2_display_time_zone_differs_from_the_schedule_and_the_server() -> None:
    """Deadlines come out in UTC whatever the server's own zone; the schedule's zone decides."""
    code = (
        "import json\n"
        "from datetime import datetime\n"
        "from zoneinfo import ZoneInfo\n"
        "from policies.engine.business_time import Schedule, WeeklyInterval\n"
        "s = Schedule('America/New_York', [WeeklyInterval(1980 + 1440 * d, 2460 + 1440 * d)"
        " for d in range(5)])\n"
        "start = datetime(2024, 3, 8, 16, tzinfo=ZoneInfo('Asia/Tokyo'))\n"
        "print(json.dumps(s.add(start, 7200).isoformat()))\n"
    )
    results = set()
    for zone in ("UTC", "Pacific/Auckland", "America/Los_Angeles"):
        env = {**os.environ, "TZ": zone, "PYTHONPATH": str(ROOT)}
        out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True)
        results.add(json.loads(out.stdout))
    schedule = Schedule("America/New_York", WEEKDAYS_9_TO_5)
    # 16:00 Tokyo on Friday is 02:00 in New York: the count starts at 09:00 that Friday.
    expected = schedule.add(datetime(2024, 3, 8, 16, tzinfo=ZoneInfo("Asia/Tokyo")), 7200)
    assert results == {expected.isoformat()}
    assert expected == ny(2024, 3, 8, 11)
    assert expected.tzinfo is UTC


@pytest.mark.parametrize(
    ("created", "breach"),
    [
        (ny(2024, 3, 9, 11), ny(2024, 3, 11, 10)),  # Saturday -> Monday 10:00
        (ny(2024, 3, 11, 6), ny(2024, 3, 11, 10)),  # before opening
        (ny(2024, 3, 11, 20), ny(2024, 3, 12, 10)),  # after closing
        (ny(2024, 3, 18, 12), ny(2024, 3, 19, 10)),  # on a holiday Monday
    ],
)
def test_3_ticket_created_outside_hours_or_on_a_holiday(
    created: datetime, breach: datetime
) -> None:
    schedule = Schedule(
        "America/New_York",
        WEEKDAYS_9_TO_5,
        [Holiday(ny(2024, 3, 18).date(), ny(2024, 3, 18).date())],
    )
    ticket = Ticket((frt_business(1),))
    ticket.save(created, end_user())
    result = ticket.evaluate(created, schedule)
    assert instance(result, Metric.FIRST_REPLY_TIME).breach_at == breach


def test_4_end_of_day_is_exact_not_rounded() -> None:
    schedule = Schedule("America/New_York", WEEKDAYS_9_TO_5)
    # A full day's target from opening ends at 17:00:00 that day, not 23:59:59 or next morning.
    assert schedule.add(ny(2024, 3, 11, 9), 8 * 3600) == ny(2024, 3, 11, 17)
    # One second past that rolls to the next opening plus one second.
    assert schedule.add(ny(2024, 3, 11, 9), 8 * 3600 + 1) == ny(2024, 3, 12, 9, 0, 1)
    # 17:00 itself is closed; 16:59:59 is open.
    assert not schedule.is_business_time(ny(2024, 3, 11, 17))
    assert schedule.is_business_time(ny(2024, 3, 11, 16, 59, 59))
    # Durations are whole seconds, never floats.
    assert schedule.between(ny(2024, 3, 11, 9), ny(2024, 3, 11, 16, 59, 59)) == 8 * 3600 - 1


def test_5_pause_accounting_across_policy_change_reopen_and_pending_to_solved() -> None:
    rwt = {Metric.REQUESTER_WAIT_TIME: 10}
    ticket = Ticket((policy(rwt, id=1),))
    ticket.save(datetime(2024, 3, 4, 9, tzinfo=UTC), end_user())  # RWT runs
    ticket.save(datetime(2024, 3, 4, 10, tzinfo=UTC), status=S.PENDING)  # paused 1 h in
    # The policy changes while paused: the paused time still does not count.
    ticket.save(
        datetime(2024, 3, 4, 12, tzinfo=UTC),
        policies=(policy({Metric.REQUESTER_WAIT_TIME: 4}, id=2),),
    )
    ticket.save(datetime(2024, 3, 4, 14, tzinfo=UTC), status=S.OPEN)  # resumes
    paused = instance(
        ticket.evaluate(datetime(2024, 3, 4, 14, tzinfo=UTC)), Metric.REQUESTER_WAIT_TIME
    )
    assert paused.breach_at == datetime(2024, 3, 4, 17, tzinfo=UTC)  # 1 h used, 3 h left
    ticket.save(datetime(2024, 3, 4, 15, tzinfo=UTC), status=S.PENDING)
    ticket.save(datetime(2024, 3, 4, 16, tzinfo=UTC), status=S.SOLVED)  # pending -> solved
    ticket.save(datetime(2024, 3, 5, 9, tzinfo=UTC), end_user(), S.OPEN)  # reopen
    result = ticket.evaluate(datetime(2024, 3, 5, 10, tzinfo=UTC))
    rwt_instance = instance(result, Metric.REQUESTER_WAIT_TIME)
    # Active: 09-10, 14-15, and 09-10 the next day after reopening = 3 h of the 4 h target.
    assert rwt_instance.elapsed_calendar_seconds == 3 * 3600
    assert rwt_instance.breach_at == datetime(2024, 3, 5, 11, tzinfo=UTC)
    assert not rwt_instance.breached


def test_6_empty_calendar_and_targets_beyond_any_horizon() -> None:
    empty = Schedule("UTC", [])
    with pytest.raises(NoBusinessTime):
        empty.add(datetime(2024, 1, 1, tzinfo=UTC), 60)
    ticket = Ticket((frt_business(1),))
    ticket.save(datetime(2024, 3, 4, 9, tzinfo=UTC), end_user())
    result = ticket.evaluate(datetime(2024, 3, 4, 10, tzinfo=UTC), empty)
    frt = instance(result, Metric.FIRST_REPLY_TIME)
    assert frt.breach_at is None
    assert not frt.breached
    # A long target (2,000 business hours, about a year of office time) is exact and fast.
    schedule = Schedule("America/New_York", WEEKDAYS_9_TO_5)
    start = ny(2024, 1, 2, 9)
    end = schedule.add(start, 2000 * 3600)
    assert schedule.between(start, end) == 2000 * 3600
    # 250 weekdays counted from Tuesday 2 January 2024 end on Monday 16 December.
    assert end == ny(2024, 12, 16, 17)


def test_7_holidays_touching_intervals_partial_days_and_midnight_intervals() -> None:
    afternoon_off = Holiday(ny(2024, 3, 11).date(), ny(2024, 3, 11).date(), time(13), time(17))
    schedule = Schedule("America/New_York", WEEKDAYS_9_TO_5, [afternoon_off])
    # 4 business hours from Monday 11:00: 2 h before the afternoon off, 2 h on Tuesday.
    assert schedule.add(ny(2024, 3, 11, 11), 4 * 3600) == ny(2024, 3, 12, 11)
    # A holiday ending exactly when the interval opens removes nothing.
    touching = Holiday(ny(2024, 3, 12).date(), ny(2024, 3, 12).date(), time(0), time(9))
    schedule = Schedule("America/New_York", WEEKDAYS_9_TO_5, [touching])
    assert schedule.between(ny(2024, 3, 12, 0), ny(2024, 3, 13, 0)) == 8 * 3600
    # Night shift Friday 22:00 -> Saturday 06:00 (8520..9000), with Saturday a holiday: 3 h
    # from Friday 22:00 are 2 h that night and 1 h the next Friday night.
    night = Schedule(
        "America/New_York",
        [WeeklyInterval(8520, 9000)],
        [Holiday(ny(2024, 3, 16).date(), ny(2024, 3, 16).date())],
    )
    assert night.add(ny(2024, 3, 15, 22), 3 * 3600) == ny(2024, 3, 22, 23)
    assert night.between(ny(2024, 3, 15, 22), ny(2024, 3, 16, 6)) == 2 * 3600


def test_8_ordering_ambiguity_and_catch_all_shadowing() -> None:
    catch_all = PolicySpec(1, "Everything", None, 1, compile_filter({"all": [], "any": []}), {})
    vip = PolicySpec(
        2,
        "VIP",
        None,
        2,
        compile_filter(
            {"all": [{"field": "current_tags", "operator": "includes", "value": "vip"}]}
        ),
        {(Priority.URGENT, Metric.FIRST_REPLY_TIME): Target(600, False)},
    )
    ticket = TicketFacts(tags=frozenset({"vip"}))
    # Both match; the one higher in the list wins, never the more specific or the newer one.
    assert first_matching_policy([catch_all, vip], ticket) is catch_all
    assert first_matching_policy([vip, catch_all], ticket) is vip
    attempts = explain_match([catch_all, vip], ticket)
    assert [(a.title, a.matched) for a in attempts] == [("Everything", True)]

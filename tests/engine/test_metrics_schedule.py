"""Business-hours targets on the real `Schedule` (spec §10.13, peer-notes §3.9 items 1, 3, 6)."""

from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import pytest

from policies.engine.business_time import Holiday, Schedule, WeeklyInterval
from policies.engine.metrics import EventType, Stage, evaluate
from policies.engine.types import Target
from policies.engine.vocabulary import Metric, Priority, StatusCategory
from tests.engine.test_metrics import H, Ticket, agent, end_user, explained, instance, policy

M = Metric
S = StatusCategory
NY = ZoneInfo("America/New_York")
# Mon-Fri 09:00-17:00: minutes since Sunday 00:00.
WEEKDAYS = [WeeklyInterval(1440 * d + 540, 1440 * d + 1020) for d in range(1, 6)]
# 2024-03-08 is a Friday; US DST starts Sunday 2024-03-10, so Monday is EDT (UTC-4).
FRIDAY = date(2024, 3, 8)


def ny(day: int, hour: int, minute: int = 0) -> datetime:
    """Local New York time on March `day`, 2024."""
    return datetime(2024, 3, day, hour, minute, tzinfo=NY)


def business_ticket(hours: float, metric: Metric = M.FIRST_REPLY_TIME) -> Ticket:
    return Ticket((policy({metric: hours}, business=True),))


@pytest.mark.parametrize(
    ("schedule", "deadline"),
    [
        (Schedule("America/New_York", WEEKDAYS), ny(11, 10)),
        (
            Schedule("America/New_York", WEEKDAYS, [Holiday(date(2024, 3, 11), date(2024, 3, 11))]),
            ny(12, 10),
        ),
        (None, ny(8, 18)),  # no schedule: business-hours targets run on calendar time
    ],
)
def test_friday_afternoon_two_business_hours(schedule: Schedule | None, deadline: datetime) -> None:
    """§10.13: Fri 16:00 + 2 business hours -> Mon 10:00 local; Monday holiday -> Tuesday."""
    ticket = business_ticket(2).save(ny(8, 16), end_user())
    result = ticket.evaluate(ny(8, 16, 30), schedule)
    frt = instance(result, M.FIRST_REPLY_TIME)
    assert frt.breach_at == deadline
    assert frt.breach_at is not None
    assert frt.breach_at.tzinfo is UTC
    assert result.next_breach_at == deadline
    assert frt.target == Target(2 * H, True)


def test_business_deadline_breaches_on_monday_not_over_the_weekend() -> None:
    schedule = Schedule("America/New_York", WEEKDAYS)
    ticket = business_ticket(2).save(ny(8, 16), end_user())
    quiet = ticket.evaluate(ny(11, 9, 59), schedule)
    assert not instance(quiet, M.FIRST_REPLY_TIME).breached
    assert instance(quiet, M.FIRST_REPLY_TIME).elapsed_business_seconds == H + 59 * 60
    late = ticket.evaluate(ny(11, 10), schedule)
    assert instance(late, M.FIRST_REPLY_TIME).breached_at == ny(11, 10)
    assert [e.time for e in late.events if e.type is EventType.BREACH] == [ny(11, 10)]


def test_ticket_created_out_of_hours_starts_counting_at_opening() -> None:
    """peer-notes §3.9 item 3 (Frappe #2075, GLPI #687): Saturday ticket, 2 business hours."""
    schedule = Schedule("America/New_York", WEEKDAYS)
    ticket = business_ticket(2).save(ny(9, 10), end_user())  # Saturday
    ticket.save(ny(11, 9, 30), agent(), S.OPEN)
    result = ticket.evaluate(ny(11, 12), schedule)
    frt = instance(result, M.FIRST_REPLY_TIME)
    assert frt.breach_at == ny(11, 11)
    assert (frt.stage, frt.breached) == (Stage.ACHIEVED, False)
    assert frt.elapsed_business_seconds == 30 * 60
    # Sat 10:00 EST to Mon 09:30 EDT: 47.5 wall hours, one lost to DST.
    assert frt.elapsed_calendar_seconds == 46.5 * H
    status = next(e.status for e in result.events if e.type is EventType.UPDATE_STATUS)
    assert status == {"calendar": 46 * 60 + 30, "business": 30}


def test_business_pauses_resume_with_what_was_left() -> None:
    """RWT 8 business hours: 4 used Monday, paused in pending, 4 left from Tue 15:00."""
    schedule = Schedule("America/New_York", WEEKDAYS)
    ticket = business_ticket(8, M.REQUESTER_WAIT_TIME).save(ny(11, 9), end_user())
    ticket.save(ny(11, 13), agent(), S.PENDING)
    ticket.save(ny(12, 15), end_user(), S.OPEN)
    result = ticket.evaluate(ny(12, 16), schedule)
    rwt = instance(result, M.REQUESTER_WAIT_TIME)
    assert rwt.breach_at == ny(13, 11)  # 2 h on Tuesday, 2 h on Wednesday
    assert rwt.elapsed_business_seconds == 5 * H
    assert rwt.paused_seconds == 26 * H
    spans = explained(result, M.REQUESTER_WAIT_TIME).schedule_spans
    assert spans is not None
    assert spans.result == ny(13, 11)
    assert spans.spans[0] == (ny(12, 15), ny(12, 17))


def test_priority_change_under_business_hours_counts_from_activation() -> None:
    schedule = Schedule("America/New_York", WEEKDAYS)
    two = policy(
        per_priority={
            Priority.NORMAL: {M.FIRST_REPLY_TIME: 8},
            Priority.URGENT: {M.FIRST_REPLY_TIME: 1},
        },
        business=True,
    )
    ticket = Ticket((two,)).save(ny(8, 16, 30), end_user())
    ticket.save(ny(11, 9, 15), priority=Priority.URGENT)
    result = ticket.evaluate(ny(11, 9, 20), schedule)
    frt = instance(result, M.FIRST_REPLY_TIME)
    # 30 business minutes on Friday, 30 more on Monday: Mon 09:30, still ahead.
    assert (frt.breach_at, frt.breached) == (ny(11, 9, 30), False)
    later = Ticket((two,)).save(ny(8, 16, 30), end_user())
    later.save(ny(11, 9, 45), priority=Priority.URGENT)
    frt = instance(later.evaluate(ny(11, 9, 45), schedule), M.FIRST_REPLY_TIME)
    assert (frt.breach_at, frt.breached_at) == (ny(11, 9, 30), ny(11, 9, 45))


def test_schedule_without_business_time_makes_target_unreachable() -> None:
    """peer-notes §3.9 item 6: no loop, no exception; the target simply never breaches."""
    empty = Schedule("UTC", [])
    ticket = business_ticket(2).save(ny(8, 16), end_user())
    result = ticket.evaluate(ny(30, 16), empty)
    frt = instance(result, M.FIRST_REPLY_TIME)
    assert (frt.breach_at, frt.breached, result.next_breach_at) == (None, False, None)
    assert frt.elapsed_business_seconds == 0
    assert "never be reached" in explained(result, M.FIRST_REPLY_TIME).outcome


def test_calendar_targets_ignore_the_schedule_but_report_business_time() -> None:
    schedule = Schedule("America/New_York", WEEKDAYS)
    ticket = Ticket((policy({M.FIRST_REPLY_TIME: 2}),)).save(ny(8, 16), end_user())
    result = evaluate(ticket.updates, schedule=schedule, now=ny(8, 20))
    frt = instance(result, M.FIRST_REPLY_TIME)
    assert frt.breach_at == ny(8, 18)
    assert (frt.elapsed_calendar_seconds, frt.elapsed_business_seconds) == (4 * H, H)

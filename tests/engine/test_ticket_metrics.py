"""Zendesk's ticket metrics from a history (policies/engine/ticket_metrics.py), on worked examples.

Times are in the week starting Monday 2024-03-04 (UTC) unless a test says otherwise; every expected
number is worked out by hand in the test's comments.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

import pytest

from policies.engine.business_time import Holiday, Schedule, WeeklyInterval
from policies.engine.history import Comment, TicketUpdate
from policies.engine.ticket_metrics import Minutes, TicketMetricSet, ticket_metric_set
from policies.engine.types import TicketFacts
from policies.engine.vocabulary import Role, StatusCategory

S = StatusCategory
REQUESTER, AGENT, OTHER_AGENT, ADMIN = 10, 20, 21, 22
GROUP_1, GROUP_2 = 100, 200
DAYS = {"Mon": 0, "Tue": 1, "Wed": 2, "Thu": 3, "Fri": 4, "Sat": 5, "Sun": 6}
# Monday to Friday, 09:00-17:00 UTC: minutes since Sunday 00:00.
NINE_TO_FIVE = Schedule(
    "UTC", [WeeklyInterval(1440 * d + 540, 1440 * d + 1020) for d in range(1, 6)]
)


def at(text: str, week: int = 0) -> datetime:
    """'Tue 14:30' or 'Tue 14:30:05' in the test week (or `week` weeks later), UTC."""
    day, clock = text.split()
    parts = [int(p) for p in clock.split(":")] + [0]
    return datetime(2024, 3, 4 + 7 * week + DAYS[day], parts[0], parts[1], parts[2], tzinfo=UTC)


def end_user(public: bool = True) -> Comment:
    return Comment(REQUESTER, Role.END_USER, public)


def agent(public: bool = True, author: int = AGENT) -> Comment:
    return Comment(author, Role.AGENT, public)


class History:
    """A ticket's saves, each with who made it."""

    def __init__(
        self,
        when: datetime,
        *,
        by: int = REQUESTER,
        comment: Comment | None = None,
        submitter_role: Role = Role.END_USER,
        **fields: Any,
    ) -> None:
        facts = TicketFacts(
            ticket_id=7,
            created_at=when,
            requester_id=REQUESTER,
            submitter_id=by,
            submitter_role=submitter_role,
            **fields,
        )
        if comment is None and by == REQUESTER:
            comment = end_user()
        self.updates = [TicketUpdate(when, facts, comment, ())]
        self.updaters: list[int | None] = [by]

    def save(
        self, when: datetime, *, by: int | None, comment: Comment | None = None, **fields: Any
    ) -> History:
        facts = replace(self.updates[-1].facts, **fields)
        self.updates.append(TicketUpdate(when, facts, comment, ()))
        self.updaters.append(by)
        return self

    def metrics(
        self, now: datetime | None = None, schedule: Schedule | None = None
    ) -> TicketMetricSet:
        return ticket_metric_set(
            self.updates,
            schedule=schedule,
            now=now or self.updates[-1].at,
            updaters=self.updaters,
        )


def minutes(calendar: int, business: int | None = None) -> Minutes:
    return Minutes(calendar, calendar if business is None else business)


# First reply time and replies ------------------------------------------------------------------


def test_first_reply_is_the_first_public_agent_comment_after_the_requesters() -> None:
    history = (
        History(at("Mon 09:00"))
        .save(at("Mon 09:30"), by=REQUESTER, comment=end_user())  # more from the customer
        .save(at("Mon 10:00"), by=AGENT, comment=agent(public=False), status=S.OPEN)  # a note
        .save(at("Mon 10:15:59"), by=AGENT, comment=agent())  # the first reply
        .save(at("Mon 11:00"), by=OTHER_AGENT, comment=agent(author=OTHER_AGENT))
    )
    metrics = history.metrics()
    # 09:00 -> 10:15:59 is 4,559 s: 75 whole minutes (rounded down).
    assert metrics.reply_time == minutes(75)
    assert metrics.reply_time_seconds == 4559
    assert metrics.replies == 2  # the note and the customer's comments are not replies
    assert metrics.latest_comment_added_at == at("Mon 11:00")
    assert metrics.requester_updated_at == at("Mon 09:30")
    assert metrics.status_updated_at == at("Mon 10:00")

    before = history.metrics(now=at("Mon 10:15"))
    assert before.reply_time is None
    assert before.reply_time_seconds is None
    assert before.replies == 0


def test_an_agent_opened_ticket_with_a_public_description_waits_for_the_second_comment() -> None:
    history = (
        History(at("Mon 09:00"), by=AGENT, comment=agent(), submitter_role=Role.AGENT)
        .save(at("Mon 09:30"), by=REQUESTER, comment=end_user())
        .save(at("Mon 09:50"), by=AGENT, comment=agent())
    )
    metrics = history.metrics()
    assert metrics.reply_time == minutes(50)
    assert metrics.replies == 1  # the description is not a reply
    assert history.metrics(now=at("Mon 09:40")).reply_time is None


def test_an_agent_opened_ticket_with_an_internal_note_counts_the_first_public_comment() -> None:
    history = History(
        at("Mon 09:00"), by=AGENT, comment=agent(public=False), submitter_role=Role.AGENT
    ).save(at("Mon 09:05"), by=AGENT, comment=agent())
    assert history.metrics().reply_time == minutes(5)
    assert history.metrics().replies == 1


def test_admins_reply_as_agents_and_end_users_never_do() -> None:
    admin = Comment(ADMIN, Role.ADMIN, True)
    history = History(at("Mon 09:00")).save(at("Mon 09:20"), by=REQUESTER, comment=end_user())
    assert history.metrics().reply_time is None
    history.save(at("Mon 09:42"), by=ADMIN, comment=admin)
    assert history.metrics().reply_time == minutes(42)


# Waiting and on-hold periods -------------------------------------------------------------------


def pending_and_on_hold() -> History:
    return (
        History(at("Mon 09:00"))  # new
        .save(at("Mon 09:10"), by=AGENT, comment=agent(public=False), status=S.OPEN)
        .save(at("Mon 10:00"), by=AGENT, comment=agent(), status=S.PENDING)
        .save(at("Mon 11:30"), by=REQUESTER, comment=end_user(), status=S.OPEN)
        .save(at("Mon 12:00"), by=AGENT, status=S.HOLD)
        .save(at("Mon 13:00"), by=AGENT, status=S.OPEN)
        .save(at("Mon 14:00"), by=AGENT, comment=agent(), status=S.SOLVED)
    )


def test_pending_and_on_hold_periods() -> None:
    metrics = pending_and_on_hold().metrics()
    # New -> open does not end a requester wait period, nor does open -> on-hold:
    # 09:00-10:00 (60) + 11:30-14:00 (150).
    assert metrics.requester_wait_time == minutes(210)
    assert metrics.agent_wait_time == minutes(90)  # pending 10:00-11:30
    assert metrics.on_hold_time == minutes(60)  # on hold 12:00-13:00
    assert metrics.first_resolution_time == minutes(300)
    assert metrics.full_resolution_time == minutes(300)
    assert metrics.reply_time == minutes(60)
    assert metrics.solved_at == at("Mon 14:00")
    assert metrics.status_updated_at == at("Mon 14:00")
    assert metrics.reopens == 0


@pytest.mark.parametrize(
    ("now", "requester_wait", "agent_wait", "on_hold"),
    [
        ("Mon 09:30", None, None, None),  # nothing has ended yet: not live counters
        ("Mon 10:30", minutes(60), None, None),  # still pending
        ("Mon 12:30", minutes(60), minutes(90), None),  # still on hold
        ("Mon 13:30", minutes(60), minutes(90), minutes(60)),  # open again
    ],
)
def test_running_periods_count_only_when_they_end(
    now: str,
    requester_wait: Minutes | None,
    agent_wait: Minutes | None,
    on_hold: Minutes | None,
) -> None:
    metrics = pending_and_on_hold().metrics(now=at(now))
    assert (metrics.requester_wait_time, metrics.agent_wait_time, metrics.on_hold_time) == (
        requester_wait,
        agent_wait,
        on_hold,
    )
    assert metrics.first_resolution_time is None
    assert metrics.solved_at is None


# Resolution and reopens ------------------------------------------------------------------------


def solved_twice() -> History:
    return (
        History(at("Mon 09:00"))
        .save(at("Mon 09:30"), by=AGENT, comment=agent(), status=S.SOLVED)
        .save(at("Mon 11:00"), by=REQUESTER, comment=end_user(), status=S.OPEN)  # reopened
        .save(at("Tue 09:00"), by=AGENT, status=S.SOLVED)
        .save(at("Wed 09:00"), by=None, status=S.CLOSED)  # closing a solved ticket
    )


def test_solved_reopened_and_solved_again() -> None:
    metrics = solved_twice().metrics()
    assert metrics.first_resolution_time == minutes(30)  # Mon 09:00 -> Mon 09:30
    assert metrics.full_resolution_time == minutes(1440)  # Mon 09:00 -> Tue 09:00
    assert metrics.solved_at == at("Tue 09:00")  # closing is not another resolution
    assert metrics.reopens == 1
    assert metrics.status_updated_at == at("Wed 09:00")
    # 09:00-09:30 (30) + Mon 11:00 - Tue 09:00 (1,320).
    assert metrics.requester_wait_time == minutes(1350)
    assert metrics.agent_wait_time is None  # never pending
    assert metrics.on_hold_time is None  # never on hold


def test_a_reopened_ticket_keeps_its_last_resolution_until_solved_again() -> None:
    metrics = solved_twice().metrics(now=at("Mon 12:00"))
    assert metrics.first_resolution_time == minutes(30)
    assert metrics.full_resolution_time == minutes(30)
    assert metrics.solved_at == at("Mon 09:30")
    assert metrics.reopens == 1


def test_closing_an_unsolved_ticket_resolves_it() -> None:
    history = History(at("Mon 09:00")).save(at("Mon 10:00"), by=None, status=S.CLOSED)
    metrics = history.metrics()
    assert metrics.first_resolution_time == minutes(60)
    assert metrics.full_resolution_time == minutes(60)
    assert metrics.solved_at == at("Mon 10:00")
    assert metrics.requester_wait_time == minutes(60)


def test_reopening_twice_counts_twice() -> None:
    history = (
        solved_twice()
        .save(at("Thu 09:00"), by=REQUESTER, comment=end_user(), status=S.OPEN)  # from closed
        .save(at("Thu 10:00"), by=AGENT, status=S.SOLVED)
    )
    metrics = history.metrics()
    assert metrics.reopens == 2
    assert metrics.first_resolution_time == minutes(30)
    assert metrics.full_resolution_time == minutes(3 * 1440 + 60)  # Mon 09:00 -> Thu 10:00


# Stations and who updated ------------------------------------------------------------------------


def test_reassignments_count_stations() -> None:
    history = (
        History(at("Mon 09:00"), group_id=GROUP_1)
        .save(at("Mon 09:10"), by=AGENT, assignee_id=AGENT, status=S.OPEN)  # takes it
        .save(at("Mon 10:00"), by=AGENT, assignee_id=OTHER_AGENT, group_id=GROUP_2)  # hands over
        .save(at("Mon 10:30"), by=REQUESTER, comment=end_user())
        .save(at("Mon 11:00"), by=ADMIN, assignee_id=AGENT)  # back to the first agent
        .save(at("Mon 11:30"), by=AGENT, assignee_id=None)  # unassigned: not a station
        .save(at("Mon 12:00"), by=OTHER_AGENT, tags=frozenset({"x"}))  # nothing measured
    )
    metrics = history.metrics()
    assert metrics.assignee_stations == 3  # AGENT, OTHER_AGENT, AGENT again
    assert metrics.group_stations == 2  # GROUP_1 at creation, GROUP_2
    assert metrics.initially_assigned_at == at("Mon 09:10")
    assert metrics.assigned_at == at("Mon 11:00")
    # AGENT was the assignee before the 11:30 save; ADMIN never was; OTHER_AGENT no longer was.
    assert metrics.assignee_updated_at == at("Mon 11:30")
    assert metrics.requester_updated_at == at("Mon 10:30")
    assert metrics.updated_at == at("Mon 11:30")  # the 12:00 save changed no metric

    early = history.metrics(now=at("Mon 10:45"))
    assert (early.assignee_stations, early.group_stations) == (2, 2)
    assert early.assignee_updated_at == at("Mon 10:00")  # the assignee handing over


def test_reassigning_the_same_agent_is_not_a_station() -> None:
    history = History(
        at("Mon 09:00"), by=AGENT, comment=agent(), assignee_id=AGENT, group_id=GROUP_1
    ).save(at("Mon 10:00"), by=AGENT, assignee_id=AGENT, group_id=GROUP_1, status=S.OPEN)
    metrics = history.metrics()
    assert (metrics.assignee_stations, metrics.group_stations) == (1, 1)
    assert metrics.initially_assigned_at == metrics.assigned_at == at("Mon 09:00")
    assert metrics.assignee_updated_at == at("Mon 10:00")


def test_without_updaters_a_save_is_made_by_its_comment_author() -> None:
    history = History(at("Mon 09:00")).save(at("Mon 09:30"), by=None, comment=end_user())
    history.save(at("Mon 10:00"), by=REQUESTER, status=S.OPEN)
    metrics = ticket_metric_set(history.updates, schedule=None, now=at("Mon 12:00"))
    assert metrics.requester_updated_at == at("Mon 09:30")  # the 10:00 save has no comment
    assert history.metrics().requester_updated_at == at("Mon 10:00")


def test_custom_status_changes() -> None:
    history = (
        History(at("Mon 09:00"))
        .save(at("Mon 09:10"), by=AGENT, status=S.OPEN)  # the open category's default status
        .save(at("Mon 09:20"), by=AGENT, custom_status_id=5)  # "Investigating", still open
        .save(at("Mon 09:30"), by=AGENT, tags=frozenset({"x"}))
    )
    metrics = history.metrics()
    assert metrics.custom_status_updated_at == at("Mon 09:20")
    assert metrics.status_updated_at == at("Mon 09:10")
    assert History(at("Mon 09:00")).metrics().custom_status_updated_at == at("Mon 09:00")


# Business minutes on a 9-17 schedule -----------------------------------------------------------


def across_a_night_and_a_weekend() -> History:
    return (
        History(at("Tue 16:30"))
        .save(at("Wed 09:30"), by=AGENT, comment=agent(), status=S.PENDING)
        .save(at("Fri 16:00"), by=REQUESTER, comment=end_user(), status=S.OPEN)
        .save(at("Mon 10:00", week=1), by=AGENT, comment=agent(), status=S.SOLVED)
    )


def test_business_minutes_across_a_night_and_a_weekend() -> None:
    metrics = across_a_night_and_a_weekend().metrics(schedule=NINE_TO_FIVE)
    # Tue 16:30 -> Wed 09:30: 17 h; business Tue 16:30-17:00 + Wed 09:00-09:30.
    assert metrics.reply_time == minutes(1020, 60)
    # Pending Wed 09:30 -> Fri 16:00: 54.5 h; business 450 (Wed) + 480 (Thu) + 420 (Fri).
    assert metrics.agent_wait_time == minutes(3270, 1350)
    # Tue 16:30 -> Wed 09:30 (1,020 / 60) + Fri 16:00 -> Mon 10:00 (66 h = 3,960 / 60 + 60).
    assert metrics.requester_wait_time == minutes(4980, 180)
    # Tue 16:30 -> next Mon 10:00: 137.5 h; business 30 + 480 * 3 + 60.
    assert metrics.first_resolution_time == minutes(8250, 1530)
    assert metrics.full_resolution_time == minutes(8250, 1530)
    assert metrics.reply_time_seconds == 1020 * 60  # calendar only


def test_without_a_schedule_business_minutes_are_calendar_minutes() -> None:
    metrics = across_a_night_and_a_weekend().metrics(schedule=None)
    assert metrics.reply_time == minutes(1020)
    assert metrics.agent_wait_time == minutes(3270)
    assert metrics.full_resolution_time == minutes(8250)


def test_holidays_are_not_business_time() -> None:
    wednesday_off = Schedule(
        "UTC",
        [WeeklyInterval(1440 * d + 540, 1440 * d + 1020) for d in range(1, 6)],
        [Holiday(at("Wed 00:00").date(), at("Wed 00:00").date())],
    )
    metrics = across_a_night_and_a_weekend().metrics(schedule=wednesday_off)
    # Tue 16:30-17:00, then Wednesday is a holiday: the reply (Wed 09:30) is 30 business minutes.
    assert metrics.reply_time == minutes(1020, 30)
    # Pending Wed 09:30 -> Fri 16:00 now misses Wednesday: 480 (Thu) + 420 (Fri).
    assert metrics.agent_wait_time == minutes(3270, 900)


# An open ticket ---------------------------------------------------------------------------------


def test_a_ticket_still_open_has_nulls_where_zendesk_has_them() -> None:
    history = History(at("Mon 09:00")).save(
        at("Mon 09:30"), by=AGENT, comment=agent(public=False), status=S.OPEN
    )
    metrics = history.metrics(now=at("Wed 12:00"), schedule=NINE_TO_FIVE)
    assert metrics == TicketMetricSet(
        ticket_id=7,
        created_at=at("Mon 09:00"),
        updated_at=at("Mon 09:30"),
        reply_time=None,
        reply_time_seconds=None,
        first_resolution_time=None,
        full_resolution_time=None,
        agent_wait_time=None,
        requester_wait_time=None,
        on_hold_time=None,
        replies=0,
        reopens=0,
        assignee_stations=0,
        group_stations=0,
        assignee_updated_at=None,
        requester_updated_at=at("Mon 09:00"),
        status_updated_at=at("Mon 09:30"),
        custom_status_updated_at=at("Mon 09:30"),
        initially_assigned_at=None,
        assigned_at=None,
        solved_at=None,
        latest_comment_added_at=at("Mon 09:30"),
    )


def test_a_ticket_created_solved_is_resolved_at_creation() -> None:
    metrics = History(at("Mon 09:00"), status=S.SOLVED).metrics()
    assert metrics.first_resolution_time == minutes(0)
    assert metrics.solved_at == at("Mon 09:00")
    assert metrics.requester_wait_time is None  # never in new, open or on-hold


def test_saves_after_now_are_not_counted() -> None:
    history = pending_and_on_hold()
    later = history.metrics(now=at("Mon 10:30"))
    history.updates, history.updaters = history.updates[:3], history.updaters[:3]
    assert later == history.metrics(now=at("Mon 10:30"))
    assert later.updated_at == at("Mon 10:00")


# Bad input -------------------------------------------------------------------------------------


def test_bad_histories_are_refused() -> None:
    created = History(at("Mon 09:00"))
    with pytest.raises(ValueError, match="empty"):
        ticket_metric_set([], schedule=None, now=at("Mon 10:00"))
    with pytest.raises(ValueError, match="aware"):
        ticket_metric_set(created.updates, schedule=None, now=datetime(2024, 3, 4, 10))
    with pytest.raises(ValueError, match="after"):
        ticket_metric_set(created.updates, schedule=None, now=at("Mon 08:00"))
    with pytest.raises(ValueError, match="every update"):
        ticket_metric_set(created.updates, schedule=None, now=at("Mon 10:00"), updaters=[])
    backwards = History(at("Mon 09:00")).save(at("Mon 08:00"), by=AGENT)
    with pytest.raises(ValueError, match="time order"):
        backwards.metrics(now=at("Mon 10:00"))

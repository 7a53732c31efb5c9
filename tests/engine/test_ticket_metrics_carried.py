"""Ticket metrics carried forward one save at a time give exactly what replaying the whole
history gives.

Each save continues the state the save before it left, through JSON as it is stored, and is
compared at every step with a fresh replay of the history so far (`ticket_metric_set` when one
schedule measures everything; a fresh `TicketMetricsReplay` when the schedule changes between
saves, each save measured on its own).
"""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import timedelta
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from policies.engine.business_time import Holiday, Schedule, WeeklyInterval
from policies.engine.history import Comment, TicketUpdate
from policies.engine.ticket_metrics import (
    STATE_VERSION,
    StateError,
    TicketMetricsReplay,
    ticket_metric_set,
)
from policies.engine.types import TicketFacts
from policies.engine.vocabulary import Role, StatusCategory
from tests.engine.test_ticket_metrics import ADMIN, AGENT, NINE_TO_FIVE, OTHER_AGENT, REQUESTER, at

S = StatusCategory
LATE = Schedule(
    "America/New_York",
    [WeeklyInterval(1440 * d + 720, 1440 * d + 1320) for d in range(0, 7)],
    [Holiday(at("Tue 00:00").date(), at("Tue 00:00").date())],
)
SCHEDULES: list[Schedule | None] = [NINE_TO_FIVE, LATE, None]
COMMENTS: dict[str, Comment | None] = {
    "none": None,
    "requester": Comment(REQUESTER, Role.END_USER, True),
    "requester note": Comment(REQUESTER, Role.END_USER, False),
    "agent": Comment(AGENT, Role.AGENT, True),
    "agent note": Comment(AGENT, Role.AGENT, False),
    "other agent": Comment(OTHER_AGENT, Role.AGENT, True),
    "admin": Comment(ADMIN, Role.ADMIN, True),
}

save = st.tuples(
    st.sampled_from([0, 1, 59, 600, 3600, 4 * 3600, 20 * 3600, 3 * 86400]),  # seconds after
    st.sampled_from([None, S.NEW, S.OPEN, S.PENDING, S.HOLD, S.SOLVED, S.OPEN, S.CLOSED]),
    st.sampled_from([None, None, 301, 302]),  # a custom status
    st.sampled_from(list(COMMENTS)),
    st.sampled_from([None, AGENT, OTHER_AGENT, 0]),  # assignee (0: unassign)
    st.sampled_from([None, 100, 200, 0]),  # group (0: none)
    st.sampled_from([None, REQUESTER, AGENT, OTHER_AGENT]),  # who saved
    st.integers(0, len(SCHEDULES) - 1),  # the schedule in force
)


def build(
    plan: list[tuple[Any, ...]], agent_submitted: bool
) -> list[tuple[TicketUpdate, int | None, Schedule | None]]:
    moment = at("Mon 08:30")
    facts = TicketFacts(
        ticket_id=7,
        created_at=moment,
        status=S.NEW,
        requester_id=REQUESTER,
        submitter_role=Role.AGENT if agent_submitted else Role.END_USER,
    )
    first = COMMENTS["agent" if agent_submitted else "requester"]
    saves = [
        (TicketUpdate(moment, facts, first, ()), first.author_id if first else None, NINE_TO_FIVE)
    ]
    for gap, status, custom, comment, assignee, group, author, schedule in plan:
        moment += timedelta(seconds=gap)
        if status is not None:
            facts = replace(facts, status=status, custom_status_id=custom)
        if assignee is not None:
            facts = replace(facts, assignee_id=assignee or None)
        if group is not None:
            facts = replace(facts, group_id=group or None)
        saves.append(
            (TicketUpdate(moment, facts, COMMENTS[comment], ()), author, SCHEDULES[schedule])
        )
    return saves


def carried_through_json(replay: TicketMetricsReplay) -> TicketMetricsReplay:
    return TicketMetricsReplay.load(json.loads(json.dumps(replay.dump())))


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    plan=st.lists(save, min_size=0, max_size=299),
    agent_submitted=st.booleans(),
    one_schedule=st.booleans(),
)
def test_saving_one_audit_at_a_time_gives_the_full_replay(
    plan: list[tuple[Any, ...]], agent_submitted: bool, one_schedule: bool
) -> None:
    saves = build(plan, agent_submitted)
    if one_schedule:
        saves = [(update, author, NINE_TO_FIVE) for update, author, _ in saves]
    carried: TicketMetricsReplay | None = None
    for count, (update, author, schedule) in enumerate(saves, start=1):
        carried = TicketMetricsReplay() if carried is None else carried_through_json(carried)
        carried.step(update, author=author, schedule=schedule)
        so_far = saves[:count]
        if one_schedule:
            expected = ticket_metric_set(
                [u for u, _, _ in so_far],
                schedule=NINE_TO_FIVE,
                now=update.at,
                updaters=[a for _, a, _ in so_far],
            )
        else:
            fresh = TicketMetricsReplay()
            for u, a, s in so_far:
                fresh.step(u, author=a, schedule=s)
            expected = fresh.result()
        assert carried.result() == expected


def test_a_period_keeps_the_schedule_in_force_when_it_ended() -> None:
    """Monday 08:30 to Tuesday 10:00 is 9 business hours on 9-17 (Mon 9-17, Tue 9-10); the hour
    pending after it ends when no schedule is in force, so it counts as calendar time."""
    created = at("Mon 08:30")
    facts = TicketFacts(ticket_id=7, created_at=created, status=S.OPEN, requester_id=REQUESTER)
    replay = TicketMetricsReplay()
    replay.step(TicketUpdate(created, facts, None, ()), author=REQUESTER, schedule=NINE_TO_FIVE)
    pending = replace(facts, status=S.PENDING)
    replay.step(
        TicketUpdate(at("Tue 10:00"), pending, None, ()), author=AGENT, schedule=NINE_TO_FIVE
    )
    replay = carried_through_json(replay)
    replay.step(TicketUpdate(at("Tue 11:00"), facts, None, ()), author=REQUESTER, schedule=None)
    metrics = replay.result()
    assert metrics.requester_wait_time is not None
    assert metrics.requester_wait_time.business == 9 * 60  # measured on 9-17 when it ended
    assert metrics.agent_wait_time is not None
    assert metrics.agent_wait_time.business == 60  # calendar: no schedule when it ended


@pytest.mark.parametrize(
    "damage",
    [
        lambda s: {**s, "version": STATE_VERSION + 1},
        lambda s: {k: v for k, v in s.items() if k != "times"},
        lambda s: {**s, "counts": s["counts"][:2]},
        lambda s: {**s, "durations": [["one", 2], None, None]},
        lambda s: {**s, "times": [None] * len(s["times"])},
        lambda s: {**s, "status": "sleeping"},
        lambda s: "not a state",
    ],
)
def test_a_state_that_cannot_be_continued_is_refused(damage: Any) -> None:
    replay = TicketMetricsReplay()
    facts = TicketFacts(ticket_id=7, created_at=at("Mon 09:00"), status=S.OPEN)
    replay.step(TicketUpdate(at("Mon 09:00"), facts, None, ()), author=None, schedule=None)
    with pytest.raises(StateError):
        TicketMetricsReplay.load(damage(replay.dump()))

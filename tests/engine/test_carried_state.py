"""Carrying the engine's state forward gives exactly what a full replay gives.

A ticket's SLA is evaluated one save at a time, each continuing the state the save before it
left (through JSON, as it is stored), and compared at every step with replaying the whole
history: the same instances, the same events with the same deleted flags.
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
from policies.engine.history import SAME_SCHEDULE, Comment, TicketUpdate
from policies.engine.metrics import (
    STATE_VERSION,
    EventType,
    MetricEvent,
    MetricInstance,
    StateError,
    TicketSla,
    evaluate,
    resume,
)
from policies.engine.types import PolicySpec, TicketFacts
from policies.engine.vocabulary import Metric, Priority, Role, StatusCategory
from tests.engine.test_metrics import AGENT, OTHER_AGENT, REQUESTER, at, policy

M = Metric
S = StatusCategory
SHORT = {
    M.FIRST_REPLY_TIME: 1,
    M.NEXT_REPLY_TIME: 0.5,
    M.PERIODIC_UPDATE_TIME: 2,
    M.PAUSABLE_UPDATE_TIME: 2,
    M.REQUESTER_WAIT_TIME: 4,
    M.AGENT_WORK_TIME: 3,
    M.TOTAL_RESOLUTION_TIME: 6,
}
LONG = {metric: hours * 4 for metric, hours in SHORT.items()}
GROUP_A, GROUP_B = 7, 8


def in_group(group: int) -> Any:
    return lambda facts: facts.group_id == group


# Policy lists an edit may bring: the group A policy first, a business-hours one, a reorder,
# a list without the group policy, a lengthened target.
TEAM = policy(
    per_priority={Priority.URGENT: SHORT, Priority.NORMAL: LONG}, id=1, matches=in_group(GROUP_A)
)
BUSINESS = policy(
    per_priority={Priority.URGENT: SHORT, Priority.NORMAL: LONG, Priority.HIGH: SHORT},
    id=2,
    business=True,
)
CALM = policy(per_priority={Priority.URGENT: LONG, Priority.NORMAL: LONG}, id=3)
LISTS: list[tuple[PolicySpec, ...]] = [
    (TEAM, BUSINESS, CALM),
    (BUSINESS, TEAM, CALM),
    (CALM,),
    (
        replace(
            TEAM, targets={k: replace(v, seconds=v.seconds * 2) for k, v in TEAM.targets.items()}
        ),
        CALM,
    ),
]
WEEKDAYS = Schedule(
    "Europe/Berlin", [WeeklyInterval(1440 * d + 540, 1440 * d + 1020) for d in range(1, 6)]
)
LATE = Schedule(
    "America/New_York",
    [WeeklyInterval(1440 * d + 720, 1440 * d + 1320) for d in range(0, 7)],
    [Holiday(at("Tue 00:00").date(), at("Tue 00:00").date())],
)
SCHEDULES: list[Schedule | None] = [WEEKDAYS, LATE, None]
COMMENTS: dict[str, Comment | None] = {
    "none": None,
    "requester": Comment(REQUESTER, Role.END_USER, True),
    "requester note": Comment(REQUESTER, Role.END_USER, False),
    "agent": Comment(AGENT, Role.AGENT, True),
    "agent note": Comment(AGENT, Role.AGENT, False),
    "other agent": Comment(OTHER_AGENT, Role.AGENT, True),
    "light agent note": Comment(OTHER_AGENT, Role.AGENT, False, light_agent=True),
}

step = st.tuples(
    st.sampled_from([0, 1, 59, 600, 1800, 3600, 4 * 3600, 20 * 3600]),  # seconds since the last
    st.sampled_from([None, S.OPEN, S.PENDING, S.HOLD, S.SOLVED, S.OPEN, S.CLOSED]),
    st.sampled_from(list(COMMENTS)),
    st.sampled_from([None, Priority.NORMAL, Priority.URGENT, Priority.HIGH, Priority.LOW]),
    st.sampled_from([None, GROUP_A, GROUP_B]),
    st.one_of(st.none(), st.integers(0, len(LISTS) - 1)),  # an edit: a new policy list
    st.one_of(st.none(), st.integers(0, len(SCHEDULES) - 1)),  # an edit: a new schedule
)


def build(plan: list[tuple[Any, ...]]) -> list[TicketUpdate]:
    moment = at("Mon 08:00")
    facts = TicketFacts(
        ticket_id=1,
        status=S.NEW,
        priority=Priority.URGENT,
        requester_id=REQUESTER,
        group_id=GROUP_A,
    )
    policies = LISTS[0]
    updates = [TicketUpdate(moment, facts, COMMENTS["requester"], policies, WEEKDAYS)]
    for gap, status, comment, priority, group, policy_list, schedule in plan:
        moment += timedelta(seconds=gap)
        if policy_list is not None or schedule is not None:
            # A configuration edit: the ticket's fields stay, the configuration changes.
            policies = LISTS[policy_list] if policy_list is not None else policies
            updates.append(
                TicketUpdate(
                    moment,
                    facts,
                    None,
                    policies,
                    SCHEDULES[schedule] if schedule is not None else SAME_SCHEDULE,
                    edit=True,
                )
            )
            continue
        if status is not None:
            facts = replace(facts, status=status)
        if priority is not None:
            facts = replace(facts, priority=priority)
        if group is not None:
            facts = replace(facts, group_id=group)
        updates.append(TicketUpdate(moment, facts, COMMENTS[comment], policies))
    return updates


def schedule_after(updates: list[TicketUpdate]) -> Schedule | None:
    for update in reversed(updates):
        if update.schedule is not SAME_SCHEDULE:
            return update.schedule  # type: ignore[return-value]
    raise AssertionError("the first update names the schedule")


def instance_key(instance: MetricInstance) -> tuple[str, int]:
    return (instance.metric.value, instance.instance_id)


def row(event: MetricEvent) -> tuple[Any, ...]:
    return (event.metric, event.instance_id, event.type, event.time, event.sla, event.status)


def stored_after(stored: list[list[Any]], result: TicketSla) -> list[list[Any]]:
    """What a store holds after writing a carried result: retracted breaches flagged, new
    events appended (each with its own flag)."""
    retracted = set(result.retracted)
    for item in stored:
        event_row = item[0]
        if (
            event_row[2] is EventType.BREACH
            and (event_row[0], event_row[1], event_row[3]) in retracted
        ):
            item[1] = True
    stored.extend([row(event), event.deleted] for event in result.events)
    return stored


def saved_one_at_a_time(updates: list[TicketUpdate], tail: int) -> None:
    first = evaluate(updates[:1], schedule=None, now=updates[0].at, carry=True)
    stored = [[row(event), event.deleted] for event in first.events]
    # The target rows a store keeps: a carried result rewrites the instances it reports.
    rows = {(i.metric, i.instance_id): i for i in first.instances}
    state = json.loads(json.dumps(first.state))  # as the database keeps it
    for count in range(2, len(updates) + 1):
        moment = updates[count - 1].at + (
            timedelta(seconds=tail) if count == len(updates) else timedelta()
        )
        carried = resume(
            state,
            updates[count - 1 : count],
            policies=updates[count - 2].policies,
            schedule=schedule_after(updates[: count - 1]),
            now=moment,
        )
        full = evaluate(updates[:count], schedule=None, now=moment)
        rows.update({(i.metric, i.instance_id): i for i in carried.instances})
        assert sorted(rows.values(), key=instance_key) == sorted(full.instances, key=instance_key)
        assert carried.next_breach_at == full.next_breach_at
        assert (carried.policy and carried.policy.id) == (full.policy and full.policy.id)
        stored = stored_after(stored, carried)
        assert stored == [[row(event), event.deleted] for event in full.events]
        # And the state the next save continues from is the one a full replay leaves.
        kept = evaluate(updates[:count], schedule=None, now=moment, carry=True).state
        assert json.loads(json.dumps(carried.state)) == json.loads(json.dumps(kept))
        # What the store keeps is the state after the update, not the evaluation as of `now`
        # (a later update replays the breaches `now` recorded, and the store skips them).
        stored = [item for item in stored if item[0][3] <= updates[count - 1].at]
        state = json.loads(json.dumps(carried.state))


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(plan=st.lists(step, min_size=0, max_size=40), tail=st.sampled_from([0, 30, 7200, 200000]))
def test_saving_one_update_at_a_time_equals_a_full_replay(plan: list[Any], tail: int) -> None:
    saved_one_at_a_time(build(plan), tail)


@settings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(plan=st.lists(step, min_size=250, max_size=300))
def test_long_histories_too(plan: list[Any]) -> None:
    saved_one_at_a_time(build(plan), 3600)


def test_a_state_from_another_engine_version_is_refused() -> None:
    updates = build([])
    state = evaluate(updates, schedule=None, now=updates[0].at, carry=True).state
    assert state is not None
    assert state["version"] == STATE_VERSION
    with pytest.raises(StateError):
        resume(
            {**state, "version": STATE_VERSION + 1},
            [],
            policies=LISTS[0],
            schedule=WEEKDAYS,
            now=updates[0].at,
        )
    with pytest.raises(StateError):
        resume(
            {**state, "clocks": [{}]}, [], policies=LISTS[0], schedule=WEEKDAYS, now=updates[0].at
        )


def test_a_carried_result_has_no_history_to_explain() -> None:
    updates = build([])
    state = evaluate(updates, schedule=None, now=updates[0].at, carry=True).state
    assert state is not None
    carried = resume(
        state, [], policies=LISTS[0], schedule=WEEKDAYS, now=updates[0].at + timedelta(hours=1)
    )
    with pytest.raises(StateError):
        carried.explanation  # noqa: B018


def test_the_state_does_not_grow_with_replies() -> None:
    """Each reply settles one instance and opens another: the state keeps the open ones."""
    plan = [
        (60, S.OPEN, "requester", Priority.NORMAL, None, None, None),
        (60, S.PENDING, "agent", None, None, None, None),
    ] * 5
    short = evaluate(build(plan), schedule=None, now=at("Mon 09:00"), carry=True).state
    long = evaluate(build(plan * 40), schedule=None, now=at("Mon 23:00"), carry=True).state
    assert short is not None
    assert long is not None
    assert len(short["clocks"]) == len(long["clocks"])
    # What grows is the running stretches of the wait metrics that pending paused (two per
    # cycle, kept so a later target change finds its deadline exactly): as a gap and a
    # length, some six bytes each (they were thirty as a list of times).
    cycles = 200 - 5
    assert len(json.dumps(long)) - len(json.dumps(short)) <= 2 * 8 * cycles


def test_the_state_does_not_grow_with_comments_that_open_nothing_new() -> None:
    """Ten times the saves, the same instances: the state stays the same size, give or take
    the dates of the breaches that came due meanwhile."""
    plan = [(60, S.OPEN, "requester note", Priority.NORMAL, None, None, None)] * 10
    short = evaluate(build(plan * 30), schedule=None, now=at("Tue 12:00"), carry=True).state
    long = evaluate(build(plan * 300), schedule=None, now=at("Fri 12:00"), carry=True).state
    assert short is not None
    assert long is not None
    assert long["updates"] == 10 * short["updates"] - 9
    assert len(json.dumps(long)) <= len(json.dumps(short)) + 256

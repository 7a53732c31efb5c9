"""Properties of random histories, checked against oracles that do not share the engine's code."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from policies.engine.business_time import Schedule, WeeklyInterval
from policies.engine.history import Comment, TicketUpdate
from policies.engine.metrics import EventType, MetricInstance, Stage, TicketSla, evaluate
from policies.engine.types import PolicySpec, TicketFacts
from policies.engine.vocabulary import Metric, Priority, StatusCategory
from tests.engine.test_metrics import REQUESTER, agent, at, end_user, policy

M = Metric
S = StatusCategory
SHORT = {
    M.FIRST_REPLY_TIME: 2,
    M.NEXT_REPLY_TIME: 1,
    M.PERIODIC_UPDATE_TIME: 3,
    M.PAUSABLE_UPDATE_TIME: 3,
    M.REQUESTER_WAIT_TIME: 6,
    M.AGENT_WORK_TIME: 4,
    M.TOTAL_RESOLUTION_TIME: 8,
}
LONG = {metric: hours * 3 for metric, hours in SHORT.items()}
POLICY = policy(per_priority={Priority.NORMAL: LONG, Priority.URGENT: SHORT})
BUSINESS = policy(per_priority={Priority.NORMAL: LONG, Priority.URGENT: SHORT}, business=True)
SCHEDULE = Schedule(
    "America/New_York", [WeeklyInterval(1440 * d + 540, 1440 * d + 1020) for d in range(1, 6)]
)
COMMENTS: dict[str, Comment | None] = {
    "none": None,
    "end user": end_user(),
    "end user note": end_user(public=False),
    "agent": agent(),
    "agent note": agent(public=False),
}

steps = st.lists(
    st.tuples(
        st.integers(0, 5 * 3600),  # seconds since the previous save (0: same second)
        st.sampled_from([None, S.OPEN, S.PENDING, S.HOLD, S.SOLVED, S.CLOSED]),
        st.sampled_from(list(COMMENTS)),
        st.sampled_from([None, Priority.NORMAL, Priority.URGENT]),
    ),
    max_size=12,
)


def build(
    plan: list[tuple[int, StatusCategory | None, str, Priority | None]],
    tail: int,
    spec: PolicySpec = POLICY,
) -> tuple[list[TicketUpdate], datetime]:
    moment = at("Mon 09:00")
    facts = TicketFacts(status=S.NEW, priority=Priority.NORMAL, requester_id=REQUESTER)
    updates = [TicketUpdate(moment, facts, end_user(), (spec,))]
    for gap, status, comment, priority in plan:
        moment += timedelta(seconds=gap)
        if status is not None:
            facts = replace(facts, status=status)
        if priority is not None:
            facts = replace(facts, priority=priority)
        updates.append(TicketUpdate(moment, facts, COMMENTS[comment], (spec,)))
    return updates, moment + timedelta(seconds=tail)


# Statuses in which each waiting or pausing metric's clock runs (the others run until they end).
RUNS_IN = {
    M.REQUESTER_WAIT_TIME: {S.NEW, S.OPEN, S.HOLD},
    M.AGENT_WORK_TIME: {S.NEW, S.OPEN},
    M.TOTAL_RESOLUTION_TIME: {S.NEW, S.OPEN, S.PENDING, S.HOLD},
    M.PAUSABLE_UPDATE_TIME: {S.NEW, S.OPEN, S.HOLD},
}


def stopped_at(item: MetricInstance, updates: list[TicketUpdate]) -> datetime:
    """When a fulfilled or paused instance's clock last stopped running."""
    if item.stage is Stage.ACHIEVED:
        assert item.fulfilled_at is not None
        return item.fulfilled_at
    runs = RUNS_IN[item.metric]
    pauses = [
        update.at
        for previous, update in zip(updates, updates[1:], strict=False)
        if previous.facts.status in runs and update.facts.status not in runs
    ]
    return pauses[-1]


def time_in(updates: list[TicketUpdate], now: datetime, statuses: set[StatusCategory]) -> int:
    """Seconds the ticket spent in `statuses` from creation to `now`: the wait-metric oracle."""
    total = 0
    for current, following in zip(updates, [*updates[1:], None], strict=True):
        end = following.at if following is not None else now
        if current.facts.status in statuses:
            total += int((end - current.at).total_seconds())
    return total


def check_invariants(result: TicketSla, updates: list[TicketUpdate], now: datetime) -> None:
    times = [e.time for e in result.events]
    assert times == sorted(times)
    assert not times or times[-1] <= now
    for item in result.instances:
        end = item.fulfilled_at or now
        span = int((end - item.activated_at).total_seconds())
        assert item.elapsed_calendar_seconds + item.paused_seconds == span
        if item.stage is Stage.PAUSED:
            assert item.breach_at is None
        breaches = [
            e
            for e in result.events
            if e.type is EventType.BREACH
            and not e.deleted
            and e.instance_id == item.instance_id
            and e.metric == _event_metric(item.metric)
        ]
        assert bool(breaches) is item.breached
        if item.breached:
            assert item.breached_at == breaches[0].time
    upcoming = [
        i.breach_at
        for i in result.instances
        if i.stage is Stage.ACTIVE and i.breach_at is not None and not i.breached
    ]
    assert result.next_breach_at == (min(upcoming) if upcoming else None)
    assert result.next_breach_at is None or result.next_breach_at > now

    for metric in (M.REQUESTER_WAIT_TIME, M.AGENT_WORK_TIME, M.TOTAL_RESOLUTION_TIME):
        (item,) = [i for i in result.instances if i.metric is metric]
        assert item.elapsed_calendar_seconds == time_in(updates, now, RUNS_IN[metric]), metric


def _event_metric(metric: Metric) -> str:
    if metric in (M.FIRST_REPLY_TIME, M.NEXT_REPLY_TIME):
        return "reply_time"
    return "resolution_time" if metric is M.TOTAL_RESOLUTION_TIME else metric.value


@settings(max_examples=300, deadline=None)
@given(steps, st.integers(0, 30 * 3600))
def test_random_histories_keep_the_books(
    plan: list[tuple[int, StatusCategory | None, str, Priority | None]], tail: int
) -> None:
    updates, now = build(plan, tail)
    check_invariants(evaluate(updates, schedule=None, now=now), updates, now)


@pytest.mark.parametrize("schedule", [None, SCHEDULE], ids=["calendar", "business"])
@settings(max_examples=300, deadline=None)
@given(plan=steps, tail=st.integers(0, 30 * 3600))
# A reply one second after the close of business that ended the third business hour.
@example(
    plan=[
        (18000, None, "agent", None),
        (18000, None, "end user", None),
        (10801, None, "agent", None),
    ],
    tail=0,
)
def test_with_one_target_breached_means_target_exceeded(
    schedule: Schedule | None,
    plan: list[tuple[int, StatusCategory | None, str, Priority | None]],
    tail: int,
) -> None:
    """With the target never changing, breached is exactly 'ran longer than the target'."""
    spec = POLICY if schedule is None else BUSINESS
    updates, now = build([(g, s, c, None) for g, s, c, _ in plan], tail, spec)
    result = evaluate(updates, schedule=schedule, now=now)
    check_invariants(result, updates, now)
    for item in result.instances:
        assert item.target is not None or item.stage is Stage.ACHIEVED
        if item.target is None:
            continue  # fulfilled in the save that created it: never had a target
        used, limit = item.elapsed_business_seconds, item.target.seconds
        running = item.stage is Stage.ACTIVE
        # Reaching the target exactly is a breach unless the clock stopped at that moment: a
        # reply at 17:00:01 to a deadline at 17:00:00, the close of business, is one second
        # late though no business time passed in that second.
        late = used == limit and (running or stopped_at(item, updates) > item.breach_at)
        assert item.breached is (used > limit or late), item
        if item.breached and item.stage is not Stage.PAUSED:
            assert item.breached_at == item.breach_at


@settings(max_examples=200, deadline=None)
@given(steps)
def test_no_look_ahead(plan: list[tuple[int, StatusCategory | None, str, Priority | None]]) -> None:
    """What is known just before a save never changes once that save is replayed."""
    updates, now = build(plan, 3600)
    full = evaluate(updates, schedule=None, now=now)
    for k in range(1, len(updates)):
        before = updates[k].at - timedelta(seconds=1)
        if before < updates[k - 1].at:
            continue
        prefix = evaluate(updates[:k], schedule=None, now=before)
        assert [(e.metric, e.instance_id, e.type, e.time) for e in prefix.events] == [
            (e.metric, e.instance_id, e.type, e.time) for e in full.events if e.time < updates[k].at
        ]

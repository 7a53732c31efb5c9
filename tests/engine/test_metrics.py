"""Metric engine acceptance tests: spec §3.9 worked example and §10 items 7-15.

Every test passes `now` explicitly. Times are in a week starting Monday 2024-03-04 (UTC).
The small builders here are shared with the other test_metrics_*.py files.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta

import pytest

from policies.engine.business_time import Schedule
from policies.engine.history import Comment, TicketUpdate
from policies.engine.metrics import (
    EventMetric,
    EventType,
    InstanceExplanation,
    MetricEvent,
    MetricInstance,
    SlaPayload,
    Stage,
    TicketSla,
    evaluate,
    remaining_display,
)
from policies.engine.types import PolicySpec, Target, TicketFacts
from policies.engine.vocabulary import Metric, Priority, Role, StatusCategory

M = Metric
S = StatusCategory
H = 3600
DAYS = {"Mon": 0, "Tue": 1, "Wed": 2, "Thu": 3, "Fri": 4, "Sat": 5, "Sun": 6}
REQUESTER, AGENT, OTHER_AGENT, CC_USER = 10, 20, 21, 30


def at(text: str) -> datetime:
    """'Tue 14:30' or 'Tue 14:30:05' in the test week (UTC)."""
    day, clock = text.split()
    parts = [int(p) for p in clock.split(":")] + [0]
    return datetime(2024, 3, 4 + DAYS[day], parts[0], parts[1], parts[2], tzinfo=UTC)


def show(moment: datetime | None) -> str | None:
    if moment is None:
        return None
    moment = moment.astimezone(UTC)
    text = f"{list(DAYS)[(moment.date() - datetime(2024, 3, 4).date()).days]} {moment:%H:%M}"
    return f"{text}:{moment:%S}" if moment.second else text


def end_user(public: bool = True, author: int = REQUESTER) -> Comment:
    return Comment(author, Role.END_USER, public)


def agent(public: bool = True, author: int = AGENT, **flags: bool) -> Comment:
    return Comment(author, Role.AGENT, public, **flags)


NORMAL_TARGETS = {
    M.FIRST_REPLY_TIME: 8,
    M.NEXT_REPLY_TIME: 4,
    M.PERIODIC_UPDATE_TIME: 24,
    M.PAUSABLE_UPDATE_TIME: 24,
    M.REQUESTER_WAIT_TIME: 48,
    M.AGENT_WORK_TIME: 24,
    M.TOTAL_RESOLUTION_TIME: 72,
}


def policy(
    hours: Mapping[Metric, float] | None = None,
    *,
    id: int = 1,
    title: str = "Standard",
    priorities: Sequence[Priority] = (Priority.NORMAL,),
    per_priority: Mapping[Priority, Mapping[Metric, float]] | None = None,
    business: bool = False,
    matches: Callable[[TicketFacts], bool] = lambda facts: True,
    settings: Mapping[str, Mapping[str, bool]] | None = None,
) -> PolicySpec:
    """A policy with targets given in hours, for each of `priorities` (or per priority)."""
    table = per_priority or {p: hours if hours is not None else NORMAL_TARGETS for p in priorities}
    targets = {
        (p, m): Target(round(h * H), business) for p, row in table.items() for m, h in row.items()
    }
    return PolicySpec(id, title, None, id, matches, targets, settings or {})


@dataclass
class Ticket:
    """Builds a history one save at a time; fields not given keep their previous value."""

    policies: tuple[PolicySpec, ...]
    priority: Priority | None = Priority.NORMAL
    requester: int = REQUESTER
    requester_role: Role = Role.END_USER
    updates: list[TicketUpdate] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.facts = TicketFacts(
            ticket_id=1,
            status=S.NEW,
            priority=self.priority,
            requester_id=self.requester,
            requester_role=self.requester_role,
        )

    def save(
        self,
        when: str | datetime,
        comment: Comment | None = None,
        status: StatusCategory | None = None,
        policies: tuple[PolicySpec, ...] | None = None,
        **fields: object,
    ) -> Ticket:
        if status is not None:
            fields["status"] = status
        if fields:
            self.facts = replace(self.facts, **fields)  # type: ignore[arg-type]
        if policies is not None:
            self.policies = policies
        moment = at(when) if isinstance(when, str) else when
        self.updates.append(TicketUpdate(moment, self.facts, comment, self.policies))
        return self

    def evaluate(self, now: str | datetime, schedule: Schedule | None = None) -> TicketSla:
        moment = at(now) if isinstance(now, str) else now
        return evaluate(self.updates, schedule=schedule, now=moment)


def instance(result: TicketSla, metric: Metric, instance_id: int = 1) -> MetricInstance:
    found = [i for i in result.instances if i.metric is metric and i.instance_id == instance_id]
    assert len(found) == 1, f"{metric} #{instance_id} not among {result.instances}"
    return found[0]


def explained(result: TicketSla, metric: Metric, instance_id: int = 1) -> InstanceExplanation:
    found = [
        x
        for x in result.explanation.instances
        if x.metric is metric and x.instance_id == instance_id
    ]
    assert len(found) == 1
    return found[0]


def stream(result: TicketSla, *types: EventType) -> list[str]:
    """Events as 'Mon 09:00 reply_time#1 activate' lines, payloads appended."""
    lines = []
    for event in result.events:
        if types and event.type not in types:
            continue
        line = f"{show(event.time)} {event.metric}#{event.instance_id} {event.type}"
        if event.type is EventType.APPLY_SLA:
            line += f" {event.sla['target'] if event.sla else None}"
        if event.status is not None:
            line += f" {event.status['calendar']}/{event.status['business']}"
        if event.deleted:
            line += " deleted"
        lines.append(line)
    return lines


def worked_example() -> Ticket:
    """Spec §3.9: GitLab's timeline with every status after each save."""
    ticket = Ticket((policy(),))
    ticket.save("Mon 09:00", end_user())
    ticket.save("Mon 14:00", agent(), S.OPEN)
    ticket.save("Mon 15:30", end_user())
    ticket.save("Mon 16:00", agent(), S.PENDING)
    ticket.save("Tue 10:00", end_user(), S.OPEN)
    ticket.save("Tue 11:00", agent(public=False), S.HOLD)
    ticket.save("Wed 14:00", None, S.OPEN)
    ticket.save("Wed 14:30", agent(), S.SOLVED)
    return ticket


# --- §3.9 / §10.8 ------------------------------------------------------------------------

# metric, instance, activated, breach_at, fulfilled, breached, running hours, paused hours
WORKED_EXAMPLE = [
    (M.FIRST_REPLY_TIME, 1, "Mon 09:00", "Mon 17:00", "Mon 14:00", False, 5, 0),
    (M.NEXT_REPLY_TIME, 2, "Mon 15:30", "Mon 19:30", "Mon 16:00", False, 0.5, 0),
    (M.NEXT_REPLY_TIME, 3, "Tue 10:00", "Tue 14:00", "Wed 14:30", True, 28.5, 0),
    (M.PERIODIC_UPDATE_TIME, 1, "Mon 14:00", "Tue 14:00", "Mon 16:00", False, 2, 0),
    (M.PERIODIC_UPDATE_TIME, 2, "Mon 16:00", "Tue 16:00", "Wed 14:30", True, 46.5, 0),
    (M.PAUSABLE_UPDATE_TIME, 1, "Mon 14:00", "Tue 14:00", "Mon 16:00", False, 2, 0),
    (M.PAUSABLE_UPDATE_TIME, 2, "Mon 16:00", "Wed 10:00", "Wed 14:30", True, 28.5, 18),
    (M.REQUESTER_WAIT_TIME, 1, "Mon 09:00", "Thu 03:00", "Wed 14:30", False, 35.5, 18),
    (M.AGENT_WORK_TIME, 1, "Mon 09:00", "Thu 06:00", "Wed 14:30", False, 8.5, 45),
    (M.TOTAL_RESOLUTION_TIME, 1, "Mon 09:00", "Thu 09:00", "Wed 14:30", False, 53.5, 0),
]


@pytest.mark.parametrize(
    ("metric", "number", "activated", "breach_at", "fulfilled", "breached", "hours", "paused"),
    WORKED_EXAMPLE,
)
def test_worked_example_instances(
    metric: Metric,
    number: int,
    activated: str,
    breach_at: str,
    fulfilled: str,
    breached: bool,
    hours: float,
    paused: float,
) -> None:
    result = worked_example().evaluate("Thu 12:00")
    got = instance(result, metric, number)
    assert got.stage is Stage.ACHIEVED
    assert show(got.activated_at) == activated
    assert show(got.breach_at) == breach_at
    assert show(got.fulfilled_at) == fulfilled
    assert got.breached is breached
    assert show(got.breached_at) == (breach_at if breached else None)
    assert got.elapsed_calendar_seconds == hours * H
    assert got.elapsed_business_seconds == hours * H  # no schedule: business = calendar
    assert got.paused_seconds == paused * H
    assert got.policy_id == 1
    assert got.target == Target(round(NORMAL_TARGETS[metric] * H), False)


def test_worked_example_has_exactly_ten_instances_and_three_breaches() -> None:
    result = worked_example().evaluate("Thu 12:00")
    assert len(result.instances) == len(WORKED_EXAMPLE)
    assert stream(result, EventType.BREACH) == [
        "Tue 14:00 reply_time#3 breach",
        "Tue 16:00 periodic_update_time#2 breach",
        "Wed 10:00 pausable_update_time#2 breach",
    ]
    assert result.next_breach_at is None
    assert result.policy is not None
    assert result.policy.id == 1


def test_worked_example_event_stream() -> None:
    """§10.15: the whole stream, chronological, same-instant order fixed by update stage."""
    assert stream(worked_example().evaluate("Thu 12:00")) == [
        "Mon 09:00 agent_work_time#0 measure",
        "Mon 09:00 pausable_update_time#0 measure",
        "Mon 09:00 periodic_update_time#0 measure",
        "Mon 09:00 reply_time#0 measure",
        "Mon 09:00 requester_wait_time#0 measure",
        "Mon 09:00 resolution_time#0 measure",
        "Mon 09:00 agent_work_time#1 activate",
        "Mon 09:00 reply_time#1 activate",
        "Mon 09:00 requester_wait_time#1 activate",
        "Mon 09:00 resolution_time#1 activate",
        "Mon 09:00 agent_work_time#1 apply_sla 1440",
        "Mon 09:00 reply_time#1 apply_sla 480",
        "Mon 09:00 requester_wait_time#1 apply_sla 2880",
        "Mon 09:00 resolution_time#1 apply_sla 4320",
        "Mon 14:00 reply_time#1 fulfill",
        "Mon 14:00 reply_time#1 update_status 300/300",
        "Mon 14:00 pausable_update_time#1 activate",
        "Mon 14:00 periodic_update_time#1 activate",
        "Mon 14:00 pausable_update_time#1 apply_sla 1440",
        "Mon 14:00 periodic_update_time#1 apply_sla 1440",
        "Mon 15:30 reply_time#2 activate",
        "Mon 15:30 reply_time#2 apply_sla 240",
        "Mon 16:00 pausable_update_time#1 fulfill",
        "Mon 16:00 pausable_update_time#1 update_status 120/120",
        "Mon 16:00 periodic_update_time#1 fulfill",
        "Mon 16:00 periodic_update_time#1 update_status 120/120",
        "Mon 16:00 reply_time#2 fulfill",
        "Mon 16:00 reply_time#2 update_status 30/30",
        "Mon 16:00 pausable_update_time#2 activate",
        "Mon 16:00 periodic_update_time#2 activate",
        "Mon 16:00 agent_work_time#1 pause",
        "Mon 16:00 pausable_update_time#2 pause",
        "Mon 16:00 requester_wait_time#1 pause",
        "Mon 16:00 pausable_update_time#2 apply_sla 1440",
        "Mon 16:00 periodic_update_time#2 apply_sla 1440",
        "Tue 10:00 reply_time#3 activate",
        "Tue 10:00 agent_work_time#1 activate",
        "Tue 10:00 pausable_update_time#2 activate",
        "Tue 10:00 requester_wait_time#1 activate",
        "Tue 10:00 reply_time#3 apply_sla 240",
        "Tue 11:00 agent_work_time#1 pause",
        "Tue 14:00 reply_time#3 breach",
        "Tue 16:00 periodic_update_time#2 breach",
        "Wed 10:00 pausable_update_time#2 breach",
        "Wed 14:00 agent_work_time#1 activate",
        "Wed 14:30 pausable_update_time#2 fulfill",
        "Wed 14:30 pausable_update_time#2 update_status 1710/1710",
        "Wed 14:30 periodic_update_time#2 fulfill",
        "Wed 14:30 periodic_update_time#2 update_status 2790/2790",
        "Wed 14:30 reply_time#3 fulfill",
        "Wed 14:30 reply_time#3 update_status 1710/1710",
        "Wed 14:30 agent_work_time#1 fulfill",
        "Wed 14:30 agent_work_time#1 update_status 510/510",
        "Wed 14:30 requester_wait_time#1 fulfill",
        "Wed 14:30 requester_wait_time#1 update_status 2130/2130",
        "Wed 14:30 resolution_time#1 fulfill",
        "Wed 14:30 resolution_time#1 update_status 3210/3210",
    ]


def test_worked_example_apply_sla_payload_names_the_policy() -> None:
    result = worked_example().evaluate("Thu 12:00")
    first = next(e for e in result.events if e.type is EventType.APPLY_SLA)
    sla: SlaPayload = {
        "target": 1440,
        "target_in_seconds": 86400,
        "business_hours": False,
        "policy": {"id": 1, "title": "Standard", "description": None},
    }
    expected = MetricEvent(
        EventMetric.AGENT_WORK_TIME, 1, EventType.APPLY_SLA, at("Mon 09:00"), sla, None, False
    )
    assert first == expected
    assert (first.sla, first.status, first.deleted, hash(first.time)) == (
        expected.sla,
        None,
        False,
        hash(expected.time),
    )


# Mid-flight views of the same ticket (§10.14): stage, breach_at and the soonest breach.
# now, metric, instance, stage, breach_at, breached, next_breach_at
MID_FLIGHT = [
    ("Mon 12:00", M.FIRST_REPLY_TIME, 1, Stage.ACTIVE, "Mon 17:00", False, "Mon 17:00"),
    ("Mon 17:00", M.REQUESTER_WAIT_TIME, 1, Stage.PAUSED, None, False, "Tue 16:00"),
    ("Mon 17:00", M.PAUSABLE_UPDATE_TIME, 2, Stage.PAUSED, None, False, "Tue 16:00"),
    ("Tue 10:30", M.PAUSABLE_UPDATE_TIME, 2, Stage.ACTIVE, "Wed 10:00", False, "Tue 14:00"),
    ("Tue 10:30", M.REQUESTER_WAIT_TIME, 1, Stage.ACTIVE, "Thu 03:00", False, "Tue 14:00"),
    ("Tue 12:00", M.AGENT_WORK_TIME, 1, Stage.PAUSED, None, False, "Tue 14:00"),
    ("Tue 14:00", M.NEXT_REPLY_TIME, 3, Stage.ACTIVE, "Tue 14:00", True, "Tue 16:00"),
    ("Tue 13:59", M.NEXT_REPLY_TIME, 3, Stage.ACTIVE, "Tue 14:00", False, "Tue 14:00"),
    ("Wed 12:00", M.PERIODIC_UPDATE_TIME, 2, Stage.ACTIVE, "Tue 16:00", True, "Thu 03:00"),
    ("Wed 14:15", M.AGENT_WORK_TIME, 1, Stage.ACTIVE, "Thu 06:00", False, "Thu 03:00"),
]


@pytest.mark.parametrize(
    ("now", "metric", "number", "stage", "breach_at", "breached", "soonest"), MID_FLIGHT
)
def test_worked_example_mid_flight(
    now: str,
    metric: Metric,
    number: int,
    stage: Stage,
    breach_at: str | None,
    breached: bool,
    soonest: str,
) -> None:
    ticket = worked_example()
    ticket.updates = [u for u in ticket.updates if u.at <= at(now)]
    result = ticket.evaluate(now)
    got = instance(result, metric, number)
    assert (got.stage, show(got.breach_at), got.breached) == (stage, breach_at, breached)
    assert show(result.next_breach_at) == soonest
    assert all(e.time <= at(now) for e in result.events)


# --- §10.7 matching -----------------------------------------------------------------------


def test_first_matching_policy_by_position_wins() -> None:
    vip = policy({M.FIRST_REPLY_TIME: 1}, id=1, title="VIP", matches=lambda f: "vip" in f.tags)
    everyone = policy({M.FIRST_REPLY_TIME: 8}, id=2, title="Everyone")
    plain = Ticket((vip, everyone)).save("Mon 09:00", end_user()).evaluate("Mon 09:30")
    tagged = Ticket((vip, everyone))
    tagged.facts = replace(tagged.facts, tags=frozenset({"vip"}))
    tagged.save("Mon 09:00", end_user())
    result = tagged.evaluate("Mon 09:30")
    assert (instance(plain, M.FIRST_REPLY_TIME).policy_id, show(plain.next_breach_at)) == (
        2,
        "Mon 17:00",
    )
    assert (instance(result, M.FIRST_REPLY_TIME).policy_id, show(result.next_breach_at)) == (
        1,
        "Mon 10:00",
    )


def test_no_priority_means_no_targets_but_clocks_run() -> None:
    ticket = Ticket((policy(),), priority=None).save("Mon 09:00", end_user())
    result = ticket.evaluate("Mon 20:00")
    assert result.policy is None
    assert result.next_breach_at is None
    assert not [e for e in result.events if e.type in (EventType.APPLY_SLA, EventType.BREACH)]
    frt = instance(result, M.FIRST_REPLY_TIME)
    assert (frt.stage, frt.target, frt.breach_at, frt.elapsed_calendar_seconds) == (
        Stage.ACTIVE,
        None,
        None,
        11 * H,
    )
    assert result.explanation.policy_steps[0].matched_policy_id == 1
    assert result.explanation.policy_steps[0].applied_policy_id is None


def test_priority_set_later_applies_targets_measured_from_creation() -> None:
    ticket = Ticket((policy(),), priority=None).save("Mon 09:00", end_user())
    ticket.save("Mon 11:00", priority=Priority.NORMAL)
    result = ticket.evaluate("Mon 12:00")
    frt = instance(result, M.FIRST_REPLY_TIME)
    assert (show(frt.breach_at), frt.breached) == ("Mon 17:00", False)
    assert stream(result, EventType.APPLY_SLA)[1] == "Mon 11:00 reply_time#1 apply_sla 480"


# --- §10.9 late application ---------------------------------------------------------------


def test_late_policy_breaches_at_application_not_back_dated() -> None:
    late = policy({M.FIRST_REPLY_TIME: 1})
    ticket = Ticket(()).save("Mon 09:00", end_user())
    ticket.save("Mon 12:00", policies=(late,))  # re-evaluation: the new policy set arrives
    result = ticket.evaluate("Mon 12:30")
    frt = instance(result, M.FIRST_REPLY_TIME)
    assert (frt.stage, frt.breached, show(frt.breached_at)) == (Stage.ACTIVE, True, "Mon 12:00")
    assert show(frt.breach_at) == "Mon 10:00"  # measured from creation
    assert stream(result, EventType.APPLY_SLA, EventType.BREACH) == [
        "Mon 12:00 reply_time#1 apply_sla 60",
        "Mon 12:00 reply_time#1 breach",
    ]
    assert result.next_breach_at is None


# --- §10.10 priority change ---------------------------------------------------------------

TWO_PRIORITIES = {
    Priority.NORMAL: {M.FIRST_REPLY_TIME: 8},
    Priority.URGENT: {M.FIRST_REPLY_TIME: 1},
}


@pytest.mark.parametrize(
    ("change", "breached_at", "events"),
    [
        # New deadline still ahead: the breach happens at it.
        ("Mon 09:30", "Mon 10:00", ["Mon 09:30 apply_sla 60", "Mon 10:00 breach"]),
        # New deadline exactly now, or already past: recorded at the change, never earlier.
        ("Mon 10:00", "Mon 10:00", ["Mon 10:00 apply_sla 60", "Mon 10:00 breach"]),
        ("Mon 13:00", "Mon 13:00", ["Mon 13:00 apply_sla 60", "Mon 13:00 breach"]),
    ],
)
def test_priority_change_recomputes_from_creation(
    change: str, breached_at: str, events: list[str]
) -> None:
    ticket = Ticket((policy(per_priority=TWO_PRIORITIES),)).save("Mon 09:00", end_user())
    ticket.save(change, priority=Priority.URGENT)
    result = ticket.evaluate("Mon 13:00")
    frt = instance(result, M.FIRST_REPLY_TIME)
    assert show(frt.breach_at) == "Mon 10:00"  # from creation, not from the change
    assert show(frt.breached_at) == breached_at
    assert frt.target == Target(H, False)
    got = stream(result, EventType.APPLY_SLA, EventType.BREACH)
    assert got[0] == "Mon 09:00 reply_time#1 apply_sla 480"
    assert [line.replace("reply_time#1 ", "") for line in got[1:]] == events


def test_priority_lowered_before_deadline_moves_it_later() -> None:
    ticket = Ticket((policy(per_priority=TWO_PRIORITIES),), priority=Priority.URGENT)
    ticket.save("Mon 09:00", end_user()).save("Mon 09:45", priority=Priority.NORMAL)
    result = ticket.evaluate("Mon 12:00")
    frt = instance(result, M.FIRST_REPLY_TIME)
    assert (show(frt.breach_at), frt.breached, show(result.next_breach_at)) == (
        "Mon 17:00",
        False,
        "Mon 17:00",
    )


# --- §10.11 agent-created tickets -----------------------------------------------------------

FRT_SETTINGS = "first_reply_time"


@pytest.mark.parametrize(
    ("comment", "flags", "has_frt"),
    [
        (end_user(), {}, True),
        (agent(), {}, False),
        (agent(public=False), {}, False),
        (agent(), {FRT_SETTINGS: {"activate_on_ticket_created_for_end_user": True}}, True),
        (
            agent(public=False),
            {FRT_SETTINGS: {"activate_on_ticket_created_for_end_user": True}},
            False,
        ),
        (
            agent(public=False),
            {
                FRT_SETTINGS: {
                    "activate_on_agent_ticket_created_for_end_user_with_internal_note": True
                }
            },
            True,
        ),
        (agent(via_email_forward=True), {}, True),
        (agent(public=False, light_agent=True, via_email_forward=True), {}, False),
        (
            agent(public=False, light_agent=True, via_email_forward=True),
            {FRT_SETTINGS: {"activate_on_light_agent_on_email_forward_ticket_from_end_user": True}},
            True,
        ),
    ],
)
def test_agent_created_ticket_gets_first_reply_only_with_settings(
    comment: Comment, flags: dict[str, dict[str, bool]], has_frt: bool
) -> None:
    ticket = Ticket((policy(settings=flags),)).save("Mon 09:00", comment)
    result = ticket.evaluate("Mon 10:00")
    frts = [i for i in result.instances if i.metric is M.FIRST_REPLY_TIME]
    assert bool(frts) is has_frt
    if has_frt:
        assert show(frts[0].breach_at) == "Mon 17:00"


def test_agent_ticket_for_self_needs_setting_and_creator_cannot_fulfil() -> None:
    flags = {FRT_SETTINGS: {"activate_on_agent_created_ticket_for_self": True}}
    for settings, expected in (({}, 0), (flags, 1)):
        ticket = Ticket((policy(settings=settings),), requester=AGENT, requester_role=Role.AGENT)
        ticket.save("Mon 09:00", agent())
        ticket.save("Mon 10:00", agent())  # the requester-agent answers their own ticket
        result = ticket.evaluate("Mon 11:00")
        frts = [i for i in result.instances if i.metric is M.FIRST_REPLY_TIME]
        assert len(frts) == expected
        if frts:
            assert frts[0].stage is Stage.ACTIVE
            ticket.save("Mon 11:00", agent(author=OTHER_AGENT))
            assert instance(ticket.evaluate("Mon 11:00"), M.FIRST_REPLY_TIME).stage is (
                Stage.ACHIEVED
            )


def test_end_user_reply_on_agent_created_ticket_starts_next_reply_not_first() -> None:
    ticket = Ticket((policy(),)).save("Mon 09:00", agent(), S.PENDING)
    ticket.save("Mon 10:00", end_user(), S.OPEN)
    result = ticket.evaluate("Mon 11:00")
    reply = [
        (i.metric, i.instance_id)
        for i in result.instances
        if i.metric in (M.FIRST_REPLY_TIME, M.NEXT_REPLY_TIME)
    ]
    assert reply == [(M.NEXT_REPLY_TIME, 2)]
    assert show(instance(result, M.NEXT_REPLY_TIME, 2).breach_at) == "Mon 14:00"


# --- §10.12 private notes --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("flags", "frt_done", "nrt_done"),
    [
        ({}, False, False),
        ({"first_reply_time": {"fulfill_on_agent_internal_note": True}}, True, False),
        (
            {
                "next_reply_time": {
                    "fulfill_on_non_requesting_agent_internal_note_after_activation": True
                }
            },
            False,
            True,
        ),
    ],
)
def test_private_note_fulfils_reply_metrics_only_with_settings(
    flags: dict[str, dict[str, bool]], frt_done: bool, nrt_done: bool
) -> None:
    first = Ticket((policy(settings=flags),)).save("Mon 09:00", end_user())
    first.save("Mon 10:00", agent(public=False), S.OPEN)
    frt = instance(first.evaluate("Mon 11:00"), M.FIRST_REPLY_TIME)
    assert (frt.stage is Stage.ACHIEVED) is frt_done

    second = Ticket((policy(settings=flags),)).save("Mon 09:00", end_user())
    second.save("Mon 10:00", agent(), S.OPEN)
    second.save("Mon 11:00", end_user())
    second.save("Mon 12:00", agent(public=False))
    nrt = instance(second.evaluate("Mon 13:00"), M.NEXT_REPLY_TIME, 2)
    assert (nrt.stage is Stage.ACHIEVED) is nrt_done
    assert show(nrt.fulfilled_at) == ("Mon 12:00" if nrt_done else None)


# --- §4.1 / §4.2 badge rounding (H4) ---------------------------------------------------------


@pytest.mark.parametrize(
    ("left", "expected"),
    [
        (timedelta(hours=1, minutes=30), ("minutes", 90)),
        (timedelta(hours=1, minutes=31), ("hours", 2)),
        (timedelta(hours=36, minutes=30), ("hours", 36)),
        (timedelta(hours=36, minutes=31), ("days", 2)),
        (timedelta(0), ("minutes", 0)),
        (timedelta(seconds=30), ("minutes", 0)),
        (timedelta(seconds=31), ("minutes", 1)),
        (timedelta(minutes=59, seconds=59), ("minutes", 60)),
        (timedelta(hours=2, minutes=30), ("hours", 2)),
        (timedelta(hours=2, minutes=31), ("hours", 3)),
        (timedelta(days=2, hours=12), ("days", 2)),
        (timedelta(days=2, hours=12, seconds=1), ("days", 3)),
        (-timedelta(seconds=30), ("minutes", 0)),
        (-timedelta(minutes=5), ("minutes", -5)),
        (-timedelta(hours=1, minutes=30), ("minutes", -90)),
        (-timedelta(hours=1, minutes=31), ("hours", -2)),
        (-timedelta(hours=36, minutes=31), ("days", -2)),
        (-timedelta(days=141), ("days", -141)),
    ],
)
def test_remaining_display_rounds_like_zendesk_badges(
    left: timedelta, expected: tuple[str, int]
) -> None:
    now = at("Mon 09:00")
    assert remaining_display(now + left, now) == expected

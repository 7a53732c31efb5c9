"""Group ownership time (Group SLAs): hand-offs, reopen, pauses, custom statuses, business
hours, policy edits, properties of random histories checked against a plain oracle, and the
state carried between saves.

Times are in the week starting Monday 2024-03-04 (UTC) unless a test says otherwise.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, timedelta
from typing import Any, Literal
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from policies.engine.business_time import Holiday, Schedule, WeeklyInterval
from policies.engine.group_ownership import (
    GROUP_OWNERSHIP_TIME,
    GROUP_STATE_VERSION,
    NO_PAUSE,
    GroupEventType,
    GroupMetricEvent,
    GroupOwnership,
    GroupOwnershipReplay,
    GroupPolicySpec,
    GroupSla,
    evaluate_group_ownership,
)
from policies.engine.history import SAME_SCHEDULE, TicketUpdate
from policies.engine.metrics import EventType as MetricEventType
from policies.engine.metrics import HistoryError, Stage, StateError
from policies.engine.types import PolicySpec, Target, TicketFacts
from policies.engine.vocabulary import Priority, StatusCategory
from tests.engine.test_metrics import H, agent, at, end_user
from tests.engine.test_metrics import Ticket as SlaTicket
from tests.engine.test_metrics import policy as sla_policy
from tests.engine.test_metrics import stream as metric_stream

S = StatusCategory
E = GroupEventType
TIER1, TIER2, TIER3 = 6, 7, 8
ALICE, BOB = 100, 101
WAITING_ON_VENDOR, WAITING_ON_VENDOR_2, WAITING_ON_CUSTOMERS_IT = 51, 52, 53
PENDING_AND_HOLD = frozenset({S.PENDING, S.HOLD})


def group_policy(
    policy_id: str,
    groups: Sequence[int],
    hours: float | dict[Priority, float],
    *,
    business: bool = False,
) -> GroupPolicySpec:
    """A group SLA policy for `groups` with one ownership target (hours) per priority."""
    table = hours if isinstance(hours, dict) else {Priority.NORMAL: hours}
    members = frozenset(groups)
    return GroupPolicySpec(
        id=policy_id,
        title=f"Policy {policy_id}",
        description=None,
        position=1,
        matches=lambda facts: facts.group_id in members,
        targets={p: Target(round(h * H), business) for p, h in table.items()},
    )


TIER1_2H = group_policy("01TIER1", [TIER1], 2)
TIER2_2H = group_policy("01TIER2", [TIER2], 2)
POLICIES = (TIER1_2H, TIER2_2H)


@dataclass
class Ticket:
    """A history built one save at a time; fields not given keep their value."""

    facts: TicketFacts = field(
        default_factory=lambda: TicketFacts(ticket_id=1, status=S.NEW, priority=Priority.NORMAL)
    )
    updates: list[TicketUpdate] = field(default_factory=list)

    def save(
        self,
        when: str | datetime,
        *,
        edit: bool = False,
        schedule: Schedule | None | Literal["same"] = "same",
        **fields: object,
    ) -> Ticket:
        self.facts = replace(self.facts, **fields)  # type: ignore[arg-type]
        moment = at(when) if isinstance(when, str) else when
        self.updates.append(
            TicketUpdate(
                moment,
                self.facts,
                None,
                (),
                SAME_SCHEDULE if schedule == "same" else schedule,
                edit,
            )
        )
        return self

    def evaluate(
        self,
        now: str | datetime,
        policies: Sequence[GroupPolicySpec] = POLICIES,
        *,
        schedule: Schedule | None = None,
        paused_in: frozenset[StatusCategory] = NO_PAUSE,
    ) -> GroupSla:
        return evaluate_group_ownership(
            self.updates,
            policies,
            schedule=schedule,
            now=at(now) if isinstance(now, str) else now,
            paused_in=paused_in,
        )


def summary(result: GroupSla) -> list[tuple[int, int, Stage, int, bool]]:
    """(group, instance, stage, elapsed calendar seconds, breached) per instance."""
    return [
        (i.group_id, i.instance_id, i.stage, i.elapsed_calendar_seconds, i.breached)
        for i in result.instances
    ]


def stream(result: GroupSla) -> list[tuple[str, int, str]]:
    """The events as (time, instance id, type), with `time` as the test week's 'Mon 10:00'."""
    return [(clock(e.time), e.instance_id, e.type.value) for e in result.events]


def clock(moment: datetime) -> str:
    day = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"][moment.weekday()]
    return f"{day} {moment.astimezone(UTC):%H:%M}"


# -- hand-offs -----------------------------------------------------------------------------


def test_a_to_b_to_a_gives_each_group_its_own_instance_and_time() -> None:
    ticket = Ticket().save("Mon 09:00", group_id=TIER1)
    ticket.save("Mon 10:00", group_id=TIER2, status=S.OPEN)
    ticket.save("Mon 13:00", group_id=TIER1)
    result = ticket.evaluate("Mon 14:00")

    assert summary(result) == [
        (TIER1, 1, Stage.ACHIEVED, 1 * H, False),
        (TIER2, 2, Stage.ACHIEVED, 3 * H, True),
        (TIER1, 3, Stage.ACTIVE, 1 * H, False),
    ]
    first, second, third = result.instances
    assert (first.fulfilled_at, first.ended_by) == (at("Mon 10:00"), f"reassigned to group {TIER2}")
    assert (first.breach_at, first.policy_id) == (at("Mon 11:00"), "01TIER1")
    # Tier 2 held it past its two hours: breached at its deadline, ended by the hand-back.
    assert (second.breach_at, second.breached_at) == (at("Mon 12:00"), at("Mon 12:00"))
    assert second.ended_by == f"reassigned to group {TIER1}"
    # Back with Tier 1: a new clock from the hand-back, not the rest of its first stretch.
    assert (third.activated_at, third.breach_at) == (at("Mon 13:00"), at("Mon 15:00"))
    assert result.next_breach_at == at("Mon 15:00")
    assert result.policy is TIER1_2H
    assert stream(result) == [
        ("Mon 09:00", 1, "activate"),
        ("Mon 09:00", 1, "apply_group_sla"),
        ("Mon 10:00", 1, "fulfill"),
        ("Mon 10:00", 1, "update_status"),
        ("Mon 10:00", 2, "activate"),
        ("Mon 10:00", 2, "apply_group_sla"),
        ("Mon 12:00", 2, "breach"),
        ("Mon 13:00", 2, "fulfill"),
        ("Mon 13:00", 2, "update_status"),
        ("Mon 13:00", 3, "activate"),
        ("Mon 13:00", 3, "apply_group_sla"),
    ]
    statuses = [e.status for e in result.events if e.type is E.UPDATE_STATUS]
    assert statuses == [{"calendar": 60, "business": 60}, {"calendar": 180, "business": 180}]


def test_events_carry_zendesks_metric_name_and_group_sla_payload() -> None:
    result = Ticket().save("Mon 09:00", group_id=TIER1).evaluate("Mon 09:30")
    applied = [e for e in result.events if e.type is E.APPLY_GROUP_SLA]
    assert applied == [
        GroupMetricEvent(
            instance_id=1,
            type=E.APPLY_GROUP_SLA,
            time=at("Mon 09:00"),
            group_sla={
                "target": 120,
                "target_in_seconds": 2 * H,
                "business_hours": False,
                "policy": {"id": "01TIER1", "title": "Policy 01TIER1", "description": None},
            },
        )
    ]
    assert {e.metric for e in result.events} == {GROUP_OWNERSHIP_TIME} == {"group_ownership_time"}


def test_reassignment_within_a_group_starts_nothing() -> None:
    ticket = Ticket().save("Mon 09:00", group_id=TIER1)
    ticket.save("Mon 09:30", assignee_id=ALICE, status=S.OPEN)
    ticket.save("Mon 10:00", assignee_id=BOB)
    ticket.save("Mon 10:30", assignee_id=None)
    result = ticket.evaluate("Mon 11:30")
    assert summary(result) == [(TIER1, 1, Stage.ACTIVE, 2.5 * H, True)]
    assert stream(result) == [
        ("Mon 09:00", 1, "activate"),
        ("Mon 09:00", 1, "apply_group_sla"),
        ("Mon 11:00", 1, "breach"),
    ]


def test_a_ticket_without_a_group_has_no_ownership_until_assigned() -> None:
    ticket = Ticket().save("Mon 09:00")
    ticket.save("Mon 10:00", status=S.OPEN)
    ticket.save("Mon 11:00", group_id=TIER2)
    ticket.save("Mon 12:00", group_id=None)
    result = ticket.evaluate("Mon 15:00")
    assert summary(result) == [(TIER2, 1, Stage.ACHIEVED, 1 * H, False)]
    assert result.instances[0].ended_by == "group removed"
    assert result.next_breach_at is None


def test_a_group_without_a_policy_is_measured_without_a_target() -> None:
    ticket = Ticket().save("Mon 09:00", group_id=TIER3)
    result = ticket.evaluate("Tue 09:00")
    (only,) = result.instances
    assert (only.target, only.policy_id, only.breach_at, only.breached) == (None, None, None, False)
    assert only.elapsed_calendar_seconds == 24 * H
    assert result.policy is None
    assert stream(result) == [("Mon 09:00", 1, "activate")]


def test_no_priority_means_no_target_and_a_priority_set_later_counts_from_assignment() -> None:
    ticket = Ticket().save("Mon 09:00", group_id=TIER1, priority=None)
    ticket.save("Mon 12:00", priority=Priority.NORMAL)
    result = ticket.evaluate("Mon 12:30")
    (only,) = result.instances
    # The target arrives at 12:00, its deadline (11:00) is past: breached then, not back-dated.
    assert (only.breach_at, only.breached_at) == (at("Mon 11:00"), at("Mon 12:00"))
    assert stream(result)[-2:] == [
        ("Mon 12:00", 1, "apply_group_sla"),
        ("Mon 12:00", 1, "breach"),
    ]


def test_the_first_matching_group_policy_wins() -> None:
    wide = group_policy("01WIDE", [TIER1, TIER2], 8)
    result = Ticket().save("Mon 09:00", group_id=TIER1).evaluate("Mon 09:30", (wide, TIER1_2H))
    assert result.instances[0].breach_at == at("Mon 17:00")
    assert result.instances[0].policy_id == "01WIDE"


# -- solved and reopened -------------------------------------------------------------------


def test_solve_ends_ownership_and_a_reopen_starts_a_new_instance_for_the_group() -> None:
    ticket = Ticket().save("Mon 09:00", group_id=TIER1)
    ticket.save("Mon 10:00", status=S.SOLVED)
    ticket.save("Mon 12:00", status=S.OPEN)
    result = ticket.evaluate("Mon 13:30")
    assert summary(result) == [
        (TIER1, 1, Stage.ACHIEVED, 1 * H, False),
        (TIER1, 2, Stage.ACTIVE, 1.5 * H, False),
    ]
    assert result.instances[0].ended_by == "ticket solved"
    assert result.instances[1].breach_at == at("Mon 14:00")
    assert stream(result)[2:] == [
        ("Mon 10:00", 1, "fulfill"),
        ("Mon 10:00", 1, "update_status"),
        ("Mon 12:00", 2, "activate"),
        ("Mon 12:00", 2, "apply_group_sla"),
    ]


def test_a_group_changed_while_solved_owns_the_reopened_ticket() -> None:
    ticket = Ticket().save("Mon 09:00", group_id=TIER1, status=S.OPEN)
    ticket.save("Mon 10:00", status=S.SOLVED)
    ticket.save("Mon 11:00", group_id=TIER2)
    ticket.save("Mon 12:00", status=S.OPEN)
    ticket.save("Mon 13:00", status=S.CLOSED)
    result = ticket.evaluate("Tue 09:00")
    assert summary(result) == [
        (TIER1, 1, Stage.ACHIEVED, 1 * H, False),
        (TIER2, 2, Stage.ACHIEVED, 1 * H, False),
    ]
    assert result.instances[1].ended_by == "ticket closed"


def test_a_ticket_created_solved_is_never_owned() -> None:
    result = Ticket().save("Mon 09:00", group_id=TIER1, status=S.SOLVED).evaluate("Mon 12:00")
    assert result.instances == ()
    assert result.events == ()


# -- pending and on-hold -------------------------------------------------------------------


def test_by_default_pending_and_on_hold_do_not_pause_ownership() -> None:
    ticket = Ticket().save("Mon 09:00", group_id=TIER1, status=S.OPEN)
    ticket.save("Mon 09:30", status=S.PENDING)
    ticket.save("Mon 10:00", status=S.HOLD)
    ticket.save("Mon 10:30", status=S.OPEN)
    result = ticket.evaluate("Mon 11:30")
    assert summary(result) == [(TIER1, 1, Stage.ACTIVE, 2.5 * H, True)]
    assert result.instances[0].paused_seconds == 0
    assert E.PAUSE not in {e.type for e in result.events}


def test_pausing_categories_stop_the_clock_and_move_the_deadline() -> None:
    ticket = Ticket().save("Mon 09:00", group_id=TIER1, status=S.OPEN)
    ticket.save("Mon 09:30", status=S.PENDING)
    ticket.save("Mon 10:00", status=S.HOLD)
    paused = ticket.evaluate("Mon 10:15", paused_in=PENDING_AND_HOLD)
    (instance,) = paused.instances
    assert (instance.stage, instance.breach_at, paused.next_breach_at) == (Stage.PAUSED, None, None)
    assert (instance.elapsed_calendar_seconds, instance.paused_seconds) == (30 * 60, 45 * 60)

    ticket.save("Mon 10:30", status=S.OPEN)
    result = ticket.evaluate("Mon 11:30", paused_in=PENDING_AND_HOLD)
    (instance,) = result.instances
    assert (instance.stage, instance.breach_at) == (Stage.ACTIVE, at("Mon 12:00"))
    assert (instance.elapsed_calendar_seconds, instance.paused_seconds) == (1.5 * H, 1 * H)
    assert stream(result)[2:] == [("Mon 09:30", 1, "pause"), ("Mon 10:30", 1, "activate")]


def test_a_hand_off_while_paused_closes_the_pause_and_starts_the_new_group_paused() -> None:
    ticket = Ticket().save("Mon 09:00", group_id=TIER1, status=S.OPEN)
    ticket.save("Mon 10:00", status=S.HOLD)
    ticket.save("Mon 11:00", group_id=TIER2)
    ticket.save("Mon 11:30", status=S.OPEN)
    result = ticket.evaluate("Mon 12:00", paused_in=PENDING_AND_HOLD)
    first, second = result.instances
    assert (first.elapsed_calendar_seconds, first.paused_seconds) == (1 * H, 1 * H)
    assert (second.elapsed_calendar_seconds, second.paused_seconds) == (30 * 60, 30 * 60)
    assert second.breach_at == at("Mon 13:30")
    assert stream(result)[2:] == [
        ("Mon 10:00", 1, "pause"),
        ("Mon 11:00", 1, "fulfill"),
        ("Mon 11:00", 1, "update_status"),
        ("Mon 11:00", 2, "activate"),
        ("Mon 11:00", 2, "pause"),
        ("Mon 11:00", 2, "apply_group_sla"),
        ("Mon 11:30", 2, "activate"),
    ]


# -- custom statuses -----------------------------------------------------------------------


def test_a_pause_inside_a_custom_status_follows_its_category() -> None:
    """'Waiting on vendor' (hold category), then another hold status, then open."""
    ticket = Ticket().save("Mon 09:00", group_id=TIER1, status=S.OPEN)
    ticket.save("Mon 09:30", status=S.HOLD, custom_status_id=WAITING_ON_VENDOR)
    ticket.save("Mon 10:00", custom_status_id=WAITING_ON_VENDOR_2)  # same category
    ticket.save("Mon 11:00", status=S.OPEN, custom_status_id=None)
    held = ticket.evaluate("Mon 12:00", paused_in=frozenset({S.HOLD}))
    (instance,) = held.instances
    assert (instance.elapsed_calendar_seconds, instance.paused_seconds) == (1.5 * H, 1.5 * H)
    assert instance.breach_at == at("Mon 11:30") + timedelta(hours=1)
    # The change between two hold statuses at 10:00 touched nothing.
    assert [t for t in stream(held) if t[0] == "Mon 10:00"] == []
    # Read the default way, no custom status pauses ownership.
    (plain,) = ticket.evaluate("Mon 12:00").instances
    assert (plain.elapsed_calendar_seconds, plain.paused_seconds) == (3 * H, 0)


def test_a_custom_status_moved_to_another_category_while_a_ticket_is_in_it() -> None:
    """The status sits in 'open' until an admin moves it to 'hold' at 10:00, and to 'pending'
    at 11:00: each update carries the category of that moment."""
    ticket = Ticket().save("Mon 09:00", group_id=TIER1, status=S.OPEN)
    ticket.save("Mon 09:30", status=S.OPEN, custom_status_id=WAITING_ON_CUSTOMERS_IT)
    ticket.save("Mon 10:00", status=S.HOLD, edit=True)
    ticket.save("Mon 11:00", status=S.PENDING, edit=True)
    only_hold = ticket.evaluate("Mon 11:30", paused_in=frozenset({S.HOLD}))
    (instance,) = only_hold.instances
    # Paused from the move into hold; running again once its category is pending.
    assert (instance.elapsed_calendar_seconds, instance.paused_seconds) == (1.5 * H, 1 * H)
    assert instance.breach_at == at("Mon 12:00")
    assert stream(only_hold)[2:] == [("Mon 10:00", 1, "pause"), ("Mon 11:00", 1, "activate")]
    both = ticket.evaluate("Mon 12:00", paused_in=PENDING_AND_HOLD)
    (instance,) = both.instances
    assert (instance.stage, instance.elapsed_calendar_seconds) == (Stage.PAUSED, 1 * H)
    assert stream(both)[2:] == [("Mon 10:00", 1, "pause")]


# -- business hours ------------------------------------------------------------------------

NY = ZoneInfo("America/New_York")
WEEKDAYS = [WeeklyInterval(1440 * d + 540, 1440 * d + 1020) for d in range(1, 6)]


def ny(day: int, hour: int, minute: int = 0) -> datetime:
    """New York wall time on March `day`, 2024 (DST starts Sunday March 10)."""
    return datetime(2024, 3, day, hour, minute, tzinfo=NY)


def test_business_hours_across_a_dst_change_and_a_holiday() -> None:
    schedule = Schedule(
        "America/New_York", WEEKDAYS, [Holiday(date(2024, 3, 11), date(2024, 3, 11))]
    )
    tier1 = group_policy("01TIER1", [TIER1], 4, business=True)
    tier2 = group_policy("01TIER2", [TIER2], 1, business=True)
    ticket = Ticket().save(ny(8, 16), group_id=TIER1, status=S.OPEN)  # Friday, EST
    waiting = ticket.evaluate(ny(12, 9, 30), (tier1, tier2), schedule=schedule)
    (instance,) = waiting.instances
    # Friday 16-17 (1 h), Monday is a holiday, Tuesday from 09:00 EDT: 3 h more.
    assert instance.breach_at == ny(12, 12)
    assert instance.elapsed_business_seconds == 1.5 * H
    # Friday 16:00 EST to Tuesday 09:30 EDT: 89.5 wall hours, one lost to DST.
    assert instance.elapsed_calendar_seconds == 88.5 * H

    ticket.save(ny(12, 11), group_id=TIER2)
    result = ticket.evaluate(ny(12, 17, 30), (tier1, tier2), schedule=schedule)
    first, second = result.instances
    assert (first.elapsed_business_seconds, first.breached) == (3 * H, False)
    assert first.elapsed_calendar_seconds == 90 * H
    assert [e.status for e in result.events if e.type is E.UPDATE_STATUS] == [
        {"calendar": 90 * 60, "business": 3 * 60}
    ]
    assert (second.breach_at, second.breached_at) == (ny(12, 12), ny(12, 12))
    assert second.elapsed_business_seconds == 6 * H  # 11:00-17:00 business, then closed


def test_a_schedule_switch_measures_the_time_after_it_by_the_new_schedule() -> None:
    nights = [WeeklyInterval(1440 * d, 1440 * d + 540) for d in range(1, 6)]  # 00:00-09:00
    days = Schedule("UTC", WEEKDAYS)
    tier1 = group_policy("01TIER1", [TIER1], 4, business=True)
    ticket = Ticket().save("Mon 15:00", group_id=TIER1, status=S.OPEN)  # 2 business hours to 17
    ticket.save("Mon 18:00", schedule=Schedule("UTC", nights))
    result = ticket.evaluate("Tue 03:00", (tier1,), schedule=days)
    (instance,) = result.instances
    assert instance.breach_at == at("Tue 02:00")  # 2 h under the day schedule, 2 h at night
    assert instance.breached_at == at("Tue 02:00")


def test_a_business_target_on_a_schedule_without_business_time_never_breaches() -> None:
    empty = Schedule("UTC", [], [])
    tier1 = group_policy("01TIER1", [TIER1], 1, business=True)
    result = (
        Ticket().save("Mon 09:00", group_id=TIER1).evaluate("Fri 09:00", (tier1,), schedule=empty)
    )
    (instance,) = result.instances
    assert (instance.breach_at, instance.breached, instance.elapsed_business_seconds) == (
        None,
        False,
        0,
    )


# -- targets changed by policy edits and saves ---------------------------------------------


def test_a_policy_edit_that_shortens_the_target_breaches_at_the_edit_not_before() -> None:
    tier1_8h = group_policy("01TIER1", [TIER1], 8)
    ticket = Ticket().save("Mon 09:00", group_id=TIER1)
    ticket.save("Mon 09:30", status=S.OPEN)
    ticket.save("Mon 12:00", edit=True)
    sets = [(tier1_8h,), (tier1_8h,), (TIER1_2H,)]
    result = evaluate_group_ownership(
        ticket.updates, sets.__getitem__, schedule=None, now=at("Mon 13:00")
    )
    (instance,) = result.instances
    assert (instance.target, instance.breach_at) == (Target(2 * H, False), at("Mon 11:00"))
    assert instance.breached_at == at("Mon 12:00")
    assert stream(result)[-2:] == [("Mon 12:00", 1, "apply_group_sla"), ("Mon 12:00", 1, "breach")]


def test_a_policy_edit_that_lengthens_the_target_moves_a_running_deadline() -> None:
    tier1_8h = group_policy("01TIER1", [TIER1], 8)
    ticket = Ticket().save("Mon 09:00", group_id=TIER1).save("Mon 10:00", edit=True)
    sets = [(TIER1_2H,), (tier1_8h,)]
    result = evaluate_group_ownership(
        ticket.updates, sets.__getitem__, schedule=None, now=at("Mon 12:00")
    )
    assert result.instances[0].breach_at == at("Mon 17:00")
    assert not result.instances[0].breached
    assert result.next_breach_at == at("Mon 17:00")


def test_an_edit_never_undoes_a_recorded_breach_but_a_save_does() -> None:
    tier1_8h = group_policy("01TIER1", [TIER1], 8)
    ticket = Ticket().save("Mon 09:00", group_id=TIER1).save("Mon 12:00", edit=True)
    edited = evaluate_group_ownership(
        ticket.updates, [(TIER1_2H,), (tier1_8h,)].__getitem__, schedule=None, now=at("Mon 13:00")
    )
    (instance,) = edited.instances
    assert (instance.breached_at, instance.breach_at) == (at("Mon 11:00"), at("Mon 17:00"))
    breaches = [e for e in edited.events if e.type is E.BREACH]
    assert [(clock(e.time), e.deleted) for e in breaches] == [("Mon 11:00", False)]

    # The same change made by a save of the ticket (priority high has the long target).
    by_priority = group_policy("01TIER1", [TIER1], {Priority.NORMAL: 2, Priority.HIGH: 8})
    saved = Ticket().save("Mon 09:00", group_id=TIER1).save("Mon 12:00", priority=Priority.HIGH)
    result = saved.evaluate("Mon 13:00", (by_priority,))
    (instance,) = result.instances
    assert (instance.breached, instance.breach_at) == (False, at("Mon 17:00"))
    breaches = [e for e in result.events if e.type is E.BREACH]
    assert [(clock(e.time), e.deleted) for e in breaches] == [("Mon 11:00", True)]


def test_a_save_that_keeps_the_deadline_past_breaches_again_at_the_save() -> None:
    by_priority = group_policy("01TIER1", [TIER1], {Priority.NORMAL: 2, Priority.HIGH: 1})
    ticket = Ticket().save("Mon 09:00", group_id=TIER1).save("Mon 12:00", priority=Priority.HIGH)
    result = ticket.evaluate("Mon 13:00", (by_priority,))
    breaches = [(clock(e.time), e.deleted) for e in result.events if e.type is E.BREACH]
    assert breaches == [("Mon 11:00", False), ("Mon 12:00", False)]
    assert result.instances[0].breach_at == at("Mon 10:00")


def test_a_policy_that_stops_matching_removes_the_target() -> None:
    ticket = Ticket().save("Mon 09:00", group_id=TIER1).save("Mon 10:00", edit=True)
    result = evaluate_group_ownership(
        ticket.updates, [(TIER1_2H,), ()].__getitem__, schedule=None, now=at("Mon 12:00")
    )
    (instance,) = result.instances
    assert (instance.target, instance.breach_at, instance.breached) == (None, None, False)
    assert result.events[-1] == GroupMetricEvent(1, E.APPLY_GROUP_SLA, at("Mon 10:00"))


def test_fulfilment_at_exactly_the_deadline_is_achieved_and_breach_at_now_is_breached() -> None:
    ticket = Ticket().save("Mon 09:00", group_id=TIER1)
    assert ticket.evaluate("Mon 11:00").instances[0].breached
    assert not ticket.evaluate("Mon 10:59").instances[0].breached
    ticket.save("Mon 11:00", group_id=TIER2)
    assert not ticket.evaluate("Mon 11:00").instances[0].breached


def test_bad_histories_are_refused() -> None:
    with pytest.raises(HistoryError):
        evaluate_group_ownership([], POLICIES, schedule=None, now=at("Mon 09:00"))
    ticket = Ticket().save("Mon 10:00", group_id=TIER1)
    with pytest.raises(HistoryError, match="after now"):
        ticket.evaluate("Mon 09:00")
    with pytest.raises(HistoryError, match="earlier"):
        ticket.save("Mon 09:00").evaluate("Mon 12:00")
    naive = Ticket().save(datetime(2024, 3, 4, 9), group_id=TIER1)  # noqa: DTZ001
    with pytest.raises(HistoryError, match="timezone-aware"):
        naive.evaluate("Mon 12:00")


# -- properties ----------------------------------------------------------------------------

GROUPS = [None, TIER1, TIER2, TIER3]
STATUSES = [S.OPEN, S.PENDING, S.HOLD, S.SOLVED, S.CLOSED]
SHORT = (
    group_policy("01TIER1", [TIER1], {Priority.NORMAL: 2, Priority.URGENT: 0.5}),
    group_policy("01TIER2", [TIER2], {Priority.NORMAL: 3, Priority.URGENT: 1}),
)
DAY_SCHEDULE = Schedule("America/New_York", WEEKDAYS)

steps = st.lists(
    st.tuples(
        st.integers(0, 4 * 3600),  # seconds since the previous save (0: same second)
        st.sampled_from(GROUPS),
        st.sampled_from(STATUSES),
        st.sampled_from([None, Priority.NORMAL, Priority.URGENT]),
        st.sampled_from([None, ALICE, BOB]),
        st.booleans(),  # a configuration edit
    ),
    min_size=1,
    max_size=14,
)


def build(
    plan: list[tuple[int, int | None, StatusCategory, Priority | None, int | None, bool]],
) -> Ticket:
    ticket = Ticket()
    moment = at("Mon 08:00")
    for index, (gap, group, status, priority, assignee, edit) in enumerate(plan):
        moment += timedelta(seconds=gap)
        ticket.save(
            moment,
            group_id=group,
            status=status,
            priority=priority,
            assignee_id=assignee,
            edit=edit and index > 0,
        )
    return ticket


def ownership_oracle(
    updates: Sequence[TicketUpdate], now: datetime
) -> list[tuple[int, datetime, datetime | None]]:
    """(group, start, end) of each stretch of ownership, straight from the definition."""
    stretches: list[tuple[int, datetime, datetime | None]] = []
    owner: tuple[int, datetime] | None = None
    for update in updates:
        group = update.facts.group_id
        done = update.facts.status in (S.SOLVED, S.CLOSED)
        if owner is not None and (done or group != owner[0]):
            stretches.append((owner[0], owner[1], update.at))
            owner = None
        if owner is None and group is not None and not done:
            owner = (group, update.at)
    if owner is not None:
        stretches.append((owner[0], owner[1], None))
    return stretches


def open_seconds(updates: Sequence[TicketUpdate], now: datetime) -> int:
    """Time the ticket spent unsolved, whatever its group."""
    total = 0
    for update, after in zip(updates, [*updates[1:], None], strict=True):
        end = after.at if after is not None else now
        if update.facts.status not in (S.SOLVED, S.CLOSED):
            total += int((end - update.at).total_seconds())
    return total


@settings(max_examples=200, deadline=None)
@given(steps, st.integers(0, 10 * 3600), st.sampled_from([NO_PAUSE, PENDING_AND_HOLD]))
def test_ownership_follows_the_definition(
    plan: list[tuple[int, int | None, StatusCategory, Priority | None, int | None, bool]],
    tail: int,
    paused_in: frozenset[StatusCategory],
) -> None:
    ticket = build(plan)
    now = ticket.updates[-1].at + timedelta(seconds=tail)
    result = ticket.evaluate(now, SHORT, paused_in=paused_in)
    expected = ownership_oracle(ticket.updates, now)
    assert [(i.group_id, i.activated_at, i.fulfilled_at) for i in result.instances] == expected
    assert [i.instance_id for i in result.instances] == list(range(1, len(expected) + 1))
    assert sum(i.stage is not Stage.ACHIEVED for i in result.instances) <= 1
    for instance, (_, start, end) in zip(result.instances, expected, strict=True):
        held = int(((end or now) - start).total_seconds())
        assert instance.elapsed_calendar_seconds + instance.paused_seconds == held
        if paused_in == NO_PAUSE:
            assert instance.paused_seconds == 0
    # Group ownership never adds up to more than the ticket's open time.
    total = sum(i.elapsed_calendar_seconds for i in result.instances)
    assert total <= open_seconds(ticket.updates, now)
    # Events come in time order; breaches are never before activation.
    times = [e.time for e in result.events]
    assert times == sorted(times)
    for event in result.events:
        if event.type is E.BREACH:
            assert event.time >= result.instances[event.instance_id - 1].activated_at


@settings(max_examples=150, deadline=None)
@given(
    steps,
    st.integers(0, 14),
    st.integers(0, 6 * 3600),
    st.sampled_from([None, DAY_SCHEDULE]),
    st.sampled_from([NO_PAUSE, PENDING_AND_HOLD]),
)
def test_replaying_a_prefix_then_the_rest_equals_the_whole(
    plan: list[tuple[int, int | None, StatusCategory, Priority | None, int | None, bool]],
    cut: int,
    tail: int,
    schedule: Schedule | None,
    paused_in: frozenset[StatusCategory],
) -> None:
    ticket = build(plan)
    updates = ticket.updates
    cut = min(cut, len(updates) - 1) + 1  # the creation is always in the prefix
    now = updates[-1].at + timedelta(seconds=tail)
    whole = evaluate_group_ownership(
        updates, SHORT, schedule=schedule, now=now, paused_in=paused_in
    )

    replay = GroupOwnershipReplay(SHORT, schedule=schedule, paused_in=paused_in)
    replay.feed(updates[:cut])
    # Read up to the next update (breaches due by then included): reading changes nothing.
    read_at = updates[cut].at if cut < len(updates) else now
    between = replay.result(read_at)
    replay.feed(updates[cut:])
    assert replay.result(now) == whole
    # What the prefix saw before that moment stays in the whole stream.
    seen = [replace(e, deleted=False) for e in between.events if e.time < read_at]
    assert [replace(e, deleted=False) for e in whole.events[: len(seen)]] == seen


def instance_named(result: GroupSla, instance_id: int) -> GroupOwnership:
    return next(i for i in result.instances if i.instance_id == instance_id)


def test_the_oracle_splits_ownership_at_each_hand_off() -> None:
    """The oracle sees a hand-off: a replay that kept one instance per group would differ."""
    ticket = Ticket().save("Mon 09:00", group_id=TIER1).save("Mon 10:00", group_id=TIER2)
    ticket.save("Mon 11:00", group_id=TIER1)
    expected = ownership_oracle(ticket.updates, at("Mon 12:00"))
    assert [(g, clock(s)) for g, s, _ in expected] == [
        (TIER1, "Mon 09:00"),
        (TIER2, "Mon 10:00"),
        (TIER1, "Mon 11:00"),
    ]
    assert instance_named(ticket.evaluate("Mon 12:00"), 3).activated_at == at("Mon 11:00")
    assert open_seconds(ticket.updates, at("Mon 12:00")) == 3 * H


# -- carried state -------------------------------------------------------------------------

NIGHT_SCHEDULE = Schedule("UTC", [WeeklyInterval(1440 * d, 1440 * d + 540) for d in range(1, 6)])
POLICY_SETS: list[Sequence[GroupPolicySpec]] = [
    SHORT,
    (
        group_policy(
            "01TIER1", [TIER1], {Priority.NORMAL: 1, Priority.URGENT: 0.25}, business=True
        ),
        group_policy("01TIER2", [TIER2], {Priority.NORMAL: 6, Priority.URGENT: 2}),
    ),
    (group_policy("01WIDE", [TIER1, TIER2, TIER3], 8, business=True),),
    (),
]
SWITCHES: list[Schedule | None | Literal["same"]] = [
    "same",
    "same",
    None,
    DAY_SCHEDULE,
    NIGHT_SCHEDULE,
]

carried_steps = st.lists(
    st.tuples(
        # Seconds since the previous save (0: same second), often a target's length or more.
        st.one_of(st.sampled_from([0, 15 * 60, 1 * H, 2 * H, 3 * H, 7 * H]), st.integers(0, 9 * H)),
        # Each field often kept ("same"), so an instance lives across saves.
        st.sampled_from([*["same"] * 4, *GROUPS]),
        st.sampled_from([*["same"] * 4, S.NEW, *STATUSES]),
        st.sampled_from(["same", "same", None, Priority.NORMAL, Priority.URGENT]),
        st.booleans(),  # a configuration edit
        # The group policies from this update on (None: those before, an edit's case).
        st.sampled_from([None, None, None, *range(len(POLICY_SETS))]),
        st.sampled_from(SWITCHES),  # the schedule from this update on
    ),
    min_size=1,
    max_size=24,
)


def stored_since(
    stored: list[GroupMetricEvent], last_at: datetime | None, result: GroupSla
) -> list[GroupMetricEvent]:
    """The event store after a save: what was stored up to the state's last update (breaches
    stored as due after it are decided again), the breaches the save retracted marked
    deleted, and the save's events added."""
    kept = [e for e in stored if last_at is None or e.time <= last_at]
    retracted = set(result.retracted)
    marked = [
        replace(e, deleted=True)
        if e.type is E.BREACH and (e.instance_id, e.time) in retracted
        else e
        for e in kept
    ]
    return [*marked, *result.events]


@settings(max_examples=300, deadline=None)
@given(
    carried_steps,
    st.integers(0, 6 * 3600),
    st.sampled_from([None, DAY_SCHEDULE]),
    st.sampled_from([NO_PAUSE, PENDING_AND_HOLD]),
)
def test_a_replay_carried_through_its_state_save_by_save_equals_the_whole_replay(
    plan: list[
        tuple[
            int,
            int | None | Literal["same"],
            StatusCategory | Literal["same"],
            Priority | None | Literal["same"],
            bool,
            int | None,
            Schedule | None | Literal["same"],
        ]
    ],
    tail: int,
    schedule: Schedule | None,
    paused_in: frozenset[StatusCategory],
) -> None:
    ticket = Ticket()
    moment = at("Mon 08:00")
    for index, (gap, group, status, priority, edit, _, switch) in enumerate(plan):
        moment += timedelta(seconds=gap)
        changes = {"group_id": group, "status": status, "priority": priority}
        ticket.save(
            moment,
            edit=edit and index > 0,
            schedule=switch if index > 0 else "same",
            **{name: value for name, value in changes.items() if value != "same"},
        )
    updates = ticket.updates
    sets: list[Sequence[GroupPolicySpec]] = []
    for step in plan:
        sets.append(POLICY_SETS[step[5]] if step[5] is not None else sets[-1] if sets else SHORT)
    policies_at = sets.__getitem__

    state: dict[str, Any] | None = None
    in_force = schedule  # the schedule after the state's last update
    stored: list[GroupMetricEvent] = []
    settled: set[int] = set()
    for index, update in enumerate(updates):
        now = (
            updates[index + 1].at
            if index + 1 < len(updates)
            else update.at + timedelta(seconds=tail)
        )
        whole = evaluate_group_ownership(
            updates[: index + 1], policies_at, schedule=schedule, now=now, paused_in=paused_in
        )
        if state is None:
            replay = GroupOwnershipReplay(policies_at, schedule=schedule, paused_in=paused_in)
        else:
            carried = json.loads(json.dumps(state, allow_nan=False))
            replay = GroupOwnershipReplay.load(
                carried, policies_at, schedule=in_force, paused_in=paused_in
            )
        replay.feed([update])
        result = replay.result(now)
        state = replay.dump()
        if update.schedule is not SAME_SCHEDULE:
            in_force = update.schedule
        # Read straight after loading, the state reports what the replay it came from did.
        loaded = GroupOwnershipReplay.load(
            json.loads(json.dumps(state)), policies_at, schedule=in_force, paused_in=paused_in
        ).result(now)
        assert loaded.instances == tuple(
            i for i in result.instances if i.stage is not Stage.ACHIEVED
        )
        assert loaded.events == tuple(e for e in result.events if e.time > update.at)
        assert (loaded.policy, loaded.next_breach_at) == (result.policy, result.next_breach_at)

        # The instance open at the state and those started since, exactly as the whole replay.
        assert result.instances == tuple(i for i in whole.instances if i.instance_id not in settled)
        settled |= {i.instance_id for i in whole.instances if i.stage is Stage.ACHIEVED}
        # The events since the state, with the earlier ones stored, make the whole stream.
        stored = stored_since(stored, updates[index - 1].at if index else None, result)
        assert stored == list(whole.events)
        assert (result.policy, result.next_breach_at) == (whole.policy, whole.next_breach_at)


def test_a_continued_save_that_undoes_an_earlier_breach_retracts_it() -> None:
    by_priority = group_policy("01TIER1", [TIER1], {Priority.NORMAL: 2, Priority.HIGH: 8})
    ticket = Ticket().save("Mon 09:00", group_id=TIER1).save("Mon 12:00", status=S.OPEN)
    replay = GroupOwnershipReplay((by_priority,), schedule=None, paused_in=PENDING_AND_HOLD)
    replay.feed(ticket.updates)
    assert stream(replay.result(at("Mon 12:00")))[2:] == [("Mon 11:00", 1, "breach")]
    state = json.loads(json.dumps(replay.dump()))
    ticket.save("Mon 12:30", status=S.HOLD).save("Mon 12:45", status=S.OPEN)
    ticket.save("Mon 13:00", priority=Priority.HIGH)
    continued = GroupOwnershipReplay.load(
        state, (by_priority,), schedule=None, paused_in=PENDING_AND_HOLD
    )
    continued.feed(ticket.updates[2:])
    result = continued.result(at("Mon 14:00"))
    whole = ticket.evaluate("Mon 14:00", (by_priority,), paused_in=PENDING_AND_HOLD)
    # The stored breach is retracted; the save's own events are new and stand.
    assert result.retracted == ((1, at("Mon 11:00")),)
    assert whole.events[2] == GroupMetricEvent(1, E.BREACH, at("Mon 11:00"), deleted=True)
    assert result.events == whole.events[3:]
    assert stream(result) == [
        ("Mon 12:30", 1, "pause"),
        ("Mon 12:45", 1, "activate"),
        ("Mon 13:00", 1, "apply_group_sla"),
    ]
    assert result.instances == whole.instances
    assert (whole.instances[0].breached, whole.instances[0].breach_at) == (False, at("Mon 17:15"))


def test_stretches_carried_under_an_earlier_schedule_keep_its_measure() -> None:
    """Time run under the day schedule, carried through a switch to nights, sets a deadline
    when an edit shortens the target below it: measured by the day schedule still."""
    long_target = (group_policy("01TIER1", [TIER1], 4, business=True),)
    short_target = (group_policy("01TIER1", [TIER1], 0.5, business=True),)
    sets = [long_target, long_target, long_target, short_target]
    ticket = Ticket().save("Mon 13:00", group_id=TIER1, status=S.OPEN)
    ticket.save("Mon 14:00", status=S.HOLD)  # one business hour run under the day schedule
    ticket.save("Mon 15:00", status=S.OPEN, schedule=NIGHT_SCHEDULE)
    ticket.save("Mon 16:00", edit=True)
    days = Schedule("UTC", WEEKDAYS)
    whole = evaluate_group_ownership(
        ticket.updates,
        sets.__getitem__,
        schedule=days,
        now=at("Mon 17:00"),
        paused_in=PENDING_AND_HOLD,
    )
    (instance,) = whole.instances
    assert (instance.breach_at, instance.breached_at) == (at("Mon 13:30"), at("Mon 16:00"))

    replay = GroupOwnershipReplay(sets.__getitem__, schedule=days, paused_in=PENDING_AND_HOLD)
    replay.feed(ticket.updates[:2])
    results = []
    for update, schedule in zip(ticket.updates[2:], [days, NIGHT_SCHEDULE], strict=True):
        state = json.loads(json.dumps(replay.dump()))
        replay = GroupOwnershipReplay.load(
            state, sets.__getitem__, schedule=schedule, paused_in=PENDING_AND_HOLD
        )
        replay.feed([update])
        results.append(replay.result(at("Mon 17:00")))
    assert results[-1].instances == whole.instances
    assert [*results[0].events, *results[1].events] == list(whole.events[-3:])
    assert stream(results[1]) == [("Mon 16:00", 1, "apply_group_sla"), ("Mon 16:00", 1, "breach")]


def hand_offs(count: int) -> dict[str, Any]:
    """The state after `count` hand-offs between tier 1 and 2, each held past its target with a
    pause in it, the last group still holding the ticket paused."""
    ticket = Ticket().save("Mon 08:00", group_id=TIER1, status=S.OPEN)
    moment = at("Mon 08:00")
    for n in range(count):
        ticket.save(moment + timedelta(minutes=30), status=S.HOLD)
        ticket.save(moment + timedelta(minutes=45), status=S.OPEN)
        moment += timedelta(hours=4)
        ticket.save(moment, group_id=TIER2 if n % 2 == 0 else TIER1)
    ticket.save(moment + timedelta(minutes=10), status=S.PENDING)
    replay = GroupOwnershipReplay(POLICIES, schedule=None, paused_in=PENDING_AND_HOLD)
    replay.feed(ticket.updates)
    assert len(replay.result(moment + timedelta(hours=1)).instances) == count + 1
    return replay.dump()


def test_the_state_does_not_grow_with_settled_hand_offs() -> None:
    small, large = hand_offs(2), hand_offs(200)
    # The same open instance's fields; only the counters' and times' digits may differ.
    assert small.keys() == large.keys()
    assert small["open"].keys() == large["open"].keys()
    assert (large["started"], small["started"]) == (201, 3)
    assert abs(len(json.dumps(large)) - len(json.dumps(small))) <= 12


def carried_state() -> dict[str, Any]:
    ticket = Ticket().save("Mon 09:00", group_id=TIER1, status=S.OPEN)
    ticket.save("Mon 10:00", status=S.HOLD, schedule=NIGHT_SCHEDULE)
    replay = GroupOwnershipReplay(POLICIES, schedule=None, paused_in=PENDING_AND_HOLD)
    replay.feed(ticket.updates)
    state: dict[str, Any] = json.loads(json.dumps(replay.dump()))
    # A good state loads and continues.
    continued = GroupOwnershipReplay.load(
        state, POLICIES, schedule=NIGHT_SCHEDULE, paused_in=PENDING_AND_HOLD
    )
    assert continued.result(at("Mon 11:00")).instances[0].paused_seconds == 1 * H
    return state


def test_a_state_of_another_version_is_refused() -> None:
    state = carried_state()
    with pytest.raises(StateError, match="another version"):
        GroupOwnershipReplay.load(
            {**state, "version": GROUP_STATE_VERSION + 1}, POLICIES, schedule=None
        )
    without = {key: value for key, value in state.items() if key != "version"}
    with pytest.raises(StateError, match="another version"):
        GroupOwnershipReplay.load(without, POLICIES, schedule=None)


@pytest.mark.parametrize(
    "damage",
    [
        lambda state: {key: value for key, value in state.items() if key != "last_at"},
        lambda state: {**state, "last_at": "yesterday"},
        lambda state: {**state, "seq": -1},
        lambda state: {**state, "started": 0},
        lambda state: {**state, "open": {**state["open"], "group": "tier one"}},
        lambda state: {**state, "open": {**state["open"], "pauses": [[None, None]]}},
        lambda state: {**state, "open": {**state["open"], "pauses": []}},
        lambda state: {**state, "open": {**state["open"], "closed": "09:00-10:00"}},
        lambda state: {**state, "open": {**state["open"], "breaches": [[1]]}},
        lambda state: {**state, "applied": "01GONE"},
        lambda state: ["not", "a", "state"],
    ],
)
def test_a_damaged_state_is_refused(damage: Any) -> None:
    with pytest.raises(StateError):
        GroupOwnershipReplay.load(damage(carried_state()), POLICIES, schedule=None)


# -- custom statuses moved between categories, and the ticket's SLA beside group ownership ---


def waiting_history(custom_status_id: int | None) -> SlaTicket:
    """A ticket in one status the whole time, whose category an admin moves from pending to
    open at 10:30 and back at 11:30 (`custom_status_id` kept: the update carries the category
    of its moment); with None, the same history in the built-in statuses."""
    ticket = SlaTicket((sla_policy(),))
    ticket.save("Mon 09:00", end_user(), group_id=TIER1)
    ticket.save("Mon 09:30", agent(), S.PENDING, custom_status_id=custom_status_id)
    ticket.save("Mon 10:30", None, S.OPEN)
    ticket.save("Mon 11:30", None, S.PENDING)
    ticket.save("Mon 13:00", end_user(), S.OPEN, custom_status_id=None)
    return ticket


def test_a_custom_status_moved_between_categories_pauses_every_clock_as_the_built_in_ones() -> None:
    custom = waiting_history(WAITING_ON_CUSTOMERS_IT)
    built_in = waiting_history(None)
    assert [u.facts.custom_status_id for u in custom.updates][1:4] == [WAITING_ON_CUSTOMERS_IT] * 3

    # The SLA metrics: the same instances and events, pause for pause.
    moved, plain = custom.evaluate("Mon 14:00"), built_in.evaluate("Mon 14:00")
    assert moved.instances == plain.instances
    assert moved.events == plain.events
    waits = metric_stream(moved, MetricEventType.PAUSE, MetricEventType.ACTIVATE)
    for metric in ("requester_wait_time", "agent_work_time"):
        assert [line for line in waits if f" {metric}#" in line] == [
            f"Mon 09:00 {metric}#1 activate",
            f"Mon 09:30 {metric}#1 pause",
            f"Mon 10:30 {metric}#1 activate",
            f"Mon 11:30 {metric}#1 pause",
            f"Mon 13:00 {metric}#1 activate",
        ]
    wait = next(i for i in moved.instances if i.metric.value == "requester_wait_time")
    assert (wait.elapsed_calendar_seconds, wait.paused_seconds) == (2.5 * H, 2.5 * H)

    # Group ownership where pending pauses it: the same again.
    owned = evaluate_group_ownership(
        custom.updates, POLICIES, schedule=None, now=at("Mon 14:00"), paused_in=PENDING_AND_HOLD
    )
    owned_plain = evaluate_group_ownership(
        built_in.updates, POLICIES, schedule=None, now=at("Mon 14:00"), paused_in=PENDING_AND_HOLD
    )
    assert owned == owned_plain
    assert stream(owned) == [
        ("Mon 09:00", 1, "activate"),
        ("Mon 09:00", 1, "apply_group_sla"),
        ("Mon 09:30", 1, "pause"),
        ("Mon 10:30", 1, "activate"),
        ("Mon 11:30", 1, "pause"),
        ("Mon 13:00", 1, "activate"),
        ("Mon 13:30", 1, "breach"),
    ]
    (instance,) = owned.instances
    assert (instance.elapsed_calendar_seconds, instance.paused_seconds) == (2.5 * H, 2.5 * H)
    # Two hours of ownership by 13:30: 30 minutes before the first pause, an hour open between
    # them, and 30 minutes after.
    assert (instance.breach_at, instance.breached) == (at("Mon 13:30"), True)


def test_group_ownership_and_the_tickets_sla_run_side_by_side_on_one_history() -> None:
    """Tier 1 -> Tier 2 -> Tier 1, pending while Tier 2 holds it: the hand-offs move no SLA
    target, the SLA policy moves no ownership, and pending pauses only the clocks it pauses."""

    def history(hand_offs: bool, policies: tuple[PolicySpec, ...]) -> SlaTicket:
        tier2, back = (TIER2, TIER1) if hand_offs else (TIER1, TIER1)
        ticket = SlaTicket(policies)
        ticket.save("Mon 09:00", end_user(), group_id=TIER1)
        ticket.save("Mon 10:00", None, S.OPEN, group_id=tier2)
        ticket.save("Mon 10:30", agent(), S.PENDING)
        ticket.save("Mon 11:30", end_user(), S.OPEN)
        ticket.save("Mon 12:00", None, group_id=back)
        return ticket

    standard = (sla_policy(),)
    ticket = history(True, standard)
    sla = ticket.evaluate("Mon 13:00")
    ownership = evaluate_group_ownership(
        ticket.updates, POLICIES, schedule=None, now=at("Mon 13:00")
    )

    # The ticket's SLA is what it would be without any hand-off.
    unmoved = history(False, standard).evaluate("Mon 13:00")
    assert (sla.instances, sla.events) == (unmoved.instances, unmoved.events)
    # Group ownership is what it would be without any SLA policy.
    assert ownership == evaluate_group_ownership(
        history(True, ()).updates, POLICIES, schedule=None, now=at("Mon 13:00")
    )
    assert summary(ownership) == [
        (TIER1, 1, Stage.ACHIEVED, 1 * H, False),
        (TIER2, 2, Stage.ACHIEVED, 2 * H, False),  # pending did not pause it
        (TIER1, 3, Stage.ACTIVE, 1 * H, False),
    ]
    # Pending paused the requester's wait inside Tier 2's stretch, not Tier 2's ownership ...
    wait = next(i for i in sla.instances if i.metric.value == "requester_wait_time")
    assert (wait.elapsed_calendar_seconds, wait.paused_seconds) == (3 * H, 1 * H)
    # ... unless ownership is read with pending pausing it, and then only Tier 2's.
    paused = evaluate_group_ownership(
        ticket.updates, POLICIES, schedule=None, now=at("Mon 13:00"), paused_in=PENDING_AND_HOLD
    )
    assert [(i.elapsed_calendar_seconds, i.paused_seconds) for i in paused.instances] == [
        (1 * H, 0),
        (1 * H, 1 * H),
        (1 * H, 0),
    ]
    # Each keeps to its own metrics and its own next deadline.
    assert {e.metric for e in ownership.events} == {GROUP_OWNERSHIP_TIME}
    assert GROUP_OWNERSHIP_TIME not in {str(e.metric) for e in sla.events}
    assert ownership.next_breach_at == at("Mon 14:00")
    assert sla.next_breach_at == unmoved.next_breach_at != ownership.next_breach_at

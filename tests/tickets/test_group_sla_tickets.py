"""Group SLA policies (OLAs) on stored tickets: each save measures the time each group holds the
ticket, stores a group ownership target beside the ticket's own, and writes Zendesk's
group_ownership_time metric events; carried saves, the breach clock and policy edits agree
with a full replay."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import time_machine
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from policies import services as policy_services
from policies.models import GroupSlaPolicy
from slaweb.api.timestamps import iso
from tests.factories import GroupFactory, UserFactory, make_policy, metric
from tickets import services
from tickets.admin.ticket_page import attach_badge_data, ticket_badge
from tickets.breach_clock import record_due_breaches
from tickets.models import Group, Ticket, TicketMetricEvent, TicketSlaTarget, User
from tickets.selectors import (
    QUEUE_BREACHED,
    QUEUE_NEXT,
    QUEUE_NOT_RUNNING,
    QUEUE_SECTION,
    with_queue_section,
)
from tickets.sla.recompute import ticket_sla_drift
from tickets.sla.rewrite import history_rewrite_apply, history_rewrite_preview

# Policies made without a time are made now: the tickets live in the month before.
START = datetime.now(UTC).replace(minute=0, second=0, microsecond=0) - timedelta(days=30)
HOUR = timedelta(hours=1)
EVERYONE: dict[str, list[dict[str, Any]]] = {"all": [], "any": []}


def group_policy(
    group: Group, *, urgent_seconds: int = 4 * 3600, now: datetime = START - HOUR
) -> GroupSlaPolicy:
    return policy_services.group_sla_policy_create(
        title=f"{group.name} holds escalations",
        description=None,
        filter={"all": [{"field": "group_id", "operator": "includes", "value": [group.pk]}]},
        policy_metrics=[
            {"priority": "urgent", "target_seconds": urgent_seconds, "business_hours": False},
            {"priority": "normal", "target_seconds": 8 * 3600, "business_hours": False},
        ],
        now=now,
    )


def new_ticket(customer: User, group: Group | None, *, at: datetime = START) -> Ticket:
    fields: dict[str, Any] = {"subject": "VPN down", "requester_id": customer.pk}
    fields["priority"] = "urgent"
    if group is not None:
        fields["group_id"] = group.pk
    return services.ticket_create(
        fields=fields,
        submitter_id=customer.pk,
        comment=services.NewComment(body="help", public=True, author_id=customer.pk),
        now=at,
    )


def update(ticket: Ticket, agent: User, at: datetime, **fields: Any) -> Ticket:
    return services.ticket_update(
        ticket_id=ticket.pk, fields=fields, author_id=agent.pk, comment=None, now=at
    )


def group_rows(ticket: Ticket) -> list[TicketSlaTarget]:
    return list(
        TicketSlaTarget.objects.filter(ticket_id=ticket.pk, metric="group_ownership_time").order_by(
            "instance_id"
        )
    )


def group_events(ticket: Ticket) -> list[tuple[int, str, datetime]]:
    return list(
        TicketMetricEvent.objects.filter(ticket_id=ticket.pk, metric="group_ownership_time")
        .order_by("time", "id")
        .values_list("instance_id", "type", "time")
    )


@pytest.mark.django_db
def test_a_ticket_held_by_a_group_gets_its_group_target_beside_its_own() -> None:
    tier2 = GroupFactory(name="Tier 2")
    policy = group_policy(tier2)
    make_policy("Everyone", filter=EVERYONE, metrics=[metric("urgent", minutes=60)])
    ticket = new_ticket(UserFactory(role="end-user"), tier2)

    [row] = group_rows(ticket)
    assert (row.instance_id, row.group_id, row.group_policy_id) == (1, tier2.pk, policy.pk)
    assert (row.target_seconds, row.business_hours, row.stage) == (4 * 3600, False, "active")
    assert row.breach_at == START + 4 * HOUR
    assert row.policy_id is None
    # The ticket's own first reply target is sooner, so it is the next breach.
    assert Ticket.objects.get(pk=ticket.pk).next_breach_at == START + HOUR
    assert group_events(ticket) == [(1, "activate", START), (1, "apply_group_sla", START)]
    applied = TicketMetricEvent.objects.get(ticket_id=ticket.pk, type="apply_group_sla")
    assert applied.sla == {
        "target": 240,
        "target_in_seconds": 4 * 3600,
        "business_hours": False,
        "policy": {"id": policy.pk, "title": "Tier 2 holds escalations", "description": None},
    }


@pytest.mark.django_db
def test_hand_offs_a_b_a_measure_each_stretch_from_its_own_assignment() -> None:
    tier1, tier2 = GroupFactory(name="Tier 1"), GroupFactory(name="Tier 2")
    group_policy(tier1, urgent_seconds=2 * 3600)
    group_policy(tier2)
    agent = UserFactory(role="agent")
    ticket = new_ticket(UserFactory(role="end-user"), tier1)

    update(ticket, agent, START + HOUR, group_id=tier2.pk)
    update(ticket, agent, START + 3 * HOUR, group_id=tier1.pk)
    # Reassignment inside the group changes nothing.
    update(ticket, agent, START + 3 * HOUR + timedelta(minutes=5), assignee_id=agent.pk)

    rows = group_rows(ticket)
    assert [(r.instance_id, r.group_id, r.stage) for r in rows] == [
        (1, tier1.pk, "achieved"),
        (2, tier2.pk, "achieved"),
        (3, tier1.pk, "active"),
    ]
    assert [r.elapsed_calendar_seconds for r in rows[:2]] == [3600, 7200]
    # Back with Tier 1, its clock starts again from zero.
    assert rows[2].breach_at == START + 5 * HOUR
    assert Ticket.objects.get(pk=ticket.pk).next_breach_at == START + 5 * HOUR
    assert ticket_sla_drift(Ticket.objects.get(pk=ticket.pk), now=START + 4 * HOUR) == []


@pytest.mark.django_db
def test_the_breach_clock_records_a_group_breach_and_solving_ends_ownership() -> None:
    tier2 = GroupFactory(name="Tier 2")
    group_policy(tier2)
    agent = UserFactory(role="agent")
    ticket = new_ticket(UserFactory(role="end-user"), tier2)

    record_due_breaches(now=START + 4 * HOUR + timedelta(seconds=1))
    [row] = group_rows(ticket)
    assert (row.breached, row.breached_at) == (True, START + 4 * HOUR)
    assert (1, "breach", START + 4 * HOUR) in group_events(ticket)

    update(ticket, agent, START + 5 * HOUR, status="solved")
    [row] = group_rows(ticket)
    assert (row.stage, row.fulfilled_at, row.breached) == ("achieved", START + 5 * HOUR, True)
    assert Ticket.objects.get(pk=ticket.pk).next_breach_at is None


@pytest.mark.django_db
def test_a_group_policy_created_later_applies_from_its_moment_never_back_dating(
    django_capture_on_commit_callbacks: Any,
) -> None:
    tier2 = GroupFactory(name="Tier 2")
    ticket = new_ticket(UserFactory(role="end-user"), tier2)
    assert group_rows(ticket) == []
    assert group_events(ticket) == []

    # Five hours into Tier 2's ownership a 4-hour promise is made: already late, so it is
    # breached at the edit, not four hours after the assignment.
    with django_capture_on_commit_callbacks(execute=True):  # the recompute it starts
        group_policy(tier2, now=START + 5 * HOUR)
    stored = Ticket.objects.get(pk=ticket.pk)
    [row] = group_rows(stored)
    assert (row.activated_at, row.breach_at) == (START, START + 4 * HOUR)
    assert (row.breached, row.breached_at) == (True, START + 5 * HOUR)
    assert ticket_sla_drift(stored, now=START + 5 * HOUR) == []


@pytest.mark.django_db
def test_the_incremental_export_gives_group_sla_on_apply_group_sla(
    admin_client: Any, settings: Any
) -> None:
    settings.SLAWEB_EXPORT_HOLD_BACK_SECONDS = 0
    tier2 = GroupFactory(name="Tier 2")
    policy = group_policy(tier2)
    ticket = new_ticket(UserFactory(role="end-user"), tier2)

    with time_machine.travel(datetime.now(UTC) + timedelta(seconds=5), tick=False):
        response = admin_client.get("/api/v2/incremental/ticket_metric_events.json?start_time=0")
    assert response.status_code == 200
    events = [
        e
        for e in response.json()["ticket_metric_events"]
        if e["ticket_id"] == ticket.pk and e["metric"] == "group_ownership_time"
    ]
    assert [e["type"] for e in events] == ["activate", "apply_group_sla"]
    assert "sla" not in events[1]
    assert events[1]["group_sla"]["policy"]["id"] == policy.pk
    assert events[1]["group_sla"]["target_in_seconds"] == 4 * 3600


save = st.tuples(
    st.sampled_from([1, 20, 90, 300]),  # minutes since the last save
    st.sampled_from([None, "open", "pending", "solved"]),
    st.sampled_from([None, "normal", "urgent"]),
    st.sampled_from([None, "tier1", "tier2", "none"]),
    st.sampled_from([None, "edit", "clock"]),
)


@pytest.mark.django_db
@settings(
    max_examples=10,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(plan=st.lists(save, min_size=1, max_size=15))
def test_each_save_stores_what_a_full_replay_gives_with_group_slas(
    plan: list[tuple[Any, ...]], django_capture_on_commit_callbacks: Any
) -> None:
    customer, agent = UserFactory(role="end-user"), UserFactory(role="agent")
    groups = {
        "tier1": GroupFactory(name=f"T1 {customer.pk}"),
        "tier2": GroupFactory(name=f"T2 {customer.pk}"),
    }
    tier2 = group_policy(groups["tier2"], now=START - HOUR)
    make_policy(f"Everyone {customer.pk}", filter=EVERYONE, metrics=[metric("urgent", minutes=120)])
    moment = START
    ticket = new_ticket(customer, groups["tier1"], at=moment)
    for minutes, status, priority, group, between in plan:
        moment += timedelta(minutes=minutes)
        if between == "edit":
            # The recompute the edit starts runs at the edit's moment, as it would in real use.
            with (
                time_machine.travel(moment, tick=False),
                django_capture_on_commit_callbacks(execute=True),
            ):
                policy_services.group_sla_policy_update(
                    policy_id=tier2.pk,
                    data={
                        "policy_metrics": [
                            {
                                "priority": "urgent",
                                "target_seconds": minutes * 60 + 600,
                                "business_hours": False,
                            }
                        ]
                    },
                    now=moment,
                )
        elif between == "clock":
            record_due_breaches(now=moment)
        fields: dict[str, Any] = {}
        if status:
            fields["status"] = status
        if priority:
            fields["priority"] = priority
        if group:
            fields["group_id"] = None if group == "none" else groups[group].pk
        moment += timedelta(seconds=1)
        update(ticket, agent, moment, **fields)
        stored = Ticket.objects.get(pk=ticket.pk)
        assert stored.sla_state is not None
        assert "group" in stored.sla_state
        assert ticket_sla_drift(stored, now=moment, grace_seconds=0) == []


@pytest.mark.django_db
def test_include_slas_and_the_badge_show_the_group_target_beside_the_tickets_own(
    admin_client: Any,
) -> None:
    tier2 = GroupFactory(name="Tier 2")
    group_policy(tier2, urgent_seconds=1800)
    make_policy("Everyone", filter=EVERYONE, metrics=[metric("urgent", minutes=60)])
    ticket = new_ticket(UserFactory(role="end-user"), tier2)
    now = START + timedelta(minutes=10)

    with time_machine.travel(now, tick=False):
        body = admin_client.get(f"/api/v2/tickets/{ticket.pk}.json?include=slas").json()
    slas = body["ticket"]["slas"]
    assert [m["metric"] for m in slas["policy_metrics"]] == ["first_reply_time"]
    assert slas["group_policy_metrics"] == [
        {
            "breach_at": iso(START + timedelta(minutes=30)),
            "stage": "active",
            "metric": "group_ownership_time",
            "minutes": 20,
            "group_id": tier2.pk,
        }
    ]
    # The queue's one badge is the soonest running target: here the group's.
    stored = Ticket.objects.get(pk=ticket.pk)
    attach_badge_data([stored])
    badge = ticket_badge(stored, now)
    assert badge is not None
    assert (badge.metric, badge.text) == ("group_ownership_time", "20m")
    assert badge.label == "Group ownership · Tier 2"

    # Handed to a group without a promise: no group target shows.
    update(ticket, UserFactory(role="agent"), now, group_id=GroupFactory(name="Billing").pk)
    with time_machine.travel(now, tick=False):
        body = admin_client.get(f"/api/v2/tickets/{ticket.pk}.json?include=slas").json()
    assert "group_policy_metrics" not in body["ticket"]["slas"]


@pytest.mark.django_db
def test_the_agent_home_sections_count_a_ticket_whose_only_promise_is_its_groups() -> None:
    tier2 = GroupFactory(name="Tier 2")
    group_policy(tier2)  # no SLA policy at all: only the group's promise runs
    held = new_ticket(UserFactory(role="end-user"), tier2)
    late = new_ticket(UserFactory(role="end-user"), tier2, at=START - 6 * HOUR)
    unheld = new_ticket(UserFactory(role="end-user"), None)

    now = START + HOUR
    sections = dict(
        with_queue_section(Ticket.objects.all(), now=now).values_list("pk", QUEUE_SECTION)
    )
    assert Ticket.objects.get(pk=held.pk).sla_due_at == START + 4 * HOUR
    assert sections == {
        held.pk: QUEUE_NEXT,
        late.pk: QUEUE_BREACHED,  # its 4 hours ran out two hours before
        unheld.pk: QUEUE_NOT_RUNNING,
    }


@pytest.mark.django_db
def test_a_history_rewrite_reapplies_group_sla_policies_and_counts_only_real_changes(
    django_capture_on_commit_callbacks: Any,
) -> None:
    tier2 = GroupFactory(name="Tier 2")
    policy = group_policy(tier2)
    held = new_ticket(UserFactory(role="end-user"), tier2)
    now = START + 2 * HOUR

    # Nothing has changed since the ticket was saved: re-applying changes nothing.
    unchanged = history_rewrite_preview(since=START - HOUR, now=now)
    assert (unchanged.tickets_considered, unchanged.tickets_changed) == (1, 0)

    # The promise is now one hour: from its moment on, the ticket is held past it ...
    with (
        time_machine.travel(START + 90 * timedelta(minutes=1), tick=False),
        django_capture_on_commit_callbacks(execute=True),
    ):
        policy_services.group_sla_policy_update(
            policy_id=policy.pk,
            data={
                "policy_metrics": [
                    {"priority": "urgent", "target_seconds": 3600, "business_hours": False}
                ]
            },
            now=START + 90 * timedelta(minutes=1),
        )
    [row] = group_rows(held)
    assert (row.breach_at, row.breached_at) == (START + HOUR, START + 90 * timedelta(minutes=1))
    # ... and re-applying it to the whole history, on purpose, moves the breach to its deadline.
    rewrite = history_rewrite_apply(since=START - HOUR, now=now, actor_id=None, reason="OLA")
    assert rewrite.tickets_considered == 1
    [row] = group_rows(held)
    assert (row.breach_at, row.breached_at) == (START + HOUR, START + HOUR)

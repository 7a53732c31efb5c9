"""Saving a ticket one audit at a time, each save continuing the carried SLA state, stores
exactly the target rows, metric events and state a full replay of its history gives."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from policies import services as policy_services
from tests.factories import GroupFactory, UserFactory, make_policy, metric
from tickets import services
from tickets.breach_clock import record_due_breaches
from tickets.models import Ticket
from tickets.sla.recompute import ticket_sla_drift

START = datetime.now(UTC).replace(microsecond=0) - timedelta(days=30)

save = st.tuples(
    st.sampled_from([1, 7, 45, 180, 600, 1440]),  # minutes since the last save
    st.sampled_from(["requester", "agent", "agent note", "none"]),
    st.sampled_from([None, "open", "pending", "hold", "solved"]),
    st.sampled_from([None, "low", "normal", "high", "urgent"]),
    st.sampled_from([None, "tier1", "tier2"]),
    st.sampled_from([None, "edit", "clock"]),  # a policy edit or a clock round in between
)


@pytest.mark.django_db
@settings(
    max_examples=12,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(plan=st.lists(save, min_size=1, max_size=25))
def test_each_save_stores_what_a_full_replay_gives(
    plan: list[tuple[Any, ...]], django_capture_on_commit_callbacks: Any
) -> None:
    customer = UserFactory(role="end-user")
    agent = UserFactory(role="agent")
    groups = {
        "tier1": GroupFactory(name=f"T1 {customer.pk}"),
        "tier2": GroupFactory(name=f"T2 {customer.pk}"),
    }
    tier2 = make_policy(
        f"Tier 2 {customer.pk}",
        filter={
            "all": [{"field": "group_id", "operator": "is", "value": groups["tier2"].pk}],
            "any": [],
        },
        metrics=[metric(p, minutes=30) for p in ("low", "normal", "high", "urgent")],
    )
    make_policy(
        f"Everyone {customer.pk}",
        filter={"all": [], "any": []},
        metrics=[metric(p, minutes=240) for p in ("low", "normal", "high", "urgent")],
    )
    moment = START
    ticket = services.ticket_create(
        fields={"subject": "s", "requester_id": customer.pk, "priority": "normal"},
        submitter_id=customer.pk,
        comment=services.NewComment(body="help", public=True, author_id=customer.pk),
        now=moment,
    )
    for minutes, comment, status, priority, group, between in plan:
        moment += timedelta(minutes=minutes)
        if between == "edit":
            with django_capture_on_commit_callbacks(execute=True):
                policy_services.policy_update(
                    policy_id=tier2.pk,
                    data={"policy_metrics": [metric("urgent", minutes=minutes + 5)]},
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
            fields["group_id"] = groups[group].pk
        author = customer if comment == "requester" else agent
        new_comment = None
        if comment != "none":
            new_comment = services.NewComment(
                body="…", public=comment != "agent note", author_id=author.pk
            )
        moment += timedelta(seconds=1)
        services.ticket_update(
            ticket_id=ticket.pk,
            fields=fields,
            author_id=author.pk,
            comment=new_comment,
            now=moment,
        )
        stored = Ticket.objects.get(pk=ticket.pk)
        assert stored.sla_state is not None
        assert ticket_sla_drift(stored, now=moment, grace_seconds=0) == []


def _ticket_under_catch_all(customer: Any) -> Ticket:
    """A ticket `customer` opened at START under a catch-all policy with one target."""
    make_policy("Everyone", filter={"all": [], "any": []}, metrics=[metric("normal", minutes=240)])
    return services.ticket_create(
        fields={"subject": "s", "requester_id": customer.pk, "priority": "normal"},
        submitter_id=customer.pk,
        comment=services.NewComment(body="help", public=True, author_id=customer.pk),
        now=START,
    )


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("closed", "read_at_once"),
    [
        (["5,5", "300000000000"], True),  # an end past the last year a datetime holds
        (["5,5", "99999999999999999"], True),
        ("09:00-10:00", True),
        # The text itself is read only when a target falls inside it: the save goes on, and
        # sla_check shows the state differing from a full replay's.
        (["300000000000,0 -300000000000,10", "10"], False),
        (["0,-5", "-5"], False),
    ],
)
def test_a_damaged_state_never_fails_a_save(closed: Any, read_at_once: bool) -> None:
    """A state whose stretches cannot be loaded costs one full replay, never a failed save."""
    customer = UserFactory(role="end-user")
    agent = UserFactory(role="agent")
    ticket = _ticket_under_catch_all(customer)
    state = Ticket.objects.get(pk=ticket.pk).sla_state
    state["engine"]["clocks"][0]["closed"] = closed
    Ticket.objects.filter(pk=ticket.pk).update(sla_state=state)
    services.ticket_update(
        ticket_id=ticket.pk,
        fields={"status": "pending"},
        author_id=agent.pk,
        comment=services.NewComment(body="…", public=True, author_id=agent.pk),
        now=START + timedelta(minutes=5),
    )
    stored = Ticket.objects.get(pk=ticket.pk)
    drift = ticket_sla_drift(stored, now=START + timedelta(minutes=5), grace_seconds=0)
    if read_at_once:
        assert drift == []
    else:
        assert drift == ["carried SLA state differs from a full replay's in clocks"]


@pytest.mark.django_db
def test_a_carried_state_survives_a_dump_and_load() -> None:
    """`dumpdata` writes the state as a JSON object and `loaddata` reads it back as the same
    state, so a restored ticket continues from it."""
    from django.core import serializers

    customer = UserFactory(role="end-user")
    ticket = _ticket_under_catch_all(customer)
    stored = Ticket.objects.get(pk=ticket.pk)
    dumped = serializers.serialize("json", [stored])
    assert isinstance(json.loads(dumped)[0]["fields"]["sla_state"], dict)
    Ticket.objects.filter(pk=ticket.pk).update(sla_state=None)
    for restored in serializers.deserialize("json", dumped):
        restored.save()
    assert Ticket.objects.get(pk=ticket.pk).sla_state == stored.sla_state
    assert ticket_sla_drift(Ticket.objects.get(pk=ticket.pk), now=START, grace_seconds=0) == []

"""Ticket metrics are carried forward with each save: the stored state gives exactly what
replaying the ticket's audits gives, reading them needs no audit, and a ticket without a usable
state is replayed on read."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from io import StringIO
from typing import Any

import pytest
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from rest_framework.test import APIClient

from policies import services as policy_services
from policies.engine.ticket_metrics import TicketMetricsReplay
from tests.factories import GroupFactory, UserFactory, make_policy, metric
from tickets import services
from tickets.models import Ticket, TicketAudit, User
from tickets.sla.rewrite import history_rewrite_apply
from tickets.sla.store import replay_rows
from tickets.sla.ticket_metrics import (
    metric_tickets,
    metrics_fed,
    ticket_metric_set_of,
    ticket_metric_sets,
    ticket_metrics_fill,
)

START = datetime(2024, 3, 4, 8, 30, tzinfo=UTC)  # a Monday

save = st.tuples(
    st.sampled_from([1, 7, 45, 180, 600, 1440]),  # minutes since the last save
    st.sampled_from(["requester", "agent", "agent note", "other agent", "none"]),
    st.sampled_from([None, "open", "pending", "hold", "solved"]),
    st.sampled_from([None, "agent", "other agent", "nobody"]),  # assignee
    st.sampled_from([None, "tier1", "tier2"]),
    st.sampled_from([None, None, "edit", "hours"]),  # a policy or schedule edit in between
)


def replayed(ticket_id: int) -> Any:
    """The ticket's metrics replayed from every audit, ignoring the stored state."""
    ticket = Ticket.objects.get(pk=ticket_id)
    audits = replay_rows(TicketAudit.objects.filter(ticket_id=ticket_id))
    return metrics_fed(TicketMetricsReplay(), ticket, audits).result()


@pytest.mark.django_db
@settings(
    max_examples=10,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(plan=st.lists(save, min_size=1, max_size=25))
def test_each_save_stores_what_a_full_replay_gives(
    plan: list[tuple[Any, ...]], django_capture_on_commit_callbacks: Any
) -> None:
    customer = UserFactory(role="end-user")
    people = {"agent": UserFactory(role="agent"), "other agent": UserFactory(role="agent")}
    groups = {
        "tier1": GroupFactory(name=f"T1 {customer.pk}"),
        "tier2": GroupFactory(name=f"T2 {customer.pk}"),
    }
    policy = make_policy(
        f"Everyone {customer.pk}",
        filter={"all": [], "any": []},
        metrics=[metric(p, minutes=240) for p in ("low", "normal", "high", "urgent")],
    )
    schedule = policy_services.schedule_create(name=f"Office {customer.pk}", time_zone="UTC")
    moment = START
    ticket = services.ticket_create(
        fields={"subject": "s", "requester_id": customer.pk, "priority": "normal"},
        submitter_id=customer.pk,
        comment=services.NewComment(body="help", public=True, author_id=customer.pk),
        now=moment,
    )
    hours = 0
    for minutes, comment, status, assignee, group, between in plan:
        moment += timedelta(minutes=minutes)
        with django_capture_on_commit_callbacks(execute=True):
            if between == "edit":
                policy_services.policy_update(
                    policy_id=policy.pk,
                    data={"policy_metrics": [metric("normal", minutes=minutes + 5)]},
                    now=moment,
                )
            elif between == "hours":
                # Another working day: later periods are measured on it, earlier ones keep theirs.
                hours = (hours + 1) % 3
                policy_services.schedule_set_workweek(
                    schedule_id=schedule.pk,
                    intervals=[(1440 * d + 480 + 60 * hours, 1440 * d + 1020) for d in range(1, 6)],
                )
        fields: dict[str, Any] = {}
        if status:
            fields["status"] = status
        if assignee:
            fields["assignee_id"] = None if assignee == "nobody" else people[assignee].pk
        if group:
            fields["group_id"] = groups[group].pk
        author: User = (
            customer if comment in ("requester", "none") else people[comment.replace(" note", "")]
        )
        new_comment = None
        if comment != "none":
            new_comment = services.NewComment(
                body="…", public=comment != "agent note", author_id=author.pk
            )
        moment += timedelta(seconds=1)
        services.ticket_update(
            ticket_id=ticket.pk, fields=fields, author_id=author.pk, comment=new_comment, now=moment
        )
        stored = Ticket.objects.get(pk=ticket.pk)
        assert stored.metrics_state is not None
        assert stored.metrics_state["audit"] == stored.audits.order_by("id").last().pk
        assert ticket_metric_set_of(ticket.pk) == replayed(ticket.pk)


def ticket_with_history(customer: User, agent: User) -> Ticket:
    ticket = services.ticket_create(
        fields={"subject": "s", "requester_id": customer.pk, "priority": "high"},
        submitter_id=customer.pk,
        comment=services.NewComment(body="help", public=True, author_id=customer.pk),
        now=START,
    )
    for n, status in enumerate(["pending", "open", "solved", "open", "hold", "solved"], start=1):
        services.ticket_update(
            ticket_id=ticket.pk,
            fields={"status": status, "assignee_id": agent.pk},
            author_id=agent.pk if n % 2 else customer.pk,
            comment=services.NewComment(body="…", public=True, author_id=agent.pk),
            now=START + timedelta(hours=n * 5),
        )
    return ticket


@pytest.mark.django_db
def test_a_page_of_metrics_reads_no_audit(admin_client: APIClient) -> None:
    customer, agent = UserFactory(role="end-user"), UserFactory(role="agent")
    tickets = [ticket_with_history(customer, agent) for _ in range(3)]
    with CaptureQueriesContext(connection) as queries:
        listed = admin_client.get("/api/v2/ticket_metrics.json").json()["ticket_metrics"]
    assert [m["ticket_id"] for m in listed] == [t.pk for t in tickets]
    assert listed[0]["replies"] == 6
    assert listed[0]["reopens"] == 1
    assert not [q for q in queries if "tickets_ticketaudit" in q["sql"]]


@pytest.mark.django_db
@pytest.mark.parametrize(
    "state",
    [None, {"audit": 1, "replay": {"version": 0}}, {"audit": "x"}, ["not", "a", "state"]],
)
def test_a_ticket_without_a_usable_state_is_replayed_on_read(
    admin_client: APIClient, state: Any
) -> None:
    customer, agent = UserFactory(role="end-user"), UserFactory(role="agent")
    ticket = ticket_with_history(customer, agent)
    expected = ticket_metric_set_of(ticket.pk)
    answer = admin_client.get(f"/api/v2/tickets/{ticket.pk}/metrics.json").json()
    Ticket.objects.filter(pk=ticket.pk).update(metrics_state=state)
    assert ticket_metric_sets([metric_tickets().get(pk=ticket.pk)]) == [expected]
    assert admin_client.get(f"/api/v2/tickets/{ticket.pk}/metrics.json").json() == answer
    # Its next save stores a state again, from the whole history.
    services.ticket_update(
        ticket_id=ticket.pk,
        fields={"status": "open"},
        author_id=customer.pk,
        comment=None,
        now=START + timedelta(days=2),
    )
    stored = Ticket.objects.get(pk=ticket.pk).metrics_state
    assert stored is not None
    assert stored["replay"]["counts"][1] == 2  # reopened a second time
    assert ticket_metric_set_of(ticket.pk) == replayed(ticket.pk)


@pytest.mark.django_db
def test_the_clock_stores_the_states_tickets_lack() -> None:
    customer, agent = UserFactory(role="end-user"), UserFactory(role="agent")
    tickets = [ticket_with_history(customer, agent) for _ in range(3)]
    expected = [ticket_metric_set_of(t.pk) for t in tickets]
    Ticket.objects.update(metrics_state=None)
    assert ticket_metrics_fill(batch=2) == 2
    assert Ticket.objects.filter(metrics_state__isnull=True).count() == 1
    call_command("sla_clock", "--once", stdout=StringIO())
    assert ticket_metrics_fill() == 0
    states = list(Ticket.objects.order_by("id").values_list("metrics_state", flat=True))
    assert [state["audit"] for state in states] == [
        t.audits.order_by("id").last().pk for t in tickets
    ]
    assert [ticket_metric_set_of(t.pk) for t in tickets] == expected


@pytest.mark.django_db
def test_a_history_rewrite_measures_the_metrics_again_on_the_schedule_now() -> None:
    """Created Monday 08:30 and solved 30 hours later: 13.5 business hours on 9-17 (Monday 9-17,
    Tuesday 9-14:30), and 30 once every hour is a business hour and the history is rewritten."""
    schedule = policy_services.schedule_create(name="Office", time_zone="UTC")
    customer, agent = UserFactory(role="end-user"), UserFactory(role="agent")
    ticket = services.ticket_create(
        fields={"subject": "s", "requester_id": customer.pk, "priority": "high"},
        submitter_id=customer.pk,
        comment=services.NewComment(body="help", public=True, author_id=customer.pk),
        now=START,
    )
    services.ticket_update(
        ticket_id=ticket.pk,
        fields={"status": "solved"},
        author_id=agent.pk,
        comment=None,
        now=START + timedelta(hours=30),
    )
    solved = ticket_metric_set_of(ticket.pk).full_resolution_time
    assert solved is not None
    assert (solved.calendar, solved.business) == (1800, 810)
    policy_services.schedule_set_workweek(
        schedule_id=schedule.pk, intervals=[(1440 * d, 1440 * d + 1440) for d in range(7)]
    )
    history_rewrite_apply(
        since=START - timedelta(days=1),
        now=START + timedelta(days=3),
        actor_id=None,
        reason="every hour counts",
    )
    expected = replayed(ticket.pk)
    assert expected.full_resolution_time is not None
    assert expected.full_resolution_time.business == 1800
    assert ticket_metric_set_of(ticket.pk) == expected
    ticket_metrics_fill()
    assert Ticket.objects.get(pk=ticket.pk).metrics_state is not None
    assert ticket_metric_set_of(ticket.pk) == expected

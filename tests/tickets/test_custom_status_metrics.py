"""Every SLA metric follows a ticket's status category, never its custom status (Zendesk's rule):
two tickets with the same history, one in the built-in statuses and one in custom statuses of
the same categories, written through PUT /api/v2/tickets/{id}.json at each step, have the same
targets, metric events and ticket metrics after every step.

Within one category a custom status change touches no running metric; across categories it
pauses and resumes exactly as the built-in status of that category does (pending pauses the
requester's wait and the agent's work, on-hold only the agent's work)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import time_machine
from rest_framework.test import APIClient

from policies.engine.vocabulary import Metric
from tests.factories import CustomStatusFactory, make_policy, metric
from tickets.custom_statuses import custom_status_default
from tickets.models import CustomStatus, Ticket, TicketMetricEvent, TicketSlaTarget, User

pytestmark = pytest.mark.django_db

MON = datetime(2024, 3, 4, 9, tzinfo=UTC)
EVERYTHING: dict[str, list[dict[str, Any]]] = {"all": [], "any": []}
# Every metric, with targets some histories meet and some breach.
MINUTES = {
    Metric.FIRST_REPLY_TIME: 15,
    Metric.NEXT_REPLY_TIME: 20,
    Metric.PERIODIC_UPDATE_TIME: 30,
    Metric.PAUSABLE_UPDATE_TIME: 25,
    Metric.REQUESTER_WAIT_TIME: 60,
    Metric.AGENT_WORK_TIME: 45,
    Metric.TOTAL_RESOLUTION_TIME: 240,
}
# What a ticket's metrics answer that depends on its history, not on its id or custom status.
METRIC_KEYS = (
    "agent_wait_time_in_minutes",
    "requester_wait_time_in_minutes",
    "on_hold_time_in_minutes",
    "first_resolution_time_in_minutes",
    "full_resolution_time_in_minutes",
    "reply_time_in_minutes",
    "reply_time_in_seconds",
    "replies",
    "reopens",
    "status_updated_at",
    "solved_at",
    "assigned_at",
    "initially_assigned_at",
    "latest_comment_added_at",
)


@pytest.fixture(autouse=True)
def every_metric_policy(db: None) -> None:
    make_policy(
        "Everyone",
        filter=EVERYTHING,
        metrics=[metric("normal", m.value, minutes) for m, minutes in MINUTES.items()],
    )


@pytest.fixture
def agent(db: None) -> User:
    return User.objects.create(name="Agent", email="agent-cs@example.com", role="agent")


def at(minutes: int) -> datetime:
    return MON + timedelta(minutes=minutes)


def create(client: APIClient, requester: User) -> int:
    body = {
        "ticket": {
            "subject": "Printer",
            "comment": {"body": "On fire"},
            "requester_id": requester.pk,
            "submitter_id": requester.pk,
            "priority": "normal",
        }
    }
    with time_machine.travel(MON, tick=False):
        response = client.post("/api/v2/tickets.json", body, format="json")
    assert response.status_code == 201, response.content
    ticket_id: int = response.json()["ticket"]["id"]
    return ticket_id


def put(client: APIClient, ticket_id: int, minutes: int, **fields: Any) -> dict[str, Any]:
    with time_machine.travel(at(minutes), tick=False):
        response = client.put(
            f"/api/v2/tickets/{ticket_id}.json", {"ticket": fields}, format="json"
        )
    assert response.status_code == 200, response.content
    ticket: dict[str, Any] = response.json()["ticket"]
    return ticket


def reply(agent: User, body: str = "Working on it") -> dict[str, Any]:
    return {"comment": {"body": body, "public": True, "author_id": agent.pk}}


def sla_record(ticket_id: int) -> dict[str, Any]:
    """What the SLA wrote for the ticket, without ids: targets and metric events."""
    targets = TicketSlaTarget.objects.filter(ticket_id=ticket_id).order_by("metric", "instance_id")
    events = TicketMetricEvent.objects.filter(ticket_id=ticket_id).order_by(
        "time", "metric", "instance_id", "type", "ordinal"
    )
    return {
        "targets": [
            (
                t.metric,
                t.instance_id,
                t.stage,
                t.activated_at,
                t.breach_at,
                t.fulfilled_at,
                t.breached,
                t.breached_at,
                t.paused_seconds,
                t.elapsed_calendar_seconds,
            )
            for t in targets
        ],
        "events": [
            (e.metric, e.instance_id, e.type, e.time, e.ordinal, e.sla, e.status, e.deleted)
            for e in events
        ],
    }


def ticket_metrics(client: APIClient, ticket_id: int, minutes: int) -> dict[str, Any]:
    with time_machine.travel(at(minutes), tick=False):
        response = client.get(f"/api/v2/tickets/{ticket_id}/metrics.json")
    assert response.status_code == 200, response.content
    body = response.json()["ticket_metric"]
    return {key: body[key] for key in METRIC_KEYS}


def same_so_far(client: APIClient, built_in: int, custom: int, minutes: int) -> None:
    assert sla_record(custom) == sla_record(built_in)
    assert ticket_metrics(client, custom, minutes) == ticket_metrics(client, built_in, minutes)


def pauses(ticket_id: int) -> list[tuple[str, datetime]]:
    rows = TicketMetricEvent.objects.filter(ticket_id=ticket_id, type="pause")
    rows = rows.order_by("time", "metric")
    return [(e.metric, e.time) for e in rows]


def test_a_change_within_a_category_touches_no_metric(
    admin_client: APIClient, end_user: User, agent: User
) -> None:
    investigating = CustomStatusFactory(status_category="open", agent_label="Investigating")
    escalated = CustomStatusFactory(status_category="open", agent_label="Escalated")
    default_open = custom_status_default("open")
    built_in, custom = create(admin_client, end_user), create(admin_client, end_user)
    same_so_far(admin_client, built_in, custom, 0)

    # The same steps; the custom ticket also moves between open statuses at each of them.
    steps: list[tuple[int, dict[str, Any], dict[str, Any]]] = [
        (10, {**reply(agent), "assignee_id": agent.pk, "status": "open"}, {}),
        (30, {"tags": ["x"]}, {"custom_status_id": investigating.pk}),
        (50, {"comment": {"body": "Any news?", "author_id": end_user.pk}}, {}),
        (65, {"tags": ["x", "y"]}, {"custom_status_id": escalated.pk}),
        (80, reply(agent, "Still on it"), {"custom_status_id": default_open.pk}),
        (140, {"tags": ["x", "y", "z"]}, {"custom_status_id": investigating.pk}),
        (150, {**reply(agent, "Fixed"), "status": "solved"}, {}),
    ]
    for minutes, fields, custom_only in steps:
        put(admin_client, built_in, minutes, **fields)
        saved = put(admin_client, custom, minutes, **fields, **custom_only)
        assert saved["status"] == Ticket.objects.get(pk=built_in).status
        same_so_far(admin_client, built_in, custom, minutes)

    assert Ticket.objects.get(pk=custom).custom_status_id == custom_status_default("solved").pk
    record = sla_record(custom)
    assert {event[0] for event in record["events"] if event[2] == "apply_sla"} == {
        "reply_time",
        "periodic_update_time",
        "pausable_update_time",
        "requester_wait_time",
        "agent_work_time",
        "resolution_time",
    }
    assert any(event[2] == "breach" for event in record["events"])  # some targets were missed
    assert pauses(custom) == []  # open throughout: nothing paused
    with time_machine.travel(at(160), tick=False):
        shown = admin_client.get(f"/api/v2/tickets/{custom}/metrics.json").json()
    assert shown["ticket_metric"]["custom_status_updated_at"] == "2024-03-04T11:30:00Z"


def test_a_change_across_categories_pauses_and_resumes_as_the_built_in_statuses(
    admin_client: APIClient, end_user: User, agent: User
) -> None:
    waiting_on_it = CustomStatusFactory(
        status_category="pending", agent_label="Waiting on customer's IT"
    )
    investigating = CustomStatusFactory(status_category="open", agent_label="Investigating")
    vendor = CustomStatusFactory(status_category="hold", agent_label="Waiting on vendor")
    fixed = CustomStatusFactory(status_category="solved", agent_label="Fixed")
    built_in, custom = create(admin_client, end_user), create(admin_client, end_user)

    steps: list[tuple[int, dict[str, Any], dict[str, Any]]] = [
        (
            10,
            {**reply(agent, "Please ask your IT"), "assignee_id": agent.pk, "status": "pending"},
            {**reply(agent, "Please ask your IT"), "assignee_id": agent.pk},
        ),
        (40, {"status": "open"}, {"custom_status_id": investigating.pk}),
        (60, {"status": "hold"}, {"custom_status_id": vendor.pk}),
        (95, {"status": "open"}, {"status": "open"}),  # bare: the open default
        (110, {"status": "pending"}, {"custom_status_id": waiting_on_it.pk}),
        # The requester's reply reopens both.
        (
            130,
            {"comment": {"body": "Done", "author_id": end_user.pk}},
            {"comment": {"body": "Done", "author_id": end_user.pk}},
        ),
        (140, {"status": "hold"}, {"custom_status_id": vendor.pk}),
        (170, {**reply(agent, "Fixed"), "status": "solved"}, {**reply(agent, "Fixed")}),
    ]
    custom_statuses = {10: waiting_on_it, 110: waiting_on_it, 170: fixed}
    for minutes, built_in_fields, custom_fields in steps:
        put(admin_client, built_in, minutes, **built_in_fields)
        if minutes in custom_statuses:
            custom_fields = {**custom_fields, "custom_status_id": custom_statuses[minutes].pk}
        saved = put(admin_client, custom, minutes, **custom_fields)
        assert saved["status"] == Ticket.objects.get(pk=built_in).status
        same_so_far(admin_client, built_in, custom, minutes)

    # Pending paused the requester's wait, the agent's work and the pausable update; on-hold
    # only the agent's work.
    assert pauses(custom) == [
        ("agent_work_time", at(10)),
        ("pausable_update_time", at(10)),
        ("requester_wait_time", at(10)),
        ("agent_work_time", at(60)),
        ("agent_work_time", at(110)),
        ("pausable_update_time", at(110)),
        ("requester_wait_time", at(110)),
        ("agent_work_time", at(140)),
    ]
    assert CustomStatus.objects.get(pk=Ticket.objects.get(pk=custom).custom_status_id) == fixed


def test_a_change_within_a_paused_or_solved_category_touches_no_metric(
    admin_client: APIClient, end_user: User, agent: User
) -> None:
    # While pending or on-hold a metric is paused: moving between statuses of that category
    # neither resumes nor pauses it again. Solved: moving between solved statuses reopens
    # nothing and fulfils nothing twice.
    waiting_on_it = CustomStatusFactory(status_category="pending", agent_label="Waiting on IT")
    waiting_on_approval = CustomStatusFactory(status_category="pending", agent_label="Approval")
    vendor = CustomStatusFactory(status_category="hold", agent_label="Waiting on vendor")
    parts = CustomStatusFactory(status_category="hold", agent_label="Waiting on parts")
    fixed = CustomStatusFactory(status_category="solved", agent_label="Fixed")
    built_in, custom = create(admin_client, end_user), create(admin_client, end_user)

    steps: list[tuple[int, dict[str, Any], dict[str, Any]]] = [
        (
            10,
            {**reply(agent, "Please ask your IT"), "assignee_id": agent.pk, "status": "pending"},
            {},
        ),
        (25, {"tags": ["a"]}, {"custom_status_id": waiting_on_it.pk}),
        (40, {"tags": ["a", "b"]}, {"custom_status_id": waiting_on_approval.pk}),
        (55, {"status": "hold"}, {}),
        (70, {"tags": ["a", "b", "c"]}, {"custom_status_id": vendor.pk}),
        (90, {"tags": ["a", "b", "c", "d"]}, {"custom_status_id": parts.pk}),
        (120, {**reply(agent, "Fixed"), "status": "solved"}, {}),
        (130, {"tags": ["e"]}, {"custom_status_id": fixed.pk}),
        (140, {"tags": ["e", "f"]}, {"custom_status_id": custom_status_default("solved").pk}),
    ]
    for minutes, fields, custom_only in steps:
        put(admin_client, built_in, minutes, **fields)
        saved = put(admin_client, custom, minutes, **fields, **custom_only)
        assert saved["status"] == Ticket.objects.get(pk=built_in).status
        same_so_far(admin_client, built_in, custom, minutes)

    # One pause per category entered, none for the moves inside it.
    assert pauses(custom) == [
        ("agent_work_time", at(10)),
        ("pausable_update_time", at(10)),
        ("requester_wait_time", at(10)),
    ]
    resumes = TicketMetricEvent.objects.filter(ticket_id=custom, type="activate", time__gt=at(10))
    assert sorted((e.metric, e.time) for e in resumes) == [
        ("pausable_update_time", at(55)),
        ("requester_wait_time", at(55)),
    ]
    fulfils = TicketMetricEvent.objects.filter(ticket_id=custom, type="fulfill")
    assert max(e.time for e in fulfils) == at(120)  # the solve; nothing after it
    with time_machine.travel(at(150), tick=False):
        shown = admin_client.get(f"/api/v2/tickets/{custom}/metrics.json").json()["ticket_metric"]
    assert (shown["reopens"], shown["custom_status_updated_at"]) == (0, "2024-03-04T11:20:00Z")


def test_a_reopen_from_a_custom_solved_status_resumes_as_a_built_in_reopen(
    admin_client: APIClient, end_user: User, agent: User
) -> None:
    fixed = CustomStatusFactory(status_category="solved", agent_label="Fixed")
    investigating = CustomStatusFactory(status_category="open", agent_label="Investigating")
    vendor = CustomStatusFactory(status_category="hold", agent_label="Waiting on vendor")
    built_in, custom = create(admin_client, end_user), create(admin_client, end_user)

    steps: list[tuple[int, dict[str, Any], dict[str, Any]]] = [
        (10, {**reply(agent), "assignee_id": agent.pk, "status": "open"}, {}),
        (30, {**reply(agent, "Fixed"), "status": "solved"}, {"custom_status_id": fixed.pk}),
        (50, {"status": "open"}, {"custom_status_id": investigating.pk}),
        (70, {"status": "hold"}, {"custom_status_id": vendor.pk}),
        (100, {"comment": {"body": "Still broken", "author_id": end_user.pk}}, {}),
        (130, {**reply(agent, "Fixed now"), "status": "solved"}, {"custom_status_id": fixed.pk}),
    ]
    for minutes, fields, custom_only in steps:
        built_in_fields = fields
        custom_fields = {**fields, **custom_only}
        if "custom_status_id" in custom_only:
            custom_fields.pop("status", None)  # the custom status alone sets it
        put(admin_client, built_in, minutes, **built_in_fields)
        saved = put(admin_client, custom, minutes, **custom_fields)
        assert saved["status"] == Ticket.objects.get(pk=built_in).status
        same_so_far(admin_client, built_in, custom, minutes)

    with time_machine.travel(at(140), tick=False):
        shown = admin_client.get(f"/api/v2/tickets/{custom}/metrics.json").json()["ticket_metric"]
    assert shown["reopens"] == 1
    assert pauses(custom) == [("agent_work_time", at(70))]
    assert Ticket.objects.get(pk=custom).custom_status_id == fixed.pk

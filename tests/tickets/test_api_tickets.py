from __future__ import annotations

from datetime import UTC, datetime

import pytest
import time_machine
from rest_framework.test import APIClient

from tests.factories import (
    GroupFactory,
    TicketFieldOptionFactory,
    UserFactory,
    make_policy,
    metric,
)
from tickets.models import ChangeEvent, Ticket, TicketAudit, TicketMetricEvent, User

pytestmark = pytest.mark.django_db
EVERYTHING = {"all": [], "any": []}


def new_ticket(client: APIClient, requester: User, **fields: object) -> dict:
    body = {
        "ticket": {
            "subject": "Printer on fire",
            "comment": {"body": "It is on fire."},
            "requester_id": requester.pk,
            "submitter_id": requester.pk,
            "priority": "normal",
            **fields,
        }
    }
    response = client.post("/api/v2/tickets.json", body, format="json")
    assert response.status_code == 201, response.json()
    return response.json()["ticket"]


@pytest.mark.parametrize("suffix", ["", ".json"])
def test_create_show_update_delete(admin_client: APIClient, end_user: User, suffix: str) -> None:
    ticket = new_ticket(admin_client, end_user, tags=["VIP", "printer"])
    assert ticket["url"] == f"http://testserver/api/v2/tickets/{ticket['id']}.json"
    assert ticket["status"] == "new"
    assert ticket["tags"] == ["vip", "printer"]
    assert ticket["description"] == "It is on fire."
    url = f"/api/v2/tickets/{ticket['id']}{suffix}"
    assert admin_client.get(url).json()["ticket"]["subject"] == "Printer on fire"
    group = GroupFactory()
    response = admin_client.put(
        url,
        {
            "ticket": {
                "status": "open",
                "priority": "urgent",
                "group_id": group.pk,
                "comment": {"body": "Extinguisher on the way", "public": False},
            }
        },
        format="json",
    )
    assert response.status_code == 200
    updated = response.json()["ticket"]
    assert (updated["status"], updated["priority"], updated["group_id"]) == (
        "open",
        "urgent",
        group.pk,
    )
    audit = TicketAudit.objects.filter(ticket_id=ticket["id"]).order_by("id").last()
    assert {e.field_name for e in ChangeEvent.objects.filter(audit=audit)} == {
        "status",
        "custom_status_id",
        "priority",
        "group_id",
    }
    assert audit.comment.public is False
    comments = admin_client.get(f"/api/v2/tickets/{ticket['id']}/comments{suffix}").json()
    assert [c["body"] for c in comments["comments"]] == [
        "It is on fire.",
        "Extinguisher on the way",
    ]
    assert admin_client.delete(url).status_code == 204
    assert admin_client.get(url).status_code == 404
    assert TicketMetricEvent.objects.filter(ticket_id=ticket["id"]).exists()


def test_requester_by_email_is_created_once_as_end_user(admin_client: APIClient) -> None:
    for _ in range(2):
        response = admin_client.post(
            "/api/v2/tickets",
            {
                "ticket": {
                    "subject": "Hi",
                    "comment": {"body": "Hello"},
                    "requester": {"name": "New Person", "email": "New.Person@example.com"},
                }
            },
            format="json",
        )
        assert response.status_code == 201
    person = User.objects.get(email="new.person@example.com")
    assert person.role == "end-user"
    assert Ticket.objects.filter(requester=person).count() == 2


@pytest.mark.parametrize(
    ("fields", "key"),
    [
        ({"priority": "critical"}, "priority"),
        ({"status": "done"}, "status"),
        ({"type": "bug"}, "type"),
        ({"requester_id": 999999}, "requester_id"),
        ({"group_id": 999999}, "group_id"),
        ({"tags": ["two words"]}, "tags"),
        ({"tags": "vip"}, "tags"),
        ({"custom_fields": [{"id": 999999, "value": "x"}]}, "custom_fields"),
        ({"custom_status_id": 999999}, "custom_status_id"),
        ({"comment": {"body": ""}}, "comment"),
        ({"comment": "text"}, "comment"),
        ({"recipient": "not-an-email"}, "recipient"),
    ],
)
def test_bad_tickets_are_422_and_write_nothing(
    admin_client: APIClient, end_user: User, fields: dict, key: str
) -> None:
    body = {
        "ticket": {"subject": "s", "comment": {"body": "b"}, "requester_id": end_user.pk, **fields}
    }
    response = admin_client.post("/api/v2/tickets", body, format="json")
    assert response.status_code == 422, response.json()
    assert key in response.json()["details"]
    assert not Ticket.objects.exists()


def test_assignee_must_be_an_agent_and_dropdown_values_must_exist(
    admin_client: APIClient, end_user: User
) -> None:
    option = TicketFieldOptionFactory(value="mobile")
    base = {"subject": "s", "comment": {"body": "b"}, "requester_id": end_user.pk}
    bad = admin_client.post(
        "/api/v2/tickets", {"ticket": {**base, "assignee_id": end_user.pk}}, format="json"
    )
    assert "assignee_id" in bad.json()["details"]
    wrong = {"custom_fields": [{"id": option.field_id, "value": "desktop"}]}
    assert (
        admin_client.post(
            "/api/v2/tickets", {"ticket": {**base, **wrong}}, format="json"
        ).status_code
        == 422
    )
    right = {"custom_fields": [{"id": option.field_id, "value": "mobile"}]}
    created = admin_client.post("/api/v2/tickets", {"ticket": {**base, **right}}, format="json")
    assert created.json()["ticket"]["custom_fields"] == [{"id": option.field_id, "value": "mobile"}]


def test_a_new_ticket_needs_a_comment(admin_client: APIClient, end_user: User) -> None:
    response = admin_client.post(
        "/api/v2/tickets", {"ticket": {"subject": "s", "requester_id": end_user.pk}}, format="json"
    )
    assert response.status_code == 422
    assert "comment" in response.json()["details"]


def test_closed_tickets_cannot_be_updated(admin_client: APIClient, end_user: User) -> None:
    ticket = new_ticket(admin_client, end_user)
    admin_client.put(
        f"/api/v2/tickets/{ticket['id']}", {"ticket": {"status": "closed"}}, format="json"
    )
    response = admin_client.put(
        f"/api/v2/tickets/{ticket['id']}", {"ticket": {"priority": "low"}}, format="json"
    )
    assert response.status_code == 422
    assert response.json()["details"]["status"][0]["description"] == (
        "Status: closed prevents ticket update"
    )


def test_end_users_see_and_comment_only_on_their_own_tickets(
    admin_client: APIClient, end_user_client: APIClient, end_user: User
) -> None:
    mine = new_ticket(admin_client, end_user)
    other = new_ticket(admin_client, UserFactory(role="end-user"))
    listed = end_user_client.get("/api/v2/tickets.json").json()
    assert [t["id"] for t in listed["tickets"]] == [mine["id"]]
    assert end_user_client.get(f"/api/v2/tickets/{other['id']}.json").status_code == 404
    reply = end_user_client.put(
        f"/api/v2/tickets/{mine['id']}.json",
        {"ticket": {"comment": {"body": "still burning", "public": False}}},
        format="json",
    )
    assert reply.status_code == 200
    assert Ticket.objects.get(pk=mine["id"]).comments.last().public is True
    change = end_user_client.put(
        f"/api/v2/tickets/{mine['id']}.json", {"ticket": {"priority": "urgent"}}, format="json"
    )
    assert change.status_code == 403
    created = end_user_client.post(
        "/api/v2/tickets.json",
        {
            "ticket": {
                "subject": "mine",
                "comment": {"body": "x"},
                "requester_id": other["requester_id"],
            }
        },
        format="json",
    )
    assert created.json()["ticket"]["requester_id"] == end_user.pk
    assert end_user_client.delete(f"/api/v2/tickets/{mine['id']}").status_code == 403


def test_anonymous_is_401(anonymous_client: APIClient) -> None:
    assert anonymous_client.get("/api/v2/tickets.json").status_code == 401


def test_show_many_keeps_the_requested_order(admin_client: APIClient, end_user: User) -> None:
    a, b = new_ticket(admin_client, end_user), new_ticket(admin_client, end_user)
    body = admin_client.get(f"/api/v2/tickets/show_many.json?ids={b['id']},{a['id']},999999").json()
    assert [t["id"] for t in body["tickets"]] == [b["id"], a["id"]]
    for bad in ("", "x", ",".join(str(i) for i in range(1, 102)), "-1"):
        assert admin_client.get(f"/api/v2/tickets/show_many?ids={bad}").status_code == 400


def test_list_with_slas_keeps_the_query_count(
    admin_client: APIClient, end_user: User, django_assert_num_queries
) -> None:
    make_policy(
        "all", filter=EVERYTHING, metrics=[metric("normal"), metric("normal", "next_reply_time")]
    )
    new_ticket(admin_client, end_user)
    url = "/api/v2/tickets.json?include=slas,metric_events"
    admin_client.get(url)

    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as one:
        admin_client.get(url)
    queries_for_one = len(one)
    for _ in range(49):
        new_ticket(admin_client, end_user)
    with django_assert_num_queries(queries_for_one):
        body = admin_client.get(url).json()
    assert len(body["tickets"]) == 50
    assert all(t["slas"]["policy_metrics"] for t in body["tickets"])


# Lifecycle: spec §3.9 through the API, with the clock set at each save ------------------------

NORMAL = {
    "first_reply_time": 8,
    "next_reply_time": 4,
    "periodic_update_time": 24,
    "pausable_update_time": 24,
    "requester_wait_time": 48,
    "agent_work_time": 24,
    "total_resolution_time": 72,
}


def at(day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2024, 3, day, hour, minute, tzinfo=UTC)


def test_worked_example_end_to_end(
    admin_client: APIClient, end_user_client: APIClient, end_user: User
) -> None:
    make_policy(
        "Normal",
        filter=EVERYTHING,
        metrics=[metric("normal", name, hours * 60) for name, hours in NORMAL.items()],
    )
    with time_machine.travel(at(4, 9), tick=False):
        ticket = new_ticket(admin_client, end_user)
    url = f"/api/v2/tickets/{ticket['id']}.json"

    def agent(when: datetime, **fields: object) -> None:
        with time_machine.travel(when, tick=False):
            assert admin_client.put(url, {"ticket": fields}, format="json").status_code == 200

    def customer(when: datetime, body: str) -> None:
        with time_machine.travel(when, tick=False):
            reply = {"ticket": {"comment": {"body": body}}}
            assert end_user_client.put(url, reply, format="json").status_code == 200

    agent(at(4, 14), status="open", comment={"body": "Looking"})
    customer(at(4, 15, 30), "Any news?")
    agent(at(4, 16), status="pending", comment={"body": "Try this"})
    customer(at(5, 10), "Did not work")
    agent(at(5, 11), status="hold", comment={"body": "Asked the vendor", "public": False})
    agent(at(6, 14), status="open")

    with time_machine.travel(at(5, 13), tick=False):
        slas = admin_client.get(f"{url}?include=slas").json()["ticket"]["slas"]
    # Between the saves the stored state is as of Wed 14:00; NRT#3 is active and breached.
    nrt = next(m for m in slas["policy_metrics"] if m["metric"] == "next_reply_time")
    assert nrt["breach_at"] == "2024-03-05T14:00:00Z"

    agent(at(6, 14, 30), status="solved", comment={"body": "Fixed"})
    with time_machine.travel(at(7, 12), tick=False):
        body = admin_client.get(f"{url}?include=slas,metric_events").json()["ticket"]
    events = body["metric_events"]
    breaches = sorted(
        (e["time"], e["metric"], e["instance_id"])
        for stream in events.values()
        for e in stream
        if e["type"] == "breach"
    )
    assert breaches == [
        ("2024-03-05T14:00:00Z", "reply_time", 3),
        ("2024-03-05T16:00:00Z", "periodic_update_time", 2),
        ("2024-03-06T10:00:00Z", "pausable_update_time", 2),
    ]
    statuses = {
        (e["metric"], e["instance_id"]): e["status"]
        for stream in events.values()
        for e in stream
        if e["type"] == "update_status"
    }
    assert statuses[("requester_wait_time", 1)] == {"calendar": 2130, "business": 2130}
    assert statuses[("agent_work_time", 1)] == {"calendar": 510, "business": 510}
    assert statuses[("resolution_time", 1)] == {"calendar": 3210, "business": 3210}
    assert all(m["stage"] == "achieved" for m in body["slas"]["policy_metrics"])
    export = admin_client.get(
        f"/api/v2/incremental/ticket_metric_events.json?start_time={int(at(4, 0).timestamp())}"
    ).json()
    times = [e["time"] for e in export["ticket_metric_events"]]
    assert times == sorted(times)
    assert export["count"] == sum(len(stream) for stream in events.values())


def test_updates_touch_only_the_custom_fields_they_name(
    admin_client: APIClient, end_user: User
) -> None:
    first, second = TicketFieldOptionFactory(value="web"), TicketFieldOptionFactory(value="eu")
    ticket = new_ticket(
        admin_client,
        end_user,
        custom_fields=[
            {"id": first.field_id, "value": "web"},
            {"id": second.field_id, "value": "eu"},
        ],
    )
    updated = admin_client.put(
        f"/api/v2/tickets/{ticket['id']}.json",
        {"ticket": {"custom_fields": [{"id": first.field_id, "value": None}]}},
        format="json",
    ).json()["ticket"]
    assert {f["id"]: f["value"] for f in updated["custom_fields"]} == {
        first.field_id: None,
        second.field_id: "eu",
    }


def test_closing_directly_sets_solved_at(admin_client: APIClient, end_user: User) -> None:
    ticket = new_ticket(admin_client, end_user)
    closed = admin_client.put(
        f"/api/v2/tickets/{ticket['id']}.json", {"ticket": {"status": "closed"}}, format="json"
    ).json()["ticket"]
    assert closed["solved_at"] is not None


def test_requester_by_email_alone_gets_a_name_from_the_address(admin_client: APIClient) -> None:
    """Found by fuzzing: a requester without a name used to fail inside the service."""
    response = admin_client.post(
        "/api/v2/tickets.json",
        {"ticket": {"comment": {"body": "hi"}, "requester": {"email": "solo@example.com"}}},
        format="json",
    )
    assert response.status_code == 201
    assert User.objects.get(email="solo@example.com").name == "solo"

"""One ticket save through the Tickets API: its answer is what Show Ticket and Show Audit
answer after it, byte for byte, though it is built from the rows the save wrote; and it costs
a fixed number of queries, whatever the ticket's history."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import time_machine
from django.contrib.contenttypes.models import ContentType
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from tests.conftest import token_client
from tests.factories import (
    CustomStatusFactory,
    GroupFactory,
    OrganizationFactory,
    TicketFieldOptionFactory,
    UserFactory,
    make_policy,
    metric,
)
from tickets.models import ChangeEvent, User

pytestmark = pytest.mark.django_db

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
EVERYTHING = {"all": [], "any": []}
UPDATE_TICKET = r'(\d+ times: )?UPDATE "tickets_ticket"'
INCLUDES = ("", "?include=slas,metric_events,users,groups,organizations")


def _policy() -> None:
    make_policy(
        "Everything",
        filter=EVERYTHING,
        metrics=[
            metric("normal", "first_reply_time", 60),
            metric("normal", "next_reply_time", 30),
            metric("normal", "requester_wait_time", 240, business_hours=True),
            metric("high", "total_resolution_time", 600),
            metric("high", "periodic_update_time", 120),
        ],
    )


def _create(client: APIClient, requester: User, query: str = "", **fields: Any) -> dict[str, Any]:
    body = {
        "ticket": {
            "subject": "Printer on fire",
            "comment": {"body": "It is on fire."},
            "requester_id": requester.pk,
            "priority": "normal",
            **fields,
        }
    }
    response = client.post(f"/api/v2/tickets.json{query}", body, format="json")
    assert response.status_code == 201, response.json()
    return dict(response.json())


def _text(value: Any) -> str:
    """JSON text, keys in the answer's order: equal texts are equal bytes in the answer."""
    return json.dumps(value, ensure_ascii=False)


def _shown(client: APIClient, answer: dict[str, Any], query: str) -> None:
    """The answer's ticket and audit are what Show Ticket and Show Audit answer now."""
    ticket_id, audit_id = answer["ticket"]["id"], answer["audit"]["id"]
    shown = client.get(f"/api/v2/tickets/{ticket_id}.json{query}").json()
    agent = token_client(UserFactory(role="agent"))
    audit = agent.get(f"/api/v2/tickets/{ticket_id}/audits/{audit_id}.json").json()["audit"]
    assert _text(answer["ticket"]) == _text(shown["ticket"])
    assert _text(answer["audit"]) == _text(audit)
    assert _text({k: v for k, v in answer.items() if k != "audit"}) == _text(shown)


@pytest.mark.parametrize("query", INCLUDES)
def test_an_update_answers_what_show_answers(
    admin_client: APIClient, end_user: User, query: str
) -> None:
    _policy()
    agent = UserFactory(role="agent", email="agent@example.com")
    group = GroupFactory()
    group.agents.add(agent)
    organization = OrganizationFactory()
    # PostgreSQL's jsonb orders keys its own way: adding the lower field id to a ticket that
    # has the higher one reorders them.
    lower, higher = TicketFieldOptionFactory(value="web"), TicketFieldOptionFactory(value="eu")
    held = CustomStatusFactory(status_category="pending", agent_label="Waiting on parts")
    with time_machine.travel(T0, tick=False) as clock:
        created = _create(
            admin_client,
            end_user,
            query,
            tags=["vip"],
            custom_fields=[{"id": higher.field_id, "value": "eu"}],
        )
        _shown(admin_client, created, query)
        ticket_id = created["ticket"]["id"]
        updates: list[tuple[APIClient, dict[str, Any]]] = [
            (admin_client, {"comment": {"body": "On it <b>now</b>", "public": True}}),
            (admin_client, {"comment": {"body": "Internal\nnote", "public": False}}),
            (admin_client, {"comment": {"html_body": "<p>Fixed &amp; <i>tested</i></p>"}}),
            (admin_client, {"status": "pending", "priority": "high"}),
            # An end user's reply reopens it, with the open category's default status.
            (token_client(end_user), {"comment": {"body": "Still smoking"}}),
            (admin_client, {"custom_status_id": held.pk}),
            (
                admin_client,
                {
                    "assignee_id": agent.pk,
                    "group_id": group.pk,
                    "organization_id": organization.pk,
                    "type": "incident",
                    "subject": "Printer still on fire ✓",
                    "additional_tags": ["urgent"],
                    "remove_tags": ["vip"],
                },
            ),
            (admin_client, {"custom_fields": [{"id": lower.field_id, "value": "web"}]}),
            (
                admin_client,
                {"status": "solved", "comment": {"body": "Done", "author_id": agent.pk}},
            ),
            (admin_client, {}),  # an audit without events
        ]
        for client, body in updates:
            clock.shift(timedelta(minutes=7))
            response = client.put(
                f"/api/v2/tickets/{ticket_id}.json{query}", {"ticket": body}, format="json"
            )
            assert response.status_code == 200, response.json()
            _shown(client, response.json(), query)
    assert response.json()["ticket"]["status"] == "solved"


def _comment(client: APIClient, ticket_id: int, n: int) -> None:
    body = {"comment": {"body": f"Reply {n}", "public": True}}
    response = client.put(f"/api/v2/tickets/{ticket_id}.json", {"ticket": body}, format="json")
    assert response.status_code == 200


# What one save through the API costs in this test: the token and the rate limit's counter;
# the request's transaction (a savepoint here, inside the test's); the locked ticket, its last
# audit time, the users; the ticket, comment, audit and event writes; the SLA store's reads and
# writes and the ticket metrics'. The answer is built from what the save wrote.
COMMENT_QUERIES = 25
FIELDS_QUERIES = 25  # priority and status: the custom status too, and three change events


@pytest.mark.parametrize("history", [1, 30])
def test_one_save_costs_a_fixed_number_of_queries(
    admin_client: APIClient, end_user: User, history: int
) -> None:
    _policy()
    ContentType.objects.get_for_model(ChangeEvent)  # cached for the process once used
    with time_machine.travel(T0, tick=False) as clock:
        ticket_id = _create(admin_client, end_user)["ticket"]["id"]
        for n in range(history):
            clock.shift(timedelta(minutes=1))
            _comment(admin_client, ticket_id, n)
        clock.shift(timedelta(minutes=1))
        with CaptureQueriesContext(connection) as comment:
            _comment(admin_client, ticket_id, history)
        clock.shift(timedelta(minutes=1))
        with CaptureQueriesContext(connection) as fields:
            response = admin_client.put(
                f"/api/v2/tickets/{ticket_id}.json",
                {"ticket": {"status": "pending", "priority": "high"}},
                format="json",
            )
    assert response.status_code == 200
    assert len(comment) <= COMMENT_QUERIES, "\n".join(q["sql"][:120] for q in comment)
    assert len(fields) <= FIELDS_QUERIES, "\n".join(q["sql"][:120] for q in fields)
    # The ticket is read once, locked; the user rows once.
    for captured in (comment, fields):
        reads = [q["sql"] for q in captured if q["sql"].startswith('SELECT "tickets_ticket"."id"')]
        assert len(reads) == 1, reads
        users = [q["sql"] for q in captured if 'FROM "tickets_user"' in q["sql"]]
        assert len(users) == 1, users  # the token's user is read with the token
        # The row is written twice: the fields, then the SLA and the metrics states together.
        # (Django logs an executemany as "N times: UPDATE ...".)
        updates = [q["sql"] for q in captured if re.match(UPDATE_TICKET, q["sql"])]
        assert len(updates) == 2, updates
        assert "metrics_state" in updates[-1].split(" SET ")[1], updates[-1]
    # The three change events: their base rows in one INSERT, their own rows in another.
    written = [q["sql"].split('"')[1] for q in fields if q["sql"].startswith("INSERT INTO")]
    events = [table for table in written if table.endswith(("auditevent", "changeevent"))]
    assert events == ["tickets_auditevent", "tickets_changeevent"]

"""Zendesk's Ticket Metrics API: `GET /api/v2/tickets/{id}/metrics`, `GET /api/v2/ticket_metrics`
and `GET /api/v2/ticket_metrics/{id}`, computed from the tickets' audits."""

from __future__ import annotations

import copy
from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qs, urlsplit

import jsonschema
import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from policies import services as policy_services
from tests.factories import GroupFactory, TicketFactory, UserFactory
from tests.zendesk_oas import zendesk_components
from tickets import services
from tickets.models import Ticket, User

pytestmark = pytest.mark.django_db


def t(day: int, hour: int, minute: int = 0) -> datetime:
    """March 2024, UTC: the 4th and the 11th are Mondays."""
    return datetime(2024, 3, day, hour, minute, tzinfo=UTC)


def say(ticket: Ticket, author: User, when: datetime, public: bool = True, **fields: Any) -> None:
    services.ticket_update(
        ticket_id=ticket.pk,
        fields=fields,
        author_id=author.pk,
        comment=services.NewComment(body="...", public=public, author_id=author.pk),
        now=when,
    )


def change(ticket: Ticket, author: User, when: datetime, **fields: Any) -> None:
    services.ticket_update(
        ticket_id=ticket.pk, fields=fields, author_id=author.pk, comment=None, now=when
    )


@pytest.fixture
def nine_to_five(db: None) -> None:
    """The account's default schedule: UTC, Monday to Friday 09:00-17:00 (a new schedule's)."""
    policy_services.schedule_create(name="Office", time_zone="UTC")


@pytest.fixture
def customer(db: None) -> User:
    return UserFactory(role="end-user", email="metrics-customer@example.com")


def worked_ticket(customer: User, agent: User) -> Ticket:
    """Asked on Tuesday 16:30, answered and set pending on Wednesday 09:30, the customer comes
    back on Friday 16:00 (which reopens it) and it is solved on Monday 10:00."""
    ticket = TicketFactory(requester=customer, now=t(5, 16, 30))
    say(
        ticket,
        agent,
        t(6, 9, 30),
        status="pending",
        assignee_id=agent.pk,
        group_id=GroupFactory().pk,
    )
    say(ticket, customer, t(8, 16))
    say(ticket, agent, t(11, 10), status="solved")
    return ticket


def expected_worked(ticket: Ticket) -> dict[str, Any]:
    return {
        "url": f"http://testserver/api/v2/ticket_metrics/{ticket.pk}.json",
        "id": ticket.pk,
        "ticket_id": ticket.pk,
        "created_at": "2024-03-05T16:30:00Z",
        "updated_at": "2024-03-11T10:00:00Z",
        # Tue 16:30 -> Wed 09:30: 17 h; business 30 (Tue) + 30 (Wed).
        "reply_time_in_minutes": {"calendar": 1020, "business": 60},
        "reply_time_in_seconds": {"calendar": 61200},
        # Tue 16:30 -> Mon 10:00: 137.5 h; business 30 + 3 * 480 + 60.
        "first_resolution_time_in_minutes": {"calendar": 8250, "business": 1530},
        "full_resolution_time_in_minutes": {"calendar": 8250, "business": 1530},
        # Pending Wed 09:30 -> Fri 16:00: 54.5 h; business 450 + 480 + 420.
        "agent_wait_time_in_minutes": {"calendar": 3270, "business": 1350},
        # Tue 16:30 -> Wed 09:30 (1,020 / 60) and Fri 16:00 -> Mon 10:00 (3,960 / 120).
        "requester_wait_time_in_minutes": {"calendar": 4980, "business": 180},
        "on_hold_time_in_minutes": {"calendar": None, "business": None},
        "replies": 2,
        "reopens": 0,
        "assignee_stations": 1,
        "group_stations": 1,
        "assignee_updated_at": "2024-03-11T10:00:00Z",
        "requester_updated_at": "2024-03-08T16:00:00Z",
        "status_updated_at": "2024-03-11T10:00:00Z",
        "custom_status_updated_at": "2024-03-11T10:00:00Z",
        "initially_assigned_at": "2024-03-06T09:30:00Z",
        "assigned_at": "2024-03-06T09:30:00Z",
        "solved_at": "2024-03-11T10:00:00Z",
        "latest_comment_added_at": "2024-03-11T10:00:00Z",
    }


@pytest.mark.usefixtures("nine_to_five")
@pytest.mark.parametrize(
    "path",
    [
        "/api/v2/tickets/{id}/metrics.json",
        "/api/v2/tickets/{id}/metrics",
        "/api/v2/tickets/{id}/metrics/",
        "/api/v2/ticket_metrics/{id}.json",
        "/api/v2/ticket_metrics/{id}",
        "/api/v2/ticket_metrics/{id}/",
    ],
)
def test_show_answers_the_worked_ticket(
    agent_client: APIClient, agent_user: User, customer: User, path: str
) -> None:
    ticket = worked_ticket(customer, agent_user)
    response = agent_client.get(path.format(id=ticket.pk))
    assert response.status_code == 200, response.content
    assert response.json() == {"ticket_metric": expected_worked(ticket)}


def test_without_a_schedule_business_minutes_are_calendar_minutes(
    admin_client: APIClient, agent_user: User, customer: User
) -> None:
    ticket = worked_ticket(customer, agent_user)
    metric = admin_client.get(f"/api/v2/tickets/{ticket.pk}/metrics.json").json()["ticket_metric"]
    assert metric["reply_time_in_minutes"] == {"calendar": 1020, "business": 1020}
    assert metric["agent_wait_time_in_minutes"] == {"calendar": 3270, "business": 3270}


def test_an_open_ticket_answers_nulls(
    agent_client: APIClient, agent_user: User, customer: User
) -> None:
    ticket = TicketFactory(requester=customer, now=t(5, 9))
    say(ticket, agent_user, t(5, 9, 5), public=False, status="open")
    metric = agent_client.get(f"/api/v2/tickets/{ticket.pk}/metrics").json()["ticket_metric"]
    unmeasured = {"calendar": None, "business": None}
    assert {k: v for k, v in metric.items() if k.endswith("_in_minutes")} == {
        "reply_time_in_minutes": unmeasured,
        "first_resolution_time_in_minutes": unmeasured,
        "full_resolution_time_in_minutes": unmeasured,
        "agent_wait_time_in_minutes": unmeasured,
        "requester_wait_time_in_minutes": unmeasured,
        "on_hold_time_in_minutes": unmeasured,
    }
    assert metric["reply_time_in_seconds"] == {"calendar": None}
    assert [metric[k] for k in ("solved_at", "assigned_at", "initially_assigned_at")] == [None] * 3
    assert (metric["replies"], metric["reopens"], metric["assignee_stations"]) == (0, 0, 0)
    assert (
        metric["status_updated_at"] == metric["latest_comment_added_at"] == "2024-03-05T09:05:00Z"
    )


# Zendesk's schema ------------------------------------------------------------------------------


def nullable(schema: dict[str, Any]) -> dict[str, Any]:
    """The schema with null allowed for every property (OpenAPI 3.0 files need `nullable`, which
    Zendesk's omits; its prose says the values are null until the events happen)."""
    schema = copy.deepcopy(schema)
    for name in ("TicketMetricObject", "TicketMetricTimeObject"):
        for prop in schema["schemas"][name]["properties"].values():
            if "type" in prop:
                prop["type"] = [prop["type"], "null"]
    return schema


def validate_metric(metric: dict[str, Any], components: dict[str, Any]) -> None:
    root = {"$ref": "#/components/schemas/TicketMetricObject", "components": components}
    jsonschema.validate(metric, root, cls=jsonschema.Draft7Validator)


@pytest.mark.usefixtures("nine_to_five")
def test_every_answer_matches_zendesks_ticket_metric_object(
    admin_client: APIClient, agent_user: User, customer: User
) -> None:
    components = zendesk_components()
    solved = worked_ticket(customer, agent_user)
    metric = admin_client.get(f"/api/v2/ticket_metrics/{solved.pk}.json").json()["ticket_metric"]
    # Every key Zendesk documents, and no other.
    assert set(metric) == set(components["schemas"]["TicketMetricObject"]["properties"])
    # A solved ticket with every event has no nulls but on-hold time: strict where it can be.
    validate_metric(
        {**metric, "on_hold_time_in_minutes": {"calendar": 0, "business": 0}}, components
    )
    with pytest.raises(jsonschema.ValidationError):
        validate_metric({**metric, "replies": "2"}, components)  # the check can fail

    TicketFactory(requester=customer, now=t(5, 9))
    listed = admin_client.get("/api/v2/ticket_metrics.json").json()["ticket_metrics"]
    assert len(listed) == 2
    for item in listed:
        validate_metric(item, nullable(components))


# Lists and pagination --------------------------------------------------------------------------


@pytest.fixture
def five_tickets(customer: User) -> list[Ticket]:
    return [TicketFactory(requester=customer, now=t(4, 9 + i)) for i in range(5)]


def test_offset_pagination(admin_client: APIClient, five_tickets: list[Ticket]) -> None:
    ids = [ticket.pk for ticket in five_tickets]
    first = admin_client.get("/api/v2/ticket_metrics.json?per_page=2").json()
    assert [m["ticket_id"] for m in first["ticket_metrics"]] == ids[:2]
    assert first["count"] == 5
    assert first["previous_page"] is None
    next_page = urlsplit(first["next_page"])
    assert (next_page.netloc, next_page.path) == ("testserver", "/api/v2/ticket_metrics.json")
    assert parse_qs(next_page.query) == {"page": ["2"], "per_page": ["2"]}
    last = admin_client.get("/api/v2/ticket_metrics.json?per_page=2&page=3").json()
    assert [m["ticket_id"] for m in last["ticket_metrics"]] == ids[4:]
    assert last["next_page"] is None
    assert [m["created_at"] for m in last["ticket_metrics"]] == ["2024-03-04T13:00:00Z"]


def test_cursor_pagination(admin_client: APIClient, five_tickets: list[Ticket]) -> None:
    ids = [ticket.pk for ticket in five_tickets]
    seen: list[int] = []
    url: str | None = "/api/v2/ticket_metrics.json?page[size]=2"
    pages = 0
    while url:
        body = admin_client.get(url).json()
        seen += [m["ticket_id"] for m in body["ticket_metrics"]]
        assert set(body["meta"]) == {"has_more", "after_cursor", "before_cursor"}
        url = body["links"]["next"]
        pages += 1
    assert seen == ids
    assert pages == 3
    back = admin_client.get(
        f"/api/v2/ticket_metrics.json?page[size]=2&page[before]={body['meta']['before_cursor']}"
    ).json()
    assert [m["ticket_id"] for m in back["ticket_metrics"]] == ids[2:4]


def test_an_empty_list(admin_client: APIClient) -> None:
    body = admin_client.get("/api/v2/ticket_metrics").json()
    assert body == {"ticket_metrics": [], "next_page": None, "previous_page": None, "count": 0}


@pytest.mark.usefixtures("nine_to_five")
def test_a_page_costs_the_same_queries_for_1_or_30_tickets(
    admin_client: APIClient, agent_user: User, customer: User
) -> None:
    def busy_ticket(i: int) -> None:
        ticket = TicketFactory(requester=customer, now=t(4, 9, i))
        say(ticket, agent_user, t(4, 10, i), status="pending", assignee_id=agent_user.pk)
        say(ticket, customer, t(4, 11, i))
        change(ticket, agent_user, t(4, 12, i), status="hold")
        say(ticket, agent_user, t(4, 13, i), status="solved")

    def queries(url: str) -> int:
        admin_client.get(url)  # the first request warms the caches (authentication, schedule)
        with CaptureQueriesContext(connection) as captured:
            response = admin_client.get(url)
        assert response.status_code == 200
        return len(captured)

    busy_ticket(0)
    one = {url: queries(url) for url in LIST_URLS}
    for i in range(1, 30):
        busy_ticket(i)
    thirty = {url: queries(url) for url in LIST_URLS}
    assert len(admin_client.get(LIST_URLS[0]).json()["ticket_metrics"]) == 30
    assert thirty == one
    assert max(one.values()) <= 12


LIST_URLS = ["/api/v2/ticket_metrics.json", "/api/v2/ticket_metrics.json?page[size]=100"]


# Who may read, and unknown ids -----------------------------------------------------------------


@pytest.mark.parametrize(
    "path",
    ["/api/v2/ticket_metrics/999999999.json", "/api/v2/tickets/999999999/metrics.json"],
)
def test_unknown_ids_are_record_not_found(admin_client: APIClient, path: str) -> None:
    response = admin_client.get(path)
    assert response.status_code == 404
    assert response.json() == {"error": "RecordNotFound", "description": "Not found"}


@pytest.mark.parametrize(
    "path",
    [
        "/api/v2/ticket_metrics.json",
        "/api/v2/ticket_metrics/{id}.json",
        "/api/v2/tickets/{id}/metrics.json",
    ],
)
def test_end_users_may_not_read_metrics_even_of_their_own_tickets(
    end_user_client: APIClient, anonymous_client: APIClient, end_user: User, path: str
) -> None:
    ticket = TicketFactory(requester=end_user, now=t(4, 9))
    url = path.format(id=ticket.pk)
    response = end_user_client.get(url)
    assert response.status_code == 403
    assert response.json()["error"]["title"] == "Forbidden"
    assert anonymous_client.get(url).status_code == 401


def test_metrics_of_a_deleted_ticket_are_gone(
    admin_client: APIClient, agent_user: User, customer: User
) -> None:
    ticket = TicketFactory(requester=customer, now=t(4, 9))
    assert admin_client.get(f"/api/v2/ticket_metrics/{ticket.pk}").status_code == 200
    services.ticket_delete(ticket_id=ticket.pk)
    assert admin_client.get(f"/api/v2/ticket_metrics/{ticket.pk}").status_code == 404
    assert admin_client.get("/api/v2/ticket_metrics").json()["count"] == 0

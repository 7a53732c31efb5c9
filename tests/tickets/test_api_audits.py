"""Zendesk's Ticket Audits API: GET /api/v2/tickets/{id}/audits and /audits/{audit_id}."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import jsonschema
import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from tests.factories import TicketFactory
from tests.test_schema import assert_matches_schema
from tickets import services
from tickets.custom_statuses import custom_status_default
from tickets.models import AuditEvent, CommentEvent, Ticket, TicketAudit, User

pytestmark = pytest.mark.django_db

START = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)

# Zendesk's own schema for these two answers, from its published OpenAPI file
# (components TicketAuditsResponseNoneCursor, TicketAuditResponse, TicketAuditObject and
# TicketAuditViaObject), as JSON Schema: OpenAPI 3.0's `nullable` written as a "null" type.
ZENDESK_VIA = {
    "type": "object",
    "properties": {
        "channel": {"type": "string"},
        "source": {"type": "object", "additionalProperties": True},
    },
}
ZENDESK_AUDIT = {
    "type": "object",
    "properties": {
        "author_id": {"type": "integer"},
        "created_at": {"type": "string", "format": "date-time"},
        "events": {"type": "array", "items": {"type": "object", "additionalProperties": True}},
        "id": {"type": "integer"},
        "metadata": {"type": "object", "additionalProperties": True},
        "ticket_id": {"type": "integer"},
        "via": ZENDESK_VIA,
    },
}
ZENDESK_AUDIT_LIST = {
    "type": "object",
    "properties": {
        "audits": {"type": "array", "items": ZENDESK_AUDIT},
        "count": {"type": "integer"},
        "next_page": {"type": ["string", "null"]},
        "previous_page": {"type": ["string", "null"]},
    },
}
ZENDESK_AUDIT_SHOW = {"type": "object", "properties": {"audit": ZENDESK_AUDIT}}


def at(minutes: int) -> datetime:
    return START + timedelta(minutes=minutes)


def update(
    ticket: Ticket,
    author: User | None,
    minutes: int,
    comment: str | None = None,
    public: bool = True,
    **fields: Any,
) -> TicketAudit:
    services.ticket_update(
        ticket_id=ticket.pk,
        fields=fields,
        author_id=author.pk if author else None,
        comment=services.NewComment(comment, public, author.pk) if comment and author else None,
        now=at(minutes),
    )
    return TicketAudit.objects.filter(ticket=ticket).latest("id")


def audits_url(ticket_id: int, suffix: str = ".json") -> str:
    return f"/api/v2/tickets/{ticket_id}/audits{suffix}"


def get_ok(client: APIClient, url: str) -> dict[str, Any]:
    response = client.get(url)
    assert response.status_code == 200, response.content
    return response.json()


@pytest.fixture
def schema(anonymous_client: APIClient) -> dict[str, Any]:
    return anonymous_client.get("/api/schema/?format=json").json()


# The shape ------------------------------------------------------------------------------------


@pytest.mark.parametrize("suffix", ["", ".json"])
def test_a_new_ticket_has_one_audit_with_its_comment_and_create_events(
    agent_client: APIClient, end_user: User, suffix: str
) -> None:
    ticket = TicketFactory(
        requester=end_user,
        subject="Printer on fire",
        comment_body="It is on fire.\n\nSend <help>",
        priority="high",
        tags=["vip"],
        now=at(0),
    )
    audit = TicketAudit.objects.get(ticket=ticket)
    comment_event = CommentEvent.objects.get(audit=audit)

    body = get_ok(agent_client, audits_url(ticket.pk, suffix))

    assert (body["count"], body["next_page"], body["previous_page"]) == (1, None, None)
    [answered] = body["audits"]
    assert {k: v for k, v in answered.items() if k != "events"} == {
        "id": audit.pk,
        "ticket_id": ticket.pk,
        "created_at": "2026-03-02T09:00:00Z",
        "author_id": end_user.pk,
        "metadata": {"system": {}, "custom": {}},
        "via": {"channel": "api", "source": {"from": {}, "to": {}, "rel": None}},
    }
    comment, *creates = answered["events"]
    assert comment == {
        "id": comment_event.pk,
        "type": "Comment",
        "author_id": end_user.pk,
        "body": "It is on fire.\n\nSend <help>",
        "html_body": "<p>It is on fire.</p>\n\n<p>Send &lt;help&gt;</p>",
        "plain_body": "It is on fire.\n\nSend <help>",
        "public": True,
        "attachments": [],
        "audit_id": audit.pk,
    }
    assert {e["type"] for e in creates} == {"Create"}
    assert {e["field_name"]: e["value"] for e in creates} == {
        "subject": "Printer on fire",
        "description": "It is on fire.\n\nSend <help>",
        "priority": "high",
        "requester_id": end_user.pk,
        "tags": ["vip"],
        "custom_status_id": custom_status_default("new").pk,
    }
    assert all(set(e) == {"id", "type", "field_name", "value"} for e in creates)
    ids = [e["id"] for e in answered["events"]]
    assert len(set(ids)) == len(ids)
    assert sorted(ids[1:]) == ids[1:]


def test_an_update_adds_an_audit_with_change_events_and_previous_values(
    agent_client: APIClient, end_user: User, agent_user: User
) -> None:
    ticket = TicketFactory(requester=end_user, priority="normal", tags=["vip"], now=at(0))
    audit = update(
        ticket,
        agent_user,
        5,
        comment="Looking",
        public=False,
        status="open",
        priority="urgent",
        assignee_id=agent_user.pk,
        tags=["vip", "printer"],
    )

    first, second = get_ok(agent_client, audits_url(ticket.pk))["audits"]

    assert second["id"] == audit.pk
    assert (second["author_id"], second["created_at"]) == (agent_user.pk, "2026-03-02T09:05:00Z")
    comment, *changes = second["events"]
    assert (comment["type"], comment["body"], comment["public"], comment["author_id"]) == (
        "Comment",
        "Looking",
        False,
        agent_user.pk,
    )
    assert {e["field_name"]: (e["type"], e["previous_value"], e["value"]) for e in changes} == {
        "status": ("Change", "new", "open"),
        "custom_status_id": (
            "Change",
            custom_status_default("new").pk,
            custom_status_default("open").pk,
        ),
        "priority": ("Change", "normal", "urgent"),
        "assignee_id": ("Change", None, agent_user.pk),
        "tags": ("Change", ["vip"], ["vip", "printer"]),
    }
    assert all(set(e) == {"id", "type", "field_name", "value", "previous_value"} for e in changes)
    assert all(e["type"] in ("Comment", "Create") for e in first["events"])


def test_a_change_without_a_comment_or_a_person(agent_client: APIClient, end_user: User) -> None:
    ticket = TicketFactory(requester=end_user, priority=None, now=at(0))
    update(ticket, None, 5, status="pending")

    audit = get_ok(agent_client, audits_url(ticket.pk))["audits"][-1]

    assert audit["author_id"] == -1  # Zendesk's system author
    # As in Zendesk, the status's custom status changes with it.
    assert [(e["type"], e["field_name"]) for e in audit["events"]] == [
        ("Change", "status"),
        ("Change", "custom_status_id"),
    ]


def test_audits_list_oldest_first(
    agent_client: APIClient, end_user: User, agent_user: User
) -> None:
    ticket = TicketFactory(requester=end_user, priority=None, now=at(0))
    for minutes, status in ((3, "open"), (7, "pending"), (12, "open")):
        update(ticket, agent_user, minutes, comment=f"at {minutes}", status=status)
    expected = list(TicketAudit.objects.filter(ticket=ticket).order_by("created_at", "id"))

    audits = get_ok(agent_client, audits_url(ticket.pk))["audits"]

    assert [a["id"] for a in audits] == [a.pk for a in expected]
    assert [a["created_at"] for a in audits] == [
        "2026-03-02T09:00:00Z",
        "2026-03-02T09:03:00Z",
        "2026-03-02T09:07:00Z",
        "2026-03-02T09:12:00Z",
    ]


def test_sla_re_evaluations_are_not_ticket_updates(
    agent_client: APIClient, end_user: User, agent_user: User
) -> None:
    """A policy edit re-evaluates tickets with an audit without snapshot nor events: Zendesk
    shows only ticket updates, so it is not listed, counted nor shown."""
    ticket = TicketFactory(requester=end_user, priority=None, now=at(0))
    created = TicketAudit.objects.get(ticket=ticket)
    reevaluation = TicketAudit.objects.create(
        ticket=ticket, created_at=at(2), via_id=8, revision=created.revision, snapshot=None
    )
    updated = update(ticket, agent_user, 4, status="open")

    body = get_ok(agent_client, audits_url(ticket.pk))
    assert [a["id"] for a in body["audits"]] == [created.pk, updated.pk]
    assert body["count"] == 2
    cursor = get_ok(agent_client, audits_url(ticket.pk) + "?page[size]=1")
    after = cursor["meta"]["after_cursor"]
    second = get_ok(agent_client, audits_url(ticket.pk) + f"?page[size]=1&page[after]={after}")
    assert [a["id"] for a in second["audits"]] == [updated.pk]
    assert second["meta"]["has_more"] is False

    response = agent_client.get(f"{audits_url(ticket.pk, '')}/{reevaluation.pk}.json")
    assert response.status_code == 404


# Pagination -----------------------------------------------------------------------------------


@pytest.fixture
def busy_ticket(end_user: User, agent_user: User) -> tuple[Ticket, list[int]]:
    """A ticket with five audits (its creation and four updates)."""
    ticket = TicketFactory(requester=end_user, priority=None, now=at(0))
    for n in range(1, 5):
        update(ticket, agent_user, n, comment=f"reply {n}", priority=["low", "high"][n % 2])
    return ticket, list(
        TicketAudit.objects.filter(ticket=ticket).order_by("id").values_list("id", flat=True)
    )


def test_offset_pagination(agent_client: APIClient, busy_ticket: tuple[Ticket, list[int]]) -> None:
    ticket, ids = busy_ticket
    url = audits_url(ticket.pk)

    first = get_ok(agent_client, f"{url}?per_page=2")
    assert [a["id"] for a in first["audits"]] == ids[:2]
    assert first["count"] == 5
    assert first["previous_page"] is None
    assert first["next_page"] == f"http://testserver{url}?page=2&per_page=2"

    last = get_ok(agent_client, f"{url}?page=3&per_page=2")
    assert [a["id"] for a in last["audits"]] == ids[4:]
    assert last["next_page"] is None
    assert last["previous_page"] == f"http://testserver{url}?page=2&per_page=2"

    assert get_ok(agent_client, f"{url}?page=4&per_page=2")["audits"] == []
    response = agent_client.get(f"{url}?per_page=101")
    assert response.status_code == 400
    assert response.json()["error"] == "InvalidPaginationParameter"


def test_cursor_pagination_forwards_and_back(
    agent_client: APIClient, busy_ticket: tuple[Ticket, list[int]]
) -> None:
    ticket, ids = busy_ticket
    seen: list[int] = []
    pages = []
    next_url: str | None = f"{audits_url(ticket.pk)}?page[size]=2"
    while next_url:
        page = get_ok(agent_client, next_url)
        assert "count" not in page
        assert "next_page" not in page
        pages.append(page)
        seen += [a["id"] for a in page["audits"]]
        next_url = page["links"]["next"]
    assert seen == ids
    assert [p["meta"]["has_more"] for p in pages] == [True, True, False]
    assert pages[0]["links"]["prev"] is None

    back = get_ok(agent_client, pages[-1]["links"]["prev"])
    assert [a["id"] for a in back["audits"]] == ids[2:4]


# Show -----------------------------------------------------------------------------------------


@pytest.mark.parametrize("suffix", ["", ".json"])
def test_show_one_audit(
    agent_client: APIClient, end_user: User, agent_user: User, suffix: str
) -> None:
    ticket = TicketFactory(requester=end_user, priority=None, now=at(0))
    audit = update(ticket, agent_user, 5, comment="On it", status="open")
    listed = get_ok(agent_client, audits_url(ticket.pk))["audits"][1]

    body = get_ok(agent_client, f"{audits_url(ticket.pk, '')}/{audit.pk}{suffix}")

    assert body == {"audit": listed}
    assert body["audit"]["id"] == audit.pk


# Errors ---------------------------------------------------------------------------------------

NOT_FOUND = {"error": "RecordNotFound", "description": "Not found"}


def test_unknown_ticket_is_not_found(agent_client: APIClient, end_user: User) -> None:
    ticket = TicketFactory(requester=end_user, priority=None, now=at(0))
    audit = TicketAudit.objects.get(ticket=ticket)
    missing = ticket.pk + 1000

    for url in (audits_url(missing), f"{audits_url(missing, '')}/{audit.pk}.json"):
        response = agent_client.get(url)
        assert (response.status_code, response.json()) == (404, NOT_FOUND)


def test_an_audit_of_another_ticket_is_not_found(agent_client: APIClient, end_user: User) -> None:
    mine, other = TicketFactory.create_batch(2, requester=end_user, priority=None, now=at(0))
    others_audit = TicketAudit.objects.get(ticket=other)

    response = agent_client.get(f"{audits_url(mine.pk, '')}/{others_audit.pk}.json")
    assert (response.status_code, response.json()) == (404, NOT_FOUND)
    response = agent_client.get(f"{audits_url(mine.pk, '')}/999999999.json")
    assert (response.status_code, response.json()) == (404, NOT_FOUND)


@pytest.mark.parametrize(("role", "status"), [("end-user", 403), ("anonymous", 401)])
def test_only_agents_and_admins_read_audits(
    client_for: Any, end_user: User, role: str, status: int
) -> None:
    """Zendesk: "Allowed for Agents", even the requester of the ticket."""
    ticket = TicketFactory(requester=end_user, priority=None, now=at(0))
    audit = TicketAudit.objects.get(ticket=ticket)
    for url in (audits_url(ticket.pk), f"{audits_url(ticket.pk, '')}/{audit.pk}.json"):
        response = client_for(role).get(url)
        assert response.status_code == status
        if status == 403:
            assert response.json()["error"]["title"] == "Forbidden"
    assert get_ok(client_for("admin"), audits_url(ticket.pk))["count"] == 1


# Queries --------------------------------------------------------------------------------------


def count_queries(client: APIClient, url: str) -> int:
    with CaptureQueriesContext(connection) as queries:
        get_ok(client, url)
    return len(queries)


@pytest.mark.parametrize("query", ["", "?per_page=100", "?page[size]=100"])
def test_a_page_costs_the_same_queries_whatever_its_number_of_audits(
    agent_client: APIClient,
    end_user: User,
    agent_user: User,
    django_assert_num_queries: Any,
    query: str,
) -> None:
    # Two audits, with every event class:
    small = TicketFactory(requester=end_user, priority=None, now=at(0))
    update(small, agent_user, 1, comment="r", status="open")
    big = TicketFactory(requester=end_user, priority=None, now=at(0), tags=["a"])
    for n in range(1, 9):
        priority = ["low", "high"][n % 2]
        update(big, agent_user, n, comment=f"r{n}", tags=["a", str(n)], priority=priority)
    big_audits = TicketAudit.objects.filter(ticket=big)
    assert big_audits.count() == 9
    assert AuditEvent.objects.filter(audit__in=big_audits).count() > 25
    get_ok(agent_client, audits_url(small.pk) + query)  # warms the content-type cache

    expected = count_queries(agent_client, audits_url(small.pk) + query)

    # Sign-in, the ticket, (the count,) the audits, the base event rows, one query per event
    # class (Create, Change, Comment), the comments.
    assert expected <= 12
    with django_assert_num_queries(expected):
        body = get_ok(agent_client, audits_url(big.pk) + query)
    assert len(body["audits"]) == 9
    audit_id = body["audits"][-1]["id"]
    show = f"{audits_url(big.pk, '')}/{audit_id}.json"
    get_ok(agent_client, show)
    assert count_queries(agent_client, show) <= expected


# Schemas --------------------------------------------------------------------------------------


def test_answers_match_zendesks_schema_and_ours(
    agent_client: APIClient, end_user: User, agent_user: User, schema: dict[str, Any]
) -> None:
    ticket = TicketFactory(
        requester=end_user, priority=None, now=at(0), tags=["vip"], custom_fields={"123": "x"}
    )
    audit = update(ticket, agent_user, 5, comment="ok", status="open", custom_fields={"123": "y"})
    update(ticket, None, 6, assignee_id=agent_user.pk)
    urls = {
        "list": audits_url(ticket.pk),
        "cursor": audits_url(ticket.pk) + "?page[size]=2",
        "show": f"{audits_url(ticket.pk, '')}/{audit.pk}.json",
    }
    for kind, url in urls.items():
        response = agent_client.get(url)
        assert_matches_schema(schema, "get", url, response)
        zendesk = ZENDESK_AUDIT_SHOW if kind == "show" else ZENDESK_AUDIT_LIST
        jsonschema.validate(response.json(), zendesk)
    for url in (audits_url(ticket.pk + 1000), f"{audits_url(ticket.pk, '')}/999999.json"):
        assert_matches_schema(schema, "get", url, agent_client.get(url))


def test_a_comment_sent_as_html_keeps_its_html_in_the_audit(
    agent_client: APIClient, end_user: User
) -> None:
    ticket = TicketFactory(requester=end_user)
    response = agent_client.put(
        f"/api/v2/tickets/{ticket.pk}.json",
        {"ticket": {"comment": {"html_body": "<p>Try <b>restarting</b></p>"}}},
        format="json",
    )
    assert response.status_code == 200, response.content
    [event] = [e for e in response.json()["audit"]["events"] if e["type"] == "Comment"]
    assert event["html_body"] == "<p>Try <b>restarting</b></p>"
    listed = get_ok(agent_client, audits_url(ticket.pk))["audits"][-1]
    [listed_event] = [e for e in listed["events"] if e["type"] == "Comment"]
    assert listed_event["html_body"] == "<p>Try <b>restarting</b></p>"

"""zenpy (PyPI) against a live slaweb: `Zenpy.tickets.audits(ticket=id)`, as a zenpy user calls it.

zenpy 2.0.57 turns each audit into an `Audit` (its `metadata` and `via` into objects) and leaves
the events as dicts; a caller wanting event objects builds them with zenpy's own mapping, keyed by
the lower-cased event type ("create" -> CreateEvent, "change" -> ChangeEvent, "comment" ->
Comment), which is what the last test checks.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qs, urlsplit

import pytest
from zenpy.lib.api_objects import Audit, ChangeEvent, Comment, CreateEvent

from tests.clients.conftest import Account, ZenpyHarness
from tests.factories import TicketFactory
from tickets import services
from tickets.custom_statuses import custom_status_default
from tickets.models import Ticket, TicketAudit, User

pytestmark = pytest.mark.clients


@pytest.fixture
def ticket(account: Account) -> Ticket:
    """Created by a customer, then answered and opened by the admin, one minute later."""
    customer = services.user_create(name="Customer", email="customer@example.com")
    start = datetime.now(UTC).replace(microsecond=0) - timedelta(hours=1)
    ticket = TicketFactory(
        requester=customer, subject="Printer on fire", comment_body="It is on fire.", now=start
    )
    services.ticket_update(
        ticket_id=ticket.pk,
        fields={"status": "open", "priority": "urgent"},
        author_id=account.admin.pk,
        comment=services.NewComment(body="On our way", public=False, author_id=account.admin.pk),
        now=start + timedelta(minutes=1),
    )
    return ticket


def test_audits_of_a_ticket(
    zenpy_api: ZenpyHarness, server_url: str, account: Account, ticket: Ticket
) -> None:
    created, updated = TicketAudit.objects.filter(ticket=ticket).order_by("id")
    customer = User.objects.get(email="customer@example.com")

    audits = list(zenpy_api.client.tickets.audits(ticket=ticket.pk))

    exchange = zenpy_api.last("GET")
    url = urlsplit(exchange.url)
    assert f"{url.scheme}://{url.netloc}{url.path}" == (
        f"{server_url}/api/v2/tickets/{ticket.pk}/audits.json"
    )
    # zenpy asks for cursor pagination (and sends its unset side-load as "include=None").
    assert parse_qs(url.query) == {"page[size]": ["100"], "include": ["None"]}
    assert exchange.status == 200
    assert all(isinstance(audit, Audit) for audit in audits)
    assert [(a.id, a.ticket_id, a.author_id) for a in audits] == [
        (created.pk, ticket.pk, customer.pk),
        (updated.pk, ticket.pk, account.admin.pk),
    ]
    assert audits[0].created < audits[1].created  # zenpy parses created_at
    assert audits[1].via.channel == "api"
    assert audits[1].metadata.system is not None

    comment, *changes = audits[1].events
    assert (comment["type"], comment["body"], comment["public"]) == ("Comment", "On our way", False)
    assert {e["field_name"]: (e["type"], e["previous_value"], e["value"]) for e in changes} == {
        "status": ("Change", "new", "open"),
        "custom_status_id": (
            "Change",
            custom_status_default("new").pk,
            custom_status_default("open").pk,
        ),
        "priority": ("Change", "normal", "urgent"),
    }
    first_comment, *creates = audits[0].events
    assert first_comment["body"] == "It is on fire."
    assert {e["type"] for e in creates} == {"Create"}
    assert {e["field_name"] for e in creates} >= {"subject", "priority", "requester_id"}


def test_audit_events_map_to_zenpy_event_objects(zenpy_api: ZenpyHarness, ticket: Ticket) -> None:
    audits = list(zenpy_api.client.tickets.audits(ticket=ticket.pk))
    mapping = zenpy_api.client.tickets._object_mapping  # zenpy's JSON-to-object mapping

    events = [
        mapping.object_from_json(event["type"].lower(), dict(event))
        for audit in audits
        for event in audit.events
    ]

    assert {type(e) for e in events} == {Comment, CreateEvent, ChangeEvent}
    status = next(e for e in events if isinstance(e, ChangeEvent) and e.field_name == "status")
    assert (status.type, status.previous_value, status.value) == ("Change", "new", "open")
    subject = next(e for e in events if isinstance(e, CreateEvent) and e.field_name == "subject")
    assert (subject.type, subject.value) == ("Create", "Printer on fire")
    replies = [e for e in events if isinstance(e, Comment)]
    assert [(c.body, c.public, c.type) for c in replies] == [
        ("It is on fire.", True, "Comment"),
        ("On our way", False, "Comment"),
    ]
    assert all(c.audit_id == a.id for c, a in zip(replies, audits, strict=True))

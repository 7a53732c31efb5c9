"""Update Ticket's tag lists and Zendesk's protection against update collisions: with
`safe_update`, an update applies only while `updated_stamp` is the ticket's `updated_at`."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import time_machine
from rest_framework.test import APIClient

from tests.factories import TicketFactory, UserFactory
from tickets.models import Ticket, TicketAudit, User

pytestmark = pytest.mark.django_db
T0 = datetime(2026, 3, 2, 15, 0, tzinfo=UTC)


@pytest.fixture
def customer() -> User:
    return UserFactory(role="end-user", email="customer-collisions@example.com")


def put(client: APIClient, ticket: Ticket, **fields: Any) -> Any:
    return client.put(f"/api/v2/tickets/{ticket.pk}.json", {"ticket": fields}, format="json")


def test_tags_are_added_and_removed_on_one_ticket(agent_client: APIClient, customer: User) -> None:
    ticket = TicketFactory(requester=customer, tags=["onboarding", "vip"])
    response = put(agent_client, ticket, additional_tags=["billing"], remove_tags=["vip"])
    assert response.status_code == 200, response.json()
    assert response.json()["ticket"]["tags"] == ["onboarding", "billing"]
    ticket.refresh_from_db()
    assert ticket.tags == ["onboarding", "billing"]


def test_a_safe_update_with_the_current_stamp_applies(
    agent_client: APIClient, customer: User
) -> None:
    ticket = TicketFactory(requester=customer, subject="Printer", now=T0)
    stamp = agent_client.get(f"/api/v2/tickets/{ticket.pk}.json").json()["ticket"]["updated_at"]
    with time_machine.travel(T0 + timedelta(minutes=5), tick=False):
        response = put(
            agent_client, ticket, subject="Printer on fire", safe_update=True, updated_stamp=stamp
        )
    assert response.status_code == 200, response.json()
    ticket.refresh_from_db()
    assert ticket.subject == "Printer on fire"


def test_a_safe_update_after_another_update_is_a_409_that_writes_nothing(
    agent_client: APIClient, customer: User
) -> None:
    ticket = TicketFactory(requester=customer, subject="Printer", now=T0)
    stamp = agent_client.get(f"/api/v2/tickets/{ticket.pk}.json").json()["ticket"]["updated_at"]
    with time_machine.travel(T0 + timedelta(minutes=5), tick=False):
        assert put(agent_client, ticket, priority="high").status_code == 200
    audits = TicketAudit.objects.filter(ticket=ticket).count()
    with time_machine.travel(T0 + timedelta(minutes=10), tick=False):
        response = put(
            agent_client,
            ticket,
            subject="Stale write",
            comment={"body": "Overwriting"},
            safe_update=True,
            updated_stamp=stamp,
        )
    assert response.status_code == 409, response.json()
    assert response.json() == {
        "error": "UpdateConflict",
        "description": "Safe Update prevented the update due to outdated ticket data: the ticket "
        "was updated at 2026-03-02T15:05:00Z. Fetch it again and retry.",
    }
    ticket.refresh_from_db()
    assert (ticket.subject, ticket.priority) == ("Printer", "high")
    assert TicketAudit.objects.filter(ticket=ticket).count() == audits
    # Without safe_update the same stale stamp is no obstacle, as in Zendesk.
    response = put(agent_client, ticket, subject="Forced", updated_stamp=stamp)
    assert response.status_code == 200, response.json()


def test_a_safe_update_needs_its_stamp(agent_client: APIClient, customer: User) -> None:
    ticket = TicketFactory(requester=customer, subject="Printer")
    response = put(agent_client, ticket, subject="No stamp", safe_update=True)
    assert response.status_code == 422
    assert list(response.json()["details"]) == ["updated_stamp"]
    ticket.refresh_from_db()
    assert ticket.subject == "Printer"

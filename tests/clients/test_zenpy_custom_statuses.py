"""zenpy (PyPI) against a live slaweb: `Zenpy.custom_statuses` lists, shows, creates and updates
custom ticket statuses, and tickets move between them with `custom_status_id`, their status
following the category (a bare status brings the category's default)."""

from __future__ import annotations

import pytest
from zenpy.lib.api_objects import CustomStatus, Ticket
from zenpy.lib.exception import APIException, ZenpyException

from tests.clients.conftest import Account, ZenpyHarness
from tickets import services
from tickets.custom_statuses import custom_status_default
from tickets.models import Ticket as TicketRow

pytestmark = pytest.mark.clients

CATEGORIES = ("new", "open", "pending", "hold", "solved")


@pytest.fixture
def defaults(account: Account) -> dict[str, int]:
    # The live server's database is emptied between tests: the defaults are made again.
    return {category: custom_status_default(category).pk for category in CATEGORIES}


def test_custom_statuses_list_create_show_update(
    zenpy_api: ZenpyHarness, server_url: str, defaults: dict[str, int]
) -> None:
    listed = list(zenpy_api.client.custom_statuses())
    assert [(s.status_category, s.agent_label, s.default) for s in listed] == [
        ("new", "New", True),
        ("open", "Open", True),
        ("pending", "Pending", True),
        ("hold", "On-hold", True),
        ("solved", "Solved", True),
    ]
    assert all(isinstance(s, CustomStatus) for s in listed)

    created = zenpy_api.client.custom_statuses.create(
        CustomStatus(
            status_category="hold",
            agent_label="Waiting on vendor",
            end_user_label="In progress",
            description="The vendor has the next step",
        )
    )
    post = zenpy_api.last("POST")
    assert post.url == f"{server_url}/api/v2/custom_statuses.json"
    assert post.status == 201
    assert isinstance(created, CustomStatus)
    assert (created.status_category, created.agent_label, created.end_user_label) == (
        "hold",
        "Waiting on vendor",
        "In progress",
    )
    assert (created.active, created.default, created.raw_agent_label) == (
        True,
        False,
        "Waiting on vendor",
    )

    shown = zenpy_api.client.custom_statuses(id=created.id)
    assert (shown.id, shown.agent_label) == (created.id, "Waiting on vendor")

    shown.agent_label = "Waiting on the vendor"
    updated = zenpy_api.client.custom_statuses.update(shown)
    put = zenpy_api.last("PUT")
    assert put.url == f"{server_url}/api/v2/custom_statuses/{created.id}.json"
    assert put.body == {"custom_status": {"id": created.id, "agent_label": "Waiting on the vendor"}}
    assert (updated.agent_label, updated.status_category) == ("Waiting on the vendor", "hold")

    holds = [
        s.agent_label for s in zenpy_api.client.custom_statuses() if s.status_category == "hold"
    ]
    assert holds == ["On-hold", "Waiting on the vendor"]

    # zenpy refuses to delete one, as Zendesk has no delete; the server's rules answer in
    # Zendesk's error shape.
    with pytest.raises(ZenpyException):
        zenpy_api.client.custom_statuses.delete(updated)
    default_hold = zenpy_api.client.custom_statuses(id=defaults["hold"])
    default_hold.active = False
    with pytest.raises(APIException) as refused:
        zenpy_api.client.custom_statuses.update(default_hold)
    assert "cannot be deactivated" in str(refused.value)


def test_tickets_move_between_custom_statuses(
    zenpy_api: ZenpyHarness, account: Account, defaults: dict[str, int]
) -> None:
    customer = services.user_create(name="Customer", email="customer@example.com")
    vendor = zenpy_api.client.custom_statuses.create(
        CustomStatus(status_category="hold", agent_label="Waiting on vendor")
    )
    result = zenpy_api.client.tickets.create(
        Ticket(subject="Printer", description="On fire", requester_id=customer.pk)
    )
    ticket = result.ticket
    assert (ticket.status, ticket.custom_status_id) == ("new", defaults["new"])

    ticket.custom_status_id = vendor.id
    moved = zenpy_api.client.tickets.update(ticket).ticket
    assert (moved.status, moved.custom_status_id) == ("hold", vendor.id)
    events = [
        (e["field_name"], e["previous_value"], e["value"])
        for e in zenpy_api.last("PUT").response_json["audit"]["events"]
    ]
    assert events == [("status", "new", "hold"), ("custom_status_id", defaults["new"], vendor.id)]

    moved.status = "open"
    reopened = zenpy_api.client.tickets.update(moved).ticket
    assert (reopened.status, reopened.custom_status_id) == ("open", defaults["open"])
    row = TicketRow.objects.get(pk=ticket.id)
    assert (row.status, row.custom_status_id) == ("open", defaults["open"])

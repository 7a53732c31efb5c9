"""zenpy (PyPI) against a live slaweb: custom statuses pause exactly the clocks their categories
pause, as a zenpy user sees it in the metric events export, and an archived ticket imported
with `Zenpy.ticket_import` keeps its closed status and its solved-category custom status."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import time_machine
from zenpy.lib.api_objects import Comment, CustomStatus, Ticket

from policies import services as policy_services
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


@pytest.fixture
def no_hold_back(settings: Any) -> None:
    settings.SLAWEB_EXPORT_HOLD_BACK_SECONDS = 0


def status_clock_events(events: Any, ticket_id: int) -> list[tuple[str, str, int]]:
    """The ticket's pause and activate events of the status-paused clocks, as (metric, type,
    minutes after the first of them)."""
    rows = [
        (e.metric, e.type, e.time)
        for e in events
        if e.ticket_id == ticket_id
        and e.metric in ("requester_wait_time", "agent_work_time")
        and e.type in ("pause", "activate")
    ]
    start = min(datetime.fromisoformat(t) for _, _, t in rows)
    return sorted(
        (metric, kind, round((datetime.fromisoformat(t) - start).total_seconds() / 60))
        for metric, kind, t in rows
    )


def test_custom_statuses_pause_the_clocks_their_categories_pause(
    zenpy_api: ZenpyHarness, account: Account, defaults: dict[str, int], no_hold_back: None
) -> None:
    policy_services.policy_create(
        title="Everyone",
        filter={"all": [], "any": []},
        policy_metrics=[
            {"priority": p, "metric": m, "target_seconds": 8 * 3600, "business_hours": False}
            for p in ("low", "normal", "high", "urgent")
            for m in ("requester_wait_time", "agent_work_time")
        ],
    )
    customer = services.user_create(name="Customer", email="customer@example.com")
    client = zenpy_api.client
    waiting_on_it = client.custom_statuses.create(
        CustomStatus(status_category="pending", agent_label="Waiting on customer's IT")
    )
    vendor = client.custom_statuses.create(
        CustomStatus(status_category="hold", agent_label="Waiting on vendor")
    )
    # Time runs on from each of these instants, in the server's thread too.
    start = datetime.now(UTC).replace(microsecond=0) - timedelta(days=1)

    def at(minutes: int) -> time_machine.travel:
        return time_machine.travel(start + timedelta(minutes=minutes))

    with at(0):
        ticket = client.tickets.create(
            Ticket(subject="VPN down", description="Since 9", requester_id=customer.pk)
        ).ticket
    with at(10):
        ticket.custom_status_id = waiting_on_it.id
        ticket = client.tickets.update(ticket).ticket
        assert (ticket.status, ticket.custom_status_id) == ("pending", waiting_on_it.id)
    with at(40):
        ticket.custom_status_id = vendor.id
        ticket = client.tickets.update(ticket).ticket
        assert (ticket.status, ticket.custom_status_id) == ("hold", vendor.id)
    with at(70):
        ticket.status = "open"
        ticket = client.tickets.update(ticket).ticket
        assert (ticket.status, ticket.custom_status_id) == ("open", defaults["open"])

    events = list(client.ticket_metric_events(start_time=int(start.timestamp()) - 60))

    # Pending (Waiting on customer's IT) paused both; on-hold (Waiting on vendor) resumed the
    # requester's wait and kept the agent's work paused; open resumed the agent's work.
    assert status_clock_events(events, ticket.id) == [
        ("agent_work_time", "activate", 0),
        ("agent_work_time", "activate", 70),
        ("agent_work_time", "pause", 10),
        ("requester_wait_time", "activate", 0),
        ("requester_wait_time", "activate", 40),
        ("requester_wait_time", "pause", 10),
    ]


def test_an_archived_ticket_imports_closed_in_its_solved_custom_status(
    zenpy_api: ZenpyHarness, server_url: str, account: Account, defaults: dict[str, int]
) -> None:
    customer = services.user_create(name="Customer", email="customer@example.com")
    client = zenpy_api.client
    fixed = client.custom_statuses.create(
        CustomStatus(status_category="solved", agent_label="Fixed by a patch")
    )

    imported = client.ticket_import.create(
        Ticket(
            subject="Archived",
            requester_id=customer.pk,
            status="closed",
            custom_status_id=fixed.id,
            comments=[Comment(body="It broke", author_id=customer.pk)],
            created_at="2026-01-05T09:00:00Z",
            solved_at="2026-01-05T11:00:00Z",
            updated_at="2026-01-09T11:00:00Z",
        )
    )

    post = zenpy_api.last("POST")
    assert post.url == f"{server_url}/api/v2/imports/tickets.json"
    assert post.body["ticket"]["custom_status_id"] == fixed.id
    assert post.status == 201, post.response_json
    shown = client.tickets(id=imported.id)
    assert (shown.status, shown.custom_status_id) == ("closed", fixed.id)
    row = TicketRow.objects.get(pk=imported.id)
    assert (row.status, row.custom_status_id) == ("closed", fixed.id)

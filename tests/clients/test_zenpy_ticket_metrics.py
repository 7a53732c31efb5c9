"""zenpy (PyPI) against a live slaweb: `tickets.metrics(id)`, `ticket_metrics()` and
`ticket_metrics(id=...)`, as a zenpy user calls them."""

from __future__ import annotations

from datetime import UTC, datetime
from urllib.parse import parse_qs, urlsplit

import pytest
from zenpy.lib.api_objects import TicketMetric
from zenpy.lib.exception import RecordNotFoundException

from policies import services as policy_services
from tests.clients.conftest import Account, ZenpyHarness
from tests.factories import TicketFactory
from tickets import services
from tickets.models import Ticket, User

pytestmark = pytest.mark.clients


def t(day: int, hour: int, minute: int = 0) -> datetime:
    """March 2024, UTC: the 4th and the 11th are Mondays."""
    return datetime(2024, 3, day, hour, minute, tzinfo=UTC)


def reply(ticket: Ticket, author: User, when: datetime, **fields: object) -> None:
    services.ticket_update(
        ticket_id=ticket.pk,
        fields=fields,
        author_id=author.pk,
        comment=services.NewComment(body="...", public=True, author_id=author.pk),
        now=when,
    )


@pytest.fixture
def tickets(account: Account) -> tuple[Ticket, Ticket]:
    """On the default 09:00-17:00 schedule: one ticket asked Tuesday 16:30, answered and pending
    Wednesday 09:30, reopened by the customer Friday 16:00, solved Monday 10:00; one still new."""
    policy_services.schedule_create(name="Office", time_zone="UTC")
    customer = services.user_create(name="Customer", email="customer@example.com")
    solved = TicketFactory(requester=customer, now=t(5, 16, 30))
    admin = account.admin
    reply(solved, admin, t(6, 9, 30), status="pending", assignee_id=admin.pk)
    reply(solved, customer, t(8, 16))
    reply(solved, admin, t(11, 10), status="solved")
    waiting = TicketFactory(requester=customer, now=t(12, 9))
    return solved, waiting


def assert_solved_metrics(metric: TicketMetric, ticket: Ticket) -> None:
    assert isinstance(metric, TicketMetric)
    assert (metric.id, metric.ticket_id) == (ticket.pk, ticket.pk)
    # Tue 16:30 -> Wed 09:30: 17 h, of which 30 + 30 business minutes.
    assert metric.reply_time_in_minutes == {"calendar": 1020, "business": 60}
    # Tue 16:30 -> Mon 10:00: 137.5 h; business 30 + 3 * 480 + 60.
    assert metric.first_resolution_time_in_minutes == {"calendar": 8250, "business": 1530}
    assert metric.full_resolution_time_in_minutes == {"calendar": 8250, "business": 1530}
    # Pending Wed 09:30 -> Fri 16:00: 54.5 h; business 450 + 480 + 420.
    assert metric.agent_wait_time_in_minutes == {"calendar": 3270, "business": 1350}
    assert metric.requester_wait_time_in_minutes == {"calendar": 4980, "business": 180}
    assert metric.on_hold_time_in_minutes == {"calendar": None, "business": None}
    assert (metric.replies, metric.reopens, metric.assignee_stations) == (2, 0, 1)
    assert metric.solved == t(11, 10)  # zenpy parses the *_at timestamps
    assert metric.assigned == metric.initially_assigned == t(6, 9, 30)
    assert metric.requester_updated == t(8, 16)
    assert metric.created == t(5, 16, 30)


def test_metrics_of_one_ticket(
    zenpy_api: ZenpyHarness, server_url: str, tickets: tuple[Ticket, Ticket]
) -> None:
    solved, waiting = tickets

    metric = zenpy_api.client.tickets.metrics(solved.pk)

    exchange = zenpy_api.last("GET")
    assert exchange.url == f"{server_url}/api/v2/tickets/{solved.pk}/metrics.json"
    assert exchange.status == 200
    assert_solved_metrics(metric, solved)

    new = zenpy_api.client.tickets.metrics(waiting.pk)
    assert new.reply_time_in_minutes == {"calendar": None, "business": None}
    assert new.solved_at is None
    assert new.replies == 0


def test_ticket_metrics_lists_every_ticket(
    zenpy_api: ZenpyHarness, server_url: str, tickets: tuple[Ticket, Ticket]
) -> None:
    solved, waiting = tickets

    metrics = list(zenpy_api.client.ticket_metrics())

    url = urlsplit(zenpy_api.last("GET").url)
    assert f"{url.scheme}://{url.netloc}{url.path}" == f"{server_url}/api/v2/ticket_metrics.json"
    assert parse_qs(url.query)["page[size]"] == ["100"]  # zenpy pages with cursors
    assert [m.ticket_id for m in metrics] == [solved.pk, waiting.pk]
    assert_solved_metrics(metrics[0], solved)
    assert metrics[1].created == t(12, 9)


def test_ticket_metrics_by_id(zenpy_api: ZenpyHarness, tickets: tuple[Ticket, Ticket]) -> None:
    solved, _ = tickets

    assert_solved_metrics(zenpy_api.client.ticket_metrics(id=solved.pk), solved)
    with pytest.raises(RecordNotFoundException):
        zenpy_api.client.tickets.metrics(solved.pk + 1000)

"""zenpy (PyPI) against a live slaweb: creating, updating, filtering and sorting tickets, as a
zenpy user writes it.

zenpy returns a `TicketAudit` for a create or update only when the answer has both `ticket` and
`audit`; its `.ticket` is a `Ticket` and its `.audit` an `Audit` whose events stay dicts.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qs, urlsplit

import pytest
from zenpy.lib.api_objects import Audit, Comment, CustomField, Ticket, TicketAudit
from zenpy.lib.exception import APIException

from tests.clients.conftest import Account, ZenpyHarness
from tests.factories import TicketFactory, TicketFieldFactory
from tickets import services
from tickets.models import Ticket as TicketRow
from tickets.models import TicketAudit as AuditRow
from tickets.models import User

pytestmark = pytest.mark.clients


@pytest.fixture
def customer(account: Account) -> User:
    return services.user_create(name="Customer", email="customer@example.com")


def test_create_returns_a_ticket_audit(
    zenpy_api: ZenpyHarness, server_url: str, account: Account, customer: User
) -> None:
    result = zenpy_api.client.tickets.create(
        Ticket(
            subject="Printer on fire",
            description="It is on fire.",
            requester_id=customer.pk,
            priority="high",
            external_id="crm-1",
        )
    )

    assert isinstance(result, TicketAudit)
    assert isinstance(result.ticket, Ticket)
    row = TicketRow.objects.get()
    assert result.ticket.id == row.pk
    assert (result.ticket.subject, result.ticket.external_id) == ("Printer on fire", "crm-1")
    assert result.ticket.via.source.from_ == {}
    assert isinstance(result.audit, Audit)
    assert (result.audit.id, result.audit.ticket_id) == (AuditRow.objects.get().pk, row.pk)
    comment, *creates = result.audit.events
    assert (comment["type"], comment["body"]) == ("Comment", "It is on fire.")
    assert {e["field_name"] for e in creates} >= {"subject", "priority", "external_id"}
    exchange = zenpy_api.last("POST")
    assert exchange.url == f"{server_url}/api/v2/tickets.json"
    assert exchange.status == 201
    assert exchange.headers["Location"] == f"{server_url}/api/v2/tickets/{row.pk}.json"


def test_update_returns_a_ticket_audit(
    zenpy_api: ZenpyHarness, server_url: str, account: Account, customer: User
) -> None:
    ticket = zenpy_api.client.tickets.create(
        Ticket(subject="Printer on fire", description="Help", requester_id=customer.pk)
    ).ticket
    ticket.status = "open"
    ticket.comment = Comment(html_body="<p>On <b>our</b> way</p>", public=False)

    result = zenpy_api.client.tickets.update(ticket)

    exchange = zenpy_api.last("PUT")
    assert exchange.url == f"{server_url}/api/v2/tickets/{ticket.id}.json"
    assert exchange.body["ticket"]["id"] == ticket.id  # zenpy sends the id in the body too
    assert isinstance(result, TicketAudit)
    assert (result.ticket.id, result.ticket.status) == (ticket.id, "open")
    assert result.audit.author_id == account.admin.pk
    comment, change, custom = result.audit.events
    assert custom["field_name"] == "custom_status_id"
    assert (comment["type"], comment["body"], comment["public"]) == ("Comment", "On our way", False)
    assert (change["field_name"], change["previous_value"], change["value"]) == (
        "status",
        "new",
        "open",
    )
    comments = list(zenpy_api.client.tickets.comments(ticket=ticket.id))
    assert [(c.body, c.html_body, c.public) for c in comments] == [
        ("Help", "<p>Help</p>", True),
        ("On our way", "<p>On <b>our</b> way</p>", False),
    ]
    assert comments[1].audit_id == result.audit.id


def test_tickets_by_external_id(
    zenpy_api: ZenpyHarness, server_url: str, account: Account, customer: User
) -> None:
    first = TicketFactory(requester=customer, external_id="crm-7")
    TicketFactory(requester=customer, external_id="crm-8")
    second = TicketFactory(requester=customer, external_id="crm-7")

    found = list(zenpy_api.client.tickets(external_id="crm-7"))

    assert all(isinstance(t, Ticket) for t in found)
    assert [t.id for t in found] == [first.pk, second.pk]
    assert {t.external_id for t in found} == {"crm-7"}
    url = urlsplit(zenpy_api.last("GET").url)
    assert f"{url.scheme}://{url.netloc}{url.path}" == f"{server_url}/api/v2/tickets.json"
    assert parse_qs(url.query) == {"page[size]": ["100"], "external_id": ["crm-7"]}
    assert list(zenpy_api.client.tickets(external_id="nobody")) == []


def test_a_checkbox_reads_back_as_a_boolean(
    zenpy_api: ZenpyHarness, account: Account, customer: User
) -> None:
    checkbox = TicketFieldFactory(type="checkbox", title="Urgent?")
    created = zenpy_api.client.tickets.create(
        Ticket(
            subject="Box",
            description="Tick it",
            requester_id=customer.pk,
            custom_fields=[CustomField(id=checkbox.pk, value=True)],
        )
    ).ticket
    assert zenpy_api.last("POST").body["ticket"]["custom_fields"] == [
        {"id": checkbox.pk, "value": True}
    ]
    zenpy_api.client.disable_caching()

    shown = zenpy_api.client.tickets(id=created.id)

    assert zenpy_api.last("GET").response_json["ticket"]["custom_fields"] == [
        {"id": checkbox.pk, "value": True}
    ]
    [field] = shown.custom_fields
    assert field["value"] is True
    shown.custom_fields = [CustomField(id=checkbox.pk, value=False)]
    updated = zenpy_api.client.tickets.update(shown).ticket
    assert [f["value"] for f in updated.custom_fields] == [False]


def test_tickets_sorted_by_sort_by_and_sort_order(
    zenpy_api: ZenpyHarness, account: Account, customer: User
) -> None:
    start = datetime.now(UTC).replace(microsecond=0) - timedelta(hours=1)
    made = [
        TicketFactory(requester=customer, subject=f"T{n}", now=start + timedelta(minutes=n))
        for n in range(3)
    ]
    # The oldest is updated last.
    services.ticket_update(
        ticket_id=made[0].pk,
        fields={"priority": "low"},
        author_id=account.admin.pk,
        comment=None,
        now=start + timedelta(minutes=30),
    )

    newest_first = list(zenpy_api.client.tickets(sort_by="created_at", sort_order="desc"))
    by_update = list(zenpy_api.client.tickets(sort_by="updated_at", sort_order="asc"))

    assert [t.subject for t in newest_first] == ["T2", "T1", "T0"]
    assert [t.subject for t in by_update] == ["T1", "T2", "T0"]
    query = parse_qs(urlsplit(zenpy_api.last("GET").url).query)
    assert (query["sort_by"], query["sort_order"], query["page[size]"]) == (
        ["updated_at"],
        ["asc"],
        ["100"],
    )


def test_a_stale_safe_update_is_the_409_zenpy_raises(
    zenpy_api: ZenpyHarness, account: Account, customer: User
) -> None:
    created = zenpy_api.client.tickets.create(
        Ticket(subject="Printer", description="Help", requester_id=customer.pk)
    ).ticket
    mine = zenpy_api.client.tickets(id=created.id)
    theirs = zenpy_api.client.tickets(id=created.id)
    theirs.priority = "high"
    zenpy_api.client.tickets.update(theirs)
    row = TicketRow.objects.get(pk=created.id)
    row.updated_at = datetime.now(UTC).replace(microsecond=0) + timedelta(seconds=5)
    row.save(update_fields=["updated_at"])  # their save came a second or more after mine read

    mine.subject = "Stale write"
    mine.safe_update = True
    mine.updated_stamp = mine.updated_at
    with pytest.raises(APIException) as raised:
        zenpy_api.client.tickets.update(mine)

    exchange = zenpy_api.last("PUT")
    assert exchange.body["ticket"]["safe_update"] is True
    assert exchange.status == 409
    assert raised.value.response.json()["error"] == "UpdateConflict"
    assert TicketRow.objects.get(pk=created.id).subject == "Printer"

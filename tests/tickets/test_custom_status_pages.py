"""Custom statuses in the admin site: their own pages (written by the API's rules), and their
labels in the agent queue, on the ticket page and in its status picker."""

from __future__ import annotations

import re

import pytest
from django.test import Client

from tests.factories import CustomStatusFactory, TicketFactory, UserFactory
from tickets.custom_statuses import custom_status_default
from tickets.models import ChangeEvent, CustomStatus, Ticket, TicketAudit, User

pytestmark = pytest.mark.django_db
QUEUE = "/admin/tickets/ticket/"
STATUSES = "/admin/tickets/customstatus/"


@pytest.fixture
def agent() -> User:
    return UserFactory(role="agent", email="agent@example.com", name="Agent Smith")


@pytest.fixture
def admin() -> User:
    return UserFactory(role="admin", email="admin@example.com", name="Ada Admin")


@pytest.fixture
def defaults(db: None) -> dict[str, CustomStatus]:
    return {c: custom_status_default(c) for c in ("new", "open", "pending", "hold", "solved")}


def signed_in(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def page_url(ticket: Ticket) -> str:
    return f"/admin/tickets/ticket/{ticket.pk}/change/"


def post(client: Client, ticket: Ticket, **data: str) -> object:
    form = {
        "body": "",
        "visibility": "public",
        "status": ticket.status,
        "priority": ticket.priority or "",
    }
    return client.post(page_url(ticket), {**form, **data})


def picker(html: str) -> list[tuple[str, list[tuple[str, str]]]]:
    """The status picker's groups: (group label, [(value, label)])."""
    select = re.search(r'<select name="status"[^>]*>(.*?)</select>', html, re.S)
    assert select is not None
    groups = re.findall(r'<optgroup label="([^"]*)">(.*?)</optgroup>', select.group(1), re.S)
    return [
        (label, re.findall(r'<option value="([^"]*)"[^>]*>([^<]*)</option>', options))
        for label, options in groups
    ]


# The ticket page ------------------------------------------------------------------------------


def test_the_picker_offers_each_categorys_statuses(
    agent: User, defaults: dict[str, CustomStatus]
) -> None:
    vendor = CustomStatusFactory(status_category="hold", agent_label="Waiting on vendor")
    CustomStatusFactory(status_category="hold", agent_label="Retired", active=False)
    it = CustomStatusFactory(status_category="pending", agent_label="Waiting on customer's IT")
    ticket = TicketFactory(status="open", custom_status=defaults["open"])

    html = signed_in(agent).get(page_url(ticket)).content.decode()

    assert picker(html) == [
        ("Open", [("open", "Open")]),
        (
            "Pending",
            [("pending", "Pending"), (f"pending:{it.pk}", "Waiting on customer&#x27;s IT")],
        ),
        ("On-hold", [("hold", "On-hold"), (f"hold:{vendor.pk}", "Waiting on vendor")]),
        ("Solved", [("solved", "Solved")]),
    ]
    assert '<option value="open" selected>' in html


def test_the_page_names_the_custom_status_and_keeps_an_inactive_one_selectable(
    agent: User, defaults: dict[str, CustomStatus]
) -> None:
    retired = CustomStatusFactory(status_category="hold", agent_label="Retired")
    ticket = TicketFactory(status="hold", custom_status=retired)
    retired.active = False  # retired while the ticket is in it
    retired.save(update_fields=["active"])

    html = signed_in(agent).get(page_url(ticket)).content.decode()

    assert '<dd data-field="status">Retired (On-hold)</dd>' in html
    assert ("On-hold", [("hold", "On-hold"), (f"hold:{retired.pk}", "Retired")]) in picker(html)
    assert f'<option value="hold:{retired.pk}" selected>' in html
    # Saving a reply leaves the status as it is.
    assert post(signed_in(agent), ticket, body="Still waiting", status=f"hold:{retired.pk}")
    assert Ticket.objects.get(pk=ticket.pk).custom_status_id == retired.pk


def test_choosing_a_custom_status_sets_it_and_its_category(
    agent: User, defaults: dict[str, CustomStatus]
) -> None:
    vendor = CustomStatusFactory(status_category="hold", agent_label="Waiting on vendor")
    ticket = TicketFactory(status="open", custom_status=defaults["open"])

    response = post(signed_in(agent), ticket, status=f"hold:{vendor.pk}")

    assert response.status_code == 302  # type: ignore[attr-defined]
    saved = Ticket.objects.get(pk=ticket.pk)
    assert (saved.status, saved.custom_status_id) == ("hold", vendor.pk)
    audit = TicketAudit.objects.filter(ticket=ticket).latest("id")
    changes = ChangeEvent.objects.filter(audit=audit).order_by("id")
    assert [(c.field_name, c.previous_value, c.value) for c in changes] == [
        ("status", "open", "hold"),
        ("custom_status_id", defaults["open"].pk, vendor.pk),
    ]


def test_choosing_a_category_brings_its_default(
    agent: User, defaults: dict[str, CustomStatus]
) -> None:
    it = CustomStatusFactory(status_category="pending", agent_label="Waiting on customer's IT")
    investigating = CustomStatusFactory(status_category="open", agent_label="Investigating")
    waiting = TicketFactory(status="pending", custom_status=it)
    working = TicketFactory(status="open", custom_status=investigating)

    post(signed_in(agent), waiting, status="open")
    post(signed_in(agent), working, status="open")  # its default, in the same category

    assert Ticket.objects.get(pk=waiting.pk).custom_status_id == defaults["open"].pk
    assert Ticket.objects.get(pk=working.pk).custom_status_id == defaults["open"].pk
    assert Ticket.objects.get(pk=working.pk).status == "open"


def test_an_inactive_status_is_refused_by_the_picker(
    agent: User, defaults: dict[str, CustomStatus]
) -> None:
    retired = CustomStatusFactory(status_category="hold", active=False)
    ticket = TicketFactory(status="open", custom_status=defaults["open"])

    response = post(signed_in(agent), ticket, status=f"hold:{retired.pk}")

    assert "Select a valid choice" in response.content.decode()  # type: ignore[attr-defined]
    assert Ticket.objects.get(pk=ticket.pk).status == "open"


# The queue ------------------------------------------------------------------------------------


def test_the_queue_shows_the_custom_label_with_its_category(
    agent: User, defaults: dict[str, CustomStatus]
) -> None:
    vendor = CustomStatusFactory(status_category="hold", agent_label="Waiting on vendor")
    TicketFactory(subject="vendor", status="hold", custom_status=vendor)
    TicketFactory(subject="plain", status="pending", custom_status=defaults["pending"])
    TicketFactory(subject="legacy", status="open", custom_status=None)

    html = signed_in(agent).get(QUEUE).content.decode()

    cells = re.findall(r'<td class="field-status_name">(.*?)</td>', html, re.S)
    assert sorted(cells) == [
        '<span title="Status category: On-hold">Waiting on vendor</span>',
        "Open",
        "Pending",
    ]


# The custom status pages ------------------------------------------------------------------------


def test_an_admin_creates_a_status(admin: User, defaults: dict[str, CustomStatus]) -> None:
    response = signed_in(admin).post(
        f"{STATUSES}add/",
        {"status_category": "hold", "agent_label": "Waiting on vendor", "active": "on"},
    )

    assert response.status_code == 302
    created = CustomStatus.objects.get(agent_label="Waiting on vendor")
    assert (created.status_category, created.end_user_label, created.default) == (
        "hold",
        "Waiting on vendor",
        False,
    )
    listed = signed_in(admin).get(STATUSES).content.decode()
    order = re.findall(r'<th class="field-agent_label"><a href="[^"]*">([^<]*)</a>', listed)
    assert order == ["New", "Open", "Pending", "On-hold", "Waiting on vendor", "Solved"]


def test_the_default_cannot_be_deactivated_and_the_category_is_fixed(
    admin: User, defaults: dict[str, CustomStatus]
) -> None:
    hold = defaults["hold"]
    form = {
        "status_category": "pending",  # read-only on the page: ignored
        "agent_label": "On-hold",
        "end_user_label": "Open",
        "default": "on",
    }

    response = signed_in(admin).post(f"{STATUSES}{hold.pk}/change/", form)

    assert response.status_code == 200
    assert "the default status of a category cannot be deactivated" in response.content.decode()
    fresh = CustomStatus.objects.get(pk=hold.pk)
    assert (fresh.status_category, fresh.active, fresh.default) == ("hold", True, True)


def test_making_a_status_the_default_replaces_the_old_one(
    admin: User, defaults: dict[str, CustomStatus]
) -> None:
    vendor = CustomStatusFactory(status_category="hold", agent_label="Waiting on vendor")
    form = {"agent_label": "Waiting on vendor", "active": "on", "default": "on"}

    response = signed_in(admin).post(f"{STATUSES}{vendor.pk}/change/", form)

    assert response.status_code == 302
    assert custom_status_default("hold") == vendor
    assert not CustomStatus.objects.get(pk=defaults["hold"].pk).default


def test_statuses_cannot_be_deleted(admin: User, defaults: dict[str, CustomStatus]) -> None:
    response = signed_in(admin).get(f"{STATUSES}{defaults['open'].pk}/delete/")

    assert response.status_code == 403

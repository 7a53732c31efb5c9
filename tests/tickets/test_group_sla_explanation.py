""" "Why this SLA" for group SLAs: the explanation API's `group` part, replayed from the
ticket's history, and the ticket page's words for it and for the group ownership badge."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import jsonschema
import pytest
import time_machine
from django.test import Client

from slaweb.api.timestamps import iso
from tests.factories import GroupFactory, UserFactory, make_policy, metric
from tests.test_schema import operation_for
from tests.tickets.test_group_sla_tickets import EVERYONE, HOUR, START, group_policy, new_ticket
from tests.tickets.test_group_sla_tickets import update as save
from tickets.admin.ticket_page import attach_badge_data, ticket_badge
from tickets.models import Ticket

pytestmark = pytest.mark.django_db


def explanation(client: Any, ticket: Ticket, now: Any) -> dict[str, Any]:
    with time_machine.travel(now, tick=False):
        response = client.get(f"/api/v2/tickets/{ticket.pk}/sla_explanation.json")
    assert response.status_code == 200
    schema = client.get("/api/schema/?format=json").json()
    documented = operation_for(schema, "get", f"/api/v2/tickets/{ticket.pk}/sla_explanation.json")
    body_schema = documented["responses"]["200"]["content"]["application/json"]["schema"]
    jsonschema.validate(response.json(), {**body_schema, "components": schema["components"]})
    return response.json()["sla_explanation"]


def test_the_explanation_names_the_group_policies_tried_and_each_ownership(
    admin_client: Any,
) -> None:
    tier1, tier2 = GroupFactory(name="Tier 1"), GroupFactory(name="Tier 2")
    first = group_policy(tier1, urgent_seconds=2 * 3600)
    second = group_policy(tier2)
    agent = UserFactory(role="agent")
    ticket = new_ticket(UserFactory(role="end-user"), tier1)
    save(ticket, agent, START + HOUR, group_id=tier2.pk)

    group = explanation(admin_client, ticket, START + 2 * HOUR)["group"]

    assert group["policy"] == {"id": second.pk, "title": "Tier 2 holds escalations"}
    assert [(a["policy_id"], a["matched"]) for a in group["policies_tried"]] == [
        (first.pk, False),
        (second.pk, True),
    ]
    assert group["policies_tried"][0]["condition"] == {
        "field": "group_id",
        "operator": "includes",
        "value": [tier1.pk],
    }
    assert (group["group_id"], group["held_since"]) == (tier2.pk, iso(START + HOUR))
    one, two = group["instances"]
    assert one == {
        "instance_id": 1,
        "group_id": tier1.pk,
        "stage": "achieved",
        "started_at": iso(START),
        "ended_at": iso(START + HOUR),
        "ended_by": f"reassigned to group {tier2.pk}",
        "running_seconds": 3600,
        "running_business_seconds": 3600,
        "paused_seconds": 0,
        "policy": {"id": first.pk, "title": "Tier 1 holds escalations"},
        "target": {"seconds": 7200, "business_hours": False},
        "deadline": iso(START + 2 * HOUR),
        "breached": False,
        "breached_at": None,
    }
    assert (two["group_id"], two["stage"], two["ended_at"], two["ended_by"]) == (
        tier2.pk,
        "active",
        None,
        None,
    )
    assert (two["running_seconds"], two["deadline"]) == (3600, iso(START + 5 * HOUR))


def test_a_missed_ownership_and_a_solved_ticket_read_as_such(admin_client: Any) -> None:
    tier2 = GroupFactory(name="Tier 2")
    group_policy(tier2)
    ticket = new_ticket(UserFactory(role="end-user"), tier2)
    save(ticket, UserFactory(role="agent"), START + 5 * HOUR, status="solved")

    group = explanation(admin_client, ticket, START + 6 * HOUR)["group"]

    assert (group["group_id"], group["held_since"]) == (None, None)
    [held] = group["instances"]
    assert (held["ended_by"], held["breached"], held["breached_at"]) == (
        "ticket solved",
        True,
        iso(START + 4 * HOUR),
    )


def test_without_group_sla_policies_the_group_part_is_null(admin_client: Any) -> None:
    make_policy("Everyone", filter=EVERYONE, metrics=[metric("urgent", minutes=60)])
    ticket = new_ticket(UserFactory(role="end-user"), GroupFactory(name="Tier 2"))

    assert explanation(admin_client, ticket, START + HOUR)["group"] is None


def page(ticket: Ticket, now: Any) -> str:
    admin = UserFactory(role="agent")
    client = Client()
    client.force_login(admin)
    with time_machine.travel(now, tick=False):
        response = client.get(f"/admin/tickets/ticket/{ticket.pk}/change/")
    assert response.status_code == 200
    return response.content.decode()


def test_the_ticket_page_tells_the_group_sla_in_words() -> None:
    tier1, tier2 = GroupFactory(name="Tier 1"), GroupFactory(name="Tier 2")
    group_policy(tier1, urgent_seconds=2 * 3600)
    group_policy(tier2)
    ticket = new_ticket(UserFactory(role="end-user"), tier1)
    save(ticket, UserFactory(role="agent"), START + 3 * HOUR, group_id=tier2.pk)

    html = page(ticket, START + 4 * HOUR)

    assert "Tier 2 holds the ticket since" in html
    assert "under “Tier 2 holds escalations”" in html
    assert "Tier 1 holds escalations: not matched (the ticket is with Tier 2, not Tier 1)" in html
    assert "Tier 1: held the ticket, target missed" in html
    assert "handed to Tier 2" in html
    assert "Tier 2: holds the ticket, within its target" in html
    assert "3 hours" in html  # Tier 1's time held
    # The targets table and the badge name the group.
    assert "Group ownership · Tier 2" in html
    assert "Group ownership · Tier 1" in html
    # The metric events name the group of each ownership.
    assert (
        "Group ownership time (Tier 1) target applied: 2 hours (Tier 1 holds escalations)" in html
    )
    assert "Group ownership time (Tier 1): breached" in html
    assert "Group ownership time (Tier 2) started" in html
    assert "apply group sla" not in html
    for jargon in ("group_id", "includes [", "reassigned to group", "ownership_time"):
        assert jargon not in html.split('id="why-group"')[1].split("</section>")[0]


def test_the_group_badge_carries_the_group_name() -> None:
    tier2 = GroupFactory(name="Tier 2")
    group_policy(tier2, urgent_seconds=1800)
    ticket = new_ticket(UserFactory(role="end-user"), tier2)
    now = START + timedelta(minutes=10)

    stored = Ticket.objects.get(pk=ticket.pk)
    attach_badge_data([stored])
    badge = ticket_badge(stored, now)
    assert badge is not None
    assert (badge.text, badge.label) == ("20m", "Group ownership · Tier 2")
    assert badge.tooltip.startswith("Group ownership · Tier 2: due ")


def test_the_poll_names_the_group_without_a_query_per_ticket(admin_client: Any) -> None:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    tier2 = GroupFactory(name="Tier 2")
    group_policy(tier2, urgent_seconds=1800)
    customer = UserFactory(role="end-user")
    tickets = [new_ticket(customer, tier2)]
    admin = UserFactory(role="agent")
    client = Client()
    client.force_login(admin)

    def poll() -> tuple[int, list[dict[str, Any]]]:
        ids = ",".join(str(t.pk) for t in tickets)
        with CaptureQueriesContext(connection) as queries:
            response = client.get("/admin/tickets/ticket/sla/", {"ids": ids})
        assert response.status_code == 200
        return len(queries), response.json()["tickets"]

    poll()  # warm the session
    one, rows = poll()
    assert rows[0]["badge"]["label"] == "Group ownership · Tier 2"
    tickets += [new_ticket(customer, tier2) for _ in range(5)]
    many, rows = poll()
    assert many == one
    assert {row["badge"]["label"] for row in rows} == {"Group ownership · Tier 2"}

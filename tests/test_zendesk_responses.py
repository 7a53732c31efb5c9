"""Every Zendesk endpoint slaweb serves answers what Zendesk's own OpenAPI files document.

Each call below is made as an admin against a small account (a brand, a group, an organization,
a drop-down field, an SLA policy, a group SLA policy, a ticket with an audit, an end user, a
job, an OAuth token) and its body is validated against the schema Zendesk's files give for that
operation and status, in each file that documents it (tests/zendesk_oas.py; the departures
slaweb allows are listed there with their reasons). A last check proves the list complete: every
operation of the files that slaweb routes is called.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import pytest
from django.urls import Resolver404, resolve
from rest_framework.test import APIClient

from policies.services import group_sla_policy_create
from tests.factories import (
    BrandFactory,
    GroupFactory,
    OrganizationFactory,
    TicketFactory,
    TicketFieldFactory,
    TicketFieldOptionFactory,
    UserFactory,
    make_policy,
)
from tests.zendesk_oas import check_response, template_pattern, zendesk_operations
from tickets import services
from tickets.custom_statuses import custom_status_default
from tickets.models import User

pytestmark = pytest.mark.django_db


@dataclass(frozen=True)
class Call:
    method: str
    path: str  # with {ticket}, {user}, ... for the seeded records' ids
    body: dict[str, Any] | None = None
    status: int = 200
    oauth: bool = False  # sent with the seeded OAuth token (Bearer), not the API token

    def __str__(self) -> str:
        return f"{self.method.upper()} {self.path}"


CALLS = [
    # SLA Policies (the excerpt file)
    Call("get", "/api/v2/slas/policies.json"),
    Call("get", "/api/v2/slas/policies/{policy}.json"),
    Call("get", "/api/v2/slas/policies/definitions.json"),
    Call(
        "post",
        "/api/v2/slas/policies.json",
        {
            "sla_policy": {
                "title": "Incidents",
                "filter": {"all": [{"field": "type", "operator": "is", "value": "incident"}]},
                "policy_metrics": [
                    {"priority": "urgent", "metric": "first_reply_time", "target": 10}
                ],
            }
        },
        201,
    ),
    Call("put", "/api/v2/slas/policies/{policy}.json", {"sla_policy": {"title": "Renamed"}}),
    Call("put", "/api/v2/slas/policies/reorder.json", {"sla_policy_ids": ["{policy}"]}),
    Call("delete", "/api/v2/slas/policies/{policy}.json", status=204),
    # Group SLA Policies
    Call("get", "/api/v2/group_slas/policies.json"),
    Call("get", "/api/v2/group_slas/policies/{group_policy}.json"),
    Call("get", "/api/v2/group_slas/policies/definitions.json"),
    Call(
        "post",
        "/api/v2/group_slas/policies.json",
        {
            "group_sla_policy": {
                "title": "Incidents",
                "description": "Tier 1 solves or reassigns urgent tickets in 10 minutes.",
                "filter": {
                    "all": [{"field": "group_id", "operator": "includes", "value": ["{group}"]}]
                },
                "policy_metrics": [
                    {"priority": "urgent", "metric": "group_ownership_time", "target": 600}
                ],
            }
        },
        201,
    ),
    Call(
        "put",
        "/api/v2/group_slas/policies/{group_policy}.json",
        {"group_sla_policy": {"title": "Renamed"}},
    ),
    Call(
        "put",
        "/api/v2/group_slas/policies/reorder.json",
        {"group_sla_policy_ids": ["{group_policy}"]},
    ),
    Call("delete", "/api/v2/group_slas/policies/{group_policy}.json", status=204),
    # Tickets
    Call("get", "/api/v2/tickets.json"),
    Call("get", "/api/v2/tickets.json?sort_by=updated_at&sort_order=desc"),
    Call("get", "/api/v2/tickets.json?page[size]=1&sort=-id"),
    Call("get", "/api/v2/tickets.json?include=users,groups,organizations"),
    Call("get", "/api/v2/tickets/{ticket}.json"),
    Call("get", "/api/v2/tickets/show_many.json?ids={ticket}"),
    Call(
        "post",
        "/api/v2/tickets.json",
        {
            "ticket": {
                "subject": "Printer",
                "comment": {"html_body": "<p>It is <b>on fire</b></p>"},
                "requester": {"name": "New Customer", "email": "new@example.com"},
                "external_id": "crm-1",
                "custom_fields": [{"id": "{field}", "value": "{option_value}"}],
            }
        },
        201,
    ),
    Call(
        "put",
        "/api/v2/tickets/{ticket}.json",
        {"ticket": {"status": "open", "comment": {"body": "On it", "public": False}}},
    ),
    Call("delete", "/api/v2/tickets/{ticket}.json", status=204),
    Call("get", "/api/v2/tickets/{ticket}/comments.json"),
    Call(
        "post",
        "/api/v2/tickets/create_many.json",
        {"tickets": [{"subject": "A", "comment": {"body": "a"}, "requester_id": "{user}"}]},
    ),
    Call(
        "put",
        "/api/v2/tickets/update_many.json?ids={ticket}",
        {"ticket": {"status": "pending"}},
    ),
    # Ticket Audits
    Call("get", "/api/v2/tickets/{ticket}/audits.json"),
    Call("get", "/api/v2/tickets/{ticket}/audits/{audit}.json"),
    # Ticket Metrics
    Call("get", "/api/v2/tickets/{ticket}/metrics.json"),
    Call("get", "/api/v2/ticket_metrics.json"),
    Call("get", "/api/v2/ticket_metrics/{ticket}.json"),
    # Ticket Import
    Call(
        "post",
        "/api/v2/imports/tickets.json",
        {
            "ticket": {
                "subject": "Imported",
                "requester_id": "{user}",
                "comments": [{"author_id": "{user}", "value": "Old"}],
            }
        },
        201,
    ),
    Call(
        "post",
        "/api/v2/imports/tickets/create_many.json",
        {"tickets": [{"subject": "Imported", "requester_id": "{user}"}]},
    ),
    # Job Statuses
    Call("get", "/api/v2/job_statuses.json"),
    Call("get", "/api/v2/job_statuses/{job}.json"),
    Call("get", "/api/v2/job_statuses/show_many.json?ids={job}"),
    # Users
    Call("get", "/api/v2/users.json"),
    Call("get", "/api/v2/users.json?role[]=end-user&role[]=agent"),
    Call("get", "/api/v2/users/{user}.json"),
    Call("get", "/api/v2/users/me.json"),
    Call("get", "/api/v2/users/show_many.json?ids={user}"),
    Call("get", "/api/v2/users/search.json?query=customer"),
    Call("post", "/api/v2/users.json", {"user": {"name": "Only A Name"}}, 201),
    Call(
        "post",
        "/api/v2/users/create_or_update.json",
        {"user": {"name": "Renamed Customer", "email": "customer@example.com"}},
    ),
    Call("put", "/api/v2/users/{user}.json", {"user": {"phone": "+15551234567"}}),
    Call("delete", "/api/v2/users/{user}.json"),
    # Ticket Fields
    Call("get", "/api/v2/ticket_fields.json"),
    Call("get", "/api/v2/ticket_fields/{field}.json"),
    Call(
        "post",
        "/api/v2/ticket_fields.json",
        {"ticket_field": {"type": "text", "title": "Order number"}},
        201,
    ),
    Call("put", "/api/v2/ticket_fields/{field}.json", {"ticket_field": {"title": "Plan"}}),
    Call("delete", "/api/v2/ticket_fields/{field}.json", status=204),
    Call("get", "/api/v2/ticket_fields/{field}/options.json"),
    Call("get", "/api/v2/ticket_fields/{field}/options/{option}.json"),
    Call(
        "post",
        "/api/v2/ticket_fields/{field}/options.json",
        {"custom_field_option": {"name": "Platinum", "value": "platinum"}},
        201,
    ),
    Call("delete", "/api/v2/ticket_fields/{field}/options/{option}.json", status=204),
    # Groups, Organizations, Brands
    Call("get", "/api/v2/groups.json"),
    Call("get", "/api/v2/groups/{group}.json"),
    Call("post", "/api/v2/groups.json", {"group": {"name": "Night shift"}}, 201),
    Call("put", "/api/v2/groups/{group}.json", {"group": {"description": "Tier 1"}}),
    Call("delete", "/api/v2/groups/{spare_group}.json", status=204),
    Call("get", "/api/v2/organizations.json"),
    Call("get", "/api/v2/organizations/{organization}.json"),
    Call(
        "post",
        "/api/v2/organizations.json",
        {"organization": {"name": "Acme", "domain_names": ["acme.example"]}},
        201,
    ),
    Call(
        "put",
        "/api/v2/organizations/{organization}.json",
        {"organization": {"notes": "Gold customer"}},
    ),
    Call("delete", "/api/v2/organizations/{spare_organization}.json", status=204),
    Call("get", "/api/v2/custom_statuses.json"),
    Call("get", "/api/v2/custom_statuses/{custom_status}.json"),
    Call(
        "post",
        "/api/v2/custom_statuses.json",
        {"custom_status": {"status_category": "hold", "agent_label": "Vendor"}},
        201,
    ),
    Call(
        "put",
        "/api/v2/custom_statuses/{custom_status}.json",
        {"custom_status": {"agent_label": "Renamed"}},
    ),
    Call("get", "/api/v2/brands.json"),
    Call("get", "/api/v2/brands/{brand}.json"),
    Call("post", "/api/v2/brands.json", {"brand": {"name": "Second", "subdomain": "second"}}, 201),
    Call("put", "/api/v2/brands/{brand}.json", {"brand": {"name": "Renamed"}}),
    Call("delete", "/api/v2/brands/{spare_brand}.json", status=204),
    # OAuth Tokens
    Call("get", "/api/v2/oauth/tokens.json"),
    Call("get", "/api/v2/oauth/tokens/{token}.json"),
    Call("get", "/api/v2/oauth/tokens/current.json", oauth=True),
    Call("post", "/api/v2/oauth/tokens.json", {"token": {"scopes": ["read"]}}, 201),
    Call("delete", "/api/v2/oauth/tokens/{token}.json", status=204),
    # Incremental Exports
    Call("get", "/api/v2/incremental/ticket_metric_events.json?start_time=0"),
]


def seed(admin: User, client: APIClient, capture: Any) -> dict[str, Any]:
    """The account every call runs against; the ids its paths and bodies name."""
    brand = BrandFactory(name="Support", subdomain="support")
    group = GroupFactory(name="Tier 1")
    organization = OrganizationFactory(name="Gold")
    field = TicketFieldFactory(title="Plan", type="tagger")
    option = TicketFieldOptionFactory(field=field, name="Gold", value="gold")
    customer = UserFactory(name="Customer", email="customer@example.com")
    agent = UserFactory(name="Agent", email="agent@example.com", role="agent")
    make_policy("Everything", filter={"all": [], "any": []})
    policy = make_policy("Second")
    group_policy = group_sla_policy_create(
        title="Tier 1",
        description="Tier 1 solves or reassigns low priority tickets in an hour.",
        filter={"all": [{"field": "group_id", "operator": "includes", "value": [group.pk]}]},
        policy_metrics=[{"priority": "low", "target_seconds": 3600, "business_hours": False}],
    )
    ticket = TicketFactory(
        requester=customer, group=group, organization=organization, brand=brand, tags=["vip"]
    )
    services.ticket_update(
        ticket_id=ticket.pk,
        fields={"assignee_id": agent.pk, "status": "open"},
        author_id=agent.pk,
        comment=services.NewComment(body="Looking", public=True, author_id=agent.pk),
        now=ticket.created_at + timedelta(minutes=5),
    )
    with capture(execute=True):
        job = client.post(
            "/api/v2/tickets/create_many.json",
            {"tickets": [{"subject": "Bulk", "comment": {"body": "b"}}, {"subject": ""}]},
            format="json",
        )
    assert job.status_code == 200, job.json()
    token = client.post("/api/v2/oauth/tokens.json", {"token": {"scopes": ["read"]}}, format="json")
    assert token.status_code == 201, token.json()
    return {
        "ticket": ticket.pk,
        "audit": ticket.audits.order_by("pk").values_list("pk", flat=True).last(),
        "user": customer.pk,
        "group": group.pk,
        "spare_group": GroupFactory(name="Unused").pk,
        "organization": organization.pk,
        "spare_organization": OrganizationFactory(name="Unused").pk,
        "brand": brand.pk,
        "custom_status": custom_status_default("hold").pk,
        "spare_brand": BrandFactory(name="Unused", subdomain="unused").pk,
        "field": field.pk,
        "option": option.pk,
        "option_value": option.value,
        "policy": policy.pk,
        "group_policy": group_policy.pk,
        "job": job.json()["job_status"]["id"],
        "token": token.json()["token"]["id"],
        "bearer": token.json()["token"]["full_token"],
    }


def fill(value: Any, ids: dict[str, Any]) -> Any:
    """`value` with "{name}" placeholders replaced by seeded ids (whole strings become the id
    itself, so JSON bodies get integers)."""
    if isinstance(value, dict):
        return {key: fill(item, ids) for key, item in value.items()}
    if isinstance(value, list):
        return [fill(item, ids) for item in value]
    if isinstance(value, str):
        for name, id_ in ids.items():
            if value == f"{{{name}}}":
                return id_
            value = value.replace(f"{{{name}}}", str(id_))
    return value


@pytest.mark.parametrize("call", CALLS, ids=str)
def test_answer_matches_zendesks_schema(
    call: Call,
    admin_client: APIClient,
    admin_user: User,
    django_capture_on_commit_callbacks: Any,
) -> None:
    ids = seed(admin_user, admin_client, django_capture_on_commit_callbacks)
    path = fill(call.path, ids)
    if call.oauth:
        admin_client.credentials(HTTP_AUTHORIZATION=f"Bearer {ids['bearer']}")
    response = getattr(admin_client, call.method)(path, fill(call.body, ids), format="json")

    assert response.status_code == call.status, response.content
    body = response.json() if response.content else None
    if call.status == 204:
        assert body is None
    errors = check_response(call.method, path, response.status_code, body)
    assert not errors, "\n".join(errors)


def test_the_check_can_fail() -> None:
    errors = check_response("get", "/api/v2/groups/1.json", 200, {"group": {"id": "1"}})
    assert sorted(errors) == [
        "zendesk-oas-tickets.yaml GroupResponse at group/id: '1' is not of type 'integer'",
        "zendesk-oas-tickets.yaml GroupResponse at group: 'name' is a required property",
    ]
    bad_time = {"ticket": {"subject": "s", "created_at": "2026-01-01 10:00"}}
    assert check_response("get", "/api/v2/tickets/1", 200, bad_time)
    # A ticket is checked against both files that document it.
    assert {
        e.split()[0] for e in check_response("get", "/api/v2/tickets/1", 200, {"ticket": 1})
    } == {
        "zendesk-oas-tickets.yaml",
        "zendesk-oas-excerpt.yaml",
    }


def routed(method: str, template: str) -> bool:
    """Whether slaweb serves `method template` (with 1 for every id)."""
    path = re.sub(r"\{[^}]+\}", "1", template)
    try:
        match = resolve(path + ".json")
    except Resolver404:
        return False
    view = getattr(match.func, "view_class", None)
    return view is not None and hasattr(view, method)


def test_every_operation_slaweb_routes_is_called() -> None:
    called = {(c.method, re.sub(r"\.json$", "", c.path.split("?")[0])) for c in CALLS}
    missing = []
    for operation in zendesk_operations():
        if not routed(operation.method, operation.template):
            continue
        pattern = template_pattern(operation.template)
        if not any(m == operation.method and re.fullmatch(pattern, p) for m, p in called):
            missing.append(f"{operation.method.upper()} {operation.template}")
    assert missing == []

"""Zendesk's Ticket Fields, Groups, Organizations and Brands APIs: the records SLA conditions
name, written and read as Zendesk scripts do."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import jsonschema
import pytest
from rest_framework.test import APIClient

from policies.models import Policy
from tests.factories import TicketFactory, UserFactory, make_policy
from tests.test_schema import assert_matches_schema
from tests.zendesk_oas import json_schema as _json_schema
from tests.zendesk_oas import zendesk_components as zendesk_file_components
from tickets import account_services
from tickets.models import (
    Brand,
    Group,
    NotificationRule,
    Organization,
    SupportAddress,
    TicketField,
    TicketFieldOption,
    User,
)

pytestmark = pytest.mark.django_db

HOST = "help.example.org"
ROOT = f"http://{HOST}"


# Zendesk's published schemas ----------------------------------------------------------------


@pytest.fixture(scope="module")
def zendesk_components() -> dict[str, Any]:
    return {"schemas": _json_schema(zendesk_file_components()["schemas"])}


@pytest.fixture
def zendesk_valid(zendesk_components: dict[str, Any]) -> Callable[[str, Any], None]:
    """Validate a response body against one of Zendesk's response schemas, by name."""

    def check(name: str, body: Any) -> None:
        schema = {"$ref": f"#/components/schemas/{name}", "components": zendesk_components}
        jsonschema.validate(body, schema)

    return check


@pytest.fixture
def our_schema(anonymous_client: APIClient) -> dict[str, Any]:
    return anonymous_client.get("/api/schema/?format=json").json()


def test_zendesk_schemas_are_not_vacuous(zendesk_valid: Callable[[str, Any], None]) -> None:
    with pytest.raises(jsonschema.ValidationError):
        zendesk_valid("GroupResponse", {"group": {"id": "7", "name": "x"}})
    with pytest.raises(jsonschema.ValidationError):
        zendesk_valid("BrandResponse", {"brand": {"name": "B"}})  # no subdomain
    with pytest.raises(jsonschema.ValidationError):
        zendesk_valid("TicketFieldResponse", {"ticket_field": {"title": "T", "type": 1}})


# Helpers -------------------------------------------------------------------------------------


def ok(response: Any, status: int = 200) -> dict[str, Any]:
    assert response.status_code == status, response.content
    return response.json() if response.content else {}


def details(response: Any) -> dict[str, list[dict[str, str]]]:
    assert response.status_code == 422, response.content
    body = response.json()
    assert body["error"] == "RecordInvalid"
    assert body["description"] == "Record validation errors"
    for problems in body["details"].values():
        for problem in problems:
            assert set(problem) == {"description", "error"}
    return body["details"]


def counts() -> dict[str, int]:
    return {
        "groups": Group.objects.count(),
        "organizations": Organization.objects.count(),
        "brands": Brand.objects.count(),
        "fields": TicketField.objects.count(),
        "options": TicketFieldOption.objects.count(),
    }


def definitions(client: APIClient) -> dict[str, Any]:
    body = ok(client.get("/api/v2/slas/policies/definitions.json"))
    return {item["value"]: item for item in body["definitions"]["all"]}


def listed(definition: dict[str, Any]) -> list[tuple[Any, str]]:
    """The choices as (id, title); ids come as strings, as in Zendesk's reference."""
    return [
        (int(entry["value"]) if str(entry["value"]).isdigit() else entry["value"], entry["title"])
        for entry in definition["values"]["list"]
    ]


def tagger(title: str = "Plan", options: tuple[str, ...] = ("gold", "silver")) -> TicketField:
    return account_services.ticket_field_create(
        title=title,
        type="tagger",
        custom_field_options=[{"name": v.title(), "value": v} for v in options],
    )


def condition_policy(field: str, value: Any, operator: str = "is") -> Policy:
    return make_policy(
        "Named", filter={"all": [{"field": field, "operator": operator, "value": value}], "any": []}
    )


# Groups --------------------------------------------------------------------------------------


def test_group_crud_in_zendesks_shapes(
    admin_client: APIClient,
    zendesk_valid: Callable[[str, Any], None],
    our_schema: dict[str, Any],
) -> None:
    created = admin_client.post(
        "/api/v2/groups.json",
        {"group": {"name": "Tier 2", "description": "Escalations"}},
        format="json",
        HTTP_HOST=HOST,
    )
    body = ok(created, 201)
    group = Group.objects.get()
    assert body == {
        "group": {
            "url": f"{ROOT}/api/v2/groups/{group.pk}.json",
            "id": group.pk,
            "name": "Tier 2",
            "description": "Escalations",
            "is_public": True,
            "deleted": False,
            "created_at": body["group"]["created_at"],
            "updated_at": body["group"]["updated_at"],
        }
    }
    assert body["group"]["created_at"].endswith("Z")
    assert created["Location"] == body["group"]["url"]
    zendesk_valid("GroupResponse", body)
    assert_matches_schema(our_schema, "post", "/api/v2/groups.json", created)

    shown = admin_client.get(f"/api/v2/groups/{group.pk}", HTTP_HOST=HOST)
    assert ok(shown) == body
    assert_matches_schema(our_schema, "get", f"/api/v2/groups/{group.pk}", shown)

    updated = admin_client.put(
        f"/api/v2/groups/{group.pk}.json", {"group": {"name": "Tier II"}}, format="json"
    )
    assert ok(updated)["group"]["name"] == "Tier II"
    assert ok(updated)["group"]["description"] == "Escalations"  # partial update
    zendesk_valid("GroupResponse", updated.json())
    assert_matches_schema(our_schema, "put", f"/api/v2/groups/{group.pk}.json", updated)

    listing = admin_client.get("/api/v2/groups.json")
    assert [g["name"] for g in ok(listing)["groups"]] == ["Tier II"]
    zendesk_valid("GroupsResponse", listing.json())
    assert_matches_schema(our_schema, "get", "/api/v2/groups.json", listing)

    deleted = admin_client.delete(f"/api/v2/groups/{group.pk}.json")
    assert deleted.status_code == 204
    assert deleted.content == b""
    assert_matches_schema(our_schema, "delete", f"/api/v2/groups/{group.pk}.json", deleted)
    # Marked deleted, as in Zendesk: shown as such, left out of lists, no longer writable.
    assert not Group.objects.exists()
    assert Group.with_deleted.get(pk=group.pk).deleted is True
    shown_deleted = admin_client.get(f"/api/v2/groups/{group.pk}.json")
    assert ok(shown_deleted)["group"]["deleted"] is True
    zendesk_valid("GroupResponse", shown_deleted.json())
    assert ok(admin_client.get("/api/v2/groups.json"))["groups"] == []
    with_deleted = ok(admin_client.get("/api/v2/groups.json?exclude_deleted=false"))
    assert [(g["id"], g["deleted"]) for g in with_deleted["groups"]] == [(group.pk, True)]
    bad_flag = admin_client.get("/api/v2/groups.json?exclude_deleted=maybe")
    assert bad_flag.status_code == 400
    for write in (admin_client.put, admin_client.delete):
        missing = write(f"/api/v2/groups/{group.pk}.json", {"group": {"name": "x"}}, format="json")
        assert missing.status_code == 404
        assert missing.json() == {"error": "RecordNotFound", "description": "Not found"}
    # Its name is free again.
    again = admin_client.post("/api/v2/groups.json", {"group": {"name": "Tier II"}}, format="json")
    assert ok(again, 201)["group"]["id"] != group.pk


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"group": {}}, "name"),
        ({"group": {"name": ""}}, "name"),
        ({"group": {"name": 5}}, "name"),
        ({"group": {"name": "taken"}}, "name"),
        ({"group": {"name": "TAKEN"}}, "name"),
        ({"group": {"name": "Private", "is_public": False}}, "is_public"),
        ({"group": {"name": "n", "description": ["x"]}}, "description"),
    ],
)
def test_bad_group_is_a_422_and_writes_nothing(
    admin_client: APIClient, body: dict[str, Any], field: str
) -> None:
    account_services.group_create(name="taken")
    before = counts()
    assert field in details(admin_client.post("/api/v2/groups.json", body, format="json"))
    assert counts() == before


def test_group_rename_to_a_taken_name_changes_nothing(admin_client: APIClient) -> None:
    account_services.group_create(name="Billing")
    other = account_services.group_create(name="Support")
    response = admin_client.put(
        f"/api/v2/groups/{other.pk}.json", {"group": {"name": "billing"}}, format="json"
    )
    assert details(response) == {
        "name": [{"description": "Name: has already been taken", "error": "InvalidValue"}]
    }
    assert Group.objects.get(pk=other.pk).name == "Support"


def test_a_group_still_referred_to_is_not_deleted(admin_client: APIClient) -> None:
    group = account_services.group_create(name="Billing")
    agent = UserFactory(role="agent", default_group=group)
    ticket = TicketFactory(group=group)
    policy = condition_policy("group_id", str(group.pk))
    NotificationRule.objects.create(
        title="Escalate",
        trigger="breach",
        channel="email",
        set_group=group,
        created_at=ticket.created_at,
        updated_at=ticket.created_at,
    )

    response = admin_client.delete(f"/api/v2/groups/{group.pk}.json")

    [problem] = details(response)["base"]
    assert problem["description"] == (
        "Group 'Billing' is still in use: SLA policy 'Named' names it in a condition; "
        "1 ticket assigned to it; it is the default group of 1 user; "
        "notification rule 'Escalate' assigns breached tickets to it"
    )
    assert Group.objects.filter(pk=group.pk).exists()
    assert User.objects.get(pk=agent.pk).default_group_id == group.pk
    assert policy.conditions.get().value == str(group.pk)


def test_a_group_named_in_an_array_condition_is_not_deleted(admin_client: APIClient) -> None:
    kept = account_services.group_create(name="Kept")
    free = account_services.group_create(name="Free")
    make_policy(
        "Any of",
        filter={"all": [], "any": [{"field": "group_id", "operator": "is", "value": kept.pk}]},
    )
    assert "base" in details(admin_client.delete(f"/api/v2/groups/{kept.pk}.json"))
    assert admin_client.delete(f"/api/v2/groups/{free.pk}.json").status_code == 204


def test_definitions_name_a_new_group_at_once(admin_client: APIClient) -> None:
    created = ok(
        admin_client.post("/api/v2/groups.json", {"group": {"name": "Night shift"}}, format="json"),
        201,
    )["group"]

    assert (created["id"], "Night shift") in listed(definitions(admin_client)["group_id"])
    policy = admin_client.post(
        "/api/v2/slas/policies.json",
        {
            "sla_policy": {
                "title": "Nights",
                "filter": {
                    "all": [{"field": "group_id", "operator": "is", "value": created["id"]}],
                    "any": [],
                },
            }
        },
        format="json",
    )
    assert policy.status_code == 201, policy.content

    ok(
        admin_client.put(
            f"/api/v2/groups/{created['id']}.json", {"group": {"name": "Nights"}}, format="json"
        )
    )
    assert (created["id"], "Nights") in listed(definitions(admin_client)["group_id"])


def test_definitions_drop_a_deleted_group_at_once(admin_client: APIClient) -> None:
    group = account_services.group_create(name="Short-lived")
    assert (group.pk, "Short-lived") in listed(definitions(admin_client)["group_id"])
    assert admin_client.delete(f"/api/v2/groups/{group.pk}.json").status_code == 204
    assert group.pk not in [v for v, _ in listed(definitions(admin_client)["group_id"])]


# Organizations -------------------------------------------------------------------------------


def test_organization_crud_in_zendesks_shapes(
    admin_client: APIClient,
    zendesk_valid: Callable[[str, Any], None],
    our_schema: dict[str, Any],
) -> None:
    created = admin_client.post(
        "/api/v2/organizations",
        {"organization": {"name": "Acme", "organization_fields": {"plan": "gold", "seats": 40}}},
        format="json",
        HTTP_HOST=HOST,
    )
    body = ok(created, 201)
    organization = Organization.objects.get()
    assert body == {
        "organization": {
            "url": f"{ROOT}/api/v2/organizations/{organization.pk}.json",
            "id": organization.pk,
            "name": "Acme",
            "external_id": None,
            "organization_fields": {"plan": "gold", "seats": 40},
            "created_at": body["organization"]["created_at"],
            "updated_at": body["organization"]["updated_at"],
        }
    }
    assert created["Location"] == body["organization"]["url"]
    zendesk_valid("OrganizationResponse", body)
    assert_matches_schema(our_schema, "post", "/api/v2/organizations", created)

    updated = admin_client.put(
        f"/api/v2/organizations/{organization.pk}.json",
        {"organization": {"organization_fields": {"plan": "platinum"}, "external_id": None}},
        format="json",
    )
    # Fields merge, as in Zendesk: `seats` stays.
    assert ok(updated)["organization"]["organization_fields"] == {"plan": "platinum", "seats": 40}
    zendesk_valid("OrganizationResponse", updated.json())
    assert_matches_schema(
        our_schema, "put", f"/api/v2/organizations/{organization.pk}.json", updated
    )

    listing = admin_client.get("/api/v2/organizations.json")
    assert ok(listing)["count"] == 1
    zendesk_valid("OrganizationsResponse", listing.json())
    assert_matches_schema(our_schema, "get", "/api/v2/organizations.json", listing)

    member = UserFactory(role="end-user", organization=organization)
    deleted = admin_client.delete(f"/api/v2/organizations/{organization.pk}.json")
    assert deleted.status_code == 204
    assert not Organization.objects.exists()
    assert User.objects.get(pk=member.pk).organization_id is None  # users leave it
    assert admin_client.get(f"/api/v2/organizations/{organization.pk}").status_code == 404


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"organization": {}}, "name"),
        ({"organization": {"name": "acme"}}, "name"),
        ({"organization": {"name": "New", "external_id": "crm-1"}}, "external_id"),  # taken
        ({"organization": {"name": "New", "external_id": 7}}, "external_id"),
        ({"organization": {"name": "New", "organization_fields": []}}, "organization_fields"),
        (
            {"organization": {"name": "New", "organization_fields": {"a": {"b": 1}}}},
            "organization_fields",
        ),
    ],
)
def test_bad_organization_is_a_422_and_writes_nothing(
    admin_client: APIClient, body: dict[str, Any], field: str
) -> None:
    account_services.organization_create(name="Acme", external_id="CRM-1")
    before = counts()
    assert field in details(admin_client.post("/api/v2/organizations.json", body, format="json"))
    assert counts() == before


def test_an_organization_still_referred_to_is_not_deleted(admin_client: APIClient) -> None:
    with_ticket = account_services.organization_create(name="With ticket")
    TicketFactory(organization=with_ticket)
    named = account_services.organization_create(name="Named")
    condition_policy("organization_id", named.pk)

    for organization, use in [
        (with_ticket, "1 ticket in it"),
        (named, "SLA policy 'Named' names it in a condition"),
    ]:
        response = admin_client.delete(f"/api/v2/organizations/{organization.pk}.json")
        [problem] = details(response)["base"]
        assert problem["description"].endswith(use)
        assert Organization.objects.filter(pk=organization.pk).exists()


def test_definitions_name_a_new_organization_at_once(admin_client: APIClient) -> None:
    created = ok(
        admin_client.post(
            "/api/v2/organizations.json", {"organization": {"name": "Globex"}}, format="json"
        ),
        201,
    )["organization"]
    assert (created["id"], "Globex") in listed(definitions(admin_client)["organization_id"])


# Brands --------------------------------------------------------------------------------------


def test_brand_crud_in_zendesks_shapes(
    admin_client: APIClient,
    zendesk_valid: Callable[[str, Any], None],
    our_schema: dict[str, Any],
) -> None:
    # Zendesk's own example body.
    created = admin_client.post(
        "/api/v2/brands.json",
        {"brand": {"name": "Brand 1", "subdomain": "Brand1"}},
        format="json",
        HTTP_HOST=HOST,
    )
    body = ok(created, 201)
    brand = Brand.objects.get()
    assert body == {
        "brand": {
            "url": f"{ROOT}/api/v2/brands/{brand.pk}.json",
            "id": brand.pk,
            "name": "Brand 1",
            "subdomain": "brand1",
            "active": True,
            "is_deleted": False,
            "created_at": body["brand"]["created_at"],
            "updated_at": body["brand"]["created_at"],
        }
    }
    assert created["Location"] == body["brand"]["url"]
    zendesk_valid("BrandResponse", body)
    assert_matches_schema(our_schema, "post", "/api/v2/brands.json", created)

    listing = admin_client.get("/api/v2/brands.json")
    zendesk_valid("BrandsResponse", listing.json())
    assert_matches_schema(our_schema, "get", "/api/v2/brands.json", listing)

    # The Ruby client's destroy!: save with active false, then DELETE.
    updated = admin_client.put(
        f"/api/v2/brands/{brand.pk}.json", {"brand": {"active": False}}, format="json"
    )
    assert ok(updated)["brand"]["active"] is False
    assert ok(updated)["brand"]["subdomain"] == "brand1"
    zendesk_valid("BrandResponse", updated.json())
    assert_matches_schema(our_schema, "put", f"/api/v2/brands/{brand.pk}.json", updated)
    assert admin_client.delete(f"/api/v2/brands/{brand.pk}.json").status_code == 204
    assert not Brand.objects.exists()


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"brand": {"name": "New"}}, "subdomain"),
        ({"brand": {"subdomain": "new"}}, "name"),
        ({"brand": {"name": "New", "subdomain": "-new"}}, "subdomain"),
        ({"brand": {"name": "New", "subdomain": "new_brand"}}, "subdomain"),
        ({"brand": {"name": "New", "subdomain": "Existing"}}, "subdomain"),
        ({"brand": {"name": "existing brand", "subdomain": "new"}}, "name"),
        ({"brand": {"name": "New", "subdomain": "new", "active": "yes"}}, "active"),
    ],
)
def test_bad_brand_is_a_422_and_writes_nothing(
    admin_client: APIClient, body: dict[str, Any], field: str
) -> None:
    account_services.brand_create(name="Existing brand", subdomain="existing")
    before = counts()
    assert field in details(admin_client.post("/api/v2/brands.json", body, format="json"))
    assert counts() == before


def test_a_brand_still_referred_to_is_not_deleted(admin_client: APIClient) -> None:
    brand = account_services.brand_create(name="Acme", subdomain="acme")
    condition_policy("brand_id", brand.pk)
    TicketFactory(brand=brand)
    response = admin_client.delete(f"/api/v2/brands/{brand.pk}.json")
    [problem] = details(response)["base"]
    assert problem["description"] == (
        "Brand 'Acme' is still in use: SLA policy 'Named' names it in a condition; 1 ticket in it"
    )
    assert Brand.objects.filter(pk=brand.pk).exists()


def test_a_deleted_brands_support_addresses_stay_without_it(admin_client: APIClient) -> None:
    brand = account_services.brand_create(name="Acme", subdomain="acme")
    address = SupportAddress.objects.create(email="help@acme.example", brand=brand)
    assert admin_client.delete(f"/api/v2/brands/{brand.pk}.json").status_code == 204
    assert SupportAddress.objects.get(pk=address.pk).brand_id is None


def test_definitions_follow_brand_changes_at_once(admin_client: APIClient) -> None:
    created = ok(
        admin_client.post(
            "/api/v2/brands.json", {"brand": {"name": "Acme", "subdomain": "acme"}}, format="json"
        ),
        201,
    )["brand"]
    assert (created["id"], "Acme") in listed(definitions(admin_client)["brand_id"])
    ok(
        admin_client.put(
            f"/api/v2/brands/{created['id']}", {"brand": {"name": "Acme Inc"}}, format="json"
        )
    )
    assert (created["id"], "Acme Inc") in listed(definitions(admin_client)["brand_id"])


# Ticket fields -------------------------------------------------------------------------------


def test_ticket_field_crud_in_zendesks_shapes(
    admin_client: APIClient,
    zendesk_valid: Callable[[str, Any], None],
    our_schema: dict[str, Any],
) -> None:
    created = admin_client.post(
        "/api/v2/ticket_fields.json",
        {
            "ticket_field": {
                "type": "tagger",
                "title": "Plan",
                "custom_field_options": [
                    {"name": "Gold", "value": "plan_gold"},
                    {"name": "Silver", "value": "plan_silver"},
                ],
            }
        },
        format="json",
        HTTP_HOST=HOST,
    )
    body = ok(created, 201)
    field = TicketField.objects.get()
    gold, silver = field.options.all()
    assert body == {
        "ticket_field": {
            "url": f"{ROOT}/api/v2/ticket_fields/{field.pk}.json",
            "id": field.pk,
            "type": "tagger",
            "title": "Plan",
            "raw_title": "Plan",
            "active": True,
            "position": 9999,
            "created_at": body["ticket_field"]["created_at"],
            "custom_field_options": [
                {
                    "url": f"{ROOT}/api/v2/ticket_fields/{field.pk}/options/{gold.pk}.json",
                    "id": gold.pk,
                    "name": "Gold",
                    "raw_name": "Gold",
                    "value": "plan_gold",
                    "position": 0,
                    "default": False,
                },
                {
                    "url": f"{ROOT}/api/v2/ticket_fields/{field.pk}/options/{silver.pk}.json",
                    "id": silver.pk,
                    "name": "Silver",
                    "raw_name": "Silver",
                    "value": "plan_silver",
                    "position": 1,
                    "default": False,
                },
            ],
        }
    }
    assert created["Location"] == body["ticket_field"]["url"]
    zendesk_valid("TicketFieldResponse", body)
    assert_matches_schema(our_schema, "post", "/api/v2/ticket_fields.json", created)

    text = admin_client.post(
        "/api/v2/ticket_fields.json", {"ticket_field": {"title": "Age"}}, format="json"
    )
    assert ok(text, 201)["ticket_field"]["type"] == "text"  # Zendesk's default type
    assert "custom_field_options" not in text.json()["ticket_field"]
    zendesk_valid("TicketFieldResponse", text.json())
    assert_matches_schema(our_schema, "post", "/api/v2/ticket_fields.json", text)

    updated = admin_client.put(
        f"/api/v2/ticket_fields/{field.pk}.json",
        {"ticket_field": {"title": "Support plan", "position": 3}},
        format="json",
    )
    assert (ok(updated)["ticket_field"]["title"], updated.json()["ticket_field"]["position"]) == (
        "Support plan",
        3,
    )
    assert len(updated.json()["ticket_field"]["custom_field_options"]) == 2  # untouched
    zendesk_valid("TicketFieldResponse", updated.json())
    assert_matches_schema(our_schema, "put", f"/api/v2/ticket_fields/{field.pk}.json", updated)

    listing = admin_client.get("/api/v2/ticket_fields.json")
    assert [f["title"] for f in ok(listing)["ticket_fields"]] == ["Support plan", "Age"]
    zendesk_valid("TicketFieldsResponse", listing.json())
    assert_matches_schema(our_schema, "get", "/api/v2/ticket_fields.json", listing)

    shown = admin_client.get(f"/api/v2/ticket_fields/{field.pk}")
    assert ok(shown)["ticket_field"] == updated.json()["ticket_field"]
    assert_matches_schema(our_schema, "get", f"/api/v2/ticket_fields/{field.pk}", shown)

    deleted = admin_client.delete(f"/api/v2/ticket_fields/{field.pk}.json")
    assert deleted.status_code == 204
    assert not TicketField.objects.filter(pk=field.pk).exists()
    assert not TicketFieldOption.objects.exists()
    assert admin_client.get(f"/api/v2/ticket_fields/{field.pk}.json").status_code == 404


def test_a_put_that_omits_an_option_deletes_it(admin_client: APIClient) -> None:
    field = tagger(options=("gold", "silver", "bronze"))
    gold, silver, bronze = field.options.all()

    response = admin_client.put(
        f"/api/v2/ticket_fields/{field.pk}.json",
        {
            "ticket_field": {
                "custom_field_options": [
                    {"name": "Bronze", "value": "bronze"},  # matched by its value
                    {"id": gold.pk, "name": "Gold!", "value": "gold"},  # by its id
                    {"name": "Platinum", "value": "platinum"},  # new
                ]
            }
        },
        format="json",
    )

    options = ok(response)["ticket_field"]["custom_field_options"]
    assert [(o["name"], o["value"], o["position"]) for o in options] == [
        ("Bronze", "bronze", 0),
        ("Gold!", "gold", 1),
        ("Platinum", "platinum", 2),
    ]
    assert [o["id"] for o in options[:2]] == [bronze.pk, gold.pk]
    assert not TicketFieldOption.objects.filter(pk=silver.pk).exists()


def test_two_options_may_swap_their_tags(admin_client: APIClient) -> None:
    field = tagger(options=("a", "b"))
    a, b = field.options.all()
    response = admin_client.put(
        f"/api/v2/ticket_fields/{field.pk}.json",
        {
            "ticket_field": {
                "custom_field_options": [
                    {"id": a.pk, "name": "A", "value": "b"},
                    {"id": b.pk, "name": "B", "value": "a"},
                ]
            }
        },
        format="json",
    )
    options = ok(response)["ticket_field"]["custom_field_options"]
    assert [(o["id"], o["value"]) for o in options] == [(a.pk, "b"), (b.pk, "a")]


def test_an_option_id_of_another_field_makes_a_new_option(admin_client: APIClient) -> None:
    field = tagger(options=("gold",))
    other = tagger("Other", options=("x",))
    foreign = other.options.get()
    response = admin_client.put(
        f"/api/v2/ticket_fields/{field.pk}.json",
        {"ticket_field": {"custom_field_options": [{"id": foreign.pk, "name": "X", "value": "x"}]}},
        format="json",
    )
    [option] = ok(response)["ticket_field"]["custom_field_options"]
    assert option["id"] != foreign.pk
    assert TicketFieldOption.objects.get(pk=option["id"]).field_id == field.pk
    assert TicketFieldOption.objects.get(pk=foreign.pk).field_id == other.pk


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"ticket_field": {"type": "text"}}, "title"),
        ({"ticket_field": {"title": 5}}, "title"),
        ({"ticket_field": {"title": "T", "type": "multiselect"}}, "type"),
        ({"ticket_field": {"title": "T", "type": "tagger"}}, "custom_field_options"),
        (
            {"ticket_field": {"title": "T", "type": "tagger", "custom_field_options": []}},
            "custom_field_options",
        ),
        (
            {
                "ticket_field": {
                    "title": "T",
                    "type": "text",
                    "custom_field_options": [{"name": "A", "value": "a"}],
                }
            },
            "custom_field_options",
        ),
        (
            {
                "ticket_field": {
                    "title": "T",
                    "type": "tagger",
                    "custom_field_options": [{"name": "A", "value": "a b"}],
                }
            },
            "custom_field_options",
        ),
        (
            {
                "ticket_field": {
                    "title": "T",
                    "type": "tagger",
                    "custom_field_options": [{"name": "A", "value": "a"}, {"name": "B"}],
                }
            },
            "custom_field_options",
        ),
        (
            {
                "ticket_field": {
                    "title": "T",
                    "type": "tagger",
                    "custom_field_options": [
                        {"name": "A", "value": "a"},
                        {"name": "Again", "value": "a"},
                    ],
                }
            },
            "custom_field_options",
        ),
        ({"ticket_field": {"title": "T", "active": "true"}}, "active"),
        ({"ticket_field": {"title": "T", "position": -1}}, "position"),
        ({"ticket_field": "T"}, None),
    ],
)
def test_bad_ticket_field_is_a_422_and_writes_nothing(
    admin_client: APIClient, body: dict[str, Any], field: str | None
) -> None:
    tagger()
    before = counts()
    response = admin_client.post("/api/v2/ticket_fields.json", body, format="json")
    if field is None:
        assert response.status_code == 400
    else:
        assert field in details(response)
    assert counts() == before


def test_a_field_type_cannot_change(admin_client: APIClient) -> None:
    field = tagger()
    response = admin_client.put(
        f"/api/v2/ticket_fields/{field.pk}.json", {"ticket_field": {"type": "text"}}, format="json"
    )
    assert "type" in details(response)
    assert TicketField.objects.get(pk=field.pk).type == "tagger"


def test_an_update_that_removes_every_option_is_refused(admin_client: APIClient) -> None:
    field = tagger()
    response = admin_client.put(
        f"/api/v2/ticket_fields/{field.pk}.json",
        {"ticket_field": {"title": "Renamed", "custom_field_options": []}},
        format="json",
    )
    assert "custom_field_options" in details(response)
    assert (TicketField.objects.get(pk=field.pk).title, field.options.count()) == ("Plan", 2)


def test_options_conditions_name_are_kept(admin_client: APIClient) -> None:
    field = tagger(options=("gold", "silver"))
    gold, silver = field.options.all()
    condition_policy(f"ticket_fields_{field.pk}", [gold.pk], operator="includes")
    before = list(field.options.values_list("pk", "name", "value"))

    for options in (
        [{"id": silver.pk, "name": "Silver", "value": "silver"}],  # drops gold
        [
            {"id": gold.pk, "name": "Gold", "value": "golden"},  # retags gold
            {"id": silver.pk, "name": "Silver", "value": "silver"},
        ],
    ):
        response = admin_client.put(
            f"/api/v2/ticket_fields/{field.pk}.json",
            {"ticket_field": {"title": "Renamed", "custom_field_options": options}},
            format="json",
        )
        [problem] = details(response)["custom_field_options"]
        assert "SLA policy 'Named' names it in a condition" in problem["description"]
        assert list(field.options.values_list("pk", "name", "value")) == before
        assert TicketField.objects.get(pk=field.pk).title == "Plan"

    assert "base" in details(
        admin_client.delete(f"/api/v2/ticket_fields/{field.pk}/options/{gold.pk}.json")
    )
    retag = admin_client.post(
        f"/api/v2/ticket_fields/{field.pk}/options.json",
        {"custom_field_option": {"id": gold.pk, "name": "Gold", "value": "golden"}},
        format="json",
    )
    assert "value" in details(retag)
    # Its name may change, and options no condition names may go.
    renamed = admin_client.put(
        f"/api/v2/ticket_fields/{field.pk}.json",
        {"ticket_field": {"custom_field_options": [{"name": "Gold plan", "value": "gold"}]}},
        format="json",
    )
    assert [o["id"] for o in ok(renamed)["ticket_field"]["custom_field_options"]] == [gold.pk]


def test_a_field_conditions_name_is_neither_deactivated_nor_deleted(
    admin_client: APIClient,
) -> None:
    field = tagger()
    condition_policy(f"ticket_fields_{field.pk}", [field.options.first().pk], "includes")
    url = f"/api/v2/ticket_fields/{field.pk}.json"

    assert "active" in details(
        admin_client.put(url, {"ticket_field": {"active": False}}, format="json")
    )
    assert "base" in details(admin_client.delete(url))
    assert TicketField.objects.get(pk=field.pk).active


def test_a_legacy_custom_fields_condition_keeps_its_field(admin_client: APIClient) -> None:
    field = account_services.ticket_field_create(title="Code", type="text")
    condition_policy(f"custom_fields_{field.pk}", "abc")
    assert "base" in details(admin_client.delete(f"/api/v2/ticket_fields/{field.pk}.json"))


def test_a_field_tickets_carry_values_for_is_not_deleted(admin_client: APIClient) -> None:
    field = tagger()
    TicketFactory(custom_fields={str(field.pk): "gold"})
    response = admin_client.delete(f"/api/v2/ticket_fields/{field.pk}.json")
    [problem] = details(response)["base"]
    assert problem["description"] == "Ticket field 'Plan' is still in use: a value on 1 ticket"
    # Deactivating it is the way out, and takes it out of the condition fields.
    ok(
        admin_client.put(
            f"/api/v2/ticket_fields/{field.pk}.json",
            {"ticket_field": {"active": False}},
            format="json",
        )
    )
    assert f"ticket_fields_{field.pk}" not in definitions(admin_client)


def test_definitions_follow_ticket_field_changes_at_once(admin_client: APIClient) -> None:
    created = ok(
        admin_client.post(
            "/api/v2/ticket_fields.json",
            {
                "ticket_field": {
                    "type": "tagger",
                    "title": "Region",
                    "custom_field_options": [{"name": "EMEA", "value": "emea"}],
                }
            },
            format="json",
        ),
        201,
    )["ticket_field"]
    key = f"ticket_fields_{created['id']}"
    [emea] = created["custom_field_options"]
    assert definitions(admin_client)[key]["title"] == "Region"
    assert listed(definitions(admin_client)[key]) == [(None, "-"), (emea["id"], "EMEA")]

    added = admin_client.post(
        f"/api/v2/ticket_fields/{created['id']}/options.json",
        {"custom_field_option": {"name": "APAC", "value": "apac"}},
        format="json",
    )
    apac = ok(added, 201)["custom_field_option"]
    assert listed(definitions(admin_client)[key])[-1] == (apac["id"], "APAC")


# The options endpoints -----------------------------------------------------------------------


def test_options_endpoints(
    admin_client: APIClient,
    zendesk_valid: Callable[[str, Any], None],
    our_schema: dict[str, Any],
) -> None:
    field = tagger(options=("gold",))
    base = f"/api/v2/ticket_fields/{field.pk}/options"

    created = admin_client.post(
        f"{base}.json",
        {"custom_field_option": {"name": "Silver", "value": "silver"}},
        format="json",
        HTTP_HOST=HOST,
    )
    silver = ok(created, 201)["custom_field_option"]
    assert silver["position"] == 1  # last
    assert created["Location"] == f"{ROOT}{base}.json"
    zendesk_valid("CustomFieldOptionResponse", created.json())
    assert_matches_schema(our_schema, "post", f"{base}.json", created)

    updated = admin_client.post(
        f"{base}.json",
        {"custom_field_option": {"id": silver["id"], "name": "Silver+", "value": "silver"}},
        format="json",
    )
    assert ok(updated)["custom_field_option"]["name"] == "Silver+"
    assert_matches_schema(our_schema, "post", f"{base}.json", updated)

    duplicate = admin_client.post(
        f"{base}.json", {"custom_field_option": {"name": "G", "value": "gold"}}, format="json"
    )
    assert details(duplicate) == {
        "value": [{"description": "Value: has already been taken", "error": "InvalidValue"}]
    }

    listing = admin_client.get(f"{base}.json")
    assert [o["value"] for o in ok(listing)["custom_field_options"]] == ["gold", "silver"]
    zendesk_valid("CustomFieldOptionsResponse", listing.json())
    assert_matches_schema(our_schema, "get", f"{base}.json", listing)

    shown = admin_client.get(f"{base}/{silver['id']}.json")
    assert ok(shown)["custom_field_option"]["name"] == "Silver+"
    assert_matches_schema(our_schema, "get", f"{base}/{silver['id']}.json", shown)

    assert admin_client.delete(f"{base}/{silver['id']}.json").status_code == 204
    assert admin_client.get(f"{base}/{silver['id']}.json").status_code == 404
    other = tagger("Other", options=("x",))
    assert admin_client.get(f"{base}/{other.options.get().pk}.json").status_code == 404


def test_a_text_field_takes_no_options(admin_client: APIClient) -> None:
    field = account_services.ticket_field_create(title="Code", type="text")
    response = admin_client.post(
        f"/api/v2/ticket_fields/{field.pk}/options.json",
        {"custom_field_option": {"name": "A", "value": "a"}},
        format="json",
    )
    assert "base" in details(response)
    assert not TicketFieldOption.objects.exists()


# Every resource ------------------------------------------------------------------------------

# resource: (root key, make one, a body to create another, a body to update one)
RESOURCES: dict[str, tuple[str, Callable[[], Any], dict[str, Any], dict[str, Any]]] = {
    "groups": (
        "group",
        lambda: account_services.group_create(name="G"),
        {"name": "H"},
        {"name": "G2"},
    ),
    "organizations": (
        "organization",
        lambda: account_services.organization_create(name="O"),
        {"name": "P"},
        {"name": "O2"},
    ),
    "brands": (
        "brand",
        lambda: account_services.brand_create(name="B", subdomain="b"),
        {"name": "C", "subdomain": "c"},
        {"name": "B2"},
    ),
    "ticket_fields": (
        "ticket_field",
        lambda: account_services.ticket_field_create(title="F"),
        {"title": "T"},
        {"title": "F2"},
    ),
}


@pytest.mark.parametrize("resource", RESOURCES)
@pytest.mark.parametrize(
    ("role", "reads", "writes"),
    [
        ("admin", 200, (201, 200, 204)),
        ("agent", 200, (403, 403, 403)),
        ("end-user", 403, (403, 403, 403)),
        ("anonymous", 401, (401, 401, 401)),
    ],
)
def test_admins_write_agents_read_end_users_are_refused(
    client_for: Callable[[str], APIClient],
    resource: str,
    role: str,
    reads: int,
    writes: tuple[int, int, int],
) -> None:
    key, make, create, update = RESOURCES[resource]
    record = make()
    client = client_for(role)
    url = f"/api/v2/{resource}/{record.pk}.json"
    before = counts()

    assert client.get(f"/api/v2/{resource}.json").status_code == reads
    assert client.get(url).status_code == reads
    statuses = (
        client.post(f"/api/v2/{resource}.json", {key: create}, format="json").status_code,
        client.put(url, {key: update}, format="json").status_code,
        client.delete(url).status_code,
    )
    assert statuses == writes
    if role != "admin":
        assert counts() == before
    if reads == 403:
        assert client.get(url).json()["error"]["title"] == "Forbidden"


@pytest.mark.parametrize("resource", RESOURCES)
def test_unknown_ids_are_404_for_every_method(admin_client: APIClient, resource: str) -> None:
    key, _, _, body = RESOURCES[resource]
    url = f"/api/v2/{resource}/999999.json"
    for response in (
        admin_client.get(url),
        admin_client.put(url, {key: body}, format="json"),
        admin_client.delete(url),
    ):
        assert response.status_code == 404
        assert response.json() == {"error": "RecordNotFound", "description": "Not found"}


@pytest.mark.parametrize("resource", RESOURCES)
def test_a_body_without_the_root_key_is_a_400(admin_client: APIClient, resource: str) -> None:
    _, _, body, _ = RESOURCES[resource]
    before = counts()
    response = admin_client.post(f"/api/v2/{resource}.json", body, format="json")
    assert response.status_code == 400
    assert response.json()["error"] == "InvalidRequest"
    assert counts() == before


@pytest.mark.parametrize("resource", RESOURCES)
def test_paths_answer_with_json_and_a_trailing_slash(
    admin_client: APIClient, resource: str
) -> None:
    record = RESOURCES[resource][1]()
    for path in (f"/api/v2/{resource}", f"/api/v2/{resource}/{record.pk}"):
        bodies = [ok(admin_client.get(path + suffix)) for suffix in ("", ".json", "/")]
        assert bodies[0] == bodies[1] == bodies[2]


@pytest.mark.parametrize("resource", RESOURCES)
def test_offset_and_cursor_pagination(admin_client: APIClient, resource: str) -> None:
    plural = resource
    Model = type(RESOURCES[resource][1]())
    names = {"groups": "name", "organizations": "name", "brands": "name", "ticket_fields": "title"}
    for n in range(2):
        extra = {names[resource]: f"{resource}{n}"}
        if resource == "brands":
            extra["subdomain"] = f"s{n}"
        Model.objects.create(**extra)
    ids = sorted(Model.objects.values_list("pk", flat=True))

    page = ok(admin_client.get(f"/api/v2/{plural}.json?per_page=2", HTTP_HOST=HOST))
    assert page["count"] == 3
    assert len(page[plural]) == 2
    assert page["next_page"] == f"{ROOT}/api/v2/{plural}.json?page=2&per_page=2"
    assert page["previous_page"] is None
    last = ok(admin_client.get(page["next_page"].removeprefix(ROOT), HTTP_HOST=HOST))
    assert len(last[plural]) == 1
    assert last["next_page"] is None
    offset_ids = [r["id"] for r in page[plural] + last[plural]]
    assert sorted(offset_ids) == ids

    cursor_ids = []
    url = f"/api/v2/{plural}.json?page[size]=2"
    while url:
        body = ok(admin_client.get(url, HTTP_HOST=HOST))
        cursor_ids += [r["id"] for r in body[plural]]
        assert set(body) == {plural, "meta", "links"}
        url = body["links"]["next"] and body["links"]["next"].removeprefix(ROOT)
    assert cursor_ids == ids  # cursor pages go by id
    assert all(r["url"].startswith(f"{ROOT}/api/v2/{plural}/") for r in body[plural])


def test_ticket_field_offset_pages_go_by_position(admin_client: APIClient) -> None:
    late = account_services.ticket_field_create(title="Late", position=5)
    early = account_services.ticket_field_create(title="Early", position=1)
    body = ok(admin_client.get("/api/v2/ticket_fields.json"))
    assert [f["id"] for f in body["ticket_fields"]] == [early.pk, late.pk]


def test_an_option_an_earlier_policy_version_names_keeps_its_tag_while_tickets_replay_it(
    admin_client: APIClient,
) -> None:
    from policies import services as policy_services

    field = tagger(options=("gold", "silver"))
    gold = field.options.get(value="gold")
    policy = condition_policy(f"ticket_fields_{field.pk}", [gold.pk], operator="includes")
    ticket = TicketFactory(custom_fields={str(field.pk): "gold"})
    policy_services.policy_update(policy_id=policy.pk, data={"filter": {"all": [], "any": []}})
    url = f"/api/v2/ticket_fields/{field.pk}/options/{gold.pk}.json"

    [problem] = details(admin_client.delete(url))["base"]
    assert problem["description"] == (
        "Option 'gold' is still in use: an earlier version of SLA policy 'Named', which "
        "tickets not yet closed were saved under, names it"
    )

    ticket.status = "closed"
    ticket.save(update_fields=["status"])
    assert admin_client.delete(url).status_code == 204


def test_options_sent_as_bare_ids_stay_as_they_are(admin_client: APIClient) -> None:
    # zenpy sends the options it holds this way when only the title changed.
    field = tagger(options=("gold", "silver", "bronze"))
    gold, silver, _ = field.options.all()
    response = admin_client.put(
        f"/api/v2/ticket_fields/{field.pk}.json",
        {
            "ticket_field": {
                "title": "Tier",
                "custom_field_options": [{"id": gold.pk}, {"id": silver.pk}],
            }
        },
        format="json",
    )
    options = ok(response)["ticket_field"]["custom_field_options"]
    assert [(o["id"], o["name"], o["value"]) for o in options] == [
        (gold.pk, "Gold", "gold"),
        (silver.pk, "Silver", "silver"),
    ]


def test_a_new_option_needs_a_name_and_a_value(admin_client: APIClient) -> None:
    field = tagger(options=("gold",))
    before = counts()
    response = admin_client.post(
        f"/api/v2/ticket_fields/{field.pk}/options.json",
        {"custom_field_option": {"name": "Silver"}},
        format="json",
    )
    assert details(response) == {
        "value": [{"description": "Value: is required", "error": "BlankValue"}]
    }
    unknown_id = admin_client.put(
        f"/api/v2/ticket_fields/{field.pk}.json",
        {"ticket_field": {"custom_field_options": [{"id": 999999}]}},
        format="json",
    )
    assert "custom_field_options" in details(unknown_id)
    assert counts() == before


@pytest.mark.parametrize("resource", RESOURCES)
def test_a_list_costs_the_same_queries_for_more_records(
    admin_client: APIClient, resource: str
) -> None:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    make = {
        "groups": lambda n: account_services.group_create(name=f"g{n}"),
        "organizations": lambda n: account_services.organization_create(name=f"o{n}"),
        "brands": lambda n: account_services.brand_create(name=f"b{n}", subdomain=f"b{n}"),
        "ticket_fields": lambda n: tagger(f"f{n}", options=(f"a{n}", f"b{n}")),
    }[resource]
    make(0)

    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            ok(admin_client.get(f"/api/v2/{resource}.json"))
        return len(captured.captured_queries)

    queries()  # the first request of a token also notes when it was used
    few = queries()
    for n in range(1, 6):
        make(n)
    assert queries() == few


def test_a_field_an_earlier_policy_version_names_stays_while_tickets_replay_it(
    admin_client: APIClient,
) -> None:
    from policies import services as policy_services

    field = tagger()
    policy = condition_policy(f"ticket_fields_{field.pk}", field.options.first().pk)
    ticket = TicketFactory()  # saved under the version that names the field
    policy_services.policy_update(policy_id=policy.pk, data={"filter": {"all": [], "any": []}})
    url = f"/api/v2/ticket_fields/{field.pk}.json"

    [problem] = details(admin_client.delete(url))["base"]
    assert problem["description"] == (
        "Ticket field 'Plan' is still in use: an earlier version of SLA policy 'Named', which "
        "tickets not yet closed were saved under, names its options"
    )
    ticket.status = "closed"
    ticket.save(update_fields=["status"])
    assert admin_client.delete(url).status_code == 204


def test_organization_external_id_is_kept_unique_regardless_of_case(
    admin_client: APIClient,
) -> None:
    created = admin_client.post(
        "/api/v2/organizations.json",
        {"organization": {"name": "Acme", "external_id": "CRM-1"}},
        format="json",
    )
    organization = ok(created, 201)["organization"]
    assert organization["external_id"] == "CRM-1"
    assert Organization.objects.get().external_id == "CRM-1"

    other = account_services.organization_create(name="Other")
    taken = admin_client.put(
        f"/api/v2/organizations/{other.pk}.json",
        {"organization": {"external_id": "crm-1"}},
        format="json",
    )
    assert "external_id" in details(taken)
    assert Organization.objects.get(pk=other.pk).external_id is None

    renamed = admin_client.put(
        f"/api/v2/organizations/{organization['id']}.json",
        {"organization": {"name": "Acme Inc"}},
        format="json",
    )
    assert ok(renamed)["organization"]["external_id"] == "CRM-1"  # partial update keeps it
    cleared = admin_client.put(
        f"/api/v2/organizations/{organization['id']}.json",
        {"organization": {"external_id": ""}},
        format="json",
    )
    assert ok(cleared)["organization"]["external_id"] is None

from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from tests.factories import (
    BrandFactory,
    CustomFieldFactory,
    CustomStatusFactory,
    GroupFactory,
    OrganizationFactory,
    SupportAddressFactory,
    TicketFieldOptionFactory,
    TicketFormFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db

INVENTORY = {
    "brand_id": ["is", "is_not"],
    "ticket_form_id": ["is", "is_not"],
    "ticket_type_id": ["is", "is_not"],
    "type": ["is", "is_not"],
    "group_id": ["is", "is_not"],
    "assignee_id": ["is", "is_not"],
    "requester_id": ["is", "is_not"],
    "organization_id": ["is", "is_not"],
    "current_tags": ["includes", "not_includes"],
    "via_id": ["is", "is_not"],
    "current_via_id": ["is", "is_not"],
    "recipient": ["is"],
    "ticket_is_public": ["is"],
    "exact_created_at": ["less_than", "less_than_equal", "greater_than", "greater_than_equal"],
    "custom_status_id": ["includes", "not_includes"],
    "requester_role": ["is", "is_not"],
}


def items_by_field(client: APIClient) -> dict[str, dict]:
    body = client.get("/api/v2/slas/policies/definitions.json").json()
    assert set(body) == {"definitions"}
    assert set(body["definitions"]) == {"all", "any"}
    assert body["definitions"]["all"] == body["definitions"]["any"]
    return {item["value"]: item for item in body["definitions"]["all"]}


@pytest.mark.parametrize("suffix", ["", ".json"])
def test_definitions_shape(admin_client: APIClient, suffix: str) -> None:
    response = admin_client.get(f"/api/v2/slas/policies/definitions{suffix}")
    assert response.status_code == 200
    item = response.json()["definitions"]["all"][0]
    assert item["group"] == "ticket"
    assert item["target"] is None
    assert item["title"] == "Brand"
    assert item["value"] == "brand_id"
    assert item["operators"] == [
        {"title": "Is", "value": "is"},
        {"title": "Is not", "value": "is_not"},
    ]
    assert item["values"]["type"] == "list"


def test_every_inventory_field_with_its_operators(admin_client: APIClient) -> None:
    items = items_by_field(admin_client)
    for field, operators in INVENTORY.items():
        assert [op["value"] for op in items[field]["operators"]] == operators, field
    assert "priority" not in items
    assert "status" not in items
    assert "schedule_id" not in items
    assert items["exact_created_at"]["values"]["type"] == "datetime"
    assert items["current_tags"]["values"]["type"] == "text"


def test_values_come_from_live_account_data(admin_client: APIClient) -> None:
    brand = BrandFactory(name="Acme")
    form = TicketFormFactory(name="Returns")
    group = GroupFactory(name="Billing")
    org = OrganizationFactory(name="Globex")
    agent = UserFactory(role="agent", name="Zed Agent")
    customer = UserFactory(role="end-user", name="Carla Customer")
    address = SupportAddressFactory(email="help@acme.example.com")
    status = CustomStatusFactory(agent_label="Waiting on vendor", status_category="pending")
    option = TicketFieldOptionFactory(name="Mobile app", field__title="Product")
    CustomFieldFactory(owner="user", key="vip", title="VIP", type="checkbox")
    CustomFieldFactory(owner="organization", key="seats", title="Seats", type="integer")

    items = items_by_field(admin_client)

    def listed(field: str) -> list:
        return [(v["value"], v["title"]) for v in items[field]["values"]["list"]]

    assert (str(brand.pk), "Acme") in listed("brand_id")
    assert (str(form.pk), "Returns") in listed("ticket_form_id")
    assert listed("group_id")[0] == (None, "-")
    assert (str(group.pk), "Billing") in listed("group_id")
    assert (str(org.pk), "Globex") in listed("organization_id")
    assert (str(agent.pk), "Zed Agent") in listed("assignee_id")
    assert (str(customer.pk), "Carla Customer") not in listed("assignee_id")
    assert (str(customer.pk), "Carla Customer") in listed("requester_id")
    assert ("current_user", "(current user)") in listed("assignee_id")
    assert ("help@acme.example.com", "help@acme.example.com") in listed("recipient")
    assert address.pk
    assert (str(status.pk), "Waiting on vendor (pending)") in listed("custom_status_id")
    assert listed("requester_role") == [("4", "(agent)"), ("0", "(end-user)"), ("2", "(admin)")]
    assert listed("ticket_type_id") == [
        ("0", "-"),
        ("1", "Question"),
        ("2", "Incident"),
        ("3", "Problem"),
        ("4", "Task"),
    ]
    assert ("4", "Email") in listed("via_id")
    assert len(listed("via_id")) == 34
    product = items[f"ticket_fields_{option.field_id}"]
    assert product["title"] == "Product"
    assert [op["value"] for op in product["operators"]] == ["includes", "not_includes"]
    assert (str(option.pk), "Mobile app") in listed(f"ticket_fields_{option.field_id}")
    vip = items["requester.custom_fields.vip"]
    assert vip["group"] == "requester"
    assert [o["value"] for o in vip["operators"]] == ["is"]
    seats = items["organization.custom_fields.seats"]
    assert seats["group"] == "organization"
    assert "greater_than" in [o["value"] for o in seats["operators"]]


def test_every_definitions_value_is_accepted_by_create(admin_client: APIClient) -> None:
    """The definitions and the validator are one vocabulary: each listed value validates."""
    BrandFactory()
    GroupFactory()
    TicketFieldOptionFactory()
    CustomStatusFactory()
    SupportAddressFactory()
    TicketFormFactory()
    OrganizationFactory()
    items = items_by_field(admin_client)
    for field, item in items.items():
        operator = item["operators"][0]["value"]
        choices = item["values"]["list"]
        value = (
            choices[-1]["value"]
            if choices
            else {"text": "vip", "datetime": "2024-01-01 10:00"}[item["values"]["type"]]
        )
        if operator in ("includes", "not_includes") and choices:
            value = [value]
        payload = {
            "title": field,
            "filter": {"all": [], "any": [{"field": field, "operator": operator, "value": value}]},
        }
        response = admin_client.post(
            "/api/v2/slas/policies", {"sla_policy": payload}, format="json"
        )
        assert response.status_code == 201, (field, response.json())


def test_list_values_are_strings_or_null_as_in_zendesks_reference(admin_client: APIClient) -> None:
    """Zendesk's example answer and OpenAPI file give list values as strings ("10001"); a
    client generated from that file rejects integers."""
    BrandFactory(name="Acme")
    GroupFactory(name="Billing")
    for field, item in items_by_field(admin_client).items():
        for choice in item["values"].get("list", []):
            assert choice["value"] is None or isinstance(choice["value"], str), (field, choice)


def test_a_filter_takes_an_id_as_a_string_or_an_integer(admin_client: APIClient) -> None:
    group = GroupFactory(name="Billing")
    for value in (str(group.pk), group.pk):
        response = admin_client.post(
            "/api/v2/slas/policies.json",
            {
                "sla_policy": {
                    "title": f"Billing {value!r}",
                    "filter": {"all": [{"field": "group_id", "operator": "is", "value": value}]},
                }
            },
            format="json",
        )
        assert response.status_code == 201, response.content
        assert response.json()["sla_policy"]["filter"]["all"][0]["value"] == value

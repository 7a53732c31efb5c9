"""zenpy (PyPI) against a live slaweb: setting up an account's groups, organizations, brands and
ticket fields as a zenpy script does (`Zenpy.groups`, `.organizations`, `.brands`,
`.ticket_fields` and `.ticket_fields.options`), and the SLA condition definitions following.
"""

from __future__ import annotations

from typing import Any

import pytest
from zenpy.lib.api_objects import (
    Brand,
    CustomFieldOption,
    Group,
    Organization,
    TicketField,
)
from zenpy.lib.exception import APIException, RecordNotFoundException

from tests.clients.conftest import Account, ZenpyHarness
from tests.factories import TicketFactory
from tickets import models

pytestmark = pytest.mark.clients


def definition_values(zenpy_api: ZenpyHarness, field: str) -> list[tuple[Any, str]]:
    definitions = zenpy_api.client.sla_policies.definitions()
    [item] = [item for item in definitions.all if item["value"] == field]
    # Ids come as strings, as in Zendesk's reference; compared here as the ids they name.
    return [
        (int(entry["value"]) if str(entry["value"]).isdigit() else entry["value"], entry["title"])
        for entry in item["values"]["list"]
    ]


def test_groups_create_update_delete(zenpy_api: ZenpyHarness, server_url: str) -> None:
    created = zenpy_api.client.groups.create(Group(name="Tier 1", description="First line"))

    assert isinstance(created, Group)
    post = zenpy_api.last("POST")
    assert post.url == f"{server_url}/api/v2/groups.json"
    assert post.body == {"group": {"name": "Tier 1", "description": "First line"}}
    assert post.status == 201
    assert (created.name, created.description, created.deleted) == ("Tier 1", "First line", False)
    assert created.url == f"{server_url}/api/v2/groups/{created.id}.json"
    # A new group is an SLA condition value at once.
    assert (created.id, "Tier 1") in definition_values(zenpy_api, "group_id")

    created.name = "Tier One"
    updated = zenpy_api.client.groups.update(created)
    put = zenpy_api.last("PUT")
    assert put.url == f"{server_url}/api/v2/groups/{created.id}.json"
    assert put.body == {"group": {"id": created.id, "name": "Tier One"}}  # what changed
    assert (updated.id, updated.name, updated.description) == (created.id, "Tier One", "First line")
    assert [g.name for g in zenpy_api.client.groups()] == ["Tier One"]

    response = zenpy_api.client.groups.delete(updated)
    assert response.status_code == 204
    # Marked deleted, as in Zendesk: still shown, no longer listed or offered to conditions.
    assert zenpy_api.client.groups(id=created.id).deleted is True
    assert list(zenpy_api.client.groups()) == []
    assert created.id not in [v for v, _ in definition_values(zenpy_api, "group_id")]
    with pytest.raises(RecordNotFoundException):
        zenpy_api.client.groups.delete(updated)


def test_deleting_a_group_tickets_are_in_is_refused(zenpy_api: ZenpyHarness) -> None:
    group = zenpy_api.client.groups.create(Group(name="Busy"))
    TicketFactory(group=models.Group.objects.get(pk=group.id))

    with pytest.raises(APIException) as raised:
        zenpy_api.client.groups.delete(group)

    assert raised.value.response.status_code == 422
    body = raised.value.response.json()
    assert body["error"] == "RecordInvalid"
    assert body["details"]["base"][0]["description"].endswith("1 ticket assigned to it")
    assert zenpy_api.client.groups(id=group.id).name == "Busy"


def test_organizations_create_update_delete(zenpy_api: ZenpyHarness, server_url: str) -> None:
    created = zenpy_api.client.organizations.create(
        Organization(name="Acme", organization_fields={"plan": "gold", "seats": 40})
    )

    assert isinstance(created, Organization)
    assert zenpy_api.last("POST").url == f"{server_url}/api/v2/organizations.json"
    assert (created.name, created.external_id) == ("Acme", None)
    assert created.organization_fields == {"plan": "gold", "seats": 40}
    assert (created.id, "Acme") in definition_values(zenpy_api, "organization_id")

    created.organization_fields = {"plan": "platinum"}
    updated = zenpy_api.client.organizations.update(created)
    assert zenpy_api.last("PUT").body == {
        "organization": {"id": created.id, "organization_fields": {"plan": "platinum"}}
    }
    assert updated.organization_fields == {"plan": "platinum", "seats": 40}
    assert [o.name for o in zenpy_api.client.organizations()] == ["Acme"]

    assert zenpy_api.client.organizations.delete(updated).status_code == 204
    with pytest.raises(RecordNotFoundException):
        zenpy_api.client.organizations(id=created.id)


def test_an_organization_keeps_its_external_id(zenpy_api: ZenpyHarness) -> None:
    created = zenpy_api.client.organizations.create(Organization(name="Acme", external_id="crm-1"))
    assert created.external_id == "crm-1"
    assert models.Organization.objects.get().external_id == "crm-1"

    with pytest.raises(APIException) as raised:  # unique regardless of case
        zenpy_api.client.organizations.create(Organization(name="Other", external_id="CRM-1"))
    assert raised.value.response.status_code == 422
    assert "external_id" in raised.value.response.json()["details"]
    assert models.Organization.objects.count() == 1


def test_brands_create_update_delete(
    zenpy_api: ZenpyHarness, server_url: str, account: Account
) -> None:
    created = zenpy_api.client.brands.create(Brand(name="Second", subdomain="second"))

    assert isinstance(created, Brand)
    assert zenpy_api.last("POST").url == f"{server_url}/api/v2/brands.json"
    assert (created.name, created.subdomain, created.active) == ("Second", "second", True)
    assert created.url == f"{server_url}/api/v2/brands/{created.id}.json"
    assert [b.id for b in zenpy_api.client.brands()] == [account.brand_id, created.id]
    assert (created.id, "Second") in definition_values(zenpy_api, "brand_id")

    created.active = False
    updated = zenpy_api.client.brands.update(created)
    assert zenpy_api.last("PUT").body == {"brand": {"id": created.id, "active": False}}
    assert updated.active is False

    assert zenpy_api.client.brands.delete(updated).status_code == 204
    assert [b.id for b in zenpy_api.client.brands()] == [account.brand_id]


def test_ticket_fields_create_with_options(zenpy_api: ZenpyHarness, server_url: str) -> None:
    created = zenpy_api.client.ticket_fields.create(
        TicketField(
            type="tagger",
            title="Plan",
            custom_field_options=[
                CustomFieldOption(name="Gold", value="plan_gold"),
                CustomFieldOption(name="Silver", value="plan_silver"),
            ],
        )
    )

    assert isinstance(created, TicketField)
    post = zenpy_api.last("POST")
    assert post.url == f"{server_url}/api/v2/ticket_fields.json"
    assert post.body == {
        "ticket_field": {
            "type": "tagger",
            "title": "Plan",
            "custom_field_options": [
                {"name": "Gold", "value": "plan_gold"},
                {"name": "Silver", "value": "plan_silver"},
            ],
        }
    }
    assert (created.type, created.title, created.active) == ("tagger", "Plan", True)
    options = created.custom_field_options
    assert all(isinstance(option, CustomFieldOption) for option in options)
    assert [(o.name, o.value) for o in options] == [
        ("Gold", "plan_gold"),
        ("Silver", "plan_silver"),
    ]
    stored = list(models.TicketFieldOption.objects.filter(field_id=created.id))
    assert [o.id for o in options] == [o.pk for o in stored]
    # The drop-down is an SLA condition field at once, its options its values.
    assert definition_values(zenpy_api, f"ticket_fields_{created.id}") == [
        (None, "-"),
        (options[0].id, "Gold"),
        (options[1].id, "Silver"),
    ]

    bronze = zenpy_api.client.ticket_fields.options.create_or_update(
        created, CustomFieldOption(name="Bronze", value="plan_bronze")
    )
    option_post = zenpy_api.last("POST")
    assert option_post.url == f"{server_url}/api/v2/ticket_fields/{created.id}/options.json"
    assert option_post.status == 201
    assert (bronze.name, bronze.value) == ("Bronze", "plan_bronze")

    zenpy_api.client.purge_cache("ticket_field")  # else zenpy answers from its cache
    fetched = zenpy_api.client.ticket_fields(id=created.id)
    held = [option.id for option in fetched.custom_field_options]
    assert held == [options[0].id, options[1].id, bronze.id]
    fetched.title = "Support plan"
    updated = zenpy_api.client.ticket_fields.update(fetched)
    # zenpy sends the options it holds as bare ids: they stay as they are.
    assert zenpy_api.last("PUT").body == {
        "ticket_field": {
            "id": created.id,
            "title": "Support plan",
            "custom_field_options": [{"id": option_id} for option_id in held],
        }
    }
    assert updated.title == "Support plan"
    assert [o.value for o in updated.custom_field_options] == [
        "plan_gold",
        "plan_silver",
        "plan_bronze",
    ]
    assert [f.title for f in zenpy_api.client.ticket_fields()] == ["Support plan"]

    assert zenpy_api.client.ticket_fields.delete(updated).status_code == 204
    with pytest.raises(RecordNotFoundException):
        zenpy_api.client.ticket_fields(id=created.id)
    assert not models.TicketFieldOption.objects.exists()


def test_a_bad_ticket_field_is_refused_and_nothing_is_written(zenpy_api: ZenpyHarness) -> None:
    with pytest.raises(APIException) as raised:
        zenpy_api.client.ticket_fields.create(TicketField(type="tagger", title="No options"))
    assert raised.value.response.status_code == 422
    assert "custom_field_options" in raised.value.response.json()["details"]
    assert not models.TicketField.objects.exists()

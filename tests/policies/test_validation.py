"""Every bad policy payload is a 422 RecordInvalid with details on the right key, and writes
nothing."""

from __future__ import annotations

from typing import Any

import pytest
from rest_framework.test import APIClient

from policies.models import Policy, PolicyCondition, PolicyMetric
from tests.factories import (
    BrandFactory,
    CustomFieldFactory,
    TicketFieldOptionFactory,
    make_policy,
)

pytestmark = pytest.mark.django_db

OK_FILTER = {"all": [{"field": "type", "operator": "is", "value": "incident"}], "any": []}


def cond(field: str, operator: str, value: Any) -> dict[str, Any]:
    return {"all": [{"field": field, "operator": operator, "value": value}], "any": []}


def frt(**overrides: Any) -> list[dict[str, Any]]:
    return [{"priority": "normal", "metric": "first_reply_time", "target": 30, **overrides}]


INVALID = [
    ({"filter": OK_FILTER}, "title"),
    ({"title": "", "filter": OK_FILTER}, "title"),
    ({"title": "   ", "filter": OK_FILTER}, "title"),
    ({"title": 5, "filter": OK_FILTER}, "title"),
    ({"title": None, "filter": OK_FILTER}, "title"),
    ({"title": "x" * 256, "filter": OK_FILTER}, "title"),
    ({"title": "t"}, "filter"),
    ({"title": "t", "filter": None}, "filter"),
    ({"title": "t", "filter": "type is incident"}, "filter"),
    ({"title": "t", "filter": []}, "filter"),
    ({"title": "t", "filter": {"all": "nope"}}, "filter"),
    ({"title": "t", "filter": {"all": [], "none": []}}, "filter"),
    ({"title": "t", "filter": {"all": ["type is incident"]}}, "filter"),
    ({"title": "t", "filter": {"all": [{"operator": "is", "value": "x"}]}}, "filter"),
    ({"title": "t", "filter": {"all": [{"field": "type", "value": "x"}]}}, "filter"),
    ({"title": "t", "filter": {"all": [{"field": "type", "operator": "is"}]}}, "filter"),
    ({"title": "t", "filter": cond("no_such_field", "is", 1)}, "filter"),
    ({"title": "t", "filter": cond("priority", "is", "urgent")}, "filter"),
    ({"title": "t", "filter": cond("status", "is", "open")}, "filter"),
    ({"title": "t", "filter": cond("type", "includes", "incident")}, "filter"),
    ({"title": "t", "filter": cond("type", "is", "catastrophe")}, "filter"),
    ({"title": "t", "filter": cond("type", "is", ["incident"])}, "filter"),
    ({"title": "t", "filter": cond("type", "is", {"a": 1})}, "filter"),
    ({"title": "t", "filter": cond("brand_id", "is", 987654)}, "filter"),
    ({"title": "t", "filter": cond("group_id", "is", 987654)}, "filter"),
    ({"title": "t", "filter": cond("organization_id", "is_not", 987654)}, "filter"),
    ({"title": "t", "filter": cond("assignee_id", "is", 987654)}, "filter"),
    ({"title": "t", "filter": cond("via_id", "is", 3)}, "filter"),
    ({"title": "t", "filter": cond("via_id", "is", 4.5)}, "filter"),
    ({"title": "t", "filter": cond("ticket_type_id", "is", 9)}, "filter"),
    ({"title": "t", "filter": cond("requester_role", "is", 1)}, "filter"),
    ({"title": "t", "filter": cond("current_tags", "is", "vip")}, "filter"),
    ({"title": "t", "filter": cond("current_tags", "includes", "")}, "filter"),
    ({"title": "t", "filter": cond("current_tags", "includes", 5)}, "filter"),
    ({"title": "t", "filter": cond("exact_created_at", "less_than", "yesterday")}, "filter"),
    ({"title": "t", "filter": cond("exact_created_at", "is", "2024-01-01 10:00")}, "filter"),
    ({"title": "t", "filter": cond("custom_status_id", "includes", [987654])}, "filter"),
    ({"title": "t", "filter": cond("custom_status_id", "includes", [])}, "filter"),
    ({"title": "t", "filter": cond("ticket_is_public", "is", "maybe")}, "filter"),
    ({"title": "t", "filter": cond("ticket_fields_987654", "includes", [1])}, "filter"),
    ({"title": "t", "filter": cond("requester.custom_fields.nope", "is", "x")}, "filter"),
    ({"title": "t", "filter": OK_FILTER, "policy_metrics": "fast"}, "policy_metrics"),
    ({"title": "t", "filter": OK_FILTER, "policy_metrics": [5]}, "policy_metrics"),
    (
        {"title": "t", "filter": OK_FILTER, "policy_metrics": frt(priority="critical")},
        "policy_metrics",
    ),
    (
        {"title": "t", "filter": OK_FILTER, "policy_metrics": frt(metric="happiness")},
        "policy_metrics",
    ),
    ({"title": "t", "filter": OK_FILTER, "policy_metrics": frt(target=0)}, "policy_metrics"),
    ({"title": "t", "filter": OK_FILTER, "policy_metrics": frt(target=-5)}, "policy_metrics"),
    ({"title": "t", "filter": OK_FILTER, "policy_metrics": frt(target=1.5)}, "policy_metrics"),
    ({"title": "t", "filter": OK_FILTER, "policy_metrics": frt(target="soon")}, "policy_metrics"),
    ({"title": "t", "filter": OK_FILTER, "policy_metrics": frt(target=True)}, "policy_metrics"),
    ({"title": "t", "filter": OK_FILTER, "policy_metrics": frt(target=10**12)}, "policy_metrics"),
    ({"title": "t", "filter": OK_FILTER, "policy_metrics": frt(target=None)}, "policy_metrics"),
    (
        {"title": "t", "filter": OK_FILTER, "policy_metrics": frt(target_in_seconds=0)},
        "policy_metrics",
    ),
    (
        {
            "title": "t",
            "filter": OK_FILTER,
            "policy_metrics": [{"priority": "normal", "metric": "first_reply_time"}],
        },
        "policy_metrics",
    ),
    (
        {"title": "t", "filter": OK_FILTER, "policy_metrics": frt(business_hours="yes")},
        "policy_metrics",
    ),
    (
        {"title": "t", "filter": OK_FILTER, "policy_metrics": frt() + frt(target=60)},
        "policy_metrics",
    ),
    ({"title": "t", "filter": OK_FILTER, "position": 0}, "position"),
    ({"title": "t", "filter": OK_FILTER, "position": -1}, "position"),
    ({"title": "t", "filter": OK_FILTER, "position": "first"}, "position"),
    ({"title": "t", "filter": OK_FILTER, "description": 42}, "description"),
    ({"title": "t", "filter": OK_FILTER, "metric_settings": []}, "metric_settings"),
    ({"title": "t", "filter": OK_FILTER, "metric_settings": {"happiness": {}}}, "metric_settings"),
    (
        {"title": "t", "filter": OK_FILTER, "metric_settings": {"first_reply_time": {"x": True}}},
        "metric_settings",
    ),
    (
        {
            "title": "t",
            "filter": OK_FILTER,
            "metric_settings": {"first_reply_time": {"fulfill_on_agent_internal_note": "on"}},
        },
        "metric_settings",
    ),
]


def nothing_written() -> bool:
    return not (
        Policy.objects.exists() or PolicyCondition.objects.exists() or PolicyMetric.objects.exists()
    )


@pytest.mark.parametrize(("payload", "field"), INVALID)
def test_create_rejects_with_details_and_writes_nothing(
    admin_client: APIClient, payload: dict[str, Any], field: str
) -> None:
    response = admin_client.post(
        "/api/v2/slas/policies.json", {"sla_policy": payload}, format="json"
    )
    assert response.status_code == 422, response.content
    body = response.json()
    assert body["error"] == "RecordInvalid"
    assert body["description"] == "Record validation errors"
    assert field in body["details"]
    for problem in body["details"][field]:
        assert set(problem) == {"description", "error"}
        assert problem["description"]
    assert nothing_written()


@pytest.mark.parametrize(("payload", "field"), [p for p in INVALID if p[1] in p[0]])
def test_update_rejects_and_leaves_the_policy_unchanged(
    admin_client: APIClient, payload: dict[str, Any], field: str
) -> None:
    policy = make_policy("Keep me")
    before = admin_client.get(f"/api/v2/slas/policies/{policy.pk}").json()
    response = admin_client.put(
        f"/api/v2/slas/policies/{policy.pk}", {"sla_policy": payload}, format="json"
    )
    assert response.status_code == 422
    assert field in response.json()["details"]
    assert admin_client.get(f"/api/v2/slas/policies/{policy.pk}").json() == before


def test_several_problems_are_reported_together(admin_client: APIClient) -> None:
    payload = {
        "title": "",
        "filter": cond("nope", "is", 1),
        "policy_metrics": frt(target=0),
    }
    details = admin_client.post(
        "/api/v2/slas/policies", {"sla_policy": payload}, format="json"
    ).json()["details"]
    assert set(details) == {"title", "filter", "policy_metrics"}
    assert "nope" in details["filter"][0]["description"]


VALID_CONDITIONS = [
    ("type", "is", "incident"),
    ("type", "is_not", None),
    ("ticket_type_id", "is", 2),
    ("ticket_type_id", "is", "2"),
    ("via_id", "is", 4),
    ("via_id", "is", "4"),
    ("current_via_id", "is_not", 0),
    ("group_id", "is", None),
    ("group_id", "is", ""),
    ("assignee_id", "is", "current_user"),
    ("assignee_id", "is_not", "requester_id"),
    ("requester_role", "is", 0),
    ("current_tags", "includes", "vip gold"),
    ("current_tags", "not_includes", "spam"),
    ("exact_created_at", "greater_than", "2024-05-01 09:30"),
    ("exact_created_at", "less_than_equal", "2024-05-01T09:30:00Z"),
    ("ticket_is_public", "is", "private"),
]


@pytest.mark.parametrize(("field", "operator", "value"), VALID_CONDITIONS)
def test_valid_conditions_are_accepted(
    admin_client: APIClient, field: str, operator: str, value: Any
) -> None:
    payload = {"title": "t", "filter": cond(field, operator, value)}
    response = admin_client.post("/api/v2/slas/policies", {"sla_policy": payload}, format="json")
    assert response.status_code == 201, response.json()
    assert response.json()["sla_policy"]["filter"]["all"][0]["value"] == value


def test_live_account_values_are_accepted(admin_client: APIClient) -> None:
    brand = BrandFactory()
    option = TicketFieldOptionFactory()
    CustomFieldFactory(owner="user", key="tier", type="integer")
    CustomFieldFactory(
        owner="organization",
        key="plan",
        type="dropdown",
        options=[{"name": "Gold", "value": "gold"}],
    )
    conditions = [
        {"field": "brand_id", "operator": "is", "value": str(brand.pk)},
        {"field": f"ticket_fields_{option.field_id}", "operator": "includes", "value": [option.pk]},
        {"field": "requester.custom_fields.tier", "operator": "greater_than", "value": "3"},
        {"field": "organization.custom_fields.plan", "operator": "is", "value": "gold"},
    ]
    payload = {"title": "t", "filter": {"all": conditions, "any": []}}
    response = admin_client.post("/api/v2/slas/policies", {"sla_policy": payload}, format="json")
    assert response.status_code == 201, response.json()


def test_empty_filter_is_accepted_and_matches_everything(admin_client: APIClient) -> None:
    payload = {"title": "t", "filter": {"all": [], "any": []}}
    response = admin_client.post("/api/v2/slas/policies", {"sla_policy": payload}, format="json")
    assert response.status_code == 201

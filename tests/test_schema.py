"""The OpenAPI schema describes what the API really answers."""

from __future__ import annotations

import json
import re
from typing import Any

import jsonschema
import pytest
from rest_framework.test import APIClient

from tests.factories import make_policy

pytestmark = pytest.mark.django_db


@pytest.fixture
def schema(anonymous_client: APIClient) -> dict[str, Any]:
    response = anonymous_client.get("/api/schema/?format=json")
    assert response.status_code == 200
    return response.json()


def operation_for(schema: dict[str, Any], method: str, path: str) -> dict[str, Any]:
    bare = re.sub(r"\.json(?=$|\?)", "", path.split("?")[0])
    # Literal paths (reorder, definitions, me) win over templated ones, as in the URLconf.
    for template, operations in sorted(schema["paths"].items(), key=lambda kv: "{" in kv[0]):
        pattern = "^" + re.sub(r"\{[^}]+\}", r"[^/]+", template) + "$"
        if re.match(pattern, bare) and method in operations:
            return operations[method]
    raise AssertionError(f"{method.upper()} {path} is not in the schema")


def assert_matches_schema(schema: dict[str, Any], method: str, path: str, response: Any) -> None:
    operation = operation_for(schema, method, path)
    documented = operation["responses"].get(str(response.status_code))
    assert documented, f"{response.status_code} not documented for {method.upper()} {path}"
    if response.status_code == 204:
        assert response.content == b""
        return
    body_schema = documented["content"]["application/json"]["schema"]
    jsonschema.validate(response.json(), {**body_schema, "components": schema["components"]})


CALLS = [
    ("get", "/api/v2/slas/policies.json", None),
    ("get", "/api/v2/slas/policies.json?page[size]=1", None),
    ("get", "/api/v2/slas/policies/{id}.json", None),
    ("get", "/api/v2/slas/policies/999999.json", None),
    ("post", "/api/v2/slas/policies.json", {"sla_policy": {"title": "n", "filter": {"all": []}}}),
    ("post", "/api/v2/slas/policies.json", {"sla_policy": {"title": ""}}),
    ("post", "/api/v2/slas/policies.json", {"nope": {}}),
    ("put", "/api/v2/slas/policies/{id}.json", {"sla_policy": {"title": "u"}}),
    ("put", "/api/v2/slas/policies/reorder.json", {"sla_policy_ids": ["{id}"]}),
    ("put", "/api/v2/slas/policies/reorder.json", {"sla_policy_ids": [999999]}),
    ("get", "/api/v2/slas/policies/definitions.json", None),
    ("delete", "/api/v2/slas/policies/{id}.json", None),
    ("get", "/api/v2/users.json", None),
    ("get", "/api/v2/users/me.json", None),
    ("post", "/api/v2/users.json", {"user": {"name": "N", "email": "n@example.com"}}),
    ("post", "/api/v2/users.json", {"user": {"name": "N"}}),
]


@pytest.mark.parametrize(("method", "path", "body"), CALLS)
def test_real_responses_match_the_schema(
    schema: dict[str, Any], admin_client: APIClient, method: str, path: str, body: Any
) -> None:
    policy = make_policy("p")
    url = path.replace("{id}", str(policy.pk))
    if body and "sla_policy_ids" in body:
        body = {
            "sla_policy_ids": [
                int(str(i).replace("{id}", str(policy.pk))) for i in body["sla_policy_ids"]
            ]
        }
    response = getattr(admin_client, method)(url, body, format="json")
    assert_matches_schema(schema, method, url, response)


@pytest.mark.parametrize("role", ["anonymous", "agent"])
def test_error_responses_match_the_schema(schema: dict[str, Any], client_for, role: str) -> None:
    response = client_for(role).get("/api/v2/slas/policies.json")
    assert response.status_code in (401, 403)
    assert_matches_schema(schema, "get", "/api/v2/slas/policies.json", response)


def test_every_route_is_documented(schema: dict[str, Any]) -> None:
    assert set(schema["paths"]) == {
        "/api/v2/slas/policies",
        "/api/v2/slas/policies/{policy_id}",
        "/api/v2/slas/policies/reorder",
        "/api/v2/slas/policies/definitions",
        "/api/v2/group_slas/policies",
        "/api/v2/group_slas/policies/{policy_id}",
        "/api/v2/group_slas/policies/reorder",
        "/api/v2/group_slas/policies/definitions",
        "/api/v2/group_slas/policies/impact",
        "/api/v2/users",
        "/api/v2/users/{user_id}",
        "/api/v2/users/me",
        "/api/v2/business_hours/schedules",
        "/api/v2/business_hours/schedules/{schedule_id}",
        "/api/v2/business_hours/schedules/{schedule_id}/workweek",
        "/api/v2/business_hours/schedules/{schedule_id}/holidays",
        "/api/v2/business_hours/schedules/{schedule_id}/holidays/{holiday_id}",
        "/api/v2/slas/policies/impact",
        "/api/v2/slas/recomputes",
        "/api/v2/slas/recomputes/{recompute_id}",
        "/api/v2/slas/history_rewrites",
        "/api/v2/slas/history_rewrites/preview",
        "/api/v2/slas/history_rewrites/{rewrite_id}",
        "/api/v2/slas/reports",
        "/api/v2/slas/backtest",
        "/api/v2/slas/notification_rules",
        "/api/v2/slas/notification_rules/{rule_id}",
        "/api/v2/slas/objectives",
        "/api/v2/slas/objectives/{objective_id}",
        "/api/v2/tickets",
        "/api/v2/tickets/{ticket_id}",
        "/api/v2/tickets/show_many",
        "/api/v2/tickets/{ticket_id}/comments",
        "/api/v2/tickets/{ticket_id}/audits",
        "/api/v2/tickets/{ticket_id}/audits/{audit_id}",
        "/api/v2/tickets/{ticket_id}/metrics",
        "/api/v2/ticket_metrics",
        "/api/v2/ticket_metrics/{ticket_metric_id}",
        "/api/v2/oauth/tokens",
        "/api/v2/oauth/tokens/{oauth_token_id}",
        "/api/v2/oauth/tokens/current",
        "/api/v2/users/show_many",
        "/api/v2/users/search",
        "/api/v2/users/create_or_update",
        "/api/v2/tickets/create_many",
        "/api/v2/tickets/update_many",
        "/api/v2/job_statuses",
        "/api/v2/job_statuses/show_many",
        "/api/v2/job_statuses/{job_status_id}",
        "/api/v2/ticket_fields",
        "/api/v2/ticket_fields/{ticket_field_id}",
        "/api/v2/ticket_fields/{ticket_field_id}/options",
        "/api/v2/ticket_fields/{ticket_field_id}/options/{option_id}",
        "/api/v2/custom_statuses",
        "/api/v2/custom_statuses/{custom_status_id}",
        "/api/v2/custom_status/default",
        "/api/v2/groups",
        "/api/v2/groups/{group_id}",
        "/api/v2/organizations",
        "/api/v2/organizations/{organization_id}",
        "/api/v2/brands",
        "/api/v2/brands/{brand_id}",
        "/api/v2/tickets/{ticket_id}/sla_explanation",
        "/api/v2/incremental/ticket_metric_events",
        "/api/v2/imports/tickets",
        "/api/v2/imports/tickets/create_many",
    }


def test_docs_page_is_served_without_external_assets(anonymous_client: APIClient) -> None:
    response = anonymous_client.get("/api/docs/")
    assert response.status_code == 200
    html = response.content.decode()
    assert "swagger-ui" in html
    assert "cdn.jsdelivr" not in html


SCHEDULE_CALLS = [
    ("get", "/api/v2/business_hours/schedules.json", None),
    ("get", "/api/v2/business_hours/schedules/{sid}.json", None),
    (
        "post",
        "/api/v2/business_hours/schedules.json",
        {"schedule": {"name": "n", "time_zone": "UTC"}},
    ),
    ("post", "/api/v2/business_hours/schedules.json", {"schedule": {"name": "n"}}),
    ("put", "/api/v2/business_hours/schedules/{sid}.json", {"schedule": {"name": "m"}}),
    (
        "put",
        "/api/v2/business_hours/schedules/{sid}/workweek.json",
        {"workweek": {"intervals": [{"start_time": 1980, "end_time": 2460}]}},
    ),
    ("get", "/api/v2/business_hours/schedules/{sid}/holidays.json", None),
    ("get", "/api/v2/business_hours/schedules/{sid}/holidays/{hid}.json", None),
    (
        "put",
        "/api/v2/business_hours/schedules/{sid}/holidays/{hid}.json",
        {"holiday": {"name": "x"}},
    ),
    ("delete", "/api/v2/business_hours/schedules/{sid}/holidays/{hid}.json", None),
    ("delete", "/api/v2/business_hours/schedules/{sid}.json", None),
]


@pytest.mark.parametrize(("method", "path", "body"), SCHEDULE_CALLS)
def test_schedule_responses_match_the_schema(
    schema: dict[str, Any], admin_client: APIClient, method: str, path: str, body: Any
) -> None:
    from datetime import UTC, datetime, timedelta

    from policies import services

    schedule = services.schedule_create(name="s", time_zone="UTC")
    day = datetime.now(UTC).date() + timedelta(days=3)
    holiday = services.holiday_create(
        schedule_id=schedule.pk, name="h", start_date=day, end_date=day
    )
    url = path.replace("{sid}", str(schedule.pk)).replace("{hid}", str(holiday.pk))
    response = getattr(admin_client, method)(url, body, format="json")
    assert_matches_schema(schema, method, url, response)


TICKET_CALLS = [
    ("get", "/api/v2/tickets.json?include=slas,metric_events", None),
    ("get", "/api/v2/tickets/{tid}.json?include=slas,metric_events", None),
    ("get", "/api/v2/tickets/show_many.json?ids={tid}&include=slas", None),
    ("get", "/api/v2/tickets/{tid}/comments.json", None),
    ("get", "/api/v2/tickets/{tid}/audits.json", None),
    ("get", "/api/v2/tickets/{tid}/metrics.json", None),
    ("get", "/api/v2/ticket_metrics.json", None),
    ("get", "/api/v2/ticket_metrics.json?page[size]=1", None),
    ("get", "/api/v2/ticket_metrics/{tid}.json", None),
    ("get", "/api/v2/ticket_metrics/999999.json", None),
    ("get", "/api/v2/oauth/tokens.json", None),
    ("post", "/api/v2/oauth/tokens.json", {"token": {"scopes": ["read"]}}),
    ("post", "/api/v2/oauth/tokens.json", {"token": {"scopes": ["nope"]}}),
    ("get", "/api/v2/users/show_many.json?ids=1", None),
    ("get", "/api/v2/users/search.json?query=a", None),
    (
        "post",
        "/api/v2/users/create_or_update.json",
        {"user": {"name": "N", "email": "n@example.com"}},
    ),
    ("post", "/api/v2/tickets/create_many.json", {"tickets": [{"subject": "s"}]}),
    ("post", "/api/v2/tickets/create_many.json", {"tickets": []}),
    ("put", "/api/v2/tickets/update_many.json?ids={tid}", {"ticket": {"priority": "high"}}),
    ("put", "/api/v2/tickets/update_many.json?ids=x", {"ticket": {"priority": "high"}}),
    ("get", "/api/v2/job_statuses.json", None),
    ("get", "/api/v2/job_statuses/show_many.json?ids=0123abcd", None),
    ("get", "/api/v2/job_statuses/0123abcd.json", None),
    ("get", "/api/v2/tickets/{tid}/sla_explanation.json", None),
    (
        "put",
        "/api/v2/tickets/{tid}.json",
        {"ticket": {"priority": "high", "comment": {"body": "x"}}},
    ),
    ("put", "/api/v2/tickets/{tid}.json", {"ticket": {"priority": "critical"}}),
    ("get", "/api/v2/incremental/ticket_metric_events.json?start_time=0", None),
    ("get", "/api/v2/incremental/ticket_metric_events.json?start_time=0&page[size]=2", None),
    ("get", "/api/v2/slas/recomputes.json", None),
    (
        "post",
        "/api/v2/slas/history_rewrites/preview.json",
        {"history_rewrite": {"since": "2026-01-01T00:00:00Z"}},
    ),
    (
        "post",
        "/api/v2/slas/history_rewrites.json",
        {"history_rewrite": {"since": "2026-01-01T00:00:00Z", "reason": "Wrong target"}},
    ),
    ("get", "/api/v2/slas/history_rewrites.json", None),
    ("delete", "/api/v2/tickets/{tid}.json", None),
]


@pytest.mark.parametrize(("method", "path", "body"), TICKET_CALLS)
def test_ticket_responses_match_the_schema(
    schema: dict[str, Any], admin_client: APIClient, method: str, path: str, body: Any
) -> None:
    from tests.factories import UserFactory, metric

    make_policy("all", filter={"all": [], "any": []}, metrics=[metric("normal")])
    customer = UserFactory(role="end-user", email="schema-customer@example.com")
    created = admin_client.post(
        "/api/v2/tickets.json",
        {
            "ticket": {
                "subject": "s",
                "priority": "normal",
                "comment": {"body": "b"},
                "requester_id": customer.pk,
                "submitter_id": customer.pk,
            }
        },
        format="json",
    )
    assert_matches_schema(schema, "post", "/api/v2/tickets.json", created)
    url = path.replace("{tid}", str(created.json()["ticket"]["id"]))
    response = getattr(admin_client, method)(url, body, format="json")
    assert_matches_schema(schema, method, url, response)


GROUP_SLA_CALLS = [
    ("get", "/api/v2/group_slas/policies.json", None),
    ("get", "/api/v2/group_slas/policies.json?page[size]=1", None),
    ("get", "/api/v2/group_slas/policies/{gid}.json", None),
    ("get", "/api/v2/group_slas/policies/01H078CBDY28BZG7P6BQNY09DN.json", None),
    (
        "post",
        "/api/v2/group_slas/policies.json",
        {
            "group_sla_policy": {
                "title": "n",
                "filter": {
                    "all": [{"field": "group_id", "operator": "includes", "value": ["{group}"]}]
                },
                "policy_metrics": [
                    {"priority": "low", "metric": "group_ownership_time", "target": 3600}
                ],
            }
        },
    ),
    ("post", "/api/v2/group_slas/policies.json", {"group_sla_policy": {"title": ""}}),
    ("post", "/api/v2/group_slas/policies.json", {"nope": {}}),
    ("put", "/api/v2/group_slas/policies/{gid}.json", {"group_sla_policy": {"title": "u"}}),
    ("put", "/api/v2/group_slas/policies/reorder.json", {"group_sla_policy_ids": ["{gid}"]}),
    ("put", "/api/v2/group_slas/policies/reorder.json", {"group_sla_policy_ids": ["nope"]}),
    ("get", "/api/v2/group_slas/policies/definitions.json", None),
    ("delete", "/api/v2/group_slas/policies/{gid}.json", None),
    (
        "post",
        "/api/v2/group_slas/policies/impact.json",
        {"group_sla_policy": {"title": "u"}, "id": "{gid}"},
    ),
    ("post", "/api/v2/group_slas/policies/impact.json", {"group_sla_policy": {"title": ""}}),
    ("post", "/api/v2/group_slas/policies/impact.json", {"group_sla_policy": {}, "id": "nope"}),
]


@pytest.mark.parametrize(("method", "path", "body"), GROUP_SLA_CALLS)
def test_group_sla_responses_match_the_schema(
    schema: dict[str, Any], admin_client: APIClient, method: str, path: str, body: Any
) -> None:
    from policies import services
    from tests.factories import GroupFactory

    group = GroupFactory(name="Tier 1")
    policy = services.group_sla_policy_create(
        title="g",
        description=None,
        filter={"all": [{"field": "group_id", "operator": "includes", "value": [group.pk]}]},
        policy_metrics=[{"priority": "low", "target_seconds": 3600, "business_hours": False}],
    )
    url = path.replace("{gid}", policy.pk)
    if body is not None:
        text = json.dumps(body).replace('"{gid}"', f'"{policy.pk}"')
        body = json.loads(text.replace('"{group}"', str(group.pk)))
    response = getattr(admin_client, method)(url, body, format="json")
    assert_matches_schema(schema, method, url, response)

"""Every endpoint × every kind of caller."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest
from rest_framework.test import APIClient

from policies import services as policy_services
from tests.factories import TicketFactory, UserFactory, make_policy
from tickets import account_services, services
from tickets.custom_statuses import custom_status_default
from tickets.models import SlaRecompute
from tickets.notifications import rules as notification_rules
from tickets.notifications.api import NotificationRuleInputSerializer
from tickets.objectives import objective_create
from tickets.sla.rewrite import history_rewrite_apply

pytestmark = pytest.mark.django_db

ROLES = ["admin", "agent", "end-user", "anonymous", "bad-token"]
# Holidays must lie within two years of today.
NEW_YEAR = f"{datetime.now(UTC).year + 1}-01-02"

# (method, path, body, status for admin, agent, end user)
ENDPOINTS = [
    ("get", "/api/v2/slas/policies.json", None, (200, 403, 403)),
    ("get", "/api/v2/group_slas/policies.json", None, (200, 403, 403)),
    (
        "post",
        "/api/v2/group_slas/policies.json",
        {
            "group_sla_policy": {
                "title": "t",
                "filter": {
                    "all": [{"field": "group_id", "operator": "includes", "value": ["{group}"]}]
                },
            }
        },
        (201, 403, 403),
    ),
    ("get", "/api/v2/group_slas/policies/{group_policy}.json", None, (200, 403, 403)),
    (
        "put",
        "/api/v2/group_slas/policies/{group_policy}.json",
        {"group_sla_policy": {"title": "u"}},
        (200, 403, 403),
    ),
    ("delete", "/api/v2/group_slas/policies/{group_policy}.json", None, (204, 403, 403)),
    (
        "put",
        "/api/v2/group_slas/policies/reorder.json",
        {"group_sla_policy_ids": []},
        (200, 403, 403),
    ),
    ("get", "/api/v2/group_slas/policies/definitions.json", None, (200, 403, 403)),
    (
        "post",
        "/api/v2/group_slas/policies/impact.json",
        {"group_sla_policy": {"title": "u"}, "id": "{group_policy}"},
        (200, 403, 403),
    ),
    (
        "post",
        "/api/v2/slas/policies.json",
        {"sla_policy": {"title": "t", "filter": {"all": []}}},
        (201, 403, 403),
    ),
    ("get", "/api/v2/slas/policies/{policy}.json", None, (200, 403, 403)),
    ("put", "/api/v2/slas/policies/{policy}.json", {"sla_policy": {"title": "u"}}, (200, 403, 403)),
    ("delete", "/api/v2/slas/policies/{policy}.json", None, (204, 403, 403)),
    ("put", "/api/v2/slas/policies/reorder.json", {"sla_policy_ids": []}, (200, 403, 403)),
    ("get", "/api/v2/slas/policies/definitions.json", None, (200, 403, 403)),
    ("get", "/api/v2/users.json", None, (200, 200, 403)),
    (
        "post",
        "/api/v2/users.json",
        {"user": {"name": "N", "email": "n@example.com"}},
        (201, 403, 403),
    ),
    ("get", "/api/v2/users/{me}.json", None, (200, 200, 200)),
    ("get", "/api/v2/users/{other}.json", None, (200, 200, 403)),
    ("put", "/api/v2/users/{other}.json", {"user": {"name": "Renamed"}}, (200, 403, 403)),
    ("get", "/api/v2/users/me.json", None, (200, 200, 200)),
    ("get", "/api/v2/tickets.json", None, (200, 200, 200)),
    (
        "post",
        "/api/v2/tickets.json",
        {"ticket": {"subject": "s", "comment": {"body": "b"}}},
        (201, 201, 201),
    ),
    ("get", "/api/v2/tickets/{mine}.json?include=slas,metric_events", None, (200, 200, 200)),
    ("get", "/api/v2/tickets/{theirs}.json", None, (200, 200, 404)),
    ("put", "/api/v2/tickets/{mine}.json", {"ticket": {"comment": {"body": "x"}}}, (200, 200, 200)),
    ("put", "/api/v2/tickets/{mine}.json", {"ticket": {"priority": "high"}}, (200, 200, 403)),
    (
        "put",
        "/api/v2/tickets/{theirs}.json",
        {"ticket": {"comment": {"body": "x"}}},
        (200, 200, 404),
    ),
    ("delete", "/api/v2/tickets/{theirs}.json", None, (204, 204, 403)),
    ("get", "/api/v2/tickets/show_many.json?ids={mine},{theirs}", None, (200, 200, 200)),
    ("get", "/api/v2/tickets/{mine}/comments.json", None, (200, 200, 200)),
    ("get", "/api/v2/tickets/{mine}/sla_explanation.json", None, (200, 200, 403)),
    ("get", "/api/v2/incremental/ticket_metric_events.json?start_time=0", None, (200, 403, 403)),
    ("get", "/api/v2/slas/recomputes.json", None, (200, 200, 403)),
    (
        "post",
        "/api/v2/slas/policies/impact.json",
        {"sla_policy": {"title": "t", "filter": {"all": []}}},
        (200, 403, 403),
    ),
    ("post", "/api/v2/slas/backtest.json", {"sla_policies": [], "days": 7}, (200, 403, 403)),
    ("get", "/api/v2/slas/notification_rules.json", None, (200, 200, 403)),
    (
        "post",
        "/api/v2/slas/notification_rules.json",
        {
            "notification_rule": {
                "title": "t",
                "trigger": "breach",
                "channel": "email",
                "email_addresses": ["lead@example.com"],
            }
        },
        (201, 403, 403),
    ),
    ("get", "/api/v2/slas/notification_rules/{rule}.json", None, (200, 200, 403)),
    (
        "put",
        "/api/v2/slas/notification_rules/{rule}.json",
        {"notification_rule": {"title": "u"}},
        (200, 403, 403),
    ),
    ("delete", "/api/v2/slas/notification_rules/{rule}.json", None, (204, 403, 403)),
    ("get", "/api/v2/slas/objectives.json", None, (200, 200, 403)),
    (
        "post",
        "/api/v2/slas/objectives.json",
        {
            "objective": {
                "title": "t",
                "policy_id": "{policy}",
                "target_rate": 95,
                "window_days": 30,
            }
        },
        (201, 403, 403),
    ),
    ("get", "/api/v2/slas/objectives/{objective}.json", None, (200, 200, 403)),
    (
        "put",
        "/api/v2/slas/objectives/{objective}.json",
        {"objective": {"target_rate": "99.5"}},
        (200, 403, 403),
    ),
    ("delete", "/api/v2/slas/objectives/{objective}.json", None, (204, 403, 403)),
    ("get", "/api/v2/business_hours/schedules.json", None, (200, 200, 403)),
    (
        "post",
        "/api/v2/business_hours/schedules.json",
        {"schedule": {"name": "n", "time_zone": "UTC"}},
        (201, 403, 403),
    ),
    ("get", "/api/v2/business_hours/schedules/{schedule}.json", None, (200, 200, 403)),
    ("get", "/api/v2/business_hours/schedules/{schedule}/holidays.json", None, (200, 200, 403)),
    (
        "put",
        "/api/v2/business_hours/schedules/{schedule}.json",
        {"schedule": {"name": "Renamed"}},
        (200, 403, 403),
    ),
    (
        "post",
        "/api/v2/business_hours/schedules/{schedule}/holidays.json",
        {"holiday": {"name": "Day off", "start_date": NEW_YEAR, "end_date": NEW_YEAR}},
        (201, 403, 403),
    ),
    (
        "get",
        "/api/v2/business_hours/schedules/{schedule}/holidays/{holiday}.json",
        None,
        (200, 200, 403),
    ),
    (
        "put",
        "/api/v2/business_hours/schedules/{schedule}/holidays/{holiday}.json",
        {"holiday": {"name": "Renamed"}},
        (200, 403, 403),
    ),
    (
        "delete",
        "/api/v2/business_hours/schedules/{schedule}/holidays/{holiday}.json",
        None,
        (204, 403, 403),
    ),
    ("get", "/api/v2/slas/recomputes/{recompute}.json", None, (200, 200, 403)),
    ("get", "/api/v2/slas/history_rewrites.json", None, (200, 403, 403)),
    ("get", "/api/v2/custom_statuses.json", None, (200, 200, 200)),
    (
        "post",
        "/api/v2/custom_statuses.json",
        {"custom_status": {"status_category": "hold", "agent_label": "Vendor"}},
        (201, 403, 403),
    ),
    ("get", "/api/v2/custom_statuses/{custom_status}.json", None, (200, 200, 200)),
    (
        "put",
        "/api/v2/custom_statuses/{custom_status}.json",
        {"custom_status": {"agent_label": "Renamed"}},
        (200, 403, 403),
    ),
    ("put", "/api/v2/custom_status/default.json", {"ids": ""}, (422, 403, 403)),
    ("get", "/api/v2/slas/history_rewrites/{history_rewrite}.json", None, (200, 403, 403)),
    (
        "post",
        "/api/v2/slas/history_rewrites/preview.json",
        {"history_rewrite": {"since": "2026-01-01T00:00:00Z"}},
        (200, 403, 403),
    ),
    (
        "post",
        "/api/v2/slas/history_rewrites.json",
        {"history_rewrite": {"since": "2026-01-01T00:00:00Z", "reason": "Wrong target"}},
        (201, 403, 403),
    ),
    ("get", "/api/v2/slas/reports.json", None, (200, 200, 403)),
    (
        "put",
        "/api/v2/business_hours/schedules/{schedule}/workweek.json",
        {"workweek": {"intervals": [{"start_time": 1980, "end_time": 2460}]}},
        (200, 403, 403),
    ),
    ("delete", "/api/v2/business_hours/schedules/{schedule}.json", None, (204, 403, 403)),
    ("get", "/api/v2/tickets/{mine}/audits.json", None, (200, 200, 403)),
    ("get", "/api/v2/tickets/{mine}/audits/{audit}.json", None, (200, 200, 403)),
    ("get", "/api/v2/tickets/{mine}/metrics.json", None, (200, 200, 403)),
    ("get", "/api/v2/ticket_metrics.json", None, (200, 200, 403)),
    ("get", "/api/v2/ticket_metrics/{mine}.json", None, (200, 200, 403)),
    ("get", "/api/v2/oauth/tokens.json", None, (200, 200, 403)),
    ("post", "/api/v2/oauth/tokens.json", {"token": {"scopes": ["read"]}}, (201, 403, 403)),
    ("get", "/api/v2/oauth/tokens/{oauth_token}.json", None, (200, 404, 403)),
    ("get", "/api/v2/oauth/tokens/current.json", None, (404, 404, 403)),
    ("delete", "/api/v2/oauth/tokens/{oauth_token}.json", None, (204, 404, 403)),
    ("get", "/api/v2/users/show_many.json?ids={customer}", None, (200, 200, 403)),
    ("get", "/api/v2/users/search.json?query=customer", None, (200, 200, 403)),
    (
        "post",
        "/api/v2/users/create_or_update.json",
        {"user": {"name": "N", "email": "n@example.com"}},
        (201, 403, 403),
    ),
    ("delete", "/api/v2/users/{other}.json", None, (200, 403, 403)),
    (
        "post",
        "/api/v2/tickets/create_many.json",
        {"tickets": [{"subject": "s", "comment": {"body": "b"}}]},
        (200, 200, 403),
    ),
    (
        "put",
        "/api/v2/tickets/update_many.json",
        {"tickets": [{"id": "{mine}", "status": "open"}]},
        (200, 200, 403),
    ),
    (
        "put",
        "/api/v2/tickets/update_many.json?ids={mine},{theirs}",
        {"ticket": {"status": "open"}},
        (200, 200, 403),
    ),
    ("get", "/api/v2/job_statuses.json", None, (200, 200, 403)),
    ("get", "/api/v2/job_statuses/show_many.json?ids=0123abcd", None, (200, 200, 403)),
    ("get", "/api/v2/job_statuses/0123abcd.json", None, (404, 404, 403)),
    (
        "post",
        "/api/v2/imports/tickets/create_many.json",
        {
            "tickets": [
                {
                    "subject": "old",
                    "requester_id": "{customer}",
                    "created_at": "2024-01-02T09:00:00Z",
                    "comments": [{"author_id": "{customer}", "value": "hi"}],
                }
            ]
        },
        (200, 403, 403),
    ),
    ("get", "/api/v2/ticket_fields.json", None, (200, 200, 403)),
    (
        "post",
        "/api/v2/ticket_fields.json",
        {"ticket_field": {"type": "text", "title": "Age"}},
        (201, 403, 403),
    ),
    ("get", "/api/v2/ticket_fields/{field}.json", None, (200, 200, 403)),
    (
        "put",
        "/api/v2/ticket_fields/{field}.json",
        {"ticket_field": {"title": "T"}},
        (200, 403, 403),
    ),
    ("delete", "/api/v2/ticket_fields/{field}.json", None, (204, 403, 403)),
    ("get", "/api/v2/ticket_fields/{field}/options.json", None, (200, 200, 403)),
    (
        "post",
        "/api/v2/ticket_fields/{field}/options.json",
        {"custom_field_option": {"name": "Silver", "value": "silver"}},
        (201, 403, 403),
    ),
    ("get", "/api/v2/ticket_fields/{field}/options/{option}.json", None, (200, 200, 403)),
    ("delete", "/api/v2/ticket_fields/{field}/options/{option}.json", None, (204, 403, 403)),
    ("get", "/api/v2/groups.json", None, (200, 200, 403)),
    ("post", "/api/v2/groups.json", {"group": {"name": "New team"}}, (201, 403, 403)),
    ("get", "/api/v2/groups/{group}.json", None, (200, 200, 403)),
    ("put", "/api/v2/groups/{group}.json", {"group": {"name": "Renamed"}}, (200, 403, 403)),
    ("delete", "/api/v2/groups/{group}.json", None, (204, 403, 403)),
    ("get", "/api/v2/organizations.json", None, (200, 200, 403)),
    ("post", "/api/v2/organizations.json", {"organization": {"name": "New"}}, (201, 403, 403)),
    ("get", "/api/v2/organizations/{organization}.json", None, (200, 200, 403)),
    (
        "put",
        "/api/v2/organizations/{organization}.json",
        {"organization": {"name": "Renamed"}},
        (200, 403, 403),
    ),
    ("delete", "/api/v2/organizations/{organization}.json", None, (204, 403, 403)),
    ("get", "/api/v2/brands.json", None, (200, 200, 403)),
    (
        "post",
        "/api/v2/brands.json",
        {"brand": {"name": "New", "subdomain": "new"}},
        (201, 403, 403),
    ),
    ("get", "/api/v2/brands/{brand}.json", None, (200, 200, 403)),
    ("put", "/api/v2/brands/{brand}.json", {"brand": {"active": False}}, (200, 403, 403)),
    ("delete", "/api/v2/brands/{brand}.json", None, (204, 403, 403)),
    (
        "post",
        "/api/v2/imports/tickets.json",
        {
            "ticket": {
                "subject": "old",
                "requester_id": "{customer}",
                "created_at": "2024-01-02T09:00:00Z",
                "comments": [
                    {"author_id": "{customer}", "value": "hi", "created_at": "2024-01-02T09:00:00Z"}
                ],
            }
        },
        (201, 403, 403),
    ),
]


def fill(value: object, names: dict[str, int]) -> object:
    """Put ids into a body's "{name}" placeholders, as integers."""
    if isinstance(value, dict):
        return {key: fill(item, names) for key, item in value.items()}
    if isinstance(value, list):
        return [fill(item, names) for item in value]
    if isinstance(value, str) and value.startswith("{") and value.strip("{}") in names:
        return names[value.strip("{}")]
    return value


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize(("method", "path", "body", "expected"), ENDPOINTS)
def test_permission_matrix(
    client_for: Callable[[str], APIClient],
    role: str,
    method: str,
    path: str,
    body: dict | None,
    expected: tuple[int, int, int],
    admin_user,
    agent_user,
    end_user,
) -> None:
    policy = make_policy("p")
    client = client_for(role)
    me = {"admin": admin_user, "agent": agent_user, "end-user": end_user}.get(role, end_user)
    other = admin_user if role == "end-user" else end_user
    now = datetime.now(UTC)
    mine = TicketFactory(requester=end_user, subject="mine", priority=None, now=now)
    stranger = UserFactory(role="end-user", email="stranger@example.com")
    theirs = TicketFactory(requester=stranger, subject="theirs", priority=None, now=now)
    schedule = policy_services.schedule_create(name="Hours", time_zone="UTC")
    rule_input = NotificationRuleInputSerializer(
        data={"title": "r", "trigger": "breach", "channel": "email", "recipients": ["assignee"]}
    )
    assert rule_input.is_valid(), rule_input.errors
    rule = notification_rules.notification_rule_create(data=rule_input.validated_data, now=now)
    objective = objective_create(
        data={
            "title": "o",
            "policy_id": policy.pk,
            "metric": "",
            "priority": "",
            "target_rate": Decimal("95"),
            "window_days": 30,
        },
        now=now,
    )
    field = account_services.ticket_field_create(
        title="Plan", type="tagger", custom_field_options=[{"name": "Gold", "value": "gold"}]
    )
    names = {
        "policy": policy.pk,
        "me": me.pk,
        "other": other.pk,
        "mine": mine.pk,
        "theirs": theirs.pk,
        "schedule": schedule.pk,
        "customer": end_user.pk,
        "rule": rule.pk,
        "objective": objective.pk,
        "audit": mine.audits.order_by("id").values_list("id", flat=True)[0],
        "oauth_token": services.oauth_token_create(user=admin_user, scopes=["read"])[0].pk,
        "field": field.pk,
        "holiday": policy_services.holiday_create(
            schedule_id=schedule.pk,
            name="New year",
            start_date=date.fromisoformat(NEW_YEAR),
            end_date=date.fromisoformat(NEW_YEAR),
        ).pk,
        "recompute": SlaRecompute.objects.order_by("-id").values_list("id", flat=True)[0],
        "custom_status": custom_status_default("hold").pk,
        "history_rewrite": history_rewrite_apply(
            since=now - timedelta(days=1), now=now, actor_id=admin_user.pk, reason="Wrong target"
        ).pk,
        "option": field.options.get().pk,
        "group": account_services.group_create(name="Team").pk,
        "organization": account_services.organization_create(name="Customer").pk,
        "brand": account_services.brand_create(name="Brand", subdomain="brand").pk,
    }
    names["group_policy"] = policy_services.group_sla_policy_create(
        title="g",
        description=None,
        filter={"all": [{"field": "group_id", "operator": "includes", "value": [names["group"]]}]},
        policy_metrics=[],
    ).pk
    url = path.format(**names)
    response = getattr(client, method)(url, fill(body, names), format="json")
    if role in ("anonymous", "bad-token"):
        assert response.status_code == 401
        assert response.json() == {"error": "Couldn't authenticate you"}
        assert response["WWW-Authenticate"] == 'Basic realm="slaweb"'
        return
    status = dict(zip(["admin", "agent", "end-user"], expected, strict=True))[role]
    assert response.status_code == status, response.content
    if status == 403:
        error = response.json()["error"]
        assert error["title"] == "Forbidden"
        assert error["message"]


def _shape(path: str) -> str:
    """A path with its parameters blanked: `/api/v2/tickets/{mine}.json?x` -> `/tickets/{}`."""
    bare = path.split("?")[0].removesuffix(".json").removeprefix("/api/v2")
    parts = [
        "{}" if re.fullmatch(r"\{\w+\}|[0-9a-f]{8,}", part) else part for part in bare.split("/")
    ]
    return "/".join(parts)


def test_the_matrix_covers_every_operation(anonymous_client: APIClient) -> None:
    """Every operation the API documents is in the matrix above, so none escapes the check."""
    schema = anonymous_client.get("/api/schema/?format=json").json()
    documented = {
        (method, _shape(path))
        for path, operations in schema["paths"].items()
        for method in operations
        if method in ("get", "post", "put", "delete") and path.startswith("/api/v2/")
    }
    covered = {(method, _shape(path)) for method, path, _, _ in ENDPOINTS}
    assert documented - covered == set()

"""`/api/v2/slas/notification_rules`: Zendesk's JSON style, validation as 422 RecordInvalid,
agents read and admins write, and the admin pages accept and refuse the same rules."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from django.test import Client
from rest_framework.test import APIClient

from policies.models import Policy
from tests.factories import GroupFactory, TicketFactory, make_policy
from tickets.models import NotificationRule, SlaNotification, User

pytestmark = pytest.mark.django_db

LIST = "/api/v2/slas/notification_rules.json"


def detail(rule_id: int) -> str:
    return f"/api/v2/slas/notification_rules/{rule_id}.json"


WEBHOOK = {
    "title": "Warn the on-call bot",
    "trigger": "warning_before",
    "lead_seconds": 900,
    "channel": "webhook",
    "webhook_url": "https://hooks.example.com/sla",
    "webhook_secret": "shh",
}


def create(client: APIClient, **fields: Any) -> dict[str, Any]:
    response = client.post(LIST, {"notification_rule": {**WEBHOOK, **fields}}, format="json")
    assert response.status_code == 201, response.content
    return response.json()["notification_rule"]


def test_create_show_list_update_delete(admin_client: APIClient, agent_client: APIClient) -> None:
    policy = make_policy("Gold")
    response = admin_client.post(
        LIST,
        {"notification_rule": {**WEBHOOK, "policy_id": policy.pk, "priority": "urgent"}},
        format="json",
    )
    assert response.status_code == 201
    rule = response.json()["notification_rule"]
    assert response["Location"] == f"http://testserver{detail(rule['id'])}"
    assert rule == {
        "url": f"http://testserver{detail(rule['id'])}",
        "id": rule["id"],
        "title": "Warn the on-call bot",
        "active": True,
        "trigger": "warning_before",
        "lead_seconds": 900,
        "percent": None,
        "policy_id": policy.pk,
        "metric": None,
        "group_policy_id": None,
        "group_id": None,
        "priority": "urgent",
        "channel": "webhook",
        "webhook_url": "https://hooks.example.com/sla",
        "has_webhook_secret": True,
        "recipients": [],
        "email_addresses": [],
        "hold_for_business_hours": False,
        "combine_warnings": False,
        "set_priority": None,
        "set_group_id": None,
        "add_tag": None,
        "objective_id": None,
        "burn_rate": None,
        "created_at": rule["created_at"],
        "updated_at": rule["updated_at"],
    }
    assert "shh" not in response.content.decode()
    assert NotificationRule.objects.get().webhook_secret == "shh"

    shown = agent_client.get(detail(rule["id"]))
    assert shown.status_code == 200
    assert shown.json() == {"notification_rule": rule}
    listed = agent_client.get(LIST).json()
    assert listed["count"] == 1
    assert listed["notification_rules"] == [rule]

    # Partial update; switching to email drops the webhook fields.
    updated = admin_client.put(
        detail(rule["id"]),
        {
            "notification_rule": {
                "channel": "email",
                "recipients": ["assignee", "group"],
                "email_addresses": ["Boss@Example.com"],
                "trigger": "warning_percent",
                "percent": 80,
            }
        },
        format="json",
    )
    assert updated.status_code == 200, updated.content
    body = updated.json()["notification_rule"]
    assert body["channel"] == "email"
    assert body["recipients"] == ["assignee", "group"]
    assert body["email_addresses"] == ["boss@example.com"]
    assert (body["trigger"], body["percent"], body["lead_seconds"]) == ("warning_percent", 80, None)
    assert (body["webhook_url"], body["has_webhook_secret"]) == (None, False)
    assert body["title"] == "Warn the on-call bot"

    assert admin_client.delete(detail(rule["id"])).status_code == 204
    assert admin_client.get(detail(rule["id"])).status_code == 404
    assert not NotificationRule.objects.exists()


def test_updating_keeps_the_secret_unless_sent(admin_client: APIClient) -> None:
    rule = create(admin_client)
    response = admin_client.put(
        detail(rule["id"]), {"notification_rule": {"title": "Renamed"}}, format="json"
    )
    assert response.status_code == 200
    assert NotificationRule.objects.get().webhook_secret == "shh"
    admin_client.put(
        detail(rule["id"]), {"notification_rule": {"webhook_secret": "new"}}, format="json"
    )
    assert NotificationRule.objects.get().webhook_secret == "new"


@pytest.mark.parametrize(
    ("fields", "field", "problem"),
    [
        ({"title": ""}, "title", "BlankValue"),
        ({"trigger": "sometimes"}, "trigger", "not a valid choice"),
        ({"lead_seconds": None}, "lead_seconds", "is required for a warning_before rule"),
        ({"lead_seconds": 0}, "lead_seconds", "greater than or equal to 1"),
        ({"trigger": "warning_percent", "lead_seconds": None}, "percent", "is required"),
        ({"trigger": "warning_percent", "percent": 100, "lead_seconds": None}, "percent", "99"),
        ({"trigger": "breach"}, "lead_seconds", "applies only to warning_before rules"),
        ({"policy_id": 999999}, "policy_id", "there is no SLA policy 999999"),
        ({"metric": "speed"}, "metric", "not a valid choice"),
        ({"priority": "whenever"}, "priority", "not a valid choice"),
        ({"webhook_url": ""}, "webhook_url", "is required for a webhook rule"),
        ({"webhook_url": "gopher://example.com"}, "webhook_url", "http or https"),
        ({"webhook_url": "http://192.168.1.5/hook"}, "webhook_url", "private address"),
        ({"webhook_secret": ""}, "webhook_secret", "is required for a webhook rule"),
        ({"channel": "email"}, "recipients", "needs recipients"),
        ({"channel": "email", "recipients": ["boss"]}, "recipients", "not a valid choice"),
        ({"channel": "email", "email_addresses": ["nope"]}, "email_addresses", "valid email"),
        ({"active": "yes"}, "active", "InvalidValue"),
        ({"set_priority": "urgent"}, "set_priority", "only to breach rules"),
        (
            {"trigger": "breach", "lead_seconds": None, "set_group_id": 99999},
            "set_group_id",
            "no group",
        ),
        ({"trigger": "breach", "lead_seconds": None, "add_tag": "a b"}, "add_tag", "one word"),
    ],
)
def test_validation_errors_are_422_record_invalid(
    admin_client: APIClient, fields: dict[str, Any], field: str, problem: str
) -> None:
    response = admin_client.post(LIST, {"notification_rule": {**WEBHOOK, **fields}}, format="json")
    assert response.status_code == 422, response.content
    body = response.json()
    assert body["error"] == "RecordInvalid"
    assert body["description"] == "Record validation errors"
    assert field in body["details"], body
    assert problem in str(body["details"][field])
    assert not NotificationRule.objects.exists()


def test_missing_root_key_and_unknown_rule(admin_client: APIClient) -> None:
    response = admin_client.post(LIST, {"rule": WEBHOOK}, format="json")
    assert response.status_code == 400
    assert response.json()["error"] == "InvalidRequest"
    response = admin_client.put(detail(424242), {"notification_rule": {}}, format="json")
    assert response.status_code == 404
    assert response.json() == {"error": "RecordNotFound", "description": "Not found"}


def test_a_new_rule_is_scheduled_for_open_tickets(admin_client: APIClient, end_user: User) -> None:
    make_policy(
        "All",
        filter={"all": [], "any": []},
        metrics=[
            {
                "priority": "normal",
                "metric": "first_reply_time",
                "target_seconds": 3600,
                "business_hours": False,
            }
        ],
    )
    now = datetime.now(UTC)
    ticket = TicketFactory(requester=end_user, now=now)
    rule = create(admin_client, trigger="breach", lead_seconds=None)
    [row] = SlaNotification.objects.filter(ticket=ticket)
    assert (row.rule_id, row.kind, row.status) == (rule["id"], "breach", "scheduled")
    admin_client.put(detail(rule["id"]), {"notification_rule": {"active": False}}, format="json")
    assert SlaNotification.objects.get().status == "cancelled"


def test_list_query_count_does_not_grow(
    admin_client: APIClient, django_assert_num_queries: Any
) -> None:
    create(admin_client)
    policy: Policy = make_policy("P")
    for n in range(5):
        create(admin_client, title=f"r{n}", policy_id=policy.pk)
    # Authentication and rate limit, count, page.
    with django_assert_num_queries(4):
        admin_client.get(LIST)
    for n in range(5):
        create(admin_client, title=f"more{n}")
    with django_assert_num_queries(4):
        response = admin_client.get(LIST)
    assert response.json()["count"] == 11


# Admin pages ---------------------------------------------------------------------------------


@pytest.fixture
def admin_browser(admin_user: User) -> Client:
    client = Client()
    client.force_login(admin_user)
    return client


def form(**fields: Any) -> dict[str, Any]:
    return {
        "title": "Page rule",
        "active": "on",
        "trigger": "breach",
        "lead_seconds": "",
        "percent": "",
        "policy": "",
        "metric": "",
        "priority": "",
        "channel": "email",
        "webhook_url": "",
        "new_webhook_secret": "",
        "recipients": ["assignee"],
        "email_addresses_text": "a@example.com, b@example.com",
        "set_priority": "",
        "set_group": "",
        "add_tag": "",
        **fields,
    }


def test_admin_creates_and_edits_through_the_service(admin_browser: Client) -> None:
    response = admin_browser.post("/admin/tickets/notificationrule/add/", form())
    assert response.status_code == 302, response.content.decode()[:3000]
    rule = NotificationRule.objects.get()
    assert (rule.channel, rule.email_assignee, rule.email_group) == ("email", True, False)
    assert rule.email_addresses == ["a@example.com", "b@example.com"]
    assert rule.created_at is not None

    page = admin_browser.get(f"/admin/tickets/notificationrule/{rule.pk}/change/")
    assert page.status_code == 200
    response = admin_browser.post(
        f"/admin/tickets/notificationrule/{rule.pk}/change/",
        form(
            channel="webhook",
            webhook_url="https://hooks.example.com/x",
            new_webhook_secret="k",
            trigger="warning_percent",
            percent="75",
        ),
    )
    assert response.status_code == 302
    rule.refresh_from_db()
    assert (rule.channel, rule.webhook_secret, rule.percent) == ("webhook", "k", 75)
    assert rule.email_addresses == []

    group = GroupFactory(name="Escalations")
    response = admin_browser.post(
        f"/admin/tickets/notificationrule/{rule.pk}/change/",
        form(set_priority="urgent", set_group=str(group.pk), add_tag="Breached"),
    )
    assert response.status_code == 302
    rule.refresh_from_db()
    assert (rule.set_priority, rule.set_group_id, rule.add_tag) == ("urgent", group.pk, "breached")


def test_admin_shows_the_api_errors(admin_browser: Client) -> None:
    response = admin_browser.post(
        "/admin/tickets/notificationrule/add/",
        form(channel="webhook", webhook_url="http://10.0.0.1/", trigger="warning_before"),
    )
    assert response.status_code == 200
    assert "private address" in response.content.decode()
    # Field by field first, then the rule as a whole.
    response = admin_browser.post(
        "/admin/tickets/notificationrule/add/",
        form(channel="webhook", webhook_url="https://hooks.example.com/", trigger="warning_before"),
    )
    assert response.status_code == 200
    text = response.content.decode()
    assert "Enter how long before the breach to warn." in text
    assert "Enter the secret the webhook is signed with." in text
    assert not NotificationRule.objects.exists()


def test_delivery_log_is_read_only_and_filters(admin_browser: Client, agent_user: User) -> None:
    page = admin_browser.get("/admin/tickets/slanotification/?status__exact=failed")
    assert page.status_code == 200
    assert admin_browser.get("/admin/tickets/slanotification/add/").status_code == 403
    agent = Client()
    agent.force_login(agent_user)
    assert agent.get("/admin/tickets/slanotification/").status_code == 200
    assert agent.get("/admin/tickets/notificationrule/").status_code == 200
    assert agent.get("/admin/tickets/notificationrule/add/").status_code == 403


# The OpenAPI schema ----------------------------------------------------------------------------


def test_real_responses_match_the_schema(admin_client: APIClient, agent_client: APIClient) -> None:
    from tests.test_schema import assert_matches_schema

    schema = APIClient().get("/api/schema/?format=json").json()
    assert {"/api/v2/slas/notification_rules", "/api/v2/slas/notification_rules/{rule_id}"} <= set(
        schema["paths"]
    )
    created = admin_client.post(LIST, {"notification_rule": WEBHOOK}, format="json")
    assert_matches_schema(schema, "post", LIST, created)
    url = detail(created.json()["notification_rule"]["id"])
    calls = [
        (admin_client, "get", LIST, None),
        (admin_client, "get", url, None),
        (admin_client, "put", url, {"notification_rule": {"title": "u"}}),
        (admin_client, "put", url, {"notification_rule": {"title": ""}}),
        (admin_client, "post", LIST, {"notification_rule": {}}),
        (agent_client, "post", LIST, {"notification_rule": WEBHOOK}),
        (admin_client, "get", detail(999999), None),
        (admin_client, "delete", url, None),
    ]
    for client, method, path, body in calls:
        response = getattr(client, method)(path, body, format="json")
        assert_matches_schema(schema, method, path, response)

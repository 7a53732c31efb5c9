"""The admin's editing forms say each problem once, in words, next to its field."""

from __future__ import annotations

import html
import json
import re
from typing import Any

import pytest
from django.test import Client

from policies.models import Policy
from tests.factories import make_policy
from tickets.models import NotificationRule, User

pytestmark = pytest.mark.django_db
ERRORS_RE = re.compile(r'<ul class="errorlist"[^>]*id="id_(\w+)_error"[^>]*>(.*?)</ul>', re.S)


@pytest.fixture
def admin_browser(admin_user: User) -> Client:
    client = Client()
    client.force_login(admin_user)
    return client


def field_errors(content: bytes) -> dict[str, list[str]]:
    """Each field's messages as the page shows them."""
    return {
        name: [html.unescape(m) for m in re.findall(r"<li>(.*?)</li>", body)]
        for name, body in ERRORS_RE.findall(content.decode())
    }


# Policies -------------------------------------------------------------------------------------


def policy_form(**overrides: Any) -> dict[str, Any]:
    return {
        "title": "Urgent incidents",
        "description": "",
        "filter": json.dumps({"all": [], "any": []}),
        "policy_metrics": json.dumps(
            [{"priority": "urgent", "metric": "first_reply_time", "target_in_seconds": 600}]
        ),
        "metric_settings": "{}",
        **overrides,
    }


def test_a_blank_policy_title_gets_one_message(admin_browser: Client) -> None:
    response = admin_browser.post("/admin/policies/policy/add/", policy_form(title=""))
    assert response.status_code == 200
    assert field_errors(response.content)["title"] == ["This field is required."]
    assert not Policy.objects.exists()


def test_with_two_catch_alls_a_new_policy_goes_before_the_first(admin_browser: Client) -> None:
    """A catch-all cloned to the end leaves an earlier one in force: after it nothing can
    match, so the place offered is before the earlier one."""
    make_policy("Incidents", filter={"all": [{"field": "type", "operator": "is", "value": "2"}]})
    make_policy("Everything else", filter={"all": [], "any": []})
    make_policy("KB", filter={"all": [{"field": "type", "operator": "is", "value": "1"}]})
    make_policy("Everything else (copy)", filter={"all": [], "any": []})
    page = admin_browser.get("/admin/policies/policy/add/").content.decode()
    selected = re.search(r'<option value="(\d+)" selected>([^<]*)</option>', page)
    assert selected is not None
    assert (selected[1], html.unescape(selected[2])) == (
        "2",
        "before “Everything else” (catch-all)",
    )
    assert "before “Everything else (copy)” (catch-all)" in html.unescape(page)


def test_a_new_policy_is_offered_the_place_before_the_catch_all(admin_browser: Client) -> None:
    make_policy("Incidents", filter={"all": [{"field": "type", "operator": "is", "value": "2"}]})
    make_policy("Everything else", filter={"all": [], "any": []})
    page = admin_browser.get("/admin/policies/policy/add/").content.decode()
    selected = re.search(r'<option value="(\d+)" selected>([^<]*)</option>', page)
    assert selected is not None
    label = html.unescape(selected[2])
    assert (selected[1], label) == ("2", "before “Everything else” (catch-all)")
    # Position sits with the title, not in the collapsed section.
    assert 'name="position"' in page.split("collapse")[0]

    response = admin_browser.post("/admin/policies/policy/add/", policy_form(position="2"))
    assert response.status_code == 302, response.content.decode()[:2000]
    assert list(Policy.objects.order_by("position").values_list("title", flat=True)) == [
        "Incidents",
        "Urgent incidents",
        "Everything else",
    ]


def test_without_a_catch_all_a_new_policy_goes_last(admin_browser: Client) -> None:
    make_policy("Incidents", filter={"all": [{"field": "type", "operator": "is", "value": "2"}]})
    page = admin_browser.get("/admin/policies/policy/add/").content.decode()
    selected = re.search(r'<option value="(\d+)" selected>([^<]*)</option>', page)
    assert selected is not None
    assert (selected[1], html.unescape(selected[2])) == ("2", "Last, after “Incidents”")


def test_the_delete_confirmation_lists_conditions_and_targets_in_words(
    admin_browser: Client,
) -> None:
    policy = make_policy(
        "Incidents",
        filter={"all": [{"field": "ticket_type_id", "operator": "is", "value": "2"}]},
        metrics=[
            {
                "priority": "low",
                "metric": "first_reply_time",
                "target_seconds": 3600,
                "business_hours": False,
            }
        ],
    )
    page = admin_browser.get(f"/admin/policies/policy/{policy.pk}/delete/").content.decode()
    text = html.unescape(page)
    assert "Condition: Type is Incident" in text
    assert "Target: Low priority, First reply time within 1 hour (calendar hours)" in text
    assert "first_reply_time 3600s" not in text
    assert "Policy metric" not in text


def test_agents_read_a_summary_without_inputs(agent_user: User) -> None:
    policy = make_policy(
        "Incidents",
        metrics=[
            {
                "priority": "urgent",
                "metric": "first_reply_time",
                "target_seconds": 600,
                "business_hours": True,
            }
        ],
    )
    client = Client()
    client.force_login(agent_user)
    page = client.get(f"/admin/policies/policy/{policy.pk}/change/").content.decode()
    assert "First reply time: <strong>10 minutes</strong>" in page
    assert 'data-unit="minutes"' not in page


# Notification rules ----------------------------------------------------------------------------


def rule_form(**fields: Any) -> dict[str, Any]:
    return {
        "title": "Page rule",
        "active": "on",
        "trigger": "warning_before",
        "lead_amount": "",
        "lead_unit": "minutes",
        "percent": "",
        "policy": "",
        "metric": "",
        "priority": "",
        "channel": "email",
        "webhook_url": "",
        "new_webhook_secret": "",
        "recipients": ["assignee"],
        "email_addresses_text": "",
        "set_priority": "",
        "set_group": "",
        "add_tag": "",
        **fields,
    }


def test_a_blank_trigger_and_channel_get_one_message_each(admin_browser: Client) -> None:
    response = admin_browser.post(
        "/admin/tickets/notificationrule/add/", rule_form(trigger="", channel="", title="")
    )
    errors = field_errors(response.content)
    assert errors["trigger"] == ["Choose when the rule notifies."]
    assert errors["channel"] == ["Choose how to notify: by webhook or by email."]
    assert errors["title"] == ["Give the rule a name."]
    assert "is not a valid choice" not in response.content.decode()
    assert not NotificationRule.objects.exists()


def test_the_lead_time_is_asked_in_words_and_in_minutes_or_hours(admin_browser: Client) -> None:
    response = admin_browser.post(
        "/admin/tickets/notificationrule/add/",
        rule_form(channel="webhook", webhook_url="https://hooks.example.com/"),
    )
    errors = field_errors(response.content)
    assert errors["lead_amount"] == ["Enter how long before the breach to warn."]
    assert errors["new_webhook_secret"] == ["Enter the secret the webhook is signed with."]

    response = admin_browser.post(
        "/admin/tickets/notificationrule/add/", rule_form(lead_amount="9000", lead_unit="hours")
    )
    errors = field_errors(response.content)
    assert errors["lead_amount"] == ["A lead time can be at most 8,784 hours (366 days)."]

    response = admin_browser.post(
        "/admin/tickets/notificationrule/add/", rule_form(lead_amount="2", lead_unit="hours")
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    rule = NotificationRule.objects.get()
    assert rule.lead_seconds == 7200
    listing = admin_browser.get("/admin/tickets/notificationrule/").content.decode()
    assert "2 hours before breach" in listing
    page = admin_browser.get(f"/admin/tickets/notificationrule/{rule.pk}/change/").content
    assert re.search(rb'name="lead_amount" value="2"', page)
    assert re.search(rb'<option value="hours" selected>', page)

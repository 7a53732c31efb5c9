"""Group SLAs in a real browser: a notification rule about a group's ownership time made on its
form (the group fields show for that metric only, the SLA policy field for the others), and the
backtest page's draft group SLA policies (reset to the live ones, bad JSON stopped in words, a
run showing the group ownership table)."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from policies import services as policy_services
from policies.models import GroupSlaPolicy
from tests.factories import GroupFactory, TicketFactory
from tickets.models import Group, NotificationRule, User


@pytest.fixture
def tier2(transactional_db: None) -> tuple[Group, GroupSlaPolicy]:
    group = GroupFactory(name="Tier 2")
    policy = policy_services.group_sla_policy_create(
        title="Tier 2 holds",
        description=None,
        filter={"all": [{"field": "group_id", "operator": "includes", "value": [group.pk]}]},
        policy_metrics=[{"priority": "normal", "target_seconds": 7200, "business_hours": False}],
        now=timezone.now() - timedelta(days=10),
    )
    return group, policy


def test_a_rule_about_a_groups_ownership_is_made_on_the_form(
    page: Any, make_user: Callable[..., User], sign_in: Any, tier2: tuple[Group, GroupSlaPolicy]
) -> None:
    group, policy = tier2
    sign_in(make_user("admin"))
    page.goto("/admin/tickets/notificationrule/add/")
    page.get_by_label("Title:").fill("Tier 2 OLA breached")
    page.get_by_label("Trigger:").select_option("breach")
    page.get_by_label("Channel:").select_option("email")
    expect(page.get_by_label("Policy:", exact=True)).to_be_visible()
    expect(page.get_by_label("Group SLA policy:")).to_be_hidden()
    page.get_by_label("Metric:").select_option(label="Group ownership time")
    expect(page.get_by_label("Policy:", exact=True)).to_be_hidden()
    page.get_by_label("Group SLA policy:").select_option(label="Tier 2 holds")
    page.get_by_label("Holding group:").select_option(label="Tier 2")
    page.get_by_label("The agents of its group").check()
    page.get_by_role("button", name="Save", exact=True).click()
    expect(page.locator(".messagelist")).to_contain_text("was added successfully")
    rule = NotificationRule.objects.get()
    assert (rule.metric, rule.group_policy_id, rule.group_id, rule.policy_id) == (
        "group_ownership_time",
        policy.pk,
        group.pk,
        None,
    )
    expect(page.locator("#result_list")).to_contain_text(
        "Group ownership time, Tier 2 holds, Tier 2, any priority"
    )
    assert not page.console_errors


def test_the_backtest_page_runs_draft_group_policies(
    page: Any, make_user: Callable[..., User], sign_in: Any, tier2: tuple[Group, GroupSlaPolicy]
) -> None:
    group, policy = tier2
    TicketFactory(now=timezone.now() - timedelta(days=1), group=group)
    sign_in(make_user("admin"))
    page.goto("/admin/reports/backtest/")
    area = page.get_by_label(
        "Draft group SLA policies (JSON list, in the Group SLA Policies API's shape)"
    )
    [live] = json.loads(area.input_value())
    assert (live["id"], live["title"]) == (policy.pk, "Tier 2 holds")

    area.fill("[{")
    page.get_by_role("button", name="Run backtest").click()
    errors = page.locator("#backtest-group-policies-errors")
    expect(errors).to_contain_text("The draft group SLA policies are not valid JSON")
    expect(area).to_have_attribute("aria-invalid", "true")

    page.get_by_role("button", name="Reset to live policies").click()
    assert json.loads(area.input_value())[0]["id"] == policy.pk
    shorter = {**live, "policy_metrics": [{**live["policy_metrics"][0], "target": 600}]}
    area.fill(json.dumps([shorter]))
    page.get_by_role("button", name="Run backtest").click()
    table = page.locator("#backtest-group-table")
    expect(table).to_be_visible()
    # Tier 2 has held the ticket for a day: past 2 hours live and past 10 minutes in the draft.
    total = table.locator("tfoot tr")
    expect(total.locator("[data-figure=live-breached]")).to_have_text("1")
    expect(total.locator("[data-figure=draft-breached]")).to_have_text("1")
    assert not page.console_errors

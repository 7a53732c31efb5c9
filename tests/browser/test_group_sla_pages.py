"""The group SLA policy pages in a real browser: an admin promises "Tier 2 holds escalations at
most 4 business hours" with the condition builder and target grid and finds it in the list; the
list and the editor fit 1366 and 390 px; the Up button reorders; an agent reads a summary."""

from __future__ import annotations

import re
from typing import Any

from playwright.sync_api import expect

from policies import services
from policies.models import GroupSlaPolicy
from tests.browser.screens import DESKTOP, PHONE, horizontal_overflow, save_screenshot
from tests.factories import GroupFactory

LIST = "/admin/policies/groupslapolicy/"


def test_an_admin_promises_tier_2_holds_escalations_for_4_business_hours(
    page: Any, make_user: Any, sign_in: Any
) -> None:
    GroupFactory(name="Tier 1")
    tier2 = GroupFactory(name="Tier 2")
    page.set_viewport_size(DESKTOP)
    sign_in(make_user("admin"))
    page.goto("/admin/")
    page.get_by_role("link", name="Group SLA policies").first.click()
    page.get_by_role("link", name=re.compile(r"^Add group SLA policy")).click()
    expect(page).to_have_url(re.compile(r"/admin/policies/groupslapolicy/add/$"))

    page.get_by_label("Title").fill("Tier 2 holds escalations")
    page.get_by_label("Urgent, Group ownership time, hours").fill("4")
    # Saved without saying which groups: refused, in words, where the conditions go.
    page.get_by_role("button", name="Save", exact=True).click()
    expect(page.locator("#policy-filter-errors")).to_have_text(
        "Add a condition naming at least one group: a group SLA policy says which groups it "
        "holds to its targets."
    )
    assert not GroupSlaPolicy.objects.exists()
    # What was typed is still there.
    expect(page.get_by_label("Urgent, Group ownership time, hours")).to_have_value("4")
    page.get_by_role("button", name="Add an “All” condition").click()
    row = page.locator('.policy-condition-list[data-group="all"] > li').first
    expect(row.get_by_label("Field")).to_have_value("group_id")
    row.get_by_label("Operator").select_option(label="Includes")
    row.get_by_label("Value").select_option(label="Tier 2")
    page.get_by_label("Urgent priority: business or calendar hours").select_option(
        label="Business hours"
    )
    save_screenshot(page, "group-sla-add-1366", full_page=True)
    page.set_viewport_size(PHONE)
    assert horizontal_overflow(page) <= 0
    save_screenshot(page, "group-sla-add-390", full_page=True)
    page.set_viewport_size(DESKTOP)
    page.get_by_role("button", name="Save", exact=True).click()

    expect(page).to_have_url(re.compile(r"/admin/policies/groupslapolicy/$"))
    listed = page.locator("#result_list tbody tr").first
    expect(listed).to_contain_text("Tier 2 holds escalations")
    expect(listed).to_contain_text("Group includes Tier 2")
    expect(listed).to_contain_text("Urgent: 4 hours (business hours)")
    policy = GroupSlaPolicy.objects.get()
    assert policy.filter == {
        "all": [{"field": "group_id", "operator": "includes", "value": [tier2.pk]}]
    }
    assert list(policy.metrics.values_list("priority", "target_seconds", "business_hours")) == [
        ("urgent", 4 * 3600, True)
    ]
    assert horizontal_overflow(page) <= 0
    save_screenshot(page, "group-sla-list-1366", full_page=True)
    page.set_viewport_size(PHONE)
    assert horizontal_overflow(page) <= 0
    save_screenshot(page, "group-sla-list-390", full_page=True)
    assert not page.console_errors


def make_group_policy(title: str, group: Any, seconds: int = 3600) -> GroupSlaPolicy:
    return services.group_sla_policy_create(
        title=title,
        description=None,
        filter={"all": [{"field": "group_id", "operator": "includes", "value": [group.pk]}]},
        policy_metrics=[{"priority": "urgent", "target_seconds": seconds, "business_hours": True}],
    )


def test_the_up_button_moves_a_policy_and_saves_the_order(
    page: Any, make_user: Any, sign_in: Any
) -> None:
    first = make_group_policy("Tier 1 first", GroupFactory(name="Tier 1"))
    second = make_group_policy("Tier 2 second", GroupFactory(name="Tier 2"))
    sign_in(make_user("admin"))
    page.goto(LIST)
    page.get_by_role("button", name="Move “Tier 2 second” up").click()
    expect(page.locator("#policy-order-status")).to_have_text("Move “Tier 2 second” to position 1?")
    expect(page.locator("#policy-order-impact")).to_contain_text("from the moment you save")
    assert list(GroupSlaPolicy.objects.values_list("pk", flat=True)) == [first.pk, second.pk]
    page.get_by_role("button", name="Save the new order").click()
    expect(page.locator("#policy-order-status")).to_have_text(
        "Moved “Tier 2 second” to position 1. Saved."
    )
    assert list(GroupSlaPolicy.objects.values_list("pk", flat=True)) == [second.pk, first.pk]
    assert not page.console_errors


def test_an_agent_reads_a_group_sla_policy_as_a_summary(
    page: Any, make_user: Any, sign_in: Any
) -> None:
    policy = make_group_policy("Tier 2 holds escalations", GroupFactory(name="Tier 2"), 4 * 3600)
    sign_in(make_user("agent"))
    page.goto(f"{LIST}{policy.pk}/change/")
    expect(page.locator(".policy-readonly-condition")).to_have_text("Group includes Tier 2")
    expect(page.locator(".policy-summary")).to_contain_text(
        "Group ownership time: 4 hours (business hours)"
    )
    expect(page.locator("#policy-editor input, #policy-editor select")).to_have_count(0)
    page.set_viewport_size(PHONE)
    assert horizontal_overflow(page) <= 0
    assert not page.console_errors

"""The group SLA policy pages in a real browser: an admin promises "Tier 2 holds escalations at
most 4 business hours" with the condition builder and target grid and finds it in the list, and
the list and the editor fit 1366 and 390 px."""

from __future__ import annotations

import re
from typing import Any

from playwright.sync_api import expect

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
    page.get_by_role("button", name="Add an “All” condition").click()
    row = page.locator('.policy-condition-list[data-group="all"] > li').first
    expect(row.get_by_label("Field")).to_have_value("group_id")
    row.get_by_label("Operator").select_option(label="Includes")
    row.get_by_label("Value").select_option(label="Tier 2")
    page.get_by_label("Urgent priority: business or calendar hours").select_option(
        label="Business hours"
    )
    page.get_by_label("Urgent, Group ownership time, hours").fill("4")
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

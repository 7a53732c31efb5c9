"""The group SLA policy pages in a real browser: an admin promises "Tier 2 holds escalations at
most 4 business hours" with the condition builder and target grid and finds it in the list; the
list and the editor fit 1366 and 390 px; the Up button reorders; the editor previews what a
draft would change on the open tickets a group holds; an agent reads a summary."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

from django.utils import timezone
from playwright.sync_api import expect

from policies import services
from policies.models import GroupSlaPolicy
from tests.browser.screens import DESKTOP, PHONE, horizontal_overflow, save_screenshot
from tests.factories import GroupFactory, TicketFactory

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
    # A save waits for the draft's impact on open tickets to have been on screen.
    expect(page.locator('#policy-impact[data-state="current"]')).to_be_visible()
    expect(page.locator("#policy-impact")).to_contain_text("Saving changes none of the 0 open")
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
    expect(page.locator("#policy-order-impact")).to_contain_text(
        "Moves no open ticket to another group SLA policy (of 0 open tickets)."
    )
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


def test_the_editor_previews_what_a_draft_changes_for_the_group_holding_each_ticket(
    page: Any, make_user: Any, sign_in: Any
) -> None:
    tier1, tier2 = GroupFactory(name="Tier 1"), GroupFactory(name="Tier 2")
    policy = services.group_sla_policy_create(
        title="Tier 2 holds escalations",
        description=None,
        filter={"all": [{"field": "group_id", "operator": "includes", "value": [tier2.pk]}]},
        policy_metrics=[
            {"priority": "urgent", "target_seconds": 4 * 3600, "business_hours": False}
        ],
    )
    customer = make_user("end-user", email="customer-group-impact@example.com")
    opened = timezone.now() - timedelta(minutes=30)
    held = [
        TicketFactory(requester=customer, now=opened, priority="urgent", group=tier2).pk
        for _ in range(3)
    ]
    TicketFactory(requester=customer, now=opened, priority="urgent", group=tier1)
    sign_in(make_user("admin"))
    page.set_viewport_size(DESKTOP)
    page.goto(f"{LIST}{policy.pk}/change/")
    impact = page.locator("#policy-impact")
    expect(impact).to_contain_text("Saving changes none of the 4 open tickets.")
    # Ten minutes for Tier 2: its three tickets, held for half an hour, would be breached.
    page.get_by_label("Urgent, Group ownership time, hours").fill("")
    page.get_by_label("Urgent, Group ownership time, minutes").fill("10")
    expect(impact).to_contain_text("Saving changes 3 of the 4 open tickets")
    expect(impact.locator('[data-count="policy_changes"] strong')).to_have_text("0")
    expect(impact.locator('[data-count="target_changes"] strong')).to_have_text("3")
    expect(impact.locator('[data-count="newly_breached"] strong')).to_have_text("3")
    link = impact.get_by_role("link", name="See the 3 changed tickets")
    expect(link).to_have_attribute(
        "href", "/admin/tickets/ticket/?id__in=" + ",".join(str(pk) for pk in held)
    )
    save_screenshot(page, "group-sla-impact-1366", full_page=True)
    page.set_viewport_size(PHONE)
    assert horizontal_overflow(page) <= 0
    page.set_viewport_size(DESKTOP)
    # A new policy names no group yet: nothing to preview, and saving is not held up for it.
    page.goto(f"{LIST}add/")
    expect(impact).to_contain_text("Add a condition naming a group to see what saving would")
    page.get_by_label("Title").fill("Tier 2 on urgent tickets")
    page.get_by_role("button", name="Add an “All” condition").click()
    row = page.locator('.policy-condition-list[data-group="all"] > li').first
    row.get_by_label("Value").select_option(label="Tier 2")
    page.get_by_label("Urgent, Group ownership time, minutes").fill("10")
    # Last in the list, Tier 2's own policy comes first: it would never match.
    expect(page.locator("#policy-shadow")).to_contain_text(
        "“Tier 2 holds escalations” (position 1) comes earlier and catches every group it would"
    )
    expect(impact).to_contain_text("Saving changes none of the 4 open tickets.")
    page.get_by_label("Position").select_option(label="First, before “Tier 2 holds escalations”")
    expect(impact).to_contain_text("Saving changes 3 of the 4 open tickets")
    expect(impact.locator('[data-count="policy_changes"] strong')).to_have_text("3")
    expect(page.locator("#policy-shadow")).to_have_text("")
    assert GroupSlaPolicy.objects.count() == 1
    assert not page.console_errors

"""A new admin walks the policy, schedule, notification, backtest and objectives pages: the
urgent 10-minute policy from a blank form lands before the catch-all, a corrected error goes
away, leaving a changed form asks first, a reorder shows its impact and can be undone, and
every list fits 1366 px. Screenshots of each page at 1366×900 and 390×844 go to
test-artifacts/screenshots/."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from policies import services
from policies.models import Policy
from tests.browser.screens import DESKTOP, PHONE, horizontal_overflow, save_screenshot
from tests.factories import GroupFactory, TicketFactory, make_policy, metric
from tickets.models import NotificationRule, User

LIST = "/admin/policies/policy/"
EVERYTHING: dict[str, list[dict[str, Any]]] = {"all": [], "any": []}
INCIDENTS = {"all": [{"field": "ticket_type_id", "operator": "is", "value": "2"}], "any": []}
URGENT = "Urgent incidents: 10-minute first reply"


@pytest.fixture
def account(transactional_db: None) -> dict[str, Policy]:
    """A demo-like account: a policy for questions and the catch-all "Everything else"."""
    questions = {"all": [{"field": "ticket_type_id", "operator": "is", "value": "1"}], "any": []}
    return {
        "questions": make_policy(
            "Questions", filter=questions, metrics=[metric("normal", minutes=240)]
        ),
        "everything": make_policy(
            "Everything else", filter=EVERYTHING, metrics=[metric("normal", minutes=60)]
        ),
    }


def titles_in_db() -> list[str]:
    return list(Policy.objects.order_by("position").values_list("title", flat=True))


def test_a_new_admin_creates_the_urgent_policy_before_the_catch_all(
    page: Any, make_user: Any, sign_in: Any, account: dict[str, Policy]
) -> None:
    page.set_viewport_size(DESKTOP)
    sign_in(make_user("admin"))
    # From the home page, as someone new would: the policies, then a new one.
    page.goto("/admin/")
    page.get_by_role("link", name="SLA policies").first.click()
    page.get_by_role("link", name=re.compile(r"^Add SLA policy")).click()
    expect(page).to_have_url(re.compile(r"/admin/policies/policy/add/$"))
    # The position is in sight, and already where the policy can match.
    position = page.get_by_label("Position")
    expect(position).to_be_visible()
    expect(position.locator("option:checked")).to_have_text("before “Everything else” (catch-all)")
    expect(page.locator("#policy-shadow")).to_have_text("")
    # How priority is chosen is said where conditions and targets meet.
    expect(page.locator("#policy-priority-note")).to_contain_text(
        "To promise only urgent tickets, fill only the Urgent column."
    )
    page.get_by_label("Title:").fill(URGENT)
    page.get_by_role("button", name="Add an “All” condition").click()
    row = page.locator('.policy-condition-list[data-group="all"] > li').first
    fields = row.get_by_label("Field").locator("option").all_inner_texts()
    assert "Type" in fields
    assert "Type (name)" not in fields
    row.get_by_label("Field").select_option(label="Type")
    row.get_by_label("Value").select_option(label="Incident")
    page.get_by_label("Urgent, First reply time, minutes").fill("10")
    expect(page.locator('#policy-impact[data-state="current"]')).to_be_visible()
    save_screenshot(page, "policy-add-1366", full_page=True)
    page.set_viewport_size(PHONE)
    save_screenshot(page, "policy-add-390", full_page=True)
    page.set_viewport_size(DESKTOP)
    page.get_by_role("button", name="Save", exact=True).click()
    expect(page.locator(".messagelist")).to_contain_text("was added successfully")
    assert titles_in_db() == ["Questions", URGENT, "Everything else"]
    created = Policy.objects.get(title=URGENT)
    assert [(m.priority, m.metric, m.target_seconds) for m in created.metrics.all()] == [
        ("urgent", "first_reply_time", 600)
    ]
    expect(page.locator("#result_list tbody .field-matching")).to_have_text(["", "", ""])

    # A customer's new urgent incident gets the promise: its countdown is on the agent home.
    customer = make_user("end-user", email="customer-walk@example.com")
    incident = TicketFactory(requester=customer, priority="urgent", type="incident")
    page.goto("/admin/tickets/ticket/")
    badge = page.locator(f'.sla-badge[data-ticket="{incident.pk}"]')
    expect(badge.locator(".sla-badge__text")).to_have_text(re.compile(r"^(10|9)m$"))
    assert not page.console_errors


def test_a_corrected_error_disappears(page: Any, make_user: Any, sign_in: Any) -> None:
    sign_in(make_user("admin"))
    page.goto(f"{LIST}add/")
    page.get_by_label("Urgent, First reply time, minutes").fill("10")
    expect(page.locator('#policy-impact[data-state="current"]')).to_be_visible()
    page.get_by_role("button", name="Save", exact=True).click()
    title_errors = page.locator("#id_title_error")
    # One message for one blank field.
    expect(title_errors.locator("li")).to_have_text(["This field is required."])
    page.get_by_label("Title:").fill(URGENT)
    expect(title_errors).to_be_hidden()
    expect(page.locator(".errornote")).to_have_count(0)
    # A condition row's message goes as soon as the row is edited into something valid.
    page.get_by_role("button", name="Add an “All” condition").click()
    row = page.locator('.policy-condition-list[data-group="all"] > li').first
    row.get_by_label("Field").select_option(label="Tags")
    row.get_by_label("Operator").select_option(label="Includes")
    row.get_by_label("Value").fill("   ")
    expect(row.locator(".policy-errors")).to_contain_text("tag")
    row.get_by_label("Value").fill("vip")
    expect(row.locator(".policy-errors")).to_have_text("")

    # The notification rule form: only what the trigger and channel use, lead time in minutes
    # or hours, and a message that goes when its field is filled in.
    page.goto("/admin/tickets/notificationrule/add/")
    page.get_by_label("Title:").fill("Warn the assignee")
    page.get_by_label("Trigger:").select_option("warning_before")
    page.get_by_label("Channel:").select_option("email")
    expect(page.get_by_label("Webhook URL:")).to_be_hidden()
    expect(page.get_by_label("Lead time:")).to_be_visible()
    expect(page.get_by_label("At percent of the target:")).to_be_hidden()
    expect(page.get_by_label("Set priority:")).to_be_hidden()
    page.get_by_label("The ticket's assignee").check()
    page.get_by_role("button", name="Save", exact=True).click()
    lead_errors = page.locator("#id_lead_amount_error")
    expect(lead_errors).to_have_text("Enter how long before the breach to warn.")
    page.get_by_label("Lead time:").fill("2")
    page.get_by_label("Unit:").select_option("hours")
    expect(lead_errors).to_be_hidden()
    page.get_by_role("button", name="Save", exact=True).click()
    expect(page.locator(".messagelist")).to_contain_text("was added successfully")
    assert NotificationRule.objects.get().lead_seconds == 7200
    assert not page.console_errors


@pytest.mark.parametrize(
    "url",
    [f"{LIST}add/", "/admin/policies/schedule/add/", "/admin/tickets/notificationrule/add/"],
)
def test_leaving_a_changed_form_asks_first(
    page: Any, make_user: Any, sign_in: Any, url: str
) -> None:
    sign_in(make_user("admin"))
    page.goto(url)
    asked: list[str] = []

    def answer(dialog: Any) -> None:
        asked.append(dialog.type)
        dialog.dismiss()  # stay on the page

    page.on("dialog", answer)
    # Leaving an untouched form asks nothing.
    page.get_by_role("link", name="Home").first.click()
    expect(page).to_have_url(re.compile(r"/admin/$"))
    assert asked == []
    page.goto(url)
    name = page.get_by_label("Name") if "schedule" in url else page.get_by_label("Title:")
    name.fill("Half written")
    page.get_by_role("link", name="Home").first.click()
    page.wait_for_timeout(300)
    assert asked == ["beforeunload"]
    assert page.url.endswith(url)


def test_a_reorder_shows_its_impact_first_and_can_be_undone(
    page: Any, make_user: Any, sign_in: Any
) -> None:
    incidents = make_policy("Incidents", filter=INCIDENTS, metrics=[metric("normal", minutes=30)])
    make_policy("Everything else", filter=EVERYTHING, metrics=[metric("normal", minutes=60)])
    customer = make_user("end-user", email="customer-walk@example.com")
    opened = timezone.now() - timedelta(minutes=5)
    tickets = [TicketFactory(requester=customer, now=opened, type="incident") for _ in range(3)]
    TicketFactory(requester=customer, now=opened, type="question")
    assert all(
        t.sla_policy_id == incidents.pk for t in type(tickets[0]).objects.filter(type="incident")
    )
    page.set_viewport_size(DESKTOP)
    sign_in(make_user("admin"))
    page.goto(LIST)
    page.get_by_role("button", name="Move “Everything else” up").click()
    impact = page.locator("#policy-order-impact")
    expect(impact).to_contain_text("Moves 3 open tickets to another policy")
    assert titles_in_db() == ["Incidents", "Everything else"]  # nothing saved yet
    save_screenshot(page, "policy-reorder-confirm-1366")
    page.get_by_role("button", name="Save the new order").click()
    status = page.locator("#policy-order-status")
    expect(status).to_have_text("Moved “Everything else” to position 1. Saved.")
    assert titles_in_db() == ["Everything else", "Incidents"]
    undo = page.get_by_role("button", name="Undo")
    expect(undo).to_be_visible()
    save_screenshot(page, "policy-reorder-undo-1366")
    undo.click()
    expect(status).to_have_text(
        "Undone: the previous order is back (breaches recorded meanwhile stay in the history)."
        " Saved."
    )
    assert titles_in_db() == ["Incidents", "Everything else"]
    assert page.locator("#result_list tbody .field-title").all_inner_texts() == [
        "Incidents",
        "Everything else",
    ]
    expect(undo).to_be_hidden()
    assert not page.console_errors


def test_undo_is_offered_only_for_a_while(
    page: Any, make_user: Any, sign_in: Any, account: dict[str, Policy]
) -> None:
    page.clock.install()
    sign_in(make_user("admin"))
    page.goto(LIST)
    page.get_by_role("button", name="Move “Questions” down").click()
    expect(page.locator("#policy-order-impact")).to_contain_text("open ticket")
    page.get_by_role("button", name="Save the new order").click()
    undo = page.get_by_role("button", name="Undo")
    expect(undo).to_have_text("Undo (15 s)")
    page.clock.run_for(16_000)
    expect(undo).to_be_hidden()
    assert titles_in_db() == ["Everything else", "Questions"]


OWN_PAGES = {
    "policies": LIST,
    "policy": None,  # the first policy's editor, filled in below
    "policy-readonly": None,
    "schedules": "/admin/policies/schedule/",
    "schedule-add": "/admin/policies/schedule/add/",
    "notification-rules": "/admin/tickets/notificationrule/",
    "notification-rule-add": "/admin/tickets/notificationrule/add/",
    "delivery-log": "/admin/tickets/slanotification/",
    "objectives": "/admin/tickets/servicelevelobjective/",
    "objective-add": "/admin/tickets/servicelevelobjective/add/",
    "reports": "/admin/reports/",
    "backtest": "/admin/reports/backtest/",
    "home": "/admin/",
    "section-alerts": "/admin/section/alerts/",
    "history-rewrite": "/admin/reports/history-rewrite/",
    "users": "/admin/tickets/user/",
    "api-tokens": "/admin/tickets/apitoken/",
    "custom-statuses": "/admin/tickets/customstatus/",
    "group-sla-policies": "/admin/policies/groupslapolicy/",
}
LISTS = [
    "policies",
    "schedules",
    "notification-rules",
    "delivery-log",
    "objectives",
    "reports",
    "home",
    "section-alerts",
    "history-rewrite",
    "users",
    "api-tokens",
    "custom-statuses",
    "group-sla-policies",
]


def test_every_page_fits_and_is_photographed_at_both_widths(
    page: Any, make_user: Any, sign_in: Any, account: dict[str, Policy]
) -> None:
    services.schedule_create(name="Office hours", time_zone="Europe/Berlin")
    pages = {**OWN_PAGES, "policy": f"{LIST}{account['questions'].pk}/change/"}
    pages.pop("policy-readonly")
    admin: User = make_user("admin")
    sign_in(admin)
    too_wide = {}
    for width_name, size in (("1366", DESKTOP), ("390", PHONE)):
        page.set_viewport_size(size)
        for name, url in pages.items():
            assert url is not None
            page.goto(url)
            page.wait_for_load_state("networkidle")
            save_screenshot(page, f"{name}-{width_name}", full_page=True)
            overflow = horizontal_overflow(page)
            if overflow > 0 and (width_name == "390" or name in LISTS):
                too_wide[f"{name}-{width_name}"] = overflow
    assert too_wide == {}
    assert not page.console_errors


def test_an_agent_reads_a_policy_as_a_summary(
    page: Any, make_user: Any, sign_in: Any, account: dict[str, Policy]
) -> None:
    sign_in(make_user("agent"))
    page.set_viewport_size(DESKTOP)
    page.goto(f"{LIST}{account['everything'].pk}/change/")
    summary = page.locator(".policy-summary")
    expect(summary).to_contain_text("Normal priority")
    expect(summary).to_contain_text("First reply time: 1 hour (calendar hours)")
    expect(page.locator("#policy-editor")).to_contain_text("Every ticket")
    expect(page.locator("#policy-editor input")).to_have_count(0)
    save_screenshot(page, "policy-readonly-1366", full_page=True)
    page.set_viewport_size(PHONE)
    save_screenshot(page, "policy-readonly-390", full_page=True)


def test_the_delivery_status_and_the_objectives_daily_rates_are_on_screen_at_1366(
    page: Any, make_user: Any, sign_in: Any, account: dict[str, Policy]
) -> None:
    from decimal import Decimal

    from tickets.models import SlaNotification
    from tickets.objectives import objective_create

    now = timezone.now()
    ticket = TicketFactory(priority="normal", subject="A long subject " * 6)
    rule = NotificationRule.objects.create(
        title="Warn the team lead",
        trigger="breach",
        channel="email",
        email_assignee=True,
        created_at=now,
        updated_at=now,
    )
    SlaNotification.objects.create(
        ticket=ticket,
        metric="first_reply_time",
        instance_id=1,
        rule=rule,
        kind="breach",
        fire_at=now,
        next_attempt_at=now,
        status="delivered",
        payload={},
        created_at=now,
        updated_at=now,
    )
    objective_create(
        data={
            "title": "First replies on time",
            "policy_id": account["everything"].pk,
            "metric": "",
            "priority": "",
            "target_rate": Decimal("95"),
            "window_days": 30,
        },
        now=now,
    )
    page.set_viewport_size(DESKTOP)
    sign_in(make_user("admin"))

    def on_screen(locator: Any) -> None:
        expect(locator).to_be_visible()
        box = locator.bounding_box()
        assert box is not None
        assert box["x"] >= 0
        assert box["x"] + box["width"] <= DESKTOP["width"]

    page.goto("/admin/tickets/slanotification/")
    on_screen(page.locator("#result_list thead th.column-status"))
    assert horizontal_overflow(page) <= 0
    page.goto("/admin/reports/")
    on_screen(page.get_by_role("columnheader", name="Daily rate"))
    assert horizontal_overflow(page) <= 0


def test_an_agent_sees_the_group_ownership_countdown_and_why_on_the_ticket_page(
    page: Any, make_user: Any, sign_in: Any, transactional_db: None
) -> None:
    tier2 = GroupFactory(name="Tier 2")
    services.group_sla_policy_create(
        title="Tier 2 holds escalations",
        description=None,
        filter={"all": [{"field": "group_id", "operator": "includes", "value": [tier2.pk]}]},
        policy_metrics=[
            {"priority": "urgent", "target_seconds": 4 * 3600, "business_hours": False}
        ],
        now=timezone.now() - timedelta(minutes=5),
    )
    ticket = TicketFactory(priority="urgent", group=tier2, subject="VPN down")
    page.set_viewport_size(DESKTOP)
    sign_in(make_user("agent"))

    # The agent home's one badge is the group's, named with its group.
    page.goto("/admin/tickets/ticket/")
    badge = page.locator(f'.sla-badge[data-role="next"][data-ticket="{ticket.pk}"]')
    expect(badge.locator(".sla-badge__text")).to_have_text(re.compile(r"^4h$"))
    expect(badge.locator(".sla-badge__metric")).to_have_text("Group ownership · Tier 2")
    expect(badge).to_have_attribute("title", re.compile(r"^Group ownership · Tier 2: due "))
    # The group's name fits the badge column.
    assert horizontal_overflow(page) <= 0
    save_screenshot(page, "agent-home-group-sla-1366")

    page.goto(f"/admin/tickets/ticket/{ticket.pk}/change/")
    row = page.locator('.ticket-targets tr[data-metric="group_ownership_time"]')
    expect(row.locator("th")).to_have_text("Group ownership · Tier 2")
    countdown = row.locator(".sla-badge")
    expect(countdown.locator(".sla-badge__text")).to_have_text("4h")
    expect(countdown).to_have_attribute("title", re.compile(r"^Group ownership · Tier 2: due "))
    expect(row).to_contain_text("Tier 2 holds escalations")

    why = page.locator("#why-group")
    expect(why).to_contain_text("Tier 2 holds the ticket since")
    expect(why).to_contain_text("under “Tier 2 holds escalations”")
    expect(why.locator(".ticket-group-policies li")).to_have_text(
        ["Tier 2 holds escalations: matched"]
    )
    ownership = why.locator("details.ticket-explain--group")
    expect(ownership.locator("summary")).to_have_text("Tier 2: holds the ticket, within its target")
    ownership.locator("summary").click()
    expect(ownership).to_contain_text("still holding it")
    expect(ownership).to_contain_text("4 hours from “Tier 2 holds escalations”")
    save_screenshot(page, "ticket-group-sla-1366", full_page=True)
    page.set_viewport_size(PHONE)
    save_screenshot(page, "ticket-group-sla-390", full_page=True)
    assert horizontal_overflow(page) <= 0
    assert not page.console_errors

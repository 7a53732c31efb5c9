"""The backtest page in a real browser: prefilled with the live policies, edited, run, and
read back as live and draft figures; errors shown; usable by keyboard and at phone width."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from policies.models import Policy
from tests.factories import make_policy, metric
from tests.tickets.test_backtest import EVERY_TICKET, open_ticket
from tickets.models import User

PAGE = "/admin/reports/backtest/"


@pytest.fixture
def admin(make_user: Callable[..., User]) -> User:
    return make_user("admin", name="Policy Admin")


@pytest.fixture
def history(transactional_db: None) -> Policy:
    """First reply in 60 minutes; answered after 30 min (achieved), after 90 min (breached)."""
    policy = make_policy("Standard", filter=EVERY_TICKET, metrics=[metric("normal", minutes=60)])
    now = timezone.now()
    open_ticket(now - timedelta(days=2), timedelta(minutes=30))
    open_ticket(now - timedelta(days=1), timedelta(minutes=90))
    return policy


def drafts_on_page(page: Any) -> list[dict[str, Any]]:
    return json.loads(page.locator("#backtest-policies").input_value())


def open_json(page: Any) -> Any:
    """The draft as JSON sits under "Advanced"; open it and return the text area."""
    details = page.locator("#backtest-json")
    if details.get_attribute("open") is None:
        page.get_by_text("Advanced: the draft as JSON").click()
    return page.get_by_label("Draft policies (JSON list, in the API's shape)")


def figure(row: Any, name: str) -> Any:
    return row.locator(f'[data-figure="{name}"]')


def test_run_a_backtest_and_read_the_numbers(
    page: Any, sign_in: Any, admin: User, history: Policy
) -> None:
    sign_in(admin)
    page.goto(PAGE)
    expect(page.get_by_role("heading", name="Backtest SLA policies")).to_be_visible()
    [live] = drafts_on_page(page)
    assert (live["id"], live["title"]) == (history.pk, "Standard")
    assert live["policy_metrics"][0]["target"] == 60

    # Shorten the first reply target to 20 minutes, as an admin would edit the JSON.
    live["policy_metrics"][0] = {**live["policy_metrics"][0], "target": 20}
    del live["policy_metrics"][0]["target_in_seconds"]
    open_json(page).fill(json.dumps([live], indent=2))
    page.get_by_label("Days back").fill("7")
    page.get_by_label("Group by").select_option("metric")
    page.get_by_role("button", name="Run backtest").click()

    table = page.locator("#backtest-table")
    expect(table.get_by_role("rowheader")).to_have_text(["First reply time", "All targets"])
    total = table.locator("tfoot tr")
    expect(figure(total, "live-rate")).to_have_text("50%")
    expect(figure(total, "draft-rate")).to_have_text("0%")
    expect(figure(total, "rate-change")).to_have_text("-50 pts")
    expect(figure(total, "live-breached")).to_have_text("1")
    expect(figure(total, "draft-breached")).to_have_text("2")
    expect(figure(total, "breached-change")).to_have_text("+1")
    expect(table.locator("tfoot td.backtest__change--worse")).to_have_count(2)
    expect(page.locator('[data-figure="tickets"]')).to_have_text("2")
    expect(page.locator('[data-figure="policy_changes"]')).to_have_text("0")
    # The edited draft stays on the page for the next try.
    assert drafts_on_page(page)[0]["policy_metrics"][0]["target"] == 20
    assert page.console_errors == []


def test_errors_are_shown_next_to_the_draft(
    page: Any, sign_in: Any, admin: User, history: Policy
) -> None:
    sign_in(admin)
    page.goto(PAGE)
    area = open_json(page)
    area_errors = page.locator("#backtest-policies-errors")
    # Not JSON: caught before sending.
    area.fill("[{")
    page.get_by_role("button", name="Run backtest").click()
    expect(area_errors).to_contain_text("not valid JSON")
    expect(area).to_be_focused()
    expect(page.locator("#backtest-table")).to_have_count(0)
    # JSON, but not a valid policy: the API's own validation answers, beside the draft, and
    # the draft is the field outlined.
    area.fill(json.dumps([{"title": "", "filter": EVERY_TICKET}]))
    page.get_by_role("button", name="Run backtest").click()
    expect(area_errors).to_contain_text("Policy 1: Title")
    expect(area).to_have_attribute("aria-invalid", "true")
    expect(page.get_by_label("Days back")).not_to_have_attribute("aria-invalid", "true")
    # Reset puts the live policies back.
    page.get_by_role("button", name="Reset to live policies").click()
    assert drafts_on_page(page)[0]["title"] == "Standard"


def test_keyboard_and_phone_width(page: Any, sign_in: Any, admin: User, history: Policy) -> None:
    page.set_viewport_size({"width": 375, "height": 740})
    sign_in(admin)
    page.goto(PAGE)
    page.get_by_label("Days back").focus()
    page.keyboard.press("Tab")
    expect(page.get_by_label("Group by")).to_be_focused()
    page.keyboard.press("Tab")
    expect(page.get_by_role("button", name="Run backtest")).to_be_focused()
    page.keyboard.press("Enter")
    total = page.locator("#backtest-table").locator("tfoot tr")
    # The live policies as the draft: nothing changes.
    expect(figure(total, "live-rate")).to_have_text("50%")
    expect(figure(total, "rate-change")).to_have_text("0 pts")
    # The wide table scrolls in its own focusable box; the page itself does not.
    overflow = page.evaluate(
        "document.documentElement.scrollWidth - document.documentElement.clientWidth"
    )
    assert overflow <= 0
    region = page.get_by_role("region", name="SLA targets under the live and the draft policies")
    region.focus()
    expect(region).to_be_focused()


def test_a_days_error_is_listed_and_outlined_on_the_days_field(
    page: Any, sign_in: Any, admin: User, history: Policy
) -> None:
    sign_in(admin)
    page.goto(PAGE)
    page.get_by_label("Days back").fill("0")
    page.get_by_role("button", name="Run backtest").click()
    days = page.get_by_label("Days back")
    expect(page.locator("#backtest-days-errors")).to_contain_text("Days back must be a whole")
    expect(days).to_have_attribute("aria-invalid", "true")
    expect(page.locator("#backtest-policies-errors")).to_have_text("")
    expect(page.locator("#backtest-policies")).not_to_have_attribute("aria-invalid", "true")


def test_a_draft_policy_is_added_with_a_form_before_the_catch_all(
    page: Any, sign_in: Any, admin: User, history: Policy
) -> None:
    sign_in(admin)
    page.goto(PAGE)
    builder = page.locator("#backtest-builder")
    expect(builder.locator("#backtest-draft-list li")).to_have_count(1)
    page.get_by_role("button", name="Add to the draft").click()
    expect(page.locator("#backtest-new-title-errors")).to_have_text("Give the policy a title.")
    page.get_by_label("Title").fill("Urgent incidents")
    page.get_by_label("Priority").select_option("normal")
    page.get_by_label("Metric").select_option("first_reply_time")
    page.get_by_label("Within").fill("20")
    expect(page.get_by_label("Position")).to_have_value("0")  # before the catch-all
    page.get_by_role("button", name="Add to the draft").click()
    expect(page.locator("#backtest-new-title-errors")).to_have_text("")
    expect(builder.locator("#backtest-draft-list li")).to_have_count(2)
    drafts = drafts_on_page(page)
    assert [d["title"] for d in drafts] == ["Urgent incidents", "Standard"]
    assert drafts[0]["policy_metrics"] == [
        {
            "priority": "normal",
            "metric": "first_reply_time",
            "target_in_seconds": 1200,
            "business_hours": False,
        }
    ]
    page.get_by_role("button", name="Run backtest").click()
    total = page.locator("#backtest-table").locator("tfoot tr")
    expect(figure(total, "draft-rate")).to_have_text("0%")
    expect(figure(total, "live-rate")).to_have_text("50%")
    assert page.console_errors == []

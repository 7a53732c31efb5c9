"""Group SLAs on the SLA reports dashboard, in a real browser: the page opens on the customer's
SLA, one click shows the group SLA policies' targets with their group ownership times, the
other choices carry over, and one click goes back."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.browser.test_reports_page import chart_data
from tests.tickets.test_group_sla_reports import Desk
from tests.tickets.test_group_sla_tickets import START
from tickets.models import User


@pytest.fixture
def desk(transactional_db: None) -> Desk:
    return Desk()


def test_group_slas_are_one_click_from_the_customers_sla(
    page: Any, sign_in: Any, make_user: Callable[..., User], desk: Desk
) -> None:
    sign_in(make_user("agent", name="Team Lead", time_zone="UTC"))
    first = (START - timedelta(days=1)).date().isoformat()
    last = (START + timedelta(days=1)).date().isoformat()
    page.goto(f"/admin/reports/?start={first}&end={last}")

    summary = page.locator('[data-section="total"]')
    expect(page.get_by_role("heading", name="All SLA targets")).to_be_visible()
    # Only the two first replies, both breached: the groups' stretches are not in it.
    expect(summary.locator('[data-figure="breached"]')).to_have_text("2")
    expect(summary.locator('[data-figure="achieved"]')).to_have_text("0")

    page.get_by_role("link", name="Group SLAs", exact=True).click()
    expect(page.get_by_role("heading", name="All group SLA targets")).to_be_visible()
    # By now every stretch still open is past its deadline: 2 achieved, 3 breached.
    expect(summary.locator('[data-figure="achieved_percent"]')).to_have_text("40.0%")
    groups = page.locator("#sla-table-groups")
    expect(groups.get_by_role("rowheader")).to_have_text(
        ["Tier 1 holds escalations", "Tier 2 holds escalations", "All targets"]
    )
    tier2 = groups.locator("tbody tr").nth(1)
    # Tier 2 held A for 2 h and B for 5 h: median 3 h 30 min, p90 at 0.9: 4 h 42 min.
    expect(tier2.locator('[data-figure="ownership_median_seconds"]')).to_have_text("3 h 30 min")
    expect(tier2.locator('[data-figure="ownership_p90_seconds"]')).to_have_text("4 h 42 min")
    expect(groups.locator('[data-figure="reply_median_seconds"]')).to_have_count(0)
    bars = chart_data(page, "sla-chart-groups")
    assert bars["drawn"]
    assert bars["labels"] == ["Tier 1 holds escalations", "Tier 2 holds escalations"]
    assert bars["data"] == [[33.33, 50.0]]

    # Regrouping keeps the kind: the group is the one that held the ticket.
    page.get_by_label("Group by").select_option("group")
    page.get_by_role("button", name="Show report").click()
    page.wait_for_url("**group_by=group**")
    expect(groups.get_by_role("rowheader")).to_have_text(["Tier 1", "Tier 2", "All targets"])
    expect(page.get_by_role("heading", name="All group SLA targets")).to_be_visible()

    page.get_by_role("link", name="Ticket SLAs", exact=True).click()
    expect(page.get_by_role("heading", name="All SLA targets")).to_be_visible()
    expect(groups.get_by_role("rowheader")).to_have_text(["Tier 1", "All targets"])
    assert page.console_errors == []

"""Service level objectives on the SLA reports dashboard, in a real browser: each objective's
rate against target, error budget, burn rate, trend and its daily sparkline."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.factories import TicketFactory, make_policy
from tests.tickets.test_objectives import Rows, at
from tickets.models import User
from tickets.objectives import objective_create


@pytest.fixture
def agent(make_user: Callable[..., User]) -> User:
    return make_user("agent", name="Objective Reader")


@pytest.fixture
def dataset(transactional_db: None) -> dict[str, Any]:
    """Relative to the live server's clock: in the last 30 days 8 achieved two days ago and 2
    breached three days ago; in the 30 days before, 1 achieved."""
    now = datetime.now(UTC)
    gold = make_policy("Gold")
    ticket = TicketFactory(priority="urgent", status="open", now=at(9, 1))
    rows = Rows()
    two, three = now - timedelta(days=2), now - timedelta(days=3)
    rows.achieved(ticket, "first_reply_time", gold, two, 8)
    rows.breached(ticket, "first_reply_time", gold, three)
    rows.breached(ticket, "first_reply_time", gold, three)
    rows.achieved(ticket, "first_reply_time", gold, now - timedelta(days=40), 1)
    base = {"policy_id": gold.pk, "metric": "", "priority": "", "window_days": 30}
    spent = objective_create(
        data={**base, "title": "Gold on time", "target_rate": Decimal("90")}, now=now
    )
    quiet = objective_create(
        data={**base, "title": "Gold low", "priority": "low", "target_rate": Decimal("99.5")},
        now=now,
    )
    return {"spent": spent, "quiet": quiet, "two": two.date(), "three": three.date()}


def test_the_dashboard_shows_each_objective(
    page: Any, sign_in: Any, agent: User, dataset: dict[str, Any]
) -> None:
    sign_in(agent)
    page.goto("/admin/reports/")
    expect(page.get_by_role("heading", name="Objectives")).to_be_visible()
    table = page.locator("#sla-table-objectives")
    expect(table.locator("tbody th a")).to_have_text(["Gold on time", "Gold low"])
    expect(table.locator("tbody th .sla-objectives__scope")).to_have_text(["Gold", "Gold · Low"])
    spent = table.locator(f'tr[data-objective="{dataset["spent"].pk}"]')
    # 8 / 10 = 80%; floor(10% of 10) = 1 breach allowed, 2 spent.
    expect(spent.locator('[data-figure="target_rate"]')).to_have_text("90%")
    expect(spent.locator('[data-figure="rate"]')).to_have_text("80%")
    expect(spent).to_contain_text("below target")
    expect(spent.locator('[data-figure="error_budget_remaining"]')).to_have_text("-1 of 1")
    expect(spent.locator('[data-figure="budget_consumed_percent"]')).to_have_text("200%")
    expect(spent.locator('[data-figure="burn_rate"]')).to_have_text("2×")
    expect(spent.locator('[data-figure="previous_rate"]')).to_have_text("100%")
    expect(spent.locator('[data-figure="rate_change"]')).to_have_text("-20 pts")
    quiet = table.locator(f'tr[data-objective="{dataset["quiet"].pk}"]')
    expect(quiet.locator('[data-figure="rate"]')).to_have_text("—")
    expect(quiet.locator('[data-figure="error_budget_remaining"]')).to_have_text("0 of 0")

    spark = page.evaluate(
        """(id) => {
            const chart = window.Chart.getChart(document.getElementById(id));
            return chart && {
                labels: chart.data.labels,
                rates: chart.data.datasets[0].data,
                target: chart.data.datasets[1].data,
                drawn: chart.width > 0 && chart.height > 0,
            };
        }""",
        f"sla-objective-spark-{dataset['spent'].pk}",
    )
    assert spark["drawn"]
    rates = dict(zip(spark["labels"], spark["rates"], strict=True))
    assert rates[dataset["two"].isoformat()] == 100.0
    assert rates[dataset["three"].isoformat()] == 0.0
    assert [rate for rate in spark["rates"] if rate is not None] == [0.0, 100.0]
    assert set(spark["target"]) == {90.0}
    assert page.console_errors == []


def test_without_objectives_the_page_says_how_to_add_one(
    page: Any, sign_in: Any, agent: User
) -> None:
    sign_in(agent)
    page.goto("/admin/reports/")
    table = page.locator("#sla-table-objectives")
    expect(table).to_contain_text("No service level objectives yet.")
    assert page.console_errors == []

"""The SLA reports dashboard in a real browser: numbers, charts, regrouping and the CSV."""

from __future__ import annotations

import csv
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.tickets.test_reports import build_dataset
from tickets.models import User

# The fixed dataset's three days, in the agent's time zone (see tests/tickets/test_reports.py).
PAGE = "/admin/reports/?start=2026-11-01&end=2026-11-03"


@pytest.fixture
def agent(make_user: Callable[..., User]) -> User:
    return make_user("agent", name="Report Reader", time_zone="America/New_York")


@pytest.fixture
def dataset(transactional_db: None) -> dict[str, Any]:
    return build_dataset()


def chart_data(page: Any, canvas_id: str) -> dict[str, Any]:
    """The labels and datasets the chart on this canvas has drawn."""
    return page.evaluate(
        """(id) => {
            const chart = window.Chart.getChart(document.getElementById(id));
            return chart && {
                labels: chart.data.labels,
                data: chart.data.datasets.map((d) => d.data),
                drawn: chart.width > 0 && chart.height > 0,
            };
        }""",
        canvas_id,
    )


def table_rows(page: Any, table_id: str) -> list[dict[str, str]]:
    """Each body and footer row of a table: its label and the value of every figure cell."""
    return page.evaluate(
        """(id) => Array.from(document.querySelectorAll(`#${id} tbody tr, #${id} tfoot tr`))
            .map((tr) => {
                const row = {key: tr.dataset.key};
                tr.querySelectorAll("data[data-figure]").forEach((d) => {
                    row[d.dataset.figure] = d.value;
                });
                return row;
            })""",
        table_id,
    )


def test_dashboard_shows_the_numbers_and_draws_them(
    page: Any, sign_in: Any, agent: User, dataset: dict[str, Any]
) -> None:
    sign_in(agent)
    page.goto("/admin/")
    page.get_by_role("link", name="SLA reports").click()
    expect(page.get_by_role("heading", name="SLA reports")).to_be_visible()
    page.goto(PAGE)

    summary = page.locator('[data-section="total"]')
    expect(summary.locator('[data-figure="achieved_percent"]')).to_have_text("66.67%")
    expect(summary.locator('[data-figure="breached"]')).to_have_text("3")
    groups = page.locator("#sla-table-groups")
    expect(groups.get_by_role("rowheader")).to_have_text(
        ["Gold", "Silver", "(deleted policy)", "All targets"]
    )
    gold = groups.locator("tbody tr").first
    expect(gold.locator('[data-figure="achieved_percent"]')).to_have_text("75.0%")
    # Median reply of 600 s and p90 of 2,520 s.
    expect(gold.locator('[data-figure="reply_median_seconds"]')).to_have_text("10 min")
    expect(gold.locator('[data-figure="reply_p90_seconds"]')).to_have_text("42 min")
    series = page.locator("#sla-table-series")
    expect(series.get_by_role("rowheader")).to_have_text(["2026-11-01", "2026-11-02", "2026-11-03"])

    bars = chart_data(page, "sla-chart-groups")
    assert bars["drawn"]
    assert bars["labels"] == ["Gold", "Silver", "(deleted policy)"]
    assert bars["data"] == [[75.0, 50.0, 100.0]]
    over_time = chart_data(page, "sla-chart-series")
    assert over_time["drawn"]
    assert over_time["labels"] == ["2026-11-01", "2026-11-02", "2026-11-03"]
    assert over_time["data"] == [[2, 2, 2], [0, 1, 2], [100.0, 66.67, 50.0]]
    assert page.console_errors == []


def test_changing_the_grouping_updates_tables_and_chart(
    page: Any, sign_in: Any, agent: User, dataset: dict[str, Any]
) -> None:
    sign_in(agent)
    page.goto(PAGE)
    page.get_by_label("Group by").select_option("metric")
    page.get_by_label("Over time by").select_option("week")
    page.get_by_role("button", name="Show report").click()
    page.wait_for_url("**group_by=metric**")

    groups = page.locator("#sla-table-groups")
    expect(groups.get_by_role("columnheader").first).to_have_text("Metric")
    expect(groups.get_by_role("rowheader")).to_have_text(
        [
            "Agent work time",
            "First reply time",
            "Next reply time",
            "Periodic update time",
            "Requester wait time",
            "Total resolution time",
            "All targets",
        ]
    )
    bars = chart_data(page, "sla-chart-groups")
    assert bars["labels"][1] == "First reply time"
    assert bars["data"] == [[None, 100.0, 50.0, 100.0, 0.0, 50.0]]
    expect(page.locator("#sla-table-series").get_by_role("rowheader")).to_have_text(
        ["2026-10-26", "2026-11-02"]
    )
    assert chart_data(page, "sla-chart-series")["labels"] == ["2026-10-26", "2026-11-02"]
    assert page.console_errors == []


@pytest.mark.parametrize("group_by", ["priority", "group"])
def test_csv_link_downloads_the_numbers_on_the_page(
    page: Any, sign_in: Any, agent: User, dataset: dict[str, Any], group_by: str
) -> None:
    sign_in(agent)
    page.goto(f"{PAGE}&group_by={group_by}")
    with page.expect_download() as download:
        page.get_by_role("link", name="Download CSV").click()
    path = Path(download.value.path())
    assert download.value.suggested_filename.startswith(f"sla-report-{group_by}-day-")
    with path.open(newline="") as handle:
        rows = list(csv.DictReader(handle))

    on_page = table_rows(page, "sla-table-groups")
    total, groups = on_page[-1], on_page[:-1]
    by_section: dict[str, list[dict[str, str]]] = {}
    for row in rows:
        by_section.setdefault(row.pop("section"), []).append(row)
    assert set(by_section) == {"total", group_by, "day"}
    assert len(groups) == len(by_section[group_by]) > 1

    def same(page_row: dict[str, str], csv_row: dict[str, str]) -> None:
        figures = {k: v for k, v in page_row.items() if k != "key"}
        assert figures == {k: csv_row[k] for k in figures}
        assert len(figures) == 12  # every number of the CSV row is on the page
        assert page_row["key"] == csv_row["key"]

    same(total, by_section["total"][0])
    for page_row, csv_row in zip(groups, by_section[group_by], strict=True):
        same(page_row, csv_row)
    series = table_rows(page, "sla-table-series")
    assert len(series) == len(by_section["day"]) == 3
    for page_row, csv_row in zip(series, by_section["day"], strict=True):
        same(page_row, csv_row)


@pytest.mark.parametrize("width", [375, 1280])
def test_dashboard_fits_phones_and_laptops(
    page: Any, sign_in: Any, agent: User, dataset: dict[str, Any], width: int
) -> None:
    sign_in(agent)
    page.set_viewport_size({"width": width, "height": 740})
    page.goto(PAGE)
    expect(page.locator("#sla-table-groups")).to_be_visible()
    # The page itself never scrolls sideways; the wide tables scroll inside their own box.
    overflow = page.evaluate(
        "document.documentElement.scrollWidth - document.documentElement.clientWidth"
    )
    assert overflow <= 0
    canvas = page.locator("#sla-chart-series").bounding_box()
    assert 0 < canvas["width"] <= width
    assert chart_data(page, "sla-chart-series")["drawn"]

"""Finding the way around as an agent: sections of support work in the sidebar, and a page
the agent may not open that still shows the navigation and leads back."""

from __future__ import annotations

from typing import Any

from playwright.sync_api import expect


def test_agent_meets_a_friendly_403_and_finds_the_way_back(
    page: Any, make_user: Any, sign_in: Any, server_url: str
) -> None:
    sign_in(make_user("agent", name="Grace Agent"))
    home = page.locator("#content-main")
    for section in ["Work", "Service levels", "Alerts", "Reports", "People", "Settings"]:
        expect(home.get_by_role("link", name=section, exact=True)).to_be_visible()
    expect(home.get_by_role("link", name="System", exact=True)).to_have_count(0)
    expect(home.get_by_role("link", name="Background tasks")).to_have_count(0)

    home.get_by_role("link", name="Agent home").click()
    expect(page).to_have_url(f"{server_url}/admin/tickets/ticket/")

    # The internal task results, typed into the address bar from the queue.
    response = page.goto(
        "/admin/django_tasks_database/dbtaskresult/",
        referer=f"{server_url}/admin/tickets/ticket/",
    )
    assert response.status == 403
    expect(page.get_by_role("heading", name="You can't open this page")).to_be_visible()
    expect(page.locator("#content-main")).to_contain_text("signed in as Grace Agent, an agent")
    expect(page.get_by_role("heading", name="403 Forbidden")).to_have_count(0)
    # The normal frame: header with the user's links, breadcrumbs and the section sidebar.
    expect(page.locator("#user-tools")).to_contain_text("Grace Agent")
    expect(page.locator(".breadcrumbs").get_by_role("link", name="Home")).to_be_visible()
    sidebar = page.locator("#nav-sidebar")
    expect(sidebar).to_be_visible()
    expect(sidebar.get_by_role("link", name="Agent home")).to_be_visible()
    expect(sidebar.get_by_role("link", name="Background tasks")).to_have_count(0)

    page.get_by_role("link", name="Back to the previous page").click()
    expect(page).to_have_url(f"{server_url}/admin/tickets/ticket/")

    # And from another forbidden page, the sidebar itself leads on.
    page.goto("/admin/tickets/slarecompute/")
    expect(page.get_by_role("heading", name="You can't open this page")).to_be_visible()
    page.locator("#nav-sidebar").get_by_role("link", name="SLA policies", exact=True).click()
    expect(page).to_have_url(f"{server_url}/admin/policies/policy/")
    assert page.console_errors == []

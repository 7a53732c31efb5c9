"""Signing in and out of the admin site, for each role."""

from __future__ import annotations

from typing import Any

from playwright.sync_api import expect


def test_admin_signs_in_and_out(page: Any, make_user: Any, sign_in: Any) -> None:
    admin = make_user("admin", name="Ada Admin")
    sign_in(admin)
    expect(page.locator("#user-tools")).to_contain_text("Ada Admin")
    expect(page.get_by_role("link", name="SLA policies").first).to_be_visible()
    page.get_by_role("button", name="Log out").click()
    expect(page.get_by_role("heading", name="Logged out")).to_be_visible()
    page.goto("/admin/")
    expect(page).to_have_url("/admin/login/?next=/admin/")


def test_end_user_cannot_enter(page: Any, make_user: Any, sign_in: Any) -> None:
    sign_in(make_user("end-user"))
    expect(page.locator(".errornote")).to_contain_text("staff account")
    expect(page.locator("#user-tools")).to_have_count(0)


def test_agent_reads_policies_but_cannot_add_them(page: Any, make_user: Any, sign_in: Any) -> None:
    sign_in(make_user("agent"))
    page.goto("/admin/policies/policy/")
    expect(page.get_by_role("heading", name="Select SLA policy to view")).to_be_visible()
    expect(page.get_by_role("link", name="Add SLA policy")).to_have_count(0)
    page.goto("/admin/policies/policy/add/")
    expect(page.get_by_role("heading", name="You can't open this page")).to_be_visible()


SHIFT_OBSERVER = (
    "window.__shift = 0; new PerformanceObserver((list) => { for (const e of list.getEntries())"
    " { if (!e.hadRecentInput) window.__shift += e.value; } })"
    ".observe({type: 'layout-shift', buffered: true});"
)


def test_admin_pages_do_not_jump_while_loading(page: Any, make_user: Any, sign_in: Any) -> None:
    sign_in(make_user("admin"))
    page.add_init_script(SHIFT_OBSERVER)
    for url in ("/admin/tickets/ticket/", "/admin/policies/schedule/", "/admin/policies/policy/"):
        page.goto(url)
        expect(page.locator("#nav-sidebar")).to_be_visible()  # open by default
        page.wait_for_timeout(300)
        assert page.evaluate("window.__shift") < 0.01, url

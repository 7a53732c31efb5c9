"""The schedule editor in a real browser: building a schedule, importing holidays from an .ics
file, and doing it from the keyboard at laptop and phone widths."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from django.utils import timezone
from playwright.sync_api import expect

from policies import services
from policies.models import Schedule

# Sum of the page's layout shifts since it started loading (0 when nothing moved; under 0.01
# is imperceptible).
LAYOUT_SHIFT = """() => new Promise((resolve) => {
  let total = 0;
  new PerformanceObserver((list) => {
    for (const entry of list.getEntries()) {
      if (!entry.hadRecentInput) total += entry.value;
    }
  }).observe({type: "layout-shift", buffered: true});
  setTimeout(() => resolve(total), 300);
})"""


def soon(days: int) -> date:
    return timezone.localdate() + timedelta(days=days)


def api_schedule(page: Any, schedule_id: int) -> dict[str, Any]:
    """The API's answer, fetched with the signed-in browser's own session."""
    response = page.request.get(f"/api/v2/business_hours/schedules/{schedule_id}.json")
    assert response.status == 200, response.text()
    return response.json()["schedule"]  # type: ignore[no-any-return]


def api_holidays(page: Any, schedule_id: int) -> list[dict[str, Any]]:
    response = page.request.get(f"/api/v2/business_hours/schedules/{schedule_id}/holidays.json")
    assert response.status == 200, response.text()
    return response.json()["holidays"]  # type: ignore[no-any-return]


def test_admin_builds_a_schedule_with_a_cross_midnight_interval_and_a_partial_holiday(
    page: Any, make_user: Any, sign_in: Any
) -> None:
    sign_in(make_user("admin"))
    page.goto("/admin/policies/schedule/add/")
    assert page.evaluate(LAYOUT_SHIFT) < 0.01
    page.get_by_label("Name", exact=True).fill("Night desk")
    page.get_by_label("Find a time zone").fill("new york")
    expect(page.locator("[data-tz-count]")).to_contain_text("Enter picks America/New_York")
    page.get_by_label("Find a time zone").press("Enter")
    expect(page.get_by_label("Time zone", exact=True)).to_have_value("America/New_York")

    # A new schedule starts Monday to Friday 09:00-17:00; keep Monday, drop the rest.
    for number in (5, 4, 3, 2):
        interval = page.get_by_role("group", name=f"Interval {number}")
        interval.get_by_role("button", name="Remove this interval").click()
        expect(interval).to_be_hidden()
    page.get_by_role("button", name="Add interval").click()
    night = page.get_by_role("group", name="Interval 6")
    expect(night.get_by_label("Start day")).to_be_focused()
    night.get_by_label("Start day").select_option(label="Friday")
    night.get_by_label("Start time").fill("22:00")
    night.get_by_label("End day").select_option(label="Saturday")
    night.get_by_label("End time").fill("06:00")
    # The row's length, kept up to date while typing (across midnight here).
    expect(night.locator("output")).to_have_text("8 h")
    expect(page.locator('[data-day="5"] .sched-week-bar')).to_have_count(1)
    expect(page.locator('[data-day="6"] .sched-week-bar')).to_have_count(1)

    day = soon(20)
    page.get_by_role("button", name="Add holiday").click()
    holiday = page.get_by_role("group", name="Holiday 1")
    expect(holiday.get_by_label("Name")).to_be_focused()
    holiday.get_by_label("Name").fill("Staff party")
    holiday.get_by_label("Start date").fill(day.isoformat())
    holiday.get_by_label("End date").fill(day.isoformat())
    holiday.get_by_label("Start time").fill("13:00")
    page.get_by_role("button", name="Save", exact=True).click()

    expect(page.locator(".messagelist")).to_contain_text("“Night desk” was saved")
    schedule = Schedule.objects.get()
    shown = api_schedule(page, schedule.pk)
    assert shown["name"] == "Night desk"
    assert shown["time_zone"] == "Eastern Time (US & Canada)"
    assert shown["intervals"] == [
        {"start_time": 1980, "end_time": 2460},
        {"start_time": 8520, "end_time": 9000},
    ]
    holidays = api_holidays(page, schedule.pk)
    assert [(h["name"], h["start_date"], h["end_date"], h["start_time"], h["end_time"])
            for h in holidays] == [("Staff party", day.isoformat(), day.isoformat(),
                                    "13:00", None)]  # fmt: skip
    expect(page.get_by_role("link", name="Night desk")).to_be_visible()
    assert page.console_errors == []


def test_overlap_is_shown_next_to_the_row_and_nothing_is_saved(
    page: Any, make_user: Any, sign_in: Any
) -> None:
    schedule = services.schedule_create(name="Day desk", time_zone="Europe/Berlin")
    sign_in(make_user("admin"))
    page.goto(f"/admin/policies/schedule/{schedule.pk}/change/")
    page.get_by_role("button", name="Add interval").click()
    extra = page.get_by_role("group", name="Interval 6")
    extra.get_by_label("Start day").select_option(label="Monday")
    extra.get_by_label("Start time").fill("16:00")
    extra.get_by_label("End time").fill("18:00")
    page.get_by_role("button", name="Save and continue editing").click()
    expect(page.get_by_role("alert").first).to_contain_text("Nothing was saved")
    expect(page.get_by_role("group", name="Interval 1")).to_contain_text("overlaps")
    expect(page.get_by_role("group", name="Interval 6")).to_contain_text("overlaps")
    expect(page.get_by_role("group", name="Interval 2")).not_to_contain_text("overlaps")
    assert schedule.intervals.count() == 5


def test_an_ics_upload_adds_holidays(page: Any, make_user: Any, sign_in: Any) -> None:
    schedule = services.schedule_create(name="Desk", time_zone="Europe/London")
    first = soon(30)
    services.holiday_create(
        schedule_id=schedule.pk, name="Already here", start_date=first, end_date=first
    )
    ics = "\r\n".join(
        [
            "BEGIN:VCALENDAR",
            "VERSION:2.0",
            "PRODID:-//slaweb tests//EN",
            "BEGIN:VEVENT",
            "UID:a@example.com",
            "SUMMARY:Already here",
            f"DTSTART;VALUE=DATE:{first:%Y%m%d}",
            "END:VEVENT",
            "BEGIN:VEVENT",
            "UID:b@example.com",
            "SUMMARY:Long weekend",
            f"DTSTART;VALUE=DATE:{first + timedelta(days=7):%Y%m%d}",
            f"DTEND;VALUE=DATE:{first + timedelta(days=10):%Y%m%d}",
            "END:VEVENT",
            "BEGIN:VEVENT",
            "UID:c@example.com",
            "SUMMARY:Early close",
            f"DTSTART:{first + timedelta(days=14):%Y%m%d}T150000",
            f"DTEND:{first + timedelta(days=14):%Y%m%d}T180000",
            "END:VEVENT",
            "END:VCALENDAR",
            "",
        ]
    )
    sign_in(make_user("admin"))
    page.goto(f"/admin/policies/schedule/{schedule.pk}/change/")
    page.get_by_label("iCal file (.ics)").set_input_files(
        files=[{"name": "bank.ics", "mimeType": "text/calendar", "buffer": ics.encode()}]
    )
    page.get_by_role("button", name="Preview import").click()
    expect(page.get_by_role("status")).to_contain_text(
        "2 holidays to add, 1 already in this schedule, 0 that cannot be added"
    )
    expect(page.get_by_role("table", name="Holidays to add")).to_contain_text("Long weekend")
    assert schedule.holidays.count() == 1
    page.get_by_role("button", name="Add 2 holidays").click()
    expect(page.locator(".messagelist")).to_contain_text("Imported 2 holidays")
    expect(page.get_by_role("group", name="Holiday 3").get_by_label("Name")).to_have_value(
        "Early close"
    )
    holidays = api_holidays(page, schedule.pk)
    assert [(h["name"], h["start_date"], h["end_date"], h["start_time"], h["end_time"])
            for h in holidays] == [
        ("Already here", first.isoformat(), first.isoformat(), None, None),
        ("Long weekend", (first + timedelta(days=7)).isoformat(),
         (first + timedelta(days=9)).isoformat(), None, None),
        ("Early close", (first + timedelta(days=14)).isoformat(),
         (first + timedelta(days=14)).isoformat(), "15:00", "18:00"),
    ]  # fmt: skip


def test_the_editor_works_from_the_keyboard_on_a_phone(
    page: Any, make_user: Any, sign_in: Any
) -> None:
    schedule = services.schedule_create(name="Mobile desk", time_zone="UTC")
    sign_in(make_user("admin"))
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(f"/admin/policies/schedule/{schedule.pk}/change/")
    assert page.evaluate(LAYOUT_SHIFT) < 0.01
    # Nothing wider than the phone, and each row's labels are visible there.
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    expect(page.get_by_role("group", name="Interval 1").get_by_text("Start day")).to_be_visible()

    page.get_by_role("button", name="Add interval").focus()
    page.keyboard.press("Enter")
    added = page.get_by_role("group", name="Interval 6")
    # Added after Friday's row: Saturday with the same hours, focus on its first field.
    expect(added.get_by_label("Start day")).to_be_focused()
    expect(added.get_by_label("Start day")).to_have_value("6")
    expect(page.locator("[data-status]")).to_have_text("Interval 6 added.")
    page.keyboard.press("Shift+Tab")  # back to the previous row's Remove button
    expect(page.get_by_role("group", name="Interval 5").get_by_role("button")).to_be_focused()
    page.keyboard.press("Space")
    expect(page.get_by_role("group", name="Interval 5")).to_be_hidden()
    expect(added.get_by_role("button", name="Remove this interval")).to_be_focused()
    expect(page.locator("[data-status]")).to_have_text("Interval removed. Save to keep the change.")

    page.get_by_label("Find a time zone").focus()
    page.keyboard.type("seoul")
    page.keyboard.press("Enter")  # picks the first match, does not submit
    expect(page.get_by_label("Time zone", exact=True)).to_have_value("Seoul")
    page.get_by_label("Name", exact=True).focus()
    page.keyboard.press("Enter")  # submits the form
    expect(page.locator(".messagelist")).to_contain_text("“Mobile desk” was saved")

    shown = api_schedule(page, schedule.pk)
    assert shown["time_zone"] == "Seoul"
    assert shown["iana_time_zone"] == "Asia/Seoul"
    # Friday's row was removed; Saturday 09:00-17:00 took its place.
    assert [i["start_time"] for i in shown["intervals"]] == [1980, 3420, 4860, 6300, 9180]


def test_an_agent_sees_the_schedule_read_only(page: Any, make_user: Any, sign_in: Any) -> None:
    schedule = services.schedule_create(name="Desk", time_zone="Asia/Kathmandu")
    sign_in(make_user("agent"))
    page.goto(f"/admin/policies/schedule/{schedule.pk}/change/")
    expect(page.get_by_role("heading", name="View schedule")).to_be_visible()
    expect(page.get_by_label("Name", exact=True)).to_be_disabled()
    expect(page.get_by_role("group", name="Interval 1").get_by_label("Start day")).to_be_disabled()
    expect(page.get_by_role("button", name="Add interval")).to_have_count(0)
    expect(page.get_by_role("button", name="Save", exact=True)).to_have_count(0)
    expect(page.get_by_label("iCal file (.ics)")).to_have_count(0)


def test_an_overlap_is_flagged_while_editing_and_clears_when_fixed(
    page: Any, make_user: Any, sign_in: Any
) -> None:
    schedule = services.schedule_create(name="Day desk", time_zone="Europe/Berlin")
    sign_in(make_user("admin"))
    page.goto(f"/admin/policies/schedule/{schedule.pk}/change/")
    expect(page.locator("#intervals")).not_to_contain_text("Stored as")
    expect(page.get_by_role("group", name="Interval 1")).to_contain_text("8 h")
    page.get_by_role("button", name="Add interval").click()
    extra = page.get_by_role("group", name="Interval 6")
    extra.get_by_label("Start day").select_option(label="Monday")
    extra.get_by_label("Start time").fill("16:00")
    extra.get_by_label("End time").fill("18:00")
    # Flagged on both rows before any save.
    expect(extra).to_contain_text("Overlaps interval 1 (Monday 09:00 to Monday 17:00).")
    expect(page.get_by_role("group", name="Interval 1")).to_contain_text(
        "Overlaps interval 6 (Monday 16:00 to Monday 18:00)."
    )
    extra.get_by_label("Start time").fill("17:00")
    expect(extra.locator("[data-overlap]")).to_have_text("")
    expect(page.get_by_role("group", name="Interval 1").locator("[data-overlap]")).to_have_text("")
    assert schedule.intervals.count() == 5


def test_holiday_dates_in_the_wrong_order_are_explained_in_words(
    page: Any, make_user: Any, sign_in: Any
) -> None:
    schedule = services.schedule_create(name="Day desk", time_zone="Europe/Berlin")
    sign_in(make_user("admin"))
    page.goto(f"/admin/policies/schedule/{schedule.pk}/change/")
    page.get_by_role("button", name="Add holiday").click()
    row = page.get_by_role("group", name="Holiday 1")
    today = timezone.localdate()
    row.get_by_label("Name").fill("Backwards")
    row.get_by_label("Start date").fill((today + timedelta(days=9)).isoformat())
    row.get_by_label("End date").fill((today + timedelta(days=8)).isoformat())
    page.get_by_role("button", name="Save and continue editing").click()
    row = page.get_by_role("group", name="Holiday 1")
    expect(row).to_contain_text("End date must be on or after the start date.")
    expect(row).not_to_contain_text("start_date")
    # Correcting the field takes its message away at once.
    row.get_by_label("End date").fill((today + timedelta(days=10)).isoformat())
    expect(row).not_to_contain_text("must be on or after")

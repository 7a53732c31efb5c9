"""The schedule editor and the iCal holiday import write through the schedule services, with
the API's validation, so what the pages save is what the API then shows."""

from __future__ import annotations

import re
from datetime import date, time, timedelta
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone
from rest_framework.test import APIClient

from policies import services
from policies.models import Holiday, Schedule
from tickets.models import SlaRecompute, User

pytestmark = pytest.mark.django_db
API = "/api/v2/business_hours/schedules"
ADD = "/admin/policies/schedule/add/"
MONDAY, WEDNESDAY, FRIDAY, SATURDAY = 1, 3, 5, 6


def site(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def editor_data(
    *,
    name: str = "Support desk",
    time_zone: str = "Eastern Time (US & Canada)",
    intervals: list[tuple[int, str, int, str]] = (),  # type: ignore[assignment]
    holidays: list[dict[str, Any]] = (),  # type: ignore[assignment]
    initial_intervals: int = 0,
    initial_holidays: int = 0,
    submit: str = "_save",
) -> dict[str, Any]:
    """The editor's POST: each interval as (start day, start time, end day, end time)."""
    data: dict[str, Any] = {
        "name": name,
        "time_zone": time_zone,
        submit: "Save",
        "intervals-TOTAL_FORMS": str(len(intervals)),
        "intervals-INITIAL_FORMS": str(initial_intervals),
        "holidays-TOTAL_FORMS": str(len(holidays)),
        "holidays-INITIAL_FORMS": str(initial_holidays),
    }
    for index, (start_day, start, end_day, end) in enumerate(intervals):
        data[f"intervals-{index}-start_day"] = str(start_day)
        data[f"intervals-{index}-start_time"] = start
        data[f"intervals-{index}-end_day"] = str(end_day)
        data[f"intervals-{index}-end_time"] = end
    for index, holiday in enumerate(holidays):
        for key, value in holiday.items():
            data[f"holidays-{index}-{key}"] = "" if value is None else str(value)
    return data


def rows(html: str, kind: str) -> dict[str, str]:
    """Each editor row's HTML by its accessible name ("Interval 2", "Holiday 1")."""
    parts = re.split(r'(?=<div class="sched-row[^"]*" role="group")', html)
    found = {}
    for part in parts:
        label = re.search(rf'aria-label="({kind} \d+)"', part)
        if label:
            found[label.group(1)] = part
    return found


def errors_in(html: str) -> list[str]:
    return re.findall(r'<ul class="errorlist[^"]*"[^>]*>(.*?)</ul>', html, re.S)


def soon(days: int) -> date:
    return timezone.localdate() + timedelta(days=days)


def test_admin_creates_a_schedule_with_a_cross_midnight_interval(
    admin_user: User, admin_client: APIClient
) -> None:
    holiday_day = soon(30)
    response = site(admin_user).post(
        ADD,
        editor_data(
            intervals=[(MONDAY, "09:00", MONDAY, "17:00"), (FRIDAY, "22:00", SATURDAY, "06:00")],
            holidays=[
                {
                    "name": "Team offsite",
                    "start_date": holiday_day,
                    "end_date": holiday_day,
                    "start_time": "13:00",
                    "end_time": "",
                }
            ],
        ),
    )
    assert response.status_code == 302, errors_in(response.content.decode())
    assert response["Location"] == "/admin/policies/schedule/"
    schedule = Schedule.objects.get()
    shown = admin_client.get(f"{API}/{schedule.pk}").json()["schedule"]
    assert shown["name"] == "Support desk"
    assert shown["time_zone"] == "Eastern Time (US & Canada)"
    assert shown["iana_time_zone"] == "America/New_York"
    assert shown["intervals"] == [
        {"start_time": 1980, "end_time": 2460},
        {"start_time": 8520, "end_time": 9000},
    ]
    holidays = admin_client.get(f"{API}/{schedule.pk}/holidays").json()["holidays"]
    assert [(h["name"], h["start_date"], h["end_date"], h["start_time"], h["end_time"]) for h in
            holidays] == [("Team offsite", holiday_day.isoformat(), holiday_day.isoformat(),
                           "13:00", None)]  # fmt: skip
    # One revision, and one recompute, for the whole save, as the service promises.
    assert SlaRecompute.objects.filter(revision__isnull=False).count() == 1


def test_admin_edits_intervals_time_zone_and_holidays(
    admin_user: User, admin_client: APIClient
) -> None:
    schedule = services.schedule_create(name="Old", time_zone="Europe/London")
    keep = services.holiday_create(
        schedule_id=schedule.pk, name="Keep", start_date=soon(10), end_date=soon(10)
    )
    edit = services.holiday_create(
        schedule_id=schedule.pk, name="Edit me", start_date=soon(20), end_date=soon(20)
    )
    drop = services.holiday_create(
        schedule_id=schedule.pk, name="Drop", start_date=soon(40), end_date=soon(41)
    )
    client = site(admin_user)
    url = f"/admin/policies/schedule/{schedule.pk}/change/"
    page = client.get(url).content.decode()
    # The stored workweek shows as weekday rows with each interval's length, not its minutes.
    assert len(rows(page, "Interval")) == 5
    assert "1980–2460" not in page
    assert "8 h" in page
    assert 'value="Keep"' in page

    def holiday(h: Holiday, **changes: Any) -> dict[str, Any]:
        row = {
            "id": h.pk,
            "name": h.name,
            "start_date": h.start_date,
            "end_date": h.end_date,
            "start_time": "",
            "end_time": "",
            "DELETE": "",
        }
        return {**row, **changes}

    response = client.post(
        url,
        editor_data(
            name="Night shift",
            time_zone="America/Chicago",
            # Saturday 22:00 to Monday 00:00 wraps the week end (the latest end the API takes).
            intervals=[
                (SATURDAY, "22:00", MONDAY, "00:00"),
                (WEDNESDAY, "10:00", WEDNESDAY, "12:00"),
            ],
            holidays=[
                holiday(keep),
                holiday(edit, name="Edited", end_date=soon(21), start_time="08:30"),
                holiday(drop, DELETE="on"),
                {"name": "New one", "start_date": soon(50), "end_date": soon(50)},
            ],
            initial_intervals=5,
            initial_holidays=3,
            submit="_continue",
        ),
    )
    assert response.status_code == 302, errors_in(response.content.decode())
    assert response["Location"] == url
    shown = admin_client.get(f"{API}/{schedule.pk}.json").json()["schedule"]
    assert shown["name"] == "Night shift"
    assert shown["time_zone"] == "Central Time (US & Canada)"
    assert shown["intervals"] == [
        {"start_time": 4920, "end_time": 5040},
        {"start_time": 9960, "end_time": 11520},
    ]
    holidays = admin_client.get(f"{API}/{schedule.pk}/holidays").json()["holidays"]
    assert [(h["id"], h["name"], h["end_date"], h["start_time"]) for h in holidays] == [
        (keep.pk, "Keep", soon(10).isoformat(), None),
        (edit.pk, "Edited", soon(21).isoformat(), "08:30"),
        (holidays[2]["id"], "New one", soon(50).isoformat(), None),
    ]
    assert not Holiday.objects.filter(pk=drop.pk).exists()
    # Shown again with each interval's length beside it.
    page = client.get(url).content.decode()
    lengths = [re.sub(r"<[^>]+>", " ", row) for row in rows(page, "Interval").values()]
    assert any(" 2 h" in row for row in lengths)
    assert any(" 26 h" in row for row in lengths)


def test_overlapping_intervals_are_rejected_next_to_their_rows(admin_user: User) -> None:
    schedule = services.schedule_create(name="Desk", time_zone="Europe/Paris")
    before = list(schedule.intervals.values_list("start_time", "end_time"))
    runs = SlaRecompute.objects.count()
    response = site(admin_user).post(
        f"/admin/policies/schedule/{schedule.pk}/change/",
        editor_data(
            name="Renamed",
            intervals=[
                (MONDAY, "09:00", MONDAY, "17:00"),
                (FRIDAY, "22:00", SATURDAY, "06:00"),
                (SATURDAY, "05:00", SATURDAY, "09:00"),
                (MONDAY, "10:00", MONDAY, "11:00"),
            ],
            initial_intervals=5,
        )
        # The fourth row was removed on the page: not checked, and still hidden when shown again.
        | {"intervals-3-DELETE": "on"},
    )
    assert response.status_code == 400
    html = response.content.decode()
    assert "Nothing was saved" in html
    found = rows(html, "Interval")
    assert "overlaps" not in found["Interval 1"]
    assert "This interval (Fri 22:00-Sat 06:00) overlaps another interval" in found["Interval 2"]
    assert "overlaps this interval (Sat 05:00-Sat 09:00)" in found["Interval 3"]
    assert 'aria-describedby="intervals-2-errors"' in found["Interval 3"]
    assert "data-row hidden" in found["Interval 4"]
    assert "overlaps" not in found["Interval 4"]
    assert "data-row hidden" not in found["Interval 3"]
    schedule.refresh_from_db()
    assert schedule.name == "Desk"
    assert list(schedule.intervals.values_list("start_time", "end_time")) == before
    assert SlaRecompute.objects.count() == runs


def test_new_schedule_with_errors_writes_nothing(admin_user: User) -> None:
    response = site(admin_user).post(
        ADD,
        editor_data(
            time_zone="Mars/Olympus_Mons",
            intervals=[],
            holidays=[{"name": "Backwards", "start_date": soon(9), "end_date": soon(8)}],
        ),
    )
    assert response.status_code == 400
    html = response.content.decode()
    assert "a workweek needs at least one interval" in html
    assert "Select a valid choice" in html
    assert "End date must be on or after the start date." in rows(html, "Holiday")["Holiday 1"]
    assert not Schedule.objects.exists()
    assert not Holiday.objects.exists()


def test_holiday_outside_the_api_window_is_refused_on_its_row(admin_user: User) -> None:
    schedule = services.schedule_create(name="Desk", time_zone="UTC")
    far = soon(3 * 365)
    response = site(admin_user).post(
        f"/admin/policies/schedule/{schedule.pk}/change/",
        editor_data(
            intervals=[(MONDAY, "09:00", MONDAY, "17:00")],
            holidays=[
                {"name": "Fine", "start_date": soon(1), "end_date": soon(1)},
                {"name": "Too far", "start_date": far, "end_date": far, "end_time": "12:00"},
            ],
        ),
    )
    assert response.status_code == 400
    found = rows(response.content.decode(), "Holiday")
    assert "no later than two years" in found["Holiday 2"]
    assert "two years" not in found["Holiday 1"]
    assert not Holiday.objects.exists()


def test_agent_reads_schedules_but_cannot_change_them(agent_user: User) -> None:
    schedule = services.schedule_create(name="Desk", time_zone="Asia/Tokyo")
    services.holiday_create(
        schedule_id=schedule.pk, name="Golden week", start_date=soon(5), end_date=soon(7)
    )
    client = site(agent_user)
    listing = client.get("/admin/policies/schedule/")
    assert listing.status_code == 200
    assert "Add schedule" not in listing.content.decode()
    url = f"/admin/policies/schedule/{schedule.pk}/change/"
    page = client.get(url)
    assert page.status_code == 200
    html = page.content.decode()
    assert "View schedule" in html
    assert 'value="Golden week"' in html
    assert 'name="_save"' not in html
    assert "data-remove" not in html
    assert "Import holidays" not in html
    assert re.search(r'<input type="text" name="name" value="Desk"[^>]* disabled', html)
    changed = editor_data(name="Hacked", intervals=[(MONDAY, "00:00", MONDAY, "01:00")])
    assert client.post(url, changed).status_code == 403
    assert client.get(ADD).status_code == 403
    assert client.post(ADD, changed).status_code == 403
    delete = f"/admin/policies/schedule/{schedule.pk}/delete/"
    assert client.post(delete, {"post": "yes"}).status_code == 403
    ics = ics_file(all_day("Nope", soon(3)))
    imported = client.post(f"/admin/policies/schedule/{schedule.pk}/import-holidays/", {"ics": ics})
    assert imported.status_code == 403
    schedule.refresh_from_db()
    assert schedule.name == "Desk"
    assert schedule.intervals.count() == 5
    assert schedule.holidays.count() == 1


def test_list_shows_zone_counts_and_the_default(admin_user: User) -> None:
    first = services.schedule_create(name="First desk", time_zone="America/New_York")
    services.holiday_create(schedule_id=first.pk, name="H", start_date=soon(1), end_date=soon(1))
    services.schedule_create(name="Second desk", time_zone="Asia/Kathmandu", intervals=[(0, 60)])
    html = site(admin_user).get("/admin/policies/schedule/").content.decode()
    assert "Eastern Time (US &amp; Canada) (America/New_York)" in html
    first_row = html[html.index("First desk") : html.index("Second desk")]
    second_row = html[html.index("Second desk") :]
    assert re.search(r'field-interval_count">5<', first_row)
    assert re.search(r'field-holiday_count">1<', first_row)
    assert "Default" in first_row
    assert re.search(r'field-interval_count">1<', second_row)
    assert "Default" not in second_row.split("</tr>")[0]


def test_admin_deletes_a_schedule_through_the_service(admin_user: User) -> None:
    schedule = services.schedule_create(name="Gone", time_zone="UTC")
    runs = SlaRecompute.objects.count()
    response = site(admin_user).post(
        f"/admin/policies/schedule/{schedule.pk}/delete/", {"post": "yes"}
    )
    assert response.status_code == 302
    assert not Schedule.objects.exists()
    assert SlaRecompute.objects.count() == runs + 1


# iCal import ------------------------------------------------------------------------------------


def ics_file(*events: str, name: str = "holidays.ics") -> Any:
    from django.core.files.uploadedfile import SimpleUploadedFile

    body = "\r\n".join(
        ["BEGIN:VCALENDAR", "VERSION:2.0", "PRODID:-//slaweb tests//EN", *events, "END:VCALENDAR"]
    )
    return SimpleUploadedFile(name, (body + "\r\n").encode(), content_type="text/calendar")


def all_day(summary: str, first: date, days: int = 1) -> str:
    end = first + timedelta(days=days)
    return "\r\n".join(
        [
            "BEGIN:VEVENT",
            f"UID:{summary}-{first}@example.com",
            f"SUMMARY:{summary}",
            f"DTSTART;VALUE=DATE:{first:%Y%m%d}",
            f"DTEND;VALUE=DATE:{end:%Y%m%d}",
            "END:VEVENT",
        ]
    )


def timed(summary: str, start: str, end: str, tzid: str | None = None) -> str:
    zone = f";TZID={tzid}" if tzid else ""
    return "\r\n".join(
        [
            "BEGIN:VEVENT",
            f"UID:{summary}@example.com",
            f"SUMMARY:{summary}",
            f"DTSTART{zone}:{start}",
            f"DTEND{zone}:{end}",
            "END:VEVENT",
        ]
    )


def import_url(schedule: Schedule) -> str:
    return f"/admin/policies/schedule/{schedule.pk}/import-holidays/"


def holidays_of(schedule: Schedule) -> list[tuple[str, date, date, time | None, time | None]]:
    return list(
        schedule.holidays.order_by("start_date", "name").values_list(
            "name", "start_date", "end_date", "start_time", "end_time"
        )
    )


def test_ical_import_previews_then_adds_whole_multi_day_and_partial_days(
    admin_user: User,
) -> None:
    schedule = services.schedule_create(name="Desk", time_zone="America/New_York")
    day = soon(40)
    client = site(admin_user)
    assert (
        'enctype="multipart/form-data"'
        in client.get(f"/admin/policies/schedule/{schedule.pk}/change/").content.decode()
    )
    stamp = f"{day:%Y%m%d}"
    ics = ics_file(
        all_day("Founders day", day),
        all_day("Winter break", day + timedelta(days=3), days=3),
        # 18:00-22:00 UTC is 13:00-17:00 in New York (or 14:00-18:00 in summer time).
        timed("Afternoon off", f"{stamp}T180000Z", f"{stamp}T220000Z"),
        # Floating times are the schedule's own wall time; ending at midnight means end of day.
        timed("Evening off", f"{stamp}T170000", f"{(day + timedelta(days=1)):%Y%m%d}T000000"),
    )
    preview = client.post(import_url(schedule), {"ics": ics})
    assert preview.status_code == 200
    html = preview.content.decode()
    assert "4 holidays to add, 0 already in this schedule, 0 that cannot be added" in html
    assert not Holiday.objects.exists()
    payload = re.search(r'name="payload" value="([^"]+)"', html)
    assert payload
    done = client.post(import_url(schedule), {"payload": payload.group(1)})
    assert done.status_code == 302
    assert done["Location"] == f"/admin/policies/schedule/{schedule.pk}/change/#holidays"
    afternoon = time(13) if _new_york_offset_hours(day) == -5 else time(14)
    assert holidays_of(schedule) == [
        ("Afternoon off", day, day, afternoon, time(afternoon.hour + 4)),
        ("Evening off", day, day, time(17), None),
        ("Founders day", day, day, None, None),
        ("Winter break", day + timedelta(days=3), day + timedelta(days=5), None, None),
    ]
    # The default schedule changed twice: created, then one import.
    assert SlaRecompute.objects.filter(revision__isnull=False).count() == 2


def _new_york_offset_hours(day: date) -> int:
    from datetime import datetime
    from zoneinfo import ZoneInfo

    moment = datetime(day.year, day.month, day.day, 12, tzinfo=ZoneInfo("America/New_York"))
    offset = moment.utcoffset()
    assert offset is not None
    return int(offset.total_seconds() // 3600)


def test_ical_import_skips_duplicates(admin_user: User) -> None:
    schedule = services.schedule_create(name="Desk", time_zone="Europe/Berlin")
    day = soon(60)
    services.holiday_create(schedule_id=schedule.pk, name="Known", start_date=day, end_date=day)
    client = site(admin_user)
    ics = ics_file(
        all_day("Known", day),
        all_day("Fresh", day + timedelta(days=1)),
        all_day("Fresh", day + timedelta(days=1)),
        all_day("Known", day + timedelta(days=7)),  # same name, other date: not a duplicate
    )
    preview = client.post(import_url(schedule), {"ics": ics})
    html = preview.content.decode()
    assert "2 holidays to add, 2 already in this schedule, 0 that cannot be added" in html
    payload = re.search(r'name="payload" value="([^"]+)"', html)
    assert payload
    # A holiday added between preview and confirmation is not added twice.
    services.holiday_create(
        schedule_id=schedule.pk,
        name="Fresh",
        start_date=day + timedelta(1),
        end_date=day + timedelta(1),
    )
    client.post(import_url(schedule), {"payload": payload.group(1)})
    assert [row[:2] for row in holidays_of(schedule)] == [
        ("Known", day),
        ("Fresh", day + timedelta(days=1)),
        ("Known", day + timedelta(days=7)),
    ]


def test_events_outside_the_window_are_listed_and_left_out(admin_user: User) -> None:
    schedule = services.schedule_create(name="Desk", time_zone="UTC")
    client = site(admin_user)
    ics = ics_file(all_day("Long ago", soon(-3 * 365)), all_day("Soon", soon(3)))
    html = client.post(import_url(schedule), {"ics": ics}).content.decode()
    assert "1 holiday to add, 0 already in this schedule, 1 that cannot be added" in html
    assert "Long ago" in html
    assert "no earlier than two years ago" in html


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"this is not a calendar", "This is not an iCalendar file"),
        (b"", "The file is empty"),
        (b"BEGIN:VCALENDAR\r\nVERSION:2.0\r\nEND:VCALENDAR\r\n", "no events"),
        (b"BEGIN:VCARD\r\nFN:Someone\r\nEND:VCARD\r\n", "has no VCALENDAR"),
    ],
)
def test_bad_files_are_refused_and_nothing_is_written(
    admin_user: User, content: bytes, message: str
) -> None:
    from django.core.files.uploadedfile import SimpleUploadedFile

    schedule = services.schedule_create(name="Desk", time_zone="UTC")
    upload = SimpleUploadedFile("bad.ics", content, content_type="text/calendar")
    response = site(admin_user).post(import_url(schedule), {"ics": upload})
    assert response.status_code == 400
    html = response.content.decode()
    assert message in html
    assert "Nothing was imported" in html
    assert 'name="payload"' not in html
    assert not Holiday.objects.exists()


def test_missing_file_and_altered_preview_are_refused(admin_user: User) -> None:
    schedule = services.schedule_create(name="Desk", time_zone="UTC")
    client = site(admin_user)
    assert client.post(import_url(schedule), {}).status_code == 400
    other = services.schedule_create(name="Other", time_zone="UTC")
    preview = client.post(import_url(other), {"ics": ics_file(all_day("Day", soon(2)))})
    payload = re.search(r'name="payload" value="([^"]+)"', preview.content.decode())
    assert payload
    # A preview made for one schedule cannot be confirmed on another, nor edited.
    assert client.post(import_url(schedule), {"payload": payload.group(1)}).status_code == 400
    token = payload.group(1)
    tampered = token[:-1] + ("A" if token[-1] != "A" else "B")
    assert client.post(import_url(other), {"payload": tampered}).status_code == 400
    assert not Holiday.objects.exists()


def test_recurring_events_become_one_holiday_per_date(admin_user: User) -> None:
    schedule = services.schedule_create(name="Desk", time_zone="Europe/Madrid")
    today = timezone.localdate()
    first = date(today.year + (today.month == 12), today.month % 12 + 1, 1)
    second = date(first.year + (first.month == 12), first.month % 12 + 1, 1)
    event = "\r\n".join(
        [
            "BEGIN:VEVENT",
            "UID:monthly@example.com",
            "SUMMARY:Inventory day",
            f"DTSTART;VALUE=DATE:{first:%Y%m%d}",
            "RRULE:FREQ=MONTHLY;COUNT=4",
            f"EXDATE;VALUE=DATE:{second:%Y%m%d}",
            "END:VEVENT",
        ]
    )
    client = site(admin_user)
    html = client.post(import_url(schedule), {"ics": ics_file(event)}).content.decode()
    assert "3 holidays to add" in html
    payload = re.search(r'name="payload" value="([^"]+)"', html)
    assert payload
    client.post(import_url(schedule), {"payload": payload.group(1)})
    added = holidays_of(schedule)
    starts = [row[1] for row in added]
    assert len(starts) == 3
    assert starts[0] == first
    assert second not in starts
    assert all(start.day == 1 and end == start for _, start, end, _, _ in added)


def test_interval_errors_speak_of_days_and_times_not_minutes(admin_user: User) -> None:
    schedule = services.schedule_create(name="Desk", time_zone="Europe/Paris")
    response = site(admin_user).post(
        f"/admin/policies/schedule/{schedule.pk}/change/",
        editor_data(name="Desk", intervals=[(MONDAY, "09:00", MONDAY, "09:00")]),
    )
    assert response.status_code == 400
    row = rows(response.content.decode(), "Interval")["Interval 1"]
    errors = re.search(r'<ul class="errorlist[^>]*>(.*?)</ul>', row, re.S)
    assert errors is not None
    assert errors[1] == "<li>This interval must end by Monday 00:00 of the next week</li>"

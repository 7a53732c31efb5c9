from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from rest_framework.test import APIClient

from policies import selectors
from policies.models import Holiday, Schedule

pytestmark = pytest.mark.django_db
BASE = "/api/v2/business_hours/schedules"


def create(client: APIClient, **schedule: object) -> dict:
    body = {"schedule": {"name": "Support", "time_zone": "Eastern Time (US & Canada)", **schedule}}
    response = client.post(f"{BASE}.json", body, format="json")
    assert response.status_code == 201, response.json()
    return response.json()["schedule"]


@pytest.mark.parametrize("suffix", ["", ".json"])
def test_schedule_crud_in_both_url_forms(admin_client: APIClient, suffix: str) -> None:
    schedule = create(admin_client)
    assert schedule["time_zone"] == "Eastern Time (US & Canada)"
    assert schedule["iana_time_zone"] == "America/New_York"
    assert schedule["intervals"][0] == {"start_time": 1980, "end_time": 2460}
    assert len(schedule["intervals"]) == 5
    url = f"{BASE}/{schedule['id']}{suffix}"
    assert admin_client.get(url).json()["schedule"]["name"] == "Support"
    listed = admin_client.get(f"{BASE}{suffix}").json()["schedules"]
    assert [s["id"] for s in listed] == [schedule["id"]]
    updated = admin_client.put(
        url, {"schedule": {"name": "Renamed", "time_zone": "London"}}, format="json"
    )
    assert updated.json()["schedule"]["name"] == "Renamed"
    assert updated.json()["schedule"]["iana_time_zone"] == "Europe/London"
    assert len(updated.json()["schedule"]["intervals"]) == 5
    assert admin_client.delete(url).status_code == 204
    assert admin_client.get(url).status_code == 404


def test_iana_names_and_extension_intervals_are_accepted(admin_client: APIClient) -> None:
    overnight = [{"start_time": 7080, "end_time": 7560}, {"start_time": 9960, "end_time": 10440}]
    schedule = create(admin_client, time_zone="Asia/Kathmandu", intervals=overnight)
    assert schedule["time_zone"] == "Kathmandu"
    assert schedule["intervals"] == overnight


@pytest.mark.parametrize("suffix", ["", ".json"])
def test_workweek_replaces_intervals(admin_client: APIClient, suffix: str) -> None:
    schedule = create(admin_client)
    intervals = [{"start_time": 1980, "end_time": 2460}, {"start_time": 3840, "end_time": 4320}]
    response = admin_client.put(
        f"{BASE}/{schedule['id']}/workweek{suffix}",
        {"workweek": {"intervals": intervals}},
        format="json",
    )
    assert response.status_code == 200
    assert response.json() == {"workweek": {"intervals": intervals}}
    assert admin_client.get(f"{BASE}/{schedule['id']}").json()["schedule"]["intervals"] == intervals


@pytest.mark.parametrize(
    "intervals",
    [
        [],
        [{"start_time": 2460, "end_time": 1980}],
        [{"start_time": 1980, "end_time": 1980}],
        [{"start_time": -5, "end_time": 60}],
        [{"start_time": 10080, "end_time": 10200}],
        [{"start_time": 9000, "end_time": 11600}],
        [{"start_time": 1980, "end_time": 2460}, {"start_time": 2400, "end_time": 2500}],
        [{"start_time": 9960, "end_time": 10440}, {"start_time": 100, "end_time": 200}],
        [{"start_time": "nine", "end_time": 2460}],
        [{"start_time": 1980}],
        "weekdays",
    ],
)
def test_bad_workweeks_are_422_and_change_nothing(
    admin_client: APIClient, intervals: object
) -> None:
    schedule = create(admin_client)
    response = admin_client.put(
        f"{BASE}/{schedule['id']}/workweek", {"workweek": {"intervals": intervals}}, format="json"
    )
    assert response.status_code == 422
    assert response.json()["error"] == "RecordInvalid"
    assert "intervals" in response.json()["details"]
    assert len(admin_client.get(f"{BASE}/{schedule['id']}").json()["schedule"]["intervals"]) == 5


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"time_zone": "UTC"}, "name"),
        ({"name": "S"}, "time_zone"),
        ({"name": "S", "time_zone": "Atlantis/Capital"}, "time_zone"),
        ({"name": "", "time_zone": "UTC"}, "name"),
        (
            {"name": "S", "time_zone": "UTC", "intervals": [{"start_time": 5, "end_time": 1}]},
            "intervals",
        ),
    ],
)
def test_bad_schedules_are_422(admin_client: APIClient, body: dict, field: str) -> None:
    response = admin_client.post(BASE, {"schedule": body}, format="json")
    assert response.status_code == 422
    assert field in response.json()["details"]
    assert not Schedule.objects.exists()


def holiday_url(schedule_id: int, holiday_id: int | None = None) -> str:
    url = f"{BASE}/{schedule_id}/holidays"
    return f"{url}/{holiday_id}.json" if holiday_id else f"{url}.json"


def test_holiday_crud_whole_and_partial_days(admin_client: APIClient) -> None:
    schedule = create(admin_client)
    today = datetime.now(UTC).date()
    start = (today + timedelta(days=30)).isoformat()
    body = {"holiday": {"name": "Founders day", "start_date": start, "end_date": start}}
    response = admin_client.post(holiday_url(schedule["id"]), body, format="json")
    assert response.status_code == 201
    holiday = response.json()["holiday"]
    assert holiday["start_time"] is None
    assert holiday["url"].endswith(f"/holidays/{holiday['id']}.json")
    assert response["Location"] == holiday["url"]
    partial = {
        "holiday": {
            "name": "Christmas Eve afternoon",
            "start_date": start,
            "end_date": start,
            "start_time": "13:00",
            "end_time": "17:00",
        }
    }
    second = admin_client.post(holiday_url(schedule["id"]), partial, format="json").json()[
        "holiday"
    ]
    assert (second["start_time"], second["end_time"]) == ("13:00", "17:00")
    listed = admin_client.get(holiday_url(schedule["id"])).json()["holidays"]
    assert {h["name"] for h in listed} == {"Founders day", "Christmas Eve afternoon"}
    renamed = admin_client.put(
        holiday_url(schedule["id"], holiday["id"]), {"holiday": {"name": "Renamed"}}, format="json"
    )
    assert renamed.json()["holiday"]["name"] == "Renamed"
    assert admin_client.delete(holiday_url(schedule["id"], holiday["id"])).status_code == 204
    assert Holiday.objects.count() == 1


def test_holidays_filter_by_overlap(admin_client: APIClient) -> None:
    schedule = create(admin_client)
    today = datetime.now(UTC).date()
    for offset, name in [(10, "early"), (40, "late")]:
        day = (today + timedelta(days=offset)).isoformat()
        admin_client.post(
            holiday_url(schedule["id"]),
            {"holiday": {"name": name, "start_date": day, "end_date": day}},
            format="json",
        )
    since = (today + timedelta(days=20)).isoformat()
    listed = admin_client.get(f"{BASE}/{schedule['id']}/holidays?start_date={since}").json()
    assert [h["name"] for h in listed["holidays"]] == ["late"]
    assert admin_client.get(f"{BASE}/{schedule['id']}/holidays?start_date=soon").status_code == 400


def _days(n: int) -> str:
    return (datetime.now(UTC).date() + timedelta(days=n)).isoformat()


@pytest.mark.parametrize(
    ("holiday", "field"),
    [
        ({"start_date": _days(1), "end_date": _days(1)}, "name"),
        ({"name": "h", "end_date": _days(1)}, "start_date"),
        ({"name": "h", "start_date": _days(3), "end_date": _days(1)}, "end_date"),
        ({"name": "h", "start_date": _days(-800), "end_date": _days(-799)}, "start_date"),
        ({"name": "h", "start_date": _days(1), "end_date": _days(800)}, "end_date"),
        ({"name": "h", "start_date": "2026-02-30", "end_date": _days(1)}, "start_date"),
        (
            {
                "name": "h",
                "start_date": _days(1),
                "end_date": _days(1),
                "start_time": "17:00",
                "end_time": "09:00",
            },
            "end_time",
        ),
        (
            {"name": "h", "start_date": _days(1), "end_date": _days(1), "start_time": "25:00"},
            "start_time",
        ),
    ],
)
def test_bad_holidays_are_422(admin_client: APIClient, holiday: dict, field: str) -> None:
    schedule = create(admin_client)
    response = admin_client.post(holiday_url(schedule["id"]), {"holiday": holiday}, format="json")
    assert response.status_code == 422
    assert field in response.json()["details"]
    assert not Holiday.objects.exists()


def test_holiday_of_another_schedule_is_404(admin_client: APIClient) -> None:
    first, second = create(admin_client), create(admin_client, name="Other")
    day = _days(5)
    holiday = admin_client.post(
        holiday_url(first["id"]),
        {"holiday": {"name": "h", "start_date": day, "end_date": day}},
        format="json",
    ).json()["holiday"]
    assert admin_client.get(holiday_url(second["id"], holiday["id"])).status_code == 404


@pytest.mark.parametrize(
    ("method", "path", "agent_status"),
    [
        ("get", BASE, 200),
        ("get", BASE + "/{id}", 200),
        ("get", BASE + "/{id}/holidays", 200),
        ("post", BASE, 403),
        ("put", BASE + "/{id}", 403),
        ("put", BASE + "/{id}/workweek", 403),
        ("delete", BASE + "/{id}", 403),
        ("post", BASE + "/{id}/holidays", 403),
    ],
)
def test_agents_read_and_admins_write(
    admin_client: APIClient, client_for, method: str, path: str, agent_status: int
) -> None:
    schedule = create(admin_client)
    url = path.format(id=schedule["id"])
    assert getattr(client_for("agent"), method)(url, {}, format="json").status_code == agent_status
    assert getattr(client_for("end-user"), method)(url, {}, format="json").status_code == 403
    assert getattr(client_for("anonymous"), method)(url, {}, format="json").status_code == 401


def test_default_schedule_is_the_first_and_feeds_the_engine(admin_client: APIClient) -> None:
    assert selectors.default_schedule() is None
    first = create(admin_client)
    create(admin_client, name="Second", time_zone="UTC")
    default = selectors.default_schedule()
    assert default is not None
    assert default.pk == first["id"]
    today = datetime.now(UTC).date()
    friday = today + timedelta(days=7 + (4 - today.weekday()) % 7)
    monday = friday + timedelta(days=3)
    admin_client.post(
        holiday_url(first["id"]),
        {
            "holiday": {
                "name": "Mon",
                "start_date": monday.isoformat(),
                "end_date": monday.isoformat(),
            }
        },
        format="json",
    )
    engine = selectors.schedule_for_engine(selectors.default_schedule())
    # Friday 16:00 New York + 2 business hours, with Monday a holiday -> Tuesday 10:00.
    zone = ZoneInfo("America/New_York")
    start = datetime.combine(friday, time(16, 0), zone)
    tuesday_ten = datetime.combine(monday + timedelta(days=1), time(10, 0), zone)
    assert engine.add(start, 2 * 3600) == tuesday_ten

"""The Schedules API as Zendesk scripts call it: raw HTTP with `{email}/token:{token}`, in both
URL forms, against a live server."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import requests

from tests.clients.conftest import Account

pytestmark = pytest.mark.clients


@pytest.mark.parametrize("suffix", ["", ".json"])
def test_schedule_lifecycle_over_http(server_url: str, account: Account, suffix: str) -> None:
    http = requests.Session()
    http.auth = (f"{account.email}/token", account.token)
    http.headers["Content-Type"] = "application/json"
    base = f"{server_url}/api/v2/business_hours/schedules"

    created = http.post(
        f"{base}{suffix}",
        json={"schedule": {"name": "East Coast", "time_zone": "Eastern Time (US & Canada)"}},
        timeout=10,
    )
    assert created.status_code == 201
    assert created.headers["Content-Type"] == "application/json"
    schedule = created.json()["schedule"]
    assert schedule["time_zone"] == "Eastern Time (US & Canada)"

    workweek = {"workweek": {"intervals": [{"start_time": 1980, "end_time": 2460}]}}
    answer = http.put(f"{base}/{schedule['id']}/workweek{suffix}", json=workweek, timeout=10)
    assert answer.json() == workweek

    day = (datetime.now(UTC).date() + timedelta(days=10)).isoformat()
    holiday = http.post(
        f"{base}/{schedule['id']}/holidays{suffix}",
        json={"holiday": {"name": "Day off", "start_date": day, "end_date": day}},
        timeout=10,
    )
    assert holiday.status_code == 201
    listed = http.get(f"{base}/{schedule['id']}/holidays{suffix}", timeout=10).json()
    assert [h["name"] for h in listed["holidays"]] == ["Day off"]

    bad = http.put(
        f"{base}/{schedule['id']}/workweek{suffix}",
        json={"workweek": {"intervals": [{"start_time": 2460, "end_time": 1980}]}},
        timeout=10,
    )
    assert bad.status_code == 422
    assert bad.json()["error"] == "RecordInvalid"

    assert http.delete(f"{base}/{schedule['id']}{suffix}", timeout=10).status_code == 204
    missing = http.get(f"{base}/{schedule['id']}{suffix}", timeout=10)
    assert missing.status_code == 404
    assert missing.json() == {"error": "RecordNotFound", "description": "Not found"}

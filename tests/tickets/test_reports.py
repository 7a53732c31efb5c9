"""SLA reports: the selector against hand-computed numbers, the API (JSON and CSV), its
parameters and permissions, and the constant query count."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from rest_framework.test import APIClient

from policies.models import Policy
from tests.factories import GroupFactory, TicketFactory, UserFactory, make_policy
from tickets.api.reports import SlaReportRowSerializer
from tickets.models import Ticket, TicketSlaTarget
from tickets.reports import Filters, figure_names, percentile, sla_report

NY = ZoneInfo("America/New_York")
# 2026-11-01 is a Sunday, and the day US clocks go back: it has 25 hours in New York.
START = datetime(2026, 11, 1, tzinfo=NY)  # 04:00Z
END = datetime(2026, 11, 4, tzinfo=NY)  # 05:00Z
NOW = datetime(2026, 11, 10, tzinfo=UTC)


def ny(day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2026, 11, day, hour, minute, tzinfo=NY)


def _target(ticket: Ticket, metric: str, policy: Policy | None, **fields: Any) -> None:
    fields.setdefault("instance_id", 1)
    fields.setdefault("target_seconds", 3600)
    fields.setdefault("activated_at", START)
    fields.setdefault("stage", "achieved" if fields.get("fulfilled_at") else "active")
    TicketSlaTarget.objects.create(ticket=ticket, metric=metric, policy=policy, **fields)


@pytest.fixture
def dataset(db: None) -> dict[str, Any]:
    return build_dataset()


def build_dataset() -> dict[str, Any]:
    """Thirteen rows; the numbers each test expects are worked out by hand in its comments."""
    gold = make_policy("Gold")
    silver = make_policy("Silver")
    gone = make_policy("Gone")
    alpha = GroupFactory(name="Alpha")
    t1 = TicketFactory(priority="urgent", group=alpha, status="open", now=START)
    t2 = TicketFactory(priority="normal", status="open", now=START)
    t3 = TicketFactory(priority="high", group=alpha, status="open", now=START)
    # 1: achieved on Nov 1.
    _target(
        t1,
        "first_reply_time",
        gold,
        fulfilled_at=ny(1, 10),
        elapsed_calendar_seconds=600,
        elapsed_business_seconds=300,
    )
    # 2: breached on Nov 2 01:30, fulfilled later: breached, counted on Nov 2.
    _target(
        t1,
        "total_resolution_time",
        gold,
        fulfilled_at=ny(2, 9),
        breached=True,
        breached_at=ny(2, 1, 30),
        breach_at=ny(2, 1, 30),
        elapsed_calendar_seconds=9000,
        elapsed_business_seconds=4000,
    )
    # 3: achieved on Nov 1 23:30 New York time, which is Nov 2 in UTC.
    _target(
        t2,
        "first_reply_time",
        silver,
        fulfilled_at=ny(1, 23, 30),
        elapsed_calendar_seconds=1200,
        elapsed_business_seconds=1200,
    )
    # 4: breached and still running.
    _target(
        t2,
        "next_reply_time",
        silver,
        instance_id=2,
        breached=True,
        breached_at=ny(3, 12),
        breach_at=ny(3, 12),
        activated_at=ny(3, 10),
    )
    # 5, 6: achieved on Nov 3.
    _target(
        t3,
        "first_reply_time",
        gold,
        fulfilled_at=ny(3, 8),
        elapsed_calendar_seconds=3000,
        elapsed_business_seconds=1800,
    )
    _target(
        t3,
        "next_reply_time",
        gold,
        instance_id=2,
        fulfilled_at=ny(3, 9),
        elapsed_calendar_seconds=60,
        elapsed_business_seconds=60,
    )
    # 7: running, deadline far ahead: in progress, counted on its activation (Nov 2).
    _target(
        t3,
        "total_resolution_time",
        gold,
        activated_at=ny(2, 10),
        breach_at=datetime(2099, 1, 1, tzinfo=UTC),
    )
    # 8: running past its deadline (Nov 3 20:00, Nov 4 01:00Z) and not recorded yet: breached.
    _target(t2, "requester_wait_time", silver, activated_at=ny(2, 20), breach_at=ny(3, 20))
    # 9: achieved just before the period (Oct 31 23:00 EDT).
    _target(
        t1,
        "next_reply_time",
        gold,
        instance_id=2,
        fulfilled_at=datetime(2026, 10, 31, 23, tzinfo=NY),
        elapsed_calendar_seconds=5,
        elapsed_business_seconds=5,
    )
    # 10: achieved exactly at the period's end: outside.
    _target(t3, "agent_work_time", silver, fulfilled_at=END)
    # 11: achieved under a policy deleted since; not a reply or resolution metric.
    _target(t1, "periodic_update_time", gone, fulfilled_at=ny(2, 12))
    # 12: achieved on Nov 2.
    _target(
        t2,
        "total_resolution_time",
        silver,
        fulfilled_at=ny(2, 12),
        elapsed_calendar_seconds=7200,
        elapsed_business_seconds=3600,
    )
    # 13: paused: in progress, counted on its activation (Nov 1).
    _target(t2, "agent_work_time", silver, stage="paused", activated_at=ny(1, 12))
    gone.delete()
    return {"gold": gold, "silver": silver, "alpha": alpha}


def figures(row: Any) -> tuple[Any, ...]:
    d = row.durations
    return (
        row.achieved,
        row.breached,
        row.in_progress,
        row.achieved_percent,
        d["reply_median_seconds"],
        d["reply_p90_seconds"],
        d["reply_business_median_seconds"],
        d["reply_business_p90_seconds"],
        d["resolution_median_seconds"],
        d["resolution_p90_seconds"],
        d["resolution_business_median_seconds"],
        d["resolution_business_p90_seconds"],
    )


NONE4 = (None, None, None, None)
# Rows 1, 3, 5, 6 give reply times 600, 1200, 3000, 60 (business 300, 1200, 1800, 60); rows 2
# and 12 resolution times 9000, 7200 (business 4000, 3600). percentile_cont: position p(n-1).
# Reply: sorted 60 600 1200 3000: median 900, p90 at 2.7: 1200 + 0.7 * 1800 = 2460.
# Business 60 300 1200 1800: median 750, p90 1200 + 0.7 * 600 = 1620.
# Resolution 7200 9000: median 8100, p90 7200 + 0.9 * 1800 = 8820; business 3800, 3960.
TOTAL = (6, 3, 2, 66.67, 900.0, 2460.0, 750.0, 1620.0, 8100.0, 8820.0, 3800.0, 3960.0)


def test_percentile_interpolates_as_percentile_cont() -> None:
    assert percentile([], 0.5) is None
    assert percentile([7], 0.9) == 7
    assert percentile([1, 2, 3, 4], 0.5) == 2.5
    assert percentile([10, 20, 30, 40, 50, 60, 70, 80, 90, 100, 110], 0.9) == 100
    assert percentile([0, 100], 0.9) == 90


def test_totals(dataset: dict[str, Any]) -> None:
    report = sla_report(start=START, end=END, now=NOW, time_zone="America/New_York")
    assert figures(report.total) == TOTAL


def test_by_policy(dataset: dict[str, Any]) -> None:
    report = sla_report(start=START, end=END, now=NOW, group_by="policy")
    assert [(r.key, r.label) for r in report.groups] == [
        (dataset["gold"].pk, "Gold"),
        (dataset["silver"].pk, "Silver"),
        (None, "(deleted policy)"),
    ]
    gold, silver, gone = (figures(r) for r in report.groups)
    # Gold: rows 1, 5, 6 achieved, 2 breached, 7 in progress. Reply 60 600 3000: median 600,
    # p90 at 1.8: 600 + 0.8 * 2400 = 2520; business 60 300 1800: 300, 300 + 0.8 * 1500 = 1500.
    assert gold == (3, 1, 1, 75.0, 600.0, 2520.0, 300.0, 1500.0, 9000.0, 9000.0, 4000.0, 4000.0)
    # Silver: rows 3, 12 achieved, 4 and 8 breached, 13 in progress.
    assert silver == (2, 2, 1, 50.0, 1200.0, 1200.0, 1200.0, 1200.0, 7200.0, 7200.0, 3600.0, 3600.0)
    assert gone == (1, 0, 0, 100.0, *NONE4, *NONE4)


def test_by_metric(dataset: dict[str, Any]) -> None:
    report = sla_report(start=START, end=END, now=NOW, group_by="metric")
    rows = {r.key: figures(r) for r in report.groups}
    assert list(rows) == [
        "agent_work_time",
        "first_reply_time",
        "next_reply_time",
        "periodic_update_time",
        "requester_wait_time",
        "total_resolution_time",
    ]
    assert rows["agent_work_time"] == (0, 0, 1, None, *NONE4, *NONE4)
    # Reply 600 1200 3000: median 1200, p90 1200 + 0.8 * 1800 = 2640; business 300 1200 1800.
    assert rows["first_reply_time"] == (3, 0, 0, 100.0, 1200.0, 2640.0, 1200.0, 1680.0, *NONE4)
    assert rows["next_reply_time"] == (1, 1, 0, 50.0, 60.0, 60.0, 60.0, 60.0, *NONE4)
    assert rows["periodic_update_time"] == (1, 0, 0, 100.0, *NONE4, *NONE4)
    assert rows["requester_wait_time"] == (0, 1, 0, 0.0, *NONE4, *NONE4)
    assert rows["total_resolution_time"] == (1, 1, 1, 50.0, *NONE4, *TOTAL[8:])


def test_by_priority(dataset: dict[str, Any]) -> None:
    report = sla_report(start=START, end=END, now=NOW, group_by="priority")
    rows = [
        (r.key, r.achieved, r.breached, r.in_progress, r.achieved_percent) for r in report.groups
    ]
    assert rows == [
        ("urgent", 2, 1, 0, 66.67),  # rows 1, 11 / 2
        ("high", 2, 0, 1, 100.0),  # rows 5, 6 / 7 in progress
        ("normal", 2, 2, 1, 50.0),  # rows 3, 12 / 4, 8 / 13 in progress
    ]
    # High: reply 3000 and 60 (business 1800 and 60), as on Nov 3 below.
    assert figures(report.groups[1])[4:8] == (1530.0, 2706.0, 930.0, 1626.0)


def test_by_group(dataset: dict[str, Any]) -> None:
    report = sla_report(start=START, end=END, now=NOW, group_by="group")
    rows = [
        (r.key, r.label, r.achieved, r.breached, r.in_progress, r.achieved_percent)
        for r in report.groups
    ]
    assert rows == [
        (dataset["alpha"].pk, "Alpha", 4, 1, 1, 80.0),
        (None, "(no group)", 2, 2, 1, 50.0),
    ]


def test_daily_series_in_new_york(dataset: dict[str, Any]) -> None:
    report = sla_report(start=START, end=END, now=NOW, time_zone="America/New_York")
    assert [r.key for r in report.series] == ["2026-11-01", "2026-11-02", "2026-11-03"]
    nov1, nov2, nov3 = (figures(r) for r in report.series)
    # Nov 1: rows 1 and 3 (23:30 local) achieved, 13 in progress. Reply 600 1200: median 900,
    # p90 600 + 0.9 * 600 = 1140; business 300 1200: 750, 300 + 0.9 * 900 = 1110.
    assert nov1 == (2, 0, 1, 100.0, 900.0, 1140.0, 750.0, 1110.0, *NONE4)
    # Nov 2: rows 11, 12 achieved, 2 breached, 7 in progress; resolution 7200 and 9000.
    assert nov2 == (2, 1, 1, 66.67, *NONE4, *TOTAL[8:])
    # Nov 3: rows 5, 6 achieved, 4 and 8 (20:00 local) breached. Reply 60 3000: median 1530,
    # p90 60 + 0.9 * 2940 = 2706; business 60 1800: 930, 60 + 0.9 * 1740 = 1626.
    assert nov3 == (2, 2, 0, 50.0, 1530.0, 2706.0, 930.0, 1626.0, *NONE4)


def test_daily_series_in_utc_moves_late_evening_rows(dataset: dict[str, Any]) -> None:
    report = sla_report(start=START, end=END, now=NOW, time_zone="UTC")
    rows = [(r.key, r.achieved, r.breached, r.in_progress) for r in report.series]
    assert rows == [
        ("2026-11-01", 1, 0, 1),  # rows 1 / 13
        ("2026-11-02", 3, 1, 1),  # rows 3, 11, 12 / 2 / 7
        ("2026-11-03", 2, 1, 0),  # rows 5, 6 / 4
        ("2026-11-04", 0, 1, 0),  # row 8 (01:00Z)
    ]


def test_weekly_series_starts_on_monday(dataset: dict[str, Any]) -> None:
    report = sla_report(
        start=START, end=END, now=NOW, time_zone="America/New_York", interval="week"
    )
    assert [r.key for r in report.series] == ["2026-10-26", "2026-11-02"]
    first, second = (figures(r) for r in report.series)
    assert first == figures(
        sla_report(start=START, end=END, now=NOW, time_zone="America/New_York").series[0]
    )
    # Nov 2 and 3 together. Reply 60 3000 as on Nov 3; resolution as on Nov 2.
    assert second == (4, 3, 1, 57.14, 1530.0, 2706.0, 930.0, 1626.0, *TOTAL[8:])


def test_empty_periods_are_listed(dataset: dict[str, Any]) -> None:
    report = sla_report(
        start=START, end=START + timedelta(days=10), now=NOW, time_zone="America/New_York"
    )
    assert len(report.series) == 10
    assert figures(report.series[5]) == (0, 0, 0, None, *NONE4, *NONE4)


def test_overdue_running_target_is_in_progress_before_its_deadline(
    dataset: dict[str, Any],
) -> None:
    # Row 8's deadline is Nov 4 01:00Z; half an hour before it, it is still in progress.
    before = datetime(2026, 11, 4, 0, 30, tzinfo=UTC)
    report = sla_report(start=START, end=END, now=before)
    assert (report.total.achieved, report.total.breached, report.total.in_progress) == (6, 2, 3)


def test_filters(dataset: dict[str, Any]) -> None:
    def total(**kwargs: Any) -> tuple[int, int, int]:
        row = sla_report(start=START, end=END, now=NOW, filters=Filters(**kwargs)).total
        return row.achieved, row.breached, row.in_progress

    assert total(policy_id=dataset["gold"].pk) == (3, 1, 1)
    assert total(metric="first_reply_time") == (3, 0, 0)
    assert total(priority="normal") == (2, 2, 1)
    assert total(group_id=dataset["alpha"].pk) == (4, 1, 1)
    assert total(group_id=dataset["alpha"].pk, metric="total_resolution_time") == (0, 1, 1)
    assert total(policy_id=999_999) == (0, 0, 0)


def test_selector_refuses_bad_arguments(db: None) -> None:
    with pytest.raises(ValueError, match="group_by"):
        sla_report(start=START, end=END, now=NOW, group_by="ticket")
    with pytest.raises(ValueError, match="interval"):
        sla_report(start=START, end=END, now=NOW, interval="month")
    with pytest.raises(ValueError, match="before"):
        sla_report(start=END, end=START, now=NOW)


def _queries(**kwargs: Any) -> int:
    with CaptureQueriesContext(connection) as queries:
        sla_report(start=START, end=END, now=NOW, **kwargs)
    return len(queries)


@pytest.mark.parametrize("group_by", ["policy", "metric", "priority", "group"])
def test_query_count_does_not_grow_with_data(dataset: dict[str, Any], group_by: str) -> None:
    small = _queries(group_by=group_by, time_zone="America/New_York", interval="week")
    # The report itself, the titles (by policy and by group), BEGIN and COMMIT, and on
    # PostgreSQL the transaction's settings.
    titles = 1 if group_by in ("policy", "group") else 0
    transaction = 3 if connection.vendor == "postgresql" else 2
    assert small == 1 + titles + transaction
    policies = [make_policy(f"More {n}") for n in range(3)]
    for n in range(30):
        ticket = TicketFactory(
            priority=["low", "normal", "high", "urgent"][n % 4],
            group=GroupFactory(),
            status="open",
            now=START,
        )
        for instance in range(1, 4):
            _target(
                ticket,
                "next_reply_time",
                policies[n % 3],
                instance_id=instance,
                fulfilled_at=ny(1 + n % 3, 12),
                breached=n % 2 == 0,
                breached_at=ny(1 + n % 3, 11),
                elapsed_calendar_seconds=n * 10,
            )
    assert _queries(group_by=group_by, time_zone="America/New_York", interval="week") == small


# The API ---------------------------------------------------------------------------------------

BASE = "/api/v2/slas/reports"
PERIOD = {"start_time": START.isoformat(), "end_time": END.isoformat()}


def _csv_rows(content: bytes) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(content.decode())))


def _json_cells(report: dict[str, Any]) -> list[dict[str, str]]:
    """The JSON rows as the CSV writes them: sections first, None as an empty cell."""
    sections = [("total", report["total"])]
    sections += [(report["group_by"], row) for row in report["groups"]]
    sections += [(report["interval"], row) for row in report["series"]]
    return [
        {"section": section, **{k: "" if v is None else str(v) for k, v in row.items()}}
        for section, row in sections
    ]


def test_row_serializer_matches_the_figures() -> None:
    assert list(SlaReportRowSerializer().fields) == figure_names()


@time_machine.travel(NOW, tick=False)
@pytest.mark.parametrize("role", ["agent", "admin"])
def test_api_answers_agents_and_admins(dataset: dict[str, Any], client_for: Any, role: str) -> None:
    params = {**PERIOD, "group_by": "priority", "time_zone": "America/New_York"}
    response = client_for(role).get(f"{BASE}.json", params)
    assert response.status_code == 200, response.content
    report = response.json()["report"]
    assert report["start_time"] == "2026-11-01T04:00:00Z"
    assert report["end_time"] == "2026-11-04T05:00:00Z"
    assert report["time_zone"] == "America/New_York"
    assert report["group_by"] == "priority"
    assert report["interval"] == "day"
    total = report["total"]
    assert (total["achieved"], total["breached"], total["in_progress"]) == (6, 3, 2)
    assert total["achieved_percent"] == 66.67
    assert total["reply_p90_seconds"] == 2460.0
    assert [g["key"] for g in report["groups"]] == ["urgent", "high", "normal"]
    assert [s["key"] for s in report["series"]] == ["2026-11-01", "2026-11-02", "2026-11-03"]
    assert client_for(role).get(BASE, params).json() == response.json()


@time_machine.travel(NOW, tick=False)
@pytest.mark.parametrize("group_by", ["policy", "metric", "priority", "group"])
def test_csv_has_the_json_numbers(
    dataset: dict[str, Any], agent_client: APIClient, group_by: str
) -> None:
    params = {**PERIOD, "group_by": group_by, "interval": "week", "time_zone": "EST5EDT"}
    report = agent_client.get(BASE, params).json()["report"]
    by_param = agent_client.get(BASE, {**params, "format": "csv"})
    by_suffix = agent_client.get(f"{BASE}.csv", params)
    for response in (by_param, by_suffix):
        assert response.status_code == 200
        assert response["Content-Type"] == "text/csv; charset=utf-8"
        assert response["Content-Disposition"].startswith('attachment; filename="sla-report-')
        assert _csv_rows(response.content) == _json_cells(report)
    header = by_param.content.decode().splitlines()[0]
    assert header == ",".join(["section", *figure_names()])


@time_machine.travel(NOW, tick=False)
def test_api_filters_and_unix_times(dataset: dict[str, Any], agent_client: APIClient) -> None:
    params = {
        "start_time": str(int(START.timestamp())),
        "end_time": str(int(END.timestamp())),
        "policy_id": str(dataset["gold"].pk),
        "metric": "first_reply_time",
    }
    report = agent_client.get(BASE, params).json()["report"]
    assert report["filters"] == {
        "kind": "sla",
        "policy_id": dataset["gold"].pk,
        "group_sla_policy_id": None,
        "metric": "first_reply_time",
        "priority": None,
        "group_id": None,
    }
    # Rows 1 and 5: reply 600 and 3000.
    assert (report["total"]["achieved"], report["total"]["reply_median_seconds"]) == (2, 1800.0)


@time_machine.travel(NOW, tick=False)
def test_api_defaults_to_the_last_30_days_in_the_users_zone(db: None) -> None:
    from tests.conftest import token_client

    client = token_client(UserFactory(role="agent", time_zone="Europe/Berlin"))
    report = client.get(BASE).json()["report"]
    assert report["end_time"] == "2026-11-10T00:00:00Z"
    assert report["start_time"] == "2026-10-11T00:00:00Z"
    assert report["time_zone"] == "Europe/Berlin"
    assert report["group_by"] == "policy"
    # 31 local days: Oct 11 (from 02:00 local) to Nov 10 (01:00 local).
    assert len(report["series"]) == 31
    assert report["total"] == {
        **dict.fromkeys(figure_names()),
        "label": "All targets",
        "achieved": 0,
        "breached": 0,
        "in_progress": 0,
    }


@pytest.mark.parametrize(
    ("role", "status"), [("end-user", 403), ("anonymous", 401), ("bad-token", 401)]
)
def test_api_refuses_others(client_for: Any, role: str, status: int) -> None:
    for path in (BASE, f"{BASE}.json", f"{BASE}.csv", f"{BASE}?format=csv"):
        response = client_for(role).get(path)
        assert response.status_code == status
        assert response["Content-Type"] == "application/json"


def test_api_is_read_only(admin_client: APIClient) -> None:
    assert admin_client.post(BASE, {}, format="json").status_code == 405


BAD_PARAMS = [
    {"start_time": "yesterday"},
    {"start_time": "2026-13-01"},
    {"start_time": "-5"},
    {"end_time": "999999999999"},
    {"start_time": "0001-01-01T00:00:00+14:00"},
    {"end_time": "9999-12-31T23:59:59-12:00"},
    {"start_time": "2026-11-02", "end_time": "2026-11-01"},
    {"start_time": "2026-11-01", "end_time": "2026-11-01"},
    {"start_time": "2020-01-01", "end_time": "2026-01-01"},
    {"group_by": "ticket"},
    {"group_by": "POLICY"},
    {"interval": "month"},
    {"metric": "reply_time"},
    {"priority": "critical"},
    {"policy_id": "abc"},
    {"policy_id": "0"},
    {"policy_id": "-1"},
    {"policy_id": "99999999999999999999"},
    {"group_id": "1.5"},
    {"group_id": "١"},
    {"time_zone": "Mars/Olympus"},
    {"time_zone": "../etc/passwd"},
    {"format": "xml"},
]


@pytest.mark.parametrize("params", BAD_PARAMS)
def test_bad_parameters_are_400(agent_client: APIClient, params: dict[str, str]) -> None:
    for path in (BASE, f"{BASE}.csv"):
        response = agent_client.get(path, params)
        assert response.status_code == 400, (params, response.content)
        body = response.json()
        assert body["error"] == "InvalidValue"
        assert isinstance(body["description"], str)
        assert body["description"]


def test_a_nul_in_a_parameter_is_400_before_the_report_reads_it(agent_client: APIClient) -> None:
    for path in (BASE, f"{BASE}.csv"):
        response = agent_client.get(path, {"start_time": "2026-11-01\x00"})
        assert response.status_code == 400, response.content
        assert response.json()["error"] == "BadRequest"


PARAM_NAMES = [
    "start_time",
    "end_time",
    "group_by",
    "interval",
    "policy_id",
    "metric",
    "priority",
    "group_id",
    "time_zone",
    "format",
]


@settings(max_examples=60, deadline=None, suppress_health_check=list(HealthCheck))
@given(st.dictionaries(st.sampled_from(PARAM_NAMES), st.text(max_size=30), max_size=4))
def test_no_parameter_makes_a_500(agent_client: APIClient, params: dict[str, str]) -> None:
    response = agent_client.get(BASE, params)
    assert response.status_code in (200, 400), (params, response.content)


# The dashboard (server side; tests/browser/test_reports_page.py drives it in a browser) -------


def test_dashboard_renders_the_report_for_agents(dataset: dict[str, Any], client: Any) -> None:
    client.force_login(UserFactory(role="agent", time_zone="America/New_York"))
    response = client.get(
        "/admin/reports/", {"start": "2026-11-01", "end": "2026-11-03", "group_by": "priority"}
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert '<data value="66.67" data-figure="achieved_percent">66.67%</data>' in html
    assert [row["label"] for row in response.context["groups"]] == ["Urgent", "High", "Normal"]
    assert [row["key"] for row in response.context["series"]] == [
        "2026-11-01",
        "2026-11-02",
        "2026-11-03",
    ]
    # The CSV link asks the API for the same local days.
    assert response.context["csv_url"] == (
        "/api/v2/slas/reports.csv?start_time=2026-11-01T00%3A00%3A00-04%3A00"
        "&end_time=2026-11-04T00%3A00%3A00-05%3A00&time_zone=America%2FNew_York"
        "&group_by=priority&interval=day"
    )


def test_dashboard_reports_form_errors(db: None, client: Any) -> None:
    client.force_login(UserFactory(role="admin"))
    response = client.get("/admin/reports/", {"start": "2026-11-05", "end": "2026-11-01"})
    assert response.status_code == 200
    assert response.context["report"] is None
    assert "The period must end on or after its first day." in response.content.decode()
    response = client.get("/admin/reports/", {"group_by": "ticket", "start": "yesterday"})
    assert response.context["report"] is None
    assert set(response.context["form"].errors) == {"group_by", "start"}


def test_dashboard_needs_a_staff_sign_in(db: None, client: Any) -> None:
    response = client.get("/admin/reports/")
    assert response.status_code == 302
    assert response["Location"].startswith("/admin/login/")
    client.force_login(UserFactory(role="end-user"))
    assert client.get("/admin/reports/").status_code == 302


def test_admin_home_links_to_the_dashboard(db: None, client: Any) -> None:
    client.force_login(UserFactory(role="agent"))
    assert b'<a href="/admin/reports/">SLA reports</a>' in client.get("/admin/").content


@time_machine.travel(NOW, tick=False)
def test_csv_defuses_formulas_in_titles(dataset: dict[str, Any], agent_client: APIClient) -> None:
    Policy.objects.filter(pk=dataset["gold"].pk).update(title='=HYPERLINK("http://x")')
    response = agent_client.get(f"{BASE}.csv", PERIOD)
    gold = next(row for row in _csv_rows(response.content) if row["section"] == "policy")
    assert gold["label"] == '\'=HYPERLINK("http://x")'
    assert gold["achieved"] == "3"

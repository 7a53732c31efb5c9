"""Service level objectives: rate, error budget, burn rate and trend against hand-computed
numbers on a fixed dataset; the API (CRUD, validation, 404s); the admin; query counts."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from policies.models import Policy
from tests.factories import TicketFactory, make_policy
from tickets.models import ServiceLevelObjective, Ticket, TicketSlaTarget
from tickets.objectives import (
    allowed_breaches,
    objective_create,
    objective_status,
    objective_statuses,
    status_from_counts,
)
from tickets.reports import Filters, ReportRow, sla_report

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 11, 30, 12, tzinfo=UTC)
LIST = "/api/v2/slas/objectives.json"


def at(month: int, day: int, hour: int = 10) -> datetime:
    return datetime(2026, month, day, hour, tzinfo=UTC)


class Rows:
    """TicketSlaTarget rows with distinct instance ids, written directly for the report."""

    def __init__(self) -> None:
        self.instance = 0

    def add(
        self, ticket: Ticket, metric: str, policy: Policy, count: int = 1, **fields: Any
    ) -> None:
        for _ in range(count):
            self.instance += 1
            values = {
                "target_seconds": 3600,
                "activated_at": fields.get("fulfilled_at")
                or fields.get("breached_at")
                or fields.get("breach_at"),
                "stage": "achieved" if fields.get("fulfilled_at") else "active",
                **fields,
            }
            TicketSlaTarget.objects.create(
                ticket=ticket, metric=metric, policy=policy, instance_id=self.instance, **values
            )

    def achieved(self, ticket: Ticket, metric: str, policy: Policy, when: datetime, n: int) -> None:
        self.add(ticket, metric, policy, n, fulfilled_at=when)

    def breached(self, ticket: Ticket, metric: str, policy: Policy, when: datetime) -> None:
        self.add(ticket, metric, policy, breached=True, breached_at=when, breach_at=when)


def build_dataset() -> dict[str, Any]:
    """Gold's rows, by window (NOW is Nov 30 12:00 UTC):

    30 days [Oct 31 12:00, Nov 30 12:00):
      urgent first reply: 10 achieved Nov 25, 1 breached Nov 26, 4 achieved Nov 20,
                          2 in progress (activated Nov 29, due Dec 1)
      urgent next reply:  1 overdue (due Nov 29, not recorded): breached
      normal first reply: 6 achieved Nov 10
      normal resolution:  2 breached Nov 5
    previous 30 days [Oct 1 12:00, Oct 31 12:00): normal first reply 9 achieved Oct 15,
      1 breached Oct 20
    before that: 1 breached Sep 20. Silver: 1 breached Nov 25 (another policy).
    """
    gold, silver = make_policy("Gold"), make_policy("Silver")
    urgent = TicketFactory(priority="urgent", status="open", now=at(9, 1))
    normal = TicketFactory(priority="normal", status="open", now=at(9, 1))
    rows = Rows()
    rows.achieved(urgent, "first_reply_time", gold, at(11, 25), 10)
    rows.breached(urgent, "first_reply_time", gold, at(11, 26))
    rows.achieved(urgent, "first_reply_time", gold, at(11, 20), 4)
    rows.add(urgent, "first_reply_time", gold, 2, activated_at=at(11, 29, 12), breach_at=at(12, 1))
    rows.add(urgent, "next_reply_time", gold, activated_at=at(11, 28), breach_at=at(11, 29, 0))
    rows.achieved(normal, "first_reply_time", gold, at(11, 10), 6)
    rows.breached(normal, "total_resolution_time", gold, at(11, 5))
    rows.breached(normal, "total_resolution_time", gold, at(11, 5, 11))
    rows.achieved(normal, "first_reply_time", gold, at(10, 15), 9)
    rows.breached(normal, "first_reply_time", gold, at(10, 20))
    rows.breached(normal, "first_reply_time", gold, at(9, 20))
    rows.breached(normal, "first_reply_time", silver, at(11, 25))
    return {"gold": gold, "silver": silver, "rows": rows, "urgent": urgent}


def objective(policy: Policy, rate: str, days: int, **fields: str) -> ServiceLevelObjective:
    data = {"title": f"{rate}% over {days} days", "metric": "", "priority": ""} | fields
    return objective_create(
        data={**data, "policy_id": policy.pk, "target_rate": Decimal(rate), "window_days": days},
        now=NOW,
    )


@pytest.fixture
def dataset() -> dict[str, Any]:
    return build_dataset()


def test_all_of_a_policy_over_30_days(dataset: dict[str, Any]) -> None:
    state = objective_status(objective(dataset["gold"], "90", 30), now=NOW)
    # Achieved 10 + 4 + 6; breached 1 + 1 overdue + 2; in progress the 2 running ones.
    assert (state.achieved, state.breached, state.in_progress) == (20, 4, 2)
    assert state.rate == 83.33  # 20 / 24
    assert state.met is False
    # floor(10% of 24) = 2 allowed, 4 spent: 2 over.
    assert state.allowed_breaches == 2
    assert state.error_budget_remaining == -2
    assert state.budget_consumed_percent == 200.0
    assert state.burn_rate == 1.6667  # 4 / 2.4
    # Previous 30 days: 9 achieved, 1 breached.
    assert state.previous_rate == 90.0
    assert state.rate_change == -6.67
    assert (state.start, state.end) == (NOW - timedelta(days=30), NOW)


def test_a_metric_and_priority_over_7_days(dataset: dict[str, Any]) -> None:
    slo = objective(dataset["gold"], "95.5", 7, metric="first_reply_time", priority="urgent")
    state = objective_status(slo, now=NOW)
    # [Nov 23 12:00, Nov 30 12:00): 10 achieved, 1 breached, 2 in progress; the overdue next
    # reply is another metric, the Nov 20 ones are in the previous week.
    assert (state.achieved, state.breached, state.in_progress) == (10, 1, 2)
    assert state.rate == 90.91
    # floor(4.5% of 11) = floor(0.495) = 0: the one breach overspends a budget of none.
    assert state.allowed_breaches == 0
    assert state.error_budget_remaining == -1
    assert state.budget_consumed_percent is None
    assert state.burn_rate == 2.0202  # 1 / 0.495
    assert state.previous_rate == 100.0
    assert state.rate_change == -9.09
    daily = {d.day: (d.achieved, d.breached, d.rate) for d in state.daily}
    assert list(daily) == [f"2026-11-{day}" for day in range(23, 31)]
    assert daily["2026-11-25"] == (10, 0, 100.0)
    assert daily["2026-11-26"] == (0, 1, 0.0)
    assert daily["2026-11-29"] == (0, 0, None)


def test_a_budget_left(dataset: dict[str, Any]) -> None:
    state = objective_status(objective(dataset["gold"], "50", 30, priority="normal"), now=NOW)
    # 6 achieved, 2 breached: 75%; floor(50% of 8) = 4 allowed, 2 left, half spent.
    assert (state.achieved, state.breached, state.rate, state.met) == (6, 2, 75.0, True)
    assert (state.allowed_breaches, state.error_budget_remaining) == (4, 2)
    assert state.budget_consumed_percent == 50.0
    assert state.burn_rate == 0.5
    assert (state.previous_rate, state.rate_change) == (90.0, -15.0)


def test_the_report_counts_the_same(dataset: dict[str, Any]) -> None:
    state = objective_status(objective(dataset["gold"], "90", 30), now=NOW)
    report = sla_report(
        start=NOW - timedelta(days=30),
        end=NOW,
        now=NOW,
        filters=Filters(policy_id=dataset["gold"].pk),
    )
    assert (report.total.achieved, report.total.breached, report.total.in_progress) == (
        state.achieved,
        state.breached,
        state.in_progress,
    )
    assert report.total.achieved_percent == state.rate


def test_no_settled_targets() -> None:
    state = objective_status(objective(make_policy("Empty"), "99", 30), now=NOW)
    assert (state.rate, state.met, state.burn_rate, state.previous_rate) == (None,) * 4
    assert (state.allowed_breaches, state.error_budget_remaining) == (0, 0)
    assert state.budget_consumed_percent == 0.0


@pytest.mark.parametrize(
    ("rate", "settled", "allowed"),
    [("99.9", 1000, 1), ("99.9", 999, 0), ("95", 20, 1), ("95", 39, 1), ("0.01", 3, 2)],
)
def test_allowed_breaches_floor_exactly(rate: str, settled: int, allowed: int) -> None:
    assert allowed_breaches(target_rate=Decimal(rate), settled=settled) == allowed


def test_statuses_cost_the_same_whatever_the_tickets(dataset: dict[str, Any]) -> None:
    slos = [objective(dataset["gold"], "90", 30), objective(dataset["silver"], "90", 7)]
    with CaptureQueriesContext(connection) as few:
        objective_statuses(slos, now=NOW)
    for _ in range(5):
        ticket = TicketFactory(priority="high", status="open", now=at(9, 1))
        dataset["rows"].achieved(ticket, "first_reply_time", dataset["gold"], at(11, 27), 3)
    with CaptureQueriesContext(connection) as many:
        states = objective_statuses(slos, now=NOW)
    assert states[slos[0].pk].achieved == 35
    assert len(many) == len(few)


def test_a_policy_delete_takes_its_objectives(dataset: dict[str, Any]) -> None:
    objective(dataset["gold"], "90", 30)
    dataset["gold"].delete()
    assert not ServiceLevelObjective.objects.exists()


# --- API ------------------------------------------------------------------------------------


def body(policy: Policy, **fields: Any) -> dict[str, Any]:
    return {
        "objective": {
            "title": "Urgent first replies",
            "policy_id": policy.pk,
            "metric": "first_reply_time",
            "priority": "urgent",
            "target_rate": 95.5,
            "window_days": 7,
        }
        | fields
    }


def detail(objective_id: int) -> str:
    return f"/api/v2/slas/objectives/{objective_id}.json"


@time_machine.travel(NOW, tick=False)
def test_create_show_update_delete(admin_client: APIClient, dataset: dict[str, Any]) -> None:
    response = admin_client.post(LIST, body(dataset["gold"]), format="json")
    assert response.status_code == 201, response.content
    created = response.json()["objective"]
    assert response["Location"].endswith(detail(created["id"]))
    assert created["target_rate"] == 95.5
    assert (created["metric"], created["priority"], created["window_days"]) == (
        "first_reply_time",
        "urgent",
        7,
    )
    status = created["status"]
    assert status["rate"] == 90.91
    assert status["error_budget_remaining"] == -1
    assert status["allowed_breaches"] == 0
    assert status["burn_rate"] == 2.0202
    assert status["trend"]["previous_rate"] == 100.0
    assert status["trend"]["rate_change"] == -9.09
    assert status["trend"]["daily"][2] == {
        "day": "2026-11-25",
        "achieved": 10,
        "breached": 0,
        "rate": 100.0,
    }
    assert status["start_time"] == "2026-11-23T12:00:00Z"

    shown = admin_client.get(detail(created["id"])).json()["objective"]
    assert shown == created

    response = admin_client.put(
        detail(created["id"]),
        {"objective": {"metric": None, "priority": None, "target_rate": "90", "window_days": 30}},
        format="json",
    )
    assert response.status_code == 200, response.content
    updated = response.json()["objective"]
    assert (updated["metric"], updated["priority"], updated["title"]) == (
        None,
        None,
        "Urgent first replies",
    )
    assert updated["status"]["rate"] == 83.33
    assert updated["status"]["error_budget_remaining"] == -2

    assert admin_client.delete(detail(created["id"])).status_code == 204
    assert admin_client.get(detail(created["id"])).status_code == 404
    assert not ServiceLevelObjective.objects.exists()


@time_machine.travel(NOW, tick=False)
def test_list_for_agents(agent_client: APIClient, dataset: dict[str, Any]) -> None:
    first = objective(dataset["gold"], "90", 30)
    objective(dataset["gold"], "50", 30, priority="normal")
    response = agent_client.get(LIST)
    assert response.status_code == 200
    listed = response.json()
    assert listed["count"] == 2
    assert [o["status"]["error_budget_remaining"] for o in listed["objectives"]] == [-2, 2]
    assert listed["objectives"][0]["id"] == first.pk


@time_machine.travel(NOW, tick=False)
def test_list_queries_do_not_grow_with_tickets(
    admin_client: APIClient, dataset: dict[str, Any]
) -> None:
    objective(dataset["gold"], "90", 30)
    objective(dataset["gold"], "99", 7, metric="first_reply_time")
    # The first request of a client does one-off work (its token's last use).
    assert admin_client.get(LIST).status_code == 200
    with CaptureQueriesContext(connection) as few:
        assert admin_client.get(LIST).status_code == 200
    for _ in range(5):
        ticket = TicketFactory(priority="low", status="open", now=at(9, 1))
        dataset["rows"].achieved(ticket, "first_reply_time", dataset["gold"], at(11, 28), 2)
    with CaptureQueriesContext(connection) as many:
        assert admin_client.get(LIST).json()["objectives"][0]["status"]["achieved"] == 30
    assert len(many) == len(few)


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"target_rate": 100}, "target_rate"),
        ({"target_rate": 0}, "target_rate"),
        ({"target_rate": -5}, "target_rate"),
        ({"target_rate": "99.999"}, "target_rate"),
        ({"target_rate": "NaN"}, "target_rate"),
        ({"target_rate": True}, "target_rate"),
        ({"window_days": 0}, "window_days"),
        ({"window_days": 366}, "window_days"),
        ({"window_days": "7.5"}, "window_days"),
        ({"policy_id": 999999}, "policy_id"),
        ({"policy_id": 2**70}, "policy_id"),
        ({"metric": "pickup"}, "metric"),
        ({"priority": "whenever"}, "priority"),
        ({"title": ""}, "title"),
        ({"title": 5}, "title"),
    ],
)
def test_invalid_input_is_422(admin_client: APIClient, fields: dict[str, Any], field: str) -> None:
    response = admin_client.post(LIST, body(make_policy("P"), **fields), format="json")
    assert response.status_code == 422, response.content
    answer = response.json()
    assert answer["error"] == "RecordInvalid"
    assert list(answer["details"]) == [field]
    assert not ServiceLevelObjective.objects.exists()


def test_missing_fields_are_422(admin_client: APIClient) -> None:
    response = admin_client.post(LIST, {"objective": {}}, format="json")
    assert response.status_code == 422
    assert set(response.json()["details"]) == {
        "title",
        "policy_id",
        "target_rate",
        "window_days",
    }


def test_a_body_without_the_root_key_is_400(admin_client: APIClient) -> None:
    response = admin_client.post(LIST, {"title": "x"}, format="json")
    assert response.status_code == 400


def test_update_is_validated_and_unknown_ids_are_404(admin_client: APIClient) -> None:
    slo = objective(make_policy("P"), "90", 30)
    response = admin_client.put(detail(slo.pk), {"objective": {"target_rate": 100}}, format="json")
    assert response.status_code == 422
    slo.refresh_from_db()
    assert slo.target_rate == Decimal("90")
    for method in ("get", "put", "delete"):
        response = getattr(admin_client, method)(
            detail(slo.pk + 1), {"objective": {"title": "x"}}, format="json"
        )
        assert response.status_code == 404
        assert response.json() == {"error": "RecordNotFound", "description": "Not found"}


# --- Admin ----------------------------------------------------------------------------------


def test_the_admin_creates_through_the_service(admin_user: Any, client: Any) -> None:
    client.force_login(admin_user)
    policy = make_policy("P")
    response = client.post(
        "/admin/tickets/servicelevelobjective/add/",
        {
            "title": "Replies",
            "policy": policy.pk,
            "metric": "first_reply_time",
            "priority": "",
            "target_rate": "97.5",
            "window_days": "14",
        },
    )
    assert response.status_code == 302, response.content
    slo = ServiceLevelObjective.objects.get()
    assert (slo.metric, slo.priority, slo.target_rate, slo.window_days) == (
        "first_reply_time",
        "",
        Decimal("97.5"),
        14,
    )
    assert slo.created_at is not None
    response = client.post(
        "/admin/tickets/servicelevelobjective/add/",
        {"title": "Bad", "policy": policy.pk, "target_rate": "100", "window_days": "400"},
    )
    assert response.status_code == 200
    assert ServiceLevelObjective.objects.count() == 1


@pytest.mark.parametrize(("achieved", "settled", "met"), [(18999, 19999, False), (19, 20, True)])
def test_met_is_decided_by_the_counts_not_the_rounded_rate(
    achieved: int, settled: int, met: bool
) -> None:
    # 18,999 / 19,999 is 94.9997%, shown as 95.0% but below 95%; 19 / 20 is exactly 95%.
    state = status_from_counts(
        target_rate=Decimal("95"),
        current=ReportRow(None, "", achieved, settled - achieved, 0, {}),
        previous=ReportRow(None, "", 0, 0, 0, {}),
        daily=(),
        start=NOW - timedelta(days=1),
        end=NOW,
    )
    assert state.rate == 95.0
    assert state.met is met


def test_agents_see_objectives_in_the_admin_but_do_not_change_them(
    agent_user: Any, client: Any
) -> None:
    slo = objective(make_policy("P"), "90", 30)
    client.force_login(agent_user)
    assert client.get("/admin/tickets/servicelevelobjective/").status_code == 200
    assert client.get("/admin/tickets/servicelevelobjective/add/").status_code == 403
    response = client.post(
        f"/admin/tickets/servicelevelobjective/{slo.pk}/delete/", {"post": "yes"}
    )
    assert response.status_code == 403
    assert ServiceLevelObjective.objects.filter(pk=slo.pk).exists()


@time_machine.travel(NOW, tick=False)
def test_the_dashboard_lists_objectives_in_a_fixed_number_of_queries_per_objective(
    admin_user: Any, client: Any, dataset: dict[str, Any]
) -> None:
    objective(dataset["gold"], "90", 30)
    client.force_login(admin_user)
    client.get("/admin/reports/")
    with CaptureQueriesContext(connection) as few:
        response = client.get("/admin/reports/")
    html = response.content.decode()
    assert 'data-figure="error_budget_remaining">-2 of 2</data>' in html
    assert 'data-figure="burn_rate">1.6667×</data>' in html
    assert 'data-figure="rate_change">-6.67 pts</data>' in html
    for _ in range(5):
        ticket = TicketFactory(priority="low", status="open", now=at(9, 1))
        dataset["rows"].achieved(ticket, "first_reply_time", dataset["gold"], at(11, 28), 2)
    with CaptureQueriesContext(connection) as many:
        client.get("/admin/reports/")
    assert len(many) == len(few)

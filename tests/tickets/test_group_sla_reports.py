"""Group SLAs (OLAs) in the SLA reports and objectives: tickets handed between groups under
group SLA policies, reported apart from the ticket SLAs (kind `group_sla`), by the group that
held the ticket and by group SLA policy, with group ownership times; the API, its CSV, the
dashboard, and objectives on a group SLA policy with their alerts."""

from __future__ import annotations

import csv
import io
from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest
import time_machine
from django.db import IntegrityError, connection, transaction
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from policies.models import GroupSlaPolicy, Policy
from tests.factories import GroupFactory, UserFactory, make_policy, metric
from tests.tickets.test_group_sla_tickets import (
    EVERYONE,
    HOUR,
    START,
    group_policy,
    new_ticket,
    update,
)
from tests.tickets.test_notifications import make_rule
from tickets.models import Group, ServiceLevelObjective, SlaNotification
from tickets.notifications.objective_alerts import objective_alerts_check
from tickets.objectives import objective_create, objective_filters, objective_status
from tickets.reports import Filters, ReportRow, sla_report

pytestmark = pytest.mark.django_db

# The report's moment: Tier 1's second stretch of ticket A is past its deadline (START + 5 h),
# Tier 1's stretch of ticket B is not (START + 7 h).
NOW = START + 6 * HOUR
PERIOD = {"start": START - timedelta(days=1), "end": START + timedelta(days=1)}
OWNERSHIP = "group_ownership_time"


class Desk:
    """Tier 1 promises 2 hours and Tier 2 4 hours at urgent priority; every ticket also has the
    customer's 1-hour first reply, which nobody gives.

    Ticket A: Tier 1 for 1 h (in time), Tier 2 for 2 h (in time), back to Tier 1 from
    START + 3 h (deadline START + 5 h, not handed on: breached by NOW).
    Ticket B: Tier 2 for 5 h (breached at START + 4 h, handed on at START + 5 h), then Tier 1
    from START + 5 h (deadline START + 7 h: in progress at NOW).
    Both tickets are with Tier 1 now, so Tier 2's stretches count only by the holding group.
    """

    def __init__(self) -> None:
        self.tier1: Group = GroupFactory(name="Tier 1")
        self.tier2: Group = GroupFactory(name="Tier 2")
        self.tier1_policy: GroupSlaPolicy = group_policy(self.tier1, urgent_seconds=2 * 3600)
        self.tier2_policy: GroupSlaPolicy = group_policy(self.tier2)
        self.everyone: Policy = make_policy(
            "Everyone", filter=EVERYONE, metrics=[metric("urgent", minutes=60)]
        )
        agent = UserFactory(role="agent")
        customer = UserFactory(role="end-user")
        self.a = new_ticket(customer, self.tier1)
        update(self.a, agent, START + HOUR, group_id=self.tier2.pk)
        update(self.a, agent, START + 3 * HOUR, group_id=self.tier1.pk)
        self.b = new_ticket(customer, self.tier2)
        update(self.b, agent, START + 5 * HOUR, group_id=self.tier1.pk)


@pytest.fixture
def desk() -> Desk:
    return Desk()


def counts(row: ReportRow) -> tuple[int, int, int]:
    return row.achieved, row.breached, row.in_progress


def report(**kwargs: Any) -> Any:
    return sla_report(**PERIOD, now=NOW, **kwargs)


# Fulfilled stretches: A with Tier 1 3600 s, A with Tier 2 7200 s, B with Tier 2 18000 s.
# percentile_cont: median 7200; p90 at 0.9 × 2 = 1.8: 7200 + 0.8 × 10800 = 15840. No schedule:
# business time is calendar time.
OWNERSHIP_FIGURES = {
    "ownership_median_seconds": 7200.0,
    "ownership_p90_seconds": 15840.0,
    "ownership_business_median_seconds": 7200.0,
    "ownership_business_p90_seconds": 15840.0,
}


def test_the_default_report_is_the_customers_sla_alone(desk: Desk) -> None:
    default = report()
    assert default.filters.kind == "sla"
    # Both first replies are breached; the five group stretches are not counted.
    assert counts(default.total) == (0, 2, 0)
    assert [(row.key, row.label) for row in default.groups] == [(desk.everyone.pk, "Everyone")]
    assert all(default.total.durations[name] is None for name in OWNERSHIP_FIGURES)
    by_metric = report(group_by="metric")
    assert [row.key for row in by_metric.groups] == ["first_reply_time"]


def test_group_sla_totals_and_ownership_times(desk: Desk) -> None:
    groups = report(filters=Filters(kind="group_sla"))
    assert groups.filters.kind == "group_sla"
    assert counts(groups.total) == (2, 2, 1)
    assert groups.total.achieved_percent == 50.0
    assert {name: groups.total.durations[name] for name in OWNERSHIP_FIGURES} == (OWNERSHIP_FIGURES)
    assert groups.total.durations["reply_median_seconds"] is None
    # The series spreads the same rows over days.
    assert sum(row.achieved for row in groups.series) == 2
    assert sum(row.breached for row in groups.series) == 2
    assert sum(row.in_progress for row in groups.series) == 1


def test_group_rows_group_by_the_group_that_held_the_ticket(desk: Desk) -> None:
    by_group = report(group_by="group", filters=Filters(kind="group_sla"))
    assert [(row.key, row.label, counts(row)) for row in by_group.groups] == [
        # A's first stretch achieved, its second breached, B's stretch in progress.
        (desk.tier1.pk, "Tier 1", (1, 1, 1)),
        # Both tickets are with Tier 1 now; Tier 2 still answers for its own stretches.
        (desk.tier2.pk, "Tier 2", (1, 1, 0)),
    ]
    assert by_group.groups[1].durations["ownership_median_seconds"] == 12600.0  # 7200, 18000
    # The ticket SLA rows keep the ticket's current group.
    tickets = report(group_by="group")
    assert [(row.key, counts(row)) for row in tickets.groups] == [(desk.tier1.pk, (0, 2, 0))]


def test_group_rows_group_by_their_group_sla_policy(desk: Desk) -> None:
    by_policy = report(filters=Filters(kind="group_sla"))
    assert [(row.key, row.label, counts(row)) for row in by_policy.groups] == [
        (desk.tier1_policy.pk, "Tier 1 holds escalations", (1, 1, 1)),
        (desk.tier2_policy.pk, "Tier 2 holds escalations", (1, 1, 0)),
    ]
    GroupSlaPolicy.objects.filter(pk=desk.tier2_policy.pk).delete()
    Policy.objects.filter(pk=desk.everyone.pk).delete()
    by_policy = report(filters=Filters(kind="group_sla"))
    assert [(row.key, row.label, counts(row)) for row in by_policy.groups] == [
        (desk.tier1_policy.pk, "Tier 1 holds escalations", (1, 1, 1)),
        (None, "(deleted group SLA policy)", (1, 1, 0)),
    ]
    # The ticket SLA rows of a deleted policy are the only "(deleted policy)" ones.
    tickets = report()
    assert [(row.key, row.label, counts(row)) for row in tickets.groups] == [
        (None, "(deleted policy)", (0, 2, 0))
    ]


def test_filters_pick_one_kind(desk: Desk) -> None:
    def total(**kwargs: Any) -> tuple[int, int, int]:
        return counts(report(filters=Filters(**kwargs)).total)

    assert total(metric=OWNERSHIP) == (2, 2, 1)
    assert report(filters=Filters(metric=OWNERSHIP)).filters.kind == "group_sla"
    assert total(group_policy_id=desk.tier2_policy.pk) == (1, 1, 0)
    assert total(policy_id=desk.everyone.pk) == (0, 2, 0)
    assert total(metric="first_reply_time") == (0, 2, 0)
    # group_id is the holding group for group SLA targets, the current one for ticket ones.
    assert total(kind="group_sla", group_id=desk.tier2.pk) == (1, 1, 0)
    assert total(group_id=desk.tier2.pk) == (0, 0, 0)
    assert total(kind="group_sla", priority="low") == (0, 0, 0)
    for mixed in (
        Filters(kind="sla", metric=OWNERSHIP),
        Filters(kind="group_sla", policy_id=desk.everyone.pk),
        Filters(policy_id=desk.everyone.pk, group_policy_id=desk.tier1_policy.pk),
        Filters(metric="first_reply_time", group_policy_id=desk.tier1_policy.pk),
    ):
        with pytest.raises(ValueError, match="not both"):
            report(filters=mixed)


@pytest.mark.parametrize("group_by", ["policy", "metric", "priority", "group"])
def test_group_reports_keep_the_fixed_query_count(desk: Desk, group_by: str) -> None:
    with CaptureQueriesContext(connection) as queries:
        report(group_by=group_by, filters=Filters(kind="group_sla"))
    titles = 1 if group_by in ("policy", "group") else 0
    transaction = 3 if connection.vendor == "postgresql" else 2
    assert len(queries) == 1 + titles + transaction


# The API ---------------------------------------------------------------------------------------

BASE = "/api/v2/slas/reports"


def api_period() -> dict[str, str]:
    return {"start_time": PERIOD["start"].isoformat(), "end_time": PERIOD["end"].isoformat()}


def test_api_reports_group_slas_as_json_and_csv(desk: Desk, agent_client: APIClient) -> None:
    params = {**api_period(), "kind": "group_sla", "group_by": "group"}
    with time_machine.travel(NOW, tick=False):
        answer = agent_client.get(BASE, params)
        sheet = agent_client.get(f"{BASE}.csv", params)
        default = agent_client.get(BASE, api_period())
    assert answer.status_code == 200, answer.content
    body = answer.json()["report"]
    assert body["filters"] == {
        "kind": "group_sla",
        "policy_id": None,
        "group_sla_policy_id": None,
        "metric": None,
        "priority": None,
        "group_id": None,
    }
    total = body["total"]
    assert (total["achieved"], total["breached"], total["in_progress"]) == (2, 2, 1)
    assert {name: total[name] for name in OWNERSHIP_FIGURES} == OWNERSHIP_FIGURES
    assert [(g["key"], g["label"], g["achieved"]) for g in body["groups"]] == [
        (desk.tier1.pk, "Tier 1", 1),
        (desk.tier2.pk, "Tier 2", 1),
    ]
    rows = list(csv.DictReader(io.StringIO(sheet.content.decode())))
    assert rows[0]["section"] == "total"
    assert (rows[0]["achieved"], rows[0]["breached"], rows[0]["in_progress"]) == ("2", "2", "1")
    assert rows[0]["ownership_p90_seconds"] == "15840.0"
    assert rows[0]["reply_median_seconds"] == ""
    assert [row["label"] for row in rows if row["section"] == "group"] == ["Tier 1", "Tier 2"]
    assert default.json()["report"]["filters"]["kind"] == "sla"
    assert default.json()["report"]["total"]["breached"] == 2


def test_api_filters_by_group_sla_policy(desk: Desk, agent_client: APIClient) -> None:
    params = {**api_period(), "group_sla_policy_id": desk.tier2_policy.pk}
    with time_machine.travel(NOW, tick=False):
        body = agent_client.get(BASE, params).json()["report"]
    assert body["filters"]["kind"] == "group_sla"
    assert body["filters"]["group_sla_policy_id"] == desk.tier2_policy.pk
    assert [(g["key"], g["label"]) for g in body["groups"]] == [
        (desk.tier2_policy.pk, "Tier 2 holds escalations")
    ]


@pytest.mark.parametrize(
    "params",
    [
        {"kind": "ola"},
        {"kind": "sla", "metric": OWNERSHIP},
        {"kind": "group_sla", "metric": "first_reply_time"},
        {"kind": "group_sla", "policy_id": "1"},
        {"policy_id": "1", "group_sla_policy_id": "01H078CBDY28BZG7P6BONY09DN"},
        {"group_sla_policy_id": "../etc"},
        {"group_sla_policy_id": "0" * 27},
    ],
)
def test_mixed_or_bad_kinds_are_400(agent_client: APIClient, params: dict[str, str]) -> None:
    for path in (BASE, f"{BASE}.csv"):
        response = agent_client.get(path, params)
        assert response.status_code == 400, (params, response.content)
        assert response.json()["error"] == "InvalidValue"
        assert response.json()["description"]


# The dashboard ---------------------------------------------------------------------------------


def dashboard(client: Any, **params: str) -> Any:
    client.force_login(UserFactory(role="agent"))
    days = {"start": (START - timedelta(days=1)).date(), "end": (START + timedelta(days=1)).date()}
    with time_machine.travel(NOW, tick=False):
        return client.get("/admin/reports/", {**{k: str(v) for k, v in days.items()}, **params})


def test_dashboard_opens_on_ticket_slas_with_group_slas_one_click_away(
    desk: Desk, client: Any
) -> None:
    response = dashboard(client)
    assert response.context["kind"] == "sla"
    html = response.content.decode()
    assert '<h2 id="summary-heading">All SLA targets</h2>' in html
    assert "Group ownership time, business hours" not in html
    [tab] = [tab for tab in response.context["kind_tabs"] if tab["kind"] == "group_sla"]
    assert f'href="{tab["url"]}" data-kind="group_sla"'.replace("&", "&amp;") in html
    assert client.get(f"/admin/reports/{tab['url']}").context["kind"] == "group_sla"


def test_dashboard_renders_group_slas(desk: Desk, client: Any) -> None:
    response = dashboard(client, kind="group_sla", group_by="group")
    assert response.status_code == 200
    assert response.context["kind"] == "group_sla"
    html = response.content.decode()
    assert "All group SLA targets" in html
    assert "Group SLA targets by group" in html
    assert '<th scope="colgroup" colspan="2">Group ownership time</th>' in html
    assert "Reply time" not in html
    assert '<data value="50.0" data-figure="achieved_percent">50.0%</data>' in html
    assert [row["label"] for row in response.context["groups"]] == ["Tier 1", "Tier 2"]
    assert "kind=group_sla" in response.context["csv_url"]
    # The group SLA policy picker is there, the SLA policy picker is not.
    assert 'name="group_policy"' in html
    assert 'name="policy"' not in html


def test_dashboard_labels_the_metric_and_refuses_mixed_choices(desk: Desk, client: Any) -> None:
    response = dashboard(client, kind="group_sla", group_by="metric")
    assert [row["label"] for row in response.context["groups"]] == ["Group ownership time"]
    response = dashboard(client, kind="sla", metric=OWNERSHIP)
    assert response.context["report"] is None
    assert "Switch to Group SLAs to see group ownership time." in (response.content.decode())
    response = dashboard(client, kind="group_sla", policy=str(desk.everyone.pk))
    assert response.context["report"] is None
    assert set(response.context["form"].errors) == {"policy"}


# Objectives ------------------------------------------------------------------------------------


def group_objective(policy: GroupSlaPolicy, rate: str = "95") -> ServiceLevelObjective:
    return objective_create(
        data={
            "title": "Escalations held in time",
            "group_policy_id": policy.pk,
            "metric": OWNERSHIP,
            "priority": "",
            "target_rate": Decimal(rate),
            "window_days": 7,
        },
        now=START - HOUR,
    )


def test_an_objective_on_a_group_sla_policy(desk: Desk) -> None:
    objective = group_objective(desk.tier2_policy)
    assert objective_filters(objective) == Filters(
        kind="group_sla", group_policy_id=desk.tier2_policy.pk, metric=OWNERSHIP
    )
    state = objective_status(objective, now=NOW)
    assert (state.achieved, state.breached, state.in_progress) == (1, 1, 0)
    assert state.rate == 50.0
    assert state.met is False
    # The report filtered the same way counts the same.
    window = sla_report(
        start=NOW - timedelta(days=7), end=NOW, now=NOW, filters=objective_filters(objective)
    )
    assert counts(window.total) == (1, 1, 0)
    # Deleting the group SLA policy takes its objective.
    GroupSlaPolicy.objects.filter(pk=desk.tier2_policy.pk).delete()
    assert not ServiceLevelObjective.objects.exists()


def test_an_objective_needs_exactly_one_policy() -> None:
    policy = make_policy("P")
    group: Group = GroupFactory(name="T")
    tier = group_policy(group)
    fields = {"title": "x", "target_rate": Decimal("90"), "window_days": 7, "created_at": START}
    for scope in ({}, {"policy": policy, "group_policy": tier}):
        with pytest.raises(IntegrityError), transaction.atomic():
            ServiceLevelObjective.objects.create(**fields, updated_at=START, **scope)


OBJECTIVES = "/api/v2/slas/objectives.json"


def objective_body(**fields: Any) -> dict[str, Any]:
    return {"objective": {"title": "Tier 2 in time", "target_rate": 95, "window_days": 7, **fields}}


@time_machine.travel(NOW, tick=False)
def test_api_creates_reads_and_moves_a_group_sla_objective(
    desk: Desk, admin_client: APIClient
) -> None:
    response = admin_client.post(
        OBJECTIVES, objective_body(group_sla_policy_id=desk.tier2_policy.pk), format="json"
    )
    assert response.status_code == 201, response.content
    created = response.json()["objective"]
    assert created["policy_id"] is None
    assert created["group_sla_policy_id"] == desk.tier2_policy.pk
    assert created["metric"] == OWNERSHIP
    status = created["status"]
    assert (status["achieved"], status["breached"], status["rate"], status["met"]) == (
        1,
        1,
        50.0,
        False,
    )
    url = f"/api/v2/slas/objectives/{created['id']}.json"
    # A metric alone is checked against the objective's group SLA policy.
    response = admin_client.put(url, {"objective": {"metric": "first_reply_time"}}, format="json")
    assert response.status_code == 422, response.content
    assert list(response.json()["details"]) == ["metric"]
    # Naming an SLA policy moves the objective to it, and its metric is cleared.
    response = admin_client.put(url, {"objective": {"policy_id": desk.everyone.pk}}, format="json")
    assert response.status_code == 200, response.content
    moved = response.json()["objective"]
    assert (moved["policy_id"], moved["group_sla_policy_id"], moved["metric"]) == (
        desk.everyone.pk,
        None,
        None,
    )
    assert (moved["status"]["achieved"], moved["status"]["breached"]) == (0, 2)
    # And back.
    response = admin_client.put(
        url, {"objective": {"group_sla_policy_id": desk.tier1_policy.pk}}, format="json"
    )
    assert response.status_code == 200, response.content
    assert response.json()["objective"]["group_sla_policy_id"] == desk.tier1_policy.pk
    assert response.json()["objective"]["policy_id"] is None


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({}, "policy_id"),
        ({"policy_id": None, "group_sla_policy_id": None}, "policy_id"),
        ({"policy_id": "mine", "group_sla_policy_id": "mine"}, "group_sla_policy_id"),
        ({"group_sla_policy_id": "01H078CBDY28BZG7P6BONY09DN"}, "group_sla_policy_id"),
        ({"group_sla_policy_id": 5}, "group_sla_policy_id"),
        ({"group_sla_policy_id": "mine", "metric": "first_reply_time"}, "metric"),
        ({"policy_id": "mine", "metric": OWNERSHIP}, "metric"),
    ],
)
def test_api_refuses_objectives_without_one_policy(
    desk: Desk, admin_client: APIClient, fields: dict[str, Any], field: str
) -> None:
    mine = {"policy_id": desk.everyone.pk, "group_sla_policy_id": desk.tier1_policy.pk}
    named = {k: mine[k] if v == "mine" else v for k, v in fields.items()}
    response = admin_client.post(OBJECTIVES, objective_body(**named), format="json")
    assert response.status_code == 422, response.content
    assert response.json()["error"] == "RecordInvalid"
    assert list(response.json()["details"]) == [field]
    assert not ServiceLevelObjective.objects.exists()


def test_the_dashboard_lists_group_sla_objectives(desk: Desk, client: Any) -> None:
    objective = group_objective(desk.tier2_policy)
    response = dashboard(client)
    [row] = response.context["objectives"]
    assert row["id"] == objective.pk
    assert row["scope"] == "Group SLA: Tier 2 holds escalations · Group ownership time"
    assert row["met"] is False


def test_objective_alerts_name_the_group_sla_policy(desk: Desk) -> None:
    objective = group_objective(desk.tier2_policy)
    make_rule(
        now=START - HOUR,
        trigger="objective_below",
        channel="email",
        email_addresses=["oncall@example.com"],
    )
    assert objective_alerts_check(now=NOW) == 1
    alert = SlaNotification.objects.get(objective=objective)
    assert alert.policy_id is None
    assert alert.metric == OWNERSHIP
    assert alert.payload is not None
    payload = alert.payload["notification"]
    assert payload["policy"] is None
    assert payload["group_sla_policy"] == {
        "id": desk.tier2_policy.pk,
        "title": "Tier 2 holds escalations",
    }
    assert (payload["metric"], payload["rate"], payload["met"]) == (OWNERSHIP, 50.0, False)

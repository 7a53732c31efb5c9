"""Backtest of group SLA policies: draft group SLA policies replayed over the same recent
tickets as the SLA policies, beside the group policies each save really had, counted per
group ownership instance with a target against hand-computed numbers; validation in the Group
SLA Policies API's words; nothing written and a constant query count."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from policies import services as policy_services
from policies.models import GroupSlaPolicy
from tests.factories import GroupFactory, TicketFactory, UserFactory
from tickets.models import Group, TicketMetricEvent, TicketSlaTarget
from tickets.services import ticket_update
from tickets.sla.backtest import backtest, outcome

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 11, 20, 12, tzinfo=UTC)
HOUR = timedelta(hours=1)
GROUP_METRIC = "group_ownership_time"


def group_filter(group: Group) -> dict[str, Any]:
    return {"all": [{"field": "group_id", "operator": "includes", "value": [group.pk]}]}


def group_draft(group: Group, title: str, minutes: int, **extra: Any) -> dict[str, Any]:
    """A group SLA policy body as the API takes it: normal tickets held `minutes` at most."""
    return {
        "title": title,
        "filter": group_filter(group),
        "policy_metrics": [
            {
                "priority": "normal",
                "metric": GROUP_METRIC,
                "target": minutes * 60,
                "business_hours": False,
            }
        ],
        **extra,
    }


def validated(group: Group, title: str, minutes: int) -> dict[str, Any]:
    """The same draft as `GroupSlaPolicyInputSerializer` hands it on."""
    return {
        "title": title,
        "filter": group_filter(group),
        "policy_metrics": [
            {"priority": "normal", "target_seconds": minutes * 60, "business_hours": False}
        ],
    }


def held(group: Group | None, at: datetime, hand_off_after: timedelta | None, to: Group) -> int:
    """A normal ticket created with `group`, handed to `to` after `hand_off_after`."""
    ticket = TicketFactory(now=at, group=group)
    if hand_off_after is not None:
        agent = UserFactory(role="agent")
        ticket_update(
            ticket_id=ticket.pk,
            fields={"group_id": to.pk},
            author_id=agent.pk,
            comment=None,
            now=at + hand_off_after,
        )
    return ticket.pk


class Live:
    tier1: Group
    tier2: Group
    policy: GroupSlaPolicy


@pytest.fixture
def live(db: None) -> Live:
    """Live: Tier 2 holds normal tickets at most 2 hours; Tier 1 has no group SLA. In the last
    30 days Tier 2 hands A to Tier 1 after 1 hour (achieved), B after 3 hours (breached), and
    has held C for 10 minutes (in progress); D has no group; E is 40 days old: outside."""
    state = Live()
    state.tier1, state.tier2 = GroupFactory(name="Tier 1"), GroupFactory(name="Tier 2")
    state.policy = policy_services.group_sla_policy_create(
        title="Tier 2 holds",
        description=None,
        filter=group_filter(state.tier2),
        policy_metrics=[{"priority": "normal", "target_seconds": 7200, "business_hours": False}],
        now=NOW - timedelta(days=60),
    )
    held(state.tier2, NOW - timedelta(days=2), HOUR, state.tier1)
    held(state.tier2, NOW - timedelta(days=1), 3 * HOUR, state.tier1)
    held(state.tier2, NOW - timedelta(minutes=10), None, state.tier1)
    held(None, NOW - timedelta(days=3), None, state.tier1)
    held(state.tier2, NOW - timedelta(days=40), 5 * HOUR, state.tier1)
    return state


def figures(achieved: int, breached: int, in_progress: int) -> dict[str, Any]:
    settled = achieved + breached
    percent = round(100 * achieved / settled, 2) if settled else None
    return {
        "achieved": achieved,
        "breached": breached,
        "in_progress": in_progress,
        "achieved_percent": percent,
    }


def run(live: Live, group_by: str | None, *drafts: dict[str, Any]) -> dict[str, Any]:
    result = backtest(drafts=[], days=30, now=NOW, group_by=group_by, group_drafts=list(drafts))
    assert result["group_sla"] is not None
    return dict(result["group_sla"])


def test_a_shorter_group_target_and_a_new_tier_1_policy(live: Live) -> None:
    # Draft: Tier 2 holds 30 minutes (A and B breach, C is 10 minutes in), and Tier 1 holds
    # 1 hour (A and B sit with Tier 1 for days: both breach).
    group = run(
        live,
        "policy",
        {**validated(live.tier2, "Tier 2 holds", 30), "id": live.policy.pk},
        validated(live.tier1, "Tier 1 holds", 60),
    )
    assert group["total"]["live"] == figures(1, 1, 1)
    assert group["total"]["draft"] == figures(0, 4, 1)
    assert group["total"]["difference"] == {
        "achieved_percent": -50.0,
        "achieved": -1,
        "breached": 3,
        "in_progress": 0,
    }
    # A and B end with Tier 1, which only the draft has a policy for; C keeps Tier 2's.
    assert group["policy_changes"] == 2
    assert [(row["key"], row["live"], row["draft"]) for row in group["groups"]] == [
        ("Tier 1 holds", figures(0, 0, 0), figures(0, 2, 0)),
        ("Tier 2 holds", figures(1, 1, 1), figures(0, 2, 1)),
    ]


def test_a_longer_target_and_the_groupings(live: Live) -> None:
    draft = validated(live.tier2, "Tier 2 holds longer", 240)
    by_metric = run(live, "metric", draft)
    [row] = by_metric["groups"]
    assert (row["key"], row["label"]) == (GROUP_METRIC, GROUP_METRIC)
    assert row["live"] == figures(1, 1, 1)
    assert row["draft"] == figures(2, 0, 1)  # B's 3 hours are within 4
    # A new policy for C, which Tier 2 still holds; A and B end with Tier 1, under no policy.
    assert by_metric["policy_changes"] == 1
    [row] = run(live, "priority", draft)["groups"]
    assert (row["key"], row["draft"]) == ("normal", figures(2, 0, 1))
    assert run(live, None, draft)["groups"] == []


def test_no_draft_group_policies_no_group_ownership_and_the_ticket_side_alone(
    live: Live,
) -> None:
    without = backtest(drafts=[], days=30, now=NOW, group_by="metric")
    assert without["group_sla"] is None
    assert without["tickets"] == 4
    # An empty draft list: every live group target is gone.
    group = run(live, "metric")
    assert group["total"]["live"] == figures(1, 1, 1)
    assert group["total"]["draft"] == figures(0, 0, 0)


def test_the_live_side_is_what_the_tickets_store(live: Live) -> None:
    group = run(live, None, validated(live.tier2, "Tier 2 holds", 30))
    window = TicketSlaTarget.objects.filter(
        metric=GROUP_METRIC, ticket__created_at__gte=NOW - timedelta(days=30)
    )
    counts = dict.fromkeys(("achieved", "breached", "in_progress"), 0)
    for row in window:
        counts[outcome(row, NOW)] += 1  # type: ignore[arg-type]  # a stored row has the fields
    assert figures(**counts) == group["total"]["live"]


def test_nothing_is_written_and_queries_do_not_grow_with_tickets(live: Live) -> None:
    drafts = [validated(live.tier2, "Tier 2 holds", 30)]
    before = (
        TicketSlaTarget.objects.count(),
        TicketMetricEvent.objects.count(),
        GroupSlaPolicy.objects.count(),
    )
    run(live, "policy", *drafts)  # compiles each revision once
    with CaptureQueriesContext(connection) as few:
        run(live, "policy", *drafts)
    for hours in range(2, 8):
        held(
            live.tier2, NOW - timedelta(hours=hours), hours * 20 * timedelta(minutes=1), live.tier1
        )
    with CaptureQueriesContext(connection) as many:
        group = run(live, "policy", *drafts)
    assert sum(group["total"]["live"][k] for k in ("achieved", "breached", "in_progress")) == 9
    assert len(many) == len(few)
    writes = [q["sql"] for q in many if not q["sql"].lstrip().upper().startswith("SELECT")]
    assert writes == []
    after = (
        TicketSlaTarget.objects.count(),
        TicketMetricEvent.objects.count(),
        GroupSlaPolicy.objects.count(),
    )
    assert after[0] - before[0] == 6  # only the six new tickets' Tier 2 ownerships
    assert after[2] == before[2]


# The API -----------------------------------------------------------------------------------


def post(client: APIClient, body: Any) -> Any:
    with time_machine.travel(NOW, tick=False):
        return client.post("/api/v2/slas/backtest.json", body, format="json")


def test_api_compares_group_sla_policies(live: Live, admin_client: APIClient) -> None:
    body = {
        "sla_policies": [],
        "group_sla_policies": [group_draft(live.tier2, "Tier 2 holds", 30, id=live.policy.pk)],
        "group_by": "policy",
    }
    response = post(admin_client, body)
    assert response.status_code == 200, response.json()
    group = response.json()["backtest"]["group_sla"]
    assert group["policy_changes"] == 0  # the draft keeps the live policy's id
    assert group["total"]["live"] == figures(1, 1, 1)
    assert group["total"]["draft"] == figures(0, 2, 1)
    assert [row["label"] for row in group["groups"]] == ["Tier 2 holds"]
    # Left out, or null: the ticket SLA side alone.
    for body in ({"sla_policies": []}, {"sla_policies": [], "group_sla_policies": None}):
        assert post(admin_client, body).json()["backtest"]["group_sla"] is None


@pytest.mark.parametrize(
    ("drafts", "key", "words"),
    [
        ({"title": "x"}, "group_sla_policies", "must be an array of group SLA policies"),
        (["x"], "group_sla_policies[0]", "Group SLA policy 1: must be an object"),
        ([{"filter": "TIER2"}], "group_sla_policies[0].title", "Group SLA policy 1:"),
        (
            [{"title": "No conditions", "filter": {"all": []}}],
            "group_sla_policies[0].filter",
            "at least one group_id condition",
        ),
        (
            [
                {
                    "title": "Unknown group",
                    "filter": {
                        "all": [{"field": "group_id", "operator": "includes", "value": [999999]}]
                    },
                }
            ],
            "group_sla_policies[0].filter",
            "Group SLA policy 1:",
        ),
        (
            [
                {
                    "title": "By status",
                    "filter": {"all": [{"field": "status", "operator": "is", "value": "open"}]},
                }
            ],
            "group_sla_policies[0].filter",
            "Group SLA policy 1:",
        ),
        (
            [
                "TIER2",
                {
                    "title": "Reply time",
                    "filter": "TIER2",
                    "policy_metrics": [
                        {"priority": "normal", "metric": "first_reply_time", "target": 60}
                    ],
                },
            ],
            "group_sla_policies[1].policy_metrics",
            "Group SLA policy 2:",
        ),
    ],
)
def test_api_refuses_a_bad_group_draft_in_words(
    live: Live, admin_client: APIClient, drafts: Any, key: str, words: str
) -> None:
    if isinstance(drafts, list):
        drafts = [
            group_draft(live.tier2, "Tier 2", 30)
            if item == "TIER2"
            else {**item, "filter": group_filter(live.tier2)}
            if isinstance(item, dict) and item.get("filter") == "TIER2"
            else item
            for item in drafts
        ]
    response = post(admin_client, {"sla_policies": [], "group_sla_policies": drafts})
    assert response.status_code == 422, response.json()
    details = response.json()["details"]
    assert key in details, details
    assert words in " ".join(entry["description"] for entry in details[key])


def test_api_reports_both_draft_lists_problems_at_once(live: Live, admin_client: APIClient) -> None:
    body = {"sla_policies": [{"filter": {"all": [], "any": []}}], "group_sla_policies": ["x"]}
    response = post(admin_client, body)
    assert response.status_code == 422
    assert {"sla_policies[0].title", "group_sla_policies[0]"} <= set(response.json()["details"])


# The dashboard page -------------------------------------------------------------------------

PAGE = "/admin/reports/backtest/"


def test_the_page_starts_from_the_live_group_policies_and_shows_both_tables(
    client: Any, admin_user: Any, live: Live
) -> None:
    client.force_login(admin_user)
    page = client.get(PAGE)
    [start] = json.loads(page.context["group_drafts_text"])
    assert (start["id"], start["title"], start["policy_metrics"][0]["target"]) == (
        live.policy.pk,
        "Tier 2 holds",
        7200,
    )
    assert 'name="group_sla_policies"' in page.content.decode()

    shorter = [group_draft(live.tier2, "Tier 2 holds", 30, id=live.policy.pk)]
    form = {
        "sla_policies": "[]",
        "group_sla_policies": json.dumps(shorter),
        "days": "30",
        "group_by": "metric",
    }
    with time_machine.travel(NOW, tick=False):
        response = client.post(PAGE, form)
    assert response.context["errors"] == []
    total = response.context["group_total"]
    assert (total["live"]["percent_text"], total["draft"]["percent_text"]) == ("50%", "0%")
    assert [row["label"] for row in response.context["group_rows"]] == ["Group ownership time"]
    html = response.content.decode()
    assert 'id="backtest-group-table"' in html
    assert "would end on another group SLA policy" in html

    # Emptied: the SLA policies alone.
    with time_machine.travel(NOW, tick=False):
        response = client.post(PAGE, {**form, "group_sla_policies": "  "})
    assert response.context["result"]["group_sla"] is None
    assert 'id="backtest-group-table"' not in response.content.decode()


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("[{", "The draft group SLA policies are not valid JSON"),
        ('[{"title": ""}]', "Group SLA policy 1: Title"),
        ('{"title": "x"}', "must be an array of group SLA policies"),
    ],
)
def test_the_page_places_group_draft_errors_beside_their_field(
    client: Any, admin_user: Any, live: Live, text: str, message: str
) -> None:
    client.force_login(admin_user)
    form = {"sla_policies": "[]", "group_sla_policies": text, "days": "30", "group_by": ""}
    response = client.post(PAGE, form)
    assert response.context["result"] is None
    placed = response.context["field_errors"]
    assert any(message in error for error in placed["group_policies"]), placed
    assert "policies" not in placed
    assert response.context["group_drafts_text"] == text  # what was typed stays

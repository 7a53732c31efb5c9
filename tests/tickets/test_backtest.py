"""Backtest: a draft policy list replayed over recent tickets, against hand-computed numbers;
nothing written; a constant query count; validation and permissions; the live side agrees
with the reports."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from policies.models import Policy, PolicyRevision
from tests.factories import TicketFactory, UserFactory, make_policy, metric
from tickets.models import Ticket, TicketAudit, TicketMetricEvent, TicketSlaTarget
from tickets.services import NewComment, ticket_update
from tickets.sla.backtest import backtest

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 11, 20, 12, tzinfo=UTC)
EVERY_TICKET = {"all": [], "any": []}


def draft(title: str, minutes: int, **extra: Any) -> dict[str, Any]:
    """A policy body as the API takes it: first reply for normal tickets in `minutes`."""
    return {
        "title": title,
        "filter": EVERY_TICKET,
        "policy_metrics": [
            {
                "priority": "normal",
                "metric": "first_reply_time",
                "target": minutes,
                "business_hours": False,
            }
        ],
        **extra,
    }


def validated(title: str, minutes: int) -> dict[str, Any]:
    """The same draft as `PolicyInputSerializer` hands it on."""
    return {
        "title": title,
        "filter": EVERY_TICKET,
        "policy_metrics": [metric("normal", "first_reply_time", minutes)],
    }


def open_ticket(at: datetime, reply_after: timedelta | None) -> int:
    """A normal ticket from an end user, answered publicly by an agent after `reply_after`."""
    ticket = TicketFactory(now=at)
    if reply_after is not None:
        agent = UserFactory(role="agent")
        ticket_update(
            ticket_id=ticket.pk,
            fields={},
            author_id=agent.pk,
            comment=NewComment(body="on it", public=True, author_id=agent.pk),
            now=at + reply_after,
        )
    return ticket.pk


@pytest.fixture
def history(db: None) -> Policy:
    """Live policy: first reply in 60 minutes. Tickets in the last 30 days:
    A answered after 30 min (live achieved), B after 90 min (live breached), C unanswered for
    10 min (in progress under 20, 60 and 120 minutes alike). D is 40 days old: outside."""
    policy = make_policy("Standard", filter=EVERY_TICKET, metrics=[metric("normal", minutes=60)])
    open_ticket(NOW - timedelta(days=2), timedelta(minutes=30))
    open_ticket(NOW - timedelta(days=1), timedelta(minutes=90))
    open_ticket(NOW - timedelta(minutes=10), None)
    open_ticket(NOW - timedelta(days=40), timedelta(minutes=200))
    return policy


def figures(achieved: int, breached: int, in_progress: int) -> dict[str, Any]:
    settled = achieved + breached
    percent = round(100 * achieved / settled, 2) if settled else None
    return {
        "achieved": achieved,
        "breached": breached,
        "in_progress": in_progress,
        "achieved_percent": percent,
    }


def test_shorter_target_turns_achieved_into_breached(history: Policy) -> None:
    # 20 minutes: A (30 min) now breaches too; B stays breached; C is 10 minutes in.
    result = backtest(drafts=[validated("Short", 20)], days=30, now=NOW, group_by=None)
    assert result["tickets"] == 3
    assert result["total"]["live"] == figures(1, 1, 1)  # 50%
    assert result["total"]["draft"] == figures(0, 2, 1)  # 0%
    assert result["total"]["difference"] == {
        "achieved_percent": -50.0,
        "achieved": -1,
        "breached": 1,
        "in_progress": 0,
    }
    # The draft is a new policy, so every ticket's policy changes.
    assert result["policy_changes"] == 3
    assert result["groups"] == []


def test_longer_target_turns_breached_into_achieved(history: Policy) -> None:
    # 120 minutes: B (90 min) is achieved now, and so is A.
    result = backtest(drafts=[validated("Long", 120)], days=30, now=NOW, group_by="metric")
    assert result["total"]["draft"] == figures(2, 0, 1)  # 100%
    assert result["total"]["difference"]["achieved_percent"] == 50.0
    [row] = result["groups"]
    assert row["key"] == "first_reply_time"
    assert row["live"] == figures(1, 1, 1)
    assert row["draft"] == figures(2, 0, 1)


def test_window_counts_only_recent_tickets(history: Policy) -> None:
    # One day back: only C (10 minutes old); B was created exactly a day ago and counts too.
    result = backtest(drafts=[validated("Long", 120)], days=1, now=NOW, group_by=None)
    assert result["tickets"] == 2
    assert result["total"]["live"] == figures(0, 1, 1)
    assert result["total"]["draft"] == figures(1, 0, 1)


def test_group_by_policy_lines_up_titles(history: Policy) -> None:
    result = backtest(drafts=[validated("Standard", 20)], days=30, now=NOW, group_by="policy")
    [row] = result["groups"]
    assert (row["key"], row["live"], row["draft"]) == (
        "Standard",
        figures(1, 1, 1),
        figures(0, 2, 1),
    )


def test_group_by_priority(history: Policy) -> None:
    result = backtest(drafts=[], days=30, now=NOW, group_by="priority")
    [row] = result["groups"]
    # No draft policy: no targets at all on the draft side.
    assert (row["key"], row["live"], row["draft"]) == ("normal", figures(1, 1, 1), figures(0, 0, 0))
    assert result["total"]["draft"]["achieved_percent"] is None
    assert result["total"]["difference"]["achieved_percent"] is None


def _state() -> list[Any]:
    """Every row backtesting could touch, in full."""
    return [
        list(model.objects.order_by("pk").values())
        for model in (
            Policy,
            PolicyRevision,
            Ticket,
            TicketAudit,
            TicketSlaTarget,
            TicketMetricEvent,
        )
    ]


def test_nothing_is_written(history: Policy) -> None:
    before = _state()
    with CaptureQueriesContext(connection) as queries:
        backtest(drafts=[validated("Short", 20)], days=30, now=NOW, group_by="policy")
    assert _state() == before
    writes = [q["sql"] for q in queries if not q["sql"].lstrip().upper().startswith("SELECT")]
    assert writes == []


def test_queries_do_not_grow_with_tickets(db: None) -> None:
    make_policy("Standard", filter=EVERY_TICKET, metrics=[metric("normal", minutes=60)])
    open_ticket(NOW - timedelta(days=1), timedelta(minutes=30))
    drafts = [validated("Short", 20)]
    backtest(drafts=drafts, days=30, now=NOW, group_by="metric")  # compiles the revision once
    with CaptureQueriesContext(connection) as one:
        backtest(drafts=drafts, days=30, now=NOW, group_by="metric")
    for hours in range(2, 8):
        open_ticket(NOW - timedelta(hours=hours), timedelta(minutes=hours * 15))
    with CaptureQueriesContext(connection) as many:
        result = backtest(drafts=drafts, days=30, now=NOW, group_by="metric")
    assert result["tickets"] == 7
    assert len(many) == len(one)


def test_days_are_bounded(db: None) -> None:
    for days in (0, 91):
        with pytest.raises(ValueError, match="days must be from 1 to 90"):
            backtest(drafts=[], days=days, now=NOW, group_by=None)


# The API -----------------------------------------------------------------------------------


def post(client: APIClient, body: Any, path: str = "/api/v2/slas/backtest.json") -> Any:
    with time_machine.travel(NOW, tick=False):
        return client.post(path, body, format="json")


def test_api_runs_the_backtest(history: Policy, admin_client: APIClient) -> None:
    body = {"sla_policies": [draft("Short", 20)], "days": 30, "group_by": "metric"}
    response = post(admin_client, body, "/api/v2/slas/backtest")
    assert response.status_code == 200, response.json()
    result = response.json()["backtest"]
    assert result["start_time"] == "2026-10-21T12:00:00Z"
    assert result["end_time"] == "2026-11-20T12:00:00Z"
    assert result["total"]["live"] == figures(1, 1, 1)
    assert result["total"]["draft"] == figures(0, 2, 1)
    assert result["groups"][0]["label"] == "first_reply_time"


def test_api_draft_with_a_live_id_keeps_its_policy(
    history: Policy, admin_client: APIClient
) -> None:
    same = draft("Standard", 120, id=history.pk)
    result = post(admin_client, {"sla_policies": [same]}).json()["backtest"]
    assert result["policy_changes"] == 0
    assert result["days"] == 30  # the default
    assert result["total"]["draft"] == figures(2, 0, 1)


def test_live_totals_match_the_reports(history: Policy, admin_client: APIClient) -> None:
    result = post(admin_client, {"sla_policies": [draft("Short", 20)], "days": 30}).json()
    with time_machine.travel(NOW, tick=False):
        report = admin_client.get(
            "/api/v2/slas/reports.json",
            {"start_time": "2026-10-21T12:00:00Z", "end_time": "2026-11-20T12:00:00Z"},
        ).json()["report"]["total"]
    live = result["backtest"]["total"]["live"]
    assert {k: report[k] for k in live} == live


@pytest.mark.parametrize(
    ("body", "key"),
    [
        ({"sla_policies": {"title": "t"}}, "sla_policies"),
        ({"sla_policies": [draft("A", 20), {"filter": EVERY_TICKET}]}, "sla_policies[1].title"),
        ({"sla_policies": [draft("A", 0)]}, "sla_policies[0].policy_metrics"),
        ({"sla_policies": ["x"]}, "sla_policies[0]"),
        ({"sla_policies": [], "days": 0}, "days"),
        ({"sla_policies": [], "days": 91}, "days"),
        ({"sla_policies": [], "days": "30"}, "days"),
        ({"sla_policies": [], "days": True}, "days"),
        ({"sla_policies": [], "group_by": "group"}, "group_by"),
    ],
)
def test_api_validation(admin_client: APIClient, body: Any, key: str) -> None:
    response = post(admin_client, body)
    assert response.status_code == 422
    payload = response.json()
    assert payload["error"] == "RecordInvalid"
    assert key in payload["details"], payload


@pytest.mark.parametrize("body", [[], {"days": 30}, {"sla_policy": {}}])
def test_api_needs_the_draft_list(admin_client: APIClient, body: Any) -> None:
    response = post(admin_client, body)
    assert response.status_code == 400
    assert response.json()["error"] == "InvalidRequest"


def test_api_is_for_admins(
    agent_client: APIClient, anonymous_client: APIClient, end_user_client: APIClient
) -> None:
    body = {"sla_policies": []}
    assert post(agent_client, body).status_code == 403
    assert post(end_user_client, body).status_code == 403
    assert post(anonymous_client, body).status_code == 401


# The dashboard page -------------------------------------------------------------------------

PAGE = "/admin/reports/backtest/"


def test_page_is_for_admins(client: Any, admin_user: Any, agent_user: Any, history: Policy) -> None:
    assert client.get(PAGE).status_code == 302  # to the sign-in page
    client.force_login(agent_user)
    assert client.get(PAGE).status_code == 403
    client.force_login(admin_user)
    response = client.get(PAGE)
    assert response.status_code == 200
    [live] = json.loads(response.context["drafts_text"])
    assert (live["id"], live["title"], live["policy_metrics"][0]["target"]) == (
        history.pk,
        "Standard",
        60,
    )


def test_admins_find_the_page_from_the_reports_and_the_home_page(
    client: Any, admin_user: Any, agent_user: Any
) -> None:
    for user, shown in ((agent_user, False), (admin_user, True)):
        client.force_login(user)
        for url in ("/admin/", "/admin/reports/"):
            assert (f'href="{PAGE}"' in client.get(url).content.decode()) is shown, (user, url)


def test_page_runs_the_same_backtest_as_the_api(
    client: Any, admin_user: Any, history: Policy
) -> None:
    client.force_login(admin_user)
    form = {
        "sla_policies": json.dumps([draft("Short", 20)]),
        "days": "30",
        "group_by": "metric",
    }
    with time_machine.travel(NOW, tick=False):
        response = client.post(PAGE, form)
    assert response.status_code == 200
    assert response.context["errors"] == []
    total = response.context["total"]
    assert (total["live"]["percent_text"], total["draft"]["percent_text"]) == ("50%", "0%")
    assert total["difference"]["percent_text"] == "-50 pts"
    assert [row["label"] for row in response.context["rows"]] == ["First reply time"]


@pytest.mark.parametrize(
    ("form", "message"),
    [
        ({"sla_policies": "[{", "days": "30"}, "not valid JSON"),
        ({"sla_policies": "[]", "days": "365"}, "Days: must be a whole number from 1 to 90"),
        ({"sla_policies": "[]", "days": "x"}, "Days: must be a whole number"),
        ({"sla_policies": '[{"title": ""}]', "days": "7"}, "Policy 1: Title"),
    ],
)
def test_page_shows_errors(
    client: Any, admin_user: Any, form: dict[str, str], message: str
) -> None:
    client.force_login(admin_user)
    response = client.post(PAGE, form)
    assert response.status_code == 200
    assert response.context["result"] is None
    assert any(message in error for error in response.context["errors"]), response.context["errors"]

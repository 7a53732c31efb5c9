"""SLA history is a ledger: configuration edits never rewrite what happened.

Each test edits through the API, runs the recompute for real (the database worker), and
compares what agents and reports see before and after: the report's figures for every past
week, `include=slas`, the queue's badge times and the metric events.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from io import StringIO
from typing import Any

import pytest
import time_machine
from django.core.management import call_command
from rest_framework.test import APIClient

from policies.models import Policy
from tests.conftest import token_client
from tests.factories import UserFactory, make_policy, metric
from tests.tickets.test_sla_lifecycle import EVERYTHING, VIP, create
from tickets.breach_clock import record_due_breaches
from tickets.models import (
    HistoryRewrite,
    SlaRecompute,
    Ticket,
    TicketAudit,
    TicketMetricEvent,
    TicketSlaTarget,
)
from tickets.reports import row_figures, sla_report

pytestmark = pytest.mark.django_db(transaction=True)

# The report's weeks start on Monday 00:00 UTC: a test that read the figures on a Sunday night
# and again after midnight compared two different sets of weeks. Each test runs with the clock
# stopped at this Wednesday noon, the tickets in the weeks before it.
NOW = datetime(2026, 11, 25, 12, tzinfo=UTC)


@pytest.fixture(autouse=True)
def _clock_stopped() -> Iterator[None]:
    with time_machine.travel(NOW, tick=False):
        yield


def run_worker() -> None:
    call_command("db_worker", "--batch", "--interval", "0")


def now() -> datetime:
    return datetime.now(UTC)


@pytest.fixture
def account(settings: Any) -> dict[str, Any]:
    """A VIP policy (10-minute first reply) above a catch-all (8 hours), and tickets created
    over the last three weeks: the VIP ones breached long ago, the others still running."""
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    admin = token_client(UserFactory(role="admin", email="lead@example.com"))
    customer = UserFactory(role="end-user", email="customer@example.com")
    vip = make_policy("VIP", filter=VIP, metrics=[metric("normal", minutes=10)])
    rest = make_policy(
        "Everything else", filter=EVERYTHING, metrics=[metric("normal", minutes=480)]
    )
    tickets = []
    for days_ago in (20, 14, 9, 3):
        when = now() - timedelta(days=days_ago)
        tickets.append(create(admin, customer, when=when, priority="normal", tags=["vip"]))
    for minutes_ago in (30, 90):
        when = now() - timedelta(minutes=minutes_ago)
        tickets.append(create(admin, customer, when=when, priority="normal"))
        tickets.append(create(admin, customer, when=when, priority="normal", tags=["vip"]))
    run_worker()
    record_due_breaches(now=now())
    return {"admin": admin, "vip": vip, "rest": rest, "tickets": tickets}


def seen(admin: APIClient, tickets: list[int]) -> dict[str, Any]:
    """Everything an edit must leave alone: past weeks' figures, slas, badges, events."""
    end = now()
    report = sla_report(start=end - timedelta(days=28), end=end, now=end, interval="week")
    past_weeks = [row_figures(row) for row in report.series[:-1]]
    slas = {}
    for ticket_id in tickets:
        body = admin.get(f"/api/v2/tickets/{ticket_id}.json?include=slas").json()["ticket"]
        slas[ticket_id] = body["slas"]
    badges = dict(Ticket.objects.filter(pk__in=tickets).values_list("pk", "next_breach_at"))
    targets = sorted(
        TicketSlaTarget.objects.filter(ticket_id__in=tickets).values_list(
            "ticket_id", "metric", "instance_id", "breach_at", "breached", "breached_at"
        )
    )
    events = sorted(
        TicketMetricEvent.objects.filter(ticket_id__in=tickets).values_list(
            "ticket_id", "metric", "instance_id", "type", "time", "deleted"
        ),
        key=str,
    )
    return {
        "past_weeks": past_weeks,
        "slas": slas,
        "badges": badges,
        "targets": targets,
        "events": events,
        "audits": TicketAudit.objects.count(),
    }


def reorder(admin: APIClient, ids: list[int]) -> None:
    response = admin.put("/api/v2/slas/policies/reorder", {"sla_policy_ids": ids}, format="json")
    assert response.status_code == 200, response.json()


def update_policy(admin: APIClient, policy: Policy, **fields: Any) -> None:
    response = admin.put(
        f"/api/v2/slas/policies/{policy.pk}.json", {"sla_policy": fields}, format="json"
    )
    assert response.status_code == 200, response.json()


def target(minutes: int) -> list[dict[str, Any]]:
    return [{"priority": "normal", "metric": "first_reply_time", "target": minutes}]


def test_the_fixture_has_breaches_in_past_weeks(account: dict[str, Any]) -> None:
    before = seen(account["admin"], account["tickets"])
    # The VIP tickets of 20, 14, 9 and 3 days ago breached in the four weeks before this one.
    assert [week["breached"] for week in before["past_weeks"]] == [0, 1, 1, 2]
    assert any(breached for *_, breached, _ in before["targets"])


def test_a_reorder_and_back_changes_nothing(account: dict[str, Any]) -> None:
    admin, vip, rest = account["admin"], account["vip"], account["rest"]
    before = seen(admin, account["tickets"])
    reorder(admin, [rest.pk, vip.pk])
    reorder(admin, [vip.pk, rest.pk])
    run_worker()
    assert seen(admin, account["tickets"]) == before
    assert SlaRecompute.objects.filter(parent__isnull=True, status="replaced").exists()


def test_a_reorder_and_back_with_the_worker_between_keeps_the_past(
    account: dict[str, Any],
) -> None:
    admin, vip, rest = account["admin"], account["vip"], account["rest"]
    before = seen(admin, account["tickets"])
    reorder(admin, [rest.pk, vip.pk])
    run_worker()
    moved = seen(admin, account["tickets"])
    assert moved["past_weeks"] == before["past_weeks"]
    assert moved["slas"] != before["slas"]  # the VIP tickets really moved for a while
    reorder(admin, [vip.pk, rest.pk])
    run_worker()
    after = seen(admin, account["tickets"])
    assert after["past_weeks"] == before["past_weeks"]
    assert after["badges"] == before["badges"]
    assert after["targets"] == before["targets"]
    # Events are only ever appended: the policy changes, never a deleted or moved breach.
    assert set(before["events"]) <= set(after["events"])
    added = set(after["events"]) - set(before["events"])
    assert {kind for _, _, _, kind, _, _ in added} == {"apply_sla"}


def test_an_edit_and_its_revert_and_a_title_change_change_nothing(
    account: dict[str, Any],
) -> None:
    admin, vip = account["admin"], account["vip"]
    before = seen(admin, account["tickets"])
    update_policy(admin, vip, policy_metrics=target(600))
    update_policy(admin, vip, policy_metrics=target(10))
    run_worker()
    assert seen(admin, account["tickets"]) == before

    update_policy(admin, vip, title="Very important people")
    run = SlaRecompute.objects.filter(parent__isnull=True).latest("id")
    assert run.total == 0  # no ticket can change: none is even read
    run_worker()
    assert seen(admin, account["tickets"]) == before


def test_a_real_change_moves_running_deadlines_and_leaves_the_past(
    account: dict[str, Any],
) -> None:
    admin, rest = account["admin"], account["rest"]
    before = seen(admin, account["tickets"])
    update_policy(admin, rest, policy_metrics=target(960))
    run_worker()
    after = seen(admin, account["tickets"])
    assert after["past_weeks"] == before["past_weeks"]
    running = [t for t in account["tickets"] if not Ticket.objects.get(pk=t).tags]
    for ticket_id in running:
        assert after["badges"][ticket_id] == before["badges"][ticket_id] + timedelta(hours=8)


def test_rewriting_the_past_is_explicit_and_does_what_its_preview_said(
    account: dict[str, Any],
) -> None:
    admin, vip = account["admin"], account["vip"]
    update_policy(admin, vip, policy_metrics=target(60 * 24 * 30))  # a month: none breached
    run_worker()
    kept = seen(admin, account["tickets"])
    assert sum(week["breached"] for week in kept["past_weeks"]) >= 3  # the edit kept them

    since = (now() - timedelta(days=28)).replace(microsecond=0)
    body = {"history_rewrite": {"since": since.isoformat().replace("+00:00", "Z")}}
    preview = admin.post("/api/v2/slas/history_rewrites/preview", body, format="json")
    assert preview.status_code == 200, preview.json()
    planned = preview.json()["history_rewrite"]
    assert seen(admin, account["tickets"]) == kept  # a preview writes nothing
    assert planned["tickets_changed"] >= 4
    total = planned["periods"][-1]
    assert total["period"] == "total"
    assert total["after"]["breached"] < total["before"]["breached"]

    missing_reason = admin.post("/api/v2/slas/history_rewrites", body, format="json")
    assert missing_reason.status_code == 422
    assert missing_reason.json()["details"]["reason"][0]["error"] == "BlankValue"

    body["history_rewrite"]["reason"] = "The VIP target was set too short in November"
    applied = admin.post("/api/v2/slas/history_rewrites", body, format="json")
    assert applied.status_code == 201, applied.json()
    record = applied.json()["history_rewrite"]
    assert record["periods"] == planned["periods"]
    assert record["tickets_changed"] == planned["tickets_changed"]
    assert record["actor_id"] == admin.user.pk  # type: ignore[attr-defined]
    assert HistoryRewrite.objects.get().reason.startswith("The VIP target")

    end = now()
    report = sla_report(start=since, end=end, now=end, interval="week")
    assert [row.breached for row in report.series] == [
        p["after"]["breached"] for p in planned["periods"][:-1]
    ]
    # The breaches that no longer happened are marked deleted, for the export's readers.
    assert TicketMetricEvent.objects.filter(type="breach", deleted=True).count() >= 3


def test_the_rewrite_refuses_bad_input_and_agents(account: dict[str, Any]) -> None:
    admin = account["admin"]
    future = (now() + timedelta(days=1)).isoformat()
    for body in (
        {},
        {"history_rewrite": "x"},
        {"history_rewrite": {"since": "yesterday"}},
        {"history_rewrite": {"since": future, "reason": "r"}},
    ):
        response = admin.post("/api/v2/slas/history_rewrites", body, format="json")
        assert 400 <= response.status_code < 500, body
        assert "error" in response.json()
    agent = token_client(UserFactory(role="agent", email="agent@example.com"))
    refused = agent.post(
        "/api/v2/slas/history_rewrites/preview",
        {"history_rewrite": {"since": "2026-01-01T00:00:00Z"}},
        format="json",
    )
    assert refused.status_code == 403
    assert not HistoryRewrite.objects.exists()


def test_a_burst_of_edits_is_one_recompute_ending_as_a_single_edit(
    account: dict[str, Any],
) -> None:
    admin, rest = account["admin"], account["rest"]
    before = seen(admin, account["tickets"])
    for minutes in range(500, 520):
        update_policy(admin, rest, policy_metrics=target(minutes))
    run_worker()
    runs = SlaRecompute.objects.filter(parent__isnull=True).order_by("-id")[:20]
    statuses = [run.status for run in runs]
    assert statuses.count("done") == 1
    assert statuses[0] == "done"  # the newest did the work
    assert statuses.count("replaced") == 19
    assert sum(run.changed for run in runs) == runs[0].changed
    after = seen(admin, account["tickets"])
    running = [t for t in account["tickets"] if not Ticket.objects.get(pk=t).tags]
    for ticket_id in running:
        expected = before["badges"][ticket_id] + timedelta(minutes=519 - 480)
        assert after["badges"][ticket_id] == expected


def test_sla_check_agrees_with_a_fresh_replay_after_edits(account: dict[str, Any]) -> None:
    admin, vip, rest = account["admin"], account["vip"], account["rest"]
    reorder(admin, [rest.pk, vip.pk])
    run_worker()
    update_policy(admin, vip, policy_metrics=target(5))
    reorder(admin, [vip.pk, rest.pk])
    run_worker()
    out = StringIO()
    call_command("sla_check", "--all", stdout=out)
    assert "0 with differences" in out.getvalue()

"""A recompute over many open tickets is split into parts that workers take side by side; the
run adds up their progress and is done when the last part is."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import time_machine
from rest_framework.test import APIClient

from policies import services as policy_services
from tests.factories import make_policy, metric
from tests.tickets.test_sla_lifecycle import EVERYTHING, create
from tickets.models import SlaRecompute, Ticket, User
from tickets.sla import recompute

pytestmark = pytest.mark.django_db
MON = datetime(2024, 3, 4, 9, tzinfo=UTC)


@pytest.fixture
def small_parts(settings: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    settings.SLA_RECOMPUTE_PARTS = 3
    monkeypatch.setattr(recompute, "MIN_PART", 2)


def edit_policy(policy_id: int, minutes: int, capture: Any) -> SlaRecompute:
    edit = MON + timedelta(minutes=10)
    with time_machine.travel(edit, tick=False), capture(execute=True):
        policy_services.policy_update(
            policy_id=policy_id, data={"policy_metrics": [metric("normal", minutes=minutes)]}
        )
    return SlaRecompute.objects.get(parent__isnull=True, reason="policies", revision__isnull=False)


def edit_policy_uncommitted(policy_id: int, minutes: int) -> SlaRecompute:
    """An edit whose run is recorded but, uncommitted in the test's transaction, not run."""
    policy_services.policy_update(
        policy_id=policy_id, data={"policy_metrics": [metric("normal", minutes=minutes)]}
    )
    return SlaRecompute.objects.filter(parent__isnull=True).latest("id")


def test_a_large_run_is_split_and_every_ticket_recomputed(
    admin_client: APIClient,
    end_user: User,
    small_parts: None,
    django_capture_on_commit_callbacks: Any,
) -> None:
    policy = make_policy("P", filter=EVERYTHING, metrics=[metric("normal", minutes=60)])
    tickets = [create(admin_client, end_user, when=MON, priority="normal") for _ in range(7)]
    create(admin_client, end_user, when=MON, priority="normal", status="solved")
    SlaRecompute.objects.all().delete()

    run = edit_policy(policy.pk, 30, django_capture_on_commit_callbacks)

    parts = list(run.parts.order_by("id"))
    assert [part.total for part in parts] == [2, 2, 3]
    assert [part.until_ticket_id for part in parts] == [tickets[1], tickets[3], None]
    assert all(part.status == "done" for part in parts)
    assert (run.status, run.total, run.done, run.changed) == ("done", 7, 7, 7)
    assert run.finished_at is not None
    due = MON + timedelta(minutes=30)
    assert set(Ticket.objects.filter(pk__in=tickets).values_list("next_breach_at", flat=True)) == {
        due
    }
    # Parts are the run's business: the API lists runs only.
    listed = admin_client.get("/api/v2/slas/recomputes.json").json()["recomputes"]
    assert [r["id"] for r in listed] == [run.pk]


def test_a_part_whose_worker_died_is_resumed_and_finishes_the_run(
    admin_client: APIClient, end_user: User, small_parts: None
) -> None:
    policy = make_policy("P", filter=EVERYTHING, metrics=[metric("normal", minutes=60)])
    tickets = [create(admin_client, end_user, when=MON, priority="normal") for _ in range(4)]
    with time_machine.travel(MON + timedelta(minutes=5), tick=False):
        # Not committed in this test's transaction, so the parts are not run yet.
        run = edit_policy_uncommitted(policy.pk, 30)
    first, second = run.parts.order_by("id")
    assert recompute.recompute_run(recompute_id=run.pk, now=MON).status == "queued"
    recompute.recompute_run(recompute_id=first.pk, now=MON + timedelta(minutes=6))
    run.refresh_from_db()
    assert (run.status, run.done) == ("running", 2)

    # The second part's worker took it and went quiet: only that part is enqueued again.
    SlaRecompute.objects.filter(pk=second.pk).update(
        status="running", updated_at=MON, last_ticket_id=tickets[2]
    )
    SlaRecompute.objects.filter(pk=run.pk).update(updated_at=MON)
    assert recompute.resume_stale_recomputes() == [second.pk]
    run.refresh_from_db()
    second.refresh_from_db()
    assert (second.status, second.done) == ("done", 1)
    assert (run.status, run.done) == ("done", 3)
    assert Ticket.objects.get(pk=tickets[3]).sla_policy_id is not None


def test_a_save_after_the_runs_clock_reading_does_not_fail_the_run(
    admin_client: APIClient, end_user: User
) -> None:
    policy = make_policy("P", filter=EVERYTHING, metrics=[metric("normal", minutes=60)])
    ticket = create(admin_client, end_user, when=MON, priority="normal")
    with time_machine.travel(MON + timedelta(minutes=1), tick=False):
        run = edit_policy_uncommitted(policy.pk, 30)
    # A save lands after the moment the worker read the clock, before it locked the ticket.
    with time_machine.travel(MON + timedelta(minutes=3), tick=False):
        admin_client.put(
            f"/api/v2/tickets/{ticket}.json", {"ticket": {"priority": "high"}}, format="json"
        )
    recompute.recompute_run(recompute_id=run.pk, now=MON + timedelta(minutes=2))
    run.refresh_from_db()
    assert (run.status, run.done) == ("done", 1)
    assert "0 with differences" in sla_check_output(MON + timedelta(minutes=2))


def sla_check_output(now: datetime) -> str:
    from io import StringIO

    from django.core.management import call_command

    out = StringIO()
    with time_machine.travel(now, tick=False):
        call_command("sla_check", stdout=out)
    return out.getvalue()


def test_edits_faster_than_their_runs_still_reach_every_ticket(
    admin_client: APIClient, end_user: User
) -> None:
    """More unfinished edits than a run compares one by one: it considers every ticket with
    targets instead, and ends as the last edit says."""
    policy = make_policy("P", filter=EVERYTHING, metrics=[metric("normal", minutes=60)])
    ticket = create(admin_client, end_user, when=MON, priority="normal")
    with time_machine.travel(MON + timedelta(minutes=1), tick=False):
        for minutes in range(30, 30 + recompute.MAX_COMPARED + 3):
            last = edit_policy_uncommitted(policy.pk, minutes)
    assert recompute.recompute_run(recompute_id=last.pk, now=MON + timedelta(minutes=2)).status
    last.refresh_from_db()
    assert (last.status, last.changed) == ("done", 1)
    expected = MON + timedelta(minutes=30 + recompute.MAX_COMPARED + 2)
    assert Ticket.objects.get(pk=ticket).next_breach_at == expected
    assert "0 with differences" in sla_check_output(MON + timedelta(minutes=2))

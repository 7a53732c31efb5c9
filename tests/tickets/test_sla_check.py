from __future__ import annotations

import io
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from policies import services as policy_services
from policies.models import Policy
from tests.factories import TicketFactory, make_policy, metric
from tickets.models import TicketMetricEvent, TicketSlaTarget
from tickets.sla.rewrite import history_rewrite_apply

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _ten_hour_first_reply_for_every_ticket(db: None) -> None:
    make_policy("all", filter={"all": [], "any": []}, metrics=[metric("normal", minutes=600)])


def test_sla_check_passes_when_stored_state_matches() -> None:
    TicketFactory(now=datetime.now(UTC) - timedelta(minutes=5))
    out = io.StringIO()
    call_command("sla_check", stdout=out)
    assert "1 tickets checked, 0 with differences" in out.getvalue()


def test_sla_check_reports_tampered_rows_and_lost_events() -> None:
    ticket = TicketFactory(now=datetime.now(UTC) - timedelta(minutes=5)).pk
    TicketSlaTarget.objects.filter(ticket_id=ticket).update(
        breach_at=datetime(2000, 1, 1, tzinfo=UTC)
    )
    TicketMetricEvent.objects.filter(ticket_id=ticket, type="apply_sla").delete()
    out = io.StringIO()
    with pytest.raises(CommandError):
        call_command("sla_check", stdout=out)
    report = out.getvalue()
    assert f"ticket {ticket}: target first_reply_time#1" in report
    assert f"ticket {ticket}: missing event reply_time#1 apply_sla" in report


def test_events_a_history_rewrite_kept_are_no_difference(
    django_capture_on_commit_callbacks: Any,
) -> None:
    """A breach under a target later lengthened, then the past rewritten: the breach and the
    edit's events stay in the ledger (the breach marked deleted) though a replay of the
    rewritten history has neither. Events stored after the rewrite are still checked, even
    dated before it, and so are tickets it did not cover."""
    now = datetime.now(UTC).replace(microsecond=0)
    ticket = TicketFactory(now=now - timedelta(days=3)).pk
    with django_capture_on_commit_callbacks(execute=True):
        policy_services.policy_update(
            policy_id=Policy.objects.get().pk,
            data={"policy_metrics": [metric("normal", minutes=43200)]},
        )
    rewritten_at = now - timedelta(hours=1)
    history_rewrite_apply(
        since=now - timedelta(days=7), now=rewritten_at, actor_id=None, reason="a typo"
    )
    assert TicketMetricEvent.objects.get(ticket_id=ticket, type="breach").deleted
    assert "1 tickets checked, 0 with differences" in sla_check()

    later = TicketFactory(now=now - timedelta(hours=3)).pk  # in the period, not rewritten
    for ticket_id in (ticket, later):
        TicketMetricEvent.objects.create(
            ticket_id=ticket_id,
            metric="reply_time",
            instance_id=1,
            type="breach",
            time=rewritten_at - timedelta(minutes=1),
        )
    out = io.StringIO()
    with pytest.raises(CommandError, match="2 tickets differ"):
        call_command("sla_check", stdout=out)
    for ticket_id in (ticket, later):
        assert f"ticket {ticket_id}: unexpected event reply_time#1 breach" in out.getvalue()


def sla_check() -> str:
    out = io.StringIO()
    call_command("sla_check", stdout=out)
    return out.getvalue()

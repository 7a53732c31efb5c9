from __future__ import annotations

import io
from datetime import UTC, datetime, timedelta

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from tests.factories import TicketFactory, make_policy, metric
from tickets.models import TicketMetricEvent, TicketSlaTarget

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

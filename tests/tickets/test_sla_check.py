from __future__ import annotations

import io
from datetime import UTC, datetime, timedelta

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from tests.factories import UserFactory, make_policy, metric
from tickets import services
from tickets.models import TicketMetricEvent, TicketSlaTarget

pytestmark = pytest.mark.django_db


def make_ticket() -> int:
    make_policy("all", filter={"all": [], "any": []}, metrics=[metric("normal", minutes=600)])
    customer = UserFactory(role="end-user", email="check@example.com")
    ticket = services.ticket_create(
        fields={"subject": "s", "priority": "normal", "requester_id": customer.pk},
        submitter_id=customer.pk,
        comment=services.NewComment(body="b", public=True, author_id=customer.pk),
        now=datetime.now(UTC) - timedelta(minutes=5),
    )
    return ticket.pk


def test_sla_check_passes_when_stored_state_matches() -> None:
    make_ticket()
    out = io.StringIO()
    call_command("sla_check", stdout=out)
    assert "1 tickets checked, 0 with differences" in out.getvalue()


def test_sla_check_reports_tampered_rows_and_lost_events() -> None:
    ticket = make_ticket()
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

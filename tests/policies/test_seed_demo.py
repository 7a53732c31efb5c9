"""`make run` loads a demo account in which a newcomer sees live countdowns at once."""

from __future__ import annotations

from io import StringIO
from typing import Any

import pytest
from django.core.management import call_command
from django.utils import timezone

from policies.models import GroupSlaPolicy, Policy, Schedule
from tickets.models import CustomStatus, Ticket, TicketSlaTarget

pytestmark = pytest.mark.django_db


def test_the_demo_account_has_running_countdowns_breaches_and_history(
    django_capture_on_commit_callbacks: Any,
) -> None:
    out = StringIO()
    with django_capture_on_commit_callbacks(execute=True):
        call_command("seed_demo", stdout=out)
    assert "admin  sign-in admin@example.com / slaweb-demo" in out.getvalue()
    assert Policy.objects.count() >= 3
    assert Schedule.objects.get().holidays.count() >= 2
    assert Ticket.objects.count() == 240
    now = timezone.now()
    open_targets = TicketSlaTarget.objects.filter(ticket__status__in=["new", "open", "pending"])
    running = open_targets.filter(stage="active", breached=False, breach_at__gt=now)
    assert running.values("ticket_id").distinct().count() >= 30
    assert open_targets.filter(breached=True).exists()
    assert TicketSlaTarget.objects.filter(stage="achieved").count() >= 50
    assert Ticket.objects.filter(status="solved").count() >= 50
    # Both teams' promises are measured: tickets held by Tier 1 or Tier 2 have group targets,
    # some met, some running, some missed.
    assert GroupSlaPolicy.objects.count() == 2
    group_targets = TicketSlaTarget.objects.filter(metric="group_ownership_time")
    assert set(group_targets.values_list("group_policy__title", flat=True)) == {
        "Tier 1 triages",
        "Tier 2 holds escalations",
    }
    assert group_targets.filter(stage="achieved").exists()
    assert group_targets.filter(stage="active").exists()
    assert group_targets.filter(breached=True).exists()
    assert set(
        CustomStatus.objects.filter(agent_label__startswith="Waiting").values_list(
            "agent_label", "status_category"
        )
    ) == {("Waiting on customer's IT", "pending"), ("Waiting on vendor", "hold")}

    # Running it again changes nothing and prints fresh tokens.
    call_command("seed_demo", stdout=StringIO())
    assert Ticket.objects.count() == 240

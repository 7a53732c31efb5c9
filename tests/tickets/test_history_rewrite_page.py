"""The admin page for rewriting SLA history: preview first, apply only with a reason."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from django.test import Client

from policies import services as policy_services
from tests.factories import TicketFactory, UserFactory, make_policy, metric
from tickets.models import HistoryRewrite, TicketSlaTarget, User

URL = "/admin/reports/history-rewrite/"
EVERYTHING = {"all": [], "any": []}


@pytest.fixture
def breached_then_lengthened(end_user: User, django_capture_on_commit_callbacks: Any) -> int:
    """A ticket breached days ago under a 10-minute target that was later made a month."""
    policy = make_policy("P", filter=EVERYTHING, metrics=[metric("normal", minutes=10)])
    ticket = TicketFactory(requester=end_user, now=datetime.now(UTC) - timedelta(days=3))
    with django_capture_on_commit_callbacks(execute=True):
        policy_services.policy_update(
            policy_id=policy.pk, data={"policy_metrics": [metric("normal", minutes=43200)]}
        )
    assert TicketSlaTarget.objects.get(ticket=ticket, metric="first_reply_time").breached
    return int(ticket.pk)


def signed_in(role: str) -> Client:
    client = Client()
    client.force_login(UserFactory(role=role, email=f"{role}@example.com"))
    return client


def test_preview_shows_the_change_and_writes_nothing(breached_then_lengthened: int) -> None:
    page = signed_in("admin").post(URL, {"since": _days_ago(7), "action": "preview"})
    assert page.status_code == 200
    html = page.content.decode()
    assert "1</strong> of 1 tickets" in html
    assert "1 → <strong>0</strong>" in html  # breached in that week, no longer
    assert f"#{breached_then_lengthened}" in html
    assert not HistoryRewrite.objects.exists()
    assert TicketSlaTarget.objects.get(ticket_id=breached_then_lengthened).breached


def test_apply_needs_a_reason_then_rewrites_and_records(breached_then_lengthened: int) -> None:
    client = signed_in("admin")
    refused = client.post(URL, {"since": _days_ago(7), "action": "apply", "reason": " "})
    assert refused.status_code == 200
    assert "Say why the past is being rewritten" in refused.content.decode()
    assert not HistoryRewrite.objects.exists()

    done = client.post(URL, {"since": _days_ago(7), "action": "apply", "reason": "Typo in target"})
    assert done.status_code == 302
    record = HistoryRewrite.objects.get()
    assert (record.reason, record.tickets_changed) == ("Typo in target", 1)
    assert not TicketSlaTarget.objects.get(ticket_id=breached_then_lengthened).breached
    listed = client.get(URL).content.decode()
    assert "Typo in target" in listed


def test_a_day_in_the_future_is_an_error_next_to_the_field(breached_then_lengthened: int) -> None:
    page = signed_in("admin").post(URL, {"since": _days_ago(-2), "action": "preview"})
    html = page.content.decode()
    assert 'id="since-error"' in html
    assert "The first day must be before now." in html


def test_agents_may_not_open_it(db: None) -> None:
    assert signed_in("agent").get(URL).status_code == 403


def _days_ago(days: int) -> str:
    return (datetime.now(UTC) - timedelta(days=days)).date().isoformat()

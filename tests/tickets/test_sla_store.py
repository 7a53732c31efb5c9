"""Storing SLA results: new metric events are appended without reading the stored ones back
when the ticket's event digest says they are a prefix of the fresh ones; every other case
compares with what is stored. Either way the stored events equal a fresh replay."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from policies import services as policy_services
from tests.factories import TicketFactory, make_policy, metric
from tickets.models import Ticket, TicketMetricEvent, TicketSlaTarget
from tickets.sla.recompute import ticket_sla_drift
from tickets.sla.store import ticket_sla_refresh

pytestmark = pytest.mark.django_db
# Recomputes after a policy edit run at the real time, so the tests' time is the real one.
NOW = datetime.now(UTC).replace(microsecond=0)
EVENTS_TABLE = TicketMetricEvent._meta.db_table


def open_ticket(*, minutes_ago: int, target_minutes: int = 10) -> tuple[Ticket, int]:
    policy = make_policy(
        "all", filter={"all": [], "any": []}, metrics=[metric("normal", minutes=target_minutes)]
    )
    return TicketFactory(now=NOW - timedelta(minutes=minutes_ago)), policy.pk


def stored_events(ticket_id: int) -> list[tuple[object, ...]]:
    return list(
        TicketMetricEvent.objects.filter(ticket_id=ticket_id)
        .order_by("time", "id")
        .values_list("metric", "instance_id", "type", "time", "ordinal", "deleted")
    )


def assert_consistent(ticket_id: int, now: datetime) -> None:
    ticket = Ticket.objects.get(pk=ticket_id)
    assert ticket_sla_drift(ticket, now=now) == []
    keys = [event[:5] for event in stored_events(ticket_id)]
    assert len(keys) == len(set(keys)), "an event was stored twice"


def test_a_later_store_reads_back_only_the_events_since_the_last_save() -> None:
    ticket, _ = open_ticket(minutes_ago=30, target_minutes=60)
    assert ticket.sla_events_digest
    assert ticket.sla_events_stored == len(stored_events(ticket.pk))
    with CaptureQueriesContext(connection) as queries:
        ticket_sla_refresh(Ticket.objects.get(pk=ticket.pk), now=NOW + timedelta(minutes=45))
    reads = [
        q["sql"]
        for q in queries
        if q["sql"].startswith("SELECT") and EVENTS_TABLE in q["sql"] and "MAX(" not in q["sql"]
    ]
    # One read, of this ticket's events from its last save on (the ticket carries its state),
    # besides the export's latest stamp that new events continue from.
    assert len(reads) == 1
    assert re.search(r'"?time"? >=', reads[0])
    # The breach 30 minutes later was appended.
    assert ("reply_time", 1, "breach") in [e[:3] for e in stored_events(ticket.pk)]
    assert_consistent(ticket.pk, NOW + timedelta(minutes=45))


def test_a_policy_edit_never_undoes_or_repeats_a_stored_breach(
    django_capture_on_commit_callbacks: Any,
) -> None:
    ticket, policy_id = open_ticket(minutes_ago=30, target_minutes=10)
    ticket_sla_refresh(Ticket.objects.get(pk=ticket.pk), now=NOW)
    breach = TicketMetricEvent.objects.get(ticket_id=ticket.pk, type="breach")
    assert not breach.deleted

    with django_capture_on_commit_callbacks(execute=True):  # the recompute
        policy_services.policy_update(
            policy_id=policy_id, data={"policy_metrics": [metric("normal", minutes=120)]}
        )
    breach.refresh_from_db()
    assert not breach.deleted
    target = TicketSlaTarget.objects.get(ticket_id=ticket.pk, metric="first_reply_time")
    assert (target.breached, target.breached_at, target.target_seconds) == (
        True,
        breach.time,
        7200,
    )
    assert_consistent(ticket.pk, datetime.now(UTC))

    with django_capture_on_commit_callbacks(execute=True):
        policy_services.policy_update(
            policy_id=policy_id,
            data={"policy_metrics": [metric("normal", minutes=5)]},
        )
    assert list(TicketMetricEvent.objects.filter(ticket_id=ticket.pk, type="breach")) == [breach]
    assert_consistent(ticket.pk, datetime.now(UTC))


@pytest.mark.parametrize(
    "digest",
    ["", "0" * 64],
    ids=["unknown digest", "digest of other events"],
)
def test_without_a_trusted_digest_stored_events_are_compared(digest: str) -> None:
    """A whole replay (an import's) appends after a known prefix only when it can trust it."""
    ticket, _ = open_ticket(minutes_ago=30, target_minutes=10)
    before = stored_events(ticket.pk)
    Ticket.objects.filter(pk=ticket.pk).update(sla_events_digest=digest)
    ticket_sla_refresh(Ticket.objects.get(pk=ticket.pk), now=NOW, whole=True)
    after = stored_events(ticket.pk)
    assert after[: len(before)] == before
    assert len(after) > len(before)  # the breach
    assert_consistent(ticket.pk, NOW)
    assert Ticket.objects.get(pk=ticket.pk).sla_events_digest not in ("", "0" * 64)


def test_an_event_the_fresh_replay_no_longer_has_leaves_the_digest_unknown() -> None:
    ticket, _ = open_ticket(minutes_ago=30, target_minutes=60)
    TicketMetricEvent.objects.create(
        ticket_id=ticket.pk,
        metric="first_reply_time",
        instance_id=9,
        type="activate",
        time=NOW - timedelta(hours=2),
    )
    Ticket.objects.filter(pk=ticket.pk).update(sla_events_digest="")
    ticket_sla_refresh(Ticket.objects.get(pk=ticket.pk), now=NOW)
    assert Ticket.objects.get(pk=ticket.pk).sla_events_digest == ""
    # And the next store compares again instead of trusting a prefix.
    ticket_sla_refresh(Ticket.objects.get(pk=ticket.pk), now=NOW + timedelta(hours=1))
    keys = [event[:5] for event in stored_events(ticket.pk)]
    assert len(keys) == len(set(keys))

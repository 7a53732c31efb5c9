"""Ticket metrics for stored tickets: load their audits, hand the histories to the engine.

Metrics are computed on the fly from the audits, never stored. A batch of tickets costs the same
queries whatever its size or the length of the histories: one for the audits of every ticket in
the batch and the few that load the account's default schedule.

The history is built here rather than with `store.ticket_history`: metrics need no policies, and
looking up each audit's policy revision would cost a query per revision not yet cached; they need
the author of each save, which `ReplayAudit` does not carry.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from datetime import datetime
from typing import Any, NamedTuple

from django.db.models import QuerySet

from policies.engine.business_time import Schedule
from policies.engine.history import TicketUpdate
from policies.engine.ticket_metrics import TicketMetricSet, ticket_metric_set
from tickets.models import Ticket, TicketAudit
from tickets.selectors import account_schedule
from tickets.sla.store import audit_update


class MetricAudit(NamedTuple):
    """What the metrics read of an audit."""

    ticket_id: int
    created_at: datetime
    via_id: int
    author_id: int | None
    snapshot: dict[str, Any] | None
    comment_id: int | None
    comment_author_id: int | None
    comment_public: bool | None
    comment_author_role: str


def metric_audits(ticket_ids: Sequence[int]) -> dict[int, list[MetricAudit]]:
    """The audits of `ticket_ids` in time order, by ticket: one query."""
    rows = (
        TicketAudit.objects.filter(ticket_id__in=ticket_ids)
        .order_by("ticket_id", "created_at", "id")
        .values_list(
            "ticket_id",
            "created_at",
            "via_id",
            "author_id",
            "snapshot",
            "comment_id",
            "comment__author_id",
            "comment__public",
            "comment_author_role",
        )
    )
    by_ticket: dict[int, list[MetricAudit]] = defaultdict(list)
    for row in rows:
        audit = MetricAudit._make(row)
        by_ticket[audit.ticket_id].append(audit)
    return by_ticket


def metric_history(ticket: Ticket, audits: Sequence[MetricAudit]) -> list[TicketUpdate]:
    """The engine's view of the ticket, one update per audit (policies left out)."""
    updates: list[TicketUpdate] = []
    for audit in audits:
        updates.append(audit_update(ticket, audit, updates[-1] if updates else None))
    return updates


def ticket_metric_sets(
    tickets: Sequence[Ticket], *, now: datetime, schedule: Schedule | None
) -> list[TicketMetricSet]:
    """The metrics of each ticket, in the order given, as of `now` (or of the last save, when a
    save committed after the caller read the clock)."""
    audits = metric_audits([t.pk for t in tickets])
    results = []
    for ticket in tickets:
        rows = audits.get(ticket.pk, [])
        history = metric_history(ticket, rows)
        as_of = max(now, history[-1].at) if history else now
        updaters = [row.author_id for row in rows]
        results.append(ticket_metric_set(history, schedule=schedule, now=as_of, updaters=updaters))
    return results


def metric_tickets() -> QuerySet[Ticket]:
    """The tickets metrics are listed for, with only the columns the metrics read."""
    return Ticket.objects.only("id", "created_at")


def ticket_metric_set_of(ticket_id: int, *, now: datetime) -> TicketMetricSet:
    """One ticket's metrics. Raises Ticket.DoesNotExist."""
    ticket = metric_tickets().get(pk=ticket_id)
    return ticket_metric_sets([ticket], now=now, schedule=account_schedule())[0]

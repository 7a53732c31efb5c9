"""Rewriting the past on purpose: today's SLA configuration re-applied to whole histories.

Edits never change what happened (see `tickets.sla.recompute`). When the past itself was wrong,
say a target set too short for a month, an admin re-applies the current policies and schedule
to the tickets created since a moment, as if they had been in force from each ticket's
creation. Every audit of those tickets then names the current revision, their SLA is replayed,
breaches that no longer happened are marked deleted in the metric events, and the rewrite is
recorded: who, when, why, which tickets changed and each past period's figures before and after.

The preview runs the very same rewrite inside a transaction that is rolled back, so what it
shows is exactly what applying does to the same data.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.db import transaction
from django.db.models import Max, QuerySet

from policies.selectors import default_schedule
from policies.services import policy_revision_current
from tickets.models import HistoryRewrite, Ticket, TicketAudit, TicketMetricEvent
from tickets.reports import ReportRow, row_figures, sla_report
from tickets.sla.recompute import BATCH, STORE_FIELDS, sla_signature
from tickets.sla.store import (
    audits_by_ticket,
    evaluate_stored,
    instances_of,
    sla_store_many,
)

# Changed tickets listed in a preview or a record; the count covers them all.
LISTED = 500


@dataclass(frozen=True)
class RewriteOutcome:
    since: datetime
    revision_id: int
    time_zone: str
    tickets_considered: int
    tickets_changed: int
    tickets: list[dict[str, Any]]
    periods: list[dict[str, Any]]
    last_ticket_id: int | None  # the newest ticket it covered
    last_event_id: int | None  # the newest metric event once it had run

    def summary(self) -> dict[str, Any]:
        """What a record keeps and the API shows."""
        return {
            "time_zone": self.time_zone,
            "tickets": self.tickets,
            "tickets_listed_all": self.tickets_changed <= len(self.tickets),
            "periods": self.periods,
        }


class RewriteRangeError(ValueError):
    """`since` is not in the last `MAX_YEARS` years."""


# How far back a rewrite may reach: further than any report or export reads.
MAX_YEARS = 10


def history_rewrite_preview(*, since: datetime, now: datetime) -> RewriteOutcome:
    """What re-applying would change, without changing anything."""
    try:
        with transaction.atomic():
            outcome = _rewrite(since=since, now=now)
            raise _RolledBack(outcome)
    except _RolledBack as preview:
        return preview.outcome


@transaction.atomic
def history_rewrite_apply(
    *, since: datetime, now: datetime, actor_id: int | None, reason: str
) -> HistoryRewrite:
    """Re-apply the current configuration to the tickets created since `since`, and record it."""
    outcome = _rewrite(since=since, now=now)
    return HistoryRewrite.objects.create(
        created_at=now,
        actor_id=actor_id,
        reason=reason,
        since=outcome.since,
        revision_id=outcome.revision_id,
        tickets_considered=outcome.tickets_considered,
        tickets_changed=outcome.tickets_changed,
        summary=outcome.summary(),
        last_ticket_id=outcome.last_ticket_id,
        last_event_id=outcome.last_event_id,
    )


class _RolledBack(Exception):
    def __init__(self, outcome: RewriteOutcome) -> None:
        super().__init__("preview")
        self.outcome = outcome


def _chunks(ids: Sequence[int]) -> Iterator[Sequence[int]]:
    for start in range(0, len(ids), BATCH):
        yield ids[start : start + BATCH]


def _rewrite(*, since: datetime, now: datetime) -> RewriteOutcome:
    if since >= now:
        raise RewriteRangeError("must be before now")
    if since < now - timedelta(days=366 * MAX_YEARS):
        raise RewriteRangeError(f"must be within the last {MAX_YEARS} years")
    revision_id = policy_revision_current(now=now)
    schedule = default_schedule()
    time_zone = schedule.time_zone if schedule is not None else "UTC"
    before = sla_report(start=since, end=now, now=now, time_zone=time_zone, interval="week")
    ids = list(
        Ticket.objects.filter(created_at__gte=since).order_by("pk").values_list("pk", flat=True)
    )
    changed: list[dict[str, Any]] = []
    changed_count = 0
    for batch in _chunks(ids):
        tickets = list(
            Ticket.objects.select_for_update()
            .only(*STORE_FIELDS)
            .filter(pk__in=batch)
            .order_by("pk")
        )
        old_audits = audits_by_ticket(batch)
        TicketAudit.objects.filter(ticket_id__in=batch).exclude(revision_id=revision_id).update(
            revision_id=revision_id
        )
        # The ticket metrics measure each save on its revision's schedule: their carried
        # states no longer match the history, so they are replayed until the clock stores
        # them again (`ticket_metrics_fill`).
        Ticket.objects.filter(pk__in=batch).update(metrics_state=None)
        new_audits = audits_by_ticket(batch)
        results = []
        for ticket in tickets:
            old = evaluate_stored(ticket, now=now, audits=old_audits[ticket.pk]).result
            evaluation = evaluate_stored(ticket, now=now, audits=new_audits[ticket.pk])
            new = evaluation.result
            # Every ticket in the period carries a state of its rewritten history from now on.
            ticket.sla_state = evaluation.state()
            results.append((ticket, new))
            if sla_signature(old) == sla_signature(new):
                continue
            changed_count += 1
            if len(changed) < LISTED:
                changed.append(
                    {
                        "id": ticket.pk,
                        "policy_before": old.policy.id if old.policy else None,
                        "policy_after": new.policy.id if new.policy else None,
                        "breaches_before": sum(1 for i in instances_of(old) if i.breached),
                        "breaches_after": sum(1 for i in instances_of(new) if i.breached),
                    }
                )
        sla_store_many(results, now=now, rewritten=True)
    after = sla_report(start=since, end=now, now=now, time_zone=time_zone, interval="week")
    periods = [
        {"period": old_row.key, "before": _figures(old_row), "after": _figures(new_row)}
        for old_row, new_row in zip(before.series, after.series, strict=True)
    ]
    periods.append(
        {"period": "total", "before": _figures(before.total), "after": _figures(after.total)}
    )
    return RewriteOutcome(
        since=since,
        revision_id=revision_id,
        time_zone=time_zone,
        tickets_considered=len(ids),
        tickets_changed=changed_count,
        tickets=changed,
        periods=periods,
        last_ticket_id=ids[-1] if ids else None,
        last_event_id=TicketMetricEvent.objects.aggregate(last=Max("id"))["last"],
    )


def _figures(row: ReportRow) -> dict[str, Any]:
    """The outcome counts of a report row (as the reports name them), without its durations."""
    figures = row_figures(row)
    return {name: figures[name] for name in FIGURES}


FIGURES = ("achieved", "breached", "in_progress", "achieved_percent")


def history_rewrites() -> QuerySet[HistoryRewrite]:
    """The recorded rewrites, newest first."""
    return HistoryRewrite.objects.select_related("actor", "revision").order_by("-id")

"""Ticket metrics for stored tickets, carried forward like the SLA state.

Each save feeds its audit to the ticket's metrics and stores where they stand
(`Ticket.metrics_state`), so a save costs the same however long the ticket's history, and
reading a page of metrics decodes one small state per ticket instead of replaying every audit.
A ticket without a state (written before states existed, by bulk tools, or after a history
rewrite) is replayed from its audits on read until its next save, or the breach clock
(`ticket_metrics_fill`, every round), stores one. A state another version of the metrics wrote
is replayed the same way until the ticket's next save; a version that changes what a state means
ships with a migration clearing the states, for the clock to store them again.

Each duration is measured on the schedule of the save that ended it (the default schedule
frozen in that save's policy revision), as Zendesk keeps a period with the schedule in force
when it ended; a full replay measures the same way, so carrying forward and replaying agree.

The history is built here rather than with `store.ticket_history`: metrics need no policies,
only each save's fields, comment, author and schedule.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

from django.db import transaction
from django.db.models import Exists, OuterRef, QuerySet

from policies.engine.ticket_metrics import StateError, TicketMetricSet, TicketMetricsReplay
from tickets.models import Ticket, TicketAudit
from tickets.sla.store import (
    ReplayAudit,
    audit_update,
    replay_rows,
    revision_schedule,
    ticket_sla_refresh,
)


def metrics_fed(
    replay: TicketMetricsReplay, ticket: Ticket, audits: Iterable[ReplayAudit]
) -> TicketMetricsReplay:
    """`replay` after the ticket's `audits`, each measured on its revision's schedule.

    Audits without a snapshot are configuration edits reaching the ticket (a recompute's): they
    change no field and carry no comment or author, so nothing measured can move."""
    for audit in audits:
        if audit.snapshot is None:
            continue
        replay.step(
            audit_update(ticket, audit, None),
            author=audit.author_id,
            schedule=revision_schedule(audit.revision_id, audit.revision_schedule_digest),
        )
    return replay


def _carried(state: Any) -> tuple[TicketMetricsReplay, int] | None:
    """The replay a stored state continues and the last audit it has seen; None when the
    state is missing or cannot be continued."""
    if not isinstance(state, dict) or not isinstance(state.get("audit"), int):
        return None
    try:
        return TicketMetricsReplay.load(state.get("replay")), state["audit"]
    except StateError:
        return None


def ticket_states_refresh(ticket: Ticket, *, now: datetime, whole: bool = False) -> None:
    """After a save wrote its audit (an import, its whole history: `whole`), carry the ticket's
    metrics and evaluate its SLA, and store both states in one UPDATE of its row. Called in the
    transaction that wrote the audits, under the ticket's row lock. The metrics first: the SLA
    store ends holding the export's lock until the commit."""
    _metrics_carry(ticket, whole=whole)
    ticket_sla_refresh(ticket, now=now, whole=whole, with_metrics_state=True)


def _metrics_carry(ticket: Ticket, *, whole: bool) -> None:
    """Carry `ticket.metrics_state` past its audits since the state (all of them when `whole`)."""
    carried = None
    if not whole:
        # A save reads it with the locked row; a ticket loaded without it reads it now.
        carried = _carried(ticket.metrics_state)
    audits = TicketAudit.objects.filter(ticket_id=ticket.pk)
    replay = TicketMetricsReplay()
    if carried is not None:
        replay, seen = carried
        audits = audits.filter(id__gt=seen)
    rows = list(replay_rows(audits))
    if not rows:
        return
    metrics_fed(replay, ticket, rows)
    ticket.metrics_state = {"audit": max(row.id for row in rows), "replay": replay.dump()}


# Tickets `ticket_metrics_fill` stores the state of per transaction.
FILL_BATCH = 100


def ticket_metrics_fill(*, batch: int = FILL_BATCH) -> int:
    """Store the metrics state of up to `batch` tickets that have none, replayed from their
    audits in one query; returns how many. Tickets being saved are skipped (their save stores
    it), so the clock never waits on a ticket's lock; the batch is small, so a save never waits
    long on the clock's."""
    with transaction.atomic():
        tickets = list(
            Ticket.objects.select_for_update(skip_locked=True)
            .filter(
                Exists(TicketAudit.objects.filter(ticket_id=OuterRef("pk"))),
                metrics_state__isnull=True,
            )
            .only("id", "created_at")
            .order_by("id")[:batch]
        )
        if not tickets:
            return 0
        audits: dict[int, list[ReplayAudit]] = defaultdict(list)
        for row in replay_rows(TicketAudit.objects.filter(ticket_id__in=[t.pk for t in tickets])):
            audits[row.ticket_id].append(row)
        for ticket in tickets:
            rows = audits[ticket.pk]
            replay = metrics_fed(TicketMetricsReplay(), ticket, rows)
            ticket.metrics_state = {"audit": max(r.id for r in rows), "replay": replay.dump()}
        Ticket.objects.bulk_update(tickets, ["metrics_state"])
    return len(tickets)


def ticket_metric_sets(tickets: Sequence[Ticket]) -> list[TicketMetricSet]:
    """The metrics of each ticket (loaded with `metric_tickets`), in the order given, as of
    its last save: from its carried state, or replayed from its audits (one query for all the
    tickets without a usable state)."""
    carried = {ticket.pk: _carried(ticket.metrics_state) for ticket in tickets}
    replayed = [ticket.pk for ticket in tickets if carried[ticket.pk] is None]
    audits: dict[int, list[ReplayAudit]] = defaultdict(list)
    if replayed:
        for row in replay_rows(TicketAudit.objects.filter(ticket_id__in=replayed)):
            audits[row.ticket_id].append(row)
    results = []
    for ticket in tickets:
        found = carried[ticket.pk]
        if found is not None:
            results.append(found[0].result())
        else:
            results.append(metrics_fed(TicketMetricsReplay(), ticket, audits[ticket.pk]).result())
    return results


def metric_tickets() -> QuerySet[Ticket]:
    """The tickets metrics are listed for, with only the columns the metrics read."""
    return Ticket.objects.only("id", "created_at", "metrics_state")


def ticket_metric_set_of(ticket_id: int) -> TicketMetricSet:
    """One ticket's metrics. Raises Ticket.DoesNotExist."""
    return ticket_metric_sets([metric_tickets().get(pk=ticket_id)])[0]

"""The breach clock: record SLA breaches as their deadlines pass, not only when tickets are saved.

A save stores the metric events with time <= the save's `now`; a deadline still in the future
at that save has no breach event yet. The clock finds the targets whose `breach_at` has passed
(the `sla_target_due` partial index) and replays each such ticket with `ticket_sla_refresh`.
The replay is a pure function of the ticket's audits, so the breach is recorded at `breach_at`
however late the clock runs (after downtime too), and replaying again writes nothing new.

Several clocks may run at once: each ticket is refreshed in its own transaction, holding the
ticket's row lock (`SELECT ... FOR UPDATE SKIP LOCKED` where the database has it), and is
checked to be still due once locked, so a ticket another clock (or a ticket save) has just
handled is passed over. The unique key `metric_event_once` backs this up.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime

from django.db import connection, transaction
from django.db.models import Min, QuerySet

from tickets.models import Ticket, TicketSlaTarget
from tickets.notifications.firing import notifications_fire_due
from tickets.notifications.objective_alerts import objective_alerts_check, objective_check_due
from tickets.sla.store import ticket_sla_refresh

logger = logging.getLogger(__name__)


def _pending() -> QuerySet[TicketSlaTarget]:
    """Running targets not yet breached: the `sla_target_due` index's rows."""
    return TicketSlaTarget.objects.filter(stage="active", breached=False, breach_at__isnull=False)


def due_targets(*, now: datetime) -> QuerySet[TicketSlaTarget]:
    """Targets whose deadline has passed at `now` with no breach recorded yet."""
    return _pending().filter(breach_at__lte=now)


def due_ticket_ids(*, now: datetime, limit: int) -> list[int]:
    """Up to `limit` tickets with a due target, the most overdue first."""
    rows = (
        due_targets(now=now)
        .values("ticket_id")
        .annotate(first_due=Min("breach_at"))
        .order_by("first_due", "ticket_id")[:limit]
    )
    return [row["ticket_id"] for row in rows]


def next_due(*, now: datetime) -> datetime | None:
    """The soonest deadline after `now` of a running target: when the clock has work next.

    Deadlines already past are the work of `record_due_breaches`, not something to wait for:
    one still pending after a round (its ticket failed, or another clock holds it) is retried
    by the next round, so counting it here would only make the loop spin.
    """
    return (
        _pending()
        .filter(breach_at__gt=now)
        .order_by("breach_at")
        .values_list("breach_at", flat=True)
        .first()
    )


def _lock(ticket_id: int) -> Ticket | None:
    """The ticket, row-locked for this transaction; None if another transaction holds it."""
    tickets = Ticket.objects.filter(pk=ticket_id).select_related(
        "requester", "submitter", "organization"
    )
    if connection.features.has_select_for_update_skip_locked:
        tickets = tickets.select_for_update(skip_locked=True, of=("self",))
    else:
        # SQLite: no row locks; a transaction takes the database's write lock at BEGIN
        # (transaction_mode IMMEDIATE), so clocks and saves run one after another.
        tickets = tickets.select_for_update()
    return tickets.first()


def _refresh_if_due(ticket_id: int, now: datetime) -> bool:
    with transaction.atomic():
        ticket = _lock(ticket_id)
        if ticket is None:
            return False
        # Checked again under the lock (a new statement, so a new snapshot): another clock or a
        # save may have recorded the breach, or moved the deadline, since the work list was read.
        if not due_targets(now=now).filter(ticket_id=ticket_id).exists():
            return False
        if ticket.audits.filter(created_at__gt=now).exists():
            # Saved after `now` (a save racing this round): that save already stored the
            # ticket's events up to its own, later, time.
            return False
        ticket_sla_refresh(ticket, now=now)
        return True


def record_due_breaches(
    *, now: datetime, limit: int = 200, should_stop: Callable[[], bool] | None = None
) -> int:
    """Refresh up to `limit` tickets with a target due at `now`; return how many were refreshed.

    Each ticket is refreshed in its own transaction; a ticket that fails is logged and left for
    the next round, the others go on. `should_stop` is asked before each ticket, so a stopping
    clock finishes the ticket in hand and no more.
    """
    refreshed = 0
    for ticket_id in due_ticket_ids(now=now, limit=limit):
        if should_stop is not None and should_stop():
            break
        try:
            if _refresh_if_due(ticket_id, now):
                refreshed += 1
        except Exception:
            logger.exception("SLA clock: refreshing ticket %s at %s failed", ticket_id, now)
    return refreshed


def fire_due_notifications(*, now: datetime, limit: int = 200) -> int:
    """The clock's second duty: queue the SLA notifications due at `now` for delivery (after
    this round's breaches are recorded, so a breach and its notification agree)."""
    try:
        return notifications_fire_due(now=now, limit=limit)
    except Exception:
        logger.exception("SLA clock: firing notifications at %s failed", now)
        return 0


def check_objective_alerts(*, now: datetime, last_checked_at: datetime | None) -> datetime | None:
    """The clock's third duty: when `SLAWEB_OBJECTIVE_CHECK_SECONDS` have passed since
    `last_checked_at`, open and close the objective alerts' episodes at `now` (before the
    round's notifications are fired, so a new alert goes out in the same round). Returns the
    time of the last check: `now` if this one ran, else `last_checked_at`."""
    if not objective_check_due(now=now, last_checked_at=last_checked_at):
        return last_checked_at
    try:
        opened = objective_alerts_check(now=now)
        if opened:
            logger.info("SLA clock: %s objective alert(s) at %s", opened, now)
    except Exception:
        # Checked again at the next interval; a failing check must not stop breaches.
        logger.exception("SLA clock: checking objectives at %s failed", now)
    return now

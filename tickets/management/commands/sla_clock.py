"""Record SLA breaches as their deadlines pass: a long-running loop (or one round with --once).

Each round refreshes the tickets whose targets are due, publishes any metric events that were
committed without being published (tickets/sla/publishing.py), stores the ticket metrics of
tickets that have no carried state yet (tickets/sla/ticket_metrics.py), opens the objective
alerts whose condition has started to hold (tickets/objective_alerts.py, at most every
SLAWEB_OBJECTIVE_CHECK_SECONDS) and queues the SLA notifications that are due
(tickets/notifications.py), then sleeps until the next deadline or notification, never
longer than --interval (so tickets saved meanwhile are picked up) and never busy-loops.
SIGTERM/SIGINT finish the ticket in hand and exit 0. Several clocks may run at once.
"""

from __future__ import annotations

import logging
import signal
import threading
from datetime import datetime, timedelta
from types import FrameType
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import close_old_connections, connections
from django.utils import timezone

from tickets.breach_clock import (
    check_objective_alerts,
    fire_due_notifications,
    next_due,
    record_due_breaches,
)
from tickets.jobs import resume_stale_jobs
from tickets.notifications.firing import next_notification_due
from tickets.sla.publishing import publish_unpublished
from tickets.sla.recompute import resume_stale_recomputes
from tickets.sla.ticket_metrics import FILL_BATCH, ticket_metrics_fill

logger = logging.getLogger("tickets.sla.breach_clock")

# Wake this much after a deadline, so the round's `now` is past it despite clock jitter.
WAKE_MARGIN = 0.005
# The clock also restarts background recomputes whose worker died.
RESUME_EVERY = timedelta(seconds=30)


def close_stale_connections() -> None:
    """Drop connections past their age or broken, so the next round reconnects cleanly."""
    if any(conn.in_atomic_block for conn in connections.all(initialized_only=True)):
        return  # run inside a caller's transaction (call_command in a test): not ours to close
    close_old_connections()


class Command(BaseCommand):
    help = __doc__

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--once", action="store_true", help="run one round, then exit")
        parser.add_argument(
            "--interval",
            type=float,
            default=1.0,
            help="longest sleep between rounds, in seconds (default 1.0)",
        )
        parser.add_argument(
            "--batch", type=int, default=200, help="most tickets refreshed per round"
        )

    def handle(self, *args: Any, once: bool, interval: float, batch: int, **options: Any) -> None:
        if interval <= 0:
            raise CommandError("--interval must be more than 0")
        if batch <= 0:
            raise CommandError("--batch must be more than 0")
        stop = threading.Event()

        def request_stop(signum: int, frame: FrameType | None) -> None:
            stop.set()

        signums = (signal.SIGTERM, signal.SIGINT)
        previous = {signum: signal.signal(signum, request_stop) for signum in signums}
        try:
            self.loop(stop, once=once, interval=interval, batch=batch)
        finally:
            for signum, handler in previous.items():
                signal.signal(signum, handler)
            close_stale_connections()

    def loop(self, stop: threading.Event, *, once: bool, interval: float, batch: int) -> None:
        resume_check_at = timezone.now()
        objectives_checked_at: datetime | None = None
        while not stop.is_set():
            close_stale_connections()
            started = timezone.now()
            refreshed = fired = 0
            upcoming = None
            try:
                refreshed = record_due_breaches(now=started, limit=batch, should_stop=stop.is_set)
                objectives_checked_at = check_objective_alerts(
                    now=started, last_checked_at=objectives_checked_at
                )
                fired = fire_due_notifications(now=started, limit=batch)
                upcoming = min(
                    (t for t in (next_due(now=started), next_notification_due(now=started)) if t),
                    default=None,
                )
                if started >= resume_check_at:
                    resume_check_at = started + RESUME_EVERY
                    for run_id in resume_stale_recomputes():
                        self.stdout.write(f"{started.isoformat()} resumed recompute {run_id}")
                    for job_id in resume_stale_jobs():
                        self.stdout.write(f"{started.isoformat()} resumed job {job_id}")
            except Exception:
                # The database went away, say: keep going, the next round retries.
                logger.exception("SLA clock: round at %s failed", started)
            try:
                publish_unpublished()
            except Exception:
                logger.exception("SLA clock: publishing metric events at %s failed", started)
            filled = 0
            try:
                filled = ticket_metrics_fill()
            except Exception:
                logger.exception("SLA clock: storing ticket metrics at %s failed", started)
            if refreshed:
                self.stdout.write(f"{started.isoformat()} refreshed {refreshed} ticket(s)")
                self.stdout.flush()
            if fired:
                self.stdout.write(f"{started.isoformat()} queued {fired} notification(s)")
                self.stdout.flush()
            if once:
                return
            close_stale_connections()
            if refreshed >= batch or fired >= batch or filled >= FILL_BATCH:
                continue  # a backlog: next batch at once
            wait = interval
            if upcoming is not None:
                until = (upcoming - timezone.now()).total_seconds() + WAKE_MARGIN
                wait = min(interval, max(until, 0.0))
            stop.wait(wait)

"""Check that every open ticket's stored SLA equals a fresh replay of its history.

Prints each difference and exits 1 if there is any, so it can guard deployments and restores.
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from tickets.models import OPEN_STATUSES, Ticket
from tickets.sla.recompute import ticket_sla_drift


class Command(BaseCommand):
    help = __doc__

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--all", action="store_true", help="solved and closed tickets too")

    def handle(self, *args: Any, all: bool = False, **options: Any) -> None:
        now = timezone.now()
        tickets = Ticket.objects.select_related("requester", "submitter", "organization")
        if not all:
            tickets = tickets.filter(status__in=OPEN_STATUSES)
        checked = drifted = 0
        for ticket in tickets.order_by("pk").iterator(chunk_size=500):
            checked += 1
            problems = ticket_sla_drift(ticket, now=now)
            if problems:
                drifted += 1
                for problem in problems:
                    self.stdout.write(f"ticket {ticket.pk}: {problem}")
        self.stdout.write(f"{checked} tickets checked, {drifted} with differences")
        if drifted:
            raise CommandError(f"{drifted} tickets differ from a fresh evaluation")

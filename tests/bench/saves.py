"""The cost of one ticket save as the ticket ages, for `make bench`.

One ticket takes one comment a minute (the requester and an agent in turn, the agent's reply
setting it pending) under a catch-all policy with targets for all seven metrics, through
`tickets.services.ticket_update`, as the API does. At 10, 100, 1,000 and 5,000 audits (as many
comments as Zendesk allows) the median of the last ten saves is taken, and beside it the median
of replaying the same ticket's whole history (what every save cost before the SLA state was
carried). Goal: a save at 1,000 audits costs at most 1.5 times a save at 10.
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable
from datetime import datetime, timedelta

from django.db import connection
from django.utils import timezone

from policies import services as policy_services
from tickets import services
from tickets.models import Ticket, User
from tickets.sla.store import ticket_sla_refresh

METRICS = [
    ("first_reply_time", 60),
    ("next_reply_time", 30),
    ("periodic_update_time", 120),
    ("pausable_update_time", 120),
    ("requester_wait_time", 480),
    ("agent_work_time", 240),
    ("total_resolution_time", 1440),
]
CHECKPOINTS = (10, 100, 1000, 5000)


def _timed(call: Callable[[], object]) -> float:
    started = time.perf_counter()
    call()
    return (time.perf_counter() - started) * 1000


def _replay_whole(ticket_id: int, now: datetime) -> None:
    ticket_sla_refresh(Ticket.objects.get(pk=ticket_id), now=now, whole=True)


def _thread(
    customer: User,
    agent: User,
    start: datetime,
    audits: int,
    checkpoint: Callable[[int, list[float]], None],
) -> None:
    """A ticket taking a comment a minute, the requester and an agent in turn, timed."""
    ticket = services.ticket_create(
        fields={"subject": "Long thread", "requester_id": customer.pk, "priority": "normal"},
        submitter_id=customer.pk,
        comment=services.NewComment(body="Help", public=True, author_id=customer.pk),
        now=start,
    )
    saves: list[float] = []
    for minute in range(1, audits):
        author = agent if minute % 2 else customer
        started = time.perf_counter()
        services.ticket_update(
            ticket_id=ticket.pk,
            fields={"status": "pending"} if author is agent else {},
            author_id=author.pk,
            comment=services.NewComment(body="…", public=True, author_id=author.pk),
            now=start + timedelta(minutes=minute),
        )
        saves.append((time.perf_counter() - started) * 1000)
        checkpoint(ticket.pk, saves)


def run(write: Callable[[str], None]) -> dict[str, float]:
    if connection.vendor != "postgresql":
        write("skipped: the ticket benchmarks run on PostgreSQL (set DATABASE_URL=postgres://...)")
        return {}
    old_name = connection.settings_dict["NAME"]
    connection.creation.create_test_db(verbosity=0, autoclobber=True)
    try:
        policy_services.policy_create(
            title="Everything",
            filter={"all": [], "any": []},
            policy_metrics=[
                {
                    "priority": "normal",
                    "metric": metric,
                    "target_seconds": minutes * 60,
                    "business_hours": False,
                }
                for metric, minutes in METRICS
            ],
        )
        customer = User.objects.create(email="saves@example.com", name="Customer", role="end-user")
        agent = User.objects.create(email="agent@example.com", name="Agent", role="agent")
        start = timezone.now().replace(microsecond=0) - timedelta(minutes=max(CHECKPOINTS) + 100)
        # A warm-up thread first, so the first saves measured pay no one-off costs.
        _thread(customer, agent, start, 30, lambda _ticket, _saves: None)
        carried: dict[int, float] = {}
        whole: dict[int, float] = {}

        def checkpoint(ticket_id: int, saves: list[float]) -> None:
            count = len(saves) + 1  # the creation's audit, and one per save
            if count not in CHECKPOINTS:
                return
            carried[count] = statistics.median(saves[-10:])
            now = timezone.now()
            replays = [_timed(lambda: _replay_whole(ticket_id, now)) for _ in range(5)]
            whole[count] = statistics.median(replays)
            write(
                f"  {count:>5,} audits: one save {carried[count]:6.1f} ms (median of the last "
                f"ten); replaying the whole history {whole[count]:6.1f} ms"
            )

        _thread(customer, agent, start + timedelta(minutes=40), max(CHECKPOINTS), checkpoint)
        low, goal, high = 10, 1000, max(CHECKPOINTS)
        write(
            f"  a save at {goal:,} audits costs {carried[goal] / carried[low]:.2f}x one at {low} "
            f"(goal: at most 1.5x), at {high:,} {carried[high] / carried[low]:.2f}x; replaying "
            f"the whole history costs {whole[goal] / whole[low]:.1f}x and "
            f"{whole[high] / whole[low]:.1f}x"
        )
        return {
            "save_ratio": carried[goal] / carried[low],
            "replay_ratio": whole[goal] / whole[low],
        }
    finally:
        connection.creation.destroy_test_db(old_name, verbosity=0)

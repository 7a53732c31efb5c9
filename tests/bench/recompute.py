"""Ticket-side benchmarks for `make bench`, run in a throwaway PostgreSQL database:

- recompute after a policy change over N open tickets (goal: 100k with 10 to 200 audits each
  in at most 20 s with two workers), and over tickets with threads of 10 to 200 audits beside
  as many with one (goal: within 1.5x);
- edits that change no ticket's SLA (a title, a reorder below every match) over the same N
  open tickets (goal: 0 rows written to the tickets' tables, at most 5 s from the edit to the
  end of its run);
- `GET /api/v2/tickets?include=slas` pages of 100 with N tickets stored (goal: constant query
  count, at most 50 ms of server time per page).
"""

from __future__ import annotations

import gc
import os
import random
import resource
import secrets
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import timedelta
from typing import Any, NamedTuple
from urllib.parse import urlsplit, urlunsplit

from django.conf import settings
from django.db import connection
from django.test import override_settings
from django.utils import timezone
from rest_framework.test import APIClient

from policies import services as policy_services
from policies.models import Policy
from policies.selectors import current_revision_id
from tests.bench import counting_queries
from tickets.models import (
    SlaNotification,
    SlaRecompute,
    Ticket,
    TicketAudit,
    TicketComment,
    TicketMetricEvent,
    TicketSlaTarget,
    User,
)
from tickets.sla.recompute import recompute_run

TARGETS = {"first_reply_time": 60, "requester_wait_time": 480, "total_resolution_time": 1440}


def _metrics(scale: int) -> list[dict[str, Any]]:
    return [
        {
            "priority": priority,
            "metric": metric,
            "target_seconds": minutes * 60 * scale,
            "business_hours": False,
        }
        for priority in ("low", "normal", "high", "urgent")
        for metric, minutes in TARGETS.items()
    ]


def _generate(count: int, rng: random.Random, tag: str = "bench") -> None:
    """Open tickets tagged `tag`, each created by an end user's public comment, written in
    bulk."""
    now = timezone.now().replace(microsecond=0)
    customers = User.objects.bulk_create(
        User(email=f"{tag}{i}@example.com", name=f"Customer {i}", role="end-user")
        for i in range(1000)
    )
    revision = current_revision_id()
    for start in range(0, count, 5000):
        size = min(5000, count - start)
        created = [now - timedelta(seconds=rng.randint(60, 2 * 86400)) for _ in range(size)]
        requesters = [rng.choice(customers) for _ in range(size)]
        priorities = [rng.choice(["low", "normal", "high", "urgent"]) for _ in range(size)]
        tickets = Ticket.objects.bulk_create(
            Ticket(
                subject="Benchmark ticket",
                priority=priority,
                status="open",
                requester=requester,
                submitter=requester,
                tags=[tag],
                created_at=at,
                updated_at=at,
            )
            for at, requester, priority in zip(created, requesters, priorities, strict=True)
        )
        comments = TicketComment.objects.bulk_create(
            TicketComment(
                ticket=t, author=t.requester, body="help", public=True, created_at=t.created_at
            )
            for t in tickets
        )
        TicketAudit.objects.bulk_create(
            TicketAudit(
                ticket=t,
                author=t.requester,
                created_at=t.created_at,
                revision_id=revision,
                comment=c,
                comment_author_role="end-user",
                snapshot={
                    "status": "open",
                    "custom_status_id": None,
                    "priority": t.priority,
                    "type": None,
                    "brand_id": None,
                    "ticket_form_id": None,
                    "group_id": None,
                    "assignee_id": None,
                    "requester_id": t.requester_id,
                    "submitter_id": t.submitter_id,
                    "organization_id": None,
                    "requester_role": "end-user",
                    "submitter_role": "end-user",
                    "via_id": 5,
                    "recipient": None,
                    "is_public": True,
                    "tags": [tag],
                    "custom_fields": {},
                    "requester_fields": {},
                    "organization_fields": {},
                },
            )
            for t, c in zip(tickets, comments, strict=True)
        )


def _lengthen(rng: random.Random, tag: str, fewest: int, most: int) -> int:
    """Grow every open ticket tagged `tag` (one end-user comment, as `_generate` writes them)
    into a thread of `fewest` to `most` audits, a minute apart and ending a minute ago: an
    agent's public reply setting it pending, then the requester's answer reopening it, in
    turn. Written in bulk; returns the number of audits written."""
    now = timezone.now().replace(microsecond=0)
    agent = User.objects.create(email=f"{tag}-agent@example.com", name="Agent", role="agent")
    revision = current_revision_id()
    written = 0
    ids = list(
        Ticket.objects.filter(tags__contains=[tag]).order_by("pk").values_list("pk", flat=True)
    )
    for start in range(0, len(ids), 1000):
        tickets = list(Ticket.objects.filter(pk__in=ids[start : start + 1000]).order_by("pk"))
        first = dict(
            TicketAudit.objects.filter(ticket__in=tickets).values_list("ticket_id", "snapshot")
        )
        TicketAudit.objects.filter(ticket__in=tickets).delete()
        TicketComment.objects.filter(ticket__in=tickets).delete()
        comments: list[TicketComment] = []
        audits: list[TicketAudit] = []
        for ticket in tickets:
            length = rng.randint(fewest, most)
            created = now - timedelta(minutes=length + rng.randint(1, 600))
            ticket.created_at = created
            status = "open"
            for n in range(length):
                at = created + timedelta(minutes=n)
                by_agent = n % 2 == 1
                status = "pending" if by_agent else "open"
                author = agent.pk if by_agent else ticket.requester_id
                comments.append(
                    TicketComment(
                        ticket=ticket, author_id=author, body="…", public=True, created_at=at
                    )
                )
                audits.append(
                    TicketAudit(
                        ticket=ticket,
                        author_id=author,
                        created_at=at,
                        revision_id=revision,
                        comment_author_role="agent" if by_agent else "end-user",
                        snapshot={**first[ticket.pk], "status": status},
                    )
                )
            ticket.status = status
            ticket.updated_at = created + timedelta(minutes=length - 1)
        TicketComment.objects.bulk_create(comments, batch_size=5000)
        for audit, comment in zip(audits, comments, strict=True):
            audit.comment = comment
        TicketAudit.objects.bulk_create(audits, batch_size=5000)
        Ticket.objects.bulk_update(tickets, ["status", "created_at", "updated_at"], batch_size=1000)
        written += len(audits)
    return written


def _recompute(reason: str, **kwargs: Any) -> tuple[SlaRecompute, float]:
    run = SlaRecompute.objects.create(
        reason=reason, effective_at=timezone.now().replace(microsecond=0), **kwargs
    )
    started = time.perf_counter()
    run = recompute_run(recompute_id=run.pk, now=timezone.now())
    return run, time.perf_counter() - started


def _policy_change(policy_id: int, scale: int, workers: int) -> Recomputed:
    """Edit the policy's targets and time the recompute it starts, worked by `workers`
    `manage.py db_worker` processes as in a deployment, from enqueue to the run's end."""
    return _edit_and_recompute(
        lambda: policy_services.policy_update(
            policy_id=policy_id, data={"policy_metrics": _metrics(scale)}
        ),
        workers,
    )


class Recomputed(NamedTuple):
    run: SlaRecompute
    seconds: float  # from the enqueue to the run's end
    workers_cpu: float  # CPU seconds the worker processes used
    rest_cpu: float  # CPU seconds the rest of the machine used meanwhile: PostgreSQL, mostly


def _busy_seconds() -> float:
    """CPU seconds every core of this machine has spent busy since boot (/proc/stat)."""
    with open("/proc/stat") as stat:
        user, nice, system, _idle, _iowait, irq, softirq, steal = stat.readline().split()[1:9]
    busy = sum(int(ticks) for ticks in (user, nice, system, irq, softirq, steal))
    return busy / os.sysconf("SC_CLK_TCK")


def _edit_and_recompute(edit: Callable[[], Any], workers: int) -> Recomputed:
    with override_settings(SLA_RECOMPUTE_PARTS=workers):
        edit()
    run = SlaRecompute.objects.filter(parent__isnull=True).latest("id")
    url = urlsplit(os.environ["DATABASE_URL"])._replace(path="/" + connection.settings_dict["NAME"])
    # As deployed: with DEBUG on, every statement would also be logged, its SQL rebuilt with
    # the values of its (here large) parameters.
    env = {
        **os.environ,
        "DATABASE_URL": urlunsplit(url),
        "DEBUG": "0",
        "SECRET_KEY": os.environ.get("SECRET_KEY") or secrets.token_urlsafe(50),
    }
    worker = [sys.executable, "manage.py", "db_worker", "--batch"]
    worker += ["--interval", "0", "--no-startup-delay", "--no-reload", "--skip-checks"]
    started, busy = time.perf_counter(), _busy_seconds()
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    # What the workers log (a line per task they start and finish) is shown only if the run
    # fails, so the figures stay readable.
    with tempfile.TemporaryFile() as log:
        processes = [
            subprocess.Popen(
                worker, env=env, cwd=settings.BASE_DIR, stdout=log, stderr=subprocess.STDOUT
            )
            for _ in range(workers)
        ]
        for process in processes:
            process.wait()
        seconds = time.perf_counter() - started
        busy = _busy_seconds() - busy
        done = resource.getrusage(resource.RUSAGE_CHILDREN)
        run.refresh_from_db()
        if run.status != "done":
            log.seek(0)
            sys.stderr.write(log.read().decode(errors="replace"))
    workers_cpu = sum(
        getattr(done, name) - getattr(children, name) for name in ("ru_utime", "ru_stime")
    )
    assert run.status == "done", f"recompute {run.pk} ended {run.status}"
    return Recomputed(run, seconds, workers_cpu, max(0.0, busy - workers_cpu))


# The tables that hold tickets and what is measured on them (not the run's own bookkeeping).
TICKET_TABLES = tuple(
    model._meta.db_table
    for model in (Ticket, TicketAudit, TicketSlaTarget, TicketMetricEvent, SlaNotification)
)


def _rows_written() -> int:
    """Rows inserted, updated or deleted in the ticket tables so far, by every process (a
    worker's counts are flushed when it exits)."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_stat_force_next_flush()")
        cursor.execute("SELECT pg_stat_clear_snapshot()")
        cursor.execute(
            "SELECT coalesce(sum(n_tup_ins + n_tup_upd + n_tup_del), 0) FROM pg_stat_user_tables "
            "WHERE relname = ANY(%s)",
            [list(TICKET_TABLES)],
        )
        return int(cursor.fetchone()[0])


def _no_op_edits(write: Callable[[str], None], policy_id: int, tickets: int) -> None:
    """A title change, and a reorder of two policies below the one every ticket matches."""
    for title in ("Unused A", "Unused B"):
        policy_services.policy_create(
            title=title,
            filter={"all": [{"field": "current_tags", "operator": "includes", "value": "none"}]},
            policy_metrics=_metrics(1),
        )
    ids = list(Policy.objects.order_by("position").values_list("pk", flat=True))
    edits: list[tuple[str, Callable[[], Any]]] = [
        (
            "title change",
            lambda: policy_services.policy_update(
                policy_id=policy_id, data={"title": "Bench, renamed"}
            ),
        ),
        (
            "reorder below every match",
            lambda: policy_services.policy_reorder(policy_ids=[ids[0], ids[2], ids[1]]),
        ),
    ]
    for name, edit in edits:
        before = _rows_written()
        started = time.perf_counter()
        after = _edit_and_recompute(edit, 2).run
        seconds = time.perf_counter() - started
        written = _rows_written() - before
        write(
            f"  {name} over {tickets:,} open tickets: {after.total:,} tickets read, "
            f"{written:,} rows written to the tickets' tables, {seconds:.2f} s from the edit to "
            "the end of its run, two workers (goal: 0 rows, at most 5 s)"
        )


def run(write: Callable[[str], None], tickets: int = 100_000, seed: int = 1) -> dict[str, float]:
    if connection.vendor != "postgresql":
        write("skipped: the ticket benchmarks run on PostgreSQL (set DATABASE_URL=postgres://...)")
        return {}
    rng = random.Random(seed)
    old_name = connection.settings_dict["NAME"]
    connection.creation.create_test_db(verbosity=0, autoclobber=True)
    try:
        admin = User.objects.create(email="bench-admin@example.com", name="Admin", role="admin")
        policy = policy_services.policy_create(
            title="Bench",
            filter={"all": [{"field": "current_tags", "operator": "includes", "value": "bench"}]},
            policy_metrics=_metrics(1),
        )
        started = time.perf_counter()
        _generate(tickets, rng)
        write(f"  {tickets:,} open tickets written in {time.perf_counter() - started:.1f} s")
        first, seconds = _recompute("schedule")
        write(
            f"  first evaluation: {first.done:,} tickets in {seconds:.1f} s "
            f"({first.done / seconds:,.0f} tickets/s)"
        )

        rates = {}
        for scale, workers in ((2, 1), (3, 2)):
            written = _rows_written()
            after, seconds, workers_cpu, rest_cpu = _policy_change(policy.pk, scale, workers)
            written = _rows_written() - written
            rates[workers] = after.done / seconds
            write(
                f"  recompute after a policy change, {workers} worker process(es): "
                f"{after.done:,} tickets ({after.changed:,} changed) in {seconds:.1f} s = "
                f"{rates[workers]:,.0f} tickets/s, {written:,} rows written; CPU: "
                f"{workers_cpu:.1f} s in the workers, {rest_cpu:.1f} s in PostgreSQL and the "
                f"rest of the machine ({os.cpu_count()} cores x {seconds:.1f} s = "
                f"{(os.cpu_count() or 1) * seconds:.1f} s)"
            )
        rate = rates[2]
        write(
            f"  two workers vs one: {rates[2] / rates[1]:.2f}x "
            "(goal: 100k with 10 to 200 audits each in at most 20 s, two workers)"
        )
        _no_op_edits(write, policy.pk, tickets)

        # The recomputes left a dead row version behind every live ticket; in a running database
        # autovacuum clears them within a minute, so pages are timed on a vacuumed table.
        with connection.cursor() as cursor:
            cursor.execute("VACUUM ANALYZE")
        client = APIClient()
        client.force_authenticate(admin)
        pages = max(1, tickets // 100)
        for _ in range(2):  # a serving process is warm: imports, URL resolver, connection
            client.get("/api/v2/tickets.json?include=slas&per_page=100", HTTP_HOST="localhost")
        # This process still holds everything the set-up made; a serving process does not, so
        # keep the collector from walking it in the middle of a timed request.
        gc.collect()
        gc.freeze()
        timings, counts = [], set()
        for page in rng.sample(range(1, min(pages, 100) + 1), k=min(20, pages)):
            url = f"/api/v2/tickets.json?include=slas&per_page=100&page={page}"
            with counting_queries() as queries:
                started = time.perf_counter()
                response = client.get(url, HTTP_HOST="localhost")
                timings.append(time.perf_counter() - started)
            assert response.status_code == 200, response.content[:200]
            counts.add(len(queries))
        median = statistics.median(timings) * 1000
        worst = max(timings) * 1000
        write(
            f"  GET /api/v2/tickets?include=slas, 100 per page, {tickets:,} tickets: "
            f"median {median:.1f} ms, slowest {worst:.1f} ms, queries per page {sorted(counts)} "
            "(goal: constant, at most 50 ms)"
        )
        return {"recompute_per_second": rate, "page_median_ms": median, "page_worst_ms": worst}
    finally:
        gc.unfreeze()
        connection.creation.destroy_test_db(old_name, verbosity=0)


def run_threads(
    write: Callable[[str], None], tickets: int = 5_000, seed: int = 1
) -> dict[str, float]:
    """Recompute after a policy change over open tickets with one audit each, and beside them
    as many with threads of 10 to 200 audits, two workers each: a ticket continues from its
    carried state, so its age should not show (goal: the long threads within 1.5x)."""
    if connection.vendor != "postgresql":
        write("skipped: the ticket benchmarks run on PostgreSQL (set DATABASE_URL=postgres://...)")
        return {}
    rng = random.Random(seed)
    old_name = connection.settings_dict["NAME"]
    connection.creation.create_test_db(verbosity=0, autoclobber=True)
    try:
        policies = {
            tag: policy_services.policy_create(
                title=f"Threads: {tag}",
                filter={"all": [{"field": "current_tags", "operator": "includes", "value": tag}]},
                policy_metrics=_metrics(1),
            )
            for tag in ("short", "long")
        }
        started = time.perf_counter()
        for tag in policies:
            _generate(tickets, rng, tag=tag)
        audits = _lengthen(rng, "long", 10, 200)
        write(
            f"  {tickets:,} open tickets with one audit and {tickets:,} with {audits:,} audits "
            f"(10 to 200 each) written in {time.perf_counter() - started:.1f} s"
        )
        first, seconds = _recompute("schedule")
        write(f"  first evaluation of both: {first.done:,} tickets in {seconds:.1f} s")
        took: dict[str, float] = {}
        for tag, policy in policies.items():
            after, took[tag], _, _ = _policy_change(policy.pk, 2, 2)
            write(
                f"  recompute after a policy change, two workers, {tag} threads: "
                f"{after.done:,} tickets ({after.changed:,} changed) in {took[tag]:.2f} s = "
                f"{after.done / took[tag]:,.0f} tickets/s"
            )
        ratio = took["long"] / took["short"]
        write(f"  threads of 10 to 200 audits vs one audit: {ratio:.2f}x (goal: at most 1.5x)")
        return {"threads_ratio": ratio}
    finally:
        connection.creation.destroy_test_db(old_name, verbosity=0)

"""The SLA reports benchmark for `make bench`, in a throwaway PostgreSQL database: a 90-day
report over about 1M `TicketSlaTarget` rows (goal: at most 1 s for each grouping).

The rows are written by PostgreSQL itself (`INSERT ... SELECT` over `generate_series`, seeded),
so filling a million takes seconds. Tickets are spread over the last year and written in time
order, as a help desk writes them, so the 90-day window holds about a quarter of the rows.
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable
from datetime import timedelta

from django.db import connection
from django.utils import timezone

from policies.models import Policy
from tests.bench import counting_queries
from tickets.models import Group, User
from tickets.reports import GROUPINGS, sla_report

TARGETS_PER_TICKET = 5
SPREAD_DAYS = 365
REPORT_DAYS = 90
GOAL_SECONDS = 1.0
RUNS = 5


def _fill(rows: int, policies: list[int], groups: list[int], requester: int) -> int:
    """Tickets and their targets, written in two statements; returns the number of targets."""
    tickets = max(1, rows // TARGETS_PER_TICKET)
    with connection.cursor() as cursor:
        cursor.execute("SELECT setseed(0.42)")
        cursor.execute(
            """
            INSERT INTO tickets_ticket (subject, description, priority, status, requester_id,
                submitter_id, group_id, via_id, recipient, tags, custom_fields, created_at,
                updated_at, sla_events_stored, sla_events_digest, is_public)
            SELECT 'Benchmark ticket', '',
                (ARRAY['low', 'normal', 'high', 'urgent'])[1 + floor(random() * 4)::int],
                'open', %(requester)s, %(requester)s,
                CASE WHEN random() < 0.1 THEN NULL
                     ELSE (%(groups)s::bigint[])[1 + floor(random() * %(n_groups)s)::int] END,
                5, '', '["bench"]', '{}', at, at, 0, '', true
            FROM (
                SELECT now() - random() * make_interval(days => %(days)s) AS at
                FROM generate_series(1, %(tickets)s)
                ORDER BY at
            ) AS created
            """,
            {
                "requester": requester,
                "groups": groups,
                "n_groups": len(groups),
                "days": SPREAD_DAYS,
                "tickets": tickets,
            },
        )
        # Per target: 70 % achieved, 15 % breached then fulfilled, 7 % breached and still
        # running, 8 % running within target. Running time up to twice the target.
        cursor.execute(
            """
            INSERT INTO tickets_ticketslatarget (ticket_id, metric, instance_id, policy_id,
                target_seconds, business_hours, stage, activated_at, breach_at, fulfilled_at,
                breached, breached_at, paused_seconds, elapsed_calendar_seconds,
                elapsed_business_seconds)
            SELECT ticket_id, metric, instance_id, policy_id, target, business, stage,
                activated_at, activated_at + make_interval(secs => target),
                CASE WHEN outcome < 0.85
                     THEN activated_at + make_interval(secs => elapsed) END,
                outcome >= 0.70 AND outcome < 0.92,
                CASE WHEN outcome >= 0.70 AND outcome < 0.92
                     THEN activated_at + make_interval(secs => target) END,
                0, elapsed, (elapsed * 0.6)::int
            FROM (
                SELECT t.id AS ticket_id, m.metric, m.instance_id,
                    (%(policies)s::bigint[])[1 + (t.id %% %(n_policies)s)::int] AS policy_id,
                    m.target, m.business, r.outcome,
                    CASE WHEN r.outcome < 0.85 THEN 'achieved' ELSE 'active' END AS stage,
                    t.created_at + make_interval(secs => m.offset_seconds) AS activated_at,
                    CASE WHEN r.outcome < 0.70 THEN (r.share * m.target)::int
                         WHEN r.outcome < 0.85 THEN (m.target * (1 + r.share))::int
                         ELSE (r.share * m.target)::int END AS elapsed
                FROM tickets_ticket t
                CROSS JOIN (VALUES
                    ('first_reply_time', 1, 3600, false, 0),
                    ('next_reply_time', 2, 7200, false, 5400),
                    ('requester_wait_time', 1, 28800, true, 0),
                    ('agent_work_time', 1, 14400, true, 0),
                    ('total_resolution_time', 1, 86400, false, 0)
                ) AS m(metric, instance_id, target, business, offset_seconds)
                CROSS JOIN LATERAL (
                    SELECT random() + 0 * t.id AS outcome, random() + 0 * t.id AS share
                ) AS r
                ORDER BY t.id, m.metric
            ) AS rows
            """,
            {"policies": policies, "n_policies": len(policies)},
        )
        cursor.execute("ANALYZE tickets_ticket")
        cursor.execute("ANALYZE tickets_ticketslatarget")
        cursor.execute("SELECT count(*) FROM tickets_ticketslatarget")
        return int(cursor.fetchone()[0])


def run(write: Callable[[str], None], rows: int = 1_000_000) -> dict[str, float]:
    if connection.vendor != "postgresql":
        write("skipped: the reports benchmark runs on PostgreSQL (set DATABASE_URL=postgres://...)")
        return {}
    old_name = connection.settings_dict["NAME"]
    test_settings = connection.settings_dict.setdefault("TEST", {})
    old_test_name = test_settings.get("NAME")
    # Its own database, so a test run's reused test database is never clobbered.
    test_settings["NAME"] = f"{old_name}_bench_reports"
    connection.creation.create_test_db(verbosity=0, autoclobber=True)
    try:
        requester = User.objects.create(email="bench@example.com", name="Bench", role="end-user")
        policies = [Policy.objects.create(title=f"Bench {n}", position=n + 1).pk for n in range(10)]
        groups = [Group.objects.create(name=f"Bench group {n}").pk for n in range(20)]
        started = time.perf_counter()
        written = _fill(rows, policies, groups, requester.pk)
        write(
            f"  {written:,} SLA target rows over {written // TARGETS_PER_TICKET:,} tickets "
            f"written in {time.perf_counter() - started:.1f} s"
        )

        now = timezone.now()
        start = now - timedelta(days=REPORT_DAYS)
        figures: dict[str, float] = {}
        cases = [(group_by, "day") for group_by in GROUPINGS] + [("policy", "week")]
        for group_by, interval in cases:

            def report(group_by: str = group_by, interval: str = interval) -> None:
                sla_report(
                    start=start,
                    end=now,
                    now=now,
                    time_zone="America/New_York",
                    group_by=group_by,
                    interval=interval,
                )

            report()  # warm: plans and caches, as a serving process would have them
            timings = []
            with counting_queries() as queries:
                for _ in range(RUNS):
                    began = time.perf_counter()
                    report()
                    timings.append(time.perf_counter() - began)
            median, worst = statistics.median(timings), max(timings)
            figures[f"{group_by}_{interval}_median_s"] = median
            figures[f"{group_by}_{interval}_worst_s"] = worst
            verdict = "met" if worst <= GOAL_SECONDS else "MISSED"
            write(
                f"  {REPORT_DAYS}-day report by {group_by}, per {interval}: median "
                f"{median * 1000:.0f} ms, slowest {worst * 1000:.0f} ms of {RUNS}, "
                f"{len(queries) // RUNS} queries (goal: at most {GOAL_SECONDS:.0f} s) {verdict}"
            )
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT count(*) FROM tickets_ticketslatarget WHERE activated_at >= %s",
                [start],
            )
            write(f"  rows activated in the 90-day window: {cursor.fetchone()[0]:,}")
        # For scale: a report over every row of the table (not held to the goal).
        year = now - timedelta(days=SPREAD_DAYS + 1)
        began = time.perf_counter()
        sla_report(start=year, end=now, now=now, time_zone="America/New_York", interval="week")
        figures["all_rows_policy_week_s"] = seconds = time.perf_counter() - began
        write(f"  report over all {written:,} rows (a year, by policy, per week): {seconds:.2f} s")
        return figures
    finally:
        connection.creation.destroy_test_db(old_name, verbosity=0)
        test_settings["NAME"] = old_test_name

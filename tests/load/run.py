"""Load-test slaweb as deployed (`make load`, or `python -m tests.load`): gunicorn with
DEBUG=0, one task worker and one breach clock against a throwaway PostgreSQL database, driven
by locust's headless clients (tests/load/locustfile.py). Two mixes run one after the other,
each in its own database:

- policy-heavy: integrations reading and writing SLA policies and tickets, 60 % reads and
  40 % writes, half of those policy writes;
- realistic: a support desk's agents and integrations, 70 % ticket reads and agent queue
  polls, 20 % ticket updates and comments, 8 % exports and metrics, 2 % policy reads and edits,
  over tickets whose histories run from one audit to several hundred.

For each mix it prints throughput and p50/p99 latency per request type, then checks that no
request failed, that policy positions are exactly 1..n and that every write the server
accepted is in the database. Exits non-zero on any failure; each database is dropped in
every case.
"""

from __future__ import annotations

import csv
import json
import os
import random
import re
import resource
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from types import FrameType
from typing import IO, Any
from urllib.parse import urlsplit, urlunsplit

import requests
from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import connection
from django.test import Client, override_settings
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from policies import services as policy_services
from policies.inputs import PolicyInputSerializer
from policies.models import Policy, PolicyRevision
from policies.selectors import current_revision_id
from tests.bench.recompute import _generate
from tickets import services
from tickets.models import SlaRecompute, Ticket, TicketAudit, TicketComment
from tickets.selectors import policy_input_context
from tickets.sla.recompute import recompute_run
from tickets.sla.ticket_metrics import ticket_metrics_fill

BIN = Path(sys.executable).parent
LOCUSTFILE = Path(settings.BASE_DIR) / "tests" / "load" / "locustfile.py"
ADMIN_EMAIL = "load-admin@example.com"
AGENT_EMAIL = "load-agent@example.com"
# Tags no seeded ticket carries: most policies are tried and passed over, as in a real account.
SEGMENTS = ("vip", "billing", "mobile", "api", "onboarding", "enterprise", "trial", "partner")


def seeded_policies(count: int) -> list[dict[str, Any]]:
    """`count` policies: segment policies that seeded tickets skip, one that catches them
    about two thirds down the list, and a catch-all last."""
    policies = []
    for index in range(count - 2):
        segment = SEGMENTS[index % len(SEGMENTS)]
        policies.append(
            {
                "title": f"Segment {index + 1}: {segment}",
                "description": f"Tickets tagged {segment}",
                "filter": {
                    "all": [{"field": "current_tags", "operator": "includes", "value": segment}],
                    "any": [
                        {"field": "type", "operator": "is", "value": "incident"},
                        {"field": "requester_role", "operator": "is", "value": 0},
                    ],
                },
                "policy_metrics": metrics(scale=index % 4 + 1, business=index % 2 == 0),
            }
        )
    catches = {
        "title": "Benchmark customers",
        "description": "Every seeded ticket",
        "filter": {
            "all": [{"field": "current_tags", "operator": "includes", "value": "bench"}],
            "any": [],
        },
        "policy_metrics": metrics(scale=1, business=True),
    }
    policies.insert(len(policies) * 2 // 3, catches)
    policies.append(
        {
            "title": "Everything else",
            "description": None,
            "filter": {"all": [], "any": []},
            "policy_metrics": metrics(scale=8, business=False),
        }
    )
    return policies


def metrics(*, scale: int, business: bool) -> list[dict[str, Any]]:
    minutes = {"first_reply_time": 60, "requester_wait_time": 240, "total_resolution_time": 960}
    return [
        {
            "priority": priority,
            "metric": metric,
            "target": target * scale * (4 - index),
            "business_hours": business and metric != "first_reply_time",
        }
        for index, priority in enumerate(("low", "normal", "high", "urgent"))
        for metric, target in minutes.items()
    ]


@dataclass(frozen=True)
class Mix:
    """One run of the load test: its locust client class and the account it is seeded with."""

    key: str
    title: str
    client_class: str  # in tests/load/locustfile.py
    users: int
    tickets: int
    policies: int
    # Tickets get histories of varied length (HISTORY_LENGTHS) instead of a single audit.
    long_histories: bool


MIXES = {
    "policy": Mix("policy", "policy-heavy", "PolicyHeavyClient", 50, 2000, 20, False),
    "realistic": Mix("realistic", "realistic", "RealisticClient", 60, 5000, 12, True),
}

# The realistic mix's request types by share of the requests, in percent (the task weights in
# tests/load/locustfile.py sum to 1,000).
REALISTIC_SHARES = (
    (
        "ticket reads and queue polls",
        70,
        ("GET ticket?include=slas", "GET tickets?include=slas", "GET agent queue poll"),
    ),
    ("ticket updates and comments", 20, ("PUT ticket (comment)", "PUT ticket (status, priority)")),
    (
        "exports and metrics",
        8,
        ("GET incremental/ticket_metric_events", "GET ticket_metrics", "GET ticket/metrics"),
    ),
    ("policy reads and edits", 2, ("GET policies", "GET policy", "PUT policy")),
)
# What the realistic mix must hold on the 2-core development machine.
GOAL_REQUESTS_PER_SECOND = 100
GOAL_P99_MS = 500

# Audits per ticket for the realistic mix: (share of tickets, fewest, most). Most tickets are a
# short exchange; a few are escalations and incidents with hundreds of updates.
HISTORY_LENGTHS = ((0.60, 1, 10), (0.30, 11, 50), (0.09, 51, 200), (0.01, 201, 600))
SEED_AGENTS = 12


def history_length(rng: random.Random) -> int:
    roll = rng.random()
    for share, fewest, most in HISTORY_LENGTHS:
        if roll < share:
            return rng.randint(fewest, most)
        roll -= share
    return HISTORY_LENGTHS[-1][2]


def extend_histories(rng: random.Random, agent_ids: list[int], now: datetime) -> list[int]:
    """Grow each ticket `_generate` made (one end-user comment) into a conversation of
    `history_length` audits spread between its creation and a minute ago: agents' public
    replies and private notes, the requester's answers, priority and status changes. Written
    in bulk, as `_generate` does; the recompute that follows evaluates the whole histories.
    Returns each ticket's number of audits."""
    revision = current_revision_id()
    lengths = []
    ids = list(Ticket.objects.order_by("pk").values_list("pk", flat=True))
    for start in range(0, len(ids), 500):
        tickets = list(Ticket.objects.filter(pk__in=ids[start : start + 500]).order_by("pk"))
        first = dict(
            TicketAudit.objects.filter(ticket__in=tickets).values_list("ticket_id", "snapshot")
        )
        comments: list[TicketComment] = []
        audits: list[tuple[TicketAudit, TicketComment | None]] = []
        for ticket in tickets:
            length = history_length(rng)
            lengths.append(length)
            span = max(1, int((now - ticket.created_at).total_seconds()) - 60)
            # One draw per audit whatever the span, so the same seed gives the same histories.
            offsets = sorted(1 + int(rng.random() * span) for _ in range(length - 1))
            status, priority = ticket.status, ticket.priority
            for offset in offsets:
                at = ticket.created_at + timedelta(seconds=offset)
                roll = rng.random()
                comment = None
                if roll < 0.40:  # an agent's public reply
                    status = rng.choice(("open", "pending"))
                    comment = TicketComment(
                        ticket=ticket, author_id=rng.choice(agent_ids), body="On it.", public=True
                    )
                elif roll < 0.65:  # the requester answers, which reopens the ticket
                    status = "open"
                    comment = TicketComment(
                        ticket=ticket, author_id=ticket.requester_id, body="Still broken."
                    )
                elif roll < 0.75:  # a private note while waiting on a third party
                    status = "hold"
                    comment = TicketComment(
                        ticket=ticket,
                        author_id=rng.choice(agent_ids),
                        body="Asked engineering.",
                        public=False,
                    )
                elif roll < 0.90:
                    priority = rng.choice(("low", "normal", "high", "urgent"))
                else:
                    status = rng.choice(("open", "pending", "hold"))
                role = ""
                if comment is not None:
                    comment.created_at = at
                    comments.append(comment)
                    role = "end-user" if comment.author_id == ticket.requester_id else "agent"
                audit = TicketAudit(
                    ticket=ticket,
                    author_id=comment.author_id if comment else rng.choice(agent_ids),
                    created_at=at,
                    revision_id=revision,
                    comment_author_role=role,
                    snapshot={**first[ticket.pk], "status": status, "priority": priority},
                )
                audits.append((audit, comment))
            if offsets:
                ticket.status, ticket.priority = status, priority
                ticket.updated_at = ticket.created_at + timedelta(seconds=offsets[-1])
        TicketComment.objects.bulk_create(comments, batch_size=2000)
        for audit, comment in audits:
            audit.comment = comment
        TicketAudit.objects.bulk_create([audit for audit, _ in audits], batch_size=2000)
        Ticket.objects.bulk_update(tickets, ["status", "priority", "updated_at"], batch_size=500)
    return lengths


class Command(BaseCommand):
    help = __doc__

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--mix",
            choices=("both", *MIXES),
            default="both",
            help="which mix to run: policy(-heavy), realistic, or both one after the other",
        )
        parser.add_argument(
            "--users",
            type=int,
            help="concurrent clients (policy-heavy 50, realistic 60)",
        )
        parser.add_argument(
            "--client-rate",
            type=float,
            default=2,
            help="requests per second each realistic client sends at most (2)",
        )
        parser.add_argument("--spawn-rate", type=float, default=20, help="clients started per s")
        parser.add_argument("--run-time", type=int, default=60, help="seconds of load per mix")
        parser.add_argument(
            "--workers",
            type=int,
            default=2 * (os.cpu_count() or 1) + 1,
            help="gunicorn workers (default: 2 x cores + 1)",
        )
        parser.add_argument(
            "--tickets", type=int, help="open tickets (policy-heavy 2,000, realistic 5,000)"
        )
        parser.add_argument("--policies", type=int, help="seeded policies (20, realistic 12)")
        parser.add_argument("--summary", help="also write the figures and checks here as JSON")

    def handle(self, *args: Any, **options: Any) -> None:
        if connection.vendor != "postgresql":
            raise CommandError(
                "the load test needs PostgreSQL: set DATABASE_URL, e.g. "
                "DATABASE_URL=postgres://slaweb:slaweb@127.0.0.1:5432/slaweb make load"
            )
        mixes = list(MIXES.values()) if options["mix"] == "both" else [MIXES[options["mix"]]]
        for mix in mixes:
            if (options["policies"] or mix.policies) < 3 or (
                options["tickets"] or mix.tickets
            ) < 100:
                raise CommandError("--policies must be at least 3 and --tickets at least 100")
        # Stopped by SIGTERM (a CI timeout, `kill`) or SIGINT, unwind so the servers are stopped
        # and the database is dropped, as on any other error.
        for stop in (signal.SIGTERM, signal.SIGINT):
            signal.signal(stop, interrupted)
        results: dict[str, dict[str, Any]] = {}
        failures: list[str] = []
        for mix in mixes:
            self.stdout.write(f"\n== {mix.title} mix ==")
            result = self.run_in_throwaway_database(mix, options)
            results[mix.key] = result
            failures += [f"{mix.title}: {failure}" for failure in result["failures"]]
        if len(results) > 1:
            self.print_comparison(results)
        if options["summary"]:
            summary = {"mixes": results, "failures": failures, **options}
            Path(options["summary"]).write_text(json.dumps(summary, indent=2, default=str))
        if failures:
            raise CommandError("load test failed: " + "; ".join(failures))
        self.stdout.write("load test passed")

    def run_in_throwaway_database(self, mix: Mix, options: dict[str, Any]) -> dict[str, Any]:
        old_name = connection.settings_dict["NAME"]
        name = f"slaweb_load_{os.getpid()}_{mix.key}"
        connection.settings_dict["TEST"] = {
            **connection.settings_dict.get("TEST", {}),
            "NAME": name,
        }
        workdir = Path(tempfile.mkdtemp(prefix=f"slaweb-load-{mix.key}-"))
        result: dict[str, Any] = {"failures": ["interrupted"]}
        try:
            connection.creation.create_test_db(verbosity=0, autoclobber=True, serialize=False)
            result = self.run_load(mix, name, workdir, options)
        finally:
            # Only once the connection points at the throwaway database: dropping "NAME"
            # before that would drop the database DATABASE_URL names.
            if connection.settings_dict["NAME"] == name:
                # A process that had to be killed may leave its session behind for a moment,
                # and PostgreSQL refuses to drop a database that is in use. Only clients: an
                # autovacuum worker (after the bulk seed) is not ours to end, and DROP DATABASE
                # ends it itself.
                with connection.cursor() as cursor:
                    cursor.execute(
                        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                        "WHERE datname = %s AND pid <> pg_backend_pid() "
                        "AND backend_type = 'client backend'",
                        [name],
                    )
                connection.creation.destroy_test_db(old_name, verbosity=0)
                self.stdout.write(f"database {name} dropped")
            if result["failures"]:
                self.stdout.write(f"server and locust logs kept in {workdir}")
            else:
                shutil.rmtree(workdir, ignore_errors=True)
        return result

    def run_load(
        self, mix: Mix, name: str, workdir: Path, options: dict[str, Any]
    ) -> dict[str, Any]:
        write = self.stdout.write
        users = options["users"] or mix.users
        started = time.perf_counter()
        secret_key = secrets.token_urlsafe(50)
        account = self.seed(
            mix, options["policies"] or mix.policies, options["tickets"] or mix.tickets, secret_key
        )
        lengths = account.pop("history_lengths")
        histories = (
            f"histories of {min(lengths)} to {max(lengths)} audits (mean "
            f"{sum(lengths) / len(lengths):.1f}, {sum(lengths):,} in all, "
            f"{sum(1 for n in lengths if n > 200)} tickets over 200)"
            if mix.long_histories
            else "their creation audits"
        )
        write(
            f"seeded {len(account['policies'])} policies, a business-hours schedule and "
            f"{len(account['tickets']):,} open tickets with {histories} and their SLAs "
            f"in {time.perf_counter() - started:.1f} s (database {name})"
        )
        account_file = workdir / "account.json"
        account_file.write_text(json.dumps(account))
        env = self.server_env(name, workdir, secret_key)
        write(
            f"gunicorn with {options['workers']} workers, DEBUG=0, CONN_MAX_AGE="
            f"{env['CONN_MAX_AGE']}, plus one db_worker and one sla_clock; "
            "rate limit off (SLAWEB_RATE_LIMIT_PER_MINUTE=0) so the load is measured, "
            "not refused with 429s"
        )
        writes_file = workdir / "writes.jsonl"
        pace = (
            f", each at most {options['client_rate']:g} requests/s"
            if mix.client_class == "RealisticClient"
            else ""
        )
        with self.deployment(env, workdir, options["workers"]) as (base, pids):
            wait_until_up(base, (ADMIN_EMAIL + "/token", account["admin_token"]))
            write(
                f"locust: {users} {mix.title} clients{pace} (started {options['spawn_rate']:g}/s) "
                f"for {options['run_time']} s against {base}"
            )
            # Read every second: a database session Django closes at CONN_MAX_AGE takes its
            # CPU figure with it.
            cpu_before = cpu_by_process(pids, name)
            cpu_latest = dict(cpu_before)
            locust_before = children_cpu()
            locust_started = time.monotonic()
            locust = self.locust(
                base,
                mix,
                users,
                account_file,
                workdir,
                writes_file,
                options,
                lambda: cpu_latest.update(cpu_by_process(pids, name)),
            )
            cpu_latest.update(cpu_by_process(pids, name))
            cpu = cpu_used(cpu_before, cpu_latest)
            cpu["locust"] = children_cpu() - locust_before
            # Longer than --run-time: locust starts, then lets requests in hand finish.
            wall = time.monotonic() - locust_started
        stats = read_stats(workdir / "locust_stats.csv")
        self.print_stats(stats)
        cpu_figures = self.print_cpu(cpu, stats, wall)
        result: dict[str, Any] = {
            "mix": mix.title,
            "users": users,
            "tickets": len(account["tickets"]),
            "policies": len(account["policies"]),
            "audits_per_ticket": {
                "min": min(lengths),
                "max": max(lengths),
                "mean": round(sum(lengths) / len(lengths), 1),
            },
            "stats": stats,
            "cpu": cpu_figures,
        }
        if mix.client_class == "RealisticClient":
            result["shares"] = self.print_shares(stats)
            result["goal"] = self.print_goal(stats)
        failures, checks = self.verify(stats, locust, workdir, writes_file, account)
        result.update(checks=checks, failures=failures)
        return result

    def seed(
        self, mix: Mix, policy_count: int, ticket_count: int, secret_key: str
    ) -> dict[str, Any]:
        """The account, made through the services; tickets in bulk, then evaluated once."""
        # The recomputes that policy and schedule writes start run at once, on no tickets yet,
        # so the task worker starts the load test with an empty queue.
        immediate = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
        with override_settings(TASKS=immediate):
            admin = services.user_create(name="Load Admin", email=ADMIN_EMAIL, role="admin")
            agent = services.user_create(name="Load Agent", email=AGENT_EMAIL, role="agent")
            schedule = policy_services.schedule_create(
                name="Support hours", time_zone="America/New_York"
            )
            today = timezone.now().date()
            policy_services.holiday_create(
                schedule_id=schedule.pk, name="Company day", start_date=today, end_date=today
            )
            policy_ids = []
            for data in seeded_policies(policy_count):
                serializer = PolicyInputSerializer(data=data, context=policy_input_context())
                serializer.is_valid(raise_exception=True)
                policy_ids.append(policy_services.policy_create(**serializer.validated_data).pk)
        rng = random.Random(1)
        _generate(ticket_count, rng)
        now = timezone.now()
        lengths = [1] * ticket_count
        if mix.long_histories:
            agents = [
                services.user_create(
                    name=f"Agent {i}", email=f"load-agent{i}@example.com", role="agent"
                ).pk
                for i in range(1, SEED_AGENTS + 1)
            ]
            lengths = extend_histories(rng, agents, now)
        first = SlaRecompute.objects.create(
            reason="schedule", effective_at=now.replace(microsecond=0)
        )
        recompute_run(recompute_id=first.pk, now=timezone.now())
        # Tickets written in bulk have no carried ticket metrics yet; in service the clock
        # stores them within minutes of an upgrade.
        while ticket_metrics_fill():
            pass
        # A database in service has been vacuumed and analysed since its rows were written.
        # Left to autovacuum, the seed's hundreds of thousands of rows were vacuumed during the
        # measured minute, and counted as the load's PostgreSQL CPU.
        with connection.cursor() as cursor:
            cursor.execute("VACUUM ANALYZE")
        # The agent's browser, signed in to the admin, polls its queue with a session cookie.
        # Signed with the server's secret key, as the session of a sign-in on its form would be.
        with override_settings(SECRET_KEY=secret_key):
            browser = Client()
            browser.force_login(agent, backend="django.contrib.auth.backends.ModelBackend")
        return {
            "admin_token": services.api_token_create(user=admin, description="load test"),
            "admin_email": ADMIN_EMAIL,
            "agent_token": services.api_token_create(user=agent, description="load test"),
            "agent_email": AGENT_EMAIL,
            "agent_id": agent.pk,
            "agent_session": browser.cookies[settings.SESSION_COOKIE_NAME].value,
            "session_cookie_name": settings.SESSION_COOKIE_NAME,
            "policies": policy_ids,
            # The policies no seeded ticket matches: the realistic mix's admins edit those.
            "segment_policies": list(
                Policy.objects.filter(pk__in=policy_ids, title__startswith="Segment ")
                .order_by("position")
                .values_list("pk", flat=True)
            ),
            "tickets": list(Ticket.objects.order_by("pk").values_list("pk", flat=True)),
            "history_lengths": lengths,
        }

    def server_env(self, name: str, workdir: Path, secret_key: str) -> dict[str, str]:
        url = urlsplit(os.environ["DATABASE_URL"])._replace(path="/" + name)
        static = workdir / "static"
        static.mkdir()
        return {
            **os.environ,
            "DATABASE_URL": urlunsplit(url),
            "DEBUG": "0",
            "SECRET_KEY": secret_key,
            "ALLOWED_HOSTS": "127.0.0.1,localhost",
            # gunicorn is reached directly here, as the TLS-ending proxy would reach it.
            "SECURE_SSL_REDIRECT": "0",
            "SLAWEB_RATE_LIMIT_PER_MINUTE": "0",
            "STATIC_ROOT": str(static),
            # Persistent connections, as a deployment under load would configure them.
            "CONN_MAX_AGE": os.environ.get("CONN_MAX_AGE", "60"),
            "LOG_LEVEL": "WARNING",
        }

    @contextmanager
    def deployment(
        self, env: dict[str, str], workdir: Path, workers: int
    ) -> Iterator[tuple[str, dict[str, int]]]:
        """gunicorn, one task worker and one breach clock, given as the base URL and each
        process's id; stopped (SIGTERM, then SIGKILL) on the way out, whatever happened."""
        port = free_port()
        python = [sys.executable, "manage.py"]
        commands = {
            "gunicorn": [
                str(BIN / "gunicorn"),
                "slaweb.wsgi",
                "--bind",
                f"127.0.0.1:{port}",
                "--workers",
                str(workers),
                "--timeout",
                "120",
            ],
            "db_worker": [*python, "db_worker", "--interval", "1", "--no-reload"],
            "sla_clock": [*python, "sla_clock"],
        }
        processes: dict[str, tuple[subprocess.Popen[bytes], IO[bytes]]] = {}
        try:
            for label, command in commands.items():
                log = open(workdir / f"{label}.log", "wb")  # noqa: SIM115
                process = subprocess.Popen(
                    command, cwd=settings.BASE_DIR, env=env, stdout=log, stderr=subprocess.STDOUT
                )
                processes[label] = (process, log)
            pids = {label: process.pid for label, (process, _) in processes.items()}
            yield f"http://127.0.0.1:{port}", pids
        finally:
            for process, _ in processes.values():
                if process.poll() is None:
                    process.send_signal(signal.SIGTERM)
            for label, (process, log) in processes.items():
                try:
                    process.wait(timeout=60)
                except subprocess.TimeoutExpired:
                    self.stderr.write(f"{label} did not stop within 60 s; killed")
                    process.kill()
                    process.wait()
                log.close()

    def locust(
        self,
        base: str,
        mix: Mix,
        users: int,
        account_file: Path,
        workdir: Path,
        writes_file: Path,
        options: dict[str, Any],
        every_second: Callable[[], None],
    ) -> subprocess.CompletedProcess[bytes]:
        env = {
            **os.environ,
            "LOAD_ACCOUNT_FILE": str(account_file),
            "LOAD_WRITES_FILE": str(writes_file),
            "LOAD_CLIENT_RATE": str(options["client_rate"]),
        }
        command = [
            str(BIN / "locust"),
            "-f",
            str(LOCUSTFILE),
            "--headless",
            "--users",
            str(users),
            "--spawn-rate",
            str(options["spawn_rate"]),
            "--run-time",
            f"{options['run_time']}s",
            # Clients finish the request in hand when time is up, so none is cut off half-way.
            "--stop-timeout",
            "60",
            "--host",
            base,
            "--csv",
            str(workdir / "locust"),
            "--only-summary",
            "--loglevel",
            "WARNING",
            mix.client_class,
        ]
        deadline = time.monotonic() + options["run_time"] + 180
        with open(workdir / "locust.log", "wb") as log:
            process = subprocess.Popen(
                command, cwd=settings.BASE_DIR, env=env, stdout=log, stderr=subprocess.STDOUT
            )
            while True:
                try:
                    process.wait(timeout=1)
                    break
                except subprocess.TimeoutExpired:
                    if time.monotonic() > deadline:
                        process.kill()
                        process.wait()
                        raise CommandError("locust did not finish in time; killed") from None
                    every_second()
        return subprocess.CompletedProcess(command, process.returncode)

    def print_stats(self, stats: list[dict[str, Any]]) -> None:
        self.stdout.write(
            f"\n{'request':38} {'requests':>9} {'failures':>9} {'req/s':>8} "
            f"{'p50 ms':>8} {'p99 ms':>8}"
        )
        for row in stats:
            self.stdout.write(
                f"{row['name']:38} {row['requests']:>9,} {row['failures']:>9,} "
                f"{row['rps']:>8.1f} {row['p50']:>8,} {row['p99']:>8,}"
            )
        self.stdout.write("")

    def print_cpu(
        self, cpu: Counter[str], stats: list[dict[str, Any]], wall: float
    ) -> dict[str, Any]:
        """The CPU the run used, by process, and per request: a measure of cost that holds
        on a machine other work shares, where latency and throughput do not."""
        overall = next((row for row in stats if row["name"] == "all"), None)
        requests_made = overall["requests"] if overall else 0
        cores = os.cpu_count() or 1
        total = sum(cpu.values())
        server = cpu["gunicorn"] + cpu["postgres"]
        self.stdout.write(
            "CPU while under load ("
            + ", ".join(f"{label} {cpu[label]:.1f} s" for label in CPU_LABELS)
            + f"; {total:.1f} s of the {cores * wall:.0f} s {cores} cores had in the {wall:.0f} s "
            "locust ran)"
        )
        figures: dict[str, Any] = {label: round(cpu[label], 1) for label in CPU_LABELS}
        figures["wall_seconds"] = round(wall, 1)
        if requests_made:
            per_request = 1000 * total / requests_made
            figures.update(
                server_ms_per_request=round(1000 * server / requests_made, 1),
                all_ms_per_request=round(per_request, 1),
                idle_machine_requests_per_second=round(1000 * cores / per_request),
            )
            self.stdout.write(
                f"  {figures['server_ms_per_request']} ms of CPU per request in gunicorn and "
                f"PostgreSQL, {figures['all_ms_per_request']} ms with the task worker, the clock "
                f"and locust: {cores} otherwise idle cores would serve at most about "
                f"{figures['idle_machine_requests_per_second']} requests/s of this mix"
            )
        self.stdout.write("")
        return figures

    def print_shares(self, stats: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """The realistic mix's request types grouped as the mix is defined, with each group's
        share of the requests made against the share it is meant to have."""
        total = sum(row["requests"] for row in stats if row["name"] != "all") or 1
        shares = []
        for label, meant, names in REALISTIC_SHARES:
            count = sum(row["requests"] for row in stats if row["name"] in names)
            shares.append({"group": label, "meant": meant, "share": round(100 * count / total, 1)})
            self.stdout.write(
                f"  {label:30} {100 * count / total:5.1f} % of requests (meant {meant} %)"
            )
        return shares

    def print_goal(self, stats: list[dict[str, Any]]) -> dict[str, Any]:
        overall = next((row for row in stats if row["name"] == "all"), None)
        rps = overall["rps"] if overall else 0.0
        p99 = overall["p99"] if overall else 0
        failed = overall["failures"] if overall else 0
        met = (
            bool(overall) and rps >= GOAL_REQUESTS_PER_SECOND and p99 <= GOAL_P99_MS and not failed
        )
        self.stdout.write(
            f"goal (at least {GOAL_REQUESTS_PER_SECOND} requests/s, p99 at most {GOAL_P99_MS} "
            f"ms, no failure): {'met' if met else 'NOT met'} with {rps:.1f} requests/s, p99 "
            f"{p99:,} ms, {failed} failures\n"
        )
        return {
            "requests_per_second": GOAL_REQUESTS_PER_SECOND,
            "p99_ms": GOAL_P99_MS,
            "met": met,
        }

    def print_comparison(self, results: dict[str, dict[str, Any]]) -> None:
        self.stdout.write(
            f"\n{'mix':14} {'clients':>8} {'requests':>9} {'failures':>9} {'req/s':>8} "
            f"{'p50 ms':>8} {'p99 ms':>8}"
        )
        for result in results.values():
            overall = next((row for row in result.get("stats", []) if row["name"] == "all"), None)
            if overall is None:
                self.stdout.write(f"{result.get('mix', '?'):14} (no figures)")
                continue
            self.stdout.write(
                f"{result['mix']:14} {result['users']:>8} {overall['requests']:>9,} "
                f"{overall['failures']:>9,} {overall['rps']:>8.1f} {overall['p50']:>8,} "
                f"{overall['p99']:>8,}"
            )
        self.stdout.write("")

    def verify(
        self,
        stats: list[dict[str, Any]],
        locust: subprocess.CompletedProcess[bytes],
        workdir: Path,
        writes_file: Path,
        account: dict[str, Any],
    ) -> tuple[list[str], dict[str, Any]]:
        failures: list[str] = []
        checks: dict[str, Any] = {}
        overall = next((row for row in stats if row["name"] == "all"), None)
        if overall is None or overall["requests"] == 0:
            failures.append("locust made no requests")
        elif overall["failures"]:
            failures.append(f"{overall['failures']} requests failed")
        if locust.returncode != 0:
            failures.append(f"locust exited with status {locust.returncode}")
        failed_requests = workdir / "locust_failures.csv"
        if failed_requests.exists():
            for row in list(csv.DictReader(failed_requests.open()))[:20]:
                self.stdout.write(f"  failed {row['Name']} x{row['Occurrences']}: {row['Error']}")

        positions = list(Policy.objects.order_by("position").values_list("position", flat=True))
        checks["policies"] = len(positions)
        checks["positions_are_1_to_n"] = positions == list(range(1, len(positions) + 1))
        if not checks["positions_are_1_to_n"]:
            failures.append(f"policy positions are not 1..n: {positions}")

        titles: dict[int, str] = {}
        deleted: set[int] = set()
        # Seeded policies several clients rename: every accepted title must have been in force.
        renames: dict[int, set[str]] = {}
        comments: list[tuple[int, str]] = []
        field_updates: Counter[tuple[int, str, str]] = Counter()
        lines = writes_file.read_text().splitlines() if writes_file.exists() else []
        for line in lines:
            entry = json.loads(line)
            if entry["kind"] in ("create", "update"):
                titles[entry["id"]] = entry["title"]
            elif entry["kind"] == "delete":
                titles.pop(entry["id"], None)
                deleted.add(entry["id"])
            elif entry["kind"] == "rename":
                renames.setdefault(entry["id"], set()).add(entry["title"])
            elif entry["kind"] == "comment":
                comments.append((entry["ticket"], entry["body"]))
            else:
                field_updates[(entry["ticket"], entry["status"], entry["priority"])] += 1
        stored = dict(Policy.objects.filter(pk__in=titles).values_list("pk", "title"))
        wrong = {pk: title for pk, title in titles.items() if stored.get(pk) != title}
        still_there = set(Policy.objects.filter(pk__in=deleted).values_list("pk", flat=True))
        in_force: set[tuple[int, str]] = set()
        if renames:
            for snapshots in PolicyRevision.objects.values_list("policies", flat=True):
                in_force.update((policy["id"], policy["title"]) for policy in snapshots)
        renamed_now = dict(Policy.objects.filter(pk__in=renames).values_list("pk", "title"))
        renames_lost = sorted(
            (pk, title)
            for pk, accepted in renames.items()
            for title in accepted
            if (pk, title) not in in_force
        ) + sorted(
            (pk, renamed_now.get(pk, "(deleted)"))
            for pk, accepted in renames.items()
            if renamed_now.get(pk) not in accepted
        )
        bodies = {body for _, body in comments}
        found = set(
            TicketComment.objects.filter(body__in=bodies, audit__isnull=False).values_list(
                "ticket_id", "body"
            )
        )
        missing = [pair for pair in comments if pair not in found]
        # Every accepted ticket update wrote exactly one audit by the API's agent (nothing else
        # writes as that user), and those without a comment carry the status and priority sent.
        api_audits = TicketAudit.objects.filter(author_id=account["agent_id"])
        audits_written = api_audits.count()
        audited_fields = Counter(
            (ticket_id, snapshot["status"], snapshot["priority"])
            for ticket_id, snapshot in api_audits.filter(comment__isnull=True).values_list(
                "ticket_id", "snapshot"
            )
        )
        fields_missing = field_updates - audited_fields
        accepted_updates = len(comments) + field_updates.total()
        checks.update(
            accepted_writes=len(lines),
            policies_kept=len(titles),
            policies_kept_wrong=len(wrong),
            policies_deleted=len(deleted),
            policies_deleted_still_there=len(still_there),
            policy_renames=sum(len(accepted) for accepted in renames.values()),
            policy_renames_lost=len(renames_lost),
            comments=len(comments),
            comments_missing=len(missing),
            ticket_updates=accepted_updates,
            ticket_update_audits=audits_written,
            ticket_field_updates_missing=fields_missing.total(),
        )
        if wrong:
            failures.append(f"{len(wrong)} accepted policy writes are not in the database")
        if still_there:
            failures.append(f"{len(still_there)} deleted policies are still there")
        if renames_lost:
            failures.append(f"{len(renames_lost)} policy renames were lost: {renames_lost[:5]}")
        if missing:
            failures.append(f"{len(missing)} accepted ticket comments are missing: {missing[:5]}")
        if audits_written != accepted_updates:
            failures.append(
                f"{accepted_updates} ticket updates were accepted but {audits_written} audits "
                "were written"
            )
        if fields_missing:
            failures.append(
                f"{fields_missing.total()} accepted status and priority changes have no audit: "
                f"{list(fields_missing)[:5]}"
            )

        failed_tasks = list(DBTaskResult.objects.failed().values_list("exception_class_path"))
        checks["background_tasks_failed"] = len(failed_tasks)
        if failed_tasks:
            failures.append(f"{len(failed_tasks)} background tasks failed: {failed_tasks[:3]}")
        for label in ("gunicorn", "db_worker", "sla_clock"):
            errors = logged_errors((workdir / f"{label}.log").read_text(errors="replace"))
            checks[f"{label}_errors"] = sum(errors.values())
            for error, times in errors.most_common(5):
                failures.append(f"{label} logged {error} ({times}x)")

        renamed = (
            f"{checks['policy_renames']:,} policy renames ({len(renames_lost)} lost), "
            if renames
            else ""
        )
        self.stdout.write(
            f"checks: policy positions 1..{len(positions)}: "
            f"{'held' if checks['positions_are_1_to_n'] else 'BROKEN'}; "
            f"{len(lines):,} accepted writes: {len(titles):,} policies kept "
            f"({len(wrong)} wrong), {len(deleted):,} deleted ({len(still_there)} still there), "
            f"{renamed}{len(comments):,} ticket comments ({len(missing)} missing), "
            f"{accepted_updates:,} ticket updates with {audits_written:,} audits "
            f"({fields_missing.total()} status and priority changes missing); "
            f"failed background tasks: {len(failed_tasks)}"
        )
        return failures, checks


# The processes whose CPU a run adds up: the server's, the database's and the load's own.
CPU_LABELS = ("gunicorn", "postgres", "db_worker", "sla_clock", "locust")


def cpu_by_process(roots: dict[str, int], database: str) -> dict[int, tuple[str, float]]:
    """CPU seconds (user and system) used so far by each process serving the load: the given
    ones and their children (gunicorn's workers), and PostgreSQL's sessions on `database`
    other than this command's, labelled "postgres". Read from /proc."""
    tick = os.sysconf("SC_CLK_TCK")
    table: dict[int, tuple[int, float]] = {}  # pid: (parent's pid, CPU seconds)
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            # After the command name in parentheses: state, ppid, ..., utime and stime 12th
            # and 13th.
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:  # ended meanwhile
            continue
        table[int(entry.name)] = (int(fields[1]), (int(fields[11]) + int(fields[12])) / tick)
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pid FROM pg_stat_activity WHERE datname = %s AND pid <> pg_backend_pid()",
            [database],
        )
        sessions = [row[0] for row in cursor.fetchall()]
    found: dict[int, tuple[str, float]] = {}
    for label, root in roots.items():
        for pid, (parent, seconds) in table.items():
            if root in (pid, parent):
                found[pid] = (label, seconds)
    for pid in sessions:
        if pid in table:
            found[pid] = ("postgres", table[pid][1])
    return found


def cpu_used(
    before: dict[int, tuple[str, float]], after: dict[int, tuple[str, float]]
) -> Counter[str]:
    """CPU seconds by label between two readings; a process started meanwhile counts whole."""
    used: Counter[str] = Counter()
    for pid, (label, seconds) in after.items():
        used[label] += seconds - before.get(pid, (label, 0.0))[1]
    return used


def children_cpu() -> float:
    """CPU seconds used by the child processes this command has waited for (locust)."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def interrupted(signum: int, frame: FrameType | None) -> None:
    raise CommandError(f"interrupted by {signal.Signals(signum).name}")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_until_up(base: str, auth: tuple[str, str], seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while True:
        try:
            if requests.get(base + "/api/v2/users/me.json", auth=auth, timeout=5).ok:
                return
        except requests.RequestException:
            pass
        if time.monotonic() > deadline:
            raise CommandError(f"gunicorn did not answer at {base} within {seconds:g} s")
        time.sleep(0.3)


# The last line of a Python traceback: "package.module.SomeError: message".
EXCEPTION_LINE = re.compile(r"^[A-Za-z_][\w.]*(?:Error|Exception)\b.*$", re.MULTILINE)


def logged_errors(log: str) -> Counter[str]:
    """The exceptions a process logged, by their traceback's last line."""
    if "Traceback" not in log:
        return Counter()
    return Counter(match[:300] for match in EXCEPTION_LINE.findall(log))


def read_stats(path: Path) -> list[dict[str, Any]]:
    """Locust's per-request-type figures, its "Aggregated" row renamed "all" and put last."""
    if not path.exists():
        return []
    rows = []
    for row in csv.DictReader(path.open()):
        rows.append(
            {
                "name": "all" if row["Name"] == "Aggregated" else row["Name"],
                "requests": int(row["Request Count"]),
                "failures": int(row["Failure Count"]),
                "rps": float(row["Requests/s"]),
                "p50": int(float(row["50%"])) if row["50%"] != "N/A" else 0,
                "p99": int(float(row["99%"])) if row["99%"] != "N/A" else 0,
            }
        )
    return sorted(rows, key=lambda row: row["name"] == "all")

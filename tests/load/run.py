"""Load-test slaweb as deployed (`make load`, or `python -m tests.load`): gunicorn with
DEBUG=0, one task worker and one breach clock against a throwaway PostgreSQL database, driven
by locust's headless clients (tests/load/locustfile.py) mixing SLA policy
and ticket reads and writes.

Prints throughput and p50/p99 latency per request type, then checks that no request failed,
that policy positions are exactly 1..n and that every write the server accepted is in the
database. Exits non-zero on any failure; the database is dropped in every case.
"""

from __future__ import annotations

import csv
import json
import os
import random
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from types import FrameType
from typing import IO, Any
from urllib.parse import urlsplit, urlunsplit

import requests
from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import connection
from django.test import override_settings
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from policies import services as policy_services
from policies.inputs import PolicyInputSerializer
from policies.models import Policy
from tests.bench.recompute import _generate
from tickets import services
from tickets.models import SlaRecompute, Ticket, TicketComment
from tickets.selectors import policy_input_context
from tickets.sla.recompute import recompute_run

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


class Command(BaseCommand):
    help = __doc__

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--users", type=int, default=50, help="concurrent clients (50)")
        parser.add_argument("--spawn-rate", type=float, default=10, help="clients started per s")
        parser.add_argument("--run-time", type=int, default=60, help="seconds of load (60)")
        parser.add_argument(
            "--workers",
            type=int,
            default=2 * (os.cpu_count() or 1) + 1,
            help="gunicorn workers (default: 2 x cores + 1)",
        )
        parser.add_argument("--tickets", type=int, default=2000, help="open tickets (2,000)")
        parser.add_argument("--policies", type=int, default=20, help="seeded policies (20)")
        parser.add_argument("--summary", help="also write the figures and checks here as JSON")

    def handle(self, *args: Any, **options: Any) -> None:
        if connection.vendor != "postgresql":
            raise CommandError(
                "the load test needs PostgreSQL: set DATABASE_URL, e.g. "
                "DATABASE_URL=postgres://slaweb:slaweb@127.0.0.1:5432/slaweb make load"
            )
        if options["policies"] < 3 or options["tickets"] < 100:
            raise CommandError("--policies must be at least 3 and --tickets at least 100")
        old_name = connection.settings_dict["NAME"]
        name = f"slaweb_load_{os.getpid()}"
        connection.settings_dict["TEST"] = {
            **connection.settings_dict.get("TEST", {}),
            "NAME": name,
        }
        # Stopped by SIGTERM (a CI timeout, `kill`) or SIGINT, unwind so the servers are stopped
        # and the database is dropped, as on any other error.
        for stop in (signal.SIGTERM, signal.SIGINT):
            signal.signal(stop, interrupted)
        workdir = Path(tempfile.mkdtemp(prefix="slaweb-load-"))
        failures = ["interrupted"]
        try:
            connection.creation.create_test_db(verbosity=0, autoclobber=True, serialize=False)
            failures = self.run_load(name, workdir, options)
        finally:
            # Only once the connection points at the throwaway database: dropping "NAME"
            # before that would drop the database DATABASE_URL names.
            if connection.settings_dict["NAME"] == name:
                # A process that had to be killed may leave its session behind for a moment,
                # and PostgreSQL refuses to drop a database that is in use.
                with connection.cursor() as cursor:
                    cursor.execute(
                        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                        "WHERE datname = %s AND pid <> pg_backend_pid()",
                        [name],
                    )
                connection.creation.destroy_test_db(old_name, verbosity=0)
                self.stdout.write(f"database {name} dropped")
            if failures:
                self.stdout.write(f"server and locust logs kept in {workdir}")
            else:
                shutil.rmtree(workdir, ignore_errors=True)
        if failures:
            raise CommandError("load test failed: " + "; ".join(failures))
        self.stdout.write("load test passed")

    def run_load(self, name: str, workdir: Path, options: dict[str, Any]) -> list[str]:
        write = self.stdout.write
        started = time.perf_counter()
        account = self.seed(options["policies"], options["tickets"])
        write(
            f"seeded {options['policies']} policies, a business-hours schedule and "
            f"{len(account['tickets']):,} open tickets with their audits and SLAs "
            f"in {time.perf_counter() - started:.1f} s (database {name})"
        )
        env = self.server_env(name, workdir)
        write(
            f"gunicorn with {options['workers']} workers, DEBUG=0, CONN_MAX_AGE="
            f"{env['CONN_MAX_AGE']}, plus one db_worker and one sla_clock; "
            "rate limit off (SLAWEB_RATE_LIMIT_PER_MINUTE=0) so the load is measured, "
            "not refused with 429s"
        )
        writes_file = workdir / "writes.jsonl"
        with self.deployment(env, workdir, options["workers"]) as base:
            wait_until_up(base, (ADMIN_EMAIL + "/token", account["admin_token"]))
            write(
                f"locust: {options['users']} clients (started {options['spawn_rate']:g}/s) "
                f"for {options['run_time']} s against {base}"
            )
            locust = self.locust(base, account, workdir, writes_file, options)
        stats = read_stats(workdir / "locust_stats.csv")
        self.print_stats(stats)
        failures, checks = self.verify(stats, locust, workdir, writes_file)
        if options["summary"]:
            summary = {"stats": stats, "checks": checks, "failures": failures, **options}
            Path(options["summary"]).write_text(json.dumps(summary, indent=2, default=str))
        return failures

    def seed(self, policy_count: int, ticket_count: int) -> dict[str, Any]:
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
        _generate(ticket_count, random.Random(1))
        now = timezone.now()
        first = SlaRecompute.objects.create(
            reason="schedule", effective_at=now.replace(microsecond=0)
        )
        recompute_run(recompute_id=first.pk, now=now)
        return {
            "admin_token": services.api_token_create(user=admin, description="load test"),
            "agent_token": services.api_token_create(user=agent, description="load test"),
            "policies": policy_ids,
            "tickets": list(Ticket.objects.order_by("pk").values_list("pk", flat=True)),
        }

    def server_env(self, name: str, workdir: Path) -> dict[str, str]:
        url = urlsplit(os.environ["DATABASE_URL"])._replace(path="/" + name)
        static = workdir / "static"
        static.mkdir()
        return {
            **os.environ,
            "DATABASE_URL": urlunsplit(url),
            "DEBUG": "0",
            "SECRET_KEY": secrets.token_urlsafe(50),
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
    def deployment(self, env: dict[str, str], workdir: Path, workers: int) -> Iterator[str]:
        """gunicorn, one task worker and one breach clock; stopped (SIGTERM, then SIGKILL)
        on the way out, whatever happened."""
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
            yield f"http://127.0.0.1:{port}"
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
        account: dict[str, Any],
        workdir: Path,
        writes_file: Path,
        options: dict[str, Any],
    ) -> subprocess.CompletedProcess[bytes]:
        env = {
            **os.environ,
            "LOAD_ADMIN_EMAIL": ADMIN_EMAIL,
            "LOAD_ADMIN_TOKEN": account["admin_token"],
            "LOAD_AGENT_EMAIL": AGENT_EMAIL,
            "LOAD_AGENT_TOKEN": account["agent_token"],
            "LOAD_POLICY_IDS": ",".join(str(pk) for pk in account["policies"]),
            "LOAD_TICKET_IDS": ",".join(str(pk) for pk in account["tickets"]),
            "LOAD_WRITES_FILE": str(writes_file),
        }
        command = [
            str(BIN / "locust"),
            "-f",
            str(LOCUSTFILE),
            "--headless",
            "--users",
            str(options["users"]),
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
        ]
        with open(workdir / "locust.log", "wb") as log:
            return subprocess.run(
                command,
                cwd=settings.BASE_DIR,
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
                timeout=options["run_time"] + 180,
                check=False,
            )

    def print_stats(self, stats: list[dict[str, Any]]) -> None:
        self.stdout.write(
            f"\n{'request':28} {'requests':>9} {'failures':>9} {'req/s':>8} "
            f"{'p50 ms':>8} {'p99 ms':>8}"
        )
        for row in stats:
            self.stdout.write(
                f"{row['name']:28} {row['requests']:>9,} {row['failures']:>9,} "
                f"{row['rps']:>8.1f} {row['p50']:>8,} {row['p99']:>8,}"
            )
        self.stdout.write("")

    def verify(
        self,
        stats: list[dict[str, Any]],
        locust: subprocess.CompletedProcess[bytes],
        workdir: Path,
        writes_file: Path,
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
        comments: list[tuple[int, str]] = []
        lines = writes_file.read_text().splitlines() if writes_file.exists() else []
        for line in lines:
            entry = json.loads(line)
            if entry["kind"] in ("create", "update"):
                titles[entry["id"]] = entry["title"]
            elif entry["kind"] == "delete":
                titles.pop(entry["id"], None)
                deleted.add(entry["id"])
            else:
                comments.append((entry["ticket"], entry["body"]))
        stored = dict(Policy.objects.filter(pk__in=titles).values_list("pk", "title"))
        wrong = {pk: title for pk, title in titles.items() if stored.get(pk) != title}
        still_there = set(Policy.objects.filter(pk__in=deleted).values_list("pk", flat=True))
        bodies = {body for _, body in comments}
        found = set(
            TicketComment.objects.filter(body__in=bodies, audit__isnull=False).values_list(
                "ticket_id", "body"
            )
        )
        missing = [pair for pair in comments if pair not in found]
        checks.update(
            accepted_writes=len(lines),
            policies_kept=len(titles),
            policies_kept_wrong=len(wrong),
            policies_deleted=len(deleted),
            policies_deleted_still_there=len(still_there),
            comments=len(comments),
            comments_missing=len(missing),
        )
        if wrong:
            failures.append(f"{len(wrong)} accepted policy writes are not in the database")
        if still_there:
            failures.append(f"{len(still_there)} deleted policies are still there")
        if missing:
            failures.append(f"{len(missing)} accepted ticket comments are missing: {missing[:5]}")

        failed_tasks = list(DBTaskResult.objects.failed().values_list("exception_class_path"))
        checks["background_tasks_failed"] = len(failed_tasks)
        if failed_tasks:
            failures.append(f"{len(failed_tasks)} background tasks failed: {failed_tasks[:3]}")
        for label in ("gunicorn", "db_worker", "sla_clock"):
            errors = logged_errors((workdir / f"{label}.log").read_text(errors="replace"))
            checks[f"{label}_errors"] = sum(errors.values())
            for error, times in errors.most_common(5):
                failures.append(f"{label} logged {error} ({times}x)")

        self.stdout.write(
            f"checks: policy positions 1..{len(positions)}: "
            f"{'held' if checks['positions_are_1_to_n'] else 'BROKEN'}; "
            f"{len(lines):,} accepted writes: {len(titles):,} policies kept "
            f"({len(wrong)} wrong), {len(deleted):,} deleted ({len(still_there)} still there), "
            f"{len(comments):,} ticket comments ({len(missing)} missing); "
            f"failed background tasks: {len(failed_tasks)}"
        )
        return failures, checks


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

"""Crashes lose nothing: gunicorn killed with SIGKILL in the middle of writes, and a task
worker killed in the middle of a recompute. After a restart every write that was answered with
success is there, policy positions are a permutation, the recompute resumes and finishes, no
re-evaluation is recorded twice, and every open ticket's stored SLA equals a fresh replay
(`sla_check`). The breach clock's kill and restart is in tests/tickets/test_sla_clock.py.

These run slaweb's real processes against this test run's database (`transaction=True`)."""

from __future__ import annotations

import base64
import os
import random
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from datetime import timedelta
from io import StringIO
from pathlib import Path
from typing import Any

import pytest
import requests
from django.core.management import call_command
from django.db.models import Count
from django.utils import timezone

from policies import services as policy_services
from policies.models import Policy
from tests.bench import recompute as bench
from tests.factories import UserFactory
from tests.processes import database_env, gunicorn
from tickets import services
from tickets.models import SlaRecompute, Ticket, TicketAudit, TicketComment
from tickets.sla.recompute import STALE_AFTER, recompute_run, resume_stale_recomputes

pytestmark = pytest.mark.django_db(transaction=True)
ROOT = Path(__file__).resolve().parent.parent
EVERYTHING = {"all": [], "any": []}
TARGETS = [{"priority": "normal", "metric": "first_reply_time", "target": 60}]


def process_env() -> dict[str, str]:
    return {**database_env(), "SLAWEB_RATE_LIMIT_PER_MINUTE": "0"}


def kill_group(process: subprocess.Popen[str]) -> None:
    os.killpg(process.pid, signal.SIGKILL)
    process.wait(timeout=30)


def sla_check_is_clean() -> str:
    out = StringIO()
    call_command("sla_check", stdout=out)  # raises CommandError on any difference
    return out.getvalue()


def test_killing_the_web_server_mid_write_loses_no_accepted_write() -> None:
    admin = UserFactory(role="admin", email="faults-admin@example.com")
    customer = UserFactory(role="end-user", email="faults-customer@example.com")
    token = services.api_token_create(user=admin)
    auth = "Basic " + base64.b64encode(f"{admin.email}/token:{token}".encode()).decode()
    policy_services.policy_create(title="Everyone", filter=EVERYTHING, policy_metrics=[])

    accepted_tickets: dict[int, str] = {}
    accepted_policies: dict[int, str] = {}
    unexpected: list[str] = []
    stop = threading.Event()

    def writer(base: str, n: int) -> None:
        session = requests.Session()
        session.headers["Authorization"] = auth
        for i in range(10_000):
            if stop.is_set():
                return
            body = f"writer {n} message {i}"
            try:
                if i % 3:
                    response = session.post(
                        f"{base}/api/v2/tickets.json",
                        json={
                            "ticket": {
                                "subject": body,
                                "priority": "normal",
                                "requester_id": customer.pk,
                                "comment": {"body": body},
                            }
                        },
                        timeout=30,
                    )
                    if response.status_code == 201:
                        accepted_tickets[response.json()["ticket"]["id"]] = body
                else:
                    response = session.post(
                        f"{base}/api/v2/slas/policies.json",
                        json={
                            "sla_policy": {
                                "title": body,
                                "position": 1,
                                "filter": EVERYTHING,
                                "policy_metrics": TARGETS,
                            }
                        },
                        timeout=30,
                    )
                    if response.status_code == 201:
                        accepted_policies[response.json()["sla_policy"]["id"]] = body
            except requests.RequestException:
                return  # the server is gone
            if response.status_code != 201:
                unexpected.append(f"{response.status_code} {response.text[:300]}")

    with gunicorn(process_env()) as (base, server):
        threads = [threading.Thread(target=writer, args=(base, n)) for n in range(6)]
        for thread in threads:
            thread.start()
        deadline = time.monotonic() + 60
        while len(accepted_tickets) + len(accepted_policies) < 30:
            assert time.monotonic() < deadline, "the writers made no progress"
            time.sleep(0.02)
        kill_group(server)  # in the middle of the writers' requests
        stop.set()
        for thread in threads:
            thread.join(timeout=60)

    assert not unexpected, unexpected
    assert accepted_tickets
    assert accepted_policies
    for ticket_id, body in accepted_tickets.items():
        assert TicketComment.objects.get(ticket_id=ticket_id).body == body
        assert TicketAudit.objects.filter(ticket_id=ticket_id).count() == 1
    for policy_id, title in accepted_policies.items():
        assert Policy.objects.get(pk=policy_id).title == title
    positions = sorted(Policy.objects.values_list("position", flat=True))
    assert positions == list(range(1, len(positions) + 1))
    # A write cut off before its commit left nothing half-done: every ticket has its comment,
    # its audit and its SLA rows, as the replay says.
    assert not Ticket.objects.filter(comments__isnull=True).exists()
    assert "0 with differences" in sla_check_is_clean()

    # And the restarted server takes writes again.
    with gunicorn(process_env()) as (base, _):
        response = requests.put(
            f"{base}/api/v2/slas/policies/reorder.json",
            json={"sla_policy_ids": sorted(Policy.objects.values_list("pk", flat=True))},
            headers={"Authorization": auth},
            timeout=30,
        )
        assert response.status_code == 200, response.text
    positions = sorted(Policy.objects.values_list("position", flat=True))
    assert positions == list(range(1, len(positions) + 1))


def wait_until(condition: Callable[[], bool], process: subprocess.Popen[str], what: str) -> None:
    deadline = time.monotonic() + 120
    while not condition():
        if process.poll() is not None or time.monotonic() > deadline:
            process.kill()
            _, stderr = process.communicate(timeout=30)
            pytest.fail(f"gave up waiting until {what}: {stderr[-3000:]}")
        time.sleep(0.02)


def db_worker(*args: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "manage.py", "db_worker", "--interval", "0.1", "--no-startup-delay"]
        + ["--no-reload", *args],
        cwd=ROOT,
        env=process_env(),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )


def test_killing_the_worker_mid_recompute_resumes_without_repeating(settings: Any) -> None:
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    settings.SLA_RECOMPUTE_PARTS = 1
    policy = policy_services.policy_create(
        title="Bench",
        filter={"all": [{"field": "current_tags", "operator": "includes", "value": "bench"}]},
        policy_metrics=bench._metrics(1),
    )
    bench._generate(3_000, random.Random(7))
    first = SlaRecompute.objects.create(reason="schedule", effective_at=timezone.now())
    recompute_run(recompute_id=first.pk, now=timezone.now())  # every ticket evaluated once

    policy_services.policy_update(policy_id=policy.pk, data={"policy_metrics": bench._metrics(2)})
    run = SlaRecompute.objects.filter(parent__isnull=True).latest("id")
    assert run.total == 3_000

    worker = db_worker()
    wait_until(
        lambda: SlaRecompute.objects.get(pk=run.pk).done > 0, worker, "the recompute is under way"
    )
    kill_group(worker)
    run.refresh_from_db()
    assert run.status == "running"
    assert 0 < run.done < run.total, "the worker finished before it could be killed"

    # Its worker went quiet; the clock hands the run to a new worker after STALE_AFTER.
    SlaRecompute.objects.filter(pk=run.pk).update(
        updated_at=timezone.now() - STALE_AFTER - timedelta(seconds=1)
    )
    assert resume_stale_recomputes() == [run.pk]
    rescue = db_worker("--batch")
    _, stderr = rescue.communicate(timeout=300)
    assert rescue.returncode == 0, stderr[-3000:]

    run.refresh_from_db()
    assert (run.status, run.done, run.changed) == ("done", 3_000, 3_000)
    # Each ticket was re-evaluated exactly once, whether before or after the crash.
    counts = (
        TicketAudit.objects.filter(revision_id=run.revision_id, via_id=8)
        .values("ticket_id")
        .annotate(n=Count("id"))
        .values_list("n", flat=True)
    )
    assert sorted(set(counts)) == [1]
    assert len(counts) == 3_000
    assert "3000 tickets checked, 0 with differences" in sla_check_is_clean()

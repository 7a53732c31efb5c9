"""The breach clock records each breach at its deadline, exactly once, however late it runs.

The first tests call the service with fixed times. The last ones run `manage.py sla_clock` as
real processes against the test database (committed data: `transaction=True`), on the real
clock: their tickets are created an hour or two in the past so their targets are already due.
"""

from __future__ import annotations

import logging
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from io import StringIO
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import call_command
from django.db.models import Count
from django.utils import timezone

from policies.models import Policy
from tests.factories import TicketFactory, UserFactory, make_policy, metric
from tests.processes import database_env
from tickets import breach_clock as clock
from tickets.breach_clock import next_due, record_due_breaches
from tickets.models import Ticket, TicketMetricEvent, TicketSlaTarget, User

T0 = datetime(2025, 3, 3, 9, 0, tzinfo=UTC)
HOUR = timedelta(hours=1)
SECOND = timedelta(seconds=1)
MANAGE = Path(settings.BASE_DIR) / "manage.py"


@pytest.fixture
def frt_policy(db: None) -> Policy:
    """First reply within 1 calendar hour, for every normal-priority ticket."""
    return make_policy(
        "FRT 1h",
        filter={"all": [], "any": []},
        metrics=[metric("normal", "first_reply_time", 60)],
    )


def frt_target(ticket: Ticket) -> TicketSlaTarget:
    return TicketSlaTarget.objects.get(ticket=ticket, metric="first_reply_time")


def breach_events(ticket: Ticket) -> list[TicketMetricEvent]:
    return list(TicketMetricEvent.objects.filter(ticket_id=ticket.pk, type="breach"))


def breaches_per_ticket() -> dict[int, int]:
    rows = (
        TicketMetricEvent.objects.filter(type="breach")
        .values("ticket_id")
        .annotate(n=Count("id"))
        .values_list("ticket_id", "n")
    )
    return dict(rows)


# Fixed times ---------------------------------------------------------------------------------


def test_breach_is_recorded_at_breach_at_exactly_once(frt_policy: Policy, end_user: User) -> None:
    ticket = TicketFactory(requester=end_user, now=T0)
    breach_at = frt_target(ticket).breach_at
    assert breach_at == T0 + HOUR
    assert breach_events(ticket) == []

    assert record_due_breaches(now=breach_at - SECOND) == 0
    assert breach_events(ticket) == []
    assert not frt_target(ticket).breached

    assert record_due_breaches(now=breach_at + 2 * SECOND) == 1
    [breach] = breach_events(ticket)
    assert (breach.metric, breach.instance_id) == ("reply_time", 1)
    assert breach.time.replace(microsecond=0) == breach_at.replace(microsecond=0)
    target = frt_target(ticket)
    assert target.breached
    assert target.breached_at == breach_at

    events = TicketMetricEvent.objects.filter(ticket_id=ticket.pk).count()
    for later in (breach_at + 2 * SECOND, breach_at + 3 * SECOND, breach_at + 30 * HOUR):
        assert record_due_breaches(now=later) == 0
    assert len(breach_events(ticket)) == 1
    assert TicketMetricEvent.objects.filter(ticket_id=ticket.pk).count() == events


def test_after_downtime_the_breach_is_back_dated_to_breach_at(
    frt_policy: Policy, end_user: User
) -> None:
    ticket = TicketFactory(requester=end_user, now=T0)
    breach_at = frt_target(ticket).breach_at
    assert breach_at is not None

    assert record_due_breaches(now=breach_at + 3 * HOUR) == 1
    [breach] = breach_events(ticket)
    assert breach.time == breach_at  # not the catch-up time
    assert frt_target(ticket).breached_at == breach_at
    assert record_due_breaches(now=breach_at + 4 * HOUR) == 0
    assert len(breach_events(ticket)) == 1


def test_every_due_ticket_is_recorded_in_one_call(frt_policy: Policy, end_user: User) -> None:
    tickets = [
        TicketFactory(requester=end_user, now=T0 + i * timedelta(minutes=1)) for i in range(6)
    ]
    not_due = TicketFactory(requester=end_user, now=T0 + 2 * HOUR)

    assert record_due_breaches(now=T0 + 2 * HOUR) == 6
    for i, ticket in enumerate(tickets):
        [breach] = breach_events(ticket)
        assert breach.time == T0 + i * timedelta(minutes=1) + HOUR
    assert breach_events(not_due) == []
    assert record_due_breaches(now=T0 + 2 * HOUR) == 0


def test_limit_takes_the_most_overdue_tickets_first(frt_policy: Policy, end_user: User) -> None:
    # Created latest deadline first, so id order is not the answer.
    tickets = [
        TicketFactory(requester=end_user, now=T0 + timedelta(minutes=m)) for m in (4, 3, 2, 1, 0)
    ]
    by_deadline = tickets[::-1]
    now = T0 + 3 * HOUR

    def recorded() -> list[bool]:
        return [bool(breach_events(t)) for t in by_deadline]

    assert record_due_breaches(now=now, limit=2) == 2
    assert recorded() == [True, True, False, False, False]
    assert record_due_breaches(now=now, limit=2) == 2
    assert recorded() == [True, True, True, True, False]
    assert record_due_breaches(now=now, limit=2) == 1
    assert record_due_breaches(now=now, limit=2) == 0
    assert breaches_per_ticket() == {t.pk: 1 for t in tickets}


def test_a_failing_ticket_is_logged_and_the_others_go_on(
    frt_policy: Policy,
    end_user: User,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    good, bad, other = (TicketFactory(requester=end_user, now=T0 + i * SECOND) for i in range(3))
    real_refresh = clock.ticket_sla_refresh

    def refresh(ticket: Ticket, *, now: datetime) -> object:
        if ticket.pk == bad.pk:
            # Half-written work must be rolled back with the ticket's transaction.
            TicketMetricEvent.objects.create(
                ticket_id=ticket.pk, metric="reply_time", instance_id=1, type="breach", time=now
            )
            raise RuntimeError("boom")
        return real_refresh(ticket, now=now)

    monkeypatch.setattr(clock, "ticket_sla_refresh", refresh)
    assert record_due_breaches(now=T0 + 2 * HOUR) == 2
    assert len(breach_events(good)) == 1
    assert len(breach_events(other)) == 1
    assert breach_events(bad) == []
    assert f"refreshing ticket {bad.pk}" in caplog.text
    assert "boom" in caplog.text

    monkeypatch.setattr(clock, "ticket_sla_refresh", real_refresh)
    assert record_due_breaches(now=T0 + 2 * HOUR) == 1
    assert breaches_per_ticket() == {good.pk: 1, bad.pk: 1, other.pk: 1}


def test_a_stop_request_finishes_the_ticket_in_hand(frt_policy: Policy, end_user: User) -> None:
    tickets = [TicketFactory(requester=end_user, now=T0 + i * SECOND) for i in range(3)]
    asked: list[int] = []

    def should_stop() -> bool:
        asked.append(TicketMetricEvent.objects.filter(type="breach").count())
        return len(asked) > 1  # SIGTERM arrives while the first ticket is being refreshed

    assert record_due_breaches(now=T0 + 2 * HOUR, should_stop=should_stop) == 1
    assert asked == [0, 1]
    assert breaches_per_ticket() == {tickets[0].pk: 1}


def test_a_ticket_saved_after_now_is_left_to_its_save(
    frt_policy: Policy, end_user: User, caplog: pytest.LogCaptureFixture
) -> None:
    """A round's work list is read at `now`; a save stamped later has already refreshed it
    (replaying it at the earlier `now` would be an error: an update after now)."""
    ticket = TicketFactory(requester=end_user, now=T0)
    # As the row would read to a round that started before the save: due at its `now`.
    TicketSlaTarget.objects.filter(ticket=ticket).update(breach_at=T0 - 10 * SECOND)
    assert record_due_breaches(now=T0 - SECOND) == 0
    assert breach_events(ticket) == []
    assert not [r for r in caplog.records if r.levelno >= logging.WARNING]


def test_next_due_is_the_soonest_future_deadline(frt_policy: Policy, end_user: User) -> None:
    assert next_due(now=T0) is None
    first = TicketFactory(requester=end_user, now=T0)
    TicketFactory(requester=end_user, now=T0 + 10 * SECOND)
    assert next_due(now=T0) == T0 + HOUR
    assert next_due(now=T0 + HOUR - SECOND) == T0 + HOUR
    # Past deadlines are the round's work, not something to sleep until.
    assert next_due(now=T0 + HOUR) == T0 + HOUR + 10 * SECOND
    assert record_due_breaches(now=T0 + HOUR) == 1
    assert len(breach_events(first)) == 1
    assert next_due(now=T0 + HOUR + 20 * SECOND) is None


def test_command_once_runs_one_round_and_reports_it(frt_policy: Policy, end_user: User) -> None:
    ticket = TicketFactory(requester=end_user, now=timezone.now() - 2 * HOUR)
    out = StringIO()
    call_command("sla_clock", "--once", stdout=out)
    assert "refreshed 1 ticket(s)" in out.getvalue()
    assert len(breach_events(ticket)) == 1

    quiet = StringIO()
    call_command("sla_clock", "--once", stdout=quiet)
    assert quiet.getvalue() == ""  # only rounds that did work print
    assert len(breach_events(ticket)) == 1


# Real processes ------------------------------------------------------------------------------


Spawn = Callable[..., subprocess.Popen[str]]


@pytest.fixture
def spawn() -> Iterator[Spawn]:
    """Start `manage.py sla_clock ARGS`; whatever is still running at the end is killed."""
    started: list[subprocess.Popen[str]] = []

    def start(*args: str) -> subprocess.Popen[str]:
        process = subprocess.Popen(
            [sys.executable, str(MANAGE), "sla_clock", *args],
            cwd=MANAGE.parent,
            env=database_env(),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        started.append(process)
        return process

    yield start
    for process in started:
        if process.poll() is None:
            process.kill()
        process.communicate(timeout=30)


def wait_for(
    condition: Callable[[], bool],
    process: subprocess.Popen[str],
    *,
    seconds: float,
    what: str,
) -> float:
    """Poll the database until `condition` holds; return when (monotonic).

    Fails at the deadline, or as soon as the clock process dies, with what it printed.
    """
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return time.monotonic()
        if process.poll() is not None:
            break
        time.sleep(0.05)
    if process.poll() is None:
        process.kill()
    stdout, stderr = process.communicate(timeout=30)
    pytest.fail(
        f"gave up waiting until {what} (exit code {process.returncode})\n"
        f"stdout:\n{stdout}\nstderr:\n{stderr}"
    )


def due_tickets(requester: User, count: int, subject: str) -> list[Ticket]:
    """Tickets whose 1h first reply target passed an hour ago (the clock's real now)."""
    created = timezone.now() - 2 * HOUR
    return [
        TicketFactory(requester=requester, now=created, subject=f"{subject} {i}")
        for i in range(count)
    ]


def assert_clean(stderr: str) -> None:
    assert "Traceback" not in stderr
    assert "Error" not in stderr
    assert "failed" not in stderr


@pytest.mark.skipif(
    "postgresql" not in settings.DATABASES["default"]["ENGINE"],
    reason="row locks with SKIP LOCKED need PostgreSQL; SQLite serializes writers",
)
@pytest.mark.django_db(transaction=True)
def test_two_clocks_at_once_record_each_breach_once(frt_policy: Policy, spawn: Spawn) -> None:
    requester = UserFactory(role="end-user", email="race@example.com")
    tickets = due_tickets(requester, 30, "race")

    clocks = [spawn("--once"), spawn("--once")]
    outputs = [process.communicate(timeout=120) for process in clocks]

    refreshed = 0
    for process, (stdout, stderr) in zip(clocks, outputs, strict=True):
        assert process.returncode == 0, stderr
        assert_clean(stderr)
        for line in stdout.splitlines():
            refreshed += int(line.split(" refreshed ")[1].split()[0])
    # Each ticket was refreshed by exactly one of the two clocks, and breached once.
    assert refreshed == 30
    assert breaches_per_ticket() == {t.pk: 1 for t in tickets}
    assert not TicketSlaTarget.objects.filter(breached=False, stage="active").exists()


@pytest.mark.django_db(transaction=True)
def test_clock_survives_kill_and_restart(frt_policy: Policy, spawn: Spawn) -> None:
    requester = UserFactory(role="end-user", email="crash@example.com")
    first = due_tickets(requester, 20, "before the crash")

    crashed = spawn()
    wait_for(
        lambda: bool(breaches_per_ticket()),
        crashed,
        seconds=60,
        what="a first breach is recorded",
    )
    crashed.send_signal(signal.SIGKILL)
    _, stderr = crashed.communicate(timeout=30)
    assert crashed.returncode == -signal.SIGKILL
    assert_clean(stderr)

    second = due_tickets(requester, 10, "after the crash")
    everyone = {t.pk for t in first + second}
    restarted = spawn()
    wait_for(
        lambda: set(breaches_per_ticket()) == everyone,
        restarted,
        seconds=60,
        what="every ticket has a breach",
    )
    assert breaches_per_ticket() == dict.fromkeys(everyone, 1)
    for ticket in first + second:
        [breach] = breach_events(ticket)
        assert breach.time == ticket.created_at + HOUR

    restarted.send_signal(signal.SIGTERM)
    stdout, stderr = restarted.communicate(timeout=30)
    assert restarted.returncode == 0, stderr
    assert_clean(stderr)
    assert "refreshed" in stdout
    assert breaches_per_ticket() == dict.fromkeys(everyone, 1)


@pytest.mark.django_db(transaction=True)
def test_running_clock_records_a_new_breach_within_seconds(
    frt_policy: Policy, spawn: Spawn
) -> None:
    """A ticket saved while the clock runs, due a few seconds later, is recorded on time."""
    requester = UserFactory(role="end-user", email="punctual@example.com")
    running = spawn()
    time.sleep(1.0)  # the clock is up and idle: nothing is due
    ticket = TicketFactory(requester=requester, now=timezone.now() - HOUR + 3 * SECOND)
    breach_at = frt_target(ticket).breach_at
    assert breach_at is not None
    assert not breach_events(ticket)

    seen = wait_for(
        lambda: bool(breach_events(ticket)), running, seconds=30, what="the breach is seen"
    )
    late = timedelta(seconds=seen - time.monotonic()) + timezone.now() - breach_at
    assert late < 5 * SECOND, late
    [breach] = breach_events(ticket)
    assert breach.time == breach_at

    running.send_signal(signal.SIGINT)
    _, stderr = running.communicate(timeout=30)
    assert running.returncode == 0, stderr
    assert_clean(stderr)

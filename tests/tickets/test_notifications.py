"""SLA notifications: scheduled from targets, fired by the clock at their time, delivered once.

Time is simulated: services take `now`, and the delivery task (which reads the clock) runs
under time-machine. Webhooks go to a real HTTP server on 127.0.0.1 in a thread; emails go
through Django's locmem backend.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from io import StringIO
from typing import Any

import pytest
import time_machine
from django.core import mail
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from standardwebhooks import Webhook, WebhookVerificationError

from policies import services as policy_services
from policies.models import Policy
from tests.factories import GroupFactory, TicketFactory, UserFactory, make_policy, metric
from tickets.breach_clock import record_due_breaches
from tickets.models import NotificationRule, SlaNotification, Ticket, User
from tickets.notifications import rules as notification_rules
from tickets.notifications.api import NotificationRuleInputSerializer
from tickets.notifications.delivery import notification_deliver, retry_delay
from tickets.notifications.firing import next_notification_due, notifications_fire_due
from tickets.notifications.messages import DeliveryError
from tickets.notifications.webhooks import send_webhook, standard_secret
from tickets.services import NewComment, ticket_update
from tickets.sla.notification_schedule import TargetRow, fire_time

T0 = datetime(2025, 3, 3, 9, 0, tzinfo=UTC)  # a Monday
HOUR = timedelta(hours=1)
MINUTE = timedelta(minutes=1)
SECOND = timedelta(seconds=1)
SECRET = "s3cret-key"


# A real receiver -----------------------------------------------------------------------------


@dataclass
class Received:
    body: bytes
    headers: dict[str, str]

    @property
    def json(self) -> dict[str, Any]:
        return json.loads(self.body)


@dataclass
class Receiver:
    """An HTTP server that records each POST and answers `status` (503 while "down")."""

    url: str
    received: list[Received] = field(default_factory=list)
    status: int = 200

    def delivered(self) -> list[Received]:
        return [r for r in self.received if r.headers.get("x-answered") == "200"]


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    state = Receiver(url="")

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802 (http.server's naming)
            body = self.rfile.read(int(self.headers["Content-Length"]))
            headers = {k.lower(): v for k, v in self.headers.items()}
            headers["x-answered"] = str(state.status)
            state.received.append(Received(body, headers))
            self.send_response(state.status)
            self.end_headers()
            self.wfile.write(b"ok" if state.status == 200 else b"receiver is down")

        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    state.url = f"http://127.0.0.1:{server.server_address[1]}/hooks/sla"
    # serve_forever checks for shutdown() every poll_interval (0.5 s by default, which every
    # test using the receiver spent in its teardown).
    thread = threading.Thread(target=server.serve_forever, args=(0.01,), daemon=True)
    thread.start()
    yield state
    server.shutdown()
    server.server_close()


@pytest.fixture(autouse=True)
def _notification_settings(settings: Any) -> None:
    settings.SLAWEB_WEBHOOK_ALLOW_PRIVATE = True  # the receiver is on 127.0.0.1
    settings.SLAWEB_NOTIFICATION_RETRY_JITTER_PERCENT = 0
    settings.SLAWEB_NOTIFICATION_RETRY_BASE_SECONDS = 30
    settings.SLAWEB_NOTIFICATION_RETRY_CAP_SECONDS = 600
    settings.SLAWEB_NOTIFICATION_MAX_ATTEMPTS = 12
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"


# Helpers -------------------------------------------------------------------------------------


def make_rule(now: datetime = T0 - HOUR, **fields: Any) -> NotificationRule:
    """Through the API's serializer and the service, as the API and admin do."""
    serializer = NotificationRuleInputSerializer(data={"title": "Rule", **fields})
    assert serializer.is_valid(), serializer.errors
    return notification_rules.notification_rule_create(
        data=dict(serializer.validated_data), now=now
    )


def webhook_rule(receiver: Receiver, **fields: Any) -> NotificationRule:
    return make_rule(channel="webhook", webhook_url=receiver.url, webhook_secret=SECRET, **fields)


@pytest.fixture
def frt_policy(db: None) -> Policy:
    """First reply within 1 calendar hour at normal priority, 30 minutes at urgent."""
    return make_policy(
        "FRT 1h",
        filter={"all": [], "any": []},
        metrics=[
            metric("normal", "first_reply_time", 60),
            metric("urgent", "first_reply_time", 30),
        ],
    )


@pytest.fixture
def agent(db: None) -> User:
    return UserFactory(role="agent", email="agent.smith@example.com")


Tick = Callable[[datetime], int]


@pytest.fixture
def tick(django_capture_on_commit_callbacks: Any) -> Tick:
    """One clock round at `now`: record breaches, queue due notifications, and run the
    delivery tasks they enqueue on commit (the immediate backend) with the clock at `now`."""

    def run(now: datetime) -> int:
        with time_machine.travel(now, tick=False):
            record_due_breaches(now=now)
            with django_capture_on_commit_callbacks(execute=True):
                fired = notifications_fire_due(now=now)
        return fired

    return run


def rows(ticket: Ticket) -> list[SlaNotification]:
    return list(SlaNotification.objects.filter(ticket=ticket).order_by("fire_at", "id"))


# When they fire ------------------------------------------------------------------------------


def test_warnings_and_breach_fire_once_at_their_time(
    frt_policy: Policy, end_user: User, receiver: Receiver, tick: Tick
) -> None:
    before = webhook_rule(
        receiver, title="15 min before", trigger="warning_before", lead_seconds=900
    )
    half = webhook_rule(receiver, title="Half way", trigger="warning_percent", percent=50)
    breach = webhook_rule(receiver, title="Breach", trigger="breach")
    ticket = TicketFactory(requester=end_user, now=T0)

    scheduled = {row.rule_id: (row.kind, row.fire_at, row.status) for row in rows(ticket)}
    assert scheduled == {
        half.pk: ("warning", T0 + 30 * MINUTE, "scheduled"),
        before.pk: ("warning", T0 + 45 * MINUTE, "scheduled"),
        breach.pk: ("breach", T0 + HOUR, "scheduled"),
    }
    assert next_notification_due(now=T0) == T0 + 30 * MINUTE

    assert tick(T0 + 30 * MINUTE - SECOND) == 0
    assert receiver.received == []
    assert tick(T0 + 30 * MINUTE) == 1
    assert [r.json["notification"]["rule"]["id"] for r in receiver.received] == [half.pk]
    assert tick(T0 + 44 * MINUTE) == 0
    assert tick(T0 + 45 * MINUTE) == 1
    assert tick(T0 + HOUR - SECOND) == 0
    assert tick(T0 + HOUR) == 1
    sent = [
        (r.json["notification"]["rule"]["id"], r.json["notification"]["kind"])
        for r in receiver.received
    ]
    assert sent == [(half.pk, "warning"), (before.pk, "warning"), (breach.pk, "breach")]

    # Later rounds, and saves of the ticket, send nothing again.
    for later in (T0 + HOUR + SECOND, T0 + 2 * HOUR, T0 + 30 * HOUR):
        assert tick(later) == 0
    ticket_update(
        ticket_id=ticket.pk,
        fields={"subject": "Still on fire"},
        author_id=end_user.pk,
        comment=None,
        now=T0 + 2 * HOUR,
    )
    assert tick(T0 + 3 * HOUR) == 0
    assert len(receiver.received) == 3
    assert {row.status for row in rows(ticket)} == {"delivered"}
    assert all(row.attempts == 1 for row in rows(ticket))
    assert rows(ticket)[0].delivered_at == T0 + 30 * MINUTE


def test_a_late_clock_catches_up_and_sends_each_once(
    frt_policy: Policy, end_user: User, receiver: Receiver, tick: Tick
) -> None:
    webhook_rule(receiver, trigger="warning_before", lead_seconds=600)
    webhook_rule(receiver, trigger="breach")
    ticket = TicketFactory(requester=end_user, now=T0)
    assert tick(T0 + 5 * HOUR) == 2  # after downtime: both at once
    assert tick(T0 + 5 * HOUR) == 0
    assert len(receiver.received) == 2
    payloads = {r.json["notification"]["kind"]: r.json["notification"] for r in receiver.received}
    assert payloads["warning"]["fire_at"] == "2025-03-03T09:50:00Z"
    assert payloads["breach"]["breach_at"] == "2025-03-03T10:00:00Z"
    assert {row.status for row in rows(ticket)} == {"delivered"}


def test_a_reply_before_the_warning_cancels_it(
    frt_policy: Policy, end_user: User, agent: User, receiver: Receiver, tick: Tick
) -> None:
    webhook_rule(receiver, trigger="warning_before", lead_seconds=600)
    webhook_rule(receiver, trigger="breach")
    ticket = TicketFactory(requester=end_user, now=T0)
    ticket_update(
        ticket_id=ticket.pk,
        fields={},
        author_id=agent.pk,
        comment=NewComment(body="on it", public=True, author_id=agent.pk),
        now=T0 + 20 * MINUTE,
    )
    assert {row.status for row in rows(ticket)} == {"cancelled"}
    assert tick(T0 + 2 * HOUR) == 0
    assert receiver.received == []


def test_a_moved_target_moves_its_notifications(
    frt_policy: Policy, end_user: User, receiver: Receiver, tick: Tick
) -> None:
    rule = webhook_rule(receiver, trigger="warning_before", lead_seconds=600)
    ticket = TicketFactory(requester=end_user, now=T0)
    assert [r.fire_at for r in rows(ticket)] == [T0 + 50 * MINUTE]
    ticket_update(
        ticket_id=ticket.pk,
        fields={"priority": "urgent"},
        author_id=end_user.pk,
        comment=None,
        now=T0 + 5 * MINUTE,
    )
    [row] = rows(ticket)
    assert (row.rule_id, row.fire_at, row.status) == (rule.pk, T0 + 20 * MINUTE, "scheduled")
    assert tick(T0 + 20 * MINUTE) == 1
    assert len(receiver.received) == 1


def test_scope_picks_policy_metric_and_priority(
    frt_policy: Policy, end_user: User, receiver: Receiver
) -> None:
    other = make_policy("Other", metrics=[metric("normal", "first_reply_time", 60)])
    urgent_only = webhook_rule(receiver, trigger="breach", priority="urgent")
    this_policy = webhook_rule(receiver, trigger="breach", policy_id=frt_policy.pk)
    other_policy = webhook_rule(receiver, trigger="breach", policy_id=other.pk)
    resolution = webhook_rule(receiver, trigger="breach", metric="total_resolution_time")
    frt = webhook_rule(receiver, trigger="breach", metric="first_reply_time")
    ticket = TicketFactory(requester=end_user, now=T0)
    assert {row.rule_id for row in rows(ticket)} == {this_policy.pk, frt.pk}
    assert {urgent_only.pk, other_policy.pk, resolution.pk}.isdisjoint(
        row.rule_id for row in rows(ticket)
    )


def test_percent_of_a_business_hours_target_counts_business_time(
    end_user: User, receiver: Receiver, tick: Tick
) -> None:
    policy_services.schedule_create(name="Office", time_zone="UTC")  # Mon-Fri 09:00-17:00
    make_policy(
        "Business",
        filter={"all": [], "any": []},
        metrics=[metric("normal", "first_reply_time", 8 * 60, business_hours=True)],
    )
    webhook_rule(receiver, trigger="warning_percent", percent=50)
    webhook_rule(receiver, trigger="warning_percent", percent=75)
    monday_1pm = T0 + 4 * HOUR
    ticket = TicketFactory(requester=end_user, now=monday_1pm)
    # 8 business hours from Monday 13:00 end Tuesday 13:00; half of them are used up by
    # Monday 17:00, three quarters by Tuesday 11:00.
    assert [r.fire_at for r in rows(ticket)] == [T0 + 8 * HOUR, T0 + 26 * HOUR]
    assert [r.breach_at for r in rows(ticket)] == [T0 + 28 * HOUR] * 2


def test_a_new_rule_covers_open_tickets_but_not_moments_already_past(
    frt_policy: Policy, end_user: User, receiver: Receiver, tick: Tick
) -> None:
    ticket = TicketFactory(requester=end_user, now=T0)
    webhook_rule(receiver, trigger="warning_before", lead_seconds=1800, now=T0 + 40 * MINUTE)
    webhook_rule(receiver, trigger="breach", now=T0 + 40 * MINUTE)
    assert [(r.kind, r.fire_at) for r in rows(ticket)] == [("breach", T0 + HOUR)]
    assert tick(T0 + HOUR) == 1
    assert [r.json["notification"]["kind"] for r in receiver.received] == ["breach"]


def test_deactivating_or_deleting_a_rule_cancels_what_waits(
    frt_policy: Policy, end_user: User, receiver: Receiver, tick: Tick
) -> None:
    paused = webhook_rule(receiver, trigger="breach")
    gone = webhook_rule(receiver, trigger="warning_percent", percent=10)
    ticket = TicketFactory(requester=end_user, now=T0)
    assert tick(T0 + 6 * MINUTE) == 1  # the 10 % warning is delivered and stays in the log
    notification_rules.notification_rule_update(
        rule_id=paused.pk, data={"active": False}, now=T0 + 7 * MINUTE
    )
    notification_rules.notification_rule_delete(rule_id=gone.pk, now=T0 + 7 * MINUTE)
    assert [(r.rule_id, r.status) for r in rows(ticket)] == [
        (None, "delivered"),
        (paused.pk, "cancelled"),
    ]
    assert tick(T0 + 2 * HOUR) == 0
    assert len(receiver.received) == 1

    notification_rules.notification_rule_update(
        rule_id=paused.pk, data={"active": True}, now=T0 + 3 * HOUR
    )
    # Active again: the breach came while it was off, but after the rule was created, so it
    # is sent late rather than lost.
    assert tick(T0 + 3 * HOUR) == 1
    assert [r.json["notification"]["kind"] for r in receiver.received] == ["warning", "breach"]


# The webhook ---------------------------------------------------------------------------------


def test_a_receiver_can_verify_the_signature_and_read_the_payload(
    frt_policy: Policy, end_user: User, receiver: Receiver, tick: Tick
) -> None:
    rule = webhook_rule(receiver, title="Breach hook", trigger="breach")
    ticket = TicketFactory(requester=end_user, now=T0, subject="Printer on fire")
    tick(T0 + HOUR)
    [request] = receiver.received

    # What a receiver does: Standard Webhooks' verify, with the secret and the raw body, a
    # few seconds after the attempt (it refuses timestamps more than 5 minutes away).
    key = f"{ticket.pk}:first_reply_time:1:{rule.pk}:breach"
    with time_machine.travel(T0 + HOUR + 3 * SECOND, tick=False):
        assert (
            Webhook(standard_secret(SECRET)).verify(request.body, request.headers) == request.json
        )
        # A rule's plain-text secret is its key as UTF-8 bytes.
        assert Webhook(SECRET.encode()).verify(request.body, request.headers) == request.json
        with pytest.raises(WebhookVerificationError):
            Webhook(b"another secret").verify(request.body, request.headers)
    assert request.headers["webhook-id"] == key
    assert request.headers["webhook-timestamp"] == str(int((T0 + HOUR).timestamp()))
    assert request.headers["webhook-signature"].startswith("v1,")
    # The raw recipe: HMAC-SHA256 of "{id}.{timestamp}.{body}", in base64.
    signed = f"{key}.{request.headers['webhook-timestamp']}.".encode() + request.body
    expected = base64.b64encode(hmac.new(SECRET.encode(), signed, hashlib.sha256).digest())
    assert request.headers["webhook-signature"] == "v1," + expected.decode()
    assert request.headers["x-slaweb-idempotency-key"] == key
    assert request.headers["content-type"] == "application/json"
    assert request.json == {
        "notification": {
            "idempotency_key": key,
            "kind": "breach",
            "fire_at": "2025-03-03T10:00:00Z",
            "rule": {"id": rule.pk, "title": "Breach hook", "trigger": "breach"},
            "ticket": {
                "id": ticket.pk,
                "url": f"http://127.0.0.1:8000/api/v2/tickets/{ticket.pk}.json",
                "subject": "Printer on fire",
                "priority": "normal",
                "status": "new",
                "assignee_id": None,
                "group_id": None,
            },
            "policy": {"id": frt_policy.pk, "title": "FRT 1h"},
            "group_sla_policy": None,
            "group": None,
            "message": f"First reply time for ticket #{ticket.pk} breached",
            "metric": "first_reply_time",
            "instance_id": 1,
            "target": {"target": 60, "target_in_seconds": 3600, "business_hours": False},
            "breach_at": "2025-03-03T10:00:00Z",
        }
    }


def test_a_receiver_down_for_an_hour_loses_nothing_and_gets_nothing_twice(
    frt_policy: Policy, end_user: User, receiver: Receiver, tick: Tick
) -> None:
    webhook_rule(receiver, trigger="warning_before", lead_seconds=600)
    webhook_rule(receiver, trigger="breach")
    tickets = [TicketFactory(requester=end_user, now=T0 + n * MINUTE) for n in range(3)]
    receiver.status = 503
    now = T0
    while now <= T0 + 4 * HOUR:
        if now >= T0 + 50 * MINUTE + HOUR:
            receiver.status = 200  # back after an hour down
        tick(now)
        now += 30 * SECOND
    keys = [r.headers["x-slaweb-idempotency-key"] for r in receiver.delivered()]
    assert len(keys) == 6
    assert len(set(keys)) == 6
    assert len(receiver.received) > 6  # it was called, and refused, while down
    for ticket in tickets:
        for row in rows(ticket):
            assert row.status == "delivered"
            assert row.attempts > 1
            assert row.last_error == ""
            assert row.delivered_at is not None
            assert row.delivered_at >= T0 + 110 * MINUTE
    assert tick(now + HOUR) == 0
    assert len(receiver.delivered()) == 6


def test_retries_back_off_exponentially_and_give_up_at_the_limit(
    frt_policy: Policy, end_user: User, receiver: Receiver, tick: Tick, settings: Any
) -> None:
    settings.SLAWEB_NOTIFICATION_MAX_ATTEMPTS = 4
    webhook_rule(receiver, trigger="breach")
    ticket = TicketFactory(requester=end_user, now=T0)
    receiver.status = 500
    at = T0 + HOUR
    tick(at)
    expected_waits = [30, 60, 120]
    for wait in expected_waits:
        [row] = rows(ticket)
        assert row.status == "scheduled"
        assert row.next_attempt_at == at + timedelta(seconds=wait)
        assert "HTTP 500" in row.last_error
        assert tick(row.next_attempt_at - SECOND) == 0
        at = row.next_attempt_at
        assert tick(at) == 1
    [row] = rows(ticket)
    assert (row.status, row.attempts) == ("failed", 4)
    assert "HTTP 500" in row.last_error
    assert "receiver is down" in row.last_error
    assert tick(at + 10 * HOUR) == 0
    assert len(receiver.received) == 4


def test_retry_delay_doubles_up_to_the_cap_with_jitter(settings: Any) -> None:
    settings.SLAWEB_NOTIFICATION_RETRY_CAP_SECONDS = 200
    assert [retry_delay(n).total_seconds() for n in range(1, 6)] == [30, 60, 120, 200, 200]
    settings.SLAWEB_NOTIFICATION_RETRY_JITTER_PERCENT = 10
    spread = {retry_delay(2).total_seconds() for _ in range(50)}
    assert len(spread) > 1
    assert all(54 <= s <= 66 for s in spread)


def test_a_queued_notification_whose_worker_died_is_queued_again(
    frt_policy: Policy, end_user: User, receiver: Receiver, tick: Tick, settings: Any
) -> None:
    settings.SLAWEB_NOTIFICATION_REQUEUE_SECONDS = 600
    webhook_rule(receiver, trigger="breach")
    ticket = TicketFactory(requester=end_user, now=T0)
    assert notifications_fire_due(now=T0 + HOUR) == 1  # queued; its task never runs
    assert rows(ticket)[0].status == "queued"
    assert tick(T0 + HOUR + 5 * MINUTE) == 0
    assert tick(T0 + HOUR + 11 * MINUTE) == 1
    assert len(receiver.delivered()) == 1
    # A second task for a delivered row sends nothing.
    assert (
        notification_deliver(notification_id=rows(ticket)[0].pk, now=T0 + 2 * HOUR) == "delivered"
    )
    assert len(receiver.received) == 1


def test_the_clock_command_fires_notifications(
    frt_policy: Policy, end_user: User, receiver: Receiver, django_capture_on_commit_callbacks: Any
) -> None:
    from django.utils import timezone

    webhook_rule(receiver, trigger="breach", now=timezone.now() - 3 * HOUR)
    ticket = TicketFactory(requester=end_user, now=timezone.now() - 2 * HOUR)
    out = StringIO()
    with django_capture_on_commit_callbacks(execute=True):
        call_command("sla_clock", "--once", stdout=out)
    assert "queued 1 notification(s)" in out.getvalue()
    assert [r.status for r in rows(ticket)] == ["delivered"]
    assert len(receiver.received) == 1


# Where webhooks may go -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("url", "problem"),
    [
        ("ftp://example.com/hook", "http or https"),
        ("file:///etc/passwd", "http or https"),
        ("http://user:pw@example.com/", "user name"),
        ("http://127.0.0.1:8080/", "private address"),
        ("http://10.1.2.3/", "private address"),
        ("http://169.254.169.254/latest/meta-data", "private address"),
        ("http://[::1]/", "private address"),
        ("http://[::ffff:192.168.0.1]/", "private address"),
    ],
)
def test_webhook_urls_must_be_public_http(db: None, settings: Any, url: str, problem: str) -> None:
    settings.SLAWEB_WEBHOOK_ALLOW_PRIVATE = False
    serializer = NotificationRuleInputSerializer(
        data={
            "title": "t",
            "trigger": "breach",
            "channel": "webhook",
            "webhook_url": url,
            "webhook_secret": "x",
        }
    )
    assert not serializer.is_valid()
    assert problem in str(serializer.errors["webhook_url"])


def test_delivery_refuses_a_name_that_resolves_to_a_private_address(
    frt_policy: Policy, end_user: User, receiver: Receiver, tick: Tick, settings: Any
) -> None:
    port = receiver.url.split(":")[2].split("/")[0]
    webhook_rule(receiver, trigger="breach")
    rule = NotificationRule.objects.get()
    rule.webhook_url = f"http://localhost:{port}/hooks/sla"  # passes the URL check: a name
    rule.save()
    ticket = TicketFactory(requester=end_user, now=T0)
    settings.SLAWEB_WEBHOOK_ALLOW_PRIVATE = False
    tick(T0 + HOUR)
    [row] = rows(ticket)
    assert row.status == "scheduled"
    assert row.attempts == 1
    assert "private address" in row.last_error
    assert receiver.received == []
    with pytest.raises(DeliveryError, match="private address"):
        send_webhook(rule, row, now=T0)


# Email ---------------------------------------------------------------------------------------


def test_email_goes_to_the_assignee_the_group_and_fixed_addresses(
    frt_policy: Policy, end_user: User, agent: User, tick: Tick
) -> None:
    colleague = UserFactory(role="agent", email="colleague@example.com")
    group = GroupFactory(name="Tier 1")
    group.agents.add(agent, colleague)
    make_rule(
        channel="email",
        trigger="warning_before",
        lead_seconds=900,
        recipients=["assignee", "group"],
        email_addresses=["Lead@Example.com", "agent.smith@example.com"],
    )
    ticket = TicketFactory(
        requester=end_user, now=T0, subject="Printer on fire", assignee=agent, group=group
    )
    assert tick(T0 + 45 * MINUTE) == 1
    [message] = mail.outbox
    assert message.to == ["agent.smith@example.com", "colleague@example.com", "lead@example.com"]
    assert message.subject == f"SLA warning: #{ticket.pk} Printer on fire (first reply time)"
    assert "Breach at: 2025-03-03T10:00:00Z (UTC)" in message.body
    assert "Policy: FRT 1h" in message.body
    assert f"/api/v2/tickets/{ticket.pk}.json" in message.body
    assert rows(ticket)[0].status == "delivered"
    assert tick(T0 + 2 * HOUR) == 0
    assert len(mail.outbox) == 1


def test_an_email_without_recipients_is_retried(
    frt_policy: Policy, end_user: User, agent: User, tick: Tick
) -> None:
    make_rule(channel="email", trigger="breach", recipients=["assignee"])
    ticket = TicketFactory(requester=end_user, now=T0)
    tick(T0 + HOUR)
    [row] = rows(ticket)
    assert (row.status, row.attempts) == ("scheduled", 1)
    assert "no recipients" in row.last_error
    # Assigned meanwhile: the retry reaches the assignee. The save does not move the row.
    ticket_update(
        ticket_id=ticket.pk,
        fields={"assignee_id": agent.pk},
        author_id=agent.pk,
        comment=None,
        now=T0 + HOUR + 10 * SECOND,
    )
    tick(T0 + HOUR + 30 * SECOND)
    assert [m.to for m in mail.outbox] == [["agent.smith@example.com"]]
    assert rows(ticket)[0].status == "delivered"


# Cost ----------------------------------------------------------------------------------------


def test_scheduling_costs_the_same_for_one_ticket_or_many(
    frt_policy: Policy, end_user: User, receiver: Receiver
) -> None:
    from tickets.sla.notification_schedule import notifications_schedule

    webhook_rule(receiver, trigger="breach")
    webhook_rule(receiver, trigger="warning_before", lead_seconds=60, priority="normal")

    def targets(tickets: list[Ticket], shift: timedelta) -> list[TargetRow]:
        return [
            TargetRow(
                t.pk, "first_reply_time", 1, frt_policy.pk, 3600, False, "active", T0 + HOUR + shift
            )
            for t in tickets
        ]

    one = [TicketFactory(requester=end_user, now=T0)]
    many = [TicketFactory(requester=end_user, now=T0) for _ in range(6)]
    counts = []
    for tickets in (one, many):
        SlaNotification.objects.filter(ticket__in=tickets, kind="warning").delete()
        with CaptureQueriesContext(connection) as captured:
            notifications_schedule(
                targets(tickets, MINUTE), ticket_ids=[t.pk for t in tickets], now=T0
            )
        counts.append(len(captured.captured_queries))
        assert {r.fire_at for t in tickets for r in rows(t)} == {
            T0 + 60 * MINUTE,
            T0 + HOUR + MINUTE,
        }
    # Rules, tickets' priorities, stored rows, one insert (warnings), one update (breaches).
    assert counts == [5, 5]


def test_no_active_rule_costs_one_query(
    frt_policy: Policy, end_user: User, django_assert_num_queries: Any
) -> None:
    from tickets.sla.notification_schedule import notifications_schedule

    ticket = TicketFactory(requester=end_user, now=T0)
    with django_assert_num_queries(1):
        notifications_schedule(
            [TargetRow(ticket.pk, "first_reply_time", 1, None, 60, False, "active", T0)],
            ticket_ids=[ticket.pk],
            now=T0,
        )


def test_fire_time_of_each_trigger() -> None:
    target = TargetRow(1, "first_reply_time", 1, None, 3600, False, "active", T0 + HOUR)
    rule = NotificationRule(trigger="warning_percent", percent=90)
    assert fire_time(rule, target, None) == T0 + 54 * MINUTE
    rule = NotificationRule(trigger="warning_before", lead_seconds=7200)
    assert fire_time(rule, target, None) == T0 - HOUR  # a lead longer than the target: at once
    assert fire_time(NotificationRule(trigger="breach"), target, None) == T0 + HOUR


# Escalation ----------------------------------------------------------------------------------


def test_breach_escalation_is_an_audited_ticket_update_applied_once(
    frt_policy: Policy, end_user: User, receiver: Receiver, tick: Tick
) -> None:
    from tickets.models import ChangeEvent, TicketAudit

    tier2 = GroupFactory(name="Tier 2")
    webhook_rule(
        receiver,
        trigger="breach",
        set_priority="urgent",
        set_group_id=tier2.pk,
        add_tag="sla_breached",
    )
    ticket = TicketFactory(requester=end_user, now=T0, tags=["vip"])
    receiver.status = 503  # the escalation does not wait for the receiver
    tick(T0 + HOUR)
    ticket.refresh_from_db()
    assert (ticket.priority, ticket.group_id, ticket.tags) == (
        "urgent",
        tier2.pk,
        ["vip", "sla_breached"],
    )
    audit = TicketAudit.objects.filter(ticket=ticket).order_by("created_at", "id").last()
    assert audit is not None
    assert (audit.author_id, audit.via_id, audit.created_at) == (None, 8, T0 + HOUR)
    changes = {
        e.field_name: (e.previous_value, e.value) for e in ChangeEvent.objects.filter(audit=audit)
    }
    assert changes == {
        "priority": ("normal", "urgent"),
        "group_id": (None, tier2.pk),
        "tags": (["vip"], ["vip", "sla_breached"]),
    }
    [row] = rows(ticket)
    assert (row.status, row.escalated_at) == ("scheduled", T0 + HOUR)

    # Retries send, but do not escalate again (an agent lowered the priority meanwhile).
    ticket_update(
        ticket_id=ticket.pk,
        fields={"priority": "high"},
        author_id=end_user.pk,
        comment=None,
        now=T0 + HOUR + 10 * SECOND,
    )
    receiver.status = 200
    tick(T0 + HOUR + 30 * SECOND)
    ticket.refresh_from_db()
    assert ticket.priority == "high"
    assert rows(ticket)[0].status == "delivered"
    assert len(receiver.delivered()) == 1
    assert TicketAudit.objects.filter(ticket=ticket, via_id=8).count() == 1


def test_escalation_is_only_for_breach_rules(db: None) -> None:
    serializer = NotificationRuleInputSerializer(
        data={
            "title": "t",
            "trigger": "warning_percent",
            "percent": 50,
            "channel": "email",
            "email_addresses": ["a@example.com"],
            "set_priority": "urgent",
            "add_tag": "two words",
        }
    )
    assert not serializer.is_valid()
    assert "one word" in str(serializer.errors["add_tag"])
    serializer = NotificationRuleInputSerializer(
        data={
            "title": "t",
            "trigger": "warning_percent",
            "percent": 50,
            "channel": "email",
            "email_addresses": ["a@example.com"],
            "set_priority": "urgent",
        }
    )
    assert not serializer.is_valid()
    assert "only to breach rules" in str(serializer.errors["set_priority"])


# Business hours and combined warnings ----------------------------------------------------------


@pytest.fixture
def office(db: None) -> None:
    policy_services.schedule_create(name="Office", time_zone="UTC")  # Mon-Fri 09:00-17:00


def test_an_email_is_deferred_into_business_hours(
    office: None, frt_policy: Policy, end_user: User, agent: User, receiver: Receiver, tick: Tick
) -> None:
    make_rule(
        channel="email",
        trigger="warning_before",
        lead_seconds=900,
        recipients=["assignee"],
        hold_for_business_hours=True,
    )
    webhook_rule(receiver, trigger="warning_before", lead_seconds=900)  # webhooks never wait
    monday_4_30pm = T0 + 7.5 * HOUR
    ticket = TicketFactory(requester=end_user, now=monday_4_30pm, assignee_id=agent.pk)
    evening = T0 + 8.25 * HOUR  # Monday 17:15, after hours
    assert tick(evening) == 1
    assert len(receiver.received) == 1
    assert mail.outbox == []
    email_row = next(r for r in rows(ticket) if r.rule.channel == "email")
    tuesday_9am = T0 + 24 * HOUR
    assert (email_row.status, email_row.next_attempt_at) == ("scheduled", tuesday_9am)
    assert (email_row.fire_at, email_row.attempts) == (evening, 0)
    assert next_notification_due(now=evening) == tuesday_9am
    assert tick(tuesday_9am - SECOND) == 0
    assert mail.outbox == []
    assert tick(tuesday_9am) == 1
    [message] = mail.outbox
    assert message.to == ["agent.smith@example.com"]
    email_row.refresh_from_db()
    assert (email_row.status, email_row.delivered_at) == ("delivered", tuesday_9am)


def test_an_email_due_in_business_hours_goes_at_once(
    office: None, frt_policy: Policy, end_user: User, agent: User, tick: Tick
) -> None:
    make_rule(
        channel="email", trigger="breach", recipients=["assignee"], hold_for_business_hours=True
    )
    TicketFactory(requester=end_user, now=T0, assignee_id=agent.pk)
    assert tick(T0 + HOUR) == 1
    assert len(mail.outbox) == 1


def test_warnings_held_overnight_go_as_one_email_per_recipient(
    office: None, frt_policy: Policy, end_user: User, agent: User, tick: Tick
) -> None:
    colleague = UserFactory(role="agent", email="colleague@example.com")
    make_rule(
        channel="email",
        trigger="warning_percent",
        percent=50,
        recipients=["assignee"],
        email_addresses=["lead@example.com"],
        hold_for_business_hours=True,
        combine_warnings=True,
    )
    evening = T0 + 10 * HOUR  # Monday 19:00
    mine = [
        TicketFactory(requester=end_user, now=evening + n * MINUTE, assignee_id=agent.pk)
        for n in range(3)
    ]
    theirs = TicketFactory(requester=end_user, now=evening, assignee_id=colleague.pk)
    for minute in range(0, 60, 5):
        tick(evening + minute * MINUTE)
    assert mail.outbox == []
    assert tick(T0 + 24 * HOUR) == 4  # Tuesday 09:00
    by_recipient = {tuple(m.to): m for m in mail.outbox}
    assert set(by_recipient) == {
        ("agent.smith@example.com",),
        ("colleague@example.com",),
        ("lead@example.com",),
    }
    assert by_recipient[("agent.smith@example.com",)].subject == "SLA warnings: 3 tickets"
    for ticket in mine:
        assert f"Ticket #{ticket.pk}:" in by_recipient[("agent.smith@example.com",)].body
    assert f"Ticket #{theirs.pk}:" not in by_recipient[("agent.smith@example.com",)].body
    assert by_recipient[("colleague@example.com",)].subject.startswith(
        f"SLA warning: #{theirs.pk} "
    )
    assert by_recipient[("lead@example.com",)].subject == "SLA warnings: 4 tickets"
    assert {r.status for t in [*mine, theirs] for r in rows(t)} == {"delivered"}
    assert tick(T0 + 30 * HOUR) == 0
    assert len(mail.outbox) == 3


def test_combined_warnings_are_retried_together(
    frt_policy: Policy, end_user: User, agent: User, tick: Tick, settings: Any
) -> None:
    make_rule(
        channel="email",
        trigger="warning_before",
        lead_seconds=600,
        recipients=["assignee"],
        combine_warnings=True,
    )
    tickets = [TicketFactory(requester=end_user, now=T0, assignee_id=agent.pk) for _ in range(2)]
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", 9  # nothing listens: refused
    assert tick(T0 + 50 * MINUTE) == 2
    for ticket in tickets:
        [row] = rows(ticket)
        assert (row.status, row.attempts) == ("scheduled", 1)
        assert "ConnectionRefusedError" in row.last_error
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    assert tick(T0 + 50 * MINUTE + 30 * SECOND) == 2
    [message] = mail.outbox
    assert message.subject == "SLA warnings: 2 tickets"


@pytest.mark.parametrize(
    ("fields", "field", "problem"),
    [
        (
            {"channel": "webhook", "webhook_url": "https://h.example.com", "webhook_secret": "k"},
            "hold_for_business_hours",
            "only to email rules",
        ),
        ({"trigger": "breach", "lead_seconds": None}, "combine_warnings", "only to warning rules"),
    ],
)
def test_hold_and_combine_apply_to_email_warnings(
    db: None, fields: dict[str, Any], field: str, problem: str
) -> None:
    data = {
        "title": "t",
        "trigger": "warning_before",
        "lead_seconds": 60,
        "channel": "email",
        "recipients": ["assignee"],
        "hold_for_business_hours": True,
        "combine_warnings": True,
        **fields,
    }
    serializer = NotificationRuleInputSerializer(data=data)
    assert not serializer.is_valid()
    assert problem in str(serializer.errors[field])


# Several clocks --------------------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_two_clocks_firing_at_once_send_each_notification_once(
    end_user: User, receiver: Receiver
) -> None:
    from django.db import connections

    make_policy(
        "FRT 1h",
        filter={"all": [], "any": []},
        metrics=[metric("normal", "first_reply_time", 60)],
    )
    webhook_rule(receiver, trigger="breach")
    tickets = [TicketFactory(requester=end_user, now=T0 + n * SECOND) for n in range(16)]
    start = threading.Barrier(2)
    fired: list[int] = []
    errors: list[BaseException] = []

    def clock() -> None:
        try:
            start.wait()
            while True:
                count = notifications_fire_due(now=T0 + 2 * HOUR, limit=3)
                if not count:
                    break
                fired.append(count)
        except BaseException as error:  # reported by the main thread
            errors.append(error)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=clock) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert errors == []
    assert sum(fired) == 16
    keys = [r.headers["x-slaweb-idempotency-key"] for r in receiver.received]
    assert len(keys) == 16
    assert len(set(keys)) == 16
    assert {r.status for t in tickets for r in rows(t)} == {"delivered"}

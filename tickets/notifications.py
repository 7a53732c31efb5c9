"""SLA notifications: schedule them from stored targets, fire them from the clock, deliver them
in the background with retries.

Zendesk cannot notify anyone about SLA breaches (spec §4.3); slaweb can, at the exact time.

* **Scheduling.** `sla_store_many` calls `notifications_schedule` with the targets it has just
  written. For each running target (active, with a `breach_at`) and each active rule whose
  scope matches, the notification's `fire_at` is computed: `breach_at` minus the lead time
  (warning_before), the moment `percent` of the target has elapsed (warning_percent, in
  business time for business-hour targets), or `breach_at` (breach). Rows are upserted by their
  unique key (ticket, metric, instance, rule, kind), which is the idempotency key. Rows not yet
  attempted follow their target: moved, cancelled when it is paused, fulfilled or removed,
  scheduled again when it runs again. Attempted rows and delivered rows are never touched.
  A rule notifies only of moments after it was created: old breaches stay quiet.
* **Firing.** The `sla_clock` loop calls `notifications_fire_due`, which takes the scheduled
  rows that are due (`SKIP LOCKED` on PostgreSQL, so several clocks share the work), freezes
  each one's payload, marks it queued and enqueues a delivery task per row on commit.
* **Delivery.** `notification_deliver` locks the row, sends it once (a signed webhook or an
  email) and marks it delivered; on an error it records the error and schedules a retry with
  exponential backoff, until the last attempt fails it. A second task for the same row finds
  it delivered and does nothing, so a receiver never gets a notification twice from slaweb; it
  can also drop repeats by the `X-Slaweb-Idempotency-Key` header.
* **Email options.** An email rule may hold its emails until the account schedule's next
  opening (the clock moves the row's next attempt there) and may combine the warnings that
  come due together into one email per recipient (one task for the group).
* **Escalation.** A breach rule may set the priority, assign a group or add a tag: applied once,
  at the first attempt, through `ticket_update`, so it is an audited save like any other.
* **Objective alerts.** Rows with an objective and no ticket are opened by
  `tickets.objective_alerts` with their payload frozen; from then on they are fired and
  delivered like the others, to a webhook or to the rule's fixed addresses.
"""

from __future__ import annotations

import hashlib
import hmac
import http.client
import ipaddress
import json
import logging
import random
import socket
import ssl
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

from django.conf import settings
from django.core.mail import EmailMessage, get_connection, send_mail
from django.db import connection, transaction
from django.db.models import Q, QuerySet
from django.utils import timezone
from django_tasks import task

from policies.engine.clock import NoBusinessTime, Schedule
from policies.models import NotificationRule
from tickets.models import SlaNotification, Ticket, TicketSlaTarget, User

logger = logging.getLogger(__name__)

OPEN_STATUSES = ("new", "open", "pending", "hold")
SIGNATURE_HEADER = "X-Slaweb-Signature"
TIMESTAMP_HEADER = "X-Slaweb-Timestamp"
IDEMPOTENCY_HEADER = "X-Slaweb-Idempotency-Key"
MAX_ERROR_CHARS = 2000


# Scheduling ----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class TargetRow:
    """What scheduling needs of a stored target."""

    ticket_id: int
    metric: str
    instance_id: int
    policy_id: int | None
    target_seconds: int
    business_hours: bool
    stage: str
    breach_at: datetime | None


def _business_before(schedule: Schedule, end: datetime, seconds: int) -> datetime:
    """The earliest instant from which at most `seconds` of business time remain until `end`:
    where a count that ends at `end` had `seconds` left, as `Schedule.add` would reach it.

    The engine only adds forwards; business time until `end` shrinks as the start moves
    later, so a bisection over whole seconds finds the instant.
    """
    high = end - timedelta(seconds=seconds)  # never more than `seconds` of business time left
    low = high - timedelta(days=1)
    while schedule.between(low, end) <= seconds:
        if end - low > timedelta(days=MAX_LOOKBACK_DAYS):
            raise ValueError("no business time before the deadline")
        low -= end - low
    low_s, high_s = 0, int((high - low).total_seconds())
    # Invariant: between(low + low_s) > seconds >= between(low + high_s).
    while high_s - low_s > 1:
        middle = (low_s + high_s) // 2
        if schedule.between(low + timedelta(seconds=middle), end) > seconds:
            low_s = middle
        else:
            high_s = middle
    return low + timedelta(seconds=high_s)


MAX_LOOKBACK_DAYS = 4000  # a year-long target at 8 business hours a day, with room


def fire_time(rule: NotificationRule, target: TargetRow, schedule: Schedule | None) -> datetime:
    """When `rule` fires for a running target (one with a breach_at)."""
    assert target.breach_at is not None
    if rule.trigger == "breach":
        return target.breach_at
    if rule.trigger == "warning_before":
        # A lead time is wall-clock time: "15 minutes before the breach".
        return target.breach_at - timedelta(seconds=rule.lead_seconds or 0)
    # warning_percent: the moment `percent` of the target has elapsed, which for a running
    # target is its breach_at less the rest of the target, counted on the target's clock.
    rest = target.target_seconds - target.target_seconds * (rule.percent or 0) // 100
    if target.business_hours and schedule is not None:
        try:
            return _business_before(schedule, target.breach_at, rest)
        except (NoBusinessTime, ValueError):
            return target.breach_at
    return target.breach_at - timedelta(seconds=rest)


def _matches(rule: NotificationRule, target: TargetRow, priority: str | None) -> bool:
    return (
        (rule.policy_id is None or rule.policy_id == target.policy_id)
        and (not rule.metric or rule.metric == target.metric)
        and (not rule.priority or rule.priority == priority)
    )


def active_rules() -> list[NotificationRule]:
    """The active rules about tickets' targets (objective rules are `objective_alerts`')."""
    return list(
        NotificationRule.objects.filter(active=True)
        .exclude(trigger__in=NotificationRule.OBJECTIVE_TRIGGERS)
        .order_by("id")
    )


def notifications_schedule(
    targets: Iterable[TargetRow],
    *,
    ticket_ids: Iterable[int],
    now: datetime,
    rules: Sequence[NotificationRule] | None = None,
) -> None:
    """Bring the not-yet-attempted notifications of `ticket_ids` in line with `targets` (their
    stored targets, all of them) under `rules` (default: every active rule), in a fixed number
    of queries. Call inside the transaction that stored the targets."""
    rules = active_rules() if rules is None else list(rules)
    if not rules:
        return  # deactivating or deleting a rule cancels its rows, so none are waiting
    ticket_ids = list(ticket_ids)
    running = [t for t in targets if t.stage == "active" and t.breach_at is not None]
    priorities: dict[int, tuple[str | None, str]] = {}
    if running:
        priorities = {
            pk: (priority, status)
            for pk, priority, status in Ticket.objects.filter(
                pk__in={t.ticket_id for t in running}
            ).values_list("pk", "priority", "status")
        }
    schedule: Schedule | None = None
    schedule_loaded = False
    wanted: dict[tuple[int, str, int, int, str], tuple[datetime, datetime, int | None]] = {}
    for target in running:
        priority, status = priorities.get(target.ticket_id, (None, "closed"))
        if status not in OPEN_STATUSES:
            continue
        for rule in rules:
            if not _matches(rule, target, priority):
                continue
            if rule.trigger == "warning_percent" and target.business_hours and not schedule_loaded:
                from tickets.sla import account_schedule

                schedule, schedule_loaded = account_schedule(), True
            at = fire_time(rule, target, schedule)
            if at < rule.created_at:
                continue  # the moment passed before the rule existed
            key = (target.ticket_id, target.metric, target.instance_id, rule.pk, rule.kind)
            assert target.breach_at is not None
            wanted[key] = (at, target.breach_at, target.policy_id)
    rule_ids = [rule.pk for rule in rules]
    existing = {
        (row.ticket_id, row.metric, row.instance_id, row.rule_id, row.kind): row
        for row in SlaNotification.objects.filter(
            ticket_id__in=ticket_ids, rule_id__in=rule_ids
        ).only(
            "id",
            "ticket_id",
            "metric",
            "instance_id",
            "rule_id",
            "kind",
            "status",
            "attempts",
            "fire_at",
            "breach_at",
            "policy_id",
        )
    }
    new: list[SlaNotification] = []
    changed: list[SlaNotification] = []
    for key, (at, breach_at, policy_id) in wanted.items():
        row = existing.get(key)
        if row is None:
            ticket_id, metric, instance_id, rule_id, kind = key
            new.append(
                SlaNotification(
                    ticket_id=ticket_id,
                    metric=metric,
                    instance_id=instance_id,
                    rule_id=rule_id,
                    kind=kind,
                    policy_id=policy_id,
                    breach_at=breach_at,
                    fire_at=at,
                    next_attempt_at=at,
                    created_at=now,
                    updated_at=now,
                )
            )
        elif _movable(row) and (
            row.status != "scheduled"
            or (row.fire_at, row.breach_at, row.policy_id) != (at, breach_at, policy_id)
        ):
            row.status, row.fire_at, row.next_attempt_at = "scheduled", at, at
            row.breach_at, row.policy_id, row.updated_at = breach_at, policy_id, now
            changed.append(row)
    for key, row in existing.items():
        if key not in wanted and _movable(row) and row.status == "scheduled":
            row.status, row.updated_at = "cancelled", now
            changed.append(row)
    if new:
        # A rule being scheduled and a ticket save may add the same row at once: the first
        # one stands, and the save does not fail.
        SlaNotification.objects.bulk_create(new, ignore_conflicts=True)
    if changed:
        SlaNotification.objects.bulk_update(
            changed,
            ["status", "fire_at", "next_attempt_at", "breach_at", "policy_id", "updated_at"],
        )


def _movable(row: SlaNotification) -> bool:
    """Rows nobody has tried to send yet follow their target; the others are history."""
    return row.status in ("scheduled", "cancelled") and row.attempts == 0


SCHEDULE_BATCH = 1000


def notifications_schedule_rule(*, rule: NotificationRule, now: datetime) -> None:
    """Schedule (or cancel) one rule's notifications over every open ticket's stored targets,
    after the rule was created or changed; batches of tickets, a fixed number of queries each."""
    if not rule.active:
        notifications_cancel_rule(rule_id=rule.pk, now=now)
        return
    if rule.watches_objectives:
        return  # the clock's objective check opens its notifications
    last_id = 0
    while True:
        ticket_ids = list(
            Ticket.objects.filter(status__in=OPEN_STATUSES, pk__gt=last_id)
            .order_by("pk")
            .values_list("pk", flat=True)[:SCHEDULE_BATCH]
        )
        if not ticket_ids:
            break
        last_id = ticket_ids[-1]
        rows = TicketSlaTarget.objects.filter(
            ticket_id__in=ticket_ids, target_seconds__isnull=False
        )
        targets = [TargetRow(*values) for values in rows.values_list(*TARGET_ROW_FIELDS)]
        notifications_schedule(targets, ticket_ids=ticket_ids, now=now, rules=[rule])
    # Tickets no longer open keep no waiting notifications of this rule.
    SlaNotification.objects.filter(rule=rule, status="scheduled", attempts=0).exclude(
        ticket__status__in=OPEN_STATUSES
    ).update(status="cancelled", updated_at=now)


TARGET_ROW_FIELDS = (
    "ticket_id",
    "metric",
    "instance_id",
    "policy_id",
    "target_seconds",
    "business_hours",
    "stage",
    "breach_at",
)


def notifications_cancel_rule(*, rule_id: int, now: datetime) -> int:
    """Cancel a rule's notifications that are waiting for their time (not those in delivery)."""
    return SlaNotification.objects.filter(rule_id=rule_id, status="scheduled", attempts=0).update(
        status="cancelled", updated_at=now
    )


# Firing --------------------------------------------------------------------------------------


def _due(now: datetime) -> QuerySet[SlaNotification]:
    requeue = now - timedelta(seconds=settings.SLAWEB_NOTIFICATION_REQUEUE_SECONDS)
    return SlaNotification.objects.filter(
        Q(status="scheduled", next_attempt_at__lte=now) | Q(status="queued", queued_at__lt=requeue)
    )


def next_notification_due(*, now: datetime) -> datetime | None:
    """The soonest time after `now` at which a scheduled notification is due."""
    return (
        SlaNotification.objects.filter(status="scheduled", next_attempt_at__gt=now)
        .order_by("next_attempt_at")
        .values_list("next_attempt_at", flat=True)
        .first()
    )


def notifications_fire_due(*, now: datetime, limit: int = 200) -> int:
    """Queue up to `limit` due notifications for delivery; return how many.

    Queued notifications whose worker died (queued longer than the requeue time) are queued
    again; delivery is idempotent, so a slow worker's row is sent once all the same.
    """
    with transaction.atomic():
        rows = _due(now).select_related("ticket", "rule", "policy").order_by("next_attempt_at")
        if connection.features.has_select_for_update_skip_locked:
            rows = rows.select_for_update(skip_locked=True, of=("self",))
        else:
            rows = rows.select_for_update()
        batch = list(rows[:limit])
        held = _hold_for_business_hours(batch, now)
        batch = [row for row in batch if row not in held]
        for row in batch:
            if row.payload is None:
                row.payload = notification_payload(row)
            row.status, row.queued_at, row.updated_at = "queued", now, now
        SlaNotification.objects.bulk_update(
            [*batch, *held], ["payload", "status", "queued_at", "next_attempt_at", "updated_at"]
        )
        singles, groups = _delivery_groups(batch)
        ids = [row.pk for row in batch]

        def enqueue() -> None:
            for pk in singles:
                deliver_notification_task.enqueue(pk)
            for group in groups:
                deliver_combined_task.enqueue(group)

        transaction.on_commit(enqueue)
    return len(ids)


def _hold_for_business_hours(
    rows: Sequence[SlaNotification], now: datetime
) -> list[SlaNotification]:
    """Emails of rules that wait for business hours, due outside them: moved to the next
    opening of the account schedule (without a schedule, every hour is a business hour)."""
    holding = [
        row
        for row in rows
        if row.rule is not None
        and row.rule.active
        and row.rule.channel == "email"
        and row.rule.hold_for_business_hours
    ]
    if not holding:
        return []
    from tickets.sla import account_schedule

    schedule = account_schedule()
    if schedule is None or schedule.is_business_time(now):
        return []
    try:
        opening = schedule.next_business_instant(now)
    except NoBusinessTime:
        return []
    for row in holding:
        row.status, row.next_attempt_at, row.updated_at = "scheduled", opening, now
    return holding


def _delivery_groups(rows: Sequence[SlaNotification]) -> tuple[list[int], list[list[int]]]:
    """One task per notification, except the warnings of a combining email rule that come due
    together: one task for them all."""
    singles: list[int] = []
    combined: dict[int, list[int]] = {}
    for row in rows:
        rule = row.rule
        if (
            rule is not None
            and rule.channel == "email"
            and rule.combine_warnings
            and row.kind == "warning"
        ):
            combined.setdefault(rule.pk, []).append(row.pk)
        else:
            singles.append(row.pk)
    groups = [ids for ids in combined.values() if len(ids) > 1]
    singles += [ids[0] for ids in combined.values() if len(ids) == 1]
    return singles, groups


def _iso(moment: datetime | None) -> str | None:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ") if moment is not None else None


def notification_payload(row: SlaNotification) -> dict[str, Any]:
    """The JSON a receiver gets: which ticket, policy, metric and target, and when. Objective
    alerts have theirs frozen when their episode opens."""
    if row.ticket_id is None:
        return row.payload or {}
    ticket, rule, policy = row.ticket, row.rule, row.policy
    base = settings.SLAWEB_BASE_URL.rstrip("/")
    target = TicketSlaTarget.objects.filter(
        ticket_id=row.ticket_id, metric=row.metric, instance_id=row.instance_id
    ).first()
    seconds = target.target_seconds if target is not None else None
    return {
        "notification": {
            "idempotency_key": row.idempotency_key,
            "kind": row.kind,
            "fire_at": _iso(row.fire_at),
            "rule": {"id": rule.pk, "title": rule.title, "trigger": rule.trigger}
            if rule is not None
            else None,
            "ticket": {
                "id": ticket.pk,
                "url": f"{base}/api/v2/tickets/{ticket.pk}.json",
                "subject": ticket.subject,
                "priority": ticket.priority,
                "status": ticket.status,
                "assignee_id": ticket.assignee_id,
                "group_id": ticket.group_id,
            },
            "policy": {"id": policy.pk, "title": policy.title} if policy is not None else None,
            "metric": row.metric,
            "instance_id": row.instance_id,
            "target": {
                "target": -(-seconds // 60) if seconds else None,
                "target_in_seconds": seconds,
                "business_hours": target.business_hours if target is not None else None,
            },
            "breach_at": _iso(row.breach_at),
        }
    }


# Delivery ------------------------------------------------------------------------------------


class DeliveryError(Exception):
    """A delivery attempt failed; the message goes into the delivery log."""


@task()
def deliver_notification_task(notification_id: int) -> None:
    notification_deliver(notification_id=notification_id, now=timezone.now())


@task()
def deliver_combined_task(notification_ids: list[int]) -> None:
    notification_deliver_combined(notification_ids=notification_ids, now=timezone.now())


def retry_delay(attempts: int, *, rng: random.Random | None = None) -> timedelta:
    """How long to wait after the `attempts`-th failed attempt: doubling, capped, jittered."""
    base = settings.SLAWEB_NOTIFICATION_RETRY_BASE_SECONDS
    cap = settings.SLAWEB_NOTIFICATION_RETRY_CAP_SECONDS
    seconds = float(min(base * 2 ** max(attempts - 1, 0), cap))
    jitter = settings.SLAWEB_NOTIFICATION_RETRY_JITTER_PERCENT / 100
    if jitter:
        seconds *= 1 + (rng or random).uniform(-jitter, jitter)
    return timedelta(seconds=seconds)


def notification_deliver(*, notification_id: int, now: datetime) -> str:
    """Send one queued notification once; return its status afterwards.

    The row stays locked while it is sent, so a second task for it waits and then finds it
    delivered.
    """
    with transaction.atomic():
        row = (
            SlaNotification.objects.select_for_update(of=("self",))
            .select_related("rule", "ticket")
            .filter(pk=notification_id)
            .first()
        )
        if row is None or row.status != "queued":
            return row.status if row is not None else "missing"
        rule = row.rule
        if rule is None or not rule.active:
            _cancel(row, now)
            return row.status
        if row.kind == "breach" and rule.escalates and row.escalated_at is None:
            try:
                with transaction.atomic():
                    notification_escalate(rule, row, now=now)
            except Exception:
                # The notification still goes out; the log says why the ticket did not change.
                logger.exception("SLA notification %s: escalation failed", row.pk)
        error: DeliveryError | None = None
        try:
            if rule.channel == "webhook":
                send_webhook(rule, row, now=now)
            else:
                send_email(rule, row)
        except DeliveryError as failure:
            error = failure
        _record_attempt(row, error, now)
        return row.status


def notification_deliver_combined(*, notification_ids: Sequence[int], now: datetime) -> int:
    """Send the queued warnings of one combining email rule as one email per recipient;
    return how many emails went out. Each warning is delivered when every one of its
    recipients' emails went; on an error, all of them are retried together."""
    with transaction.atomic():
        rows = list(
            SlaNotification.objects.select_for_update(of=("self",))
            .select_related("rule", "ticket")
            .filter(pk__in=notification_ids, status="queued")
            .order_by("fire_at", "id")
        )
        if not rows:
            return 0
        rule = rows[0].rule
        if rule is None or not rule.active:
            for row in rows:
                _cancel(row, now)
            return 0
        by_recipient: dict[str, list[SlaNotification]] = {}
        nobody: list[SlaNotification] = []
        for row in rows:
            recipients = email_recipients(rule, row.ticket)
            if not recipients:
                nobody.append(row)
            for address in recipients:
                by_recipient.setdefault(address, []).append(row)
        messages = [
            EmailMessage(*combined_email(its_rows), settings.SLAWEB_NOTIFICATION_FROM_EMAIL, [to])
            for to, its_rows in by_recipient.items()
        ]
        error: DeliveryError | None = None
        if messages:
            try:
                get_connection().send_messages(messages)
            except (OSError, ValueError) as failure:
                error = DeliveryError(f"{type(failure).__name__}: {failure}")
        for row in rows:
            if row in nobody:
                _record_attempt(row, DeliveryError(NO_RECIPIENTS), now)
            else:
                _record_attempt(row, error, now)
        return 0 if error else len(messages)


def _cancel(row: SlaNotification, now: datetime) -> None:
    row.status, row.last_error = "cancelled", "the rule was deleted or deactivated"
    row.updated_at = now
    row.save(update_fields=["status", "last_error", "updated_at"])


def _record_attempt(row: SlaNotification, error: DeliveryError | None, now: datetime) -> None:
    """Count the attempt: delivered, or retried after a backoff, or failed at the limit."""
    row.attempts += 1
    if error is None:
        row.status, row.delivered_at, row.last_error = "delivered", now, ""
    else:
        row.last_error = str(error)[:MAX_ERROR_CHARS]
        if row.attempts >= settings.SLAWEB_NOTIFICATION_MAX_ATTEMPTS:
            row.status = "failed"
        else:
            row.status = "scheduled"
            row.next_attempt_at = now + retry_delay(row.attempts)
        logger.warning("SLA notification %s attempt %s failed: %s", row.pk, row.attempts, error)
    row.updated_at = now
    row.save(
        update_fields=[
            "attempts",
            "status",
            "next_attempt_at",
            "last_error",
            "delivered_at",
            "escalated_at",
            "updated_at",
        ]
    )


ESCALATION_VIA_ID = 8  # Zendesk's "Trigger or automation" channel


def notification_escalate(rule: NotificationRule, row: SlaNotification, *, now: datetime) -> None:
    """Apply a breach rule's escalation once, as an ordinary ticket update (no author, via
    automation), so it shows in the ticket's audit and re-evaluates its SLA."""
    from tickets.services import ticket_update

    row.escalated_at = now
    ticket = row.ticket
    if ticket.status not in OPEN_STATUSES:
        return  # solved since the breach: nothing to escalate
    fields: dict[str, Any] = {}
    if rule.set_priority:
        fields["priority"] = rule.set_priority
    if rule.set_group_id is not None:
        fields["group_id"] = rule.set_group_id
    if rule.add_tag and rule.add_tag not in ticket.tags:
        fields["tags"] = [*ticket.tags, rule.add_tag]
    if not fields:
        return
    ticket_update(
        ticket_id=ticket.pk,
        fields=fields,
        author_id=None,  # audits of automations have no author
        comment=None,
        now=now,
        via_id=ESCALATION_VIA_ID,
    )


def signature(secret: str, body: bytes) -> str:
    """The `X-Slaweb-Signature` value: HMAC-SHA256 of the raw body, keyed by the secret."""
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def check_webhook_url(url: str) -> str | None:
    """Why `url` may not receive webhooks (without resolving it), or None."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https"):
        return "must be an http or https URL"
    if not parts.hostname:
        return "must name a host"
    if parts.username or parts.password:
        return "may not carry a user name or password"
    try:
        parts.port  # noqa: B018 (raises on a bad port)
    except ValueError:
        return "has an invalid port"
    try:
        address = ipaddress.ip_address(parts.hostname)
    except ValueError:
        return None
    return _private_reason(address)


def _private_reason(address: ipaddress.IPv4Address | ipaddress.IPv6Address) -> str | None:
    if settings.SLAWEB_WEBHOOK_ALLOW_PRIVATE:
        return None
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    if (
        address.is_loopback
        or address.is_private
        or address.is_link_local
        or address.is_multicast
        or address.is_reserved
        or address.is_unspecified
    ):
        return f"points to a private address ({address}); webhooks go to public hosts only"
    return None


def _resolve(host: str, port: int) -> str:
    """One address of `host` that webhooks may reach; every address is checked, so a name
    with one public and one private address is refused."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except OSError as error:
        raise DeliveryError(f"cannot resolve {host}: {error}") from None
    addresses = [info[4][0] for info in infos]
    for raw in addresses:
        reason = _private_reason(ipaddress.ip_address(raw.split("%", 1)[0]))
        if reason:
            raise DeliveryError(f"{host} {reason}")
    return addresses[0]


class _PinnedHTTPConnection(http.client.HTTPConnection):
    """Connects to the address that was checked, not to a second lookup's answer."""

    def __init__(self, host: str, port: int, address: str, timeout: float) -> None:
        super().__init__(host, port, timeout=timeout)
        self._address = address

    def connect(self) -> None:
        self.sock = socket.create_connection((self._address, self.port), self.timeout)


class _PinnedHTTPSConnection(http.client.HTTPSConnection):
    def __init__(self, host: str, port: int, address: str, timeout: float) -> None:
        super().__init__(host, port, timeout=timeout, context=ssl.create_default_context())
        self._address = address

    def connect(self) -> None:
        sock = socket.create_connection((self._address, self.port), self.timeout)
        self.sock = self._context.wrap_socket(sock, server_hostname=self.host)  # type: ignore[attr-defined]


def send_webhook(rule: NotificationRule, row: SlaNotification, *, now: datetime) -> None:
    """POST the payload; any answer but a 2xx (redirects too) is a failed attempt."""
    reason = check_webhook_url(rule.webhook_url)
    if reason:
        raise DeliveryError(f"webhook URL {reason}")
    parts = urlsplit(rule.webhook_url)
    host = parts.hostname or ""
    port = parts.port or (443 if parts.scheme == "https" else 80)
    address = _resolve(host, port)
    body = json.dumps(row.payload, separators=(",", ":"), sort_keys=True).encode()
    path = parts.path or "/"
    if parts.query:
        path += "?" + parts.query
    headers = {
        "Content-Type": "application/json",
        "User-Agent": "slaweb-notifications",
        SIGNATURE_HEADER: signature(rule.webhook_secret, body),
        TIMESTAMP_HEADER: str(int(now.timestamp())),
        IDEMPOTENCY_HEADER: row.idempotency_key,
    }
    timeout = settings.SLAWEB_WEBHOOK_TIMEOUT_SECONDS
    pinned = _PinnedHTTPSConnection if parts.scheme == "https" else _PinnedHTTPConnection
    conn = pinned(host, port, address, timeout)
    try:
        conn.request("POST", path, body=body, headers=headers)
        response = conn.getresponse()
        answer = response.read(500)
    except (OSError, http.client.HTTPException) as error:
        raise DeliveryError(f"{type(error).__name__}: {error}") from None
    finally:
        conn.close()
    if not 200 <= response.status < 300:
        text = answer.decode("utf-8", "replace").strip()
        raise DeliveryError(f"HTTP {response.status} {response.reason}: {text}".rstrip(": "))


def email_recipients(rule: NotificationRule, ticket: Ticket | None) -> list[str]:
    """The rule's recipients for this ticket now: its assignee, its group's agents, and the
    fixed addresses, each once, in that order. Objective alerts (no ticket) go to the fixed
    addresses only."""
    found: list[str] = []
    if ticket is None:
        pass
    elif rule.email_assignee and ticket.assignee_id is not None:
        found += User.objects.filter(pk=ticket.assignee_id, active=True).values_list(
            "email", flat=True
        )
    if ticket is not None and rule.email_group and ticket.group_id is not None:
        found += (
            User.objects.filter(agent_groups=ticket.group_id, active=True)
            .order_by("id")
            .values_list("email", flat=True)
        )
    found += [str(address) for address in rule.email_addresses]
    return list(dict.fromkeys(address.lower() for address in found))


def email_message(row: SlaNotification) -> tuple[str, str]:
    """Subject and plain-text body of a notification email."""
    data = (row.payload or {})["notification"]
    if "objective" in data:
        return objective_email(data)
    ticket = data["ticket"]
    metric = data["metric"].replace("_", " ")
    if data["kind"] == "breach":
        subject = f"SLA breached: #{ticket['id']} {ticket['subject']} ({metric})"
    else:
        subject = f"SLA warning: #{ticket['id']} {ticket['subject']} ({metric})"
    policy = data["policy"]["title"] if data["policy"] else "no policy"
    target = data["target"]
    lines = [
        f"Ticket #{ticket['id']}: {ticket['subject']}",
        f"Priority: {ticket['priority'] or '-'}, status: {ticket['status']}",
        f"Policy: {policy}",
        f"Metric: {metric} (target {target['target']} minutes"
        + (", business hours)" if target["business_hours"] else ")"),
        f"Breach at: {data['breach_at']} (UTC)",
        "",
        ticket["url"],
    ]
    return subject, "\n".join(lines) + "\n"


def objective_email(data: dict[str, Any]) -> tuple[str, str]:
    """Subject and plain-text body of an objective alert."""
    objective, rule = data["objective"], data["rule"]
    if rule["trigger"] == "objective_below":
        subject = f"Objective below target: {objective['title']}"
    else:
        subject = f"Error budget burning: {objective['title']}"

    def shown(value: object, unit: str = "") -> str:
        return "-" if value is None else f"{value}{unit}"

    lines = [
        f"Objective: {objective['title']} ({data['policy']['title']})",
        f"Metric: {(data['metric'] or 'any').replace('_', ' ')}, "
        f"priority: {data['priority'] or 'any'}",
        f"Window: {data['window']['days']} days, {data['window']['start']} to "
        f"{data['window']['end']} (UTC)",
        f"Rate: {shown(data['rate'], ' %')} (target {data['target_rate']} %), "
        f"{data['achieved']} achieved, {data['breached']} breached",
        f"Error budget left: {data['error_budget_remaining']} breach(es), "
        f"burn rate {shown(data['burn_rate'])}",
        "",
        objective["url"],
    ]
    return subject, "\n".join(lines) + "\n"


NO_RECIPIENTS = "no recipients: the ticket has no assignee or group agents"


def combined_email(rows: Sequence[SlaNotification]) -> tuple[str, str]:
    """Subject and body of one email for several warnings."""
    if len(rows) == 1:
        return email_message(rows[0])
    parts = [email_message(row)[1] for row in rows]
    subject = f"SLA warnings: {len(rows)} tickets"
    return subject, ("\n" + "-" * 40 + "\n\n").join(parts)


def send_email(rule: NotificationRule, row: SlaNotification) -> None:
    recipients = email_recipients(rule, row.ticket)
    if not recipients:
        raise DeliveryError(NO_RECIPIENTS)
    subject, body = email_message(row)
    try:
        send_mail(subject, body, settings.SLAWEB_NOTIFICATION_FROM_EMAIL, recipients)
    except (OSError, ValueError) as error:
        raise DeliveryError(f"{type(error).__name__}: {error}") from None

"""Delivery: send once, retry with backoff, log every attempt.

`notification_deliver` locks the row, sends it once (a signed webhook or an
  email) and marks it delivered; on an error it records the error and schedules a retry with
  exponential backoff, until the last attempt fails it. A second task for the same row finds
  it delivered and does nothing, so a receiver never gets a notification twice from slaweb; it
  can also drop repeats by the `webhook-id` header (also sent as `X-Slaweb-Idempotency-Key`)."""

from __future__ import annotations

import logging
import random
from collections.abc import Sequence
from datetime import datetime, timedelta

from django.conf import settings
from django.core.mail import EmailMessage, get_connection
from django.db import transaction
from django.utils import timezone
from django_tasks import task

from tickets.models import SlaNotification
from tickets.notifications.email import NO_RECIPIENTS, combined_email, email_recipients, send_email
from tickets.notifications.escalation import notification_escalate
from tickets.notifications.messages import DeliveryError
from tickets.notifications.webhooks import send_webhook

logger = logging.getLogger(__name__)

MAX_ERROR_CHARS = 2000


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

"""Firing: the clock takes the notifications that are due and queues their delivery.

The `sla_clock` loop calls `notifications_fire_due`, which takes the scheduled
  rows that are due (`SKIP LOCKED` on PostgreSQL, so several clocks share the work), freezes
  each one's payload, marks it queued and enqueues a delivery task per row on commit."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Q, QuerySet

from policies.engine.business_time import NoBusinessTime
from tickets.models import SlaNotification
from tickets.notifications.delivery import deliver_combined_task, deliver_notification_task
from tickets.notifications.messages import notification_payload
from tickets.selectors import account_schedule


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

"""Scheduling: each running target's notifications, kept in line with it.

`sla_store_many` calls `notifications_schedule` with the targets it has just
  written. For each running target (active, with a `breach_at`) and each active rule whose
  scope matches, the notification's `fire_at` is computed: `breach_at` minus the lead time
  (warning_before), the moment `percent` of the target has elapsed (warning_percent, in
  business time for business-hour targets), or `breach_at` (breach). Rows are upserted by their
  unique key (ticket, metric, instance, rule, kind), which is the idempotency key. Rows not yet
  attempted follow their target: moved, cancelled when it is paused, fulfilled or removed,
  scheduled again when it runs again. Attempted rows and delivered rows are never touched.
  A rule notifies only of moments after it was created: old breaches stay quiet.

Group ownership targets (metric "group_ownership_time", no SLA policy) are matched only by
  rules that name that metric, optionally limited to one group SLA policy and to the group
  that holds the ticket; rules about the ticket's own SLA (any metric, or an SLA policy) never
  match them."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from policies.engine.business_time import NoBusinessTime, Schedule
from policies.models import GROUP_OWNERSHIP_TIME
from tickets.models import OPEN_STATUSES, NotificationRule, SlaNotification, Ticket, TicketSlaTarget
from tickets.selectors import account_schedule


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
    # Group ownership time only: its group SLA policy (None when gone) and the holding group.
    group_policy_id: str | None = None
    group_id: int | None = None


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
            return schedule.subtract(target.breach_at, rest)
        except (NoBusinessTime, ValueError):
            return target.breach_at
    return target.breach_at - timedelta(seconds=rest)


def _matches(rule: NotificationRule, target: TargetRow, priority: str | None) -> bool:
    if rule.priority and rule.priority != priority:
        return False
    if target.metric == GROUP_OWNERSHIP_TIME:
        return (
            rule.metric == GROUP_OWNERSHIP_TIME
            and (rule.group_policy_id is None or rule.group_policy_id == target.group_policy_id)
            and (rule.group_id is None or rule.group_id == target.group_id)
        )
    return (
        rule.metric != GROUP_OWNERSHIP_TIME
        and (rule.policy_id is None or rule.policy_id == target.policy_id)
        and (not rule.metric or rule.metric == target.metric)
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
    for existing_key, row in existing.items():
        if existing_key not in wanted and _movable(row) and row.status == "scheduled":
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
    "group_policy_id",
    "group_id",
)


def notifications_cancel_rule(*, rule_id: int, now: datetime) -> int:
    """Cancel a rule's notifications that are waiting for their time (not those in delivery)."""
    return SlaNotification.objects.filter(rule_id=rule_id, status="scheduled", attempts=0).update(
        status="cancelled", updated_at=now
    )

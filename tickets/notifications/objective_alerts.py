"""Objective alerts: notification rules that watch service level objectives.

Two triggers: `objective_below` holds while an objective is not met (decided from the counts,
as `objective_status` decides it) and `budget_burn` while its burn rate is at least the rule's
`burn_rate`. The clock calls `objective_alerts_check` at most once every
`SLAWEB_OBJECTIVE_CHECK_SECONDS`; each objective's status is computed once per check, whatever
the number of rules watching it.

A rule alerts once per *episode*: when its condition starts to hold for an objective, one
`SlaNotification` row is inserted (its `fire_at` is the episode's start, its payload frozen
then); while the condition keeps holding that open row keeps the rule quiet; when it stops, the
row's `episode_ended_at` closes the episode, and a relapse opens a new one. The partial unique
key `objective_alert_open` allows one open episode per rule and objective, so two clocks racing
to open one insert a single row. Delivery is the ticket notifications' own: the clock queues
the row and the delivery task sends it with retries, logged in the same delivery log.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.db import transaction

from slaweb.api.timestamps import iso
from tickets.models import NotificationRule, ServiceLevelObjective, SlaNotification
from tickets.objectives import ObjectiveStatus, objective_status


def objective_check_due(*, now: datetime, last_checked_at: datetime | None) -> bool:
    """Whether the check interval has passed since the last check (or there was none)."""
    if last_checked_at is None:
        return True
    interval = timedelta(seconds=settings.SLAWEB_OBJECTIVE_CHECK_SECONDS)
    return now - last_checked_at >= interval


def condition_holds(rule: NotificationRule, status: ObjectiveStatus) -> bool:
    """Whether `rule`'s condition holds for an objective with `status`, from the counts."""
    settled = status.achieved + status.breached
    if not settled:
        return False  # nothing settled in the window: no rate, no burn
    if rule.trigger == "objective_below":
        return status.met is False
    # burn = breached / ((100 - T) / 100 × settled) >= threshold, without dividing.
    threshold = rule.burn_rate if rule.burn_rate is not None else Decimal(1)
    return Decimal(status.breached) * 100 >= threshold * (100 - status.target_rate) * settled


def objective_payload(
    row: SlaNotification,
    rule: NotificationRule,
    objective: ServiceLevelObjective,
    status: ObjectiveStatus,
) -> dict[str, Any]:
    """The JSON a receiver gets for an objective alert: the objective and its figures when the
    episode started."""
    base = settings.SLAWEB_BASE_URL.rstrip("/")
    return {
        "notification": {
            "idempotency_key": row.idempotency_key,
            "kind": row.kind,
            "fire_at": iso(row.fire_at),
            "rule": {
                "id": rule.pk,
                "title": rule.title,
                "trigger": rule.trigger,
                "burn_rate": float(rule.burn_rate) if rule.burn_rate is not None else None,
            },
            "objective": {
                "id": objective.pk,
                "url": f"{base}/api/v2/slas/objectives/{objective.pk}.json",
                "title": objective.title,
            },
            "policy": (
                {"id": objective.policy.pk, "title": objective.policy.title}
                if objective.policy is not None
                else None
            ),
            # A group SLA objective's policy (its metric is group_ownership_time).
            "group_sla_policy": (
                {"id": objective.group_policy.pk, "title": objective.group_policy.title}
                if objective.group_policy is not None
                else None
            ),
            "metric": objective.metric or None,
            "priority": objective.priority or None,
            "target_rate": float(objective.target_rate),
            "rate": status.rate,
            "met": status.met,
            "achieved": status.achieved,
            "breached": status.breached,
            "error_budget_remaining": status.error_budget_remaining,
            "budget_consumed_percent": status.budget_consumed_percent,
            "burn_rate": status.burn_rate,
            "window": {
                "days": objective.window_days,
                "start": iso(status.start),
                "end": iso(status.end),
            },
        }
    }


def objective_alerts_check(*, now: datetime) -> int:
    """Open an episode (one notification, scheduled for `now`) for each active objective rule
    and objective whose condition has started to hold, and close the episodes whose condition
    no longer holds; return how many episodes this check found starting (a clock racing this
    one may have opened some of them first: the unique key keeps its row)."""
    rules = list(
        NotificationRule.objects.filter(
            active=True, trigger__in=NotificationRule.OBJECTIVE_TRIGGERS
        ).order_by("id")
    )
    open_rows = SlaNotification.objects.filter(
        objective__isnull=False, episode_ended_at__isnull=True
    )
    if not rules:
        # Episodes of rules switched off end, so switching one on again starts afresh.
        open_rows.update(episode_ended_at=now, updated_at=now)
        return 0
    objectives = ServiceLevelObjective.objects.select_related("policy", "group_policy").order_by(
        "id"
    )
    if all(rule.objective_id is not None for rule in rules):
        objectives = objectives.filter(pk__in={rule.objective_id for rule in rules})
    # One status per objective per check, shared by every rule that watches it.
    statuses = {
        objective.pk: (objective, objective_status(objective, now=now)) for objective in objectives
    }
    holding: dict[tuple[int, int], tuple[NotificationRule, ServiceLevelObjective, ObjectiveStatus]]
    holding = {}
    for rule in rules:
        for objective_id, (objective, status) in statuses.items():
            if rule.objective_id not in (None, objective_id):
                continue
            if condition_holds(rule, status):
                holding[(rule.pk, objective_id)] = (rule, objective, status)
    with transaction.atomic():
        already = set(open_rows.values_list("rule_id", "objective_id"))
        ended = [key for key in already if key not in holding]
        for rule_id, objective_id in ended:
            open_rows.filter(rule_id=rule_id, objective_id=objective_id).update(
                episode_ended_at=now, updated_at=now
            )
        new: list[SlaNotification] = []
        for key, (rule, objective, status) in holding.items():
            if key in already:
                continue  # the episode is under way and has been told
            row = SlaNotification(
                rule=rule,
                objective=objective,
                kind=rule.kind,
                policy_id=objective.policy_id,
                metric=objective.metric,
                fire_at=now,
                next_attempt_at=now,
                created_at=now,
                updated_at=now,
            )
            row.payload = objective_payload(row, rule, objective, status)
            new.append(row)
        if new:
            # A clock racing this one may have opened the same episode: its row stands.
            SlaNotification.objects.bulk_create(new, ignore_conflicts=True)
    return len(new)

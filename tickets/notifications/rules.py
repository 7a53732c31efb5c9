"""Writes to notification rules; open tickets' waiting notifications follow at once."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.db import transaction

from tickets.models import NotificationRule
from tickets.sla.notification_schedule import notifications_cancel_rule, notifications_schedule_rule

NOTIFICATION_RULE_FIELDS = (
    "title",
    "active",
    "trigger",
    "lead_seconds",
    "percent",
    "policy_id",
    "metric",
    "group_policy_id",
    "group_id",
    "priority",
    "channel",
    "webhook_url",
    "webhook_secret",
    "email_assignee",
    "email_group",
    "email_addresses",
    "hold_for_business_hours",
    "combine_warnings",
    "set_priority",
    "set_group_id",
    "add_tag",
    "objective_id",
    "burn_rate",
)


@transaction.atomic
def notification_rule_create(*, data: dict[str, Any], now: datetime) -> NotificationRule:
    """`data` as validated by NotificationRuleInputSerializer (every field). Open tickets'
    running targets get the rule's notifications at once."""

    rule = NotificationRule(created_at=now, updated_at=now)
    for name in NOTIFICATION_RULE_FIELDS:
        setattr(rule, name, data[name])
    rule.save()
    notifications_schedule_rule(rule=rule, now=now)
    return rule


@transaction.atomic
def notification_rule_update(
    *, rule_id: int, data: dict[str, Any], now: datetime
) -> NotificationRule:
    """Change the fields in `data`; waiting notifications follow the new rule. Raises
    NotificationRule.DoesNotExist."""

    rule = NotificationRule.objects.select_for_update().get(pk=rule_id)
    for name in NOTIFICATION_RULE_FIELDS:
        if name in data:
            setattr(rule, name, data[name])
    rule.updated_at = now
    rule.save()
    # Waiting rows of the old scope or timing go; the new ones are scheduled afresh.
    notifications_cancel_rule(rule_id=rule.pk, now=now)
    notifications_schedule_rule(rule=rule, now=now)
    return rule


@transaction.atomic
def notification_rule_delete(*, rule_id: int, now: datetime) -> None:
    """Its waiting notifications are cancelled; the delivery log keeps the others."""

    rule = NotificationRule.objects.select_for_update().get(pk=rule_id)
    notifications_cancel_rule(rule_id=rule.pk, now=now)
    rule.delete()

"""What a notification says: the JSON a receiver gets, and the error of a failed send."""

from __future__ import annotations

from typing import Any

from django.conf import settings

from policies.models import GROUP_OWNERSHIP_TIME, GroupSlaPolicy, metric_title
from slaweb.api.timestamps import iso_or_none
from tickets.models import Group, SlaNotification, TicketSlaTarget


def duration_words(seconds: int) -> str:
    """3600 -> "1 hour", 5400 -> "1 hour 30 minutes", 45 -> "45 seconds" (to the minute
    from a minute on)."""
    if seconds < 60:
        return f"{seconds} second{'s' if seconds != 1 else ''}"
    hours, minutes = divmod(round(seconds / 60), 60)
    parts = [f"{hours} hour{'s' if hours != 1 else ''}"] if hours else []
    if minutes:
        parts.append(f"{minutes} minute{'s' if minutes != 1 else ''}")
    return " ".join(parts)


def target_words(metric: str, group_name: str | None) -> str:
    """What the target is in words: "First reply time", "Group ownership (Tier 2)"."""
    if metric == GROUP_OWNERSHIP_TIME:
        return f"Group ownership ({group_name})" if group_name else "Group ownership"
    return metric_title(metric)


def notification_message(row: SlaNotification, group_name: str | None) -> str:
    """One sentence: "Group ownership (Tier 2) for ticket #12 breaches in 30 minutes"."""
    what = f"{target_words(row.metric, group_name)} for ticket #{row.ticket_id}"
    if row.kind == "breach" or row.breach_at is None:
        return f"{what} breached"
    left = int((row.breach_at - row.fire_at).total_seconds())
    return f"{what} breaches in {duration_words(left)}"


def notification_payload(row: SlaNotification) -> dict[str, Any]:
    """The JSON a receiver gets: which ticket, policy, metric and target, and when. Objective
    alerts have theirs frozen when their episode opens."""
    ticket = row.ticket
    if ticket is None:
        return row.payload or {}
    rule, policy = row.rule, row.policy
    base = settings.SLAWEB_BASE_URL.rstrip("/")
    # Targets always have an instance id: a row without one matches none.
    target = (
        TicketSlaTarget.objects.filter(
            ticket_id=ticket.pk, metric=row.metric, instance_id=row.instance_id
        ).first()
        if row.instance_id is not None
        else None
    )
    seconds = target.target_seconds if target is not None else None
    group_policy = group = None
    if target is not None and target.group_policy_id is not None:
        group_policy = GroupSlaPolicy.objects.filter(pk=target.group_policy_id).first()
    if target is not None and target.group_id is not None:
        # A deleted group keeps its name for the message.
        group = Group.with_deleted.filter(pk=target.group_id).first()
    return {
        "notification": {
            "idempotency_key": row.idempotency_key,
            "kind": row.kind,
            "fire_at": iso_or_none(row.fire_at),
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
            # Group ownership time: its group SLA policy and the group holding the ticket.
            "group_sla_policy": {"id": group_policy.pk, "title": group_policy.title}
            if group_policy is not None
            else None,
            "group": {"id": group.pk, "name": group.name} if group is not None else None,
            "message": notification_message(row, group.name if group is not None else None),
            "metric": row.metric,
            "instance_id": row.instance_id,
            "target": {
                "target": -(-seconds // 60) if seconds else None,
                "target_in_seconds": seconds,
                "business_hours": target.business_hours if target is not None else None,
            },
            "breach_at": iso_or_none(row.breach_at),
        }
    }


class DeliveryError(Exception):
    """A delivery attempt failed; the message goes into the delivery log."""

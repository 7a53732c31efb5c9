"""What a notification says: the JSON a receiver gets, and the error of a failed send."""

from __future__ import annotations

from typing import Any

from django.conf import settings

from slaweb.api.timestamps import iso_or_none
from tickets.models import SlaNotification, TicketSlaTarget


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

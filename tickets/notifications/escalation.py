"""Escalation.

A breach rule may set the priority, assign a group or add a tag: applied once,
  at the first attempt, through `ticket_update`, so it is an audited save like any other."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from tickets.models import OPEN_STATUSES, NotificationRule, SlaNotification
from tickets.services import ticket_update

ESCALATION_VIA_ID = 8  # Zendesk's "Trigger or automation" channel


def notification_escalate(rule: NotificationRule, row: SlaNotification, *, now: datetime) -> None:
    """Apply a breach rule's escalation once, as an ordinary ticket update (no author, via
    automation), so it shows in the ticket's audit and re-evaluates its SLA."""
    row.escalated_at = now
    ticket = row.ticket
    if ticket is None:
        return  # an objective alert: no ticket to escalate
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

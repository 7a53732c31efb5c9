"""A ticket's SLA as agents see it: the running targets with their countdowns, and the
engine's explanation of why the ticket has the SLA it has."""

from __future__ import annotations

import dataclasses
import enum
from datetime import UTC, date, datetime, time
from typing import Any

from policies import selectors as policy_selectors
from policies.engine.conditions import explain_match
from policies.engine.metrics import remaining_display
from policies.engine.not_started import not_started
from policies.models import GROUP_OWNERSHIP_TIME
from slaweb.api.timestamps import iso
from tickets.models import (
    Ticket,
    TicketSlaTarget,
)
from tickets.selectors import account_schedule
from tickets.sla.store import ticket_audits, ticket_history, ticket_sla_evaluate


def slas_for(ticket: Ticket, targets: list[TicketSlaTarget], now: datetime) -> dict[str, Any]:
    """Spec §4.1: the applied policy's targets, the latest instance of each metric; and, as
    slaweb's extension, `group_policy_metrics`: the group ownership target of the group that
    holds the ticket, when a group SLA policy gives it one."""
    latest: dict[str, TicketSlaTarget] = {}
    for target in targets:
        if target.policy_id is None or target.policy_id != ticket.sla_policy_id:
            continue
        current = latest.get(target.metric)
        if current is None or target.instance_id > current.instance_id:
            latest[target.metric] = target
    metrics = [
        sla_item(target, now)
        for target in sorted(
            latest.values(), key=lambda t: (t.breach_at is None, t.breach_at, t.metric)
        )
    ]
    slas: dict[str, Any] = {"policy_metrics": metrics}
    held = current_group_target(ticket, targets)
    if held is not None:
        slas["group_policy_metrics"] = [
            {**sla_item(held, now), "group_id": held.group_id},
        ]
    return slas


def sla_item(target: TicketSlaTarget, now: datetime) -> dict[str, Any]:
    """One `include=slas` element: the deadline (none while paused), stage, metric, and the
    time left (or past, negative) in its largest whole unit."""
    breach_at = target.breach_at if target.stage != "paused" else None
    item: dict[str, Any] = {
        "breach_at": iso(breach_at) if breach_at else None,
        "stage": target.stage,
        "metric": target.metric,
    }
    if breach_at:
        unit, value = remaining_display(breach_at, now)
        item[unit] = value
    return item


def current_group_target(ticket: Ticket, targets: list[TicketSlaTarget]) -> TicketSlaTarget | None:
    """The group ownership target of the group holding the ticket now: the latest ownership
    instance, if it is that group's and a group SLA policy gave it a target."""
    owned = [t for t in targets if t.metric == GROUP_OWNERSHIP_TIME]
    latest = max(owned, key=lambda t: t.instance_id, default=None)
    if latest is None or latest.group_id is None or latest.group_id != ticket.group_id:
        return None
    return latest


def explain(ticket: Ticket, now: datetime) -> dict[str, Any]:
    """The engine's explanation of a ticket's SLA now, as JSON: which policies were tried and
    why, how the applied policy changed over the history, each target's reckoning, and why
    each metric the policy measures that is not running has not started."""
    audits = ticket_audits(ticket)
    history = ticket_history(ticket, audits)
    result = ticket_sla_evaluate(ticket, now=now, schedule=account_schedule(), audits=audits)
    explanation = result.explanation
    last = history[-1]
    schedule = policy_selectors.default_schedule()
    return {
        "policy": {"id": result.policy.id, "title": result.policy.title} if result.policy else None,
        "policies_tried": to_json(explain_match(last.policies, last.facts)),
        "policy_steps": to_json(explanation.policy_steps),
        "targets": to_json(explanation.instances),
        "not_started": to_json(not_started(history, result)),
        "schedule": schedule.name if schedule else None,
    }


def to_json(value: Any) -> Any:
    """Engine dataclasses to JSON: datetimes as ISO 8601 UTC, enums as their values."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {
            f.name: to_json(getattr(value, f.name))
            for f in dataclasses.fields(value)
            if not f.name.startswith("_")
        }
    if isinstance(value, datetime):
        return iso(value.astimezone(UTC))
    if isinstance(value, date | time):
        return value.isoformat()
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, dict):
        return {str(k): to_json(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [to_json(v) for v in value]
    return value

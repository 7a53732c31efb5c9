"""A ticket's SLA as agents see it: the running targets with their countdowns, and the
engine's explanation of why the ticket has the SLA it has."""

from __future__ import annotations

import dataclasses
import enum
from datetime import UTC, date, datetime, time
from typing import Any

from policies import selectors as policy_selectors
from policies.engine.conditions import CompiledFilter, explain_match
from policies.engine.group_ownership import (
    GroupOwnership,
    GroupPolicySpec,
    evaluate_group_ownership,
)
from policies.engine.history import TicketUpdate
from policies.engine.metrics import remaining_display
from policies.engine.not_started import not_started
from policies.engine.types import TicketFacts
from policies.models import GROUP_OWNERSHIP_TIME
from slaweb.api.timestamps import iso
from tickets.models import Ticket
from tickets.selectors import SlaTargetRow, account_schedule, revision_group_specs
from tickets.sla.store import ReplayAudit, ticket_audits, ticket_history, ticket_sla_evaluate


def slas_for(ticket: Ticket, targets: list[SlaTargetRow], now: datetime) -> dict[str, Any]:
    """Spec §4.1: the applied policy's targets, the latest instance of each metric; and, as
    slaweb's extension, `group_policy_metrics`: the group ownership target of the group that
    holds the ticket, when a group SLA policy gives it one."""
    latest: dict[str, SlaTargetRow] = {}
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


def sla_item(target: SlaTargetRow, now: datetime) -> dict[str, Any]:
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


def current_group_target(ticket: Ticket, targets: list[SlaTargetRow]) -> SlaTargetRow | None:
    """The group ownership target of the group holding the ticket now: the latest ownership
    instance, if it is that group's and a group SLA policy gave it a target."""
    owned = [t for t in targets if t.metric == GROUP_OWNERSHIP_TIME]
    latest = max(owned, key=lambda t: t.instance_id, default=None)
    if latest is None or latest.group_id is None or latest.group_id != ticket.group_id:
        return None
    return latest


def explain(ticket: Ticket, now: datetime) -> dict[str, Any]:
    """The engine's explanation of a ticket's SLA now, as JSON: which policies were tried and
    why, how the applied policy changed over the history, each target's reckoning, why each
    metric the policy measures that is not running has not started, and the group SLA."""
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
        "group": explain_group(audits, history, now),
    }


def explain_group(
    audits: list[ReplayAudit], history: list[TicketUpdate], now: datetime
) -> dict[str, Any] | None:
    """The group SLA as JSON, replayed as the store measures it (each update with its own
    revision's group policies): the group policies tried against the ticket's facts after its
    last save and the first condition each failed, the group holding the ticket and since when,
    and each stretch of ownership with its running and paused time, target and deadline.
    None when no group SLA policy was in force at any of the ticket's updates."""
    group_policies = [revision_group_specs(a.revision_id, a.revision_digest) for a in audits]
    if not any(group_policies):
        return None
    last = history[-1]
    result = evaluate_group_ownership(
        history, group_policies.__getitem__, schedule=None, now=max(now, last.at)
    )
    titles = {spec.id: spec.title for specs in group_policies for spec in specs}
    held = next((i for i in result.instances if i.fulfilled_at is None), None)
    return {
        "policy": (
            {"id": result.policy.id, "title": result.policy.title} if result.policy else None
        ),
        "policies_tried": group_policies_tried(group_policies[-1], last.facts),
        "group_id": held.group_id if held else None,
        "held_since": iso(held.activated_at) if held else None,
        "instances": [ownership_json(instance, titles) for instance in result.instances],
    }


def group_policies_tried(
    specs: tuple[GroupPolicySpec, ...], facts: TicketFacts
) -> list[dict[str, Any]]:
    """The group policies tried in order up to the one that matched, each with the first
    condition it failed (`condition`, so a page can word it with the group names)."""
    by_id = {spec.id: spec for spec in specs}
    return [
        {
            "policy_id": attempt.policy_id,
            "title": attempt.title,
            "matched": attempt.matched,
            "reason": attempt.reason,
            "condition": None
            if attempt.matched
            else first_failed(by_id[str(attempt.policy_id)], facts),
        }
        for attempt in explain_match(specs, facts)
    ]


def first_failed(spec: GroupPolicySpec, facts: TicketFacts) -> dict[str, Any] | None:
    """The first `all` condition of a group policy's filter the ticket fails, as written."""
    matcher = spec.matches
    if not isinstance(matcher, CompiledFilter):
        return None
    for condition, predicate in matcher.all:
        if not predicate(facts):
            return dict(condition)
    return None


def ownership_json(instance: GroupOwnership, titles: dict[str, str]) -> dict[str, Any]:
    """One stretch of ownership by one group."""
    target = instance.target
    policy = instance.policy_id
    return {
        "instance_id": instance.instance_id,
        "group_id": instance.group_id,
        "stage": instance.stage.value,
        "started_at": iso(instance.activated_at),
        "ended_at": iso(instance.fulfilled_at) if instance.fulfilled_at else None,
        "ended_by": instance.ended_by or None,
        "running_seconds": instance.elapsed_calendar_seconds,
        "running_business_seconds": instance.elapsed_business_seconds,
        "paused_seconds": instance.paused_seconds,
        "policy": {"id": policy, "title": titles.get(policy)} if policy else None,
        "target": (
            {"seconds": target.seconds, "business_hours": target.business_hours} if target else None
        ),
        "deadline": iso(instance.breach_at) if instance.breach_at else None,
        "breached": instance.breached,
        "breached_at": iso(instance.breached_at) if instance.breached_at else None,
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

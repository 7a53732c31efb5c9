"""Backtest: replay the last N days of tickets under a draft policy list, without writing.

Every ticket created in the window (open or solved) is replayed twice with the engine: as it
happened (each save with the policy revision stored on its audit), and with the draft list in
force at every save. Both replays are counted at `now` with the reports' outcome rule
(`outcome`), so the live side gives the numbers the reports give for those tickets.

Draft policies are new policies to the engine; a draft that carries the `id` of an existing
policy (as the API's own policy shape does) stands for that policy, so a ticket "changes
policy" only when its final policy really differs.

Group SLA policies (group ownership time) are compared the same way when the body brings
draft group policies: the same histories replayed with
`policies.engine.group_ownership.evaluate_group_ownership`, live with each save's revision's
group policies, draft with the draft list at every save, counted per ownership instance that
has a target. It adds two replays per ticket and no query (each revision's group policies are
read once).
"""

from __future__ import annotations

import dataclasses
from collections import defaultdict
from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any

from policies import selectors as policy_selectors
from policies.engine.group_ownership import (
    GroupOwnership,
    GroupPolicySpec,
    GroupSla,
    evaluate_group_ownership,
)
from policies.engine.history import TicketUpdate
from policies.engine.metrics import MetricInstance, TicketSla
from policies.engine.types import PolicySpec
from policies.inputs import GroupSlaPolicyInputSerializer, PolicyInputSerializer
from policies.models import GROUP_OWNERSHIP_TIME, GroupSlaPolicy, Policy
from slaweb.api.errors import BadRequest, RecordInvalid, _details_from_drf, invalid
from slaweb.api.timestamps import iso
from tickets.models import Ticket
from tickets.selectors import (
    account_schedule,
    dropdown_option_values,
    policy_input_context,
    revision_group_specs,
)
from tickets.sla.store import ReplayAudit, audits_by_ticket, replay, ticket_history

BATCH = 500
MIN_DAYS, MAX_DAYS = 1, 90
GROUPINGS = ("metric", "priority", "policy")
OUTCOMES = ("achieved", "breached", "in_progress")
NO_KEY_LABELS = {"metric": "(none)", "priority": "(no priority)", "policy": "(no policy)"}
NO_GROUP_POLICY_LABEL = "(no group SLA policy)"
PRIORITY_ORDER = ("urgent", "high", "normal", "low")


def outcome(instance: MetricInstance | GroupOwnership, now: datetime) -> str:
    """The reports' rule (tickets/reports.py `_classified`), for one metric or group
    ownership instance:
    breached when breached, or still running unfulfilled at or past its deadline; achieved
    when fulfilled and never breached; in progress otherwise."""
    if instance.breached:
        return "breached"
    overdue = instance.breach_at is not None and instance.breach_at <= now
    if instance.fulfilled_at is None and str(instance.stage) == "active" and overdue:
        return "breached"
    if instance.fulfilled_at is not None:
        return "achieved"
    return "in_progress"


def draft_specs(drafts: list[dict[str, Any]]) -> tuple[PolicySpec, ...]:
    """Engine specs for validated policy bodies, positions 1..n in list order. A draft keeps
    an existing policy's id when it names one; the others get ids no policy has (negative)."""
    snapshots = []
    for index, data in enumerate(drafts):
        policy_id = data.get("id")
        snapshots.append(
            {
                "id": policy_id if isinstance(policy_id, int) else -(index + 1),
                "title": data.get("title", ""),
                "description": data.get("description"),
                "position": index + 1,
                "filter": data.get("filter") or {"all": [], "any": []},
                "policy_metrics": [
                    {
                        "priority": m["priority"],
                        "metric": m["metric"],
                        "target_in_seconds": m["target_seconds"],
                        "business_hours": m["business_hours"],
                    }
                    for m in data.get("policy_metrics", [])
                ],
                "metric_settings": data.get("metric_settings") or {},
            }
        )
    return policy_selectors.specs_from_snapshots(snapshots, dropdown_option_values())


def draft_group_specs(drafts: list[dict[str, Any]]) -> tuple[GroupPolicySpec, ...]:
    """Engine specs for validated group SLA policy bodies, positions 1..n in list order. A
    draft keeps an existing group policy's id when it names one; the others get ids no policy
    has ("draft-1", ...)."""
    return policy_selectors.group_specs_from_snapshots(
        [
            {
                "id": data["id"] if isinstance(data.get("id"), str) else f"draft-{index + 1}",
                "title": data.get("title", ""),
                "description": data.get("description"),
                "position": index + 1,
                "filter": data.get("filter") or {"all": []},
                "policy_metrics": [
                    {
                        "priority": m["priority"],
                        "metric": GROUP_OWNERSHIP_TIME,
                        "target": m["target_seconds"],
                        "business_hours": m["business_hours"],
                    }
                    for m in data.get("policy_metrics", [])
                ],
            }
            for index, data in enumerate(drafts)
        ]
    )


def _tickets_after(last_id: int, start: datetime, now: datetime) -> list[Ticket]:
    return list(
        Ticket.objects.filter(created_at__gte=start, created_at__lte=now, pk__gt=last_id)
        .only("id", "created_at", "status", "priority")
        .order_by("pk")[:BATCH]
    )


def _empty() -> dict[str, int]:
    return dict.fromkeys(OUTCOMES, 0)


def figures(counts: dict[str, int]) -> dict[str, Any]:
    """Counts and the achievement rate, achieved / (achieved + breached) in percent."""
    settled = counts["achieved"] + counts["breached"]
    rate = round(100 * counts["achieved"] / settled, 2) if settled else None
    return {**counts, "achieved_percent": rate}


def _side_by_side(live: dict[str, int], draft: dict[str, int]) -> dict[str, Any]:
    before, after = figures(live), figures(draft)
    rates = before["achieved_percent"], after["achieved_percent"]
    return {
        "live": before,
        "draft": after,
        "difference": {
            "achieved_percent": None if None in rates else round(rates[1] - rates[0], 2),
            "achieved": after["achieved"] - before["achieved"],
            "breached": after["breached"] - before["breached"],
            "in_progress": after["in_progress"] - before["in_progress"],
        },
    }


def _group_order(group_by: str, key: str | None) -> tuple[Any, ...]:
    if group_by == "priority":
        rank = PRIORITY_ORDER.index(key) if key in PRIORITY_ORDER else len(PRIORITY_ORDER)
        return (rank,)
    return (key is None, key or "")


def backtest(
    *,
    drafts: list[dict[str, Any]],
    days: int,
    now: datetime,
    group_by: str | None,
    group_drafts: list[dict[str, Any]] | None = None,
) -> dict[str, Any]:
    """Live and draft figures for the tickets created in the `days` days before `now`.

    `drafts` are validated policy bodies (as `PolicyInputSerializer` gives them), the whole
    draft list in position order; `group_drafts`, if given, the draft group SLA policy list
    (as `GroupSlaPolicyInputSerializer` gives them), compared in `group_sla` (else None).
    Reads only: two queries per batch of tickets (tickets, their audits), plus the schedule,
    the option values and each policy revision once.
    """
    if not MIN_DAYS <= days <= MAX_DAYS:
        raise ValueError(f"days must be from {MIN_DAYS} to {MAX_DAYS}")
    if group_by is not None and group_by not in GROUPINGS:
        raise ValueError(f"group_by must be one of {', '.join(GROUPINGS)}")
    start = now - timedelta(days=days)
    schedule = account_schedule()
    specs = draft_specs(drafts)
    totals = {"live": _empty(), "draft": _empty()}
    groups: dict[str | None, dict[str, dict[str, int]]] = defaultdict(
        lambda: {"live": _empty(), "draft": _empty()}
    )
    titles: dict[str, dict[int, str]] = {
        "live": {},
        "draft": {spec.id: spec.title for spec in specs},
    }
    tickets = changed = 0
    group = None if group_drafts is None else _GroupSide(draft_group_specs(group_drafts))
    last_id = 0
    while batch := _tickets_after(last_id, start, now):
        last_id = batch[-1].pk
        audits = audits_by_ticket([ticket.pk for ticket in batch])
        for ticket in batch:
            if not audits[ticket.pk]:
                continue
            tickets += 1
            history = ticket_history(ticket, audits[ticket.pk])
            live = replay(history, schedule=schedule, now=now)
            draft = replay(
                [dataclasses.replace(update, policies=specs) for update in history],
                schedule=schedule,
                now=now,
            )
            for update in history:
                for spec in update.policies:
                    titles["live"].setdefault(spec.id, spec.title)
            changed += _policy_id(live) != _policy_id(draft)
            for side, result in (("live", live), ("draft", draft)):
                for instance in result.instances:
                    if instance.target is None:
                        continue
                    kind = outcome(instance, now)
                    totals[side][kind] += 1
                    if group_by is not None:
                        key = _group_key(group_by, instance, ticket, titles[side])
                        groups[key][side][kind] += 1
            if group is not None:
                group.count(ticket, history, audits[ticket.pk], schedule, now, group_by)
    return {
        "start_time": start,
        "end_time": now,
        "days": days,
        "group_by": group_by,
        "tickets": tickets,
        "policy_changes": changed,
        "total": _side_by_side(totals["live"], totals["draft"]),
        "groups": _rows(groups, group_by, NO_KEY_LABELS[group_by or "metric"]),
        "group_sla": None if group is None else group.figures(group_by),
    }


def _rows(
    groups: dict[str | None, dict[str, dict[str, int]]], group_by: str | None, no_key: str
) -> list[dict[str, Any]]:
    return [
        {
            "key": key,
            "label": key if key is not None else no_key,
            **_side_by_side(counts["live"], counts["draft"]),
        }
        for key, counts in sorted(
            groups.items(), key=lambda item: _group_order(group_by or "", item[0])
        )
    ]


class _GroupSide:
    """Group ownership under the live and the draft group SLA policies, counted as the
    ticket SLA side is: per ownership instance with a target, grouped the same way (by
    metric: the one group ownership time; by policy: the group SLA policy's title)."""

    def __init__(self, drafts: tuple[GroupPolicySpec, ...]) -> None:
        self.drafts = drafts
        self.totals = {"live": _empty(), "draft": _empty()}
        self.groups: dict[str | None, dict[str, dict[str, int]]] = defaultdict(
            lambda: {"live": _empty(), "draft": _empty()}
        )
        self.titles: dict[str, dict[str, str]] = {
            "live": {},
            "draft": {spec.id: spec.title for spec in drafts},
        }
        self.changed = 0

    def count(
        self,
        ticket: Ticket,
        history: list[TicketUpdate],
        audits: list[ReplayAudit],
        schedule: Any,
        now: datetime,
        group_by: str | None,
    ) -> None:
        # Each update is one audit: its revision's group policies were in force at it.
        live_specs = [revision_group_specs(a.revision_id, a.revision_digest) for a in audits]
        for specs in live_specs:
            for spec in specs:
                self.titles["live"].setdefault(spec.id, spec.title)
        at = max(now, history[-1].at)  # as `replay`: a save after `now` belongs to it
        live = evaluate_group_ownership(history, live_specs.__getitem__, schedule=schedule, now=at)
        draft = evaluate_group_ownership(history, self.drafts, schedule=schedule, now=at)
        self.changed += _policy_id(live) != _policy_id(draft)
        for side, result in (("live", live), ("draft", draft)):
            for instance in result.instances:
                if instance.target is None:
                    continue
                kind = outcome(instance, now)
                self.totals[side][kind] += 1
                if group_by is not None:
                    key = _group_key(group_by, instance, ticket, self.titles[side])
                    self.groups[key][side][kind] += 1

    def figures(self, group_by: str | None) -> dict[str, Any]:
        no_key = (
            NO_GROUP_POLICY_LABEL if group_by == "policy" else NO_KEY_LABELS[group_by or "metric"]
        )
        return {
            "policy_changes": self.changed,
            "total": _side_by_side(self.totals["live"], self.totals["draft"]),
            "groups": _rows(self.groups, group_by, no_key),
        }


def _policy_id(result: TicketSla | GroupSla) -> int | str | None:
    return result.policy.id if result.policy else None


def _group_key(
    group_by: str,
    instance: MetricInstance | GroupOwnership,
    ticket: Ticket,
    titles: Mapping[Any, str],
) -> str | None:
    if group_by == "metric":
        return str(instance.metric)
    if group_by == "priority":
        return ticket.priority or None
    # Live and draft policies line up by title: an edited copy of a policy keeps its title.
    return titles.get(instance.policy_id) if instance.policy_id is not None else None


DEFAULT_DAYS = 30


# Each draft is validated on its own; a list this long is already far past any real account.
MAX_DRAFTS = 100


def validated_drafts(raw: Any) -> list[dict[str, Any]]:
    """Each draft through the policy API's own validation; errors keyed by the draft's index
    (`sla_policies[0].title`). A draft's `id`, when it names an existing policy, is kept."""
    if not isinstance(raw, list):
        raise invalid("sla_policies", "Sla policies: must be an array of SLA policies")
    if len(raw) > MAX_DRAFTS:
        raise invalid("sla_policies", f"Sla policies: at most {MAX_DRAFTS} policies")
    named = {
        item["id"]
        for item in raw
        if isinstance(item, dict) and isinstance(item.get("id"), int) and item["id"] > 0
    }
    if named:
        named = set(Policy.objects.filter(pk__in=named).values_list("pk", flat=True))
    drafts: list[dict[str, Any]] = []
    details: dict[str, list[dict[str, str]]] = {}
    context = policy_input_context()
    for index, item in enumerate(raw):
        key = f"sla_policies[{index}]"
        if not isinstance(item, dict):
            details[key] = [
                {"description": f"Policy {index + 1}: must be an object", "error": "InvalidValue"}
            ]
            continue
        serializer = PolicyInputSerializer(data=item, context=context)
        if not serializer.is_valid():
            for field, errors in _details_from_drf(serializer.errors).items():
                details[f"{key}.{field}"] = [
                    {**error, "description": f"Policy {index + 1}: {error['description']}"}
                    for error in errors
                ]
            continue
        data = dict(serializer.validated_data)
        policy_id = item.get("id")
        if not isinstance(policy_id, bool) and policy_id in named:
            data["id"] = policy_id
        drafts.append(data)
    if details:
        raise RecordInvalid(details)
    return drafts


def validated_group_drafts(raw: Any) -> list[dict[str, Any]]:
    """Each draft through the Group SLA Policies API's own validation; errors keyed by the
    draft's index (`group_sla_policies[0].title`). A draft's `id`, when it names an existing
    group SLA policy, is kept."""
    if not isinstance(raw, list):
        raise invalid(
            "group_sla_policies", "Group sla policies: must be an array of group SLA policies"
        )
    if len(raw) > MAX_DRAFTS:
        raise invalid("group_sla_policies", f"Group sla policies: at most {MAX_DRAFTS} policies")
    named = {
        item["id"] for item in raw if isinstance(item, dict) and isinstance(item.get("id"), str)
    }
    if named:
        named = set(GroupSlaPolicy.objects.filter(pk__in=named).values_list("pk", flat=True))
    drafts: list[dict[str, Any]] = []
    details: dict[str, list[dict[str, str]]] = {}
    context = policy_input_context()
    for index, item in enumerate(raw):
        key = f"group_sla_policies[{index}]"
        words = f"Group SLA policy {index + 1}"
        if not isinstance(item, dict):
            details[key] = [{"description": f"{words}: must be an object", "error": "InvalidValue"}]
            continue
        serializer = GroupSlaPolicyInputSerializer(data=item, context=context)
        if not serializer.is_valid():
            for field, errors in _details_from_drf(serializer.errors).items():
                details[f"{key}.{field}"] = [
                    {**error, "description": f"{words}: {error['description']}"} for error in errors
                ]
            continue
        data = dict(serializer.validated_data)
        if isinstance(item.get("id"), str) and item["id"] in named:
            data["id"] = item["id"]
        drafts.append(data)
    if details:
        raise RecordInvalid(details)
    return drafts


def backtest_from_body(body: Any, *, now: Any) -> dict[str, Any]:
    """Validate a request body and run the backtest: the API and the dashboard both call this."""
    if not isinstance(body, dict) or "sla_policies" not in body:
        raise BadRequest(
            "InvalidRequest", "The request body must be a JSON object with a 'sla_policies' key"
        )
    days = body.get("days", DEFAULT_DAYS)
    if isinstance(days, bool) or not isinstance(days, int) or not MIN_DAYS <= days <= MAX_DAYS:
        raise invalid("days", f"Days: must be a whole number from {MIN_DAYS} to {MAX_DAYS}")
    group_by = body.get("group_by")
    if group_by is not None and group_by not in GROUPINGS:
        raise invalid("group_by", f"Group by: must be one of {', '.join(GROUPINGS)}")
    problems: dict[str, list[dict[str, str]]] = {}
    drafts: list[dict[str, Any]] = []
    group_drafts = None
    try:
        drafts = validated_drafts(body["sla_policies"])
    except RecordInvalid as error:
        problems.update(error.details)
    if body.get("group_sla_policies") is not None:
        try:
            group_drafts = validated_group_drafts(body["group_sla_policies"])
        except RecordInvalid as error:
            problems.update(error.details)
    if problems:
        raise RecordInvalid(problems)  # both lists' problems at once
    result = backtest(
        drafts=drafts, days=days, now=now, group_by=group_by, group_drafts=group_drafts
    )
    return {**result, "start_time": iso(result["start_time"]), "end_time": iso(result["end_time"])}

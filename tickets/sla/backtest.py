"""Backtest: replay the last N days of tickets under a draft policy list, without writing.

Every ticket created in the window (open or solved) is replayed twice with the engine: as it
happened (each save with the policy revision stored on its audit), and with the draft list in
force at every save. Both replays are counted at `now` with the reports' outcome rule
(`outcome`), so the live side gives the numbers the reports give for those tickets.

Draft policies are new policies to the engine; a draft that carries the `id` of an existing
policy (as the API's own policy shape does) stands for that policy, so a ticket "changes
policy" only when its final policy really differs.
"""

from __future__ import annotations

import dataclasses
from collections import defaultdict
from datetime import datetime, timedelta
from typing import Any

from policies import selectors as policy_selectors
from policies.engine.metrics import MetricInstance, TicketSla
from policies.engine.types import PolicySpec
from policies.inputs import PolicyInputSerializer
from policies.models import Policy
from slaweb.api.errors import BadRequest, RecordInvalid, _details_from_drf, invalid
from slaweb.api.timestamps import iso
from tickets.models import Ticket
from tickets.selectors import account_schedule, dropdown_option_values, policy_input_context
from tickets.sla.store import audits_by_ticket, replay, ticket_history

BATCH = 500
MIN_DAYS, MAX_DAYS = 1, 90
GROUPINGS = ("metric", "priority", "policy")
OUTCOMES = ("achieved", "breached", "in_progress")
NO_KEY_LABELS = {"metric": "(none)", "priority": "(no priority)", "policy": "(no policy)"}
PRIORITY_ORDER = ("urgent", "high", "normal", "low")


def outcome(instance: MetricInstance, now: datetime) -> str:
    """The reports' rule (tickets/reports.py `_classified`), for one metric instance:
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
    *, drafts: list[dict[str, Any]], days: int, now: datetime, group_by: str | None
) -> dict[str, Any]:
    """Live and draft figures for the tickets created in the `days` days before `now`.

    `drafts` are validated policy bodies (as `PolicyInputSerializer` gives them), the whole
    draft list in position order. Reads only: two queries per batch of tickets (tickets, their
    audits), plus the schedule, the option values and each policy revision once.
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
    rows = [
        {
            "key": key,
            "label": key if key is not None else NO_KEY_LABELS[group_by or "metric"],
            **_side_by_side(counts["live"], counts["draft"]),
        }
        for key, counts in sorted(
            groups.items(), key=lambda item: _group_order(group_by or "", item[0])
        )
    ]
    return {
        "start_time": start,
        "end_time": now,
        "days": days,
        "group_by": group_by,
        "tickets": tickets,
        "policy_changes": changed,
        "total": _side_by_side(totals["live"], totals["draft"]),
        "groups": rows,
    }


def _policy_id(result: TicketSla) -> int | None:
    return result.policy.id if result.policy else None


def _group_key(
    group_by: str, instance: MetricInstance, ticket: Ticket, titles: dict[int, str]
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
    drafts = validated_drafts(body["sla_policies"])
    result = backtest(drafts=drafts, days=days, now=now, group_by=group_by)
    return {**result, "start_time": iso(result["start_time"]), "end_time": iso(result["end_time"])}

"""Reads: policies with everything an API response or the engine needs, in a fixed number of
queries, and the condition definitions built from the account's live data."""

from __future__ import annotations

from datetime import date, time
from typing import Any

from django.db.models import Prefetch, QuerySet

from policies.engine import business_time as clock
from policies.engine.conditions import (
    compile_filter,
)
from policies.engine.group_ownership import GroupPolicySpec
from policies.engine.types import PolicySpec, Target
from policies.engine.vocabulary import (
    Metric,
    Priority,
)
from policies.models import (
    GROUP_OWNERSHIP_TIME,
    GroupSlaPolicy,
    GroupSlaPolicyMetric,
    Holiday,
    Policy,
    PolicyCondition,
    PolicyMetric,
    PolicyRevision,
    Schedule,
)


def policy_queryset() -> QuerySet[Policy]:
    return Policy.objects.prefetch_related(
        Prefetch("conditions", queryset=PolicyCondition.objects.order_by("group", "index")),
        Prefetch("metrics", queryset=PolicyMetric.objects.order_by("index", "id")),
    )


def policy_get(*, policy_id: int) -> Policy:
    """Raises Policy.DoesNotExist."""
    return policy_queryset().get(pk=policy_id)


def policy_filter_dict(policy: Policy) -> dict[str, list[dict[str, Any]]]:
    result: dict[str, list[dict[str, Any]]] = {"all": [], "any": []}
    for condition in policy.conditions.all():
        result[condition.group].append(
            {"field": condition.field, "operator": condition.operator, "value": condition.value}
        )
    return result


def policy_metrics_list(policy: Policy) -> list[dict[str, Any]]:
    """The policy's targets in the API's input shape (exact seconds)."""
    return [
        {
            "priority": m.priority,
            "metric": m.metric,
            "target_in_seconds": m.target_seconds,
            "business_hours": m.business_hours,
        }
        for m in policy.metrics.all()
    ]


def policy_snapshot(policy: Policy) -> dict[str, Any]:
    """What a revision keeps of a policy: everything the engine needs, nothing more."""
    return {
        "id": policy.pk,
        "title": policy.title,
        "description": policy.description,
        "position": policy.position,
        "filter": policy_filter_dict(policy),
        "policy_metrics": policy_metrics_list(policy),
        "metric_settings": policy.metric_settings or {},
    }


def draft_snapshots(data: dict[str, Any], policy_id: int | None) -> list[dict[str, Any]]:
    """The policy list as it would be with `data` saved (validated input, as for update or
    create); the draft gets id 0 when it is new."""
    snapshots = [policy_snapshot(policy) for policy in policy_queryset()]
    if policy_id is not None:
        index = next(i for i, snap in enumerate(snapshots) if snap["id"] == policy_id)
        draft = snapshots.pop(index)
    else:
        draft = {
            "id": 0,
            "title": "",
            "description": None,
            "filter": {"all": [], "any": []},
            "policy_metrics": [],
            "metric_settings": {},
            "position": len(snapshots) + 1,
        }
    for key in ("title", "description", "filter", "metric_settings"):
        if key in data:
            draft[key] = data[key]
    if "policy_metrics" in data:
        draft["policy_metrics"] = [
            {
                "priority": m["priority"],
                "metric": m["metric"],
                "target_in_seconds": m["target_seconds"],
                "business_hours": m["business_hours"],
            }
            for m in data["policy_metrics"]
        ]
    position = data.get("position", draft["position"])
    index = max(0, min(position - 1, len(snapshots)))
    snapshots.insert(index, draft)
    for number, snap in enumerate(snapshots, start=1):
        snap["position"] = number
    return snapshots


def specs_from_snapshots(
    snapshots: list[dict[str, Any]], option_values: dict[str, str]
) -> tuple[PolicySpec, ...]:
    return tuple(
        PolicySpec(
            id=snap["id"],
            title=snap["title"],
            description=snap["description"],
            position=snap["position"],
            matches=compile_filter(snap["filter"], option_values),
            targets={
                (Priority(m["priority"]), Metric(m["metric"])): Target(
                    m["target_in_seconds"], m["business_hours"]
                )
                for m in snap["policy_metrics"]
            },
            metric_settings=snap["metric_settings"],
        )
        for snap in snapshots
    )


# Group SLA policies ---------------------------------------------------------------------------


def group_sla_policy_queryset() -> QuerySet[GroupSlaPolicy]:
    return GroupSlaPolicy.objects.prefetch_related(
        Prefetch("metrics", queryset=GroupSlaPolicyMetric.objects.order_by("index", "id"))
    )


def group_sla_policy_get(*, policy_id: str) -> GroupSlaPolicy:
    """Raises GroupSlaPolicy.DoesNotExist."""
    return group_sla_policy_queryset().get(pk=policy_id)


def group_sla_policy_filter(policy: GroupSlaPolicy) -> dict[str, list[dict[str, Any]]]:
    return {"all": list((policy.filter or {}).get("all") or [])}


def group_sla_policy_metrics(policy: GroupSlaPolicy) -> list[dict[str, Any]]:
    """The policy's targets in Zendesk's shape, with exact seconds."""
    return [
        {
            "priority": m.priority,
            "metric": GROUP_OWNERSHIP_TIME,
            "target": m.target_seconds,
            "business_hours": m.business_hours,
        }
        for m in policy.metrics.all()
    ]


def group_sla_policy_snapshot(policy: GroupSlaPolicy) -> dict[str, Any]:
    """What a revision keeps of a group SLA policy: everything the engine needs."""
    return {
        "id": policy.pk,
        "title": policy.title,
        "description": policy.description,
        "position": policy.position,
        "filter": group_sla_policy_filter(policy),
        "policy_metrics": group_sla_policy_metrics(policy),
    }


def group_draft_snapshots(data: dict[str, Any], policy_id: str | None) -> list[dict[str, Any]]:
    """The group policy list as it would be with `data` saved (validated input, as for update
    or create); the draft gets id "" when it is new."""
    snapshots = [group_sla_policy_snapshot(policy) for policy in group_sla_policy_queryset()]
    snapshots.sort(key=lambda snap: (snap["position"], snap["id"]))
    if policy_id is not None:
        index = next(i for i, snap in enumerate(snapshots) if snap["id"] == policy_id)
        draft = snapshots.pop(index)
    else:
        draft = {
            "id": "",
            "title": "",
            "description": None,
            "filter": {"all": []},
            "policy_metrics": [],
            "position": len(snapshots) + 1,
        }
    for key in ("title", "description"):
        if key in data:
            draft[key] = data[key]
    if "filter" in data:
        draft["filter"] = {"all": [dict(c) for c in data["filter"].get("all", [])]}
    if "policy_metrics" in data:
        draft["policy_metrics"] = [
            {
                "priority": m["priority"],
                "metric": GROUP_OWNERSHIP_TIME,
                "target": m["target_seconds"],
                "business_hours": m["business_hours"],
            }
            for m in data["policy_metrics"]
        ]
    position = data.get("position") or draft["position"]
    snapshots.insert(max(0, min(position - 1, len(snapshots))), draft)
    for number, snap in enumerate(snapshots, start=1):
        snap["position"] = number
    return snapshots


def group_specs_from_snapshots(snapshots: list[dict[str, Any]]) -> tuple[GroupPolicySpec, ...]:
    return tuple(
        GroupPolicySpec(
            id=snap["id"],
            title=snap["title"],
            description=snap["description"],
            position=snap["position"],
            matches=compile_filter(snap["filter"]),
            targets={
                Priority(m["priority"]): Target(m["target"], m["business_hours"])
                for m in snap["policy_metrics"]
            },
        )
        for snap in snapshots
    )


def current_revision_id() -> int | None:
    return PolicyRevision.objects.order_by("-id").values_list("id", flat=True).first()


# Definitions ----------------------------------------------------------------------------------


# Schedules ------------------------------------------------------------------------------------


def schedule_queryset() -> QuerySet[Schedule]:
    return Schedule.objects.prefetch_related("intervals", "holidays")


def default_schedule() -> Schedule | None:
    """The first schedule is the account's default; None means calendar time."""
    return schedule_queryset().order_by("id").first()


def schedule_snapshot(schedule: Schedule | None) -> dict[str, Any] | None:
    """What a revision keeps of the default schedule (None: no schedule, calendar time)."""
    if schedule is None:
        return None
    return {
        "time_zone": schedule.time_zone,
        "intervals": [
            [i.start_time, i.end_time]
            for i in sorted(schedule.intervals.all(), key=lambda i: (i.start_time, i.end_time))
        ],
        "holidays": [
            {
                "start_date": h.start_date.isoformat(),
                "end_date": h.end_date.isoformat(),
                "start_time": h.start_time.isoformat() if h.start_time else None,
                "end_time": h.end_time.isoformat() if h.end_time else None,
            }
            for h in sorted(schedule.holidays.all(), key=lambda h: (h.start_date, h.pk))
        ],
    }


def schedule_from_snapshot(snapshot: dict[str, Any] | None) -> clock.Schedule | None:
    if snapshot is None:
        return None
    return clock.Schedule(
        snapshot["time_zone"],
        [clock.WeeklyInterval(start, end) for start, end in snapshot["intervals"]],
        [
            clock.Holiday(
                date.fromisoformat(h["start_date"]),
                date.fromisoformat(h["end_date"]),
                time.fromisoformat(h["start_time"]) if h["start_time"] else None,
                time.fromisoformat(h["end_time"]) if h["end_time"] else None,
            )
            for h in snapshot["holidays"]
        ],
    )


def schedule_for_engine(schedule: Schedule) -> clock.Schedule:
    return clock.Schedule(
        schedule.time_zone,
        [clock.WeeklyInterval(i.start_time, i.end_time) for i in schedule.intervals.all()],
        [holiday_for_engine(h) for h in schedule.holidays.all()],
    )


def holiday_for_engine(holiday: Holiday) -> clock.Holiday:
    return clock.Holiday(holiday.start_date, holiday.end_date, holiday.start_time, holiday.end_time)

"""Writes to SLA policies. Every caller (API, admin pages, commands) goes through these.

Positions always form 1..n. Each write takes the PolicyOrderLock row first, so concurrent
creates, deletes, moves and reorders queue up instead of producing duplicate positions.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any, TypeVar

from django.db import transaction
from django.db.models import F
from django.utils import timezone

from policies.models import (
    GroupSlaPolicy,
    GroupSlaPolicyMetric,
    Holiday,
    Policy,
    PolicyCondition,
    PolicyMetric,
    PolicyOrderLock,
    PolicyRevision,
    Schedule,
    ScheduleInterval,
)
from policies.selectors import (
    current_revision_id,
    default_schedule,
    group_sla_policy_queryset,
    group_sla_policy_snapshot,
    policy_queryset,
    policy_snapshot,
    schedule_snapshot,
)
from policies.signals import policies_revised
from slaweb.db import retry_on_conflict


class UnknownPolicies(ValueError):
    def __init__(self, ids: Sequence[int]) -> None:
        super().__init__(f"unknown SLA policy ids: {', '.join(str(i) for i in ids)}")
        self.ids = list(ids)


class OrderChanged(RuntimeError):
    """The order is no longer the one the caller saw: someone else reordered, added or removed
    policies in the meantime."""

    def __init__(self, current_ids: Sequence[int]) -> None:
        super().__init__("the SLA policy order has changed since it was read")
        self.current_ids = list(current_ids)


def _lock_order() -> None:
    PolicyOrderLock.objects.select_for_update().get_or_create(pk=1)


def _revision_create(now: datetime) -> PolicyRevision:
    snapshots = [policy_snapshot(policy) for policy in policy_queryset()]
    group_snapshots = [group_sla_policy_snapshot(p) for p in group_sla_policy_queryset()]
    schedule = schedule_snapshot(default_schedule())
    return PolicyRevision.objects.create(
        created_at=now.replace(microsecond=0),  # audit times are whole seconds
        policies=snapshots,
        group_policies=group_snapshots,
        digest=PolicyRevision.configuration_digest(snapshots, group_snapshots),
        schedule=schedule,
        schedule_digest=PolicyRevision.digest_of(schedule),
    )


def policy_revision_record(*, now: datetime) -> PolicyRevision:
    """Freeze the policy list and the default schedule as they now stand; open tickets follow
    them from `now` on.

    Called inside each write's transaction, under the order lock, so revisions are in order.
    """
    revision = _revision_create(now)
    policies_revised.send(sender=PolicyRevision, revision_id=revision.pk)
    return revision


def policy_revision_current(*, now: datetime) -> int:
    """The newest revision's id; the first one is recorded on first use."""
    revision_id = current_revision_id()
    return revision_id if revision_id is not None else _revision_create(now).pk


def _set_filter(policy: Policy, filter: dict[str, list[dict[str, Any]]]) -> None:
    policy.conditions.all().delete()
    PolicyCondition.objects.bulk_create(
        PolicyCondition(
            policy=policy,
            group=group,
            index=index,
            field=condition["field"],
            operator=condition["operator"],
            value=condition["value"],
        )
        for group in ("all", "any")
        for index, condition in enumerate(filter.get(group, []))
    )


def _set_metrics(policy: Policy, metrics: Sequence[dict[str, Any]]) -> None:
    policy.metrics.all().delete()
    PolicyMetric.objects.bulk_create(
        PolicyMetric(
            policy=policy,
            priority=metric["priority"],
            metric=metric["metric"],
            target_seconds=metric["target_seconds"],
            business_hours=metric["business_hours"],
            index=index,
        )
        for index, metric in enumerate(metrics)
    )


# SLA policies and group SLA policies are each ordered 1..n, the same way.
_Ordered = TypeVar("_Ordered", Policy, GroupSlaPolicy)


def _move(policy: Policy | GroupSlaPolicy, position: int, count: int) -> None:
    """Move `policy` (already counted in `count`) to `position`, shifting the ones between."""
    position = max(1, min(position, count))
    current = policy.position
    others = type(policy)._default_manager
    if position < current:
        others.filter(position__gte=position, position__lt=current).update(
            position=F("position") + 1
        )
    elif position > current:
        others.filter(position__gt=current, position__lte=position).update(
            position=F("position") - 1
        )
    policy.position = position


def _remove(policy: Policy | GroupSlaPolicy) -> None:
    """Delete `policy` and close the gap it leaves in the order."""
    position = policy.position
    policy.delete()
    type(policy)._default_manager.filter(position__gt=position).update(position=F("position") - 1)


def _reorder(
    model: type[_Ordered],
    policy_ids: Sequence[Any],
    expected_ids: Sequence[Any] | None,
    order_changed: Callable[[list[Any]], Exception],
    unknown: Callable[[list[Any]], Exception],
) -> bool:
    """Listed ids take positions 1..n in that order, the rest keep their order after them;
    whether any position changed. Refuses (`order_changed`) when `expected_ids` is given and is
    no longer the order, read under the lock so no write slips in between, and (`unknown`)
    ids that are not there; either way nothing changes."""
    policies = {policy.pk: policy for policy in model._default_manager.select_for_update()}
    by_position = sorted(policies.values(), key=lambda p: (p.position, p.pk))
    if expected_ids is not None and list(expected_ids) != [p.pk for p in by_position]:
        raise order_changed([p.pk for p in by_position])
    missing = [pk for pk in policy_ids if pk not in policies]
    if missing:
        raise unknown(missing)
    listed = set(policy_ids)
    ordered = [policies[pk] for pk in dict.fromkeys(policy_ids)]
    ordered += [p for p in by_position if p.pk not in listed]
    changed = []
    for position, policy in enumerate(ordered, start=1):
        if policy.position != position:
            policy.position = position
            changed.append(policy)
    model._default_manager.bulk_update(changed, ["position"])
    return bool(changed)


@retry_on_conflict
@transaction.atomic
def policy_create(
    *,
    title: str,
    filter: dict[str, list[dict[str, Any]]],
    description: str | None = None,
    position: int | None = None,
    policy_metrics: Sequence[dict[str, Any]] = (),
    metric_settings: dict[str, dict[str, bool]] | None = None,
    now: datetime | None = None,
) -> Policy:
    """Without a position the policy goes last; with one it is inserted there."""
    _lock_order()
    count = Policy.objects.count() + 1
    policy = Policy.objects.create(
        title=title,
        description=description,
        position=count,
        metric_settings=metric_settings or {},
    )
    if position is not None and position < count:
        _move(policy, position, count)
        policy.save(update_fields=["position"])
    _set_filter(policy, filter)
    _set_metrics(policy, policy_metrics)
    policy_revision_record(now=now or timezone.now())
    return policy


@retry_on_conflict
@transaction.atomic
def policy_update(*, policy_id: int, data: dict[str, Any], now: datetime | None = None) -> Policy:
    """Partial update: only keys present in `data` change; an update that changes nothing
    (tools that sync configuration send every policy as it stands) writes nothing. Raises
    Policy.DoesNotExist."""
    _lock_order()
    policy = Policy.objects.select_for_update().get(pk=policy_id)

    def write() -> None:
        for attribute in ("title", "description", "metric_settings"):
            if attribute in data:
                setattr(policy, attribute, data[attribute])
        if "position" in data:
            _move(policy, data["position"], Policy.objects.count())
        policy.save()
        if "filter" in data:
            _set_filter(policy, data["filter"])
        if "policy_metrics" in data:
            _set_metrics(policy, data["policy_metrics"])

    if not _changes(lambda: policy_snapshot(Policy.objects.get(pk=policy_id)), write):
        return Policy.objects.get(pk=policy_id)
    policy_revision_record(now=now or timezone.now())
    return policy


def _changes(snapshot: Callable[[], Any], write: Callable[[], None]) -> bool:
    """Run `write`, and undo it when `snapshot` (everything a revision keeps of the record)
    reads the same after it as before: nothing changed, so nothing is written, not even the
    record's updated_at or a revision. Whether it changed anything."""
    before = snapshot()
    savepoint = transaction.savepoint()
    write()
    if snapshot() == before:
        transaction.savepoint_rollback(savepoint)
        return False
    transaction.savepoint_commit(savepoint)
    return True


@retry_on_conflict
@transaction.atomic
def policy_delete(*, policy_id: int, now: datetime | None = None) -> None:
    """Raises Policy.DoesNotExist."""
    _lock_order()
    _remove(Policy.objects.select_for_update().get(pk=policy_id))
    policy_revision_record(now=now or timezone.now())


@retry_on_conflict
@transaction.atomic
def policy_reorder(
    *,
    policy_ids: Sequence[int],
    now: datetime | None = None,
    expected_ids: Sequence[int] | None = None,
) -> None:
    """Listed ids take positions 1..n in that order; the rest keep their order after them.

    With `expected_ids` (every id in the order the caller last saw) the reorder happens only if
    that is still the order; otherwise OrderChanged is raised and nothing changes.
    """
    _lock_order()
    if _reorder(Policy, policy_ids, expected_ids, OrderChanged, UnknownPolicies):
        policy_revision_record(now=now or timezone.now())


@retry_on_conflict
@transaction.atomic
def policy_clone(*, policy_id: int, now: datetime | None = None) -> Policy:
    """A copy added at the bottom, as Zendesk's clone does."""
    source = Policy.objects.prefetch_related("conditions", "metrics").get(pk=policy_id)
    filter: dict[str, list[dict[str, Any]]] = {"all": [], "any": []}
    for condition in source.conditions.order_by("group", "index"):
        filter[condition.group].append(
            {"field": condition.field, "operator": condition.operator, "value": condition.value}
        )
    metrics = [
        {
            "priority": m.priority,
            "metric": m.metric,
            "target_seconds": m.target_seconds,
            "business_hours": m.business_hours,
        }
        for m in source.metrics.order_by("index", "id")
    ]
    return policy_create(
        title=f"{source.title} (copy)"[:255],
        description=source.description,
        filter=filter,
        policy_metrics=metrics,
        metric_settings=source.metric_settings,
        now=now,
    )


# Group SLA policies ---------------------------------------------------------------------------
# Their own order (1..n among group SLA policies), under the same lock as SLA policies so every
# write's revision freezes both lists in the order the writes happened.


class UnknownGroupSlaPolicies(ValueError):
    def __init__(self, ids: Sequence[str]) -> None:
        super().__init__(f"unknown group SLA policy ids: {', '.join(ids)}")
        self.ids = list(ids)


class GroupSlaOrderChanged(RuntimeError):
    """The group SLA policy order is no longer the one the caller saw."""

    def __init__(self, current_ids: Sequence[str]) -> None:
        super().__init__("the group SLA policy order has changed since it was read")
        self.current_ids = list(current_ids)


def _group_filter(filter: dict[str, list[dict[str, Any]]]) -> dict[str, list[dict[str, Any]]]:
    """Only "all" exists in group SLA filters (Zendesk's shape); conditions kept as sent."""
    return {"all": [dict(condition) for condition in filter.get("all", [])]}


def _set_group_metrics(policy: GroupSlaPolicy, metrics: Sequence[dict[str, Any]]) -> None:
    policy.metrics.all().delete()
    GroupSlaPolicyMetric.objects.bulk_create(
        GroupSlaPolicyMetric(
            policy=policy,
            priority=metric["priority"],
            target_seconds=metric["target_seconds"],
            business_hours=metric["business_hours"],
            index=index,
        )
        for index, metric in enumerate(metrics)
    )


@retry_on_conflict
@transaction.atomic
def group_sla_policy_create(
    *,
    title: str,
    description: str | None,
    filter: dict[str, list[dict[str, Any]]],
    policy_metrics: Sequence[dict[str, Any]],
    position: int | None = None,
    now: datetime | None = None,
) -> GroupSlaPolicy:
    """Without a position the policy goes last; with one it is inserted there.

    `policy_metrics` items are {"priority", "target_seconds", "business_hours"}, validated.
    """
    _lock_order()
    count = GroupSlaPolicy.objects.count() + 1
    policy = GroupSlaPolicy.objects.create(
        title=title, description=description, position=count, filter=_group_filter(filter)
    )
    if position is not None and position < count:
        _move(policy, position, count)
        policy.save(update_fields=["position"])
    _set_group_metrics(policy, policy_metrics)
    policy_revision_record(now=now or timezone.now())
    return policy


@retry_on_conflict
@transaction.atomic
def group_sla_policy_update(
    *, policy_id: str, data: dict[str, Any], now: datetime | None = None
) -> GroupSlaPolicy:
    """Partial update: only keys present in `data` change; one that changes nothing writes
    nothing. Raises GroupSlaPolicy.DoesNotExist."""
    _lock_order()
    policy = GroupSlaPolicy.objects.select_for_update().get(pk=policy_id)

    def write() -> None:
        for attribute in ("title", "description"):
            if attribute in data:
                setattr(policy, attribute, data[attribute])
        if "filter" in data:
            policy.filter = _group_filter(data["filter"])
        if "position" in data and data["position"] is not None:
            _move(policy, data["position"], GroupSlaPolicy.objects.count())
        policy.save()
        if "policy_metrics" in data:
            _set_group_metrics(policy, data["policy_metrics"])

    def current() -> dict[str, Any]:
        return group_sla_policy_snapshot(GroupSlaPolicy.objects.get(pk=policy_id))

    if not _changes(current, write):
        return GroupSlaPolicy.objects.get(pk=policy_id)
    policy_revision_record(now=now or timezone.now())
    return policy


@retry_on_conflict
@transaction.atomic
def group_sla_policy_delete(*, policy_id: str, now: datetime | None = None) -> None:
    """Raises GroupSlaPolicy.DoesNotExist."""
    _lock_order()
    _remove(GroupSlaPolicy.objects.select_for_update().get(pk=policy_id))
    policy_revision_record(now=now or timezone.now())


@retry_on_conflict
@transaction.atomic
def group_sla_policy_reorder(
    *,
    policy_ids: Sequence[str],
    now: datetime | None = None,
    expected_ids: Sequence[str] | None = None,
) -> None:
    """Listed ids take positions 1..n in that order; the rest keep their order after them.

    With `expected_ids` (every id in the order the caller last saw) the reorder happens only if
    that is still the order; otherwise GroupSlaOrderChanged is raised and nothing changes.
    Raises UnknownGroupSlaPolicies for ids that are not there, changing nothing.
    """
    _lock_order()
    if _reorder(
        GroupSlaPolicy, policy_ids, expected_ids, GroupSlaOrderChanged, UnknownGroupSlaPolicies
    ):
        policy_revision_record(now=now or timezone.now())


# Schedules ------------------------------------------------------------------------------------


def _schedule_changed() -> None:
    """Business-hour deadlines of open tickets follow the default schedule from now on: a
    change to it is a new revision. Other schedules measure nothing yet."""
    _lock_order()
    current = PolicyRevision.objects.order_by("-id").first()
    snapshot = schedule_snapshot(default_schedule())
    if current is None or current.schedule_digest != PolicyRevision.digest_of(snapshot):
        policy_revision_record(now=timezone.now())


# Monday to Friday, 09:00-17:00: what a new schedule starts with until its workweek is set.
DEFAULT_WORKWEEK = [(day * 1440 + 540, day * 1440 + 1020) for day in range(1, 6)]


def _set_intervals(schedule: Schedule, intervals: Sequence[tuple[int, int]]) -> None:
    schedule.intervals.all().delete()
    ScheduleInterval.objects.bulk_create(
        ScheduleInterval(schedule=schedule, start_time=start, end_time=end)
        for start, end in sorted(intervals)
    )


@transaction.atomic
def schedule_create(
    *, name: str, time_zone: str, intervals: Sequence[tuple[int, int]] | None = None
) -> Schedule:
    schedule = Schedule.objects.create(name=name, time_zone=time_zone)
    _set_intervals(schedule, DEFAULT_WORKWEEK if intervals is None else intervals)
    _schedule_changed()
    return schedule


@transaction.atomic
def schedule_update(*, schedule_id: int, data: dict[str, Any]) -> Schedule:
    """Partial update of name and time zone; raises Schedule.DoesNotExist."""
    schedule = Schedule.objects.select_for_update().get(pk=schedule_id)
    for attribute in ("name", "time_zone"):
        if attribute in data:
            setattr(schedule, attribute, data[attribute])
    schedule.save()
    if "intervals" in data:
        _set_intervals(schedule, data["intervals"])
    _schedule_changed()
    return schedule


@transaction.atomic
def schedule_set_workweek(*, schedule_id: int, intervals: Sequence[tuple[int, int]]) -> Schedule:
    schedule = Schedule.objects.select_for_update().get(pk=schedule_id)
    _set_intervals(schedule, intervals)
    schedule.save(update_fields=["updated_at"])
    _schedule_changed()
    return schedule


@transaction.atomic
def schedule_delete(*, schedule_id: int) -> None:
    Schedule.objects.get(pk=schedule_id).delete()
    _schedule_changed()


@transaction.atomic
def holiday_create(*, schedule_id: int, **fields: Any) -> Holiday:
    schedule = Schedule.objects.select_for_update().get(pk=schedule_id)
    holiday = Holiday.objects.create(schedule=schedule, **fields)
    schedule.save(update_fields=["updated_at"])
    _schedule_changed()
    return holiday


@transaction.atomic
def holiday_update(*, schedule_id: int, holiday_id: int, data: dict[str, Any]) -> Holiday:
    holiday = Holiday.objects.select_for_update().get(pk=holiday_id, schedule_id=schedule_id)
    for attribute, value in data.items():
        setattr(holiday, attribute, value)
    holiday.save()
    _schedule_changed()
    return holiday


@transaction.atomic
def holiday_delete(*, schedule_id: int, holiday_id: int) -> None:
    Holiday.objects.get(pk=holiday_id, schedule_id=schedule_id).delete()
    _schedule_changed()


def _add_holidays(schedule: Schedule, holidays: Sequence[dict[str, Any]]) -> list[Holiday]:
    return [Holiday.objects.create(schedule=schedule, **fields) for fields in holidays]


@transaction.atomic
def holidays_add(*, schedule_id: int, holidays: Sequence[dict[str, Any]]) -> list[Holiday]:
    """Several holidays at once (an iCal import), with one recompute instead of one each."""
    schedule = Schedule.objects.select_for_update().get(pk=schedule_id)
    added = _add_holidays(schedule, holidays)
    schedule.save(update_fields=["updated_at"])
    _schedule_changed()
    return added


@transaction.atomic
def schedule_save(
    *,
    schedule_id: int | None,
    name: str,
    time_zone: str,
    intervals: Sequence[tuple[int, int]],
    holidays_added: Sequence[dict[str, Any]] = (),
    holidays_changed: Sequence[tuple[int, dict[str, Any]]] = (),
    holidays_deleted: Sequence[int] = (),
) -> Schedule:
    """A whole schedule as its editor page submits it, with one recompute for all of it.

    Creates the schedule when `schedule_id` is None. Holidays are changed and deleted only
    within this schedule; one that is not there raises Holiday.DoesNotExist and writes nothing.
    """
    if schedule_id is None:
        schedule = Schedule.objects.create(name=name, time_zone=time_zone)
    else:
        schedule = Schedule.objects.select_for_update().get(pk=schedule_id)
        schedule.name, schedule.time_zone = name, time_zone
        schedule.save()
    _set_intervals(schedule, intervals)
    for holiday_id, data in holidays_changed:
        holiday = Holiday.objects.get(pk=holiday_id, schedule=schedule)
        for attribute, value in data.items():
            setattr(holiday, attribute, value)
        holiday.save()
    for holiday_id in holidays_deleted:
        Holiday.objects.get(pk=holiday_id, schedule=schedule).delete()
    _add_holidays(schedule, holidays_added)
    _schedule_changed()
    return schedule


# Notification rules ---------------------------------------------------------------------------

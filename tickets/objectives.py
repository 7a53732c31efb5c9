"""Service level objectives: a target achievement rate over a rolling window.

Services create, change and delete objectives; `objective_status` reads how one is doing. The
counting is the SLA report's (`tickets.reports.sla_report`): the same achieved, breached and
in-progress rows, the same rate, so an objective and the report filtered the same way over the
same period always agree. An objective measures one SLA policy's targets, or one group SLA
policy's group ownership time targets (the report's `kind` `group_sla`): "95% of escalations
held by Tier 2 under 4 business hours" is the group SLA policy "Tier 2 holds escalations in
4 business hours" with a 95% target rate.

For an objective with target rate T (percent) and a window of W days, at `now`:

* **Window**: [now − W days, now). **Previous window**: [now − 2W days, now − W days).
* **Rate**: achieved / (achieved + breached) in the window, in percent; none without either.
* **Error budget** (breaches still allowed) = floor((100 − T) / 100 × (achieved + breached))
  − breached. Negative when overspent.
* **Budget consumed** = breached / allowed breaches, in percent; 0 with no breaches, none
  when breaches happened but none were allowed (the budget is overspent from the start).
* **Burn rate** = the share of the budget used / the share of the window elapsed. The window is
  rolling, so it has always wholly elapsed, and the burn rate is the breach rate over the
  allowed one: breached / ((100 − T) / 100 × (achieved + breached)), computed before the floor.
  1 spends exactly the budget over a window; above 1 the budget runs out before the window
  ends at this pace; none without settled targets.
* **Trend**: the previous window's rate, the change from it in percentage points, and the
  daily rate (UTC days) over the window.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from django.db import transaction

from policies.models import GROUP_OWNERSHIP_TIME
from tickets.models import ServiceLevelObjective
from tickets.reports import Filters, ReportRow, sla_report

OBJECTIVE_FIELDS = (
    "title",
    "policy_id",
    "group_policy_id",
    "metric",
    "priority",
    "target_rate",
    "window_days",
)
MAX_WINDOW_DAYS = 365


@dataclass(frozen=True, slots=True)
class DailyRate:
    day: str
    achieved: int
    breached: int
    rate: float | None


@dataclass(frozen=True, slots=True)
class ObjectiveStatus:
    start: datetime
    end: datetime
    achieved: int
    breached: int
    in_progress: int
    rate: float | None
    target_rate: Decimal
    met: bool | None
    allowed_breaches: int
    error_budget_remaining: int
    budget_consumed_percent: float | None
    burn_rate: float | None
    previous_rate: float | None
    rate_change: float | None
    daily: tuple[DailyRate, ...]


def allowed_breaches(*, target_rate: Decimal, settled: int) -> int:
    """floor((100 − T) / 100 × settled), exactly: T has two decimals, so work in hundredths."""
    hundredths = int(target_rate * 100)
    return (10000 - hundredths) * settled // 10000


def _rate(row: ReportRow) -> float | None:
    return row.achieved_percent


def status_from_counts(
    *,
    target_rate: Decimal,
    current: ReportRow,
    previous: ReportRow,
    daily: tuple[ReportRow, ...],
    start: datetime,
    end: datetime,
) -> ObjectiveStatus:
    """The figures from the report's rows: pure arithmetic, no queries."""
    settled = current.achieved + current.breached
    allowed = allowed_breaches(target_rate=target_rate, settled=settled)
    if current.breached == 0:
        consumed: float | None = 0.0
    elif allowed == 0:
        consumed = None
    else:
        consumed = round(100 * current.breached / allowed, 2)
    allowed_share = (100 - target_rate) / 100
    burn = (
        round(float(Decimal(current.breached) / (allowed_share * settled)), 4) if settled else None
    )
    rate = _rate(current)
    previous_rate = _rate(previous)
    change = (
        round(rate - previous_rate, 2) if rate is not None and previous_rate is not None else None
    )
    return ObjectiveStatus(
        start=start,
        end=end,
        achieved=current.achieved,
        breached=current.breached,
        in_progress=current.in_progress,
        rate=rate,
        target_rate=target_rate,
        # From the counts, not the rounded rate: 94.999% does not meet 95%.
        met=None if not settled else current.achieved * 100 >= target_rate * settled,
        allowed_breaches=allowed,
        error_budget_remaining=allowed - current.breached,
        budget_consumed_percent=consumed,
        burn_rate=burn,
        previous_rate=previous_rate,
        rate_change=change,
        daily=tuple(
            DailyRate(
                day=str(row.key), achieved=row.achieved, breached=row.breached, rate=_rate(row)
            )
            for row in daily
        ),
    )


def objective_filters(objective: ServiceLevelObjective) -> Filters:
    """The report filters that count the objective's targets."""
    if objective.group_policy_id is not None:
        return Filters(
            kind="group_sla",
            group_policy_id=objective.group_policy_id,
            metric=GROUP_OWNERSHIP_TIME,
            priority=objective.priority or None,
        )
    return Filters(
        kind="sla",
        policy_id=objective.policy_id,
        metric=objective.metric or None,
        priority=objective.priority or None,
    )


def objective_status(objective: ServiceLevelObjective, *, now: datetime) -> ObjectiveStatus:
    """How the objective stands at `now` (see the module docstring for every figure).

    Two reports, each a fixed number of queries whatever the number of tickets: the window
    with its days, and the previous window. Grouped by metric, so neither reads labels.
    """
    window = timedelta(days=objective.window_days)
    filters = objective_filters(objective)
    start = now - window
    current = sla_report(
        start=start, end=now, now=now, group_by="metric", interval="day", filters=filters
    )
    previous = sla_report(
        start=start - window,
        end=start,
        now=now,
        group_by="metric",
        interval="week",
        filters=filters,
    )
    return status_from_counts(
        target_rate=objective.target_rate,
        current=current.total,
        previous=previous.total,
        daily=current.series,
        start=start,
        end=now,
    )


def objective_statuses(
    objectives: list[ServiceLevelObjective], *, now: datetime
) -> dict[int, ObjectiveStatus]:
    """Each objective's status by id: two reports per objective, nothing per ticket."""
    return {objective.pk: objective_status(objective, now=now) for objective in objectives}


def objective_list() -> list[ServiceLevelObjective]:
    return list(
        ServiceLevelObjective.objects.select_related("policy", "group_policy").order_by("id")
    )


def objective_create(*, data: dict[str, Any], now: datetime) -> ServiceLevelObjective:
    """`data` as validated by ObjectiveInputSerializer (every field in OBJECTIVE_FIELDS; the
    policy not given may be left out)."""
    objective = ServiceLevelObjective(created_at=now, updated_at=now)
    for name in OBJECTIVE_FIELDS:
        setattr(objective, name, data.get(name))
    objective.save()
    return objective


def objective_update(
    *, objective_id: int, data: dict[str, Any], now: datetime
) -> ServiceLevelObjective:
    """Change the fields present in `data`. Raises DoesNotExist for an unknown id."""
    with transaction.atomic():
        objective = ServiceLevelObjective.objects.select_for_update().get(pk=objective_id)
        for name in OBJECTIVE_FIELDS:
            if name in data:
                setattr(objective, name, data[name])
        objective.updated_at = now
        objective.save()
    return objective


def objective_delete(*, objective_id: int) -> None:
    """Raises DoesNotExist for an unknown id."""
    ServiceLevelObjective.objects.get(pk=objective_id).delete()

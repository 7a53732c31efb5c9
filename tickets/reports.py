"""SLA reports: achievement rates, breach counts and reply/resolution times (spec §9.1), and
the same for group SLAs (OLAs): how often groups handed tickets on within their group
ownership time.

Pure reads over `TicketSlaTarget` rows, one per metric instance that had a target. The API,
its CSV and the admin dashboard all call `sla_report`, so they show the same numbers.

**Kind.** A report covers one kind of target, never both: `sla`, the ticket SLA policies'
targets (the promise to the customer; the default), or `group_sla`, the group SLA policies'
group ownership time targets (a team's promise, an OLA; one row per stretch a group held a
ticket). Mixed totals would let a team's hand-offs move the customer-facing achievement rate,
so the default report is the customer's alone and group SLAs are one parameter away. The kind
follows from a `metric`, `policy_id` or `group_sla_policy_id` filter when it is not given, and a
filter of the other kind is refused.

Which rows count, and when:

* **Achieved**: fulfilled and never breached. **Breached**: breached, whether fulfilled later
  or not; an unfulfilled running target whose `breach_at` is at or before `now` counts as
  breached at `breach_at` even if the breach clock has not recorded it yet (the engine's rule:
  a metric still unfulfilled at its deadline is breached at it). **In progress**: neither;
  left out of the rate, as spec §9.1 leaves active targets out of both sides.
* **Achievement rate** = achieved / (achieved + breached), in percent; none without either.
* **Period**: a row belongs to the moment its target status was settled, which is what
  Explore's "SLA update - Date" reports by (spec §9.1): `breached_at` for breached rows,
  `fulfilled_at` for achieved ones. In-progress rows have no outcome yet and are counted by
  their `activated_at`. A period is `start <= moment < end`.
* **Reply time** is the running time (pauses excluded) of fulfilled `first_reply_time` and
  `next_reply_time` targets; **resolution time** that of fulfilled `total_resolution_time`
  targets; both in calendar and in business seconds, as the median and the 90th percentile
  with linear interpolation (PostgreSQL's `percentile_cont`, computed in Python on other
  databases with the same formula).
* **Group ownership time** is the running time of fulfilled group ownership targets (the
  group handed the ticket on, or it was solved, in time or not), figured the same way.
* Priority is the ticket's current one. The group of a ticket SLA target is the ticket's
  current group; the group of a group SLA target is the group that held the ticket in that
  instance (`TicketSlaTarget.group_id`), whichever group has it now, so Tier 2's row counts
  Tier 2's stretches even of tickets since handed back to Tier 1. A deleted policy groups as
  "(deleted policy)" or "(deleted group SLA policy)", a ticket without a group as "(no group)".

How: one ORM query classifies each row of the period (its group, its period, its outcome, its
kind of duration). On PostgreSQL one statement aggregates those rows for the total, the groups
and the periods at once (`GROUPING SETS`, one scan), with `percentile_cont`; elsewhere the
classified rows are read and aggregated in Python. Either way the query count is fixed: that
one, and one for the policy titles or group names.
"""

from __future__ import annotations

import bisect
import math
import re
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, time, timedelta
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from django.db import connection, transaction
from django.db.models import (
    Case,
    CharField,
    DateTimeField,
    F,
    Func,
    IntegerField,
    Q,
    QuerySet,
    Value,
    When,
)

from policies.engine.vocabulary import Metric, Priority
from policies.models import GROUP_OWNERSHIP_TIME, GroupSlaPolicy, Policy
from slaweb.api.errors import BadRequest
from slaweb.timezones import resolve_time_zone
from tickets.models import Group, TicketSlaTarget

if TYPE_CHECKING:
    from django.db.backends.base.base import BaseDatabaseWrapper
    from django.db.models.sql.compiler import SQLCompiler

GROUPINGS = ("policy", "metric", "priority", "group")
INTERVALS = ("day", "week")
# Ticket SLA targets, or group SLA (group ownership time) targets.
KINDS = ("sla", "group_sla")
TICKET_METRICS = tuple(m.value for m in Metric)
REPORT_METRICS = (*TICKET_METRICS, GROUP_OWNERSHIP_TIME)
REPLY_METRICS = (str(Metric.FIRST_REPLY_TIME), str(Metric.NEXT_REPLY_TIME))
RESOLUTION_METRICS = (str(Metric.TOTAL_RESOLUTION_TIME),)
OWNERSHIP_METRICS = (GROUP_OWNERSHIP_TIME,)
FRACTIONS = {"median": 0.5, "p90": 0.9}
# (figure name, kind of duration, elapsed column)
DURATIONS = (
    ("reply", "reply", "calendar"),
    ("reply_business", "reply", "business"),
    ("resolution", "resolution", "calendar"),
    ("resolution_business", "resolution", "business"),
    ("ownership", "ownership", "calendar"),
    ("ownership_business", "ownership", "business"),
)
# The durations a kind of target can have (the others are always none for it).
KIND_DURATIONS = {
    "sla": ("reply", "reply_business", "resolution", "resolution_business"),
    "group_sla": ("ownership", "ownership_business"),
}
OUTCOMES = ("achieved", "breached", "in_progress")
GROUP_COLUMNS = {
    "sla": {
        "policy": "policy_id",
        "metric": "metric",
        "priority": "ticket__priority",
        "group": "ticket__group_id",
    },
    # The group SLA policy, and the group that held the ticket in the instance.
    "group_sla": {
        "policy": "group_policy_id",
        "metric": "metric",
        "priority": "ticket__priority",
        "group": "group_id",
    },
}
NO_KEY_LABELS = {
    "policy": "(deleted policy)",
    "metric": "(none)",
    "priority": "(no priority)",
    "group": "(no group)",
}
DELETED_GROUP_POLICY = "(deleted group SLA policy)"
# Zendesk's group SLA policy ids are ULIDs; anything else names none.
GROUP_POLICY_ID = re.compile(r"[0-9A-Za-z]{1,26}")
# A 90-day report sorts a few hundred thousand rows; PostgreSQL's default 4 MB spills to disk.
REPORT_WORK_MEM = "64MB"
# Keeps groups in the vocabulary's order rather than alphabetical.
PRIORITY_ORDER = ("urgent", "high", "normal", "low")


@dataclass(frozen=True, slots=True)
class Filters:
    # None: from the other filters (`kind_of`), else ticket SLAs.
    kind: str | None = None
    policy_id: int | None = None
    group_policy_id: str | None = None
    metric: str | None = None
    priority: str | None = None
    # Ticket SLA targets: the ticket's current group; group SLA targets: the holding group.
    group_id: int | None = None


def kind_of(filters: Filters) -> str:
    """The kind of targets `filters` report on; ValueError when they name both kinds."""
    implied = set()
    if filters.policy_id is not None:
        implied.add(("sla", "policy_id names an SLA policy"))
    if filters.group_policy_id is not None:
        implied.add(("group_sla", "group_sla_policy_id names a group SLA policy"))
    if filters.metric is not None:
        if filters.metric == GROUP_OWNERSHIP_TIME:
            implied.add(("group_sla", f"{GROUP_OWNERSHIP_TIME} is the group SLA metric"))
        else:
            implied.add(("sla", f"{filters.metric} is an SLA policy metric"))
    kinds = {kind for kind, _ in implied}
    if filters.kind is not None:
        if filters.kind not in KINDS:
            raise ValueError(f"kind must be one of: {', '.join(KINDS)}")
        kinds.add(filters.kind)
    if len(kinds) > 1:
        reasons = "; ".join(sorted(reason for _, reason in implied))
        raise ValueError(
            f"A report covers SLA targets (kind sla) or group SLA targets (kind group_sla), "
            f"not both: {reasons}"
        )
    return kinds.pop() if kinds else "sla"


@dataclass(frozen=True, slots=True)
class ReportRow:
    key: str | int | None
    label: str
    achieved: int
    breached: int
    in_progress: int
    # Seconds, rounded to a tenth; None without fulfilled targets of that kind.
    durations: dict[str, float | None]

    @property
    def achieved_percent(self) -> float | None:
        settled = self.achieved + self.breached
        return round(100 * self.achieved / settled, 2) if settled else None


@dataclass(frozen=True, slots=True)
class Report:
    start: datetime
    end: datetime
    time_zone: str
    group_by: str
    interval: str
    filters: Filters
    total: ReportRow
    groups: tuple[ReportRow, ...]
    series: tuple[ReportRow, ...]


def duration_names() -> list[str]:
    """`reply_median_seconds`, `reply_p90_seconds`, ... in the report's column order."""
    return [f"{name}_{which}_seconds" for name, _, _ in DURATIONS for which in FRACTIONS]


def percentile(ordered: Sequence[float], fraction: float) -> float | None:
    """`percentile_cont` over sorted values: linear interpolation at fraction × (n − 1)."""
    if not ordered:
        return None
    position = fraction * (len(ordered) - 1)
    low = math.floor(position)
    high = math.ceil(position)
    return ordered[low] + (position - low) * (ordered[high] - ordered[low])


def _tenth(value: float | None) -> float | None:
    return None if value is None else round(float(value), 1)


def settled_at() -> Case:
    """When a target's status was settled: breached, else fulfilled, else (still in progress)
    activated. The `sla_target_settled` index (migration 0007) is on exactly this expression."""
    return Case(
        When(breached=True, then=F("breached_at")),
        When(fulfilled_at__isnull=False, then=F("fulfilled_at")),
        default=F("activated_at"),
        output_field=DateTimeField(),
    )


def _overdue(now: datetime) -> Q:
    """Running targets past their deadline that the breach clock has not recorded yet (the
    `sla_target_due` partial index covers them)."""
    return Q(
        stage="active",
        breached=False,
        breach_at__isnull=False,
        breach_at__lte=now,
        fulfilled_at__isnull=True,
    )


class PeriodIndex(Func):
    """PostgreSQL's `width_bucket(moment, starts)`: 1 for the first period, 2 for the second...
    A binary search over the periods' first instants, much cheaper per row than converting
    every moment to local time and truncating it."""

    output_field = IntegerField()

    def __init__(self, expression: Any, starts: Sequence[datetime]) -> None:
        super().__init__(expression)
        self.starts = list(starts)

    def as_sql(
        self,
        compiler: SQLCompiler,
        connection: BaseDatabaseWrapper,
        function: str | None = None,
        template: str | None = None,
        arg_joiner: str | None = None,
        **extra_context: Any,
    ) -> tuple[str, tuple[Any, ...]]:
        # The parameters hold the list of starts, which django-stubs' parameter type (str or
        # int) leaves out.
        sql, params = compiler.compile(self.source_expressions[0])
        return f"WIDTH_BUCKET({sql}, %s::timestamptz[])", (*params, self.starts)


def _classified(
    *,
    start: datetime,
    end: datetime,
    now: datetime,
    filters: Filters,
    group_by: str,
    period_starts: Sequence[datetime],
) -> QuerySet[TicketSlaTarget, Mapping[str, Any]]:
    """The period's rows of `filters.kind` (resolved), each as its group, period, outcome, kind
    of duration and elapsed seconds. On PostgreSQL `period` is the period's number; elsewhere
    the moment itself."""
    overdue = _overdue(now)
    # Two index range scans: settled rows by the settled-time index, overdue ones by their
    # deadline.
    in_period = (Q(settled_at__gte=start, settled_at__lt=end) & ~overdue) | (
        overdue & Q(breach_at__gte=start, breach_at__lt=end)
    )
    rows = TicketSlaTarget.objects.alias(
        settled_at=settled_at(),
        report_at=Case(
            When(overdue, then=F("breach_at")),
            default=settled_at(),
            output_field=DateTimeField(),
        ),
    ).filter(in_period)
    columns = GROUP_COLUMNS[filters.kind or "sla"]
    # By metric, not by policy: a deleted policy leaves both kinds' rows without one.
    if filters.kind == "group_sla":
        rows = rows.filter(metric=GROUP_OWNERSHIP_TIME)
    else:
        rows = rows.exclude(metric=GROUP_OWNERSHIP_TIME)
    if filters.policy_id is not None:
        rows = rows.filter(policy_id=filters.policy_id)
    if filters.group_policy_id is not None:
        rows = rows.filter(group_policy_id=filters.group_policy_id)
    if filters.metric is not None:
        rows = rows.filter(metric=filters.metric)
    if filters.priority is not None:
        rows = rows.filter(ticket__priority=filters.priority)
    if filters.group_id is not None:
        rows = rows.filter(**{columns["group"]: filters.group_id})
    fulfilled = Q(fulfilled_at__isnull=False)
    period = (
        PeriodIndex("report_at", period_starts)
        if connection.vendor == "postgresql"
        else F("report_at")
    )
    return rows.order_by().values(
        grp=F(columns[group_by]),
        period=period,
        outcome=Case(
            When(Q(breached=True) | overdue, then=Value("breached")),
            When(fulfilled, then=Value("achieved")),
            default=Value("in_progress"),
            output_field=CharField(),
        ),
        family=Case(
            When(fulfilled & Q(metric__in=REPLY_METRICS), then=Value("reply")),
            When(fulfilled & Q(metric__in=RESOLUTION_METRICS), then=Value("resolution")),
            When(fulfilled & Q(metric__in=OWNERSHIP_METRICS), then=Value("ownership")),
            default=None,
            output_field=CharField(),
        ),
        calendar=F("elapsed_calendar_seconds"),
        business=F("elapsed_business_seconds"),
    )


def _figures_sql() -> str:
    """The aggregates, over the classified rows; every name and literal is a constant here."""
    parts = [f"COUNT(*) FILTER (WHERE outcome = '{o}') AS n_{o}" for o in OUTCOMES]
    parts += [
        f"PERCENTILE_CONT({fraction}) WITHIN GROUP (ORDER BY {column}) "
        f"FILTER (WHERE family = '{family}') AS {name}_{which}_seconds"
        for name, family, column in DURATIONS
        for which, fraction in FRACTIONS.items()
    ]
    return ", ".join(parts)


Figures = dict[str, Any]
Aggregated = tuple[Figures, dict[Any, Figures], dict[int, Figures]]


def _aggregate_in_postgresql(rows: QuerySet[TicketSlaTarget, Mapping[str, Any]]) -> Aggregated:
    """Total, groups and periods in one statement: one scan of the period's rows."""
    inner, params = rows.query.sql_with_params()
    names = ["n_" + o for o in OUTCOMES] + duration_names()
    sql = (
        "SELECT GROUPING(grp), GROUPING(period), grp, period, "
        f"{_figures_sql()} FROM ({inner}) AS classified "
        "GROUP BY GROUPING SETS ((), (grp), (period))"
    )
    total: Figures = {}
    groups: dict[Any, Figures] = {}
    periods: dict[int, Figures] = {}
    with connection.cursor() as cursor:
        # Local to the transaction sla_report opens: room for the sorts, and no JIT, whose
        # compiling costs these one-off expressions more than it saves.
        cursor.execute(
            "SELECT set_config('work_mem', %s, true), set_config('jit', 'off', true)",
            [REPORT_WORK_MEM],
        )
        cursor.execute(sql, params)
        for not_group, not_period, key, period, *values in cursor.fetchall():
            figures = dict(zip(names, values, strict=True))
            if not_group and not_period:
                total = figures
            elif not_period:
                groups[key] = figures
            else:
                periods[period - 1] = figures
    return total, groups, periods


def _aggregate_in_python(
    rows: QuerySet[TicketSlaTarget, Mapping[str, Any]], period_starts: Sequence[datetime]
) -> Aggregated:
    """The same figures from the classified rows, for databases without `percentile_cont`."""
    counts: dict[Any, dict[str, int]] = defaultdict(lambda: dict.fromkeys(OUTCOMES, 0))
    samples: dict[Any, dict[tuple[str, str], list[int]]] = defaultdict(lambda: defaultdict(list))
    for row in rows:
        # The period's number, as width_bucket gives it: the last start at or before the row.
        index = bisect.bisect_right(period_starts, row["period"]) - 1
        for bucket in (("total",), ("group", row["grp"]), ("period", index)):
            counts[bucket][row["outcome"]] += 1
            if row["family"] is not None:
                samples[bucket][(row["family"], "calendar")].append(row["calendar"])
                samples[bucket][(row["family"], "business")].append(row["business"])

    def figures(bucket: tuple[Any, ...]) -> Figures:
        out: Figures = {f"n_{o}": counts[bucket][o] for o in OUTCOMES}
        for name, family, column in DURATIONS:
            ordered = sorted(samples[bucket].get((family, column), []))
            for which, fraction in FRACTIONS.items():
                out[f"{name}_{which}_seconds"] = percentile(ordered, fraction)
        return out

    buckets = list(counts)
    return (
        figures(("total",)) if ("total",) in counts else {},
        {b[1]: figures(b) for b in buckets if b[0] == "group"},
        {b[1]: figures(b) for b in buckets if b[0] == "period"},
    )


def _row(key: str | int | None, label: str, figures: Figures) -> ReportRow:
    return ReportRow(
        key=key,
        label=label,
        achieved=figures.get("n_achieved") or 0,
        breached=figures.get("n_breached") or 0,
        in_progress=figures.get("n_in_progress") or 0,
        durations={name: _tenth(figures.get(name)) for name in duration_names()},
    )


def _labels(kind: str, group_by: str, keys: list[Any]) -> dict[Any, str]:
    """Policy titles and group names, read apart so the aggregation sorts narrow rows."""
    if group_by == "policy" and kind == "group_sla":
        return dict(GroupSlaPolicy.objects.filter(pk__in=keys).values_list("pk", "title"))
    if group_by == "policy":
        return dict(Policy.objects.filter(pk__in=keys).values_list("pk", "title"))
    if group_by == "group":
        return dict(Group.objects.filter(pk__in=keys).values_list("pk", "name"))
    return {key: str(key) for key in keys}


def _group_sort_key(group_by: str, row: ReportRow) -> tuple[Any, ...]:
    if group_by == "priority":
        rank = PRIORITY_ORDER.index(row.key) if row.key in PRIORITY_ORDER else len(PRIORITY_ORDER)
        return (rank,)
    if group_by == "metric":
        return (str(row.key),)
    # Keys of one report are all numbers (SLA policies, groups) or all text (group SLA
    # policies' ULIDs), so they compare.
    return (row.key is None, row.label.casefold(), row.key or 0)


def _periods(start: datetime, end: datetime, zone: ZoneInfo, interval: str) -> list[date]:
    """The local start dates of every day or (Monday-based) week the period touches."""
    first = start.astimezone(zone).date()
    last = (end - timedelta(microseconds=1)).astimezone(zone).date()
    step = timedelta(days=1 if interval == "day" else 7)
    if interval == "week":
        first -= timedelta(days=first.weekday())
    out = []
    day = first
    while day <= last:
        out.append(day)
        day += step
    return out


def sla_report(
    *,
    start: datetime,
    end: datetime,
    now: datetime,
    time_zone: str = "UTC",
    group_by: str = "policy",
    interval: str = "day",
    filters: Filters | None = None,
) -> Report:
    """The report for targets settled in [start, end): totals, one row per group and one per
    day or week (local to `time_zone`, weeks from Monday), empty periods included. Targets of
    one kind (`kind_of(filters)`); the report's `filters` say which."""
    if group_by not in GROUPINGS:
        raise ValueError(f"group_by must be one of {', '.join(GROUPINGS)}")
    if interval not in INTERVALS:
        raise ValueError(f"interval must be one of {', '.join(INTERVALS)}")
    if start >= end:
        raise ValueError("start must be before end")
    filters = filters or Filters()
    kind = kind_of(filters)
    if filters.kind != kind:
        filters = replace(filters, kind=kind)
    zone = ZoneInfo(time_zone)
    days = _periods(start, end, zone, interval)
    # Local midnights, DST included; the first may fall before `start`.
    period_starts = [datetime.combine(day, time(), tzinfo=zone) for day in days]
    rows = _classified(
        start=start,
        end=end,
        now=now,
        filters=filters,
        group_by=group_by,
        period_starts=period_starts,
    )
    with transaction.atomic():
        if connection.vendor == "postgresql":
            total, by_group, by_period = _aggregate_in_postgresql(rows)
        else:
            total, by_group, by_period = _aggregate_in_python(rows, period_starts)
        labels = _labels(kind, group_by, [key for key in by_group if key is not None])

    missing = NO_KEY_LABELS[group_by]
    if group_by == "policy" and kind == "group_sla":
        missing = DELETED_GROUP_POLICY
    groups = [
        _row(key, missing if key is None else labels.get(key, str(key)), figures)
        for key, figures in by_group.items()
    ]
    groups.sort(key=lambda row: _group_sort_key(group_by, row))
    series = tuple(
        _row(day.isoformat(), day.isoformat(), by_period.get(index, {}))
        for index, day in enumerate(days)
    )
    return Report(
        start=start,
        end=end,
        time_zone=zone.key,
        group_by=group_by,
        interval=interval,
        filters=filters,
        total=_row(None, "All targets", total),
        groups=tuple(groups),
        series=series,
    )


def row_figures(row: ReportRow) -> dict[str, Any]:
    """A row's numbers, flat, as the API, the CSV and the page show them."""
    return {
        "key": row.key,
        "label": row.label,
        "achieved": row.achieved,
        "breached": row.breached,
        "in_progress": row.in_progress,
        "achieved_percent": row.achieved_percent,
        **row.durations,
    }


def figure_names() -> list[str]:
    return ["key", "label", "achieved", "breached", "in_progress", "achieved_percent"] + (
        duration_names()
    )


def report_rows(report: Report) -> Iterable[tuple[str, ReportRow]]:
    """Every row with its section: `total`, the grouping's name, then the interval's."""
    yield "total", report.total
    for row in report.groups:
        yield report.group_by, row
    for row in report.series:
        yield report.interval, row


DEFAULT_DAYS = 30


# Longer periods are refused: a daily series stays a few hundred points and the query bounded.
MAX_DAYS = 3 * 366


# Times from the Unix epoch to a year before the end of the calendar, so local dates and weeks
# in any time zone stay representable.
EARLIEST = datetime(1970, 1, 1, tzinfo=UTC)


LATEST = datetime(9999, 1, 1, tzinfo=UTC)


MAX_ID = 2**63 - 1


UNIX_SECONDS = re.compile(r"-?[0-9]{1,12}")


def _moment(raw: str, name: str, zone: ZoneInfo) -> datetime:
    """ISO 8601 (an offset, `Z`, or none: local to the report's time zone; a bare date is
    its local midnight) or Unix seconds."""
    value = raw.strip()
    if UNIX_SECONDS.fullmatch(value):
        seconds = int(value)
        if not 0 <= seconds <= LATEST.timestamp():
            raise BadRequest("InvalidValue", f"{name} is out of range")
        return datetime.fromtimestamp(seconds, UTC)
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        raise BadRequest(
            "InvalidValue", f"{name} must be an ISO 8601 time or Unix seconds"
        ) from None
    try:
        if parsed.tzinfo is None:
            parsed = parsed.replace(tzinfo=zone)
        moment = parsed.astimezone(UTC)
    except (OverflowError, ValueError):
        raise BadRequest("InvalidValue", f"{name} is out of range") from None
    if not EARLIEST <= moment <= LATEST:
        raise BadRequest("InvalidValue", f"{name} is out of range")
    return moment


def _choice(params: Any, name: str, choices: tuple[str, ...], default: str | None) -> str | None:
    raw: str | None = params.get(name)
    if raw is None or raw == "":
        return default
    if raw not in choices:
        raise BadRequest("InvalidValue", f"{name} must be one of: {', '.join(choices)}")
    return raw


def _group_policy_identifier(params: Any, name: str) -> str | None:
    raw = params.get(name)
    if raw is None or raw == "":
        return None
    if not GROUP_POLICY_ID.fullmatch(raw):
        raise BadRequest("InvalidValue", f"{name} must be a group SLA policy id")
    return str(raw)


def _identifier(params: Any, name: str) -> int | None:
    raw = params.get(name)
    if raw is None or raw == "":
        return None
    if not raw.isascii() or not raw.isdigit() or not 1 <= int(raw) <= MAX_ID:
        raise BadRequest("InvalidValue", f"{name} must be a positive integer")
    return int(raw)


def report_from_params(params: Any, *, now: datetime, default_time_zone: str = "UTC") -> Report:
    """Validate the query parameters (400 in Zendesk's shape) and run the report."""
    zone_name = params.get("time_zone") or default_time_zone
    iana = resolve_time_zone(zone_name)
    if iana is None:
        raise BadRequest("InvalidValue", "time_zone must be an IANA or Rails time zone name")
    zone = ZoneInfo(iana)
    end = _moment(params["end_time"], "end_time", zone) if params.get("end_time") else now
    if params.get("start_time"):
        start = _moment(params["start_time"], "start_time", zone)
    else:
        start = end - timedelta(days=DEFAULT_DAYS)
    if start >= end:
        raise BadRequest("InvalidValue", "start_time must be before end_time")
    if end - start > timedelta(days=MAX_DAYS):
        raise BadRequest("InvalidValue", f"The period may be at most {MAX_DAYS} days long")
    group_by = _choice(params, "group_by", GROUPINGS, "policy")
    interval = _choice(params, "interval", INTERVALS, "day")
    filters = Filters(
        kind=_choice(params, "kind", KINDS, None),
        policy_id=_identifier(params, "policy_id"),
        group_policy_id=_group_policy_identifier(params, "group_sla_policy_id"),
        metric=_choice(params, "metric", REPORT_METRICS, None),
        priority=_choice(params, "priority", tuple(p.value for p in Priority), None),
        group_id=_identifier(params, "group_id"),
    )
    try:
        filters = replace(filters, kind=kind_of(filters))
    except ValueError as error:
        raise BadRequest("InvalidValue", str(error)) from None
    return sla_report(
        start=start,
        end=end,
        now=now,
        time_zone=iana,
        group_by=group_by or "policy",
        interval=interval or "day",
        filters=filters,
    )

"""The SLA dashboard at /admin/reports/: the report of `GET /api/v2/slas/reports` as tables and
charts, with a link to the same report as CSV.

The page turns its form (local dates, inclusive) into the API's query parameters and runs the
report through the API's own `report_from_params`, so the page, the JSON and the CSV link are
one code path with one set of parameters.

Ticket SLAs and group SLAs are reported apart (`tickets.reports`, "Kind"): the page opens on
the SLA policies' targets, and a tab above the form shows the group SLA policies' group
ownership time for the same period and filters.

Below the report, every service level objective with its status now (`tickets.objectives`):
rate against target, error budget left, burn rate, and the trend as a table and sparklines.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from django import forms
from django.contrib import admin
from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils import timezone

from policies.engine.vocabulary import METRIC_TITLES, Metric, Priority
from policies.models import GROUP_OWNERSHIP_TIME, GroupSlaPolicy, Policy, metric_title
from slaweb.api.errors import BadRequest
from slaweb.timezones import resolve_time_zone
from tickets.models import Group, ServiceLevelObjective
from tickets.objectives import ObjectiveStatus, objective_list, objective_statuses
from tickets.reports import (
    FRACTIONS,
    KIND_DURATIONS,
    MAX_DAYS,
    Report,
    ReportRow,
    report_from_params,
)

GROUP_BY_CHOICES = [
    ("policy", "Policy"),
    ("metric", "Metric"),
    ("priority", "Priority"),
    ("group", "Group"),
]
INTERVAL_CHOICES = [("day", "Day"), ("week", "Week")]
KIND_CHOICES = [("sla", "Ticket SLAs"), ("group_sla", "Group SLAs")]
# What the page calls each kind's targets.
KIND_TARGETS = {"sla": "SLA targets", "group_sla": "group SLA targets"}
DURATION_TITLES = {
    "reply": "Reply time",
    "reply_business": "Reply time, business hours",
    "resolution": "Resolution time",
    "resolution_business": "Resolution time, business hours",
    "ownership": "Group ownership time",
    "ownership_business": "Group ownership time, business hours",
}


class ReportForm(forms.Form):
    # Chosen by the tabs above the form.
    kind = forms.ChoiceField(label="Report on", choices=KIND_CHOICES, widget=forms.HiddenInput)
    start = forms.DateField(label="From", widget=forms.DateInput(attrs={"type": "date"}))
    end = forms.DateField(label="To (inclusive)", widget=forms.DateInput(attrs={"type": "date"}))
    group_by = forms.ChoiceField(label="Group by", choices=GROUP_BY_CHOICES)
    interval = forms.ChoiceField(label="Over time by", choices=INTERVAL_CHOICES)
    policy = forms.ModelChoiceField(
        label="Policy",
        queryset=Policy.objects.order_by("position", "id"),
        required=False,
        empty_label="All policies",
    )
    group_policy = forms.ModelChoiceField(
        label="Group SLA policy",
        queryset=GroupSlaPolicy.objects.order_by("position", "id"),
        required=False,
        empty_label="All group SLA policies",
    )
    metric = forms.ChoiceField(
        label="Metric",
        choices=[("", "All metrics")]
        + [(m.value, METRIC_TITLES[m]) for m in Metric]
        + [(GROUP_OWNERSHIP_TIME, metric_title(GROUP_OWNERSHIP_TIME))],
        required=False,
    )
    priority = forms.ChoiceField(
        label="Priority",
        choices=[("", "All priorities")] + [(p.value, p.value.capitalize()) for p in Priority],
        required=False,
    )
    group = forms.ModelChoiceField(
        label="Group",
        queryset=Group.objects.order_by("name", "id"),
        required=False,
        empty_label="All groups",
    )

    def clean(self) -> dict[str, Any]:
        super().clean()
        data = self.cleaned_data
        start, end = data.get("start"), data.get("end")
        if start and end:
            if end < start:
                raise forms.ValidationError("The period must end on or after its first day.")
            if (end - start).days + 1 > MAX_DAYS:
                raise forms.ValidationError(f"The period may be at most {MAX_DAYS} days long.")
        kind = data.get("kind")
        metric = data.get("metric")
        if kind == "group_sla":
            if data.get("policy"):
                self.add_error(
                    "policy",
                    "Group SLA targets have no SLA policy: choose a group SLA policy, or "
                    "switch to Ticket SLAs.",
                )
            if metric and metric != GROUP_OWNERSHIP_TIME:
                self.add_error("metric", "Group SLA policies measure group ownership time only.")
        elif kind == "sla":
            if data.get("group_policy"):
                self.add_error("group_policy", "Switch to Group SLAs to choose a group SLA policy.")
            if metric == GROUP_OWNERSHIP_TIME:
                self.add_error("metric", "Switch to Group SLAs to see group ownership time.")
        return data


@dataclass(frozen=True)
class Cell:
    value: Any
    text: str
    name: str = ""


def duration_text(seconds: float | None) -> str:
    """900.0 -> "15 min", 8100.0 -> "2 h 15 min", 45.5 -> "46 s"; the two largest units."""
    if seconds is None:
        return "—"
    whole = round(seconds)
    days, rest = divmod(whole, 86400)
    hours, rest = divmod(rest, 3600)
    minutes, secs = divmod(rest, 60)
    parts = [(days, "d"), (hours, "h"), (minutes, "min"), (secs, "s")]
    shown = [f"{n} {unit}" for n, unit in parts if n][:2]
    return " ".join(shown) if shown else "0 s"


def duration_columns(kind: str = "sla") -> list[tuple[str, str, str]]:
    """(figure name, group title, "Median" / "90th percentile") in the CSV's order, for the
    durations the kind of targets has."""
    labels = {"median": "Median", "p90": "90th percentile"}
    return [
        (f"{name}_{which}_seconds", DURATION_TITLES[name], labels[which])
        for name in KIND_DURATIONS[kind]
        for which in FRACTIONS
    ]


def table_row(row: ReportRow, kind: str = "sla") -> dict[str, Any]:
    percent = row.achieved_percent
    return {
        "key": row.key,
        "label": row.label,
        "counts": [
            Cell(row.achieved, str(row.achieved)),
            Cell(row.breached, str(row.breached)),
            Cell(row.in_progress, str(row.in_progress)),
        ],
        "percent": Cell(percent, "—" if percent is None else f"{percent}%"),
        "durations": [
            Cell(row.durations[name], duration_text(row.durations[name]), name)
            for name, _, _ in duration_columns(kind)
        ],
    }


def _label(report: Report, row: ReportRow) -> str:
    if report.group_by == "metric" and row.key is not None:
        return metric_title(str(row.key))
    if report.group_by == "priority" and row.key is not None:
        return row.label.capitalize()
    return row.label


def _chart_data(rows: list[dict[str, Any]], report_rows: list[ReportRow]) -> dict[str, Any]:
    """What the charts draw: the tables' labels and numbers, nothing else."""
    return {
        "labels": [row["label"] for row in rows],
        "achieved": [row.achieved for row in report_rows],
        "breached": [row.breached for row in report_rows],
        "achieved_percent": [row.achieved_percent for row in report_rows],
    }


def _user_zone(request: HttpRequest) -> str:
    return resolve_time_zone(getattr(request.user, "time_zone", "") or "UTC") or "UTC"


def api_params(data: dict[str, Any], zone: ZoneInfo, zone_name: str) -> dict[str, str]:
    """The form's choices as `GET /api/v2/slas/reports` parameters: local midnights of the
    first day and of the day after the last."""
    start = datetime.combine(data["start"], time(), tzinfo=zone)
    end = datetime.combine(data["end"] + timedelta(days=1), time(), tzinfo=zone)
    params = {
        "start_time": start.isoformat(),
        "end_time": end.isoformat(),
        "time_zone": zone_name,
        "group_by": data["group_by"],
        "interval": data["interval"],
    }
    # Ticket SLAs are the API's default.
    if data.get("kind") == "group_sla":
        params["kind"] = "group_sla"
    if data.get("policy"):
        params["policy_id"] = str(data["policy"].pk)
    if data.get("group_policy"):
        params["group_sla_policy_id"] = str(data["group_policy"].pk)
    if data.get("metric"):
        params["metric"] = data["metric"]
    if data.get("priority"):
        params["priority"] = data["priority"]
    if data.get("group"):
        params["group_id"] = str(data["group"].pk)
    return params


def _percent(value: float | None) -> str:
    return "—" if value is None else f"{value:g}%"


def _signed(value: float | None, unit: str) -> str:
    return "—" if value is None else f"{value:+g}{unit}"


def objective_row(objective: ServiceLevelObjective, state: ObjectiveStatus) -> dict[str, Any]:
    """One line of the objectives table, with each figure's value and text."""
    if objective.group_policy is not None:
        scope = [f"Group SLA: {objective.group_policy.title}"]
    else:
        scope = [objective.policy.title if objective.policy is not None else "(no policy)"]
    if objective.metric:
        scope.append(metric_title(objective.metric))
    if objective.priority:
        scope.append(objective.priority.capitalize())
    target = float(objective.target_rate)
    remaining = state.error_budget_remaining
    return {
        "id": objective.pk,
        "title": objective.title,
        "scope": " · ".join(scope),
        "window_days": objective.window_days,
        "target": Cell(target, f"{target:g}%"),
        "rate": Cell(state.rate, _percent(state.rate)),
        "met": state.met,
        "in_progress": state.in_progress,
        "settled": state.achieved + state.breached,
        "budget": Cell(remaining, f"{remaining} of {state.allowed_breaches}"),
        "consumed": Cell(state.budget_consumed_percent, _percent(state.budget_consumed_percent)),
        "burn_rate": Cell(
            state.burn_rate, "—" if state.burn_rate is None else f"{state.burn_rate:g}×"
        ),
        "previous_rate": Cell(state.previous_rate, _percent(state.previous_rate)),
        "rate_change": Cell(state.rate_change, _signed(state.rate_change, " pts")),
        "change_url": reverse("admin:tickets_servicelevelobjective_change", args=[objective.pk]),
    }


def objectives_context(now: datetime) -> dict[str, Any]:
    """The objectives' rows and what their sparklines draw (the daily rates and the target)."""
    objectives = objective_list()
    states = objective_statuses(objectives, now=now)
    rows = [objective_row(objective, states[objective.pk]) for objective in objectives]
    sparklines = [
        {
            "id": objective.pk,
            "target": float(objective.target_rate),
            "days": [day.day for day in states[objective.pk].daily],
            "rates": [day.rate for day in states[objective.pk].daily],
        }
        for objective in objectives
    ]
    return {"objectives": rows, "objective_sparklines": sparklines}


# Filters that name one kind's policies or metrics, left behind when switching to the other.
KIND_ONLY_FIELDS = ("policy", "group_policy", "metric")


# The form's fields that only one kind uses.
KIND_FIELDS = {"sla": ("policy",), "group_sla": ("group_policy",)}


def form_fields(form: ReportForm, kind: str) -> list[forms.BoundField]:
    """The visible fields for `kind`; the other kind's appear only to show a value or error."""
    other = {name for k, names in KIND_FIELDS.items() if k != kind for name in names}
    return [
        field
        for field in form.visible_fields()
        if field.name not in other or field.errors or field.value()
    ]


def kind_tabs(asked: dict[str, str]) -> list[dict[str, Any]]:
    """A link per kind to the same report (period, grouping, priority and group) of that kind:
    group SLAs are one click from ticket SLAs and back."""
    current = asked.get("kind") or "sla"
    tabs = []
    for kind, title in KIND_CHOICES:
        kept = {k: v for k, v in asked.items() if k not in ("kind", *KIND_ONLY_FIELDS) and v}
        if kind == current:
            kept = {k: v for k, v in asked.items() if k != "kind" and v}
        tabs.append(
            {
                "kind": kind,
                "title": title,
                "current": kind == current,
                "url": "?" + urlencode({"kind": kind, **kept}),
            }
        )
    return tabs


def reports_view(request: HttpRequest) -> HttpResponse:
    """Agents and admins (the admin site's own sign-in and staff check wrap it)."""
    now = timezone.now()
    zone_name = _user_zone(request)
    zone = ZoneInfo(zone_name)
    today: date = now.astimezone(zone).date()
    defaults = {
        "kind": "sla",
        "start": today - timedelta(days=29),
        "end": today,
        "group_by": "policy",
        "interval": "day",
    }
    asked = {**{k: str(v) for k, v in defaults.items()}, **request.GET.dict()}
    form = ReportForm(asked)
    report = None
    params: dict[str, str] = {}
    if form.is_valid():
        params = api_params(form.cleaned_data, zone, zone_name)
        try:
            report = report_from_params(params, now=now, default_time_zone=zone_name)
        except BadRequest as error:
            form.add_error(None, error.description)
    context: dict[str, Any] = {
        **admin.site.each_context(request),
        "title": "SLA reports",
        "subtitle": None,
        "form": form,
        "report": report,
        "time_zone": zone_name,
        "kind_tabs": kind_tabs(asked),
        "form_fields": form_fields(form, asked.get("kind") or "sla"),
        **objectives_context(now),
        "objectives_url": reverse("admin:tickets_servicelevelobjective_changelist"),
        "can_add_objectives": request.user.has_perm("tickets.add_servicelevelobjective"),
    }
    if report is not None:
        kind = report.filters.kind or "sla"
        groups = [{**table_row(row, kind), "label": _label(report, row)} for row in report.groups]
        series = [table_row(row, kind) for row in report.series]
        context |= {
            "kind": kind,
            "targets": KIND_TARGETS[kind],
            "duration_columns": duration_columns(kind),
            "duration_groups": [DURATION_TITLES[name] for name in KIND_DURATIONS[kind]],
            "chart": {
                "groups": _chart_data(groups, [row for row in report.groups]),
                "series": _chart_data(series, list(report.series)),
            },
            "labels": {
                "group_by": dict(GROUP_BY_CHOICES)[report.group_by],
                "interval": dict(INTERVAL_CHOICES)[report.interval],
            },
            "total": table_row(report.total, kind),
            "groups": groups,
            "series": series,
            "csv_url": reverse("sla-report-csv") + "?" + urlencode(params),
            "json_url": reverse("sla-report") + "?" + urlencode(params),
        }
    return TemplateResponse(request, "admin/reports/sla_report.html", context)

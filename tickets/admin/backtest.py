"""The backtest page at /admin/reports/backtest/: the draft policy list as JSON (prefilled with
the live policies in the API's shape), the draft group SLA policy list likewise, and a number
of days, run through the API's own `backtest_from_body`, shown as live and draft figures side
by side: the ticket SLA targets, then the group ownership targets."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from django.utils import timezone

from policies import selectors as policy_selectors
from policies.api.serializers import policy_to_dict
from policies.engine.vocabulary import METRIC_TITLES, Metric, Priority
from policies.models import metric_title
from slaweb.api.errors import BadRequest, RecordInvalid
from slaweb.forms import json_loads
from tickets.sla.backtest import DEFAULT_DAYS, GROUPINGS, MAX_DAYS, MIN_DAYS, backtest_from_body

GROUP_BY_LABELS = {
    "": "Totals only",
    "metric": "Metric",
    "priority": "Priority",
    "policy": "Policy",
}
# What a policy body carries that validation ignores and the draft does not need.
READ_ONLY_KEYS = ("url", "created_at", "updated_at", "position")


def live_drafts(request: HttpRequest) -> list[dict[str, Any]]:
    """The live policies in the API's shape, in position order: the starting draft."""
    root = request.build_absolute_uri("/").rstrip("/")
    drafts = []
    for policy in policy_selectors.policy_queryset():
        body = policy_to_dict(policy, root)
        drafts.append({k: v for k, v in body.items() if k not in READ_ONLY_KEYS})
    return drafts


def live_group_drafts() -> list[dict[str, Any]]:
    """The live group SLA policies in the API's shape, in position order."""
    return [
        {
            "id": policy.pk,
            "title": policy.title,
            "description": policy.description,
            "filter": policy_selectors.group_sla_policy_filter(policy),
            "policy_metrics": policy_selectors.group_sla_policy_metrics(policy),
        }
        for policy in policy_selectors.group_sla_policy_queryset()
    ]


def _label(group_by: str | None, key: str | None, label: str) -> str:
    if group_by == "metric" and key is not None:
        return metric_title(key)
    if group_by == "priority" and key is not None:
        return label.capitalize()
    return label


def _signed(value: float | int | None, suffix: str = "") -> str:
    if value is None:
        return "—"
    return f"{value:+g}{suffix}" if value else f"0{suffix}"


def _row(label: str, row: dict[str, Any]) -> dict[str, Any]:
    live, draft, difference = row["live"], row["draft"], row["difference"]

    def percent(value: float | None) -> str:
        return "—" if value is None else f"{value:g}%"

    return {
        "label": label,
        "live": {**live, "percent_text": percent(live["achieved_percent"])},
        "draft": {**draft, "percent_text": percent(draft["achieved_percent"])},
        "difference": {
            **difference,
            "percent_text": _signed(difference["achieved_percent"], " pts"),
            "breached_text": _signed(difference["breached"]),
        },
        "changed": any(difference[k] for k in ("achieved", "breached", "in_progress")),
    }


# Which form field an API error is about: the page lists each error beside its own field.
FIELD_OF_DETAIL = {"days": "days", "group_by": "group_by"}


def field_errors(details: dict[str, list[dict[str, str]]]) -> dict[str, list[str]]:
    """Zendesk's error details keyed by the page's fields (`policies`, `group_policies`,
    `days`, `group_by`)."""
    placed: dict[str, list[str]] = {}
    for key, entries in details.items():
        field = FIELD_OF_DETAIL.get(key, "policies")
        if key.startswith("group_sla_policies"):
            field = "group_policies"
        for entry in entries:
            text = entry["description"]
            if field == "days":
                text = text.replace("Days: must be", "Days back must be")
            elif field == "group_by":
                text = "Choose one of the groupings offered."
            placed.setdefault(field, []).append(text)
    return placed


def backtest_view(request: HttpRequest) -> HttpResponse:
    """Admins only (the admin site's sign-in wraps it; agents are refused here)."""
    if not getattr(request.user, "is_admin", False):
        raise PermissionDenied
    now = timezone.now()
    # Every problem as the API words it, and the same placed on the page's fields.
    errors: list[str] = []
    placed: dict[str, list[str]] = {}
    result = None
    if request.method == "POST":
        drafts_text = request.POST.get("sla_policies", "")
        group_drafts_text = request.POST.get("group_sla_policies", "")
        days_text = request.POST.get("days", "")
        group_by = request.POST.get("group_by", "")
        body: dict[str, Any] | None = None
        try:
            parsed = json_loads(drafts_text)
        except ValueError as error:
            placed["policies"] = [f"The draft policies are not valid JSON: {error}"]
        # Blank leaves group SLA policies out of the comparison.
        parsed_groups = None
        if group_drafts_text.strip():
            try:
                parsed_groups = json_loads(group_drafts_text)
            except ValueError as error:
                placed["group_policies"] = [
                    f"The draft group SLA policies are not valid JSON: {error}"
                ]
        errors = [e for field in ("policies", "group_policies") for e in placed.get(field, [])]
        if not placed:
            # The API's body exactly: a whole number of days, or what the API rejects.
            days: Any = int(days_text) if days_text.strip().lstrip("-").isdigit() else days_text
            body = {
                "sla_policies": parsed,
                "group_sla_policies": parsed_groups,
                "days": days,
                "group_by": group_by or None,
            }
        if body is not None:
            try:
                result = backtest_from_body(body, now=now)
            except RecordInvalid as error:
                errors = [e["description"] for entries in error.details.values() for e in entries]
                placed = field_errors(error.details)
            except BadRequest as error:
                errors = [error.description]
                placed = {"policies": [error.description]}
    else:
        drafts_text = json.dumps(live_drafts(request), indent=2)
        live_groups = live_group_drafts()
        group_drafts_text = json.dumps(live_groups, indent=2) if live_groups else ""
        days_text = str(DEFAULT_DAYS)
        group_by = "metric"
    context: dict[str, Any] = {
        **admin.site.each_context(request),
        "title": "Backtest SLA policies",
        "subtitle": None,
        "drafts_text": drafts_text,
        "days_text": days_text,
        "group_by": group_by,
        "group_by_choices": [(k, GROUP_BY_LABELS[k]) for k in ("", *GROUPINGS)],
        "priority_choices": [(p.value, p.value.capitalize()) for p in reversed(list(Priority))],
        "metric_choices": [(m.value, METRIC_TITLES[m]) for m in Metric],
        "min_days": MIN_DAYS,
        "max_days": MAX_DAYS,
        "errors": errors,
        "field_errors": placed,
        "live_json": live_drafts(request),
        "group_drafts_text": group_drafts_text,
        "live_groups_json": live_group_drafts(),
        "result": result,
    }
    if result is not None:
        context["total"] = _row("All targets", result["total"])
        context["rows"] = [
            _row(_label(result["group_by"], row["key"], row["label"]), row)
            for row in result["groups"]
        ]
        context["group_label"] = GROUP_BY_LABELS[result["group_by"] or ""]
        group_sla = result["group_sla"]
        if group_sla is not None:
            context["group_total"] = _row("All group ownership targets", group_sla["total"])
            context["group_rows"] = [
                _row(_label(result["group_by"], row["key"], row["label"]), row)
                for row in group_sla["groups"]
            ]
        context["started"] = now - timedelta(days=result["days"])
    return TemplateResponse(request, "admin/backtest/backtest.html", context, status=200)

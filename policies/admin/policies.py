"""Admin pages for SLA policies. Every write goes through policies.services, validated by the
same serializer as the API, so the pages and the API accept and reject exactly the same input.

The list page reorders (drag and drop, or Up/Down buttons) through `reorder/`, which calls the
same service as `PUT /api/v2/slas/policies/reorder` with the order the page was showing, so a
reorder made elsewhere in the meantime is refused instead of overwritten. The editor's condition
builder and target grid (static/slaweb/js/policy_form.js) write the API's JSON into the
`filter` and `policy_metrics` fields, and the serializer's errors come back keyed by condition
row and target cell.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Sequence
from typing import Any, cast

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.views.main import ORDER_VAR, ChangeList
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect, JsonResponse
from django.shortcuts import get_object_or_404
from django.urls import URLPattern, path, reverse
from django.utils.html import format_html

from policies import selectors, services
from policies.engine.shadowing import first_covering
from policies.engine.vocabulary import METRIC_TITLES, VIA_CHANNELS, Metric, Priority
from policies.inputs import PolicyInputSerializer, full_metric_settings
from policies.models import Policy
from tickets.selectors import definition_items, policy_input_context

CONDITION_ERROR_RE = re.compile(r"^(all|any)\[(\d+)\]: (.*)$", re.DOTALL)
# The target grid's rows, in the order Zendesk's policy editor lists the metrics.
GRID_METRICS = [
    Metric.FIRST_REPLY_TIME,
    Metric.NEXT_REPLY_TIME,
    Metric.PERIODIC_UPDATE_TIME,
    Metric.PAUSABLE_UPDATE_TIME,
    Metric.REQUESTER_WAIT_TIME,
    Metric.AGENT_WORK_TIME,
    Metric.TOTAL_RESOLUTION_TIME,
]


def target_grid() -> list[dict[str, Any]]:
    """Rows of the target grid: one per metric, one cell per priority."""
    return [
        {
            "metric": metric.value,
            "title": METRIC_TITLES[metric],
            "cells": [
                {
                    "priority": priority.value,
                    "key": f"{priority.value}:{metric.value}",
                    "id": f"target-{priority.value}-{metric.value}",
                    "label": f"{priority.value.capitalize()}, {METRIC_TITLES[metric]}",
                }
                for priority in Priority
            ],
        }
        for metric in GRID_METRICS
    ]


# Channels Zendesk retired or slaweb never receives tickets from: kept in the definitions (the
# API serves Zendesk's document) but not offered by the builder, unless a policy already uses
# one.
RETIRED_CHANNELS = frozenset(
    str(channel_id)
    for channel_id, title in VIA_CHANNELS.items()
    if title in {"Get Satisfaction", "Twitter Like", "Forum topic", "Satisfaction Prediction"}
)
# "Type (name)" matches the same tickets as "Type"; the builder offers only "Type".
DUPLICATE_FIELDS = frozenset({"type"})
CHANNEL_FIELDS = frozenset({"via_id", "current_via_id"})


def builder_definitions() -> list[dict[str, Any]]:
    """The condition definitions for the builder: fields and values it does not offer are
    marked `hidden`, so a stored condition that uses one still shows by name."""
    items = []
    for item in definition_items():
        item = {**item, "hidden": item["value"] in DUPLICATE_FIELDS}
        if item["value"] in CHANNEL_FIELDS:
            item["values"] = {
                **item["values"],
                "list": [
                    {**entry, "hidden": str(entry["value"]) in RETIRED_CHANNELS}
                    for entry in item["values"]["list"]
                ],
            }
        items.append(item)
    return items


def duration_words(seconds: int) -> str:
    """3600 -> "1 hour", 5400 -> "1 hour 30 minutes", 86400 -> "1 day"."""
    parts = []
    rest = seconds
    for size, unit in ((86400, "day"), (3600, "hour"), (60, "minute"), (1, "second")):
        amount, rest = divmod(rest, size)
        if amount:
            parts.append(f"{amount} {unit}{'s' if amount != 1 else ''}")
    return " ".join(parts) or "0 minutes"


def target_summary(metrics: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The targets a policy sets, by priority (urgent first), in words; empty cells left out."""
    titles = {metric.value: METRIC_TITLES[metric] for metric in Metric}
    order = {metric.value: index for index, metric in enumerate(GRID_METRICS)}
    rows = []
    for priority in reversed(list(Priority)):
        items = sorted(
            (m for m in metrics if m["priority"] == priority.value),
            key=lambda m: order.get(m["metric"], len(order)),
        )
        if items:
            rows.append(
                {
                    "priority": priority.value.capitalize(),
                    "targets": [
                        {
                            "metric": titles.get(m["metric"], m["metric"]),
                            "duration": duration_words(int(m["target_in_seconds"])),
                            "hours": "business hours" if m["business_hours"] else "calendar hours",
                        }
                        for m in items
                    ],
                }
            )
    return rows


def is_catch_all(filter: dict[str, Any]) -> bool:
    return not filter.get("all") and not filter.get("any")


def position_choices(policy_id: int | None) -> tuple[list[tuple[str, str]], int]:
    """(choices, default) for where a policy goes: each place named by its neighbours.

    A new policy goes before the catch-all (a last policy without conditions), where it can
    match; otherwise last.
    """
    others = [
        p for p in selectors.policy_queryset().order_by("position", "id") if p.pk != policy_id
    ]
    choices: list[tuple[str, str]] = []
    for index, policy in enumerate(others):
        label = f"before “{policy.title}”"
        if index == len(others) - 1 and is_catch_all(selectors.policy_filter_dict(policy)):
            label += " (catch-all)"
        if index == 0:
            label = f"First, {label}"
        choices.append((str(index + 1), label))
    last = f"Last, after “{others[-1].title}”" if others else "First (the only policy)"
    choices.append((str(len(others) + 1), last))
    default = len(others) + 1
    if others and is_catch_all(selectors.policy_filter_dict(others[-1])):
        default = len(others)
    return choices, default


def condition_words(condition: dict[str, Any], definitions: dict[str, Any]) -> str:
    """{"field": "ticket_type_id", "operator": "is", "value": "2"} -> "Type is Incident"."""
    item = definitions.get(condition["field"])
    if item is None:
        return f"{condition['field']} {condition['operator']} {condition['value']}"
    operator = next(
        (op["title"].lower() for op in item["operators"] if op["value"] == condition["operator"]),
        condition["operator"],
    )
    values = condition["value"] if isinstance(condition["value"], list) else [condition["value"]]
    titles = {str(entry["value"]): entry["title"] for entry in item["values"].get("list", [])}
    words = ", ".join(titles.get(str(value), str(value)) for value in values)
    return f"{item['title']} {operator} {words}"


class PrettyJSONField(forms.JSONField):
    def prepare_value(self, value: Any) -> str:
        if isinstance(value, str):
            return value
        return json.dumps(value, indent=2)


class PolicyAdminForm(forms.ModelForm[Policy]):
    filter = PrettyJSONField(
        initial={"all": [], "any": []},
        widget=forms.Textarea(attrs={"rows": 8, "cols": 80}),
        help_text='Conditions as in the API: {"all": [{"field", "operator", "value"}], "any": []}',
    )
    # Not required: an empty list (a policy without targets) is a valid policy.
    policy_metrics = PrettyJSONField(
        required=False,
        initial=[],
        widget=forms.Textarea(attrs={"rows": 8, "cols": 80}),
        help_text='Targets as in the API: [{"priority", "metric", "target", "business_hours"}]',
    )
    metric_settings = PrettyJSONField(
        required=False, initial={}, widget=forms.Textarea(attrs={"rows": 6, "cols": 80})
    )
    position = forms.TypedChoiceField(
        label="Position",
        coerce=int,
        empty_value=None,
        required=False,
        help_text="Policies are tried from the top; the first whose conditions a ticket meets "
        "applies. A policy placed after the catch-all can never match.",
    )

    class Meta:
        model = Policy
        fields = ["title", "description", "position"]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # Errors by condition row and target cell, for the builder to show next to them.
        self.placed_errors: dict[str, Any] = {}
        choices, default = position_choices(self.instance.pk)
        position = cast(forms.TypedChoiceField, self.fields["position"])
        if self.instance.pk:
            # Blank keeps it where it is, whatever moved while the page was open.
            position.choices = [("", "Where it is now"), *choices]
        else:
            position.choices = choices
            self.initial.setdefault("position", default)
            if default < len(choices):
                position.help_text = (
                    f"A new policy goes {choices[default - 1][1]}, so it can match: policies "
                    "are tried from the top, and the first whose conditions a ticket meets "
                    "applies."
                )
        self.default_position_label = dict(choices).get(str(default), "")
        if self.instance.pk:
            policy = selectors.policy_get(policy_id=self.instance.pk)
            # Blank means "where it is": a position read when the page opened would undo a
            # reorder made while it was open.
            self.initial["position"] = None
            self.initial["filter"] = selectors.policy_filter_dict(policy)
            self.initial["policy_metrics"] = selectors.policy_metrics_list(policy)
            self.initial["metric_settings"] = full_metric_settings(policy.metric_settings)

    def clean(self) -> dict[str, Any]:
        super().clean()
        cleaned = self.cleaned_data
        data = {
            "title": cleaned.get("title", ""),
            "description": cleaned.get("description") or None,
            "filter": cleaned.get("filter"),
            "policy_metrics": cleaned.get("policy_metrics") or [],
            "metric_settings": cleaned.get("metric_settings") or {},
        }
        if cleaned.get("position"):
            data["position"] = cleaned["position"]
        serializer = PolicyInputSerializer(data=data, context=policy_input_context())
        if not serializer.is_valid():
            # Placed first: add_error drops the field from cleaned_data.
            self.placed_errors = placed_errors(serializer.errors, data["policy_metrics"])
            for name, problems in serializer.errors.items():
                target = name if name in self.fields else None
                if target is not None and target in self.errors:
                    continue  # the form said it already: one message per problem
                self.add_error(target, [str(p) for p in _flatten(problems)])
        else:
            self.validated = dict(serializer.validated_data)
        return cleaned


def _flatten(problems: Any) -> list[str]:
    if isinstance(problems, dict):
        return [f"{key}: {p}" for key, value in problems.items() for p in _flatten(value)]
    if isinstance(problems, list):
        return [p for item in problems for p in _flatten(item)]
    return [str(problems)]


def placed_errors(errors: dict[str, Any], metrics: Any) -> dict[str, Any]:
    """The serializer's errors keyed by where the builder shows them.

    `conditions` is keyed "all:0", `targets` "urgent:first_reply_time" (found through the
    submitted metric at that index); `filter` and `policy_metrics` hold what concerns no single
    row or cell.
    """
    placed: dict[str, Any] = {"conditions": {}, "targets": {}, "filter": [], "policy_metrics": []}
    for problem in _flatten(errors.get("filter", [])):
        match = CONDITION_ERROR_RE.match(problem)
        if match:
            placed["conditions"].setdefault(f"{match[1]}:{match[2]}", []).append(match[3])
        else:
            placed["filter"].append(problem)
    # DRF reports a list's item errors as {index: errors} (or, in older releases, as a list
    # with one entry per item); anything else concerns the list as a whole.
    metric_errors = errors.get("policy_metrics", [])
    by_index: dict[Any, Any] = {}
    if isinstance(metric_errors, dict):
        by_index = metric_errors
    elif isinstance(metric_errors, list) and all(isinstance(e, dict) for e in metric_errors):
        by_index = dict(enumerate(metric_errors))
    else:
        placed["policy_metrics"].extend(_flatten(metric_errors))
    for index, problems in by_index.items():
        if not problems:
            continue
        item = None
        if isinstance(index, int) and isinstance(metrics, list) and index < len(metrics):
            item = metrics[index]
        if isinstance(item, dict) and isinstance(item.get("priority"), str):
            key = f"{item['priority']}:{item.get('metric')}"
            placed["targets"].setdefault(key, []).extend(_flatten(problems))
        else:
            placed["policy_metrics"].extend(_flatten(problems))
    return placed


def shadowing_policy(
    filter: dict[str, Any], policy_id: int | None, position: int | None = None
) -> dict[str, Any] | None:
    """The earlier policy that catches every ticket `filter` would, placed as it would be saved.

    `policy_id` is the policy being edited (None for a new one); `position` where it would go
    (None: where it is, or last).
    """
    data: dict[str, Any] = {"filter": filter}
    if position is not None:
        data["position"] = position
    snapshots = selectors.draft_snapshots(data, policy_id)
    own_id = policy_id if policy_id is not None else 0
    index = next(i for i, snap in enumerate(snapshots) if snap["id"] == own_id)
    earlier = snapshots[:index]
    found = first_covering(filter, [snap["filter"] for snap in earlier])
    if found is None:
        return None
    snap = earlier[found]
    return {"id": snap["id"], "title": snap["title"], "position": snap["position"]}


def shadowed_policies(policies: Sequence[Policy]) -> dict[int, Policy]:
    """For each policy (given in position order) that can never match, the one that wins."""
    filters = [selectors.policy_filter_dict(policy) for policy in policies]
    shadowed = {}
    for index, policy in enumerate(policies):
        found = first_covering(filters[index], filters[:index])
        if found is not None:
            shadowed[policy.pk] = policies[found]
    return shadowed


def shadow_message(title: str, winner: dict[str, Any]) -> str:
    return (
        f"“{title}” can never match: “{winner['title']}” (position {winner['position']}) comes "
        "earlier and catches every ticket it would. Move it above, or narrow the earlier one."
    )


class PolicyChangeList(ChangeList):
    def get_results(self, request: HttpRequest) -> None:
        super().get_results(request)
        # Shadowing depends on every earlier policy, not just the ones on this page.
        shadowed = shadowed_policies(list(selectors.policy_queryset().order_by("position", "id")))
        for policy in self.result_list:
            policy.shadowed_by = shadowed.get(policy.pk)


def _json_body(request: HttpRequest) -> dict[str, Any]:
    try:
        body = json.loads(request.body or b"null")
    except (ValueError, UnicodeDecodeError):
        body = None
    if not isinstance(body, dict):
        raise ValueError("The request body must be a JSON object.")
    return body


def _id_list(value: Any, name: str) -> list[int]:
    if not isinstance(value, list) or not all(
        isinstance(item, int) and not isinstance(item, bool) for item in value
    ):
        raise ValueError(f"“{name}” must be a list of policy ids.")
    if len(set(value)) != len(value):
        raise ValueError(f"“{name}” names a policy twice.")
    return value


@admin.register(Policy)
class PolicyAdmin(admin.ModelAdmin[Policy]):
    form = PolicyAdminForm
    list_display_links = ["title"]
    ordering = ["position", "id"]
    # The list is the matching order: reordering needs every policy on one page, in that order.
    sortable_by = ()
    list_per_page = 1000
    actions = ["clone_policies"]
    change_list_template = "admin/policies/policy/change_list.html"
    change_form_template = "admin/policies/policy/change_form.html"

    # Lists -------------------------------------------------------------------------------

    def can_reorder(self, request: HttpRequest) -> bool:
        # A list sorted by a column (?o=) is not the matching order, so it cannot be reordered.
        return self.has_change_permission(request) and ORDER_VAR not in request.GET

    def get_list_display(self, request: HttpRequest) -> list[str | Callable[[Policy], str | bool]]:
        columns: list[str | Callable[[Policy], str | bool]] = [
            "position",
            "title",
            "description",
            "matching",
            "updated_at",
        ]
        if self.can_reorder(request):
            return ["order_controls", *columns]
        return columns

    def get_changelist(self, request: HttpRequest, **kwargs: Any) -> type[ChangeList]:
        return PolicyChangeList

    @admin.display(description="Order")
    def order_controls(self, obj: Policy) -> str:
        # Rendered disabled; policy_list.js enables them, so nothing moves when it loads.
        return format_html(
            '<span class="policy-order" data-policy-id="{id}" data-policy-title="{title}">'
            '<span class="policy-handle" aria-hidden="true" title="Drag to reorder">⠿</span>'
            '<button type="button" class="policy-move" data-move="up" disabled '
            'aria-label="Move “{title}” up">↑<span class="policy-move-text"> Up</span></button>'
            '<button type="button" class="policy-move" data-move="down" disabled '
            'aria-label="Move “{title}” down">↓<span class="policy-move-text"> Down</span></button>'
            "</span>",
            id=obj.pk,
            title=obj.title,
        )

    @admin.display(description="Matching")
    def matching(self, obj: Policy) -> str:
        winner = getattr(obj, "shadowed_by", None)
        if winner is None:
            return format_html('<span class="policy-matching" data-policy-id="{}"></span>', obj.pk)
        return format_html(
            '<span class="policy-matching policy-shadowed" data-policy-id="{}">'
            "Never matches: “{}” comes first</span>",
            obj.pk,
            winner.title,
        )

    def changelist_view(
        self, request: HttpRequest, extra_context: dict[str, Any] | None = None
    ) -> HttpResponse:
        context = {
            **(extra_context or {}),
            "can_reorder": self.can_reorder(request),
            "reorder_url": reverse("admin:policies_policy_reorder"),
            "impact_url": reverse("policy-impact"),
        }
        return super().changelist_view(request, extra_context=context)

    # Extra views -------------------------------------------------------------------------

    def get_urls(self) -> list[URLPattern]:
        own = [
            path(
                "reorder/",
                self.admin_site.admin_view(self.reorder_view),
                name="policies_policy_reorder",
            ),
            path(
                "shadowing/",
                self.admin_site.admin_view(self.shadowing_view),
                name="policies_policy_shadowing",
            ),
            path(
                "<int:object_id>/clone/",
                self.admin_site.admin_view(self.clone_view),
                name="policies_policy_clone",
            ),
        ]
        return own + super().get_urls()

    def reorder_view(self, request: HttpRequest) -> JsonResponse:
        """POST {"order": [ids...], "expected": [ids as the page showed them]}."""
        if request.method != "POST":
            return JsonResponse({"error": "Use POST."}, status=405, headers={"Allow": "POST"})
        if not self.has_change_permission(request):
            return JsonResponse({"error": "You may not reorder SLA policies."}, status=403)
        try:
            body = _json_body(request)
            order = _id_list(body.get("order"), "order")
            expected = _id_list(body.get("expected"), "expected")
            if sorted(order) != sorted(expected):
                raise ValueError("“order” must list exactly the policies in “expected”.")
        except ValueError as error:
            return JsonResponse({"error": str(error)}, status=422)
        try:
            services.policy_reorder(policy_ids=order, expected_ids=expected)
        except services.OrderChanged as changed:
            messages.warning(
                request,
                "Another admin changed the order of the SLA policies while you were moving "
                "them. Nothing was saved; this is the current order.",
            )
            message = "Another admin changed the order in the meantime. Nothing was saved."
            return JsonResponse({"error": message, "order": changed.current_ids}, status=409)
        except services.UnknownPolicies as error:
            return JsonResponse({"error": str(error)}, status=422)
        policies = list(selectors.policy_queryset().order_by("position", "id"))
        shadowed = shadowed_policies(policies)
        return JsonResponse(
            {
                "order": [policy.pk for policy in policies],
                "shadowed": {str(pk): winner.title for pk, winner in shadowed.items()},
            }
        )

    def shadowing_view(self, request: HttpRequest) -> JsonResponse:
        """POST {"filter": {...}, "id": the edited policy or null, "position": n or null}."""
        if request.method != "POST":
            return JsonResponse({"error": "Use POST."}, status=405, headers={"Allow": "POST"})
        if not (self.has_change_permission(request) or self.has_add_permission(request)):
            return JsonResponse({"error": "You may not edit SLA policies."}, status=403)
        try:
            body = _json_body(request)
            filter = body.get("filter")
            if not isinstance(filter, dict) or not all(
                isinstance(filter.get(group, []), list)
                and all(isinstance(c, dict) for c in filter.get(group, []))
                for group in ("all", "any")
            ):
                raise ValueError('“filter” must be {"all": [...], "any": [...]}.')
            policy_id, position = body.get("id"), body.get("position")
            for name, value in (("id", policy_id), ("position", position)):
                if value is not None and (
                    isinstance(value, bool) or not isinstance(value, int) or value < 1
                ):
                    raise ValueError(f"“{name}” must be a positive integer or null.")
        except ValueError as error:
            return JsonResponse({"error": str(error)}, status=422)
        if policy_id is not None and not Policy.objects.filter(pk=policy_id).exists():
            return JsonResponse({"error": "No such SLA policy."}, status=404)
        winner = shadowing_policy(filter, policy_id, position)
        return JsonResponse({"shadowed_by": winner})

    def clone_view(self, request: HttpRequest, object_id: int) -> HttpResponse:
        if not self.has_add_permission(request):
            raise PermissionDenied
        if request.method != "POST":
            return HttpResponse(status=405, headers={"Allow": "POST"})
        source = get_object_or_404(Policy, pk=object_id)
        copy = services.policy_clone(policy_id=source.pk)
        messages.success(
            request, f"Cloned “{source.title}”: the copy is last in the list. Edit it here."
        )
        return HttpResponseRedirect(reverse("admin:policies_policy_change", args=[copy.pk]))

    # The editor --------------------------------------------------------------------------

    def get_fieldsets(self, request: HttpRequest, obj: Policy | None = None) -> Any:
        if obj is not None and not self.has_change_permission(request, obj):
            return [(None, {"fields": ["title", "description"]})]
        return [
            (None, {"fields": ["title", "description", "position"]}),
            (
                "Filter and targets as JSON",
                {
                    "fields": ["filter", "policy_metrics"],
                    "classes": ["policy-json-fields"],
                    "description": "The conditions and targets as the API takes them.",
                },
            ),
            ("Advanced", {"fields": ["metric_settings"], "classes": ["collapse"]}),
        ]

    def render_change_form(
        self,
        request: HttpRequest,
        context: dict[str, Any],
        add: bool = False,
        change: bool = False,
        form_url: str = "",
        obj: Policy | None = None,
    ) -> HttpResponse:
        form = context["adminform"].form
        editable = self.has_change_permission(request, obj) if obj else True
        config: dict[str, Any] = {
            "readonly": not editable,
            "policyId": obj.pk if obj else None,
            "definitions": builder_definitions(),
            "priorities": [p.value for p in Priority],
            "metrics": [m.value for m in GRID_METRICS],
            "errors": getattr(form, "placed_errors", {}),
            "impactUrl": reverse("policy-impact"),
            "shadowingUrl": reverse("admin:policies_policy_shadowing"),
            "ticketsUrl": reverse("admin:tickets_ticket_changelist"),
        }
        policy = selectors.policy_get(policy_id=obj.pk) if obj is not None else None
        if not editable and policy is not None:
            # View-only pages have no JSON fields to read; the builder shows the stored policy.
            config["initial"] = {
                "filter": selectors.policy_filter_dict(policy),
                "policy_metrics": selectors.policy_metrics_list(policy),
            }
        summary = None
        if not editable and policy is not None:
            summary = {
                "targets": target_summary(selectors.policy_metrics_list(policy)),
                "catch_all": is_catch_all(selectors.policy_filter_dict(policy)),
                "position": policy.position,
            }
        shadow = None
        if policy is not None:
            winner = shadowing_policy(selectors.policy_filter_dict(policy), policy.pk)
            shadow = shadow_message(policy.title, winner) if winner else None
        context.update(
            {
                "policy_editor": config,
                "policy_editable": editable,
                "target_grid": target_grid(),
                "target_units": [("days", "d"), ("hours", "h"), ("minutes", "m")],
                "priorities": [(p.value, p.value.capitalize()) for p in Priority],
                "shadow_warning": shadow,
                "policy_summary": summary,
                "default_position": getattr(form, "default_position_label", ""),
                "clone_url": reverse("admin:policies_policy_clone", args=[obj.pk]) if obj else "",
                "can_clone": obj is not None and self.has_add_permission(request),
            }
        )
        return super().render_change_form(request, context, add, change, form_url, obj)

    # Writes ------------------------------------------------------------------------------

    def save_model(self, request: HttpRequest, obj: Policy, form: Any, change: bool) -> None:
        data = form.validated
        if change:
            saved = services.policy_update(policy_id=obj.pk, data=data)
        else:
            saved = services.policy_create(**data)
        obj.pk = saved.pk
        winner = shadowing_policy(data["filter"], saved.pk)
        if winner:
            messages.warning(request, shadow_message(saved.title, winner))

    def save_related(self, request: HttpRequest, form: Any, formsets: Any, change: bool) -> None:
        """Conditions and metrics were saved by the service."""

    def get_deleted_objects(
        self, objs: Sequence[Policy] | QuerySet[Policy], request: HttpRequest
    ) -> tuple[list[Any], dict[str, int], set[str], list[Any]]:
        """What a delete removes, as an admin reads a policy: its conditions and targets in
        words, not the rows that store them."""
        definitions = {item["value"]: item for item in definition_items()}
        listed: list[Any] = []
        counts = {"SLA policies": 0, "conditions": 0, "targets": 0}
        for policy in selectors.policy_queryset().filter(pk__in=[p.pk for p in objs]):
            filter = selectors.policy_filter_dict(policy)
            parts = [
                f"Condition: {condition_words(c, definitions)}"
                for group in ("all", "any")
                for c in filter[group]
            ]
            for row in target_summary(selectors.policy_metrics_list(policy)):
                parts += [
                    f"Target: {row['priority']} priority, {t['metric']} within {t['duration']} "
                    f"({t['hours']})"
                    for t in row["targets"]
                ]
            counts["SLA policies"] += 1
            counts["conditions"] += sum(len(filter[g]) for g in ("all", "any"))
            counts["targets"] += len(policy.metrics.all())
            listed += [f"SLA policy: {policy.title}", parts]
        perms_needed = set() if self.has_delete_permission(request) else {"SLA policy"}
        return listed, {k: v for k, v in counts.items() if v}, perms_needed, []

    def delete_model(self, request: HttpRequest, obj: Policy) -> None:
        services.policy_delete(policy_id=obj.pk)

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[Policy]) -> None:
        for pk in list(queryset.values_list("pk", flat=True)):
            services.policy_delete(policy_id=pk)

    @admin.action(description="Clone selected SLA policies", permissions=["add"])
    def clone_policies(self, request: HttpRequest, queryset: QuerySet[Policy]) -> None:
        for pk in list(queryset.order_by("position").values_list("pk", flat=True)):
            services.policy_clone(policy_id=pk)
        messages.success(request, "Cloned; the copies are at the bottom of the list.")


# Schedules and notification rules have their own modules; importing them registers their
# pages.

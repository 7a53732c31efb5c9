"""Admin pages for group SLA policies: a team's promise of how long it holds a ticket.

They reuse the SLA policy pages' pieces. The list reorders through `reorder/` with the order
the page was showing (static/slaweb/js/policy_list.js), so a reorder made elsewhere in the
meantime is refused instead of overwritten. The editor is the SLA policy editor
(static/slaweb/js/policy_form.js) limited to "Group includes / does not include" conditions
and a one-row grid of group ownership time targets; it writes the API's JSON into the `filter`
and `policy_metrics` fields, which the API's serializer validates before the same services as
the API save them. Before saving, the editor previews what the draft would change on open
tickets (POST /api/v2/group_slas/policies/impact, for the group holding each ticket) and
whether an earlier policy catches every group this one names (`shadowing/`).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, cast

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.views.main import ORDER_VAR, ChangeList
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.urls import URLPattern, path, reverse
from django.utils.html import format_html

from policies import selectors, services
from policies.admin.policies import (
    PrettyJSONField,
    _flatten,
    _json_body,
    duration_words,
)
from policies.engine.conditions import OPERATOR_TITLES
from policies.engine.group_ownership import GROUP_OWNERSHIP_TIME
from policies.engine.shadowing import first_covering
from policies.engine.vocabulary import Priority
from policies.inputs import GroupSlaPolicyInputSerializer, group_sla_definition_items
from policies.models import GroupSlaPolicy
from tickets.selectors import definition_items, policy_input_context

GROUP_OPERATORS = ("includes", "not_includes")
METRIC_TITLE = "Group ownership time"


def group_definitions() -> list[dict[str, Any]]:
    """The builder's one field, as the API's definitions give it (the account's groups by
    name), with plain words for Zendesk's operator titles."""
    return [
        {
            **item,
            "title": "Group",
            "operators": [{"title": OPERATOR_TITLES[op], "value": op} for op in GROUP_OPERATORS],
        }
        for item in group_sla_definition_items(definition_items())
    ]


# The serializer's messages about conditions, as an admin using the builder would say them.
CONDITION_WORDS = {
    "all must hold at least one group_id condition": "Add a condition naming at least one "
    "group: a group SLA policy says which groups it holds to its targets.",
    "value for 'group_id' must list at least one value": "Choose at least one group.",
}


def condition_message(message: str) -> str:
    if message in CONDITION_WORDS:
        return CONDITION_WORDS[message]
    if message.endswith("is not a valid value for 'group_id'"):
        return "A group this condition names no longer exists: choose the groups again."
    return message


def target_grid() -> list[dict[str, Any]]:
    """One row, one cell per priority, keyed as the editor keys SLA policy cells."""
    return [
        {
            "metric": GROUP_OWNERSHIP_TIME,
            "title": METRIC_TITLE,
            "cells": [
                {
                    "priority": priority.value,
                    "key": f"{priority.value}:{GROUP_OWNERSHIP_TIME}",
                    "id": f"target-{priority.value}-{GROUP_OWNERSHIP_TIME}",
                    "label": f"{priority.value.capitalize()}, {METRIC_TITLE}",
                }
                for priority in Priority
            ],
        }
    ]


def target_summary(metrics: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The targets by priority (urgent first), in words."""
    rows = []
    for priority in reversed(list(Priority)):
        for m in metrics:
            if m["priority"] == priority.value:
                rows.append(
                    {
                        "priority": priority.value.capitalize(),
                        "targets": [
                            {
                                "metric": METRIC_TITLE,
                                "duration": duration_words(int(m["target"])),
                                "hours": "business hours"
                                if m["business_hours"]
                                else "calendar hours",
                            }
                        ],
                    }
                )
    return rows


def condition_words(condition: dict[str, Any], names: dict[str, str]) -> str:
    """{"field": "group_id", "operator": "includes", "value": [6]} -> "Group includes Tier 2"."""
    values = condition.get("value")
    values = values if isinstance(values, list) else [values]
    words = ", ".join(names.get(str(value), str(value)) for value in values)
    if condition.get("field") != "group_id":
        return f"{condition.get('field')} {condition.get('operator')} {words}"
    operator = OPERATOR_TITLES.get(str(condition.get("operator")), str(condition.get("operator")))
    return f"Group {operator.lower()} {words}"


def group_names() -> dict[str, str]:
    """Group id (as text) -> name, from the same definitions the builder offers."""
    return {
        str(entry["value"]): entry["title"]
        for item in group_sla_definition_items(definition_items())
        for entry in item["values"]["list"]
    }


def conditions_in_words(policy: GroupSlaPolicy, names: dict[str, str]) -> list[str]:
    return [condition_words(c, names) for c in selectors.group_sla_policy_filter(policy)["all"]]


def ordered_policies() -> list[GroupSlaPolicy]:
    return list(selectors.group_sla_policy_queryset().order_by("position", "id"))


def shadowed_policies(policies: Sequence[GroupSlaPolicy]) -> dict[str, GroupSlaPolicy]:
    """For each policy (given in position order) that can never match, the one that wins."""
    filters = [selectors.group_sla_policy_filter(policy) for policy in policies]
    shadowed = {}
    for index, policy in enumerate(policies):
        found = first_covering(filters[index], filters[:index])
        if found is not None:
            shadowed[policy.pk] = policies[found]
    return shadowed


def shadow_message(title: str, winner: GroupSlaPolicy) -> str:
    return (
        f"“{title}” can never match: “{winner.title}” (position {winner.position}) comes "
        "earlier and catches every group it would. Move it above, or narrow the earlier one."
    )


def shadowing_policy(
    filter: dict[str, Any], policy_id: str | None, position: int | None = None
) -> dict[str, Any] | None:
    """The earlier policy that catches every group `filter` would, placed as it would be saved
    (`policy_id`: the policy being edited, None for a new one; `position`: None keeps it where
    it is, or puts a new one last)."""
    data: dict[str, Any] = {"filter": filter}
    if position is not None:
        data["position"] = position
    snapshots = selectors.group_draft_snapshots(data, policy_id)
    own_id = policy_id if policy_id is not None else ""
    index = next(i for i, snap in enumerate(snapshots) if snap["id"] == own_id)
    earlier = snapshots[:index]
    found = first_covering(snapshots[index]["filter"], [snap["filter"] for snap in earlier])
    if found is None:
        return None
    snap = earlier[found]
    return {"id": snap["id"], "title": snap["title"], "position": snap["position"]}


def position_choices(policy_id: str | None) -> list[tuple[str, str]]:
    """Where a policy may go, each place named by its neighbours; the last is "Last"."""
    others = [p for p in ordered_policies() if p.pk != policy_id]
    choices: list[tuple[str, str]] = []
    for index, policy in enumerate(others):
        label = f"before “{policy.title}”"
        choices.append((str(index + 1), f"First, {label}" if index == 0 else label))
    last = f"Last, after “{others[-1].title}”" if others else "First (the only policy)"
    choices.append((str(len(others) + 1), last))
    return choices


def placed_errors(errors: dict[str, Any], metrics: Any) -> dict[str, Any]:
    """The serializer's errors keyed where the editor shows them: `conditions` by "all:0",
    `targets` by "urgent:group_ownership_time" (through the submitted item at that index);
    `filter` and `policy_metrics` hold what concerns no single row or cell."""
    placed: dict[str, Any] = {"conditions": {}, "targets": {}, "filter": [], "policy_metrics": []}
    filter_errors = errors.get("filter", [])
    by_condition = _by_index(filter_errors.get("all") if isinstance(filter_errors, dict) else None)
    if by_condition is not None:
        for index, problems in by_condition.items():
            if problems:
                placed["conditions"].setdefault(f"all:{index}", []).extend(
                    condition_message(p) for p in _flatten(problems)
                )
        rest = {k: v for k, v in filter_errors.items() if k != "all"}
        placed["filter"].extend(condition_message(p) for p in _flatten(rest))
    else:
        for problem in _flatten(filter_errors):
            prefix, _, message = problem.partition(": ")
            if prefix.startswith("all[") and prefix.endswith("]") and prefix[4:-1].isdigit():
                placed["conditions"].setdefault(f"all:{prefix[4:-1]}", []).append(
                    condition_message(message)
                )
            else:
                placed["filter"].append(condition_message(problem))
    metric_errors = errors.get("policy_metrics", [])
    by_metric = _by_index(metric_errors)
    if by_metric is None:
        placed["policy_metrics"].extend(_flatten(metric_errors))
        by_metric = {}
    for index, problems in by_metric.items():
        if not problems:
            continue
        item = metrics[index] if isinstance(metrics, list) and index < len(metrics) else None
        if isinstance(item, dict) and isinstance(item.get("priority"), str):
            key = f"{item['priority']}:{GROUP_OWNERSHIP_TIME}"
            placed["targets"].setdefault(key, []).extend(_flatten(problems))
        else:
            placed["policy_metrics"].extend(_flatten(problems))
    return placed


def _by_index(errors: Any) -> dict[int, Any] | None:
    """DRF reports a list's item errors as {index: errors} or as one entry per item."""
    if isinstance(errors, dict) and all(isinstance(k, int) for k in errors):
        return dict(errors)
    if isinstance(errors, list) and errors and all(isinstance(e, dict) for e in errors):
        return dict(enumerate(errors))
    return None


class GroupSlaPolicyAdminForm(forms.ModelForm[GroupSlaPolicy]):
    filter = PrettyJSONField(
        initial={"all": []},
        widget=forms.Textarea(attrs={"rows": 8, "cols": 80}),
        help_text='Conditions as in the API: {"all": [{"field": "group_id", "operator", '
        '"value": [group ids]}]}',
    )
    # Not required: a policy without targets is valid (it measures nothing yet).
    policy_metrics = PrettyJSONField(
        required=False,
        initial=[],
        widget=forms.Textarea(attrs={"rows": 8, "cols": 80}),
        help_text='Targets as in the API: [{"priority", "metric": "group_ownership_time", '
        '"target" (seconds), "business_hours"}]',
    )
    position = forms.TypedChoiceField(
        label="Position",
        coerce=int,
        empty_value=None,
        required=False,
        help_text="Group SLA policies are tried from the top; the first whose conditions a "
        "ticket's group meets applies.",
    )

    class Meta:
        model = GroupSlaPolicy
        fields = ["title", "description", "position"]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.placed_errors: dict[str, Any] = {}
        self.validated: dict[str, Any] = {}
        # The id is made on construction, so a new policy already has one: ask the state.
        editing = not self.instance._state.adding
        choices = position_choices(self.instance.pk if editing else None)
        position = cast(forms.TypedChoiceField, self.fields["position"])
        if editing:
            # Blank keeps it where it is, whatever moved while the page was open.
            position.choices = [("", "Where it is now"), *choices]
            policy = selectors.group_sla_policy_get(policy_id=self.instance.pk)
            self.initial["position"] = None
            self.initial["filter"] = selectors.group_sla_policy_filter(policy)
            self.initial["policy_metrics"] = selectors.group_sla_policy_metrics(policy)
        else:
            position.choices = choices
            self.initial.setdefault("position", len(choices))

    def clean(self) -> dict[str, Any]:
        super().clean()
        cleaned = self.cleaned_data
        data: dict[str, Any] = {
            "title": cleaned.get("title", ""),
            "description": cleaned.get("description") or None,
            "filter": cleaned.get("filter"),
            "policy_metrics": cleaned.get("policy_metrics") or [],
        }
        if cleaned.get("position"):
            data["position"] = cleaned["position"]
        serializer = GroupSlaPolicyInputSerializer(data=data, context=policy_input_context())
        if not serializer.is_valid():
            # Placed first: add_error drops the field from cleaned_data.
            self.placed_errors = placed_errors(serializer.errors, data["policy_metrics"])
            for name, problems in serializer.errors.items():
                target = name if name in self.fields else None
                if target is not None and target in self.errors:
                    continue  # the form said it already: one message per problem
                words = _flatten(problems)
                if name == "filter":
                    words = [condition_message(w) for w in words]
                self.add_error(target, words)
        else:
            self.validated = dict(serializer.validated_data)
        return cleaned


class GroupSlaChangeList(ChangeList):
    def get_results(self, request: HttpRequest) -> None:
        super().get_results(request)
        # Shadowing depends on every earlier policy, not just the ones on this page.
        shadowed = shadowed_policies(ordered_policies())
        names = group_names()
        for policy in self.result_list:
            policy.shadowed_by = shadowed.get(policy.pk)
            policy.condition_words = conditions_in_words(policy, names)


def _id_list(value: Any, name: str) -> list[str]:
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        raise ValueError(f"“{name}” must be a list of group SLA policy ids.")
    if len(set(value)) != len(value):
        raise ValueError(f"“{name}” names a policy twice.")
    return value


@admin.register(GroupSlaPolicy)
class GroupSlaPolicyAdmin(admin.ModelAdmin[GroupSlaPolicy]):
    form = GroupSlaPolicyAdminForm
    list_display_links = ["title"]
    ordering = ["position", "id"]
    # The list is the matching order: reordering needs every policy on one page, in that order.
    sortable_by = ()
    list_per_page = 1000
    change_list_template = "admin/policies/groupslapolicy/change_list.html"
    change_form_template = "admin/policies/groupslapolicy/change_form.html"

    # Lists -------------------------------------------------------------------------------

    def can_reorder(self, request: HttpRequest) -> bool:
        return self.has_change_permission(request) and ORDER_VAR not in request.GET

    def get_list_display(
        self, request: HttpRequest
    ) -> list[str | Callable[[GroupSlaPolicy], str | bool]]:
        columns: list[str | Callable[[GroupSlaPolicy], str | bool]] = [
            "position",
            "title",
            "groups",
            "targets",
            "matching",
            "updated_at",
        ]
        if self.can_reorder(request):
            return ["order_controls", *columns]
        return columns

    def get_changelist(self, request: HttpRequest, **kwargs: Any) -> type[ChangeList]:
        return GroupSlaChangeList

    def get_queryset(self, request: HttpRequest) -> QuerySet[GroupSlaPolicy]:
        return selectors.group_sla_policy_queryset()

    @admin.display(description="Order")
    def order_controls(self, obj: GroupSlaPolicy) -> str:
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

    @admin.display(description="Groups")
    def groups(self, obj: GroupSlaPolicy) -> str:
        words = getattr(obj, "condition_words", None)
        if words is None:
            words = conditions_in_words(obj, group_names())
        return "; ".join(words) if words else "Every group"

    @admin.display(description="Targets")
    def targets(self, obj: GroupSlaPolicy) -> str:
        rows = target_summary(selectors.group_sla_policy_metrics(obj))
        if not rows:
            return "None"
        return "; ".join(
            f"{row['priority']}: {t['duration']} ({t['hours']})"
            for row in rows
            for t in row["targets"]
        )

    @admin.display(description="Matching")
    def matching(self, obj: GroupSlaPolicy) -> str:
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
            "reorder_url": reverse("admin:policies_groupslapolicy_reorder"),
            "impact_url": reverse("group-sla-policy-impact"),
        }
        return super().changelist_view(request, extra_context=context)

    # Reorder -----------------------------------------------------------------------------

    def get_urls(self) -> list[URLPattern]:
        own = [
            path(
                "reorder/",
                self.admin_site.admin_view(self.reorder_view),
                name="policies_groupslapolicy_reorder",
            ),
            path(
                "shadowing/",
                self.admin_site.admin_view(self.shadowing_view),
                name="policies_groupslapolicy_shadowing",
            ),
        ]
        return own + super().get_urls()

    def reorder_view(self, request: HttpRequest) -> JsonResponse:
        """POST {"order": [ids...], "expected": [ids as the page showed them]}."""
        if request.method != "POST":
            return JsonResponse({"error": "Use POST."}, status=405, headers={"Allow": "POST"})
        if not self.has_change_permission(request):
            return JsonResponse({"error": "You may not reorder group SLA policies."}, status=403)
        try:
            body = _json_body(request)
            order = _id_list(body.get("order"), "order")
            expected = _id_list(body.get("expected"), "expected")
            if sorted(order) != sorted(expected):
                raise ValueError("“order” must list exactly the policies in “expected”.")
        except ValueError as error:
            return JsonResponse({"error": str(error)}, status=422)
        try:
            services.group_sla_policy_reorder(policy_ids=order, expected_ids=expected)
        except services.GroupSlaOrderChanged as changed:
            messages.warning(
                request,
                "Another admin changed the order of the group SLA policies while you were "
                "moving them. Nothing was saved; this is the current order.",
            )
            message = "Another admin changed the order in the meantime. Nothing was saved."
            return JsonResponse({"error": message, "order": changed.current_ids}, status=409)
        except services.UnknownGroupSlaPolicies as error:
            return JsonResponse({"error": str(error)}, status=422)
        policies = ordered_policies()
        shadowed = shadowed_policies(policies)
        return JsonResponse(
            {
                "order": [policy.pk for policy in policies],
                "shadowed": {pk: winner.title for pk, winner in shadowed.items()},
            }
        )

    def shadowing_view(self, request: HttpRequest) -> JsonResponse:
        """POST {"filter": {"all": [...]}, "id": the edited policy or null, "position": n or
        null}: the earlier policy that would catch every group the draft names, if any."""
        if request.method != "POST":
            return JsonResponse({"error": "Use POST."}, status=405, headers={"Allow": "POST"})
        if not (self.has_change_permission(request) or self.has_add_permission(request)):
            return JsonResponse({"error": "You may not edit group SLA policies."}, status=403)
        try:
            body = _json_body(request)
            filter = body.get("filter")
            conditions = filter.get("all", []) if isinstance(filter, dict) else None
            if not isinstance(conditions, list) or not all(isinstance(c, dict) for c in conditions):
                raise ValueError('“filter” must be {"all": [...]}.')
            policy_id, position = body.get("id"), body.get("position")
            if policy_id is not None and not isinstance(policy_id, str):
                raise ValueError("“id” must be a group SLA policy id or null.")
            if position is not None and (
                isinstance(position, bool) or not isinstance(position, int) or position < 1
            ):
                raise ValueError("“position” must be a positive integer or null.")
        except ValueError as error:
            return JsonResponse({"error": str(error)}, status=422)
        if policy_id is not None and not GroupSlaPolicy.objects.filter(pk=policy_id).exists():
            return JsonResponse({"error": "No such group SLA policy."}, status=404)
        winner = shadowing_policy({"all": conditions}, policy_id, position)
        return JsonResponse({"shadowed_by": winner})

    # The editor --------------------------------------------------------------------------

    def get_fieldsets(self, request: HttpRequest, obj: GroupSlaPolicy | None = None) -> Any:
        if obj is not None and not self.has_change_permission(request, obj):
            return [(None, {"fields": ["title", "description"]})]
        return [
            (None, {"fields": ["title", "description", "position"]}),
            (
                "Conditions and targets as JSON",
                {
                    "fields": ["filter", "policy_metrics"],
                    "classes": ["policy-json-fields"],
                    "description": "The conditions and targets as the API takes them.",
                },
            ),
        ]

    def render_change_form(
        self,
        request: HttpRequest,
        context: dict[str, Any],
        add: bool = False,
        change: bool = False,
        form_url: str = "",
        obj: GroupSlaPolicy | None = None,
    ) -> HttpResponse:
        form = context["adminform"].form
        editable = self.has_change_permission(request, obj) if obj else True
        config: dict[str, Any] = {
            "readonly": not editable,
            "policyId": obj.pk if obj else None,
            "definitions": group_definitions(),
            "groups": ["all"],
            "secondsKey": "target",
            "impactUrl": reverse("group-sla-policy-impact"),
            "impactKey": "group_sla_policy",
            "shadowingUrl": reverse("admin:policies_groupslapolicy_shadowing"),
            "shadowCatches": "group",
            "ticketsUrl": reverse("admin:tickets_ticket_changelist"),
            "conditionWords": CONDITION_WORDS,
            "needsCondition": "Add a condition naming a group to see what saving would change "
            "on open tickets.",
            "priorities": [p.value for p in Priority],
            "metrics": [GROUP_OWNERSHIP_TIME],
            "errors": getattr(form, "placed_errors", {}),
        }
        summary = None
        shadow = None
        if obj is not None:
            winner = shadowed_policies(ordered_policies()).get(obj.pk)
            shadow = shadow_message(obj.title, winner) if winner is not None else None
        if not editable and obj is not None:
            policy = selectors.group_sla_policy_get(policy_id=obj.pk)
            metrics = selectors.group_sla_policy_metrics(policy)
            # View-only pages have no JSON fields to read; the builder shows the stored policy.
            config["initial"] = {
                "filter": selectors.group_sla_policy_filter(policy),
                "policy_metrics": metrics,
            }
            summary = {
                "targets": target_summary(metrics),
                "position": policy.position,
            }
        context.update(
            {
                "policy_editor": config,
                "policy_editable": editable,
                "target_grid": target_grid(),
                "target_units": [("days", "d"), ("hours", "h"), ("minutes", "m")],
                "priorities": [(p.value, p.value.capitalize()) for p in Priority],
                "policy_summary": summary,
                "shadow_warning": shadow,
            }
        )
        return super().render_change_form(request, context, add, change, form_url, obj)

    # Writes ------------------------------------------------------------------------------

    def save_model(
        self, request: HttpRequest, obj: GroupSlaPolicy, form: Any, change: bool
    ) -> None:
        data = form.validated
        if change:
            saved = services.group_sla_policy_update(policy_id=obj.pk, data=data)
        else:
            saved = services.group_sla_policy_create(**data)
        obj.pk = saved.pk
        policies = ordered_policies()
        winner = shadowed_policies(policies).get(saved.pk)
        if winner is not None:
            messages.warning(request, shadow_message(saved.title, winner))

    def save_related(self, request: HttpRequest, form: Any, formsets: Any, change: bool) -> None:
        """The targets were saved by the service."""

    def get_deleted_objects(
        self, objs: Sequence[GroupSlaPolicy] | QuerySet[GroupSlaPolicy], request: HttpRequest
    ) -> tuple[list[Any], dict[str, int], set[str], list[Any]]:
        """What a delete removes, in words: its conditions and targets, not their rows."""
        names = group_names()
        listed: list[Any] = []
        counts = {"group SLA policies": 0, "conditions": 0, "targets": 0}
        chosen = selectors.group_sla_policy_queryset().filter(pk__in=[p.pk for p in objs])
        for policy in chosen:
            words = conditions_in_words(policy, names)
            parts = [f"Condition: {w}" for w in words]
            for row in target_summary(selectors.group_sla_policy_metrics(policy)):
                parts += [
                    f"Target: {row['priority']} priority, a group holds a ticket at most "
                    f"{t['duration']} ({t['hours']})"
                    for t in row["targets"]
                ]
            counts["group SLA policies"] += 1
            counts["conditions"] += len(words)
            counts["targets"] += len(policy.metrics.all())
            listed += [f"Group SLA policy: {policy.title}", parts]
        perms_needed = set() if self.has_delete_permission(request) else {"group SLA policy"}
        return listed, {k: v for k, v in counts.items() if v}, perms_needed, []

    def delete_model(self, request: HttpRequest, obj: GroupSlaPolicy) -> None:
        services.group_sla_policy_delete(policy_id=obj.pk)

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[GroupSlaPolicy]) -> None:
        for pk in list(queryset.values_list("pk", flat=True)):
            services.group_sla_policy_delete(policy_id=pk)

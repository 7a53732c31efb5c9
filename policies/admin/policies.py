"""Admin pages for SLA policies. Every write goes through policies.services, validated by the
same serializer as the API, so the pages and the API accept and reject exactly the same input.

The list page reorders (drag and drop, or Up/Down buttons) through `reorder/`, which calls the
same service as `PUT /api/v2/slas/policies/reorder` with the order the page was showing, so a
reorder made elsewhere in the meantime is refused instead of overwritten. The editor's condition
builder and target grid (static/slaweb/js/policy_form.js) write the API's JSON into the
`filter` and `policy_metrics` fields, and the serializer's errors come back keyed by condition
row and target cell. What these pages share with the group SLA policy pages lives in
policies.admin.ordering; this module names the SLA policy's services and words.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.urls import URLPattern, path, reverse

from policies import selectors, services
from policies.admin import ordering
from policies.admin.ordering import PrettyJSONField
from policies.engine.vocabulary import METRIC_TITLES, VIA_CHANNELS, Metric
from policies.inputs import PolicyInputSerializer, full_metric_settings
from policies.models import Policy
from tickets.selectors import definition_items

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
GRID_TITLES = [(metric.value, METRIC_TITLES[metric]) for metric in GRID_METRICS]


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


def is_catch_all(filter: dict[str, Any]) -> bool:
    return not filter.get("all") and not filter.get("any")


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


class PolicyAdminForm(ordering.OrderedPolicyForm[Policy]):
    serializer_class = PolicyInputSerializer

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
    position = ordering.position_field(
        "Policies are tried from the top; the first whose conditions a ticket meets applies. "
        "A policy placed after the catch-all can never match."
    )

    class Meta:
        model = Policy
        fields = ["title", "description", "position"]

    policy_queryset = staticmethod(selectors.policy_queryset)

    def is_catch_all(self, policy: Any) -> bool:
        return is_catch_all(selectors.policy_filter_dict(policy))

    def stored_fields(self, policy_id: Any) -> dict[str, Any]:
        policy = selectors.policy_get(policy_id=policy_id)
        return {
            "filter": selectors.policy_filter_dict(policy),
            "policy_metrics": selectors.policy_metrics_list(policy),
            "metric_settings": full_metric_settings(policy.metric_settings),
        }

    def input_data(self, cleaned: dict[str, Any]) -> dict[str, Any]:
        return {
            **super().input_data(cleaned),
            "metric_settings": cleaned.get("metric_settings") or {},
        }

    def place_errors(self, errors: dict[str, Any], metrics: Any) -> dict[str, Any]:
        return placed_errors(errors, metrics)


def placed_errors(errors: dict[str, Any], metrics: Any) -> dict[str, Any]:
    """The serializer's errors keyed by where the builder shows them: `conditions` by "all:0",
    `targets` by "urgent:first_reply_time"."""
    return ordering.placed_errors(
        errors,
        metrics,
        groups=("all", "any"),
        target_key=lambda item: f"{item['priority']}:{item.get('metric')}",
    )


@admin.register(Policy)
class PolicyAdmin(ordering.OrderedPolicyAdmin[Policy]):
    form = PolicyAdminForm
    actions = ["clone_policies"]
    change_list_template = "admin/policies/policy/change_list.html"
    change_form_template = "admin/policies/policy/change_form.html"

    singular = "SLA policy"
    plural = "SLA policies"
    id_words = "policy"
    id_error_words = "a positive integer or null"
    catches = "ticket"
    impact_url_name = "policy-impact"
    list_columns = ["position", "title", "description", "matching", "updated_at"]
    json_fieldset_title = "Filter and targets as JSON"
    extra_fieldsets = [("Advanced", {"fields": ["metric_settings"], "classes": ["collapse"]})]
    order_changed_error = services.OrderChanged
    unknown_policies_error = services.UnknownPolicies
    policy_queryset = staticmethod(selectors.policy_queryset)
    policy_filter = staticmethod(selectors.policy_filter_dict)
    policy_metrics = staticmethod(selectors.policy_metrics_list)
    draft_snapshots = staticmethod(selectors.draft_snapshots)
    new_policy_id = 0
    create_policy = staticmethod(services.policy_create)
    update_policy = staticmethod(services.policy_update)
    delete_policy = staticmethod(services.policy_delete)
    reorder_policies = staticmethod(services.policy_reorder)
    grid_titles = GRID_TITLES
    seconds_key = "target_in_seconds"

    def is_id(self, value: Any) -> bool:
        return isinstance(value, int) and not isinstance(value, bool)

    def is_draft_id(self, value: Any) -> bool:
        return self.is_id(value) and value >= 1

    def parse_draft_filter(self, filter: Any) -> dict[str, Any]:
        if not isinstance(filter, dict) or not all(
            isinstance(filter.get(group, []), list)
            and all(isinstance(c, dict) for c in filter.get(group, []))
            for group in ("all", "any")
        ):
            raise ValueError('“filter” must be {"all": [...], "any": [...]}.')
        return filter

    def target_words(self, target: dict[str, Any]) -> str:
        return f"{target['metric']} within {target['duration']} ({target['hours']})"

    def conditions_in_words(self, policies: Sequence[Policy]) -> dict[Any, list[str]]:
        definitions = {item["value"]: item for item in definition_items()}
        words = {}
        for policy in policies:
            filter = selectors.policy_filter_dict(policy)
            words[policy.pk] = [
                condition_words(c, definitions) for group in ("all", "any") for c in filter[group]
            ]
        return words

    def editor_config(self) -> dict[str, Any]:
        return {
            "definitions": builder_definitions(),
        }

    def summary_extra(self, policy: Policy) -> dict[str, Any]:
        return {"catch_all": is_catch_all(selectors.policy_filter_dict(policy))}

    def editor_context(self, request: HttpRequest, form: Any, obj: Policy | None) -> dict[str, Any]:
        return {
            "default_position": getattr(form, "default_position_label", ""),
            "clone_url": reverse("admin:policies_policy_clone", args=[obj.pk]) if obj else "",
            "can_clone": obj is not None and self.has_add_permission(request),
        }

    # Cloning -----------------------------------------------------------------------------

    def get_urls(self) -> list[URLPattern]:
        clone = path(
            "<int:object_id>/clone/",
            self.admin_site.admin_view(self.clone_view),
            name="policies_policy_clone",
        )
        return [clone, *super().get_urls()]

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

    @admin.action(description="Clone selected SLA policies", permissions=["add"])
    def clone_policies(self, request: HttpRequest, queryset: QuerySet[Policy]) -> None:
        for pk in list(queryset.order_by("position").values_list("pk", flat=True)):
            services.policy_clone(policy_id=pk)
        messages.success(request, "Cloned; the copies are at the bottom of the list.")

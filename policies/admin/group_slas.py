"""Admin pages for group SLA policies: a team's promise of how long it holds a ticket.

They are the SLA policy pages (policies.admin.ordering) with their own words. The list reorders
through `reorder/` with the order the page was showing (static/slaweb/js/policy_list.js), so a
reorder made elsewhere in the meantime is refused instead of overwritten. The editor is the SLA
policy editor (static/slaweb/js/policy_form.js) limited to "Group includes / does not include"
conditions and a one-row grid of group ownership time targets; it writes the API's JSON into
the `filter` and `policy_metrics` fields, which the API's serializer validates before the same
services as the API save them. Before saving, the editor previews what the draft would change
on open tickets (POST /api/v2/group_slas/policies/impact, for the group holding each ticket)
and whether an earlier policy catches every group this one names (`shadowing/`).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django import forms
from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest

from policies import selectors, services
from policies.admin import ordering
from policies.admin.ordering import PrettyJSONField, flatten
from policies.engine.conditions import OPERATOR_TITLES
from policies.engine.group_ownership import GROUP_OWNERSHIP_TIME
from policies.inputs import GroupSlaPolicyInputSerializer, group_sla_definition_items
from policies.models import GroupSlaPolicy
from tickets.selectors import definition_items

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


GRID_TITLES = [(GROUP_OWNERSHIP_TIME, METRIC_TITLE)]


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


def placed_errors(errors: dict[str, Any], metrics: Any) -> dict[str, Any]:
    """The serializer's errors keyed where the editor shows them: `conditions` by "all:0",
    `targets` by "urgent:group_ownership_time", condition messages reworded."""
    return ordering.placed_errors(
        errors,
        metrics,
        groups=("all",),
        target_key=lambda item: f"{item['priority']}:{GROUP_OWNERSHIP_TIME}",
        words=condition_message,
    )


class GroupSlaPolicyAdminForm(ordering.OrderedPolicyForm[GroupSlaPolicy]):
    serializer_class = GroupSlaPolicyInputSerializer

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
    position = ordering.position_field(
        "Group SLA policies are tried from the top; the first whose conditions a ticket's group "
        "meets applies."
    )

    class Meta:
        model = GroupSlaPolicy
        fields = ["title", "description", "position"]

    # Every group SLA policy names a group, so none catches all: a new one goes last.
    policy_queryset = staticmethod(selectors.group_sla_policy_queryset)

    def stored_fields(self, policy_id: Any) -> dict[str, Any]:
        policy = selectors.group_sla_policy_get(policy_id=policy_id)
        return {
            "filter": selectors.group_sla_policy_filter(policy),
            "policy_metrics": selectors.group_sla_policy_metrics(policy),
        }

    def place_errors(self, errors: dict[str, Any], metrics: Any) -> dict[str, Any]:
        return placed_errors(errors, metrics)

    def error_words(self, name: str, problems: Any) -> list[str]:
        words = flatten(problems)
        return [condition_message(w) for w in words] if name == "filter" else words


@admin.register(GroupSlaPolicy)
class GroupSlaPolicyAdmin(ordering.OrderedPolicyAdmin[GroupSlaPolicy]):
    form = GroupSlaPolicyAdminForm
    change_list_template = "admin/policies/groupslapolicy/change_list.html"
    change_form_template = "admin/policies/groupslapolicy/change_form.html"

    singular = "group SLA policy"
    plural = "group SLA policies"
    id_words = "group SLA policy"
    id_error_words = "a group SLA policy id or null"
    catches = "group"
    impact_url_name = "group-sla-policy-impact"
    list_columns = ["position", "title", "groups", "targets", "matching", "updated_at"]
    json_fieldset_title = "Conditions and targets as JSON"
    order_changed_error = services.GroupSlaOrderChanged
    unknown_policies_error = services.UnknownGroupSlaPolicies
    policy_queryset = staticmethod(selectors.group_sla_policy_queryset)
    policy_filter = staticmethod(selectors.group_sla_policy_filter)
    policy_metrics = staticmethod(selectors.group_sla_policy_metrics)
    draft_snapshots = staticmethod(selectors.group_draft_snapshots)
    new_policy_id = ""
    create_policy = staticmethod(services.group_sla_policy_create)
    update_policy = staticmethod(services.group_sla_policy_update)
    delete_policy = staticmethod(services.group_sla_policy_delete)
    reorder_policies = staticmethod(services.group_sla_policy_reorder)
    grid_titles = GRID_TITLES
    seconds_key = "target"

    def get_queryset(self, request: HttpRequest) -> QuerySet[GroupSlaPolicy]:
        return selectors.group_sla_policy_queryset()

    def is_id(self, value: Any) -> bool:
        return isinstance(value, str)

    def parse_draft_filter(self, filter: Any) -> dict[str, Any]:
        conditions = filter.get("all", []) if isinstance(filter, dict) else None
        if not isinstance(conditions, list) or not all(isinstance(c, dict) for c in conditions):
            raise ValueError('“filter” must be {"all": [...]}.')
        return {"all": conditions}

    def target_words(self, target: dict[str, Any]) -> str:
        return f"a group holds a ticket at most {target['duration']} ({target['hours']})"

    def conditions_in_words(self, policies: Sequence[GroupSlaPolicy]) -> dict[Any, list[str]]:
        names = group_names()
        return {policy.pk: conditions_in_words(policy, names) for policy in policies}

    def annotate_results(self, results: Sequence[GroupSlaPolicy]) -> None:
        super().annotate_results(results)
        names = group_names()
        for policy in results:
            policy.condition_words = conditions_in_words(policy, names)  # type: ignore[attr-defined]

    @admin.display(description="Groups")
    def groups(self, obj: GroupSlaPolicy) -> str:
        words = getattr(obj, "condition_words", None)
        if words is None:
            words = conditions_in_words(obj, group_names())
        return "; ".join(words) if words else "Every group"

    @admin.display(description="Targets")
    def targets(self, obj: GroupSlaPolicy) -> str:
        rows = self.target_summary(selectors.group_sla_policy_metrics(obj))
        if not rows:
            return "None"
        return "; ".join(
            f"{row['priority']}: {t['duration']} ({t['hours']})"
            for row in rows
            for t in row["targets"]
        )

    def editor_config(self) -> dict[str, Any]:
        return {
            "definitions": group_definitions(),
            "groups": ["all"],
            "secondsKey": "target",
            "impactKey": "group_sla_policy",
            "shadowCatches": "group",
            "conditionWords": CONDITION_WORDS,
            "needsCondition": "Add a condition naming a group to see what saving would change "
            "on open tickets.",
        }

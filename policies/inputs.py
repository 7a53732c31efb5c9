"""Input validation for SLA policies and schedules, shared by the API, the admin pages and the
commands: one set of rules for every way in."""

from __future__ import annotations

import math
from datetime import date, timedelta
from functools import cached_property
from typing import Any

from rest_framework import serializers

from policies.engine import business_time as clock
from policies.engine.conditions import (
    INCLUDES,
    IS,
    LEGACY_CUSTOM_FIELD_RE,
    ConditionError,
    norm,
    parse_datetime_value,
    split_tags,
)
from policies.engine.vocabulary import Metric, Priority
from policies.models import GROUP_OWNERSHIP_TIME
from slaweb.api.fields import StrictBooleanField, StrictCharField, StrictIntegerField
from slaweb.timezones import resolve_time_zone

MAX_TARGET_SECONDS = 366 * 24 * 3600  # a year; anything longer is a typo, not a promise


METRIC_SETTINGS: dict[str, tuple[str, ...]] = {
    "first_reply_time": (
        "activate_on_ticket_created_for_end_user",
        "activate_on_agent_ticket_created_for_end_user_with_internal_note",
        "activate_on_light_agent_on_email_forward_ticket_from_end_user",
        "activate_on_agent_created_ticket_for_self",
        "fulfill_on_agent_internal_note",
    ),
    "next_reply_time": (
        "fulfill_on_non_requesting_agent_internal_note_after_activation",
        "activate_on_end_user_added_internal_note",
        "activate_on_agent_requested_ticket_with_public_comment_or_internal_note",
        "activate_on_light_agent_internal_note",
    ),
    "periodic_update_time": ("activate_on_agent_internal_note",),
}


def full_metric_settings(stored: dict[str, dict[str, bool]] | None) -> dict[str, dict[str, bool]]:
    """Every flag, false unless set: clients can rely on the keys being there."""
    stored = stored or {}
    return {
        metric: {flag: bool(stored.get(metric, {}).get(flag, False)) for flag in flags}
        for metric, flags in METRIC_SETTINGS.items()
    }


class PolicyMetricInputSerializer(serializers.Serializer[Any]):
    priority = serializers.ChoiceField(choices=[p.value for p in Priority])
    metric = serializers.ChoiceField(choices=[m.value for m in Metric])
    target = StrictIntegerField(
        min_value=1, max_value=MAX_TARGET_SECONDS // 60, required=False, help_text="Minutes"
    )
    target_in_seconds = StrictIntegerField(
        min_value=1,
        max_value=MAX_TARGET_SECONDS,
        required=False,
        help_text="Seconds; wins over `target` when both are sent",
    )
    business_hours = StrictBooleanField(required=False, default=False)

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        # A partial policy update must still send whole metrics: the list replaces the old one.
        missing = [name for name in ("priority", "metric") if name not in attrs]
        if missing:
            raise serializers.ValidationError(
                {name: ["This field is required."] for name in missing}
            )
        if "target_in_seconds" in attrs:
            seconds = attrs["target_in_seconds"]
            if "target" in attrs and attrs["target"] != math.ceil(seconds / 60):
                # Usually an edited `target` sent back with the old `target_in_seconds`.
                raise serializers.ValidationError(
                    {"target": ["disagrees with target_in_seconds; send one of them"]}
                )
        elif "target" in attrs:
            seconds = attrs["target"] * 60
        else:
            raise serializers.ValidationError({"target": ["This field is required."]})
        return {
            "priority": attrs["priority"],
            "metric": attrs["metric"],
            "target_seconds": seconds,
            "business_hours": attrs.get("business_hours", False),
        }


class ConditionSerializer(serializers.Serializer[Any]):
    """Only for the schema: conditions are validated by FilterField against definitions."""

    field = serializers.CharField()
    operator = serializers.CharField()
    value = serializers.JSONField(allow_null=True)


class FilterSchemaSerializer(serializers.Serializer[Any]):
    all = ConditionSerializer(many=True)
    any = ConditionSerializer(many=True)


class FilterField(serializers.JSONField):
    """`{"all": [...], "any": [...]}`, each condition checked against the live definitions."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)

    def to_internal_value(self, data: Any) -> dict[str, list[dict[str, Any]]]:
        if not isinstance(data, dict):
            raise serializers.ValidationError("must be an object with 'all' and 'any' arrays")
        unknown = sorted(set(data) - {"all", "any"})
        if unknown:
            raise serializers.ValidationError(f"unknown key(s) {', '.join(unknown)}")
        errors: list[str] = []
        clean: dict[str, list[dict[str, Any]]] = {"all": [], "any": []}
        parent = self.parent
        if not isinstance(parent, PolicyInputSerializer):
            raise TypeError("FilterField reads its definitions from a PolicyInputSerializer")
        definitions = parent.definitions
        ticket_field_ids = parent.context["ticket_field_ids"]
        for group in ("all", "any"):
            conditions = data.get(group, [])
            if conditions is None:
                conditions = []
            if not isinstance(conditions, list):
                errors.append(f"{group} must be an array of conditions")
                continue
            for index, condition in enumerate(conditions):
                problem = check_condition(condition, definitions, ticket_field_ids)
                if problem:
                    errors.append(f"{group}[{index}]: {problem}")
                else:
                    clean[group].append(
                        {
                            "field": condition["field"],
                            "operator": condition["operator"],
                            "value": condition.get("value"),
                        }
                    )
        if errors:
            raise serializers.ValidationError(errors)
        return clean


def check_condition(
    condition: Any, definitions: dict[str, dict[str, Any]], ticket_field_ids: frozenset[int]
) -> str | None:
    """Why a condition is not acceptable, or None. `definitions` are the account's condition
    fields by name; `ticket_field_ids` the ticket fields a legacy `ticket_fields_<id>` may name."""
    if not isinstance(condition, dict):
        return "each condition must be an object with field, operator and value"
    field, operator = condition.get("field"), condition.get("operator")
    if not isinstance(field, str) or not field:
        return "field is required"
    if not isinstance(operator, str) or not operator:
        return f"operator is required for field '{field}'"
    if "value" not in condition:
        return f"value is required for field '{field}' (use null for no value)"
    value = condition["value"]
    if isinstance(value, dict | float):
        return f"value for '{field}' must be a string, an integer, an array or null"

    definition = definitions.get(field)
    if definition is None:
        legacy = LEGACY_CUSTOM_FIELD_RE.match(field)
        if legacy and int(legacy.group(1)) in ticket_field_ids:
            definition = {"operators": [{"value": op} for op in IS], "values": {"type": "text"}}
        else:
            return f"'{field}' is not a valid field"
    allowed = [op["value"] for op in definition["operators"]]
    if operator not in allowed:
        return f"'{operator}' is not a valid operator for '{field}' (allowed: {', '.join(allowed)})"

    kind = definition["values"]["type"]
    try:
        if kind == "list":
            return _check_list_value(field, operator, value, definition["values"]["list"])
        if field == "current_tags":
            if not split_tags(value):
                return "tags must name at least one tag"
            return None
        if isinstance(value, list | bool):
            return f"value for '{field}' must be a single value"
        if kind == "datetime":
            parse_datetime_value(value)
        elif kind == "date" and norm(value) is not None:
            parse_datetime_value(str(value))
    except ConditionError as error:
        return f"value for '{field}' {error}"
    return None


def _check_list_value(
    field: str, operator: str, value: Any, options: list[dict[str, Any]]
) -> str | None:
    known = {norm(option["value"]) for option in options}
    if isinstance(value, list):
        if operator not in INCLUDES:
            return f"value for '{field}' with '{operator}' must be a single value, not an array"
        if not value:
            return f"value for '{field}' must list at least one value"
        values = value
    else:
        values = [value]
    for item in values:
        if isinstance(item, dict | list | float | bool):
            return f"value {item!r} for '{field}' must be a string or an integer"
        if norm(item) not in known:
            return f"{item!r} is not a valid value for '{field}'"
    return None


class MetricSettingsField(serializers.JSONField):
    def to_internal_value(self, data: Any) -> dict[str, dict[str, bool]]:
        if not isinstance(data, dict):
            raise serializers.ValidationError("must be an object keyed by metric")
        clean: dict[str, dict[str, bool]] = {}
        for metric, flags in data.items():
            if metric not in METRIC_SETTINGS:
                raise serializers.ValidationError(f"'{metric}' has no settings")
            if not isinstance(flags, dict):
                raise serializers.ValidationError(f"'{metric}' must be an object of flags")
            for flag, on in flags.items():
                if flag not in METRIC_SETTINGS[metric]:
                    raise serializers.ValidationError(f"'{metric}.{flag}' is not a setting")
                if not isinstance(on, bool):
                    raise serializers.ValidationError(f"'{metric}.{flag}' must be true or false")
            clean[metric] = {flag: on for flag, on in flags.items() if on}
        return {metric: flags for metric, flags in clean.items() if flags}


class PolicyInputSerializer(serializers.Serializer[Any]):
    """The `sla_policy` object of create and update requests. Its context must hold the
    account's `definitions` and `ticket_field_ids` (`tickets.selectors.policy_input_context`).

    Update is partial (zenpy sends only changed keys): absent keys keep their value; a present
    `filter` or `policy_metrics` replaces the whole filter or metric list.
    """

    title = StrictCharField(max_length=255)
    description = StrictCharField(allow_null=True, allow_blank=True, required=False)
    position = StrictIntegerField(min_value=1, max_value=2_147_483_647, required=False)
    filter = FilterField()
    policy_metrics = PolicyMetricInputSerializer(many=True, required=False)
    metric_settings = MetricSettingsField(required=False)

    @cached_property
    def definitions(self) -> dict[str, dict[str, Any]]:
        """The account's condition fields, passed in by the caller as `policy_input_context()`
        builds them: policies know conditions, the account knows its fields."""
        return {item["value"]: item for item in self.context["definitions"]}

    def validate_policy_metrics(self, metrics: list[dict[str, Any]]) -> list[dict[str, Any]]:
        seen: set[tuple[str, str]] = set()
        duplicates = []
        for metric in metrics:
            pair = (metric["priority"], metric["metric"])
            if pair in seen:
                duplicates.append(f"{pair[0]} {pair[1]}")
            seen.add(pair)
        if duplicates:
            raise serializers.ValidationError(
                f"each priority and metric pair may appear once; repeated: {', '.join(duplicates)}"
            )
        return metrics


HOLIDAY_WINDOW = timedelta(days=2 * 366)  # Zendesk: from two years ago to two years ahead


class IntervalSerializer(serializers.Serializer[Any]):
    start_time = StrictIntegerField(help_text="Minutes since Sunday 00:00 local time")
    end_time = StrictIntegerField(help_text="May pass midnight; up to 11520 (next Monday 00:00)")


class IntervalsField(serializers.ListField):
    child = IntervalSerializer()

    def to_internal_value(self, data: Any) -> list[tuple[int, int]]:
        rows = super().to_internal_value(data)
        # A partial update (PUT) lets nested fields go missing; an interval is always whole.
        if any("start_time" not in row or "end_time" not in row for row in rows):
            raise serializers.ValidationError("every interval needs start_time and end_time")
        intervals = [(row["start_time"], row["end_time"]) for row in rows]
        if not intervals:
            raise serializers.ValidationError("a workweek needs at least one interval")
        problems = clock.validate_intervals(clock.WeeklyInterval(s, e) for s, e in intervals)
        if problems:
            raise serializers.ValidationError(problems)
        return intervals


class ScheduleInputSerializer(serializers.Serializer[Any]):
    name = StrictCharField(max_length=255)
    time_zone = StrictCharField(max_length=64, help_text="Rails name or IANA name")
    intervals = IntervalsField(required=False)

    def validate_time_zone(self, value: str) -> str:
        zone = resolve_time_zone(value)
        if zone is None:
            raise serializers.ValidationError(f"{value!r} is not a known time zone")
        return zone


class WorkweekInputSerializer(serializers.Serializer[Any]):
    intervals = IntervalsField()


class HolidayInputSerializer(serializers.Serializer[Any]):
    name = StrictCharField(max_length=255)
    start_date = serializers.DateField()
    end_date = serializers.DateField()
    start_time = serializers.TimeField(allow_null=True, required=False, help_text="Partial day")
    end_time = serializers.TimeField(allow_null=True, required=False, help_text="Partial day")

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        merged = {**self.context.get("current", {}), **attrs}
        today: date = self.context["now"].date()
        problems: dict[str, list[str]] = {}
        if merged["start_date"] < today - HOLIDAY_WINDOW:
            problems["start_date"] = ["must be no earlier than two years ago"]
        if merged["end_date"] > today + HOLIDAY_WINDOW:
            problems["end_date"] = ["must be no later than two years from now"]
        if merged["end_date"] < merged["start_date"]:
            problems["end_date"] = ["must be on or after start_date"]
        if problems:
            raise serializers.ValidationError(problems)
        for name in ("start_time", "end_time"):
            if merged.get(name) is not None:
                merged[name] = merged[name].replace(microsecond=0)
        try:
            clock.Holiday(
                merged["start_date"],
                merged["end_date"],
                merged.get("start_time"),
                merged.get("end_time"),
            )
        except ValueError as error:
            raise serializers.ValidationError({"end_time": [str(error)]}) from None
        return {key: merged[key] for key in attrs}


# Group SLA policies ---------------------------------------------------------------------------

# Zendesk's titles for the two operators of group SLA conditions (its definitions endpoint).
GROUP_SLA_OPERATOR_TITLES = {
    "includes": "Contains at least one of the following",
    "not_includes": "Contains at least none of the following",
}


def group_sla_definition_items(definition_items: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The one condition field of group SLA policies, `group_id`, with the account's groups as
    its values, made from the account's SLA condition definitions. Group ids are integers, as
    Zendesk's OpenAPI file gives them; "no group" is left out (no group holds the ticket)."""
    groups = next((item for item in definition_items if item["value"] == "group_id"), None)
    options = groups["values"]["list"] if groups else []
    return [
        {
            "group": "ticket",
            "operators": [
                {"title": title, "value": value}
                for value, title in GROUP_SLA_OPERATOR_TITLES.items()
            ],
            "title": "Group ID",
            "value": "group_id",
            "values": {
                "list": [
                    {"title": option["title"], "value": int(option["value"])}
                    for option in options
                    if norm(option["value"]) is not None
                ],
                "type": "list",
            },
        }
    ]


class GroupSlaPolicyMetricInputSerializer(serializers.Serializer[Any]):
    priority = serializers.ChoiceField(choices=[p.value for p in Priority])
    # Text checked in validate(), not a choice: a second enum named "metric" beside the SLA
    # metrics' would collide in the OpenAPI schema.
    metric = StrictCharField(help_text=f"Always {GROUP_OWNERSHIP_TIME}")
    target = StrictIntegerField(min_value=1, max_value=MAX_TARGET_SECONDS, help_text="Seconds")
    business_hours = StrictBooleanField(required=False, default=False)

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        # A partial update must still send whole targets: the list replaces the old one.
        missing = [name for name in ("priority", "metric", "target") if name not in attrs]
        if missing:
            raise serializers.ValidationError(
                {name: ["This field is required."] for name in missing}
            )
        if attrs["metric"] != GROUP_OWNERSHIP_TIME:
            raise serializers.ValidationError(
                {"metric": [f'"{attrs["metric"]}" is not a valid choice: {GROUP_OWNERSHIP_TIME}']}
            )
        return {
            "priority": attrs["priority"],
            "target_seconds": attrs["target"],
            "business_hours": attrs.get("business_hours", False),
        }


class GroupSlaFilterSchemaSerializer(serializers.Serializer[Any]):
    all = ConditionSerializer(many=True)


class GroupSlaFilterField(serializers.JSONField):
    """`{"all": [...]}` of `group_id` conditions naming the account's groups, at least one."""

    def to_internal_value(self, data: Any) -> dict[str, list[dict[str, Any]]]:
        if not isinstance(data, dict):
            raise serializers.ValidationError("must be an object with an 'all' array")
        unknown = sorted(set(data) - {"all", "any"})
        if unknown:
            raise serializers.ValidationError(f"unknown key(s) {', '.join(unknown)}")
        if data.get("any"):
            # Clients that share code with SLA policies send an empty "any"; conditions in it
            # would silently mean something else.
            raise serializers.ValidationError("group SLA policies take conditions in 'all' only")
        conditions = data.get("all")
        if conditions is None:
            conditions = []
        if not isinstance(conditions, list):
            raise serializers.ValidationError("all must be an array of conditions")
        parent = self.parent
        if not isinstance(parent, GroupSlaPolicyInputSerializer):
            raise TypeError(
                "GroupSlaFilterField reads its groups from GroupSlaPolicyInputSerializer"
            )
        definitions = parent.definitions
        errors: list[str] = []
        clean: list[dict[str, Any]] = []
        for index, condition in enumerate(conditions):
            problem = check_condition(condition, definitions, frozenset())
            if problem is None and not isinstance(condition["value"], list):
                problem = "value for 'group_id' must be an array of group ids"
            if problem:
                errors.append(f"all[{index}]: {problem}")
            else:
                clean.append(
                    {
                        "field": condition["field"],
                        "operator": condition["operator"],
                        "value": condition["value"],
                    }
                )
        if errors:
            raise serializers.ValidationError(errors)
        if not clean:
            # Zendesk: "at least one filter with the field "group_id" is mandatory".
            raise serializers.ValidationError("all must hold at least one group_id condition")
        return {"all": clean}


class GroupSlaPolicyInputSerializer(serializers.Serializer[Any]):
    """The `group_sla_policy` object of create and update requests. Its context must hold the
    account's condition `definitions` (`tickets.selectors.policy_input_context()` gives them):
    conditions may name only `group_id`, with ids of the account's groups.

    Update is partial: absent keys keep their value; a present `filter` or `policy_metrics`
    replaces the whole filter or target list.
    """

    title = StrictCharField(max_length=255)
    description = StrictCharField(allow_null=True, allow_blank=True, required=False)
    position = StrictIntegerField(min_value=1, max_value=2_147_483_647, required=False)
    filter = GroupSlaFilterField()
    policy_metrics = GroupSlaPolicyMetricInputSerializer(many=True, required=False)

    @cached_property
    def definitions(self) -> dict[str, dict[str, Any]]:
        items = group_sla_definition_items(self.context["definitions"])
        return {item["value"]: item for item in items}

    def validate_policy_metrics(self, metrics: list[dict[str, Any]]) -> list[dict[str, Any]]:
        priorities = [metric["priority"] for metric in metrics]
        repeated = sorted({p for p in priorities if priorities.count(p) > 1})
        if repeated:
            raise serializers.ValidationError(
                f"each priority may have one target; repeated: {', '.join(repeated)}"
            )
        return metrics

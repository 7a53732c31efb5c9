"""The `objective` object of the objectives API and the admin's objective form: an SLA policy's
objective, or a group SLA policy's (its group ownership time)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from rest_framework import serializers
from rest_framework.exceptions import ErrorDetail

from policies.models import GROUP_OWNERSHIP_TIME, GroupSlaPolicy
from slaweb.api.fields import StrictCharField, StrictIntegerField
from tickets import inputs
from tickets.models import ServiceLevelObjective

SCOPES = ("policy_id", "group_policy_id")
NO_POLICY = "an objective needs policy_id or group_sla_policy_id"


class ObjectiveInputSerializer(inputs.ObjectiveInputSerializer):
    """Exactly one of `policy_id` and `group_sla_policy_id`. Naming one in an update moves the
    objective to it (the other is cleared). A group SLA objective's metric is always
    group_ownership_time; an SLA policy's objective never is. Pass the objective being changed
    as the instance of a partial update, so a metric alone is checked against its policy."""

    policy_id = StrictIntegerField(
        required=False,
        allow_null=True,
        help_text="The SLA policy whose targets count; give this or group_sla_policy_id",
    )
    group_sla_policy_id = StrictCharField(
        source="group_policy_id",
        required=False,
        allow_null=True,
        max_length=26,
        help_text="The group SLA policy whose group ownership time targets count; give this "
        "or policy_id",
    )
    metric = serializers.ChoiceField(
        choices=[*inputs.METRICS, GROUP_OWNERSHIP_TIME],
        required=False,
        allow_null=True,
        help_text="Only this metric (null: all); group_ownership_time for a group SLA policy",
    )

    # Null is allowed here (a group SLA objective), unlike in the parent.
    def validate_policy_id(self, value: int | None) -> int | None:  # type: ignore[override]
        return None if value is None else super().validate_policy_id(value)

    def to_internal_value(self, data: Any) -> Any:
        """A create naming neither policy is told so beside its other field errors, as when
        the policy was a required field."""
        try:
            return super().to_internal_value(data)
        except serializers.ValidationError as error:
            unnamed = isinstance(data, Mapping) and all(
                data.get(name) is None for name in ("policy_id", "group_sla_policy_id")
            )
            if not self.partial and unnamed and isinstance(error.detail, dict):
                error.detail.setdefault("policy_id", [ErrorDetail(NO_POLICY, code="required")])
            raise

    def validate_group_sla_policy_id(self, value: str | None) -> str | None:
        if value is not None and not GroupSlaPolicy.objects.filter(pk=value).exists():
            raise serializers.ValidationError(f"there is no group SLA policy {value}")
        return value

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        attrs = super().validate(attrs)
        named = {name: attrs[name] for name in SCOPES if name in attrs}
        chosen = [name for name, value in named.items() if value is not None]
        both = "give policy_id or group_sla_policy_id, not both"
        if len(chosen) > 1:
            raise serializers.ValidationError({"group_sla_policy_id": [both]})
        if chosen:
            scope = chosen[0]
            for name in SCOPES:
                attrs.setdefault(name, None)
        elif named or not self.partial:
            raise serializers.ValidationError({"policy_id": [NO_POLICY]})
        else:
            scope = self._current_scope()
        metric = attrs.get("metric")
        if scope == "group_policy_id":
            if metric not in (None, "", GROUP_OWNERSHIP_TIME):
                raise serializers.ValidationError(
                    {"metric": [f"a group SLA policy measures {GROUP_OWNERSHIP_TIME} only"]}
                )
            attrs["metric"] = GROUP_OWNERSHIP_TIME
        elif metric == GROUP_OWNERSHIP_TIME:
            raise serializers.ValidationError(
                {"metric": [f"{GROUP_OWNERSHIP_TIME} is measured by group SLA policies"]}
            )
        elif chosen and metric is None and self._current_scope() == "group_policy_id":
            # Moved from a group SLA policy: its metric means nothing to an SLA policy.
            attrs["metric"] = ""
        return attrs

    def _current_scope(self) -> str:
        objective = self.instance
        if isinstance(objective, ServiceLevelObjective) and objective.group_policy_id:
            return "group_policy_id"
        return "policy_id"

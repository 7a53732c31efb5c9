"""SLA policies as the API answers them: the serializer is both the answer and its schema."""

from __future__ import annotations

import math
from typing import Any

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from policies.inputs import FilterSchemaSerializer, full_metric_settings
from policies.models import Policy, PolicyMetric
from policies.selectors import policy_filter_dict
from slaweb.api.output import Link, Timestamp


class MinutesRoundedUp(serializers.IntegerField):
    """Seconds shown as whole minutes, rounded up."""

    def to_representation(self, value: int) -> int:
        return math.ceil(value / 60)


class PolicyMetricOutputSerializer(serializers.Serializer[PolicyMetric]):
    priority = serializers.CharField()
    metric = serializers.CharField()
    target = MinutesRoundedUp(source="target_seconds", help_text="Minutes, rounded up")
    target_in_seconds = serializers.IntegerField(source="target_seconds")
    business_hours = serializers.BooleanField()


@extend_schema_field(FilterSchemaSerializer)
class PolicyFilter(serializers.Field[Policy, Any, dict[str, Any], Policy]):
    """The policy's conditions, `{"all": [...], "any": [...]}`."""

    def get_attribute(self, instance: Policy) -> Policy:
        return instance

    def to_representation(self, value: Policy) -> dict[str, list[dict[str, Any]]]:
        return policy_filter_dict(value)


class MetricSettings(serializers.JSONField):
    """Every metric's flags, false unless set."""

    def get_attribute(self, instance: Policy) -> Any:
        return super().get_attribute(instance) or {}

    def to_representation(self, value: Any) -> Any:
        return full_metric_settings(value)


# Key order as Zendesk returns it. Needs `context["root"]`; give it policies with their
# conditions and metrics prefetched (`policies.selectors.policy_queryset`).
class PolicyOutputSerializer(serializers.Serializer[Policy]):
    url = Link("/api/v2/slas/policies/{obj.pk}.json")
    id = serializers.IntegerField()
    title = serializers.CharField()
    description = serializers.CharField(allow_null=True)
    position = serializers.IntegerField()
    filter = PolicyFilter()
    policy_metrics = PolicyMetricOutputSerializer(many=True, source="metrics")
    metric_settings = MetricSettings()
    created_at = Timestamp()
    updated_at = Timestamp()


def policy_to_dict(policy: Policy, base_url: str) -> dict[str, Any]:
    """The API's representation of a policy, for the admin's backtest page."""
    return PolicyOutputSerializer(policy, context={"root": base_url}).data

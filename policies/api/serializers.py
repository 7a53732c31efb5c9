"""SLA policy input validation and output, shared by the API and the admin pages."""

from __future__ import annotations

import math
from typing import Any

from rest_framework import serializers

from policies.inputs import FilterSchemaSerializer, full_metric_settings
from policies.models import Policy
from policies.selectors import policy_filter_dict
from slaweb.api.timestamps import iso


class PolicyMetricOutputSerializer(serializers.Serializer):
    priority = serializers.CharField()
    metric = serializers.CharField()
    target = serializers.IntegerField(help_text="Minutes, rounded up")
    target_in_seconds = serializers.IntegerField()
    business_hours = serializers.BooleanField()


class PolicyOutputSerializer(serializers.Serializer):
    url = serializers.CharField()
    id = serializers.IntegerField()
    title = serializers.CharField()
    description = serializers.CharField(allow_null=True)
    position = serializers.IntegerField()
    filter = FilterSchemaSerializer()
    policy_metrics = PolicyMetricOutputSerializer(many=True)
    metric_settings = serializers.JSONField()
    created_at = serializers.DateTimeField()
    updated_at = serializers.DateTimeField()


def policy_to_dict(policy: Policy, base_url: str) -> dict[str, Any]:
    """The Zendesk representation; key order as Zendesk returns it."""
    return {
        "url": f"{base_url}/api/v2/slas/policies/{policy.pk}.json",
        "id": policy.pk,
        "title": policy.title,
        "description": policy.description,
        "position": policy.position,
        "filter": policy_filter_dict(policy),
        "policy_metrics": [
            {
                "priority": metric.priority,
                "metric": metric.metric,
                "target": math.ceil(metric.target_seconds / 60),
                "target_in_seconds": metric.target_seconds,
                "business_hours": metric.business_hours,
            }
            for metric in policy.metrics.all()
        ],
        "metric_settings": full_metric_settings(policy.metric_settings),
        "created_at": iso(policy.created_at),
        "updated_at": iso(policy.updated_at),
    }

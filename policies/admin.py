"""Admin pages for SLA policies. Every write goes through policies.services, validated by the
same serializer as the API, so the pages and the API accept and reject exactly the same input."""

from __future__ import annotations

import json
from typing import Any

from django import forms
from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest

from policies import selectors, services
from policies.api.serializers import PolicyInputSerializer, full_metric_settings
from policies.models import Policy


class PrettyJSONField(forms.JSONField):
    def prepare_value(self, value: Any) -> str:
        if isinstance(value, str):
            return value
        return json.dumps(value, indent=2)


class PolicyAdminForm(forms.ModelForm):
    filter = PrettyJSONField(
        initial={"all": [], "any": []},
        widget=forms.Textarea(attrs={"rows": 8, "cols": 80}),
        help_text='Conditions as in the API: {"all": [{"field", "operator", "value"}], "any": []}',
    )
    policy_metrics = PrettyJSONField(
        initial=[],
        widget=forms.Textarea(attrs={"rows": 8, "cols": 80}),
        help_text='Targets as in the API: [{"priority", "metric", "target", "business_hours"}]',
    )
    metric_settings = PrettyJSONField(
        required=False, initial={}, widget=forms.Textarea(attrs={"rows": 6, "cols": 80})
    )
    position = forms.IntegerField(min_value=1, required=False)

    class Meta:
        model = Policy
        fields = ["title", "description", "position"]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            policy = selectors.policy_get(policy_id=self.instance.pk)
            self.initial["filter"] = selectors.policy_filter_dict(policy)
            self.initial["policy_metrics"] = [
                {
                    "priority": m.priority,
                    "metric": m.metric,
                    "target_in_seconds": m.target_seconds,
                    "business_hours": m.business_hours,
                }
                for m in policy.metrics.all()
            ]
            self.initial["metric_settings"] = full_metric_settings(policy.metric_settings)

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        data = {
            "title": cleaned.get("title", ""),
            "description": cleaned.get("description") or None,
            "filter": cleaned.get("filter"),
            "policy_metrics": cleaned.get("policy_metrics"),
            "metric_settings": cleaned.get("metric_settings") or {},
        }
        if cleaned.get("position"):
            data["position"] = cleaned["position"]
        serializer = PolicyInputSerializer(data=data)
        if not serializer.is_valid():
            for name, problems in serializer.errors.items():
                target = name if name in self.fields else None
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


@admin.register(Policy)
class PolicyAdmin(admin.ModelAdmin):
    form = PolicyAdminForm
    list_display = ["position", "title", "description", "updated_at"]
    list_display_links = ["title"]
    ordering = ["position", "id"]
    actions = ["clone_policies"]

    def save_model(self, request: HttpRequest, obj: Policy, form: Any, change: bool) -> None:
        data = form.validated
        if change:
            saved = services.policy_update(policy_id=obj.pk, data=data)
        else:
            saved = services.policy_create(**data)
        obj.pk = saved.pk

    def save_related(self, request: HttpRequest, form: Any, formsets: Any, change: bool) -> None:
        """Conditions and metrics were saved by the service."""

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


# Schedules have their own module; importing it registers their pages.
from policies import admin_schedules  # noqa: E402, F401

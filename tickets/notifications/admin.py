"""Admin pages for SLA notification rules. Writes go through policies.services, validated by
the API's serializer, so the pages and `/api/v2/slas/notification_rules` accept and refuse the
same rules."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils import timezone

from policies.inputs import MAX_TARGET_SECONDS
from policies.models import GROUP_OWNERSHIP_TIME, metric_title
from tickets.models import NotificationRule
from tickets.notifications import rules
from tickets.notifications.api import NotificationRuleInputSerializer, rule_fields

LEAD_UNITS = {"minutes": 60, "hours": 3600}
# The API's messages name its fields and trigger codes; the form says what to do instead.
PLAIN_MESSAGES = {
    "is required for a warning_before rule": "Enter how long before the breach to warn.",
    "is required for a warning_percent rule": "Enter the share of the target at which to warn.",
}
REQUIRED_MESSAGES = {
    "title": "Give the rule a name.",
    "trigger": "Choose when the rule notifies.",
    "channel": "Choose how to notify: by webhook or by email.",
    "webhook_url": "Enter the address that receives the webhook.",
    "webhook_secret": "Enter the secret the webhook is signed with.",
}


def lead_words(seconds: int | None) -> str:
    """1800 -> "30 minutes", 7200 -> "2 hours", 90 -> "90 seconds"."""
    if seconds is None:
        return ""
    if seconds % 3600 == 0:
        hours = seconds // 3600
        return f"{hours} hour{'s' if hours != 1 else ''}"
    if seconds % 60 == 0:
        minutes = seconds // 60
        return f"{minutes} minute{'s' if minutes != 1 else ''}"
    return f"{seconds} seconds"


def _plain(name: str, problem: str) -> str:
    if problem in PLAIN_MESSAGES:
        return PLAIN_MESSAGES[problem]
    if name == "lead_seconds" and problem.startswith("Ensure this value is less than"):
        # The API counts seconds; the form asks for minutes or hours.
        hours = MAX_TARGET_SECONDS // 3600
        return f"A lead time can be at most {hours:,} hours ({hours // 24} days)."
    if problem.startswith("is required for a ") and name in REQUIRED_MESSAGES:
        return REQUIRED_MESSAGES[name]
    text = problem[:1].upper() + problem[1:]
    return text if text.endswith(".") else f"{text}."


class NotificationRuleAdminForm(forms.ModelForm[NotificationRule]):
    lead_amount = forms.IntegerField(
        label="Lead time",
        required=False,
        min_value=1,
        help_text="How long before the breach the warning goes out.",
    )
    lead_unit = forms.ChoiceField(
        label="Unit",
        required=False,
        choices=[("minutes", "minutes"), ("hours", "hours")],
        initial="minutes",
    )
    webhook_url = forms.URLField(
        label="Webhook URL",
        required=False,
        assume_scheme="https",
        max_length=2048,
        help_text="Webhook rules: an http(s) URL that receives a signed JSON POST.",
    )
    recipients = forms.MultipleChoiceField(
        choices=[("assignee", "The ticket's assignee"), ("group", "The agents of its group")],
        widget=forms.CheckboxSelectMultiple,
        required=False,
        help_text="Email rules: who gets the email.",
    )
    email_addresses_text = forms.CharField(
        label="Email addresses",
        required=False,
        widget=forms.Textarea(attrs={"rows": 3, "cols": 60}),
        help_text="Email rules: fixed addresses, one per line or separated by commas.",
    )
    new_webhook_secret = forms.CharField(
        label="Webhook secret",
        required=False,
        widget=forms.PasswordInput(render_value=False),
        help_text="Webhook rules: the key that signs each webhook (the Standard Webhooks "
        "webhook-signature header), best as whsec_ and base64; see the README on verifying "
        "webhooks. Blank keeps the current secret.",
    )

    class Meta:
        model = NotificationRule
        fields = [
            "title",
            "active",
            "trigger",
            "percent",
            "policy",
            "metric",
            "group_policy",
            "group",
            "priority",
            "channel",
            "webhook_url",
            "hold_for_business_hours",
            "combine_warnings",
            "set_priority",
            "set_group",
            "add_tag",
            "objective",
            "burn_rate",
        ]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for name, message in REQUIRED_MESSAGES.items():
            if name in self.fields:
                self.fields[name].error_messages["required"] = message
        self.fields["percent"].label = "At percent of the target"
        self.fields["percent"].help_text = "Warn when this share of the target has passed."
        metric_field = self.fields["metric"]
        assert isinstance(metric_field, forms.ChoiceField)
        metric_field.choices = [
            ("", "Any of the ticket's SLA metrics"),
            *((value, metric_title(value)) for value, _ in NotificationRule.METRIC_CHOICES),
        ]
        self.fields["policy"].help_text = "SLA policies only: group ownership has none."
        self.fields[
            "group_policy"
        ].help_text = "Group ownership time only: this group SLA policy's targets."
        self.fields[
            "group"
        ].help_text = "Group ownership time only: while this group holds the ticket."
        rule = self.instance
        if rule.lead_seconds:
            unit = "hours" if rule.lead_seconds % 3600 == 0 else "minutes"
            self.initial["lead_amount"] = rule.lead_seconds // LEAD_UNITS[unit]
            self.initial["lead_unit"] = unit
        if rule.pk:
            self.initial["recipients"] = [
                name
                for name, on in (("assignee", rule.email_assignee), ("group", rule.email_group))
                if on
            ]
            self.initial["email_addresses_text"] = "\n".join(rule.email_addresses)

    def clean(self) -> dict[str, Any]:
        super().clean()
        cleaned = self.cleaned_data
        policy = cleaned.get("policy")
        group_policy = cleaned.get("group_policy")
        holding_group = cleaned.get("group")
        group = cleaned.get("set_group")
        objective = cleaned.get("objective")
        raw_addresses = cleaned.get("email_addresses_text") or ""
        data: dict[str, Any] = {
            "title": cleaned.get("title") or "",
            "active": bool(cleaned.get("active")),
            "trigger": cleaned.get("trigger") or "",
            "lead_seconds": self._lead_seconds(),
            "percent": cleaned.get("percent"),
            "policy_id": policy.pk if policy is not None else None,
            "metric": cleaned.get("metric") or None,
            "group_policy_id": group_policy.pk if group_policy is not None else None,
            "group_id": holding_group.pk if holding_group is not None else None,
            "priority": cleaned.get("priority") or None,
            "channel": cleaned.get("channel") or "",
            "webhook_url": cleaned.get("webhook_url") or "",
            "recipients": list(cleaned.get("recipients") or []),
            "email_addresses": [
                part.strip()
                for part in raw_addresses.replace(",", "\n").splitlines()
                if part.strip()
            ],
            "hold_for_business_hours": bool(cleaned.get("hold_for_business_hours")),
            "combine_warnings": bool(cleaned.get("combine_warnings")),
            "set_priority": cleaned.get("set_priority") or None,
            "set_group_id": group.pk if group is not None else None,
            "add_tag": cleaned.get("add_tag") or "",
            "objective_id": objective.pk if objective is not None else None,
            "burn_rate": cleaned.get("burn_rate"),
        }
        if cleaned.get("new_webhook_secret"):
            data["webhook_secret"] = cleaned["new_webhook_secret"]
        current = rule_fields(self.instance) if self.instance.pk else {}
        serializer = NotificationRuleInputSerializer(data=data, context={"current": current})
        if not serializer.is_valid():
            for name, problems in serializer.errors.items():
                field = {
                    "policy_id": "policy",
                    "group_policy_id": "group_policy",
                    "group_id": "group",
                    "email_addresses": "email_addresses_text",
                    "set_group_id": "set_group",
                    "objective_id": "objective",
                    "lead_seconds": "lead_amount",
                    "webhook_secret": "new_webhook_secret",
                }.get(name, name)
                target = field if field in self.fields else None
                if target is not None and target in self.errors:
                    continue  # the form said it already: one message per problem
                self.add_error(
                    target,
                    [
                        _plain(name, p) if target is not None else f"{name}: {p}"
                        for p in _flat(problems)
                    ],
                )
        else:
            self.validated = dict(serializer.validated_data)
        return cleaned

    def _lead_seconds(self) -> int | None:
        amount = self.cleaned_data.get("lead_amount")
        if amount is None:
            return None
        unit = self.cleaned_data.get("lead_unit") or "minutes"
        return int(amount) * LEAD_UNITS.get(unit, 60)


def _flat(problems: Any) -> list[str]:
    if isinstance(problems, dict):
        return [f"{key}: {p}" for key, value in problems.items() for p in _flat(value)]
    if isinstance(problems, list):
        return [p for item in problems for p in _flat(item)]
    return [str(problems)]


@admin.register(NotificationRule)
class NotificationRuleAdmin(admin.ModelAdmin[NotificationRule]):
    form = NotificationRuleAdminForm
    list_display = ["title", "active", "trigger", "when", "scope", "channel", "updated_at"]
    list_filter = ["active", "trigger", "channel"]
    list_select_related = ["policy", "group_policy", "group", "objective"]
    search_fields = ["title"]
    change_form_template = "admin/notifications/rule_change_form.html"
    fieldsets = [
        (None, {"fields": ["title", "active"]}),
        ("When", {"fields": ["trigger", ("lead_amount", "lead_unit"), "percent"]}),
        (
            "Which targets",
            {
                "fields": ["metric", "policy", "group_policy", "group", "priority"],
                "description": "Blank means any policy, group or priority. Group ownership "
                "time (group SLA policies) is notified only by rules that choose it.",
            },
        ),
        (
            "Which objectives",
            {
                "fields": ["objective", "burn_rate"],
                "description": "Objective rules (below target, budget burn) only: blank means "
                "every objective; the burn rate defaults to 1. They email fixed addresses only.",
            },
        ),
        (
            "To whom",
            {
                "fields": [
                    "channel",
                    "webhook_url",
                    "new_webhook_secret",
                    "recipients",
                    "email_addresses_text",
                    "hold_for_business_hours",
                    "combine_warnings",
                ]
            },
        ),
        (
            "Escalation on breach",
            {
                "fields": ["set_priority", "set_group", "add_tag"],
                "description": "Breach rules only: applied to the ticket as an update that "
                "shows in its audit.",
            },
        ),
    ]

    @admin.display(description="When")
    def when(self, rule: NotificationRule) -> str:
        if rule.trigger == "warning_before":
            return f"{lead_words(rule.lead_seconds)} before breach"
        if rule.trigger == "warning_percent":
            return f"at {rule.percent} % of the target"
        if rule.trigger == "objective_below":
            return "objective below target"
        if rule.trigger == "budget_burn":
            return f"burn rate {rule.burn_rate} or more"
        return "at breach"

    @admin.display(description="Scope")
    def scope(self, rule: NotificationRule) -> str:
        if rule.watches_objectives:
            return rule.objective.title if rule.objective else "every objective"
        if rule.metric == GROUP_OWNERSHIP_TIME:
            parts = [
                "Group ownership time",
                rule.group_policy.title if rule.group_policy else "any group SLA policy",
                rule.group.name if rule.group else "any group",
            ]
        else:
            parts = [
                rule.policy.title if rule.policy else "any policy",
                metric_title(rule.metric) if rule.metric else "any metric",
            ]
        parts.append(rule.priority or "any priority")
        return ", ".join(parts)

    def save_model(
        self, request: HttpRequest, obj: NotificationRule, form: Any, change: bool
    ) -> None:
        now = timezone.now()
        if change:
            saved = rules.notification_rule_update(rule_id=obj.pk, data=form.validated, now=now)
        else:
            saved = rules.notification_rule_create(data=form.validated, now=now)
        obj.pk = saved.pk

    def delete_model(self, request: HttpRequest, obj: NotificationRule) -> None:
        rules.notification_rule_delete(rule_id=obj.pk, now=timezone.now())

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[NotificationRule]) -> None:
        now = timezone.now()
        for pk in list(queryset.values_list("pk", flat=True)):
            rules.notification_rule_delete(rule_id=pk, now=now)

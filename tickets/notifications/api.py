"""SLA notification rules: `/api/v2/slas/notification_rules`, in Zendesk's JSON style.

Agents read, admins write. The input serializer is shared with the admin pages, so both accept
and refuse exactly the same rules. The webhook secret is write-only: responses say whether one
is set, never what it is.
"""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Any

from django.utils import timezone
from drf_spectacular.utils import extend_schema, extend_schema_field, inline_serializer
from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from policies.engine.vocabulary import Metric, Priority
from policies.inputs import MAX_TARGET_SECONDS
from policies.models import GROUP_OWNERSHIP_TIME, GroupSlaPolicy, Policy
from slaweb.api.errors import root_object
from slaweb.api.fields import StrictBooleanField, StrictCharField, StrictIntegerField
from slaweb.api.output import BlankAsNull, Link, Timestamp, output_context, serialize_many
from slaweb.api.pagination import paginate
from slaweb.api.permissions import AgentReadsAdminWrites
from slaweb.api.schema import PAGINATION_PARAMETERS, paginated, with_errors
from tickets.models import Group, NotificationRule, ServiceLevelObjective
from tickets.notifications import rules
from tickets.notifications.webhooks import check_webhook_url, webhook_secret_problem

TRIGGERS = [choice for choice, _ in NotificationRule.TRIGGER_CHOICES]
CHANNELS = [choice for choice, _ in NotificationRule.CHANNEL_CHOICES]
RECIPIENTS = ["assignee", "group"]
OBJECTIVE_TRIGGERS = list(NotificationRule.OBJECTIVE_TRIGGERS)
# What a rule about tickets' targets may say and an objective rule may not.
TICKET_ONLY = (
    "lead_seconds",
    "percent",
    "policy_id",
    "metric",
    "group_policy_id",
    "group_id",
    "priority",
    "hold_for_business_hours",
    "combine_warnings",
    "set_priority",
    "set_group_id",
    "add_tag",
)
METRICS = [m.value for m in Metric] + [GROUP_OWNERSHIP_TIME]
MAX_ADDRESSES = 50
TAG_RE = re.compile(r"^[\w\-:/]+$")


PRIORITIES = [p.value for p in Priority]


# A pattern, not an enum: as an enum the schema would name `priority`'s choice set twice.
@extend_schema_field({"type": ["string", "null"], "pattern": f"^({'|'.join(PRIORITIES)})$"})
class EscalationPriorityField(serializers.ChoiceField):
    pass


# A pattern, not an enum, for the same reason: the SLA metrics' enum is also named `metric`.
@extend_schema_field({"type": ["string", "null"], "pattern": f"^({'|'.join(METRICS)})$"})
class RuleMetricField(serializers.ChoiceField):
    pass


class NotificationRuleInputSerializer(serializers.Serializer[Any]):
    """The `notification_rule` object of create and update requests.

    Update is partial: absent keys keep their value, and the rule as it would be saved is
    validated whole (pass the stored rule's fields as `context["current"]`).
    """

    title = StrictCharField(max_length=255)
    active = StrictBooleanField(required=False)
    trigger = serializers.ChoiceField(choices=TRIGGERS)
    lead_seconds = StrictIntegerField(
        min_value=1,
        max_value=MAX_TARGET_SECONDS,
        required=False,
        allow_null=True,
        help_text="warning_before: how long before the breach",
    )
    percent = StrictIntegerField(
        min_value=1,
        max_value=99,
        required=False,
        allow_null=True,
        help_text="warning_percent: the share of the target elapsed",
    )
    policy_id = StrictIntegerField(
        required=False, allow_null=True, help_text="Only this policy's targets (null: any)"
    )
    metric = RuleMetricField(
        choices=METRICS,
        required=False,
        allow_null=True,
        help_text="Only this metric's targets (null: any of the ticket's own SLA metrics; "
        "group ownership time is notified only by rules that name it)",
    )
    group_policy_id = StrictCharField(
        max_length=26,
        required=False,
        allow_null=True,
        allow_blank=True,
        help_text="Group ownership time only: this group SLA policy's targets (null: any)",
    )
    group_id = StrictIntegerField(
        required=False,
        allow_null=True,
        help_text="Group ownership time only: while this group holds the ticket (null: any)",
    )
    priority = serializers.ChoiceField(
        choices=[p.value for p in Priority], required=False, allow_null=True
    )
    channel = serializers.ChoiceField(choices=CHANNELS)
    webhook_url = StrictCharField(max_length=2048, required=False, allow_blank=True)
    webhook_secret = StrictCharField(
        max_length=255, required=False, allow_blank=True, write_only=True
    )
    recipients = serializers.ListField(
        child=serializers.ChoiceField(choices=RECIPIENTS), required=False, max_length=2
    )
    email_addresses = serializers.ListField(
        child=serializers.EmailField(), required=False, max_length=MAX_ADDRESSES
    )
    hold_for_business_hours = StrictBooleanField(
        required=False, help_text="Email rules: send only in the account schedule's hours"
    )
    combine_warnings = StrictBooleanField(
        required=False,
        help_text="Email warning rules: warnings due together go as one email per recipient",
    )
    set_priority = EscalationPriorityField(
        choices=PRIORITIES,
        required=False,
        allow_null=True,
        help_text="Escalation on breach: set the ticket's priority",
    )
    set_group_id = StrictIntegerField(
        required=False, allow_null=True, help_text="Escalation on breach: assign this group"
    )
    add_tag = StrictCharField(
        max_length=80,
        required=False,
        allow_blank=True,
        allow_null=True,
        help_text="Escalation on breach: add this tag",
    )
    objective_id = StrictIntegerField(
        required=False,
        allow_null=True,
        help_text="objective_below and budget_burn: only this objective (null: every one)",
    )
    burn_rate = serializers.DecimalField(
        max_digits=8,
        decimal_places=2,
        min_value=Decimal("0.01"),
        required=False,
        allow_null=True,
        help_text="budget_burn: alert from this burn rate on (default 1: the error budget "
        "runs out before the window ends)",
    )

    def validate_objective_id(self, value: int | None) -> int | None:
        if value is not None and not ServiceLevelObjective.objects.filter(pk=value).exists():
            raise serializers.ValidationError(f"there is no objective {value}")
        return value

    def validate_set_group_id(self, value: int | None) -> int | None:
        if value is not None and not Group.objects.filter(pk=value).exists():
            raise serializers.ValidationError(f"there is no group {value}")
        return value

    def validate_add_tag(self, value: str | None) -> str:
        value = (value or "").strip().lower()
        if value and not TAG_RE.match(value):
            raise serializers.ValidationError("a tag is one word of letters, digits, _ - : /")
        return value

    def validate_group_policy_id(self, value: str | None) -> str | None:
        if not value:
            return None
        if not GroupSlaPolicy.objects.filter(pk=value).exists():
            raise serializers.ValidationError(f"there is no group SLA policy {value}")
        return value

    def validate_group_id(self, value: int | None) -> int | None:
        if value is not None and not Group.objects.filter(pk=value).exists():
            raise serializers.ValidationError(f"there is no group {value}")
        return value

    def validate_policy_id(self, value: int | None) -> int | None:
        if value is not None and not Policy.objects.filter(pk=value).exists():
            raise serializers.ValidationError(f"there is no SLA policy {value}")
        return value

    def validate_webhook_url(self, value: str) -> str:
        value = value.strip()
        if value:
            reason = check_webhook_url(value)
            if reason:
                raise serializers.ValidationError(reason)
        return value

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        rule = {**self.context.get("current", {}), **attrs}
        if "recipients" in attrs:
            rule["email_assignee"] = "assignee" in attrs["recipients"]
            rule["email_group"] = "group" in attrs["recipients"]
        rule.pop("recipients", None)
        rule.setdefault("active", True)
        rule["metric"] = rule.get("metric") or ""
        rule["priority"] = rule.get("priority") or ""
        rule["group_policy_id"] = rule.get("group_policy_id") or None
        rule.setdefault("group_id", None)
        errors: dict[str, list[str]] = {}
        trigger = rule["trigger"]
        watches_objectives = trigger in OBJECTIVE_TRIGGERS
        if watches_objectives:
            self._objective_rule(attrs, rule, errors)
        else:
            self._group_scope(attrs, rule, errors)
            for name, used_by in (
                ("objective_id", "objective_below and budget_burn"),
                ("burn_rate", "budget_burn"),
            ):
                if attrs.get(name) is not None:
                    errors[name] = [f"applies only to {used_by} rules"]
                rule[name] = None
        for name, used_by in (("lead_seconds", "warning_before"), ("percent", "warning_percent")):
            if trigger == used_by:
                if rule.get(name) is None:
                    errors[name] = [f"is required for a {used_by} rule"]
            elif attrs.get(name) is not None:
                errors[name] = [f"applies only to {used_by} rules"]
            else:
                rule[name] = None
        rule.setdefault("hold_for_business_hours", False)
        rule.setdefault("combine_warnings", False)
        if rule["channel"] != "email":
            for name in ("hold_for_business_hours", "combine_warnings"):
                if attrs.get(name):
                    errors[name] = ["applies only to email rules"]
                rule[name] = False
        if trigger == "breach":
            if attrs.get("combine_warnings"):
                errors["combine_warnings"] = ["applies only to warning rules"]
            rule["combine_warnings"] = False
        if rule["channel"] == "webhook":
            if not rule.get("webhook_url"):
                errors["webhook_url"] = ["is required for a webhook rule"]
            problem = webhook_secret_problem(rule.get("webhook_secret") or "")
            if problem:
                errors["webhook_secret"] = [problem]
            rule["email_assignee"] = rule["email_group"] = False
            rule["email_addresses"] = []
        else:
            rule["webhook_url"] = rule["webhook_secret"] = ""
            addresses = list(dict.fromkeys(a.lower() for a in rule.get("email_addresses", [])))
            rule["email_addresses"] = addresses
            if watches_objectives:
                if not addresses:
                    errors["email_addresses"] = ["an objective email rule needs email_addresses"]
            elif not (rule.get("email_assignee") or rule.get("email_group") or addresses):
                errors["recipients"] = [
                    "an email rule needs recipients: assignee, group or email_addresses"
                ]
        rule["set_priority"] = rule.get("set_priority") or ""
        rule["add_tag"] = rule.get("add_tag") or ""
        rule.setdefault("set_group_id", None)
        if trigger != "breach":
            for name in ("set_priority", "set_group_id", "add_tag"):
                if attrs.get(name):
                    errors[name] = ["escalation applies only to breach rules"]
                rule[name] = "" if name != "set_group_id" else None
        if errors:
            raise serializers.ValidationError(errors)
        rule.setdefault("email_assignee", False)
        rule.setdefault("email_group", False)
        rule.setdefault("email_addresses", [])
        rule.setdefault("policy_id", None)
        return {name: rule[name] for name in rules.NOTIFICATION_RULE_FIELDS}

    @staticmethod
    def _group_scope(
        attrs: dict[str, Any], rule: dict[str, Any], errors: dict[str, list[str]]
    ) -> None:
        """A group SLA policy or holding group makes a group ownership time rule (a blank
        metric becomes that metric); group ownership time has no SLA policy."""
        scoped = rule["group_policy_id"] is not None or rule["group_id"] is not None
        if scoped and not rule["metric"]:
            rule["metric"] = GROUP_OWNERSHIP_TIME
        if rule["metric"] == GROUP_OWNERSHIP_TIME:
            if rule.get("policy_id") is not None:
                errors["policy_id"] = [
                    "group ownership time belongs to group SLA policies: "
                    "scope it with group_policy_id"
                ]
        elif scoped:
            for name in ("group_policy_id", "group_id"):
                if rule[name] is not None:
                    errors[name] = ["applies only to group_ownership_time rules"]
                rule[name] = None

    @staticmethod
    def _objective_rule(
        attrs: dict[str, Any], rule: dict[str, Any], errors: dict[str, list[str]]
    ) -> None:
        """An objective rule: no ticket fields, fixed addresses only, a burn rate for
        budget_burn (1 by default) and none otherwise."""
        for name in TICKET_ONLY:
            if attrs.get(name):
                scoped = name in ("policy_id", "metric", "priority", "group_policy_id", "group_id")
                errors[name] = [
                    "applies only to rules about tickets' targets"
                    + ("; objective rules are scoped by objective_id" if scoped else "")
                ]
            blank_none = ("lead_seconds", "percent", "policy_id", "group_policy_id", "group_id")
            rule[name] = None if name in blank_none else ""
        rule["hold_for_business_hours"] = rule["combine_warnings"] = False
        rule["set_group_id"] = None
        if attrs.get("recipients"):
            errors["recipients"] = [
                "objective alerts concern no ticket: they go to email_addresses only"
            ]
        rule["email_assignee"] = rule["email_group"] = False
        rule.setdefault("objective_id", None)
        if rule["trigger"] == "budget_burn":
            if rule.get("burn_rate") is None:
                rule["burn_rate"] = Decimal(1)
        else:
            if attrs.get("burn_rate") is not None:
                errors["burn_rate"] = ["applies only to budget_burn rules"]
            rule["burn_rate"] = None


def rule_fields(rule: NotificationRule) -> dict[str, Any]:
    """A stored rule's fields as the serializer's `context["current"]`."""
    return {name: getattr(rule, name) for name in rules.NOTIFICATION_RULE_FIELDS}


# Needs `context["root"]`. The webhook secret is never shown, only whether one is set.
class NotificationRuleOutputSerializer(serializers.Serializer[NotificationRule]):
    url = Link("/api/v2/slas/notification_rules/{obj.pk}.json")
    id = serializers.IntegerField()
    title = serializers.CharField()
    active = serializers.BooleanField()
    trigger = serializers.ChoiceField(choices=TRIGGERS)
    lead_seconds = serializers.IntegerField(allow_null=True)
    percent = serializers.IntegerField(allow_null=True)
    policy_id = serializers.IntegerField(allow_null=True)
    metric = BlankAsNull()
    group_policy_id = serializers.CharField(allow_null=True)
    group_id = serializers.IntegerField(allow_null=True)
    priority = BlankAsNull()
    channel = serializers.ChoiceField(choices=CHANNELS)
    webhook_url = serializers.SerializerMethodField()
    has_webhook_secret = serializers.SerializerMethodField()
    recipients = serializers.SerializerMethodField()
    email_addresses = serializers.ListField(child=serializers.CharField())
    hold_for_business_hours = serializers.BooleanField()
    combine_warnings = serializers.BooleanField()
    set_priority = BlankAsNull()
    set_group_id = serializers.IntegerField(allow_null=True)
    add_tag = BlankAsNull()
    objective_id = serializers.IntegerField(allow_null=True)
    burn_rate = serializers.FloatField(allow_null=True)
    created_at = Timestamp()
    updated_at = Timestamp()

    @extend_schema_field(serializers.CharField(allow_null=True))
    def get_webhook_url(self, rule: NotificationRule) -> str | None:
        return rule.webhook_url if rule.channel == "webhook" else None

    @extend_schema_field(serializers.BooleanField())
    def get_has_webhook_secret(self, rule: NotificationRule) -> bool:
        return rule.channel == "webhook" and bool(rule.webhook_secret)

    @extend_schema_field(serializers.ListField(child=serializers.CharField()))
    def get_recipients(self, rule: NotificationRule) -> list[str]:
        wanted = (("assignee", rule.email_assignee), ("group", rule.email_group))
        return [name for name, on in wanted if on]


RuleEnvelope = inline_serializer(
    "SlaNotificationRuleResponse", {"notification_rule": NotificationRuleOutputSerializer()}
)
RuleRequest = inline_serializer(
    "SlaNotificationRuleRequest", {"notification_rule": NotificationRuleInputSerializer()}
)
RuleListEnvelope = paginated(
    "SlaNotificationRuleListResponse",
    "notification_rules",
    NotificationRuleOutputSerializer(many=True),
)


def _get(rule_id: str) -> NotificationRule:
    return NotificationRule.objects.get(pk=int(rule_id))


def _one(request: Request, rule: NotificationRule, code: int = status.HTTP_200_OK) -> Response:
    body = NotificationRuleOutputSerializer(rule, context=output_context(request)).data
    return Response({"notification_rule": body}, status=code)


def _validated(request: Request, current: NotificationRule | None) -> dict[str, Any]:
    context = {"current": rule_fields(current)} if current is not None else {}
    serializer = NotificationRuleInputSerializer(
        data=root_object(request, "notification_rule"), partial=current is not None, context=context
    )
    serializer.is_valid(raise_exception=True)
    return dict(serializer.validated_data)


class NotificationRuleListCreateApi(APIView):
    permission_classes = [AgentReadsAdminWrites]

    @extend_schema(
        operation_id="ListSLANotificationRules",
        parameters=PAGINATION_PARAMETERS,
        responses=with_errors({200: RuleListEnvelope}),
    )
    def get(self, request: Request) -> Response:
        context = output_context(request)
        return paginate(
            request,
            NotificationRule.objects.all(),
            key="notification_rules",
            serialize=lambda rows: serialize_many(NotificationRuleOutputSerializer, rows, context),
        )

    @extend_schema(
        operation_id="CreateSLANotificationRule",
        request=RuleRequest,
        responses=with_errors({201: RuleEnvelope}, writes=True),
    )
    def post(self, request: Request) -> Response:
        data = _validated(request, None)
        rule = rules.notification_rule_create(data=data, now=timezone.now())
        response = _one(request, rule, status.HTTP_201_CREATED)
        response["Location"] = response.data["notification_rule"]["url"]
        return response


class NotificationRuleDetailApi(APIView):
    permission_classes = [AgentReadsAdminWrites]

    @extend_schema(
        operation_id="ShowSLANotificationRule",
        responses=with_errors({200: RuleEnvelope}, lookup=True),
    )
    def get(self, request: Request, rule_id: str) -> Response:
        return _one(request, _get(rule_id))

    @extend_schema(
        operation_id="UpdateSLANotificationRule",
        request=RuleRequest,
        responses=with_errors({200: RuleEnvelope}, writes=True, lookup=True),
    )
    def put(self, request: Request, rule_id: str) -> Response:
        data = _validated(request, _get(rule_id))  # 404 before validation
        rule = rules.notification_rule_update(rule_id=int(rule_id), data=data, now=timezone.now())
        return _one(request, rule)

    @extend_schema(
        operation_id="DeleteSLANotificationRule",
        request=None,
        responses=with_errors({204: None}, lookup=True),
    )
    def delete(self, request: Request, rule_id: str) -> Response:
        rules.notification_rule_delete(rule_id=int(rule_id), now=timezone.now())
        return Response(status=status.HTTP_204_NO_CONTENT)

"""`POST /api/v2/slas/backtest`: a draft policy list over the last N days of tickets, beside
the live policies' figures, without writing (slaweb's extension)."""

from __future__ import annotations

from typing import Any

from django.utils import timezone
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from policies.api.serializers import PolicyInputSerializer
from policies.models import Policy
from slaweb.api.errors import BadRequest, RecordInvalid, _details_from_drf, invalid
from slaweb.api.permissions import IsAdmin
from slaweb.api.schema import with_errors
from slaweb.api.timestamps import iso
from tickets.selectors import policy_input_context
from tickets.sla.backtest import GROUPINGS, MAX_DAYS, MIN_DAYS, backtest

DEFAULT_DAYS = 30
# Each draft is validated on its own; a list this long is already far past any real account.
MAX_DRAFTS = 100


def validated_drafts(raw: Any) -> list[dict[str, Any]]:
    """Each draft through the policy API's own validation; errors keyed by the draft's index
    (`sla_policies[0].title`). A draft's `id`, when it names an existing policy, is kept."""
    if not isinstance(raw, list):
        raise invalid("sla_policies", "Sla policies: must be an array of SLA policies")
    if len(raw) > MAX_DRAFTS:
        raise invalid("sla_policies", f"Sla policies: at most {MAX_DRAFTS} policies")
    named = {
        item["id"]
        for item in raw
        if isinstance(item, dict) and isinstance(item.get("id"), int) and item["id"] > 0
    }
    if named:
        named = set(Policy.objects.filter(pk__in=named).values_list("pk", flat=True))
    drafts: list[dict[str, Any]] = []
    details: dict[str, list[dict[str, str]]] = {}
    context = policy_input_context()
    for index, item in enumerate(raw):
        key = f"sla_policies[{index}]"
        if not isinstance(item, dict):
            details[key] = [
                {"description": f"Policy {index + 1}: must be an object", "error": "InvalidValue"}
            ]
            continue
        serializer = PolicyInputSerializer(data=item, context=context)
        if not serializer.is_valid():
            for field, errors in _details_from_drf(serializer.errors).items():
                details[f"{key}.{field}"] = [
                    {**error, "description": f"Policy {index + 1}: {error['description']}"}
                    for error in errors
                ]
            continue
        data = dict(serializer.validated_data)
        policy_id = item.get("id")
        if not isinstance(policy_id, bool) and policy_id in named:
            data["id"] = policy_id
        drafts.append(data)
    if details:
        raise RecordInvalid(details)
    return drafts


def backtest_from_body(body: Any, *, now: Any) -> dict[str, Any]:
    """Validate a request body and run the backtest: the API and the dashboard both call this."""
    if not isinstance(body, dict) or "sla_policies" not in body:
        raise BadRequest(
            "InvalidRequest", "The request body must be a JSON object with a 'sla_policies' key"
        )
    days = body.get("days", DEFAULT_DAYS)
    if isinstance(days, bool) or not isinstance(days, int) or not MIN_DAYS <= days <= MAX_DAYS:
        raise invalid("days", f"Days: must be a whole number from {MIN_DAYS} to {MAX_DAYS}")
    group_by = body.get("group_by")
    if group_by is not None and group_by not in GROUPINGS:
        raise invalid("group_by", f"Group by: must be one of {', '.join(GROUPINGS)}")
    drafts = validated_drafts(body["sla_policies"])
    result = backtest(drafts=drafts, days=days, now=now, group_by=group_by)
    return {**result, "start_time": iso(result["start_time"]), "end_time": iso(result["end_time"])}


class _Figures(serializers.Serializer):
    achieved = serializers.IntegerField()
    breached = serializers.IntegerField()
    in_progress = serializers.IntegerField()
    achieved_percent = serializers.FloatField(allow_null=True)


class _Difference(serializers.Serializer):
    achieved_percent = serializers.FloatField(allow_null=True, help_text="Draft minus live")
    achieved = serializers.IntegerField()
    breached = serializers.IntegerField()
    in_progress = serializers.IntegerField()


class BacktestRowSerializer(serializers.Serializer):
    live = _Figures()
    draft = _Figures()
    difference = _Difference()


class BacktestGroupSerializer(BacktestRowSerializer):
    key = serializers.CharField(allow_null=True)
    label = serializers.CharField()


BacktestResponse = inline_serializer(
    "SlaBacktestResponse",
    {
        "backtest": inline_serializer(
            "SlaBacktest",
            {
                "start_time": serializers.DateTimeField(),
                "end_time": serializers.DateTimeField(),
                "days": serializers.IntegerField(),
                "group_by": serializers.CharField(allow_null=True),
                "tickets": serializers.IntegerField(help_text="Tickets created in the window"),
                "policy_changes": serializers.IntegerField(
                    help_text="Tickets whose final policy would differ under the draft"
                ),
                "total": BacktestRowSerializer(),
                "groups": BacktestGroupSerializer(many=True),
            },
        )
    },
)


class SlaBacktestApi(APIView):
    """Replay every ticket created in the last `days` days (1 to 90) twice: under the live
    policies in force at each save, and under the draft list `sla_policies` (each validated as
    an SLA policy; their order is their position). Counts achieved, breached and in-progress
    targets now, as the reports define them, side by side. Nothing is written."""

    permission_classes = [IsAdmin]

    @extend_schema(
        operation_id="BacktestSLAPolicies",
        description=__doc__,
        request=inline_serializer(
            "SlaBacktestRequest",
            {
                "sla_policies": PolicyInputSerializer(many=True),
                "days": serializers.IntegerField(
                    min_value=MIN_DAYS, max_value=MAX_DAYS, default=DEFAULT_DAYS, required=False
                ),
                # A plain string: the reports' `group_by` enum already has that name.
                "group_by": serializers.CharField(
                    required=False,
                    allow_null=True,
                    help_text=f"One of {', '.join(GROUPINGS)}; none for totals only",
                ),
            },
        ),
        responses=with_errors({200: BacktestResponse}, writes=True),
    )
    def post(self, request: Request) -> Response:
        return Response({"backtest": backtest_from_body(request.data, now=timezone.now())})

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

from policies.inputs import GroupSlaPolicyInputSerializer, PolicyInputSerializer
from slaweb.api.permissions import IsAdmin
from slaweb.api.schema import with_errors
from tickets.sla.backtest import DEFAULT_DAYS, GROUPINGS, MAX_DAYS, MIN_DAYS, backtest_from_body

# The figures `tickets.sla.backtest.backtest_from_body` computes, as the API shows them.


class _Figures(serializers.Serializer[dict[str, Any]]):
    achieved = serializers.IntegerField()
    breached = serializers.IntegerField()
    in_progress = serializers.IntegerField()
    achieved_percent = serializers.FloatField(allow_null=True)


class _Difference(serializers.Serializer[dict[str, Any]]):
    achieved_percent = serializers.FloatField(allow_null=True, help_text="Draft minus live")
    achieved = serializers.IntegerField()
    breached = serializers.IntegerField()
    in_progress = serializers.IntegerField()


class BacktestRowSerializer(serializers.Serializer[dict[str, Any]]):
    live = _Figures()
    draft = _Figures()
    difference = _Difference()


class BacktestGroupSerializer(serializers.Serializer[dict[str, Any]]):
    key = serializers.CharField(allow_null=True)
    label = serializers.CharField()  # type: ignore[assignment]  # not Field.label
    live = _Figures()
    draft = _Figures()
    difference = _Difference()


class GroupSlaBacktestSerializer(serializers.Serializer[dict[str, Any]]):
    policy_changes = serializers.IntegerField(
        help_text="Tickets whose final group SLA policy would differ under the draft"
    )
    total = BacktestRowSerializer(help_text="Group ownership instances with a target")
    groups = BacktestGroupSerializer(many=True)


class SlaBacktestSerializer(serializers.Serializer[dict[str, Any]]):
    start_time = serializers.DateTimeField()
    end_time = serializers.DateTimeField()
    days = serializers.IntegerField()
    group_by = serializers.CharField(allow_null=True)
    tickets = serializers.IntegerField(help_text="Tickets created in the window")
    policy_changes = serializers.IntegerField(
        help_text="Tickets whose final policy would differ under the draft"
    )
    total = BacktestRowSerializer()
    groups = BacktestGroupSerializer(many=True)
    group_sla = GroupSlaBacktestSerializer(
        allow_null=True,
        help_text="Group ownership time under the live and the draft group SLA policies; "
        "null unless the request has group_sla_policies",
    )


BacktestResponse = inline_serializer("SlaBacktestResponse", {"backtest": SlaBacktestSerializer()})


class SlaBacktestApi(APIView):
    """Replay every ticket created in the last `days` days (1 to 90) twice: under the live
    policies in force at each save, and under the draft list `sla_policies` (each validated as
    an SLA policy; their order is their position). Counts achieved, breached and in-progress
    targets now, as the reports define them, side by side. With `group_sla_policies` (each
    validated as a group SLA policy), group ownership time is compared the same way, live
    group SLA policies against the draft ones, in `group_sla`. Nothing is written."""

    permission_classes = [IsAdmin]

    @extend_schema(
        operation_id="BacktestSLAPolicies",
        description=__doc__,
        request=inline_serializer(
            "SlaBacktestRequest",
            {
                "sla_policies": PolicyInputSerializer(many=True),
                "group_sla_policies": GroupSlaPolicyInputSerializer(
                    many=True,
                    required=False,
                    allow_null=True,
                    help_text="Draft group SLA policies in position order; leave out to "
                    "compare SLA policies only",
                ),
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
        result = backtest_from_body(request.data, now=timezone.now())
        return Response({"backtest": SlaBacktestSerializer(result).data})

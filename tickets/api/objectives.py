"""Service level objectives: `/api/v2/slas/objectives`, in Zendesk's JSON style.

Agents read, admins write. Every objective comes with its current status (rate, error budget,
burn rate, trend), computed by `tickets.objectives.objective_status` at the time of the request.
"""

from __future__ import annotations

from typing import Any

from django.utils import timezone
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from slaweb.api.errors import root_object
from slaweb.api.pagination import base_url, paginate
from slaweb.api.permissions import AgentReadsAdminWrites
from slaweb.api.schema import PAGINATION_PARAMETERS, paginated, with_errors
from slaweb.api.timestamps import iso
from tickets import objectives
from tickets.inputs import ObjectiveInputSerializer
from tickets.models import ServiceLevelObjective
from tickets.objectives import ObjectiveStatus


class DailyRateSerializer(serializers.Serializer):
    day = serializers.DateField()
    achieved = serializers.IntegerField()
    breached = serializers.IntegerField()
    rate = serializers.FloatField(allow_null=True)


class ObjectiveStatusSerializer(serializers.Serializer):
    start_time = serializers.DateTimeField()
    end_time = serializers.DateTimeField()
    achieved = serializers.IntegerField()
    breached = serializers.IntegerField()
    in_progress = serializers.IntegerField()
    rate = serializers.FloatField(
        allow_null=True, help_text="achieved / (achieved + breached) in the window, in percent"
    )
    met = serializers.BooleanField(allow_null=True, help_text="rate >= target_rate")
    allowed_breaches = serializers.IntegerField(
        help_text="floor((100 - target_rate) / 100 × (achieved + breached))"
    )
    error_budget_remaining = serializers.IntegerField(
        help_text="Breaches still allowed in the window: allowed_breaches - breached; "
        "negative when overspent"
    )
    budget_consumed_percent = serializers.FloatField(
        allow_null=True, help_text="breached / allowed_breaches, in percent"
    )
    burn_rate = serializers.FloatField(
        allow_null=True,
        help_text="Share of the budget used / share of the window elapsed; above 1 the budget "
        "runs out before the window ends",
    )
    trend = inline_serializer(
        "SlaObjectiveTrend",
        {
            "previous_rate": serializers.FloatField(allow_null=True),
            "rate_change": serializers.FloatField(
                allow_null=True, help_text="rate - previous_rate, in percentage points"
            ),
            "daily": DailyRateSerializer(many=True),
        },
    )


class ObjectiveOutputSerializer(serializers.Serializer):
    url = serializers.CharField()
    id = serializers.IntegerField()
    title = serializers.CharField()
    policy_id = serializers.IntegerField()
    metric = serializers.CharField(allow_null=True)
    priority = serializers.CharField(allow_null=True)
    target_rate = serializers.FloatField()
    window_days = serializers.IntegerField()
    created_at = serializers.DateTimeField()
    updated_at = serializers.DateTimeField()
    status = ObjectiveStatusSerializer()


def status_to_dict(state: ObjectiveStatus) -> dict[str, Any]:
    return {
        "start_time": iso(state.start),
        "end_time": iso(state.end),
        "achieved": state.achieved,
        "breached": state.breached,
        "in_progress": state.in_progress,
        "rate": state.rate,
        "met": state.met,
        "allowed_breaches": state.allowed_breaches,
        "error_budget_remaining": state.error_budget_remaining,
        "budget_consumed_percent": state.budget_consumed_percent,
        "burn_rate": state.burn_rate,
        "trend": {
            "previous_rate": state.previous_rate,
            "rate_change": state.rate_change,
            "daily": [
                {"day": d.day, "achieved": d.achieved, "breached": d.breached, "rate": d.rate}
                for d in state.daily
            ],
        },
    }


def objective_to_dict(
    objective: ServiceLevelObjective, state: ObjectiveStatus, root: str
) -> dict[str, Any]:
    return {
        "url": f"{root}/api/v2/slas/objectives/{objective.pk}.json",
        "id": objective.pk,
        "title": objective.title,
        "policy_id": objective.policy_id,
        "metric": objective.metric or None,
        "priority": objective.priority or None,
        "target_rate": float(objective.target_rate),
        "window_days": objective.window_days,
        "created_at": iso(objective.created_at),
        "updated_at": iso(objective.updated_at),
        "status": status_to_dict(state),
    }


ObjectiveEnvelope = inline_serializer(
    "SlaObjectiveResponse", {"objective": ObjectiveOutputSerializer()}
)
ObjectiveRequest = inline_serializer(
    "SlaObjectiveRequest", {"objective": ObjectiveInputSerializer()}
)
ObjectiveListEnvelope = paginated(
    "SlaObjectiveListResponse", "objectives", ObjectiveOutputSerializer(many=True)
)


def _get(objective_id: str) -> ServiceLevelObjective:
    return ServiceLevelObjective.objects.get(pk=int(objective_id))


def _validated(request: Request, *, partial: bool) -> dict[str, Any]:
    serializer = ObjectiveInputSerializer(data=root_object(request, "objective"), partial=partial)
    serializer.is_valid(raise_exception=True)
    return dict(serializer.validated_data)


def _answer(request: Request, objective: ServiceLevelObjective, code: int = 200) -> Response:
    state = objectives.objective_status(objective, now=timezone.now())
    return Response(
        {"objective": objective_to_dict(objective, state, base_url(request))}, status=code
    )


class ObjectiveListCreateApi(APIView):
    permission_classes = [AgentReadsAdminWrites]

    @extend_schema(
        operation_id="ListSLAObjectives",
        description="Every objective with its status now. " + (objectives.__doc__ or ""),
        parameters=PAGINATION_PARAMETERS,
        responses=with_errors({200: ObjectiveListEnvelope}),
    )
    def get(self, request: Request) -> Response:
        root = base_url(request)
        now = timezone.now()

        def serialize(rows: list[ServiceLevelObjective]) -> list[dict[str, Any]]:
            states = objectives.objective_statuses(rows, now=now)
            return [objective_to_dict(row, states[row.pk], root) for row in rows]

        return paginate(
            request, ServiceLevelObjective.objects.all(), key="objectives", serialize=serialize
        )

    @extend_schema(
        operation_id="CreateSLAObjective",
        request=ObjectiveRequest,
        responses=with_errors({201: ObjectiveEnvelope}, writes=True),
    )
    def post(self, request: Request) -> Response:
        data = _validated(request, partial=False)
        objective = objectives.objective_create(data=data, now=timezone.now())
        response = _answer(request, objective, status.HTTP_201_CREATED)
        response["Location"] = f"{base_url(request)}/api/v2/slas/objectives/{objective.pk}.json"
        return response


class ObjectiveDetailApi(APIView):
    permission_classes = [AgentReadsAdminWrites]

    @extend_schema(
        operation_id="ShowSLAObjective",
        responses=with_errors({200: ObjectiveEnvelope}, lookup=True),
    )
    def get(self, request: Request, objective_id: str) -> Response:
        return _answer(request, _get(objective_id))

    @extend_schema(
        operation_id="UpdateSLAObjective",
        request=ObjectiveRequest,
        responses=with_errors({200: ObjectiveEnvelope}, writes=True, lookup=True),
    )
    def put(self, request: Request, objective_id: str) -> Response:
        _get(objective_id)  # 404 before validation
        data = _validated(request, partial=True)
        objective = objectives.objective_update(
            objective_id=int(objective_id), data=data, now=timezone.now()
        )
        return _answer(request, objective)

    @extend_schema(
        operation_id="DeleteSLAObjective",
        request=None,
        responses=with_errors({204: None}, lookup=True),
    )
    def delete(self, request: Request, objective_id: str) -> Response:
        objectives.objective_delete(objective_id=int(objective_id))
        return Response(status=status.HTTP_204_NO_CONTENT)

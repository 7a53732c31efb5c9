"""Service level objectives: `/api/v2/slas/objectives`, in Zendesk's JSON style.

Agents read, admins write. Every objective comes with its current status (rate, error budget,
burn rate, trend), computed by `tickets.objectives.objective_status` at the time of the request.
An objective names an SLA policy (`policy_id`) or a group SLA policy (`group_sla_policy_id`,
whose group ownership time it measures), never both.
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
from slaweb.api.output import BlankAsNull, Link, Timestamp, output_context, serialize_many
from slaweb.api.pagination import paginate
from slaweb.api.permissions import AgentReadsAdminWrites
from slaweb.api.schema import PAGINATION_PARAMETERS, paginated, with_errors
from tickets import objectives
from tickets.models import ServiceLevelObjective
from tickets.objective_inputs import ObjectiveInputSerializer
from tickets.objectives import DailyRate, ObjectiveStatus


class DailyRateSerializer(serializers.Serializer[DailyRate]):
    day = serializers.DateField()
    achieved = serializers.IntegerField()
    breached = serializers.IntegerField()
    rate = serializers.FloatField(allow_null=True)


class SlaObjectiveTrendSerializer(serializers.Serializer[ObjectiveStatus]):
    previous_rate = serializers.FloatField(allow_null=True)
    rate_change = serializers.FloatField(
        allow_null=True, help_text="rate - previous_rate, in percentage points"
    )
    daily = DailyRateSerializer(many=True)


# As an objective's field: its status from `context["statuses"]` (by objective id).
class ObjectiveStatusSerializer(serializers.Serializer[ObjectiveStatus]):
    start_time = Timestamp(source="start")
    end_time = Timestamp(source="end")
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
    trend = SlaObjectiveTrendSerializer(source="*")

    def get_attribute(self, instance: Any) -> ObjectiveStatus:
        status: ObjectiveStatus = self.context["statuses"][instance.pk]
        return status


# Needs `context["root"]` and `context["statuses"]`, each objective's status by id
# (`tickets.objectives.objective_statuses`).
class ObjectiveOutputSerializer(serializers.Serializer[ServiceLevelObjective]):
    url = Link("/api/v2/slas/objectives/{obj.pk}.json")
    id = serializers.IntegerField()
    title = serializers.CharField()
    policy_id = serializers.IntegerField(
        allow_null=True, help_text="The SLA policy; null for a group SLA objective"
    )
    group_sla_policy_id = serializers.CharField(
        source="group_policy_id",
        allow_null=True,
        help_text="The group SLA policy whose group ownership time counts; null for an SLA "
        "policy's objective",
    )
    metric = BlankAsNull()
    priority = BlankAsNull()
    target_rate = serializers.FloatField()
    window_days = serializers.IntegerField()
    created_at = Timestamp()
    updated_at = Timestamp()
    status = ObjectiveStatusSerializer()


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


def _validated(
    request: Request, *, partial: bool, objective: ServiceLevelObjective | None = None
) -> dict[str, Any]:
    serializer = ObjectiveInputSerializer(
        objective, data=root_object(request, "objective"), partial=partial
    )
    serializer.is_valid(raise_exception=True)
    return dict(serializer.validated_data)


def _answer(request: Request, objective: ServiceLevelObjective, code: int = 200) -> Response:
    statuses = {objective.pk: objectives.objective_status(objective, now=timezone.now())}
    context = output_context(request, statuses=statuses)
    body = ObjectiveOutputSerializer(objective, context=context).data
    return Response({"objective": body}, status=code)


class ObjectiveListCreateApi(APIView):
    permission_classes = [AgentReadsAdminWrites]

    @extend_schema(
        operation_id="ListSLAObjectives",
        description="Every objective with its status now. " + (objectives.__doc__ or ""),
        parameters=PAGINATION_PARAMETERS,
        responses=with_errors({200: ObjectiveListEnvelope}),
    )
    def get(self, request: Request) -> Response:
        now = timezone.now()

        def serialize(rows: list[ServiceLevelObjective]) -> list[dict[str, Any]]:
            statuses = objectives.objective_statuses(rows, now=now)
            context = output_context(request, statuses=statuses)
            return serialize_many(ObjectiveOutputSerializer, rows, context)

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
        response["Location"] = response.data["objective"]["url"]
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
        current = _get(objective_id)  # 404 before validation
        data = _validated(request, partial=True, objective=current)
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

"""Progress of the background recomputes that follow policy and schedule edits."""

from __future__ import annotations

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema, extend_schema_field, inline_serializer
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from slaweb.api.output import Timestamp, serialize_many
from slaweb.api.pagination import paginate
from slaweb.api.permissions import IsAgent
from slaweb.api.schema import PAGINATION_PARAMETERS, paginated, with_errors
from tickets.models import SlaRecompute


class RecomputeOutputSerializer(serializers.Serializer[SlaRecompute]):
    id = serializers.IntegerField()
    reason = serializers.CharField()
    status = serializers.CharField()
    policy_revision_id = serializers.IntegerField(source="revision_id", allow_null=True)
    effective_at = Timestamp()
    total = serializers.IntegerField()
    done = serializers.IntegerField()
    changed = serializers.IntegerField()
    progress = serializers.SerializerMethodField()
    created_at = Timestamp()
    updated_at = Timestamp()
    finished_at = Timestamp(allow_null=True)

    @extend_schema_field(OpenApiTypes.DOUBLE)
    def get_progress(self, run: SlaRecompute) -> float:
        progress = 1.0 if run.status == "done" else (run.done / run.total if run.total else 0.0)
        return round(min(progress, 1.0), 4)


class RecomputeListApi(APIView):
    permission_classes = [IsAgent]

    @extend_schema(
        operation_id="ListSlaRecomputes",
        parameters=PAGINATION_PARAMETERS,
        responses=with_errors(
            {
                200: paginated(
                    "SlaRecomputeListResponse", "recomputes", RecomputeOutputSerializer(many=True)
                )
            }
        ),
    )
    def get(self, request: Request) -> Response:
        return paginate(
            request,
            SlaRecompute.objects.filter(parent__isnull=True),
            key="recomputes",
            serialize=lambda rows: serialize_many(RecomputeOutputSerializer, rows),
        )


class RecomputeDetailApi(APIView):
    permission_classes = [IsAgent]

    @extend_schema(
        operation_id="ShowSlaRecompute",
        responses=with_errors(
            {
                200: inline_serializer(
                    "SlaRecomputeResponse", {"recompute": RecomputeOutputSerializer()}
                )
            },
            lookup=True,
        ),
    )
    def get(self, request: Request, recompute_id: str) -> Response:
        run = SlaRecompute.objects.get(pk=int(recompute_id))
        return Response({"recompute": RecomputeOutputSerializer(run).data})

"""Progress of the background recomputes that follow policy and schedule edits."""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from slaweb.api.pagination import paginate
from slaweb.api.permissions import IsAgent
from slaweb.api.schema import PAGINATION_PARAMETERS, paginated, with_errors
from slaweb.api.timestamps import iso
from tickets.models import SlaRecompute


class RecomputeOutputSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    reason = serializers.CharField()
    status = serializers.CharField()
    policy_revision_id = serializers.IntegerField(allow_null=True)
    effective_at = serializers.DateTimeField()
    total = serializers.IntegerField()
    done = serializers.IntegerField()
    changed = serializers.IntegerField()
    progress = serializers.FloatField()
    created_at = serializers.DateTimeField()
    updated_at = serializers.DateTimeField()
    finished_at = serializers.DateTimeField(allow_null=True)


def recompute_to_dict(run: SlaRecompute) -> dict[str, Any]:
    progress = 1.0 if run.status == "done" else (run.done / run.total if run.total else 0.0)
    return {
        "id": run.pk,
        "reason": run.reason,
        "status": run.status,
        "policy_revision_id": run.revision_id,
        "effective_at": iso(run.effective_at),
        "total": run.total,
        "done": run.done,
        "changed": run.changed,
        "progress": round(min(progress, 1.0), 4),
        "created_at": iso(run.created_at),
        "updated_at": iso(run.updated_at),
        "finished_at": iso(run.finished_at) if run.finished_at else None,
    }


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
            serialize=lambda rows: [recompute_to_dict(r) for r in rows],
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
        return Response({"recompute": recompute_to_dict(run)})

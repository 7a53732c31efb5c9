"""Rewriting SLA history on purpose (slaweb's extension): preview, apply, and the record.

Policy and schedule edits act from their moment on and never change what happened. To re-apply
today's policies and schedule to the tickets created since a moment, as if they had always been
in force, an admin previews the rewrite (which tickets change, each past week's figures before
and after), then applies it; every rewrite is recorded with who, when and why.
"""

from __future__ import annotations

from typing import Any

from django.utils import timezone
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from slaweb.api.errors import invalid, root_object
from slaweb.api.fields import StrictCharField
from slaweb.api.output import Timestamp, serialize_many
from slaweb.api.pagination import paginate
from slaweb.api.permissions import IsAdmin
from slaweb.api.schema import PAGINATION_PARAMETERS, paginated, with_errors
from tickets.models import HistoryRewrite
from tickets.sla.rewrite import (
    RewriteOutcome,
    RewriteRangeError,
    history_rewrite_apply,
    history_rewrite_preview,
    history_rewrites,
)

KEY = "history_rewrite"


class RewriteInputSerializer(serializers.Serializer[dict[str, Any]]):
    since = serializers.DateTimeField(help_text="Re-apply to the tickets created from then on")
    reason = StrictCharField(
        required=False, max_length=2000, help_text="Why the past is rewritten (required to apply)"
    )


class RewriteFigures(serializers.Serializer[dict[str, Any]]):
    achieved = serializers.IntegerField()
    breached = serializers.IntegerField()
    in_progress = serializers.IntegerField()
    achieved_percent = serializers.FloatField(allow_null=True)


class RewritePeriod(serializers.Serializer[dict[str, Any]]):
    period = serializers.CharField(help_text="The week's first day, or `total`")
    before = RewriteFigures()
    after = RewriteFigures()


class RewriteChangedTicket(serializers.Serializer[dict[str, Any]]):
    id = serializers.IntegerField()
    policy_before = serializers.IntegerField(allow_null=True)
    policy_after = serializers.IntegerField(allow_null=True)
    breaches_before = serializers.IntegerField()
    breaches_after = serializers.IntegerField()


class RewriteOutcomeSerializer(serializers.Serializer[Any]):
    """What a rewrite changes; a record adds who, when and why."""

    since = Timestamp()
    policy_revision_id = serializers.IntegerField(source="revision_id")
    time_zone = serializers.CharField(source="summary.time_zone")
    tickets_considered = serializers.IntegerField()
    tickets_changed = serializers.IntegerField()
    tickets = RewriteChangedTicket(many=True, source="summary.tickets")
    periods = RewritePeriod(many=True, source="summary.periods")


class RewriteRecordSerializer(RewriteOutcomeSerializer):
    id = serializers.IntegerField()
    created_at = Timestamp()
    actor_id = serializers.IntegerField(allow_null=True)
    reason = serializers.CharField()


def _preview_view(outcome: RewriteOutcome) -> dict[str, Any]:
    return {
        "since": outcome.since,
        "revision_id": outcome.revision_id,
        "tickets_considered": outcome.tickets_considered,
        "tickets_changed": outcome.tickets_changed,
        "summary": outcome.summary(),
    }


def _validated(request: Request, *, apply: bool) -> dict[str, Any]:
    serializer = RewriteInputSerializer(data=root_object(request, KEY))
    serializer.is_valid(raise_exception=True)
    data = dict(serializer.validated_data)
    if apply and not (data.get("reason") or "").strip():
        raise invalid("reason", "Reason: say why the past is rewritten", "BlankValue")
    return data


def _range_checked(call: Any) -> Any:
    try:
        return call()
    except RewriteRangeError as error:
        raise invalid("since", f"Since: {error}") from error


RecordResponse = inline_serializer("HistoryRewriteResponse", {KEY: RewriteRecordSerializer()})
PreviewResponse = inline_serializer(
    "HistoryRewritePreviewResponse", {KEY: RewriteOutcomeSerializer()}
)
RewriteRequest = inline_serializer("HistoryRewriteRequest", {KEY: RewriteInputSerializer()})


class HistoryRewriteListCreateApi(APIView):
    permission_classes = [IsAdmin]

    @extend_schema(
        operation_id="ListHistoryRewrites",
        parameters=PAGINATION_PARAMETERS,
        responses=with_errors(
            {
                200: paginated(
                    "HistoryRewriteListResponse",
                    "history_rewrites",
                    RewriteRecordSerializer(many=True),
                )
            }
        ),
    )
    def get(self, request: Request) -> Response:
        return paginate(
            request,
            history_rewrites(),
            key="history_rewrites",
            serialize=lambda rows: serialize_many(RewriteRecordSerializer, rows),
        )

    @extend_schema(
        operation_id="ApplyHistoryRewrite",
        description="Re-apply the current policies and schedule to the tickets created since "
        "`since`, from their creation, and record it. Preview first.",
        request=RewriteRequest,
        responses=with_errors({201: RecordResponse}, writes=True),
    )
    def post(self, request: Request) -> Response:
        data = _validated(request, apply=True)
        record = _range_checked(
            lambda: history_rewrite_apply(
                since=data["since"],
                now=timezone.now(),
                actor_id=request.user.pk,
                reason=data["reason"].strip(),
            )
        )
        return Response({KEY: RewriteRecordSerializer(record).data}, status=201)


class HistoryRewritePreviewApi(APIView):
    permission_classes = [IsAdmin]

    @extend_schema(
        operation_id="PreviewHistoryRewrite",
        description="What applying the rewrite would change, without changing anything.",
        request=RewriteRequest,
        responses=with_errors({200: PreviewResponse}, writes=True),
    )
    def post(self, request: Request) -> Response:
        data = _validated(request, apply=False)
        outcome = _range_checked(
            lambda: history_rewrite_preview(since=data["since"], now=timezone.now())
        )
        return Response({KEY: RewriteOutcomeSerializer(_preview_view(outcome)).data})


class HistoryRewriteDetailApi(APIView):
    permission_classes = [IsAdmin]

    @extend_schema(
        operation_id="ShowHistoryRewrite",
        responses=with_errors({200: RecordResponse}, lookup=True),
    )
    def get(self, request: Request, rewrite_id: str) -> Response:
        record = HistoryRewrite.objects.get(pk=int(rewrite_id))
        return Response({KEY: RewriteRecordSerializer(record).data})

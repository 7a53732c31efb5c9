"""Zendesk's incremental ticket metric events export: time-based and cursor-based."""

from __future__ import annotations

from datetime import UTC, datetime

from django.db.models import Q
from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from slaweb.api.errors import BadRequest
from slaweb.api.output import serialize_many
from slaweb.api.pagination import _decode_cursor, _encode_cursor, _page_url
from slaweb.api.permissions import IsAdmin
from slaweb.api.schema import with_errors
from tickets.api.tickets import TicketMetricEventSerializer
from tickets.models import TicketMetricEvent

TIME_BASED_LIMIT = 1000
CURSOR_LIMIT = 100


def _unix(raw: str | None) -> int:
    try:
        value = int(raw or "")
    except ValueError:
        raise BadRequest("InvalidValue", "start_time must be a Unix time in seconds") from None
    if not 0 <= value < 253_402_300_800:  # up to year 9999
        raise BadRequest("InvalidValue", "start_time is out of range")
    return value


class TicketMetricEventsApi(APIView):
    permission_classes = [IsAdmin]

    @extend_schema(
        operation_id="ListTicketMetricEvents",
        parameters=[
            OpenApiParameter("start_time", int, required=True, description="Unix time, seconds"),
            OpenApiParameter("page[size]", int, description="Cursor pagination, up to 100"),
            OpenApiParameter("page[after]", str),
            OpenApiParameter("exclude_deleted", bool),
        ],
        responses=with_errors(
            {
                200: inline_serializer(
                    "TicketMetricEventsResponse",
                    {
                        "ticket_metric_events": TicketMetricEventSerializer(many=True),
                        "count": serializers.IntegerField(required=False),
                        "end_time": serializers.IntegerField(required=False),
                        "next_page": serializers.URLField(allow_null=True, required=False),
                        "end_of_stream": serializers.BooleanField(required=False),
                        "meta": serializers.JSONField(required=False),
                        "links": serializers.JSONField(required=False),
                    },
                )
            }
        ),
    )
    def get(self, request: Request) -> Response:
        params = request.query_params
        start = datetime.fromtimestamp(_unix(params.get("start_time")), UTC)
        events = TicketMetricEvent.objects.filter(time__gte=start).order_by("time", "id")
        if params.get("exclude_deleted") in ("true", "1"):
            events = events.filter(deleted=False)

        if "page[size]" in params or "page[after]" in params:
            try:
                size = int(params.get("page[size]", CURSOR_LIMIT))
            except ValueError:
                size = 0
            if not 1 <= size <= CURSOR_LIMIT:
                raise BadRequest("InvalidPaginationParameter", "page[size] must be 1 to 100")
            if params.get("page[after]"):
                seconds, last_id = _decode_cursor(params["page[after]"], 2)
                moment = datetime.fromtimestamp(min(seconds, 253_402_300_799), UTC)
                events = events.filter(Q(time__gt=moment) | Q(time=moment, id__gt=last_id))
            rows = list(events[: size + 1])
            has_more = len(rows) > size
            rows = rows[:size]
            after = _encode_cursor([int(rows[-1].time.timestamp()), rows[-1].pk]) if rows else None
            before = _encode_cursor([int(rows[0].time.timestamp()), rows[0].pk]) if rows else None
            return Response(
                {
                    "ticket_metric_events": serialize_many(TicketMetricEventSerializer, rows),
                    "meta": {"has_more": has_more, "after_cursor": after, "before_cursor": before},
                    "links": {
                        "next": _cursor_link(request, size, after) if has_more and after else None,
                        "prev": None,
                    },
                }
            )

        rows = list(events[:TIME_BASED_LIMIT])
        end_time = int(rows[-1].time.timestamp()) if rows else int(start.timestamp())
        full = len(rows) == TIME_BASED_LIMIT
        query = params.copy()
        query["start_time"] = str(end_time)
        next_page = request.build_absolute_uri(request.path) + "?" + query.urlencode()
        return Response(
            {
                "ticket_metric_events": serialize_many(TicketMetricEventSerializer, rows),
                "count": len(rows),
                "end_time": end_time,
                "next_page": next_page,
                "end_of_stream": not full,
            }
        )


def _cursor_link(request: Request, size: int, after: str) -> str:
    params: dict[str, str | int] = {"page[size]": size, "page[after]": after}
    return _page_url(request, **params)

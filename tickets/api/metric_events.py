"""Zendesk's incremental ticket metric events export: time-based and cursor-based.

Both forms follow the order in which events were published (tickets/sla/publishing.py), not
their `time`, so each event (and each later change of its `deleted` flag) is delivered exactly
once to a consumer that follows either form from any point.
"""

from __future__ import annotations

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
from tickets.sla import publishing

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


def _position(raw: str) -> tuple[int | None, int | None]:
    """A `page[after]` cursor as (sequence number, None), or (None, second) for a cursor from
    before events had sequence numbers: (second, id) pairs resume at their second."""
    try:
        (seq,) = _decode_cursor(raw, 1)
        return seq, None
    except BadRequest:
        seconds, _ = _decode_cursor(raw, 2)
        return None, min(seconds, 253_402_300_799)


def _with_start_time(request: Request, start_time: int) -> str:
    """The request's own URL with only start_time changed, every other parameter as sent."""
    url, _, query = request.build_absolute_uri().partition("?")
    pieces = [
        f"start_time={start_time}" if piece.partition("=")[0] == "start_time" else piece
        for piece in query.split("&")
    ]
    return f"{url}?{'&'.join(pieces)}"


class TicketMetricEventsApi(APIView):
    permission_classes = [IsAdmin]

    @extend_schema(
        operation_id="ListTicketMetricEvents",
        description=(
            "Events in the order slaweb published them. `start_time` and `end_time` count "
            "seconds on the publishing clock (an event's `time` may be earlier); `end_time` is "
            "exclusive, so passing it back as `start_time` gives every event exactly once."
        ),
        parameters=[
            OpenApiParameter(
                "start_time",
                int,
                required=True,
                description="Unix time, seconds: events published at or after it",
            ),
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
        start_time = _unix(params.get("start_time"))
        exclude_deleted = params.get("exclude_deleted") in ("true", "1")

        if "page[size]" in params or "page[after]" in params:
            try:
                size = int(params.get("page[size]", CURSOR_LIMIT))
            except ValueError:
                size = 0
            if not 1 <= size <= CURSOR_LIMIT:
                raise BadRequest("InvalidPaginationParameter", "page[size] must be 1 to 100")
            incoming = params.get("page[after]") or None
            after, legacy_start = _position(incoming) if incoming else (None, None)
            page = publishing.cursor_page(
                start_time=start_time if legacy_start is None else legacy_start,
                after=after,
                size=size,
                exclude_deleted=exclude_deleted,
            )
            rows = page.events
            # An empty page keeps the consumer's place, so it can store the cursor and poll.
            after_cursor = _encode_cursor([rows[-1].published_seq]) if rows else incoming
            before_cursor = _encode_cursor([rows[0].published_seq]) if rows else None
            next_link = None
            if page.has_more and after_cursor:
                next_link = _cursor_link(request, size, after_cursor)
            return Response(
                {
                    "ticket_metric_events": serialize_many(TicketMetricEventSerializer, rows),
                    "meta": {
                        "has_more": page.has_more,
                        "after_cursor": after_cursor,
                        "before_cursor": before_cursor,
                    },
                    "links": {"next": next_link, "prev": None},
                }
            )

        time_page = publishing.time_page(
            start_time, limit=TIME_BASED_LIMIT, exclude_deleted=exclude_deleted
        )
        # An empty page answers the request's own URL: clients that stop when next_page is
        # unchanged stop, and the others ask again from the same place.
        next_page = (
            _with_start_time(request, time_page.end_time)
            if time_page.events
            else request.build_absolute_uri()
        )
        return Response(
            {
                "ticket_metric_events": serialize_many(
                    TicketMetricEventSerializer, time_page.events
                ),
                "count": len(time_page.events),
                "end_time": time_page.end_time,
                "next_page": next_page,
                "end_of_stream": time_page.end_of_stream,
            }
        )


def _cursor_link(request: Request, size: int, after: str) -> str:
    params: dict[str, str | int] = {"page[size]": size, "page[after]": after}
    return _page_url(request, **params)

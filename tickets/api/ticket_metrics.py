"""Zendesk's Ticket Metrics API: `GET /api/v2/tickets/{ticket_id}/metrics`, `GET
/api/v2/ticket_metrics` and `GET /api/v2/ticket_metrics/{ticket_metric_id}`, for agents and admins.

The metrics are computed from each ticket's audits when asked (policies/engine/ticket_metrics.py
defines every field); nothing is stored. Where slaweb departs from Zendesk:

* A ticket has one metric set and slaweb keeps no record of it, so a metric set's `id` is its
  ticket's id (`id == ticket_id`, and `url` is `/api/v2/ticket_metrics/{ticket_id}.json`). Show
  Ticket Metrics "returns a specific metric, or the metrics of a specific ticket": with equal ids
  both readings give the same answer.
* Show answers `{"ticket_metric": {...}}`, an object, as Zendesk's reference prose and both zenpy
  and node-zendesk expect (Zendesk's OpenAPI file shows an array, which zenpy cannot parse).
* The list is in ticket id order, oldest first, like slaweb's other lists (Zendesk lists newest
  first); cursor and offset pagination as everywhere else.
* `reply_time_in_seconds` (Zendesk: messaging tickets only) is given for every ticket.
* Durations not yet measured are `{"calendar": null, "business": null}`, never a bare null.
"""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from policies.engine.ticket_metrics import Minutes, TicketMetricSet
from slaweb.api.output import Link, Timestamp, output_context, serialize_many
from slaweb.api.pagination import paginate
from slaweb.api.permissions import IsAgent
from slaweb.api.schema import PAGINATION_PARAMETERS, paginated, with_errors
from slaweb.api.timestamps import iso, iso_or_none
from tickets.models import Ticket
from tickets.sla.ticket_metrics import metric_tickets, ticket_metric_set_of, ticket_metric_sets

_NOT_YET = {"calendar": None, "business": None}


class TicketMetricTimeSerializer(serializers.Serializer[Minutes]):
    """Whole minutes, rounded down; both null until the metric's closing event has happened."""

    calendar = serializers.IntegerField(allow_null=True, help_text="Minutes of elapsed time")
    business = serializers.IntegerField(
        allow_null=True,
        help_text="Minutes inside the default schedule's business hours (elapsed time when "
        "the account has no schedule)",
    )

    def get_attribute(self, instance: Any) -> Any:
        value = super().get_attribute(instance)
        return _NOT_YET if value is None else value


class TicketMetricSecondsSerializer(serializers.Serializer[Any]):
    """Seconds to the first reply; null until it."""

    calendar = serializers.IntegerField(allow_null=True, help_text="Seconds of elapsed time")

    def get_attribute(self, instance: TicketMetricSet) -> dict[str, int | None]:
        return {"calendar": instance.reply_time_seconds}


def _time(source: str, help_text: str) -> TicketMetricTimeSerializer:
    return TicketMetricTimeSerializer(source=source, help_text=help_text)


def _moment(help_text: str) -> Timestamp:
    return Timestamp(allow_null=True, help_text=help_text)


# Needs `context["root"]`.
class TicketMetricOutputSerializer(serializers.Serializer[TicketMetricSet]):
    """A ticket's metrics, computed from its audits when asked. slaweb keeps no metric records:
    `id` is the ticket's id. Timestamps are null until the event has happened."""

    url = Link("/api/v2/ticket_metrics/{obj.ticket_id}.json")
    id = serializers.IntegerField(
        source="ticket_id", help_text="The ticket's id: one metric set per ticket"
    )
    ticket_id = serializers.IntegerField()
    created_at = Timestamp(help_text="When the ticket was created")
    updated_at = Timestamp(help_text="When a metric last changed")
    reply_time_in_minutes = _time(
        "reply_time",
        "Creation to the first public agent comment (the second on tickets an "
        "agent opened with a public comment)",
    )
    reply_time_in_seconds = TicketMetricSecondsSerializer(
        source="*", help_text="Creation to the first public agent comment, in seconds"
    )
    first_resolution_time_in_minutes = _time(
        "first_resolution_time", "Creation to the first time the ticket was solved"
    )
    full_resolution_time_in_minutes = _time(
        "full_resolution_time", "Creation to the last time the ticket was solved"
    )
    agent_wait_time_in_minutes = _time(
        "agent_wait_time", "Total time in pending, in finished periods"
    )
    requester_wait_time_in_minutes = _time(
        "requester_wait_time", "Total time in new, open and on-hold, in finished periods"
    )
    on_hold_time_in_minutes = _time("on_hold_time", "Total time on hold, in finished periods")
    replies = serializers.IntegerField(
        help_text="Public comments by agents (not counting the description of a ticket an agent "
        "opened)"
    )
    reopens = serializers.IntegerField(help_text="Times the ticket went from solved to unsolved")
    assignee_stations = serializers.IntegerField(help_text="Times the ticket was given an assignee")
    group_stations = serializers.IntegerField(help_text="Times the ticket was given a group")
    assignee_updated_at = _moment("When the assignee last updated the ticket")
    requester_updated_at = _moment("When the requester last updated the ticket")
    status_updated_at = Timestamp(help_text="When the status last changed (creation sets it)")
    custom_status_updated_at = Timestamp(
        help_text="When the custom status last changed (creation sets it)"
    )
    initially_assigned_at = _moment("When the ticket was first assigned")
    assigned_at = _moment("When the ticket was last assigned")
    solved_at = _moment("When the ticket was last solved")
    latest_comment_added_at = _moment("When the latest comment was added")

    def to_representation(self, instance: TicketMetricSet) -> dict[str, Any]:
        """What the fields above answer, built directly (a page of 100 spent much of its
        serializing time in DRF's per-field code); tests/tickets/test_api_ticket_output.py
        holds it to `fields_representation`."""
        metrics = instance
        return {
            "url": f"{self.context['root']}/api/v2/ticket_metrics/{metrics.ticket_id}.json",
            "id": metrics.ticket_id,
            "ticket_id": metrics.ticket_id,
            "created_at": iso(metrics.created_at),
            "updated_at": iso(metrics.updated_at),
            "reply_time_in_minutes": _minutes(metrics.reply_time),
            "reply_time_in_seconds": {"calendar": metrics.reply_time_seconds},
            "first_resolution_time_in_minutes": _minutes(metrics.first_resolution_time),
            "full_resolution_time_in_minutes": _minutes(metrics.full_resolution_time),
            "agent_wait_time_in_minutes": _minutes(metrics.agent_wait_time),
            "requester_wait_time_in_minutes": _minutes(metrics.requester_wait_time),
            "on_hold_time_in_minutes": _minutes(metrics.on_hold_time),
            "replies": metrics.replies,
            "reopens": metrics.reopens,
            "assignee_stations": metrics.assignee_stations,
            "group_stations": metrics.group_stations,
            "assignee_updated_at": iso_or_none(metrics.assignee_updated_at),
            "requester_updated_at": iso_or_none(metrics.requester_updated_at),
            "status_updated_at": iso(metrics.status_updated_at),
            "custom_status_updated_at": iso(metrics.custom_status_updated_at),
            "initially_assigned_at": iso_or_none(metrics.initially_assigned_at),
            "assigned_at": iso_or_none(metrics.assigned_at),
            "solved_at": iso_or_none(metrics.solved_at),
            "latest_comment_added_at": iso_or_none(metrics.latest_comment_added_at),
        }

    def fields_representation(self, instance: TicketMetricSet) -> dict[str, Any]:
        return dict(super().to_representation(instance))


def _minutes(value: Minutes | None) -> dict[str, int | None]:
    if value is None:
        return dict(_NOT_YET)
    return {"calendar": value.calendar, "business": value.business}


TicketMetricEnvelope = inline_serializer(
    "TicketMetricResponse", {"ticket_metric": TicketMetricOutputSerializer()}
)
TicketMetricListEnvelope = paginated(
    "TicketMetricListResponse", "ticket_metrics", TicketMetricOutputSerializer(many=True)
)


def _one(request: Request, ticket_id: str) -> Response:
    metric_set = ticket_metric_set_of(int(ticket_id))
    body = TicketMetricOutputSerializer(metric_set, context=output_context(request)).data
    return Response({"ticket_metric": body})


class TicketMetricListApi(APIView):
    permission_classes = [IsAgent]

    @extend_schema(
        operation_id="ListTicketMetrics",
        parameters=PAGINATION_PARAMETERS,
        responses=with_errors({200: TicketMetricListEnvelope}),
    )
    def get(self, request: Request) -> Response:
        context = output_context(request)

        def serialize(tickets: list[Ticket]) -> list[dict[str, Any]]:
            return serialize_many(
                TicketMetricOutputSerializer, ticket_metric_sets(tickets), context
            )

        return paginate(request, metric_tickets(), key="ticket_metrics", serialize=serialize)


class TicketMetricDetailApi(APIView):
    permission_classes = [IsAgent]

    @extend_schema(
        operation_id="ShowTicketMetrics",
        responses=with_errors({200: TicketMetricEnvelope}, lookup=True),
    )
    def get(self, request: Request, ticket_metric_id: str) -> Response:
        return _one(request, ticket_metric_id)


class TicketMetricOfTicketApi(APIView):
    permission_classes = [IsAgent]

    @extend_schema(
        operation_id="ShowTicketMetricsOfTicket",
        responses=with_errors({200: TicketMetricEnvelope}, lookup=True),
    )
    def get(self, request: Request, ticket_id: str) -> Response:
        return _one(request, ticket_id)

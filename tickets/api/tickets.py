"""Zendesk's Tickets API, with SLAs side-loaded the Zendesk way (`include=slas,metric_events`)."""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime
from typing import Any

from django.db import transaction
from django.db.models import Prefetch, QuerySet
from django.utils import timezone
from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from slaweb.api.errors import BadRequest, RecordInvalid, root_object
from slaweb.api.output import BlankAsNull, Link, Timestamp, output_context, serialize_many
from slaweb.api.pagination import paginate
from slaweb.api.permissions import IsAuthenticatedUser
from slaweb.api.schema import PAGINATION_PARAMETERS, paginated, with_errors
from slaweb.api.timestamps import iso
from tickets import services
from tickets.api.access import signed_in
from tickets.api.output import AlwaysNull, CommentType, ViaSerializer
from tickets.inputs import TicketInputSerializer
from tickets.models import (
    Ticket,
    TicketComment,
    TicketMetricEvent,
    TicketSlaTarget,
)
from tickets.sla.explain import explain, slas_for

EVENT_METRIC_KEYS = (
    "agent_work_time",
    "pausable_update_time",
    "periodic_update_time",
    "reply_time",
    "requester_wait_time",
    "resolution_time",
)
SIDE_LOADS = ("slas", "metric_events")


# Output ---------------------------------------------------------------------------------------


class TicketMetricEventSerializer(serializers.Serializer[TicketMetricEvent]):
    id = serializers.IntegerField()
    ticket_id = serializers.IntegerField()
    metric = serializers.CharField()
    instance_id = serializers.IntegerField()
    type = serializers.CharField()
    time = Timestamp()
    sla = serializers.JSONField(required=False, help_text="apply_sla events only")
    status = serializers.JSONField(required=False, help_text="update_status events only")
    deleted = serializers.BooleanField(required=False, help_text="breach events only")

    # The event types that carry each optional key.
    CARRIED_BY = {"sla": "apply_sla", "status": "update_status", "deleted": "breach"}

    def to_representation(self, instance: TicketMetricEvent) -> dict[str, Any]:
        body = super().to_representation(instance)
        for key, kind in self.CARRIED_BY.items():
            if instance.type != kind:
                del body[key]
        return body


class SlaSerializer(serializers.Serializer[Ticket]):
    # The applied policy's targets now, as tickets/sla/explain.py `slas_for` builds them for
    # the API and the admin's ticket page; needs `context["now"]`.
    policy_metrics = serializers.ListField(child=serializers.DictField())

    def to_representation(self, instance: Ticket) -> dict[str, Any]:
        return slas_for(instance, list(instance.sla_targets.all()), self.context["now"])


class MetricEventsByMetric(serializers.DictField):
    """The ticket's metric events by metric, from `context["metric_events"]`."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs["child"] = serializers.ListField(child=TicketMetricEventSerializer())
        super().__init__(**kwargs)

    def get_attribute(self, instance: Ticket) -> dict[str, list[TicketMetricEvent]]:
        events = self.context["metric_events"].get(instance.pk, {})
        return {key: events.get(key, []) for key in EVENT_METRIC_KEYS}


class CustomFieldValues(serializers.ListField):
    """The ticket's `custom_fields` mapping as Zendesk's list of `{"id", "value"}`."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs["child"] = serializers.DictField()
        super().__init__(**kwargs)

    def to_representation(self, data: Any) -> list[Any]:
        return [{"id": int(field_id), "value": value} for field_id, value in data.items()]


# Needs `context["root"]`. With `context["include"]` (the side-loads asked for) it answers only
# those: `slas` needs `context["now"]` and the tickets `with_sla_prefetch`, `metric_events`
# needs `context["metric_events"]`; `ticket_context` gives all of them.
class TicketOutputSerializer(serializers.Serializer[Ticket]):
    url = Link("/api/v2/tickets/{obj.pk}.json")
    id = serializers.IntegerField()
    external_id = AlwaysNull()
    via = ViaSerializer(source="*")
    created_at = Timestamp()
    updated_at = Timestamp()
    type = serializers.CharField(allow_null=True)
    subject = serializers.CharField(allow_blank=True)
    raw_subject = serializers.CharField(source="subject", allow_blank=True)
    description = serializers.CharField(allow_blank=True)
    priority = serializers.CharField(allow_null=True)
    status = serializers.CharField()
    custom_status_id = serializers.IntegerField(allow_null=True)
    recipient = BlankAsNull()
    requester_id = serializers.IntegerField()
    submitter_id = serializers.IntegerField()
    assignee_id = serializers.IntegerField(allow_null=True)
    organization_id = serializers.IntegerField(allow_null=True)
    group_id = serializers.IntegerField(allow_null=True)
    brand_id = serializers.IntegerField(allow_null=True)
    ticket_form_id = serializers.IntegerField(allow_null=True)
    tags = serializers.ListField(child=serializers.CharField())
    custom_fields = CustomFieldValues()
    solved_at = Timestamp(allow_null=True)
    slas = SlaSerializer(source="*", required=False)
    metric_events = MetricEventsByMetric(required=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        wanted = self.context.get("include")
        if wanted is not None:
            for name in SIDE_LOADS:
                if name not in wanted:
                    del self.fields[name]


def includes(request: Request) -> set[str]:
    return {
        part.strip() for part in request.query_params.get("include", "").split(",") if part.strip()
    }


def with_sla_prefetch(queryset: QuerySet[Ticket], wanted: set[str]) -> QuerySet[Ticket]:
    if "slas" in wanted:
        queryset = queryset.prefetch_related(
            Prefetch(
                "sla_targets",
                # Only what the side-load shows: lists of 100 tickets load 300+ of these.
                queryset=TicketSlaTarget.objects.only(
                    "id", "ticket_id", "metric", "instance_id", "policy_id", "breach_at", "stage"
                ).order_by("metric", "instance_id"),
            )
        )
    return queryset


def ticket_context(request: Request, tickets: list[Ticket], now: datetime) -> dict[str, Any]:
    """`TicketOutputSerializer`'s context for these tickets: the side-loads the request asks
    for, and the metric events of all of them in one query if it asks for those."""
    wanted = includes(request)
    context = output_context(request, include=wanted, now=now)
    if "metric_events" in wanted:
        events: dict[int, dict[str, list[TicketMetricEvent]]] = defaultdict(
            lambda: defaultdict(list)
        )
        if tickets:
            for event in TicketMetricEvent.objects.filter(
                ticket_id__in=[t.pk for t in tickets]
            ).order_by("time", "id"):
                events[event.ticket_id][event.metric].append(event)
        context["metric_events"] = events
    return context


def serialize_tickets(
    tickets: list[Ticket], request: Request, now: datetime
) -> list[dict[str, Any]]:
    context = ticket_context(request, tickets, now)
    return serialize_many(TicketOutputSerializer, tickets, context)


# Views ----------------------------------------------------------------------------------------

INCLUDE_PARAMETER = OpenApiParameter(
    "include", str, description="Comma-separated side-loads: slas, metric_events"
)


TicketEnvelope = inline_serializer("TicketResponse", {"ticket": TicketOutputSerializer()})
TicketRequest = inline_serializer("TicketRequest", {"ticket": TicketInputSerializer()})
TicketListEnvelope = paginated("TicketListResponse", "tickets", TicketOutputSerializer(many=True))


def visible_tickets(request: Request) -> QuerySet[Ticket]:
    tickets = Ticket.objects.all()
    return (
        tickets
        if signed_in(request).is_agent
        else tickets.filter(requester_id=signed_in(request).pk)
    )


def _one(request: Request, ticket_id: int, code: int = status.HTTP_200_OK) -> Response:
    ticket = with_sla_prefetch(visible_tickets(request), includes(request)).get(pk=ticket_id)
    context = ticket_context(request, [ticket], timezone.now())
    body = TicketOutputSerializer(ticket, context=context).data
    return Response({"ticket": body}, status=code)


def _comment(
    data: dict[str, Any], default_author: int, request: Request
) -> services.NewComment | None:
    comment = data.pop("comment", None)
    if comment is None:
        return None
    author = comment.get("author_id", default_author)
    public = comment.get("public", True)
    if not signed_in(request).is_agent:
        author, public = signed_in(request).pk, True  # end users speak for themselves, in public
    return services.NewComment(body=comment["body"], public=public, author_id=author)


class TicketListCreateApi(APIView):
    permission_classes = [IsAuthenticatedUser]

    @extend_schema(
        operation_id="ListTickets",
        parameters=[*PAGINATION_PARAMETERS, INCLUDE_PARAMETER],
        responses=with_errors({200: TicketListEnvelope}),
    )
    def get(self, request: Request) -> Response:
        now = timezone.now()
        return paginate(
            request,
            with_sla_prefetch(visible_tickets(request), includes(request)),
            key="tickets",
            serialize=lambda rows: serialize_tickets(rows, request, now),
        )

    @extend_schema(
        operation_id="CreateTicket",
        parameters=[INCLUDE_PARAMETER],
        request=TicketRequest,
        responses=with_errors({201: TicketEnvelope}, writes=True),
    )
    def post(self, request: Request) -> Response:
        serializer = TicketInputSerializer(data=root_object(request, "ticket"))
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        user = signed_in(request)
        with transaction.atomic():
            requester = data.pop("requester", None)
            if not user.is_agent:
                data["requester_id"] = user.pk
                data.pop("submitter_id", None)
            elif requester is not None and "requester_id" not in data:
                data["requester_id"] = services.requester_find_or_create(**requester).pk
            data.setdefault("requester_id", user.pk)
            submitter = data.pop("submitter_id", user.pk)
            comment = _comment(data, submitter, request)
            if comment is None and data.get("description"):
                comment = services.NewComment(data["description"], True, submitter)
            if comment is None:
                raise RecordInvalid(
                    {
                        "comment": [
                            {
                                "description": "Comment: a new ticket needs a comment",
                                "error": "BlankValue",
                            }
                        ]
                    }
                )
            ticket = services.ticket_create(
                fields=data, submitter_id=submitter, comment=comment, now=timezone.now()
            )
        response = _one(request, ticket.pk, status.HTTP_201_CREATED)
        response["Location"] = response.data["ticket"]["url"]
        return response


class TicketDetailApi(APIView):
    permission_classes = [IsAuthenticatedUser]

    @extend_schema(
        operation_id="ShowTicket",
        parameters=[INCLUDE_PARAMETER],
        responses=with_errors({200: TicketEnvelope}, lookup=True),
    )
    def get(self, request: Request, ticket_id: str) -> Response:
        return _one(request, int(ticket_id))

    @extend_schema(
        operation_id="UpdateTicket",
        parameters=[INCLUDE_PARAMETER],
        request=TicketRequest,
        responses=with_errors({200: TicketEnvelope}, writes=True, lookup=True),
    )
    def put(self, request: Request, ticket_id: str) -> Response:
        ticket = visible_tickets(request).get(pk=int(ticket_id))
        serializer = TicketInputSerializer(data=root_object(request, "ticket"), partial=True)
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        if ticket.status == "closed":
            raise RecordInvalid(
                {
                    "status": [
                        {
                            "description": "Status: closed prevents ticket update",
                            "error": "InvalidValue",
                        }
                    ]
                }
            )
        if not signed_in(request).is_agent and set(data) - {"comment"}:
            self.permission_denied(request, "End users may only add comments")
        with transaction.atomic():
            requester = data.pop("requester", None)
            if requester is not None and "requester_id" not in data:
                data["requester_id"] = services.requester_find_or_create(**requester).pk
            data.pop("submitter_id", None)
            comment = _comment(data, signed_in(request).pk, request)
            services.ticket_update(
                ticket_id=ticket.pk,
                fields=data,
                author_id=signed_in(request).pk,
                comment=comment,
                now=timezone.now(),
            )
        return _one(request, ticket.pk)

    @extend_schema(
        operation_id="DeleteTicket", request=None, responses=with_errors({204: None}, lookup=True)
    )
    def delete(self, request: Request, ticket_id: str) -> Response:
        if not signed_in(request).is_agent:
            self.permission_denied(request)
        services.ticket_delete(ticket_id=int(ticket_id))
        return Response(status=status.HTTP_204_NO_CONTENT)


class TicketShowManyApi(APIView):
    permission_classes = [IsAuthenticatedUser]

    @extend_schema(
        operation_id="ShowManyTickets",
        parameters=[OpenApiParameter("ids", str, required=True), INCLUDE_PARAMETER],
        responses=with_errors(
            {
                200: inline_serializer(
                    "TicketShowManyResponse", {"tickets": TicketOutputSerializer(many=True)}
                )
            }
        ),
    )
    def get(self, request: Request) -> Response:
        raw = request.query_params.get("ids", "")
        try:
            ids = [int(part) for part in raw.split(",") if part.strip()]
        except ValueError:
            raise BadRequest(
                "InvalidParameter", "ids must be a comma-separated list of ticket ids"
            ) from None
        if not ids or len(ids) > 100 or any(i < 1 or i >= 2**62 for i in ids):
            raise BadRequest("InvalidParameter", "ids must list 1 to 100 ticket ids")
        visible = with_sla_prefetch(visible_tickets(request), includes(request))
        tickets = list(visible.filter(pk__in=ids))
        tickets.sort(key=lambda t: ids.index(t.pk))
        return Response({"tickets": serialize_tickets(tickets, request, timezone.now())})


class TicketCommentOutputSerializer(serializers.Serializer[TicketComment]):
    id = serializers.IntegerField()
    type = CommentType()
    author_id = serializers.IntegerField()
    body = serializers.CharField(allow_blank=True)
    plain_body = serializers.CharField(source="body", allow_blank=True)
    public = serializers.BooleanField()
    via = ViaSerializer(source="*")
    created_at = Timestamp()


class TicketCommentsApi(APIView):
    permission_classes = [IsAuthenticatedUser]

    @extend_schema(
        operation_id="ListTicketComments",
        parameters=PAGINATION_PARAMETERS,
        responses=with_errors(
            {
                200: paginated(
                    "TicketCommentsResponse",
                    "comments",
                    TicketCommentOutputSerializer(many=True),
                )
            },
            lookup=True,
        ),
    )
    def get(self, request: Request, ticket_id: str) -> Response:
        ticket = visible_tickets(request).get(pk=int(ticket_id))
        comments = ticket.comments.all()
        if not signed_in(request).is_agent:
            comments = comments.filter(public=True)
        return paginate(
            request,
            comments,
            key="comments",
            serialize=lambda rows: serialize_many(TicketCommentOutputSerializer, rows),
        )


class TicketSlaExplanationApi(APIView):
    """slaweb's extension: why this ticket has the SLA it has."""

    permission_classes = [IsAuthenticatedUser]

    @extend_schema(
        operation_id="ShowTicketSlaExplanation",
        responses=with_errors(
            {
                200: inline_serializer(
                    "SlaExplanationResponse", {"sla_explanation": serializers.DictField()}
                )
            },
            lookup=True,
        ),
    )
    def get(self, request: Request, ticket_id: str) -> Response:
        if not signed_in(request).is_agent:
            self.permission_denied(request)
        ticket = Ticket.objects.select_related("requester", "submitter", "organization").get(
            pk=int(ticket_id)
        )
        now = timezone.now()
        return Response(
            {"sla_explanation": {"ticket_id": ticket.pk, "as_of": iso(now), **explain(ticket, now)}}
        )

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
from slaweb.api.pagination import base_url, paginate
from slaweb.api.permissions import IsAuthenticatedUser
from slaweb.api.schema import PAGINATION_PARAMETERS, paginated, with_errors
from slaweb.api.timestamps import iso
from tickets import services
from tickets.inputs import TicketInputSerializer
from tickets.models import (
    Ticket,
    TicketComment,
    TicketMetricEvent,
    TicketSlaTarget,
)
from tickets.sla.explain import explain, slas_for

VIA_CHANNELS = {
    0: "web",
    4: "email",
    5: "api",
    8: "rule",
    29: "chat",
    34: "voice",
    48: "web_widget",
}
EVENT_METRIC_KEYS = (
    "agent_work_time",
    "pausable_update_time",
    "periodic_update_time",
    "reply_time",
    "requester_wait_time",
    "resolution_time",
)


# Output ---------------------------------------------------------------------------------------


def metric_event_to_dict(event: TicketMetricEvent) -> dict[str, Any]:
    body: dict[str, Any] = {
        "id": event.pk,
        "ticket_id": event.ticket_id,
        "metric": event.metric,
        "instance_id": event.instance_id,
        "type": event.type,
        "time": iso(event.time),
    }
    if event.type == "apply_sla":
        body["sla"] = event.sla
    if event.type == "update_status":
        body["status"] = event.status
    if event.type == "breach":
        body["deleted"] = event.deleted
    return body


def ticket_to_dict(ticket: Ticket, root: str) -> dict[str, Any]:
    return {
        "url": f"{root}/api/v2/tickets/{ticket.pk}.json",
        "id": ticket.pk,
        "external_id": None,
        "via": {"channel": VIA_CHANNELS.get(ticket.via_id, str(ticket.via_id)), "source": {}},
        "created_at": iso(ticket.created_at),
        "updated_at": iso(ticket.updated_at),
        "type": ticket.type,
        "subject": ticket.subject,
        "raw_subject": ticket.subject,
        "description": ticket.description,
        "priority": ticket.priority,
        "status": ticket.status,
        "custom_status_id": ticket.custom_status_id,
        "recipient": ticket.recipient or None,
        "requester_id": ticket.requester_id,
        "submitter_id": ticket.submitter_id,
        "assignee_id": ticket.assignee_id,
        "organization_id": ticket.organization_id,
        "group_id": ticket.group_id,
        "brand_id": ticket.brand_id,
        "ticket_form_id": ticket.ticket_form_id,
        "tags": list(ticket.tags),
        "custom_fields": [
            {"id": int(field_id), "value": value}
            for field_id, value in ticket.custom_fields.items()
        ],
        "solved_at": iso(ticket.solved_at) if ticket.solved_at else None,
    }


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


def serialize_tickets(
    tickets: list[Ticket], request: Request, wanted: set[str], now: datetime
) -> list[dict[str, Any]]:
    root = base_url(request)
    events: dict[int, dict[str, list[dict[str, Any]]]] = defaultdict(lambda: defaultdict(list))
    if "metric_events" in wanted and tickets:
        for event in TicketMetricEvent.objects.filter(
            ticket_id__in=[t.pk for t in tickets]
        ).order_by("time", "id"):
            events[event.ticket_id][event.metric].append(metric_event_to_dict(event))
    out = []
    for ticket in tickets:
        body = ticket_to_dict(ticket, root)
        if "slas" in wanted:
            body["slas"] = slas_for(ticket, list(ticket.sla_targets.all()), now)
        if "metric_events" in wanted:
            body["metric_events"] = {
                key: events[ticket.pk].get(key, []) for key in EVENT_METRIC_KEYS
            }
        out.append(body)
    return out


# Views ----------------------------------------------------------------------------------------

INCLUDE_PARAMETER = OpenApiParameter(
    "include", str, description="Comma-separated side-loads: slas, metric_events"
)


class SlaSerializer(serializers.Serializer):
    policy_metrics = serializers.ListField(child=serializers.DictField())


class TicketOutputSerializer(serializers.Serializer):
    url = serializers.CharField()
    id = serializers.IntegerField()
    external_id = serializers.CharField(allow_null=True)
    via = serializers.DictField()
    created_at = serializers.DateTimeField()
    updated_at = serializers.DateTimeField()
    type = serializers.CharField(allow_null=True)
    subject = serializers.CharField(allow_blank=True)
    raw_subject = serializers.CharField(allow_blank=True)
    description = serializers.CharField(allow_blank=True)
    priority = serializers.CharField(allow_null=True)
    status = serializers.CharField()
    custom_status_id = serializers.IntegerField(allow_null=True)
    recipient = serializers.CharField(allow_null=True)
    requester_id = serializers.IntegerField()
    submitter_id = serializers.IntegerField()
    assignee_id = serializers.IntegerField(allow_null=True)
    organization_id = serializers.IntegerField(allow_null=True)
    group_id = serializers.IntegerField(allow_null=True)
    brand_id = serializers.IntegerField(allow_null=True)
    ticket_form_id = serializers.IntegerField(allow_null=True)
    tags = serializers.ListField(child=serializers.CharField())
    custom_fields = serializers.ListField(child=serializers.DictField())
    solved_at = serializers.DateTimeField(allow_null=True)
    slas = SlaSerializer(required=False)
    metric_events = serializers.DictField(required=False)


TicketEnvelope = inline_serializer("TicketResponse", {"ticket": TicketOutputSerializer()})
TicketRequest = inline_serializer("TicketRequest", {"ticket": TicketInputSerializer()})
TicketListEnvelope = paginated("TicketListResponse", "tickets", TicketOutputSerializer(many=True))


def visible_tickets(request: Request) -> QuerySet[Ticket]:
    tickets = Ticket.objects.all()
    return tickets if request.user.is_agent else tickets.filter(requester_id=request.user.pk)


def _one(request: Request, ticket_id: int, code: int = status.HTTP_200_OK) -> Response:
    wanted = includes(request)
    ticket = with_sla_prefetch(visible_tickets(request), wanted).get(pk=ticket_id)
    body = serialize_tickets([ticket], request, wanted, timezone.now())[0]
    return Response({"ticket": body}, status=code)


def _comment(
    data: dict[str, Any], default_author: int, request: Request
) -> services.NewComment | None:
    comment = data.pop("comment", None)
    if comment is None:
        return None
    author = comment.get("author_id", default_author)
    public = comment.get("public", True)
    if not request.user.is_agent:
        author, public = request.user.pk, True  # end users speak for themselves, in public
    return services.NewComment(body=comment["body"], public=public, author_id=author)


class TicketListCreateApi(APIView):
    permission_classes = [IsAuthenticatedUser]

    @extend_schema(
        operation_id="ListTickets",
        parameters=[*PAGINATION_PARAMETERS, INCLUDE_PARAMETER],
        responses=with_errors({200: TicketListEnvelope}),
    )
    def get(self, request: Request) -> Response:
        wanted = includes(request)
        now = timezone.now()
        return paginate(
            request,
            with_sla_prefetch(visible_tickets(request), wanted),
            key="tickets",
            serialize=lambda rows: serialize_tickets(rows, request, wanted, now),
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
        user = request.user
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
        response["Location"] = f"{base_url(request)}/api/v2/tickets/{ticket.pk}.json"
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
        if not request.user.is_agent and set(data) - {"comment"}:
            self.permission_denied(request, "End users may only add comments")
        with transaction.atomic():
            requester = data.pop("requester", None)
            if requester is not None and "requester_id" not in data:
                data["requester_id"] = services.requester_find_or_create(**requester).pk
            data.pop("submitter_id", None)
            comment = _comment(data, request.user.pk, request)
            services.ticket_update(
                ticket_id=ticket.pk,
                fields=data,
                author_id=request.user.pk,
                comment=comment,
                now=timezone.now(),
            )
        return _one(request, ticket.pk)

    @extend_schema(
        operation_id="DeleteTicket", request=None, responses=with_errors({204: None}, lookup=True)
    )
    def delete(self, request: Request, ticket_id: str) -> Response:
        if not request.user.is_agent:
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
        wanted = includes(request)
        tickets = list(with_sla_prefetch(visible_tickets(request), wanted).filter(pk__in=ids))
        tickets.sort(key=lambda t: ids.index(t.pk))
        return Response({"tickets": serialize_tickets(tickets, request, wanted, timezone.now())})


def comment_to_dict(comment: TicketComment) -> dict[str, Any]:
    return {
        "id": comment.pk,
        "type": "Comment",
        "author_id": comment.author_id,
        "body": comment.body,
        "plain_body": comment.body,
        "public": comment.public,
        "via": {"channel": VIA_CHANNELS.get(comment.via_id, str(comment.via_id)), "source": {}},
        "created_at": iso(comment.created_at),
    }


class TicketCommentsApi(APIView):
    permission_classes = [IsAuthenticatedUser]

    @extend_schema(
        operation_id="ListTicketComments",
        parameters=PAGINATION_PARAMETERS,
        responses=with_errors(
            {
                200: inline_serializer(
                    "TicketCommentsResponse",
                    {"comments": serializers.ListField(child=serializers.DictField())},
                )
            },
            lookup=True,
        ),
    )
    def get(self, request: Request, ticket_id: str) -> Response:
        ticket = visible_tickets(request).get(pk=int(ticket_id))
        comments = ticket.comments.all()
        if not request.user.is_agent:
            comments = comments.filter(public=True)
        return paginate(
            request,
            comments,
            key="comments",
            serialize=lambda rows: [comment_to_dict(c) for c in rows],
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
        if not request.user.is_agent:
            self.permission_denied(request)
        ticket = Ticket.objects.select_related("requester", "submitter", "organization").get(
            pk=int(ticket_id)
        )
        now = timezone.now()
        return Response(
            {"sla_explanation": {"ticket_id": ticket.pk, "as_of": iso(now), **explain(ticket, now)}}
        )

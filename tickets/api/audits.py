"""Zendesk's Ticket Audits API for one ticket: list and show, read from the audit events.

Every save of a ticket writes one `TicketAudit` with polymorphic `AuditEvent` children
(tickets/services.py `_record_audit`); these views answer them in Zendesk's shape
(developer.zendesk.com/api-reference/ticketing/tickets/ticket_audits/ and the Ticket Audit events
reference), so `zenpy_client.tickets.audits(ticket=id)` and node-zendesk's
`client.ticketaudits.list(id)` / `.show(id, audit_id)` work unchanged.

Which audits are shown: only ticket updates. An audit whose `snapshot` is None is slaweb's own
SLA re-evaluation after a policy edit (tickets/sla/recompute.py): it changed no field, added no
comment and has no events. Zendesk writes an audit only when a ticket is updated ("Each audit
represents a single update to the ticket"), and re-applying SLA policies is not one, so these
are left out of the list, the count and the cursors, and showing one answers 404.
"""

from __future__ import annotations

from typing import Any

from django.db.models import Prefetch, QuerySet, prefetch_related_objects
from django.utils.html import linebreaks
from drf_spectacular.utils import (
    PolymorphicProxySerializer,
    extend_schema,
    extend_schema_field,
    inline_serializer,
)
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from slaweb.api.pagination import paginate
from slaweb.api.permissions import IsAgent
from slaweb.api.schema import PAGINATION_PARAMETERS, paginated, with_errors
from slaweb.api.timestamps import iso
from tickets.api.tickets import VIA_CHANNELS
from tickets.models import (
    AuditEvent,
    ChangeEvent,
    CommentEvent,
    CreateEvent,
    Ticket,
    TicketAudit,
)

# Zendesk's author of changes no person made ("-1" is the system user in audits and comments).
SYSTEM_AUTHOR_ID = -1


# Reading --------------------------------------------------------------------------------------


def ticket_audits(ticket_id: int) -> QuerySet[TicketAudit]:
    """The ticket's audits that are ticket updates, each with its events in one prefetch.

    The events come back as their own classes (django-polymorphic): one query for the base rows
    of a whole page, plus one per event class present, whatever the number of audits.
    """
    return (
        TicketAudit.objects.filter(ticket_id=ticket_id, snapshot__isnull=False)
        .defer("snapshot")  # the SLA engine's copy of the ticket: large, and not shown
        .prefetch_related(Prefetch("events", queryset=AuditEvent.objects.order_by("id")))
    )


# Output ---------------------------------------------------------------------------------------


def _create_to_dict(event: CreateEvent) -> dict[str, Any]:
    return {"id": event.pk, "type": "Create", "field_name": event.field_name, "value": event.value}


def _change_to_dict(event: ChangeEvent) -> dict[str, Any]:
    return {
        "id": event.pk,
        "type": "Change",
        "field_name": event.field_name,
        "value": event.value,
        "previous_value": event.previous_value,
    }


def _comment_to_dict(event: CommentEvent) -> dict[str, Any]:
    """A Comment event carries the comment itself.

    Its id is the event's, so ids stay unique among an audit's events. (In Zendesk a comment is
    an event and shares its id; slaweb's comments have their own sequence, so the id here is not
    the one List Comments answers.)
    """
    comment = event.comment
    return {
        "id": event.pk,
        "type": "Comment",
        "author_id": comment.author_id,
        "body": comment.body,
        "html_body": linebreaks(comment.body, autoescape=True),
        "plain_body": comment.body,
        "public": comment.public,
        "attachments": [],
        "audit_id": event.audit_id,
    }


EVENT_SHAPES: dict[type[AuditEvent], Any] = {
    CreateEvent: _create_to_dict,
    ChangeEvent: _change_to_dict,
    CommentEvent: _comment_to_dict,
}


def audit_to_dict(audit: TicketAudit) -> dict[str, Any]:
    """One audit; its events prefetched (and its comments loaded) by `serialize_audits`.

    The comment comes first, then the field events in the order they were written, as in
    Zendesk's examples. An event class without a shape here is left out: Zendesk asks clients to
    ignore event types they do not know, so a missing one is the safer failure.
    """
    events = sorted(audit.events.all(), key=lambda e: (not isinstance(e, CommentEvent), e.pk))
    return {
        "id": audit.pk,
        "ticket_id": audit.ticket_id,
        "created_at": iso(audit.created_at),
        "author_id": audit.author_id if audit.author_id is not None else SYSTEM_AUTHOR_ID,
        "metadata": {"system": {}, "custom": {}},
        "via": {
            "channel": VIA_CHANNELS.get(audit.via_id, str(audit.via_id)),
            "source": {"from": {}, "to": {}, "rel": None},
        },
        "events": [EVENT_SHAPES[type(e)](e) for e in events if type(e) in EVENT_SHAPES],
    }


def serialize_audits(audits: list[TicketAudit]) -> list[dict[str, Any]]:
    """Audits with prefetched events; the page's comments are read in one more query."""
    comment_events = [e for a in audits for e in a.events.all() if isinstance(e, CommentEvent)]
    prefetch_related_objects(comment_events, "comment")
    return [audit_to_dict(audit) for audit in audits]


# Schema ---------------------------------------------------------------------------------------
# `type` is a `const`, not an enum: enums named `type` would be renamed against the ticket's.


@extend_schema_field({"type": "string", "const": "Create"})
class CreateTypeField(serializers.CharField):
    pass


@extend_schema_field({"type": "string", "const": "Change"})
class ChangeTypeField(serializers.CharField):
    pass


@extend_schema_field({"type": "string", "const": "Comment"})
class CommentTypeField(serializers.CharField):
    pass


class AuditCreateEventSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    type = CreateTypeField()
    field_name = serializers.CharField()
    value = serializers.JSONField(help_text="The value the field was set to")


class AuditChangeEventSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    type = ChangeTypeField()
    field_name = serializers.CharField()
    value = serializers.JSONField(help_text="The new value")
    previous_value = serializers.JSONField(help_text="The value before")


class AuditCommentEventSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    type = CommentTypeField()
    author_id = serializers.IntegerField()
    body = serializers.CharField(allow_blank=True)
    html_body = serializers.CharField()
    plain_body = serializers.CharField(allow_blank=True)
    public = serializers.BooleanField()
    attachments = serializers.ListField(child=serializers.DictField())
    audit_id = serializers.IntegerField()


AuditEventSchema = PolymorphicProxySerializer(
    component_name="TicketAuditEvent",
    serializers={
        "Create": AuditCreateEventSerializer,
        "Change": AuditChangeEventSerializer,
        "Comment": AuditCommentEventSerializer,
    },
    resource_type_field_name="type",
    many=True,
)


class TicketAuditOutputSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    ticket_id = serializers.IntegerField()
    created_at = serializers.DateTimeField()
    author_id = serializers.IntegerField(help_text="-1 when no person made the change")
    metadata = inline_serializer(
        "TicketAuditMetadata",
        {"system": serializers.DictField(), "custom": serializers.DictField()},
    )
    via = inline_serializer(
        "TicketAuditVia",
        {"channel": serializers.CharField(), "source": serializers.DictField()},
    )
    events = AuditEventSchema


TicketAuditListEnvelope = paginated(
    "TicketAuditListResponse", "audits", TicketAuditOutputSerializer(many=True)
)
TicketAuditEnvelope = inline_serializer(
    "TicketAuditResponse", {"audit": TicketAuditOutputSerializer()}
)


# Views ----------------------------------------------------------------------------------------


class TicketAuditListApi(APIView):
    """Oldest first, as Zendesk lists them; offset or cursor pagination, up to 100 a page."""

    permission_classes = [IsAgent]

    @extend_schema(
        operation_id="ListAuditsForTicket",
        parameters=PAGINATION_PARAMETERS,
        responses=with_errors({200: TicketAuditListEnvelope}, lookup=True),
    )
    def get(self, request: Request, ticket_id: str) -> Response:
        ticket = Ticket.objects.only("pk").get(pk=int(ticket_id))
        return paginate(request, ticket_audits(ticket.pk), key="audits", serialize=serialize_audits)


class TicketAuditDetailApi(APIView):
    permission_classes = [IsAgent]

    @extend_schema(
        operation_id="ShowTicketAudit",
        responses=with_errors({200: TicketAuditEnvelope}, lookup=True),
    )
    def get(self, request: Request, ticket_id: str, audit_id: str) -> Response:
        audit = ticket_audits(int(ticket_id)).get(pk=int(audit_id))
        return Response({"audit": serialize_audits([audit])[0]})

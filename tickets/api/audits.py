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

import functools
from typing import Any

from django.db.models import Prefetch, QuerySet, prefetch_related_objects
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

from slaweb.api.output import Timestamp, serialize_many
from slaweb.api.pagination import paginate
from slaweb.api.permissions import IsAgent
from slaweb.api.schema import PAGINATION_PARAMETERS, paginated, with_errors
from slaweb.api.timestamps import iso
from tickets.api.output import (
    ChangeType,
    Channel,
    CommentHtml,
    CommentType,
    Constant,
    CreateType,
    EmptyObject,
    channel_name,
    comment_html,
    no_source,
)
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


# The output serializers here build their answer directly in `to_representation` (DRF's
# per-field code cost more than the rest of an update's answer); their fields stay the schema,
# and `fields_representation` is what the fields answer, which tests hold them to
# (tests/tickets/test_api_ticket_output.py).


class AuditCreateEventSerializer(serializers.Serializer[CreateEvent]):
    id = serializers.IntegerField()
    type = CreateType()
    field_name = serializers.CharField()  # type: ignore[assignment]  # not Field.field_name
    value = serializers.JSONField(help_text="The value the field was set to")

    def to_representation(self, instance: CreateEvent) -> dict[str, Any]:
        return {
            "id": instance.pk,
            "type": "Create",
            "field_name": str(instance.field_name),
            "value": instance.value,
        }

    def fields_representation(self, instance: CreateEvent) -> dict[str, Any]:
        return dict(super().to_representation(instance))


class AuditChangeEventSerializer(serializers.Serializer[ChangeEvent]):
    id = serializers.IntegerField()
    type = ChangeType()
    field_name = serializers.CharField()  # type: ignore[assignment]  # not Field.field_name
    value = serializers.JSONField(help_text="The new value")
    previous_value = serializers.JSONField(help_text="The value before")

    def to_representation(self, instance: ChangeEvent) -> dict[str, Any]:
        return {
            "id": instance.pk,
            "type": "Change",
            "field_name": str(instance.field_name),
            "value": instance.value,
            "previous_value": instance.previous_value,
        }

    def fields_representation(self, instance: ChangeEvent) -> dict[str, Any]:
        return dict(super().to_representation(instance))


class EmptyList(serializers.ListField):
    """Always `[]`."""

    def get_attribute(self, instance: Any) -> list[Any]:
        return []


# A Comment event carries the comment itself (loaded by `with_comments`). Its id is the
# event's, so ids stay unique among an audit's events. (In Zendesk a comment is an event and
# shares its id; slaweb's comments have their own sequence, so the id here is not the one List
# Comments answers.)
class AuditCommentEventSerializer(serializers.Serializer[CommentEvent]):
    id = serializers.IntegerField()
    type = CommentType()
    author_id = serializers.IntegerField(source="comment.author_id")
    body = serializers.CharField(source="comment.body", allow_blank=True)
    html_body = CommentHtml(source="comment")
    plain_body = serializers.CharField(source="comment.body", allow_blank=True)
    public = serializers.BooleanField(source="comment.public")
    attachments = EmptyList(child=serializers.DictField())
    audit_id = serializers.IntegerField()

    def to_representation(self, instance: CommentEvent) -> dict[str, Any]:
        comment = instance.comment
        return {
            "id": instance.pk,
            "type": "Comment",
            "author_id": comment.author_id,
            "body": str(comment.body),
            "html_body": comment_html(comment),
            "plain_body": str(comment.body),
            "public": bool(comment.public),
            "attachments": [],
            "audit_id": instance.audit_id,
        }

    def fields_representation(self, instance: CommentEvent) -> dict[str, Any]:
        return dict(super().to_representation(instance))


EVENT_SHAPES: dict[type[AuditEvent], type[serializers.Serializer[Any]]] = {
    CreateEvent: AuditCreateEventSerializer,
    ChangeEvent: AuditChangeEventSerializer,
    CommentEvent: AuditCommentEventSerializer,
}


def _type_name(shape: type[serializers.Serializer[Any]]) -> str:
    """The `type` a shape answers with, which names it in the schema."""
    field = shape._declared_fields["type"]
    assert isinstance(field, Constant)
    return field.value


@extend_schema_field(
    PolymorphicProxySerializer(
        component_name="TicketAuditEvent",
        serializers={_type_name(shape): shape for shape in EVENT_SHAPES.values()},
        resource_type_field_name="type",
        many=True,
    )
)
class AuditEvents(serializers.ListField):
    """The audit's events, each in its class's shape (`EVENT_SHAPES`).

    The comment comes first, then the field events in the order they were written, as in
    Zendesk's examples. An event class without a shape is left out: Zendesk asks clients to
    ignore event types they do not know, so a missing one is the safer failure.
    """

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.shapes = {kind: shape() for kind, shape in EVENT_SHAPES.items()}

    def to_representation(self, data: Any) -> list[Any]:
        events = sorted(data.all(), key=lambda e: (not isinstance(e, CommentEvent), e.pk))
        return [self.shapes[type(e)].to_representation(e) for e in events if type(e) in self.shapes]


class TicketAuditMetadataSerializer(serializers.Serializer[TicketAudit]):
    system = EmptyObject()
    custom = EmptyObject()


class FromNowhere(serializers.DictField):
    """Zendesk's `via.source` of an audit, with nothing in it: `from`, `to`, `rel`."""

    def get_attribute(self, instance: Any) -> dict[str, Any]:
        return {"from": {}, "to": {}, "rel": None}


class TicketAuditViaSerializer(serializers.Serializer[TicketAudit]):
    channel = Channel(source="via_id")
    source = FromNowhere()  # type: ignore[assignment]  # a declared field, not Field.source


class SystemOrAuthor(serializers.IntegerField):
    """The author's id, or -1 (Zendesk's system user) when no person made the change."""

    def get_attribute(self, instance: TicketAudit) -> int:
        author_id = super().get_attribute(instance)
        return SYSTEM_AUTHOR_ID if author_id is None else author_id


# Give it audits from `with_comments`.
class TicketAuditOutputSerializer(serializers.Serializer[TicketAudit]):
    id = serializers.IntegerField()
    ticket_id = serializers.IntegerField()
    created_at = Timestamp()
    author_id = SystemOrAuthor(help_text="-1 when no person made the change")
    metadata = TicketAuditMetadataSerializer(source="*")
    via = TicketAuditViaSerializer(source="*")
    events = AuditEvents()

    def to_representation(self, instance: TicketAudit) -> dict[str, Any]:
        return {
            "id": instance.pk,
            "ticket_id": instance.ticket_id,
            "created_at": iso(instance.created_at),
            "author_id": SYSTEM_AUTHOR_ID if instance.author_id is None else instance.author_id,
            "metadata": {"system": {}, "custom": {}},
            "via": {"channel": channel_name(instance.via_id), "source": no_source()},
            "events": self.events_field.to_representation(instance.events),
        }

    def fields_representation(self, instance: TicketAudit) -> dict[str, Any]:
        return dict(super().to_representation(instance))

    @functools.cached_property
    def events_field(self) -> AuditEvents:
        return AuditEvents()


def with_comments(audits: list[TicketAudit]) -> list[TicketAudit]:
    """Audits with prefetched events, their comments read in one more query."""
    comment_events = [e for a in audits for e in a.events.all() if isinstance(e, CommentEvent)]
    prefetch_related_objects(comment_events, "comment")
    return audits


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
        return paginate(
            request,
            ticket_audits(ticket.pk),
            key="audits",
            serialize=lambda rows: serialize_many(TicketAuditOutputSerializer, with_comments(rows)),
        )


class TicketAuditDetailApi(APIView):
    permission_classes = [IsAgent]

    @extend_schema(
        operation_id="ShowTicketAudit",
        responses=with_errors({200: TicketAuditEnvelope}, lookup=True),
    )
    def get(self, request: Request, ticket_id: str, audit_id: str) -> Response:
        audit = ticket_audits(int(ticket_id)).get(pk=int(audit_id))
        return Response({"audit": TicketAuditOutputSerializer(with_comments([audit])[0]).data})

"""Zendesk's Ticket Import API, with slaweb's audit-history extension (see tickets/imports.py)."""

from __future__ import annotations

from typing import Any

from django.utils import timezone
from drf_spectacular.utils import (
    OpenApiParameter,
    extend_schema,
    extend_schema_field,
    inline_serializer,
)
from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from slaweb.api.errors import root_object
from slaweb.api.permissions import IsAdmin
from slaweb.api.schema import with_errors
from tickets import jobs
from tickets.api.access import signed_in
from tickets.api.jobs import job_status_response, job_status_responses, ticket_list
from tickets.api.tickets import INCLUDE_PARAMETER, TicketEnvelope, _one
from tickets.imports import ticket_import
from tickets.inputs import TicketInputSerializer

# Request shapes, for the schema; tickets/imports.py validates.


class ImportCommentSerializer(serializers.Serializer[Any]):
    author_id = serializers.IntegerField(required=False, help_text="Defaults to the requester")
    value = serializers.CharField(required=False, help_text="The text; `body` or `html_body` too")
    body = serializers.CharField(required=False)
    html_body = serializers.CharField(required=False)
    public = serializers.BooleanField(required=False, default=True)
    created_at = serializers.DateTimeField(
        required=False, help_text="Defaults to the previous comment's time (or created_at)"
    )


@extend_schema_field(
    {
        "type": "string",
        "pattern": "^(Create|Change|Comment)$",
        "description": "Create (first audit only), Change or Comment",
    }
)
class AuditEventTypeField(serializers.CharField):
    """Not an enum in the schema: a second enum named `type` would rename the ticket's."""


class ImportAuditEventSerializer(serializers.Serializer[Any]):
    type = AuditEventTypeField()
    field_name = serializers.CharField(  # type: ignore[assignment]  # not Field.field_name
        required=False,
        help_text="Create/Change: a ticket field (status, custom_status_id, priority, group_id, "
        "assignee_id, type, tags, ...) or a custom field's id; a status alone brings its "
        "category's default custom status, and a custom status sets the status",
    )
    value = serializers.JSONField(required=False, help_text="Create/Change: the new value")
    previous_value = serializers.JSONField(
        required=False, help_text="Accepted and not checked: slaweb records the real one"
    )
    body = serializers.CharField(required=False, help_text="Comment: the text")
    public = serializers.BooleanField(required=False, default=True)
    author_id = serializers.IntegerField(
        required=False, help_text="Comment: defaults to the audit's author"
    )


class ImportAuditSerializer(serializers.Serializer[Any]):
    created_at = serializers.DateTimeField(
        required=False, help_text="Required after the first audit, which is at created_at"
    )
    author_id = serializers.IntegerField(required=False, allow_null=True)
    via_id = serializers.IntegerField(required=False)
    events = ImportAuditEventSerializer(many=True)


class TicketImportSerializer(TicketInputSerializer):
    comment = None  # type: ignore[assignment]
    created_at = serializers.DateTimeField(required=False)
    updated_at = serializers.DateTimeField(required=False)
    solved_at = serializers.DateTimeField(required=False)
    via_id = serializers.IntegerField(required=False, help_text="The channel; 5 (API) if not given")
    comments = ImportCommentSerializer(many=True, required=False)
    audits = ImportAuditSerializer(
        many=True,
        required=False,
        help_text="slaweb's extension: the ticket's history, in Zendesk's ticket-audit shape; "
        "not together with comments",
    )


TicketImportRequest = inline_serializer("TicketImportRequest", {"ticket": TicketImportSerializer()})
TicketBulkImportRequest = inline_serializer(
    "TicketBulkImportRequest", {"tickets": TicketImportSerializer(many=True)}
)


class TicketImportApi(APIView):
    """Import one historical ticket (admins)."""

    permission_classes = [IsAdmin]

    @extend_schema(
        operation_id="TicketImport",
        description=(
            "Zendesk's ticket import: the Tickets API's fields plus created_at, updated_at, "
            "solved_at and comments. slaweb's extension `audits` gives the whole history. The "
            "SLA is computed over the history, with metric events at their historical times."
        ),
        parameters=[INCLUDE_PARAMETER],
        request=TicketImportRequest,
        responses=with_errors({201: TicketEnvelope}, writes=True),
    )
    def post(self, request: Request) -> Response:
        ticket = ticket_import(data=root_object(request, "ticket"), now=timezone.now())
        response = _one(request, ticket.pk, status.HTTP_201_CREATED)
        response["Location"] = response.data["ticket"]["url"]
        return response


class TicketBulkImportApi(APIView):
    """Import up to 100 historical tickets in the background (admins).

    As Zendesk, answers 200 with a job status at once; each ticket is then imported on its own
    (tickets/jobs.py), exactly as the single import does, and one that is invalid is a failed
    result (`error`, `details` with the paths of its problems) without stopping the others.
    A body that is not `{"tickets": [objects]}`, or more than 100, is refused up front and
    nothing is queued.
    """

    permission_classes = [IsAdmin]

    @extend_schema(
        operation_id="TicketBulkImport",
        description=(
            "Up to 100 tickets in the import shape. Answers a job status at once and imports "
            "them in the background, each on its own as the single import does: an invalid "
            "ticket is a failed result (`error`, `details`) and does not stop the others."
        ),
        parameters=[
            OpenApiParameter(
                "archive_immediately", bool, description="Accepted; slaweb has no archive"
            )
        ],
        request=TicketBulkImportRequest,
        responses=job_status_responses(),
    )
    def post(self, request: Request) -> Response:
        job = jobs.ticket_import_many_start(user=signed_in(request), items=ticket_list(request))
        return job_status_response(request, job)

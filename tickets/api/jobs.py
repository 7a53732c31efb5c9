"""Zendesk's bulk ticket endpoints (create_many, update_many) and Job Statuses API.

The bulk endpoints answer 200 `{"job_status": ...}` at once and do the work in the background
(tickets/jobs.py): poll `GET /api/v2/job_statuses/{id}` until `status` is completed (or
failed), or `progress` equals `total`. Each item is processed on its own, and its result says
what became of it.
"""

from __future__ import annotations

from typing import Any

from django.utils import timezone
from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    extend_schema_field,
    inline_serializer,
)
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from slaweb.api.errors import BadRequest, root_object
from slaweb.api.output import Link, output_context, serialize_many
from slaweb.api.pagination import paginate
from slaweb.api.permissions import IsAgent
from slaweb.api.schema import PAGINATION_PARAMETERS, paginated, with_errors
from tickets import jobs
from tickets.api.access import signed_in
from tickets.inputs import TicketInputSerializer
from tickets.models import JobStatus, JobStatusResult
from tickets.ticket_writes import TicketUpdateInputSerializer

# Output ---------------------------------------------------------------------------------------


class JobStatusResultOutputSerializer(serializers.Serializer[JobStatusResult]):
    """One item's outcome, in Zendesk's shapes: a created ticket `{index, id}`, an updated one
    `{id, action, success, status: "Updated"}`, a failure `{action, success: false, error,
    details}` with the ticket's `id` for an update or the item's `index` for a create."""

    index = serializers.IntegerField(
        required=False, help_text="Creates: the item's position in the request, from 0"
    )
    id = serializers.IntegerField(
        source="ticket_id",
        required=False,
        help_text="The ticket created or updated (absent for a create that failed)",
    )
    action = serializers.CharField(help_text="create or update")
    success = serializers.BooleanField()
    status = serializers.CharField(required=False, help_text="Updates that succeeded: Updated")
    error = serializers.CharField(
        required=False,
        help_text="Failures: the error the single endpoint answers (RecordInvalid, "
        "RecordNotFound, Forbidden, ...), or InternalError",
    )
    details = serializers.CharField(required=False, help_text="Failures: what was wrong")

    def to_representation(self, instance: JobStatusResult) -> dict[str, Any]:
        body = super().to_representation(instance)
        keep = {"action", "success"}
        if instance.action == "create":
            keep.add("index")
        if instance.ticket_id is not None:
            keep.add("id")
        if not instance.success:
            keep |= {"error", "details"}
        elif instance.action == "update":
            body["status"] = "Updated"
            keep.add("status")
        return {key: value for key, value in body.items() if key in keep}


@extend_schema_field(
    {
        "type": "string",
        "pattern": "^(" + "|".join(JobStatus.STATUSES) + ")$",
        "description": "queued, working, completed or failed (slaweb never kills a job)",
    }
)
class JobStatusValue(serializers.CharField):
    """Not an enum in the schema: enums named `status` would be renamed against the ticket's."""


# Needs `context["root"]`, and the jobs' results prefetched.
class JobStatusOutputSerializer(serializers.Serializer[JobStatus]):
    id = serializers.CharField(source="public_id", help_text="Opaque")
    url = Link("/api/v2/job_statuses/{obj.public_id}.json")
    total = serializers.IntegerField(help_text="The number of items")
    progress = serializers.IntegerField(help_text="The items done, whether they failed or not")
    status = JobStatusValue()
    message = serializers.CharField(allow_null=True)
    results = JobStatusResultOutputSerializer(
        many=True, help_text="One per item done, in request order"
    )


JobStatusEnvelope = inline_serializer(
    "JobStatusResponse", {"job_status": JobStatusOutputSerializer()}
)
JobStatusesEnvelope = inline_serializer(
    "JobStatusesResponse", {"job_statuses": JobStatusOutputSerializer(many=True)}
)
JobStatusListEnvelope = paginated(
    "JobStatusListResponse", "job_statuses", JobStatusOutputSerializer(many=True)
)


def job_status_response(request: Request, job: JobStatus) -> Response:
    """The job as it is now (with the immediate task backend it has already run)."""
    job = jobs.recent_jobs(timezone.now()).get(pk=job.pk)
    body = JobStatusOutputSerializer(job, context=output_context(request)).data
    return Response({"job_status": body})


def job_status_responses(extra: dict[Any, Any] | None = None) -> dict[Any, Any]:
    """200 with the job status, plus the errors of a bulk request."""
    return with_errors(
        {
            200: OpenApiResponse(
                JobStatusEnvelope, description="The job, queued: poll its url until completed"
            ),
            **(extra or {}),
        },
        writes=True,
    )


def ticket_list(request: Request) -> list[Any]:
    """The body's `tickets` array, or a 400."""
    data = request.data
    if not isinstance(data, dict) or "tickets" not in data:
        raise BadRequest(
            "InvalidRequest", "The request body must be a JSON object with a 'tickets' key"
        )
    if not isinstance(data["tickets"], list):
        raise BadRequest("InvalidRequest", "'tickets' must be a JSON array")
    return data["tickets"]


def _ids(raw: str, what: str) -> list[str]:
    parts = [part.strip() for part in raw.split(",") if part.strip()]
    if not parts or len(parts) > jobs.MAX_ITEMS:
        raise BadRequest("InvalidParameter", f"ids must list 1 to {jobs.MAX_ITEMS} {what} ids")
    return parts


# Bulk tickets ---------------------------------------------------------------------------------


class TicketUpdateManyItemSerializer(TicketUpdateInputSerializer):
    id = serializers.IntegerField(help_text="The ticket to update")


class TicketCreateManyApi(APIView):
    """Create up to 100 tickets in the background (agents, as Zendesk)."""

    permission_classes = [IsAgent]

    @extend_schema(
        operation_id="TicketsCreateMany",
        description=(
            "Up to 100 tickets, each as `POST /api/v2/tickets` takes it. Answers a job status "
            "at once and creates them in the background, each on its own: an invalid ticket is "
            "a failed result (`error`, `details`) and does not stop the others. A body that is "
            'not `{"tickets": [objects]}`, or more than 100, is refused and nothing is queued.'
        ),
        request=inline_serializer(
            "TicketsCreateManyRequest", {"tickets": TicketInputSerializer(many=True)}
        ),
        responses=job_status_responses(),
    )
    def post(self, request: Request) -> Response:
        job = jobs.ticket_create_many_start(user=signed_in(request), items=ticket_list(request))
        return job_status_response(request, job)


class TicketUpdateManyApi(APIView):
    """Update up to 100 tickets in the background (agents, as Zendesk), in either form."""

    permission_classes = [IsAgent]

    @extend_schema(
        operation_id="TicketsUpdateMany",
        description=(
            'Zendesk\'s two forms: `{"tickets": [{"id": 1, ...}, ...]}` (batch: a change per '
            'ticket), or `?ids=1,2,3` with `{"ticket": {...}}` (bulk: the same change to each). '
            "Up to 100 tickets; each update is made as `PUT /api/v2/tickets/{id}` makes it, "
            "plus `additional_tags` and `remove_tags`. Answers a job status at once; an update "
            "that fails (a missing or closed ticket, an invalid value) is a failed result and "
            "does not stop the others."
        ),
        parameters=[
            OpenApiParameter(
                "ids", str, description="Bulk form: comma-separated ids of up to 100 tickets"
            )
        ],
        request=inline_serializer(
            "TicketsUpdateManyRequest",
            {
                "tickets": TicketUpdateManyItemSerializer(
                    many=True, required=False, help_text="Batch form"
                ),
                "ticket": TicketUpdateInputSerializer(
                    required=False, help_text="Bulk form, with ?ids"
                ),
            },
        ),
        responses=job_status_responses(),
    )
    def put(self, request: Request) -> Response:
        user = signed_in(request)
        raw = request.query_params.get("ids")
        if raw is None:
            job = jobs.ticket_update_many_start(user=user, items=ticket_list(request))
            return job_status_response(request, job)
        if isinstance(request.data, dict) and "tickets" in request.data:
            raise BadRequest(
                "InvalidRequest", "Give either ?ids with a 'ticket' object, or 'tickets'"
            )
        try:
            ids = [int(part) for part in _ids(raw, "ticket")]
        except ValueError:
            raise BadRequest(
                "InvalidParameter", "ids must be a comma-separated list of ticket ids"
            ) from None
        ticket = root_object(request, "ticket")
        job = jobs.ticket_update_many_start(user=user, ids=ids, ticket=ticket)
        return job_status_response(request, job)


# Job statuses ---------------------------------------------------------------------------------


class JobStatusListApi(APIView):
    permission_classes = [IsAgent]

    @extend_schema(
        operation_id="ListJobStatuses",
        description=(
            "The jobs of the last day, unfinished ones first, then by completion and by "
            "creation, the latest first."
        ),
        parameters=PAGINATION_PARAMETERS,
        responses=with_errors({200: JobStatusListEnvelope}),
    )
    def get(self, request: Request) -> Response:
        context = output_context(request)
        return paginate(
            request,
            jobs.recent_jobs(timezone.now()),
            key="job_statuses",
            serialize=lambda rows: serialize_many(JobStatusOutputSerializer, rows, context),
            order=("finish_rank", "creation_rank"),
        )


class JobStatusShowManyApi(APIView):
    permission_classes = [IsAgent]

    @extend_schema(
        operation_id="ShowManyJobStatuses",
        parameters=[
            OpenApiParameter(
                "ids", str, required=True, description="Comma-separated job status ids"
            )
        ],
        responses=with_errors({200: JobStatusesEnvelope}),
    )
    def get(self, request: Request) -> Response:
        ids = _ids(request.query_params.get("ids", ""), "job status")
        found = {
            job.public_id: job for job in jobs.recent_jobs(timezone.now()).filter(public_id__in=ids)
        }
        listed = [found[i] for i in dict.fromkeys(ids) if i in found]
        body = serialize_many(JobStatusOutputSerializer, listed, output_context(request))
        return Response({"job_statuses": body})


class JobStatusDetailApi(APIView):
    permission_classes = [IsAgent]

    @extend_schema(
        operation_id="ShowJobStatus",
        responses=with_errors({200: JobStatusEnvelope}, lookup=True),
    )
    def get(self, request: Request, job_status_id: str) -> Response:
        job = jobs.recent_jobs(timezone.now()).get(public_id=job_status_id)
        body = JobStatusOutputSerializer(job, context=output_context(request)).data
        return Response({"job_status": body})

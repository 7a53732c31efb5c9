"""Zendesk's Tickets API, with SLAs side-loaded the Zendesk way (`include=slas,metric_events`).

Creating or updating a ticket answers the ticket and the audit of that save, as Zendesk does
(the same audit `GET /api/v2/tickets/{id}/audits/{audit_id}` shows). A creation sent with an
`Idempotency-Key` header is done once per key and user: a repeat within two hours with the same
body answers the first answer again (`x-idempotency-lookup: hit`), one with another body is a
400 `IdempotentRequestError`.

The list filters by `external_id`, sorts with `sort_by`/`sort_order` (offset pages) or `sort`
(cursor pages), and side-loads `users`, `groups` and `organizations` (for agents) as top-level
arrays next to the tickets; include values slaweb does not know are ignored.

Departures from Zendesk:
- Keys for features slaweb does not have are answered with the one value they can have here:
  `collaborator_ids`, `follower_ids`, `email_cc_ids`, `followup_ids` and
  `sharing_agreement_ids` are empty, `due_at`, `problem_id`, `forum_topic_id` and
  `satisfaction_rating` null, `has_incidents`, `allow_channelback`, `allow_attachments`
  (slaweb takes no uploads) and `from_messaging_channel` false. Writing them is ignored.
- `generated_timestamp` is `updated_at` in Unix seconds: slaweb keeps no other write time.
- Cursor pages sort by `id`, `updated_at`, `status` (and `created_at`); `sort_by` on a text key
  (subject, names) needs offset pages. Status sorts in lifecycle order (new, open, pending,
  hold, solved, closed), names sort with no one first.
- Comments have no attachments (`attachments` is empty) and no metadata (`metadata` has empty
  `system` and `custom`). A comment sent as HTML keeps its HTML as `html_body`, without
  scripts, event handlers, `javascript:` links or tags outside a safe list (as Zendesk cleans
  comment HTML); its `body` and `plain_body` are the text of that HTML. One sent as text
  answers it as `html_body` in paragraphs.
- `solved_at` is slaweb's: when the ticket was last solved.
"""

from __future__ import annotations

import copy
import hashlib
import json
from collections import defaultdict
from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Any

from django.db import transaction
from django.db.models import (
    BigIntegerField,
    Case,
    ExpressionWrapper,
    F,
    Func,
    IntegerField,
    QuerySet,
    Value,
    When,
)
from django.db.models.expressions import Combinable, CombinedExpression
from django.db.models.functions import Coalesce
from django.utils import timezone
from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    inline_serializer,
)
from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from slaweb.api.errors import BadRequest, root_object
from slaweb.api.output import BlankAsNull, Link, Timestamp, output_context, serialize_many
from slaweb.api.pagination import paginate
from slaweb.api.permissions import IsAuthenticatedUser
from slaweb.api.schema import PAGINATION_PARAMETERS, SIMPLE_ERROR, paginated, with_errors
from slaweb.api.timestamps import iso
from tickets import services, ticket_writes
from tickets.api.access import signed_in
from tickets.api.audits import (
    EmptyList,
    TicketAuditMetadataSerializer,
    TicketAuditOutputSerializer,
    ticket_audits,
    with_comments,
)
from tickets.api.groups import GroupOutputSerializer
from tickets.api.organizations import OrganizationOutputSerializer
from tickets.api.output import (
    AlwaysFalse,
    AlwaysNullInteger,
    AlwaysNullObject,
    AlwaysNullTimestamp,
    CommentHtml,
    CommentType,
    NoIds,
    UnixTime,
    ViaSerializer,
    channel_name,
    no_source,
)
from tickets.api.users import UserOutputSerializer, user_rows
from tickets.inputs import TicketInputSerializer
from tickets.models import (
    AuditEvent,
    Group,
    Organization,
    Ticket,
    TicketComment,
    TicketMetricEvent,
)
from tickets.selectors import SlaTargetRow, sla_target_rows, ticket_rows
from tickets.sla.explain import explain, slas_for

EVENT_METRIC_KEYS = (
    "agent_work_time",
    "pausable_update_time",
    "periodic_update_time",
    "reply_time",
    "requester_wait_time",
    "resolution_time",
)
# Side-loads inside each ticket, and side-loaded records next to the tickets.
SIDE_LOADS = ("slas", "metric_events")
RECORD_SIDE_LOADS = ("users", "groups", "organizations")


# Output ---------------------------------------------------------------------------------------


class TicketMetricEventSerializer(serializers.Serializer[TicketMetricEvent]):
    id = serializers.IntegerField()
    ticket_id = serializers.IntegerField()
    metric = serializers.CharField()
    instance_id = serializers.IntegerField()
    type = serializers.CharField()
    time = Timestamp()
    sla = serializers.JSONField(required=False, help_text="apply_sla events only")
    # A group SLA policy's payload is stored in the same column as the SLA policy's.
    group_sla = serializers.JSONField(
        source="sla", required=False, help_text="apply_group_sla events only"
    )
    status = serializers.JSONField(required=False, help_text="update_status events only")
    deleted = serializers.BooleanField(required=False, help_text="breach events only")

    # The event types that carry each optional key.
    CARRIED_BY = {
        "sla": "apply_sla",
        "group_sla": "apply_group_sla",
        "status": "update_status",
        "deleted": "breach",
    }

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
    group_policy_metrics = serializers.ListField(
        child=serializers.DictField(),
        required=False,
        help_text=(
            "slaweb's extension: the group ownership target of the group holding the ticket, "
            "when a group SLA policy gives it one (with its group_id)"
        ),
    )

    def to_representation(self, instance: Ticket) -> dict[str, Any]:
        return slas_for(instance, sla_targets_of(instance, self.context), self.context["now"])


def sla_targets_of(ticket: Ticket, context: Mapping[str, Any]) -> list[SlaTargetRow]:
    """The ticket's targets from `context["sla_targets"]` (`ticket_context` loads them for all
    the tickets of a response in one query), else from the database."""
    loaded: dict[int, list[SlaTargetRow]] | None = context.get("sla_targets")
    if loaded is None:
        loaded = sla_target_rows([ticket.pk])
    return loaded.get(ticket.pk, [])


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
# those: `slas` needs `context["now"]` (and takes `context["sla_targets"]`), `metric_events`
# needs `context["metric_events"]`; `ticket_context` gives all of them.
class TicketOutputSerializer(serializers.Serializer[Ticket]):
    url = Link("/api/v2/tickets/{obj.pk}.json")
    id = serializers.IntegerField()
    external_id = serializers.CharField(allow_null=True)
    via = ViaSerializer(source="*")
    created_at = Timestamp()
    updated_at = Timestamp()
    generated_timestamp = UnixTime(source="updated_at", help_text="updated_at in Unix seconds")
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
    collaborator_ids = NoIds()
    follower_ids = NoIds()
    email_cc_ids = NoIds()
    forum_topic_id = AlwaysNullInteger()
    problem_id = AlwaysNullInteger()
    has_incidents = AlwaysFalse()
    is_public = serializers.BooleanField(help_text="Whether any comment is public")
    due_at = AlwaysNullTimestamp()
    tags = serializers.ListField(child=serializers.CharField())
    custom_fields = CustomFieldValues()
    satisfaction_rating = AlwaysNullObject()
    sharing_agreement_ids = NoIds()
    followup_ids = NoIds()
    brand_id = serializers.IntegerField(allow_null=True)
    ticket_form_id = serializers.IntegerField(allow_null=True)
    allow_channelback = AlwaysFalse()
    allow_attachments = AlwaysFalse(help_text="slaweb takes no uploads")
    from_messaging_channel = AlwaysFalse()
    solved_at = Timestamp(allow_null=True)
    slas = SlaSerializer(source="*", required=False)
    metric_events = MetricEventsByMetric(required=False)

    def get_fields(self) -> dict[str, serializers.Field[Any, Any, Any, Any]]:
        # Zendesk's old name of `custom_fields`, still answered. Not declared: `fields` would
        # shadow the serializer's own.
        fields = super().get_fields()
        fields["fields"] = CustomFieldValues(source="custom_fields", help_text="As custom_fields")
        for name in SIDE_LOADS:
            if not self.answers(name):
                del fields[name]
        return fields

    def answers(self, side_load: str) -> bool:
        wanted = self.context.get("include")
        return wanted is None or side_load in wanted

    def to_representation(self, instance: Ticket) -> dict[str, Any]:
        """What the fields above answer, built directly: lists of 100 tickets spent most of
        their time in DRF's per-field machinery. `tests/tickets/test_api_ticket_output.py`
        holds it to the fields' own answer (`fields_representation`), key order included."""
        ticket = instance
        custom_fields = _custom_field_values(ticket.custom_fields)
        body: dict[str, Any] = {
            "url": f"{self.context['root']}/api/v2/tickets/{ticket.pk}.json",
            "id": ticket.pk,
            "external_id": _text(ticket.external_id),
            "via": {"channel": channel_name(ticket.via_id), "source": no_source()},
            "created_at": iso(ticket.created_at),
            "updated_at": iso(ticket.updated_at),
            "generated_timestamp": int(ticket.updated_at.timestamp()),
            "type": _text(ticket.type),
            "subject": str(ticket.subject),
            "raw_subject": str(ticket.subject),
            "description": str(ticket.description),
            "priority": _text(ticket.priority),
            "status": str(ticket.status),
            "custom_status_id": ticket.custom_status_id,
            "recipient": str(ticket.recipient) if ticket.recipient else None,
            "requester_id": ticket.requester_id,
            "submitter_id": ticket.submitter_id,
            "assignee_id": ticket.assignee_id,
            "organization_id": ticket.organization_id,
            "group_id": ticket.group_id,
            "collaborator_ids": [],
            "follower_ids": [],
            "email_cc_ids": [],
            "forum_topic_id": None,
            "problem_id": None,
            "has_incidents": False,
            "is_public": bool(ticket.is_public),
            "due_at": None,
            "tags": None
            if ticket.tags is None
            else [None if tag is None else str(tag) for tag in ticket.tags],
            "custom_fields": custom_fields,
            "satisfaction_rating": None,
            "sharing_agreement_ids": [],
            "followup_ids": [],
            "brand_id": ticket.brand_id,
            "ticket_form_id": ticket.ticket_form_id,
            "allow_channelback": False,
            "allow_attachments": False,
            "from_messaging_channel": False,
            "solved_at": iso(ticket.solved_at) if ticket.solved_at is not None else None,
        }
        # `self.fields` (a deep copy of every declared field) is built only when needed.
        if self.answers("slas"):
            body["slas"] = slas_for(
                ticket, sla_targets_of(ticket, self.context), self.context["now"]
            )
        if self.answers("metric_events"):
            events = self.fields["metric_events"]
            body["metric_events"] = events.to_representation(events.get_attribute(ticket))
        body["fields"] = _custom_field_values(ticket.custom_fields)
        return body

    def fields_representation(self, instance: Ticket) -> dict[str, Any]:
        """The answer of DRF's generic serialization of the declared fields."""
        return dict(super().to_representation(instance))


def _text(value: Any) -> str | None:
    return None if value is None else str(value)


def _custom_field_values(values: dict[str, Any] | None) -> list[dict[str, Any]] | None:
    if values is None:
        return None
    return [{"id": int(field_id), "value": value} for field_id, value in values.items()]


def includes(request: Request) -> set[str]:
    return {
        part.strip() for part in request.query_params.get("include", "").split(",") if part.strip()
    }


def ticket_context(request: Request, tickets: list[Ticket], now: datetime) -> dict[str, Any]:
    """`TicketOutputSerializer`'s context for these tickets: the side-loads the request asks
    for, with the SLA targets and the metric events of all of them in one query each."""
    wanted = includes(request)
    context = output_context(request, include=wanted, now=now)
    if "slas" in wanted:
        context["sla_targets"] = sla_target_rows([t.pk for t in tickets])
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


def side_loaded(request: Request, tickets: list[Ticket]) -> dict[str, list[dict[str, Any]]]:
    """The records the request side-loads (`include=users,groups,organizations`) for these
    tickets: one query each. Only agents get them: they are the account's people and teams."""
    wanted = [name for name in RECORD_SIDE_LOADS if name in includes(request)]
    if not wanted or not signed_in(request).is_agent:
        return {}
    context = output_context(request)
    body: dict[str, list[dict[str, Any]]] = {}
    if "users" in wanted:
        user_ids = {
            pk
            for t in tickets
            for pk in (t.requester_id, t.submitter_id, t.assignee_id)
            if pk is not None
        }
        users = user_rows().filter(pk__in=user_ids).order_by("id") if user_ids else []
        body["users"] = serialize_many(UserOutputSerializer, users, context)
    if "groups" in wanted:
        group_ids = {t.group_id for t in tickets if t.group_id is not None}
        groups = Group.objects.filter(pk__in=group_ids).order_by("id") if group_ids else []
        body["groups"] = serialize_many(GroupOutputSerializer, groups, context)
    if "organizations" in wanted:
        organization_ids = {t.organization_id for t in tickets if t.organization_id is not None}
        organizations = (
            Organization.objects.filter(pk__in=organization_ids).order_by("id")
            if organization_ids
            else []
        )
        body["organizations"] = serialize_many(OrganizationOutputSerializer, organizations, context)
    return body


def side_load_fields() -> dict[str, serializers.BaseSerializer[Any]]:
    """The side-loaded records' keys, for the schema of a response that may have them."""
    return {
        "users": UserOutputSerializer(many=True, required=False),
        "groups": GroupOutputSerializer(many=True, required=False),
        "organizations": OrganizationOutputSerializer(many=True, required=False),
    }


def with_side_loads(name: str, envelope: Any) -> Any:
    """An inline response serializer (`paginated`'s, say) plus the side-loaded records."""
    fields = {key: copy.deepcopy(field) for key, field in type(envelope)._declared_fields.items()}
    return inline_serializer(name, {**fields, **side_load_fields()})


# Sorting --------------------------------------------------------------------------------------

# Zendesk's `sort_by` keys (offset pages) and the column or annotation each sorts by.
SORT_BY = {
    "assignee": "assignee_name",
    "assignee.name": "assignee_name",
    "created_at": "created_at",
    "group": "group_name",
    "id": "id",
    "requester": "requester_name",
    "requester.name": "requester_name",
    "status": "status_rank",
    "subject": "subject",
    "updated_at": "updated_at",
}
# The keys a cursor page can sort by: they have whole-number values (cursors carry those).
CURSOR_SORTS = ("id", "created_at", "updated_at", "status")
CURSOR_PARAMETERS = ("page[size]", "page[after]", "page[before]")
STATUS_ORDER = ("new", "open", "pending", "hold", "solved", "closed")
# Cursors carry whole numbers from 0 up to this, ascending: descending keys are this minus
# the value.
TOP = 2**62 - 1


class EpochSeconds(Func):
    """A moment as whole seconds since 1970, in SQL (PostgreSQL and SQLite)."""

    output_field = BigIntegerField()
    template = "CAST(FLOOR(EXTRACT(EPOCH FROM %(expressions)s)) AS BIGINT)"

    def as_sqlite(self, compiler: Any, connection: Any, **extra: Any) -> Any:
        template = "CAST(unixepoch(%(expressions)s) AS INTEGER)"
        return self.as_sql(compiler, connection, template=template, **extra)


def _status_rank() -> Case:
    return Case(
        *[When(status=name, then=Value(rank)) for rank, name in enumerate(STATUS_ORDER)],
        default=Value(len(STATUS_ORDER)),
        output_field=IntegerField(),
    )


SORT_ANNOTATIONS: dict[str, Callable[[], Combinable]] = {
    "assignee_name": lambda: Coalesce(F("assignee__name"), Value("")),
    "group_name": lambda: Coalesce(F("group__name"), Value("")),
    "requester_name": lambda: F("requester__name"),
    "status_rank": _status_rank,
}


# The whole-number values of the cursor keys.
CURSOR_SORT_VALUES: dict[str, Callable[[], Combinable]] = {
    "id": lambda: F("id"),
    "created_at": lambda: EpochSeconds("created_at"),
    "updated_at": lambda: EpochSeconds("updated_at"),
    "status": _status_rank,
}


def _from_top(value: Combinable) -> ExpressionWrapper[CombinedExpression]:
    # 64-bit, TOP too: a 32-bit result would make Django drop a cursor beyond its range as no
    # match, and with parameters bound by PostgreSQL a bare TOP would be sent as a 32-bit one.
    top = Value(TOP, output_field=BigIntegerField())
    return ExpressionWrapper(top - value, output_field=BigIntegerField())


def _sort_parameter(request: Request) -> tuple[str, bool]:
    """The key the request sorts by and whether descending, from `sort` (`-updated_at`) or
    `sort_by` and `sort_order`; by default `id`, ascending."""
    params = request.query_params
    order = params.get("sort_order", "asc")
    if order not in ("asc", "desc"):
        raise BadRequest("InvalidPaginationParameter", "sort_order is not valid: asc or desc")
    if "sort" in params:
        sort = params["sort"]
        key = sort.removeprefix("-")
        if key not in CURSOR_SORTS:
            raise BadRequest("InvalidPaginationParameter", "sort is not valid")
        return key, sort.startswith("-")
    key = params.get("sort_by", "id")
    if key not in SORT_BY:
        raise BadRequest("InvalidPaginationParameter", "sort_by is not valid")
    return key, order == "desc"


def sorted_tickets(
    request: Request, tickets: QuerySet[Ticket]
) -> tuple[QuerySet[Ticket], tuple[str, ...]]:
    """The tickets and the order `paginate` pages them in, as the request sorts them; ties go
    by id, in the same direction."""
    key, descending = _sort_parameter(request)
    if not any(name in request.query_params for name in CURSOR_PARAMETERS):
        column = SORT_BY[key]
        if column in SORT_ANNOTATIONS:
            tickets = tickets.annotate(**{column: SORT_ANNOTATIONS[column]()})
        sign = "-" if descending else ""
        return tickets, (f"{sign}{column}", f"{sign}id") if column != "id" else (f"{sign}id",)
    if key not in CURSOR_SORTS:
        raise BadRequest(
            "InvalidPaginationParameter",
            f"sort_by {key} needs offset pagination (page and per_page)",
        )
    if key == "id" and not descending:
        return tickets, ("id",)
    value = CURSOR_SORT_VALUES[key]()
    if not descending:
        return tickets.annotate(sort_key=value), ("sort_key", "id")
    tickets = tickets.annotate(sort_key=_from_top(value), sort_id=_from_top(F("id")))
    return tickets, ("sort_id",) if key == "id" else ("sort_key", "sort_id")


# Views ----------------------------------------------------------------------------------------

INCLUDE_PARAMETER = OpenApiParameter(
    "include",
    str,
    description="Comma-separated side-loads: slas and metric_events in each ticket; users, "
    "groups and organizations next to the tickets (agents only). Others are ignored.",
)
LIST_PARAMETERS = [
    OpenApiParameter(
        "external_id", str, description="Only the tickets with this external id (maybe several)"
    ),
    OpenApiParameter(
        "sort_by", str, enum=list(SORT_BY), description="Offset pages (and some cursor keys)"
    ),
    OpenApiParameter("sort_order", str, enum=["asc", "desc"], description="With sort_by"),
    OpenApiParameter(
        "sort",
        str,
        enum=[f"{sign}{key}" for key in CURSOR_SORTS for sign in ("", "-")],
        description="Cursor pages: a key, descending with a leading -",
    ),
]
IDEMPOTENCY_PARAMETER = OpenApiParameter(
    "Idempotency-Key",
    str,
    location=OpenApiParameter.HEADER,
    description="Create once: a repeat within 2 hours with the same body answers the first "
    "answer (x-idempotency-lookup: hit); another body is a 400 IdempotentRequestError",
)


TicketEnvelope = inline_serializer(
    "TicketResponse", {"ticket": TicketOutputSerializer(), **side_load_fields()}
)
TicketSaveEnvelope = inline_serializer(
    "TicketUpdateResponse",
    {
        "ticket": TicketOutputSerializer(),
        "audit": TicketAuditOutputSerializer(help_text="The audit of this save"),
        **side_load_fields(),
    },
)
TicketRequest = inline_serializer("TicketRequest", {"ticket": TicketInputSerializer()})
TicketUpdateRequest = inline_serializer(
    "TicketUpdateRequest", {"ticket": ticket_writes.TicketUpdateInputSerializer()}
)
TicketListEnvelope = with_side_loads(
    "TicketListResponse",
    paginated("TicketListResponse", "tickets", TicketOutputSerializer(many=True)),
)


def visible_tickets(request: Request) -> QuerySet[Ticket]:
    tickets = ticket_rows()
    return (
        tickets
        if signed_in(request).is_agent
        else tickets.filter(requester_id=signed_in(request).pk)
    )


def _one_body(request: Request, ticket_id: int) -> dict[str, Any]:
    ticket = visible_tickets(request).get(pk=ticket_id)
    context = ticket_context(request, [ticket], timezone.now())
    body = TicketOutputSerializer(ticket, context=context).data
    return {"ticket": body, **side_loaded(request, [ticket])}


def _one(request: Request, ticket_id: int, code: int = status.HTTP_200_OK) -> Response:
    return Response(_one_body(request, ticket_id), status=code)


# Changes whose values are JSON objects: PostgreSQL's jsonb keeps their keys in its own order,
# so the answer reads them back to show them as Show Ticket and Show Audit do.
REORDERED_BY_STORAGE = frozenset({"custom_fields"})


def _saved(request: Request, saved: services.TicketSave) -> dict[str, Any]:
    """The answer to a create or update: the ticket and the audit of the save, as Show Ticket
    and Show Audit answer them. Built from the rows the save wrote, which hold what was
    stored; read back only when a change's value is stored in another key order."""
    if saved.events is None or saved.changed & REORDERED_BY_STORAGE:
        body = _one_body(request, saved.ticket.pk)
        [audit] = with_comments([ticket_audits(saved.ticket.pk).get(pk=saved.audit.pk)])
        return {**body, "audit": TicketAuditOutputSerializer(audit).data}
    ticket, audit = saved.ticket, saved.audit
    context = ticket_context(request, [ticket], timezone.now())
    body = {
        "ticket": TicketOutputSerializer(ticket, context=context).data,
        **side_loaded(request, [ticket]),
    }
    # The events as `ticket_audits` prefetches them (where Django's prefetch keeps them).
    events = AuditEvent.objects.filter(audit=audit)
    events._result_cache = sorted(saved.events, key=lambda event: event.pk)
    events._prefetch_done = True  # type: ignore[attr-defined]
    audit._prefetched_objects_cache = {"events": events}  # type: ignore[attr-defined]
    return {**body, "audit": TicketAuditOutputSerializer(audit).data}


def _idempotency_key(request: Request) -> str | None:
    key = request.headers.get("Idempotency-Key")
    if key is not None and not 1 <= len(key.strip()) <= 255:
        raise BadRequest("InvalidRequest", "Idempotency-Key must be 1 to 255 characters")
    return key


def _digest(request: Request) -> str:
    """The request body's fingerprint: the same JSON, however spaced or ordered, is the same."""
    canonical = json.dumps(request.data, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(canonical.encode()).hexdigest()


class TicketListCreateApi(APIView):
    permission_classes = [IsAuthenticatedUser]

    @extend_schema(
        operation_id="ListTickets",
        parameters=[*PAGINATION_PARAMETERS, *LIST_PARAMETERS, INCLUDE_PARAMETER],
        responses=with_errors({200: TicketListEnvelope}),
    )
    def get(self, request: Request) -> Response:
        now = timezone.now()
        tickets = visible_tickets(request)
        if "external_id" in request.query_params:
            external_id = request.query_params["external_id"]
            if not external_id:
                raise BadRequest("InvalidParameter", "external_id must not be blank")
            tickets = tickets.filter(external_id=external_id)
        tickets, order = sorted_tickets(request, tickets)
        page: list[Ticket] = []

        def serialize(rows: list[Ticket]) -> list[dict[str, Any]]:
            page.extend(rows)
            return serialize_tickets(rows, request, now)

        response = paginate(
            request,
            tickets,
            key="tickets",
            serialize=serialize,
            order=order,
        )
        response.data.update(side_loaded(request, page))
        return response

    @extend_schema(
        operation_id="CreateTicket",
        parameters=[INCLUDE_PARAMETER, IDEMPOTENCY_PARAMETER],
        request=TicketRequest,
        responses=with_errors({201: TicketSaveEnvelope}, writes=True),
    )
    def post(self, request: Request) -> Response:
        given = root_object(request, "ticket")
        key = _idempotency_key(request)
        user = signed_in(request)

        def create() -> tuple[int, dict[str, Any]]:
            saved = ticket_writes.ticket_create_as(user=user, data=given, now=timezone.now())
            return status.HTTP_201_CREATED, _saved(request, saved)

        if key is None:
            with transaction.atomic():
                code, body = create()
            response = Response(body, status=code)
        else:
            try:
                answer = services.idempotent_answer(
                    user_id=user.pk,
                    key=key,
                    digest=_digest(request),
                    now=timezone.now(),
                    answer=create,
                )
            except services.IdempotencyKeyReused:
                raise BadRequest(
                    "IdempotentRequestError",
                    "Request parameters don't match the given idempotency key",
                ) from None
            response = Response(answer.body, status=answer.status)
            response["x-idempotency-lookup"] = "hit" if answer.replayed else "miss"
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
        request=TicketUpdateRequest,
        responses=with_errors(
            {
                200: TicketSaveEnvelope,
                409: OpenApiResponse(
                    SIMPLE_ERROR,
                    description="safe_update: the ticket was updated after updated_stamp",
                ),
            },
            writes=True,
            lookup=True,
        ),
    )
    def put(self, request: Request, ticket_id: str) -> Response:
        saved = ticket_writes.ticket_update_as(
            user=signed_in(request),
            ticket_id=int(ticket_id),
            data=root_object(request, "ticket"),
            now=timezone.now(),
        )
        return Response(_saved(request, saved))

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
                    "TicketShowManyResponse",
                    {"tickets": TicketOutputSerializer(many=True), **side_load_fields()},
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
        tickets = list(visible_tickets(request).filter(pk__in=ids))
        tickets.sort(key=lambda t: ids.index(t.pk))
        return Response(
            {
                "tickets": serialize_tickets(tickets, request, timezone.now()),
                **side_loaded(request, tickets),
            }
        )


# Give it comments `with_audit_ids`.
class TicketCommentOutputSerializer(serializers.Serializer[TicketComment]):
    id = serializers.IntegerField()
    type = CommentType()
    author_id = serializers.IntegerField()
    body = serializers.CharField(allow_blank=True)
    html_body = CommentHtml(source="*")
    plain_body = serializers.CharField(source="body", allow_blank=True)
    public = serializers.BooleanField()
    attachments = EmptyList(child=serializers.DictField(), help_text="Always empty")
    audit_id = serializers.IntegerField(
        source="saved_by_audit_id", allow_null=True, help_text="The audit that added it"
    )
    via = ViaSerializer(source="*")
    metadata = TicketAuditMetadataSerializer(source="*")
    created_at = Timestamp()


def with_audit_ids(comments: QuerySet[TicketComment]) -> QuerySet[TicketComment]:
    return comments.annotate(saved_by_audit_id=F("audit__id"))


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
            with_audit_ids(comments),
            key="comments",
            serialize=lambda rows: serialize_many(TicketCommentOutputSerializer, rows),
        )


def _nullable_time(help_text: str) -> serializers.CharField:
    return serializers.CharField(allow_null=True, help_text=help_text)


# The group part of the explanation (tickets/sla/explain.py `explain_group`).
GroupOwnershipExplanation = inline_serializer(
    "GroupOwnershipExplanation",
    {
        "instance_id": serializers.IntegerField(
            help_text="Counts the ticket's ownerships 1, 2, 3…"
        ),
        "group_id": serializers.IntegerField(help_text="The group that held the ticket."),
        "stage": serializers.ChoiceField(choices=["active", "paused", "achieved"]),
        "started_at": serializers.CharField(help_text="When the group got the ticket."),
        "ended_at": _nullable_time("When the group stopped holding it; null while it does."),
        "ended_by": serializers.CharField(
            allow_null=True,
            help_text="Why the ownership ended: the ticket was solved or closed, handed to "
            "another group, or its group removed; null while it runs.",
        ),
        "running_seconds": serializers.IntegerField(help_text="Time held, pauses left out."),
        "running_business_seconds": serializers.IntegerField(
            help_text="The same in business hours, by the schedules in force."
        ),
        "paused_seconds": serializers.IntegerField(),
        "policy": serializers.DictField(
            allow_null=True, help_text="The group SLA policy giving the target: id, title."
        ),
        "target": serializers.DictField(
            allow_null=True, help_text="seconds and business_hours; null without a target."
        ),
        "deadline": _nullable_time("null while paused or without a target."),
        "breached": serializers.BooleanField(),
        "breached_at": _nullable_time("When the ownership breached its target."),
    },
)
GroupPolicyAttempt = inline_serializer(
    "GroupSlaPolicyAttempt",
    {
        "policy_id": serializers.CharField(),
        "title": serializers.CharField(),
        "matched": serializers.BooleanField(),
        "reason": serializers.CharField(
            allow_null=True, help_text="The first condition the ticket failed."
        ),
        "condition": serializers.DictField(
            allow_null=True, help_text="That condition as the policy's filter writes it."
        ),
    },
)
GroupSlaExplanation = inline_serializer(
    "GroupSlaExplanation",
    {
        "policy": serializers.DictField(
            allow_null=True, help_text="The group SLA policy applied at the last save: id, title."
        ),
        "policies_tried": serializers.ListField(
            child=GroupPolicyAttempt,
            help_text="The group SLA policies tried against the ticket after its last save, in "
            "order, up to the one that matched.",
        ),
        "group_id": serializers.IntegerField(
            allow_null=True, help_text="The group holding the ticket now."
        ),
        "held_since": _nullable_time("Since when that group holds it."),
        "instances": serializers.ListField(child=GroupOwnershipExplanation),
    },
    allow_null=True,
    help_text="The group SLA (OLA), replayed from the ticket's history; null when no group "
    "SLA policy was in force at any of its updates.",
)
SlaExplanation = inline_serializer(
    "SlaExplanation",
    {
        "ticket_id": serializers.IntegerField(),
        "as_of": serializers.CharField(),
        "policy": serializers.DictField(allow_null=True),
        "policies_tried": serializers.ListField(child=serializers.DictField()),
        "policy_steps": serializers.ListField(child=serializers.DictField()),
        "targets": serializers.ListField(child=serializers.DictField()),
        "not_started": serializers.ListField(child=serializers.DictField()),
        "schedule": serializers.CharField(allow_null=True),
        "group": GroupSlaExplanation,
    },
)


class TicketSlaExplanationApi(APIView):
    """slaweb's extension: why this ticket has the SLA it has, and its group SLA."""

    permission_classes = [IsAuthenticatedUser]

    @extend_schema(
        operation_id="ShowTicketSlaExplanation",
        responses=with_errors(
            {200: inline_serializer("SlaExplanationResponse", {"sla_explanation": SlaExplanation})},
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

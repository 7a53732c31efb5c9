"""Zendesk's Group SLA Policies API (team SLAs, OLAs). Each view: validate, call a service or
selector, serialize. Ids are ULID strings, as Zendesk's are."""

from __future__ import annotations

from typing import Any

from django.http import HttpResponse
from drf_spectacular.types import OpenApiTypes
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

from policies import selectors, services
from policies.inputs import (
    GroupSlaFilterSchemaSerializer,
    GroupSlaPolicyInputSerializer,
    group_sla_definition_items,
)
from policies.models import GroupSlaPolicy
from slaweb.api.errors import invalid, root_object
from slaweb.api.output import Link, Timestamp, output_context, serialize_many
from slaweb.api.pagination import paginate
from slaweb.api.permissions import IsAdmin
from slaweb.api.schema import PAGINATION_PARAMETERS, paginated, with_errors
from tickets.selectors import definition_items, policy_input_context


class GroupSlaPolicyMetricSchemaSerializer(serializers.Serializer[Any]):
    """Only for the schema: the targets come from `selectors.group_sla_policy_metrics`."""

    priority = serializers.CharField()
    metric = serializers.CharField()
    target = serializers.IntegerField(help_text="Seconds")
    business_hours = serializers.BooleanField()


@extend_schema_field(GroupSlaFilterSchemaSerializer)
class GroupSlaPolicyFilter(serializers.Field[GroupSlaPolicy, Any, Any, GroupSlaPolicy]):
    """The policy's conditions, `{"all": [...]}`."""

    def get_attribute(self, instance: GroupSlaPolicy) -> GroupSlaPolicy:
        return instance

    def to_representation(self, value: GroupSlaPolicy) -> dict[str, list[dict[str, Any]]]:
        return selectors.group_sla_policy_filter(value)


@extend_schema_field(GroupSlaPolicyMetricSchemaSerializer(many=True))
class GroupSlaPolicyMetrics(serializers.Field[GroupSlaPolicy, Any, Any, GroupSlaPolicy]):
    """The policy's group ownership time targets, in seconds."""

    def get_attribute(self, instance: GroupSlaPolicy) -> GroupSlaPolicy:
        return instance

    def to_representation(self, value: GroupSlaPolicy) -> list[dict[str, Any]]:
        return selectors.group_sla_policy_metrics(value)


# Needs `context["root"]`; give it policies with their targets prefetched
# (`policies.selectors.group_sla_policy_queryset`).
class GroupSlaPolicyOutputSerializer(serializers.Serializer[GroupSlaPolicy]):
    url = Link("/api/v2/group_slas/policies/{obj.pk}.json")
    id = serializers.CharField()
    title = serializers.CharField()
    description = serializers.CharField(allow_null=True)
    position = serializers.IntegerField()
    filter = GroupSlaPolicyFilter()
    policy_metrics = GroupSlaPolicyMetrics()
    created_at = Timestamp()
    updated_at = Timestamp()


GroupPolicyEnvelope = inline_serializer(
    "GroupSlaPolicyResponse", {"group_sla_policy": GroupSlaPolicyOutputSerializer()}
)
GroupPolicyRequest = inline_serializer(
    "GroupSlaPolicyRequest", {"group_sla_policy": GroupSlaPolicyInputSerializer()}
)
GroupPolicyListEnvelope = paginated(
    "GroupSlaPolicyListResponse", "group_sla_policies", GroupSlaPolicyOutputSerializer(many=True)
)


def _validated(request: Request, *, partial: bool) -> dict[str, Any]:
    serializer = GroupSlaPolicyInputSerializer(
        data=root_object(request, "group_sla_policy"),
        partial=partial,
        context=policy_input_context(),
    )
    serializer.is_valid(raise_exception=True)
    return dict(serializer.validated_data)


def _one(request: Request, policy_id: str, code: int = status.HTTP_200_OK) -> Response:
    policy = selectors.group_sla_policy_get(policy_id=policy_id)
    body = GroupSlaPolicyOutputSerializer(policy, context=output_context(request)).data
    return Response({"group_sla_policy": body}, status=code)


class GroupSlaPolicyListCreateApi(APIView):
    permission_classes = [IsAdmin]

    @extend_schema(
        operation_id="ListGroupSLAPolicies",
        parameters=PAGINATION_PARAMETERS,
        responses=with_errors({200: GroupPolicyListEnvelope}),
    )
    def get(self, request: Request) -> Response:
        context = output_context(request)
        return paginate(
            request,
            selectors.group_sla_policy_queryset(),
            key="group_sla_policies",
            serialize=lambda rows: serialize_many(GroupSlaPolicyOutputSerializer, rows, context),
            order=("position",),  # 1..n, unique
        )

    @extend_schema(
        operation_id="CreateGroupSLAPolicy",
        request=GroupPolicyRequest,
        responses=with_errors({201: GroupPolicyEnvelope}, writes=True),
    )
    def post(self, request: Request) -> Response:
        data = _validated(request, partial=False)
        policy = services.group_sla_policy_create(
            title=data["title"],
            description=data.get("description"),
            filter=data["filter"],
            policy_metrics=data.get("policy_metrics", []),
            position=data.get("position"),
        )
        response = _one(request, policy.pk, status.HTTP_201_CREATED)
        response["Location"] = response.data["group_sla_policy"]["url"]
        return response


class GroupSlaPolicyDetailApi(APIView):
    permission_classes = [IsAdmin]

    @extend_schema(
        operation_id="ShowGroupSLAPolicy",
        responses=with_errors({200: GroupPolicyEnvelope}, lookup=True),
    )
    def get(self, request: Request, policy_id: str) -> Response:
        return _one(request, policy_id)

    @extend_schema(
        operation_id="UpdateGroupSLAPolicy",
        request=GroupPolicyRequest,
        responses=with_errors({200: GroupPolicyEnvelope}, writes=True, lookup=True),
    )
    def put(self, request: Request, policy_id: str) -> Response:
        selectors.group_sla_policy_get(policy_id=policy_id)  # 404 before validation
        data = _validated(request, partial=True)
        services.group_sla_policy_update(policy_id=policy_id, data=data)
        return _one(request, policy_id)

    @extend_schema(
        operation_id="DeleteGroupSLAPolicy",
        request=None,
        responses=with_errors({204: None}, lookup=True),
    )
    def delete(self, request: Request, policy_id: str) -> Response:
        services.group_sla_policy_delete(policy_id=policy_id)
        return Response(status=status.HTTP_204_NO_CONTENT)


IDS = "group_sla_policy_ids"


def _reorder_ids(request: Request) -> list[str]:
    """From the JSON body, or the query (repeated, with `[]`, or comma-separated)."""
    raw: Any = None
    if isinstance(request.data, dict) and IDS in request.data:
        raw = request.data[IDS]
    else:
        values = request.query_params.getlist(IDS) or request.query_params.getlist(f"{IDS}[]")
        if values:
            raw = [part.strip() for value in values for part in value.split(",") if part.strip()]
    if raw is None:
        raise invalid(IDS, "Group sla policy ids: is required", "BlankValue")
    if not isinstance(raw, list):
        raise invalid(IDS, "Group sla policy ids: must be an array of ids")
    ids = []
    for item in raw:
        if not isinstance(item, str) or not item.strip():
            raise invalid(IDS, f"Group sla policy ids: {item!r} is not an id")
        ids.append(item.strip())
    if len(set(ids)) != len(ids):
        raise invalid(IDS, "Group sla policy ids: each id may appear once")
    return ids


class GroupSlaPolicyReorderApi(APIView):
    permission_classes = [IsAdmin]

    @extend_schema(
        operation_id="ReorderGroupSLAPolicies",
        parameters=[
            OpenApiParameter(
                IDS,
                OpenApiTypes.STR,
                many=True,
                description="Ids in their new order (or send them in the JSON body)",
            )
        ],
        request=inline_serializer(
            "GroupSlaPolicyReorderRequest",
            {IDS: serializers.ListField(child=serializers.CharField())},
        ),
        responses=with_errors({200: {"type": "null"}}, writes=True),
    )
    def put(self, request: Request) -> HttpResponse:
        ids = _reorder_ids(request)
        try:
            services.group_sla_policy_reorder(policy_ids=ids)
        except services.UnknownGroupSlaPolicies as error:
            raise invalid(IDS, f"Group sla policy ids: {error}") from None
        # As the SLA policy reorder: the JSON literal null.
        return HttpResponse(b"null", content_type="application/json")


class GroupSlaPolicyDefinitionsApi(APIView):
    permission_classes = [IsAdmin]

    @extend_schema(
        operation_id="RetrieveGroupSLAPolicyFilterDefinitionItems",
        responses=with_errors(
            {
                200: inline_serializer(
                    "GroupSlaPolicyDefinitionsResponse", {"definitions": serializers.JSONField()}
                )
            }
        ),
    )
    def get(self, request: Request) -> Response:
        return Response({"definitions": {"all": group_sla_definition_items(definition_items())}})

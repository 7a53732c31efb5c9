"""Zendesk's Groups API, `/api/v2/groups`: the teams tickets are assigned to and SLA conditions
name (`group_id`). Agents read, admins write; a new group is a condition value at once.

Departures from Zendesk:
- Deleting marks the group `deleted: true`, as in Zendesk: lists leave it out
  (`exclude_deleted=false` lists it too), show still finds it, and it can no longer be
  updated, assigned or named in a condition. Deleting is refused (422) while tickets, agents'
  default group, notification rules or SLA policy conditions name the group, so nothing
  points at a deleted group.
- Every group is public: `is_public: false` is a 422.
- There is no account default group: `default` is not answered.
- `user_id` (the groups of one agent) is not a filter here.
"""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from slaweb.api.errors import BadRequest, invalid, root_object
from slaweb.api.fields import StrictBooleanField, StrictCharField
from slaweb.api.output import Link, Timestamp, output_context, serialize_many
from slaweb.api.pagination import paginate
from slaweb.api.permissions import AgentReadsAdminWrites
from slaweb.api.schema import PAGINATION_PARAMETERS, paginated, with_errors
from tickets import account_services
from tickets.models import Group


class GroupInputSerializer(serializers.Serializer[Any]):
    name = StrictCharField(max_length=255)
    description = StrictCharField(
        required=False, allow_blank=True, allow_null=True, max_length=65_536
    )
    is_public = StrictBooleanField(required=False, help_text="Only true: every group is public")

    def validate_description(self, description: str | None) -> str:
        return description or ""

    def validate_is_public(self, public: bool) -> bool:
        if not public:
            raise serializers.ValidationError("private groups are not supported")
        return public


# Needs `context["root"]`.
class GroupOutputSerializer(serializers.Serializer[Group]):
    url = Link("/api/v2/groups/{obj.pk}.json")
    id = serializers.IntegerField()
    name = serializers.CharField()
    description = serializers.CharField()
    is_public = serializers.SerializerMethodField()
    deleted = serializers.SerializerMethodField()
    created_at = Timestamp()
    updated_at = Timestamp()

    def get_is_public(self, group: Group) -> bool:
        return True

    def get_deleted(self, group: Group) -> bool:
        return group.deleted


GroupEnvelope = inline_serializer("GroupResponse", {"group": GroupOutputSerializer()})
GroupRequest = inline_serializer("GroupRequest", {"group": GroupInputSerializer()})
GroupListEnvelope = paginated("GroupListResponse", "groups", GroupOutputSerializer(many=True))


def _one(request: Request, group: Group, code: int = status.HTTP_200_OK) -> Response:
    body = GroupOutputSerializer(group, context=output_context(request)).data
    return Response({"group": body}, status=code)


def _validated(request: Request, group: Group | None = None) -> dict[str, Any]:
    data = root_object(request, "group")
    serializer = GroupInputSerializer(group, data=data, partial=group is not None)
    serializer.is_valid(raise_exception=True)
    return {k: v for k, v in serializer.validated_data.items() if k != "is_public"}


class GroupListCreateApi(APIView):
    permission_classes = [AgentReadsAdminWrites]

    @extend_schema(
        operation_id="ListGroups",
        parameters=[
            *PAGINATION_PARAMETERS,
            OpenApiParameter(
                "exclude_deleted",
                bool,
                description="false lists deleted groups too (by default they are left out)",
            ),
        ],
        responses=with_errors({200: GroupListEnvelope}),
    )
    def get(self, request: Request) -> Response:
        context = output_context(request)
        exclude_deleted = request.query_params.get("exclude_deleted", "true")
        if exclude_deleted not in ("true", "false"):
            raise BadRequest("InvalidParameter", "exclude_deleted is not valid: true or false")
        groups = Group.objects if exclude_deleted == "true" else Group.with_deleted
        return paginate(
            request,
            groups.all(),
            key="groups",
            serialize=lambda rows: serialize_many(GroupOutputSerializer, rows, context),
        )

    @extend_schema(
        operation_id="CreateGroup",
        request=GroupRequest,
        responses=with_errors({201: GroupEnvelope}, writes=True),
    )
    def post(self, request: Request) -> Response:
        data = _validated(request)
        try:
            group = account_services.group_create(**data)
        except account_services.AccountWriteRefused as error:
            raise invalid(error.field, error.description) from None
        response = _one(request, group, status.HTTP_201_CREATED)
        response["Location"] = response.data["group"]["url"]
        return response


class GroupDetailApi(APIView):
    permission_classes = [AgentReadsAdminWrites]

    @extend_schema(
        operation_id="ShowGroupById", responses=with_errors({200: GroupEnvelope}, lookup=True)
    )
    def get(self, request: Request, group_id: str) -> Response:
        return _one(request, Group.with_deleted.get(pk=int(group_id)))

    @extend_schema(
        operation_id="UpdateGroup",
        request=GroupRequest,
        responses=with_errors({200: GroupEnvelope}, writes=True, lookup=True),
    )
    def put(self, request: Request, group_id: str) -> Response:
        data = _validated(request, Group.objects.get(pk=int(group_id)))
        try:
            group = account_services.group_update(group_id=int(group_id), data=data)
        except account_services.AccountWriteRefused as error:
            raise invalid(error.field, error.description) from None
        return _one(request, group)

    @extend_schema(
        operation_id="DeleteGroup",
        request=None,
        responses=with_errors({204: None}, writes=True, lookup=True),
    )
    def delete(self, request: Request, group_id: str) -> Response:
        try:
            account_services.group_delete(group_id=int(group_id))
        except account_services.AccountWriteRefused as error:
            raise invalid(error.field, error.description) from None
        return Response(status=status.HTTP_204_NO_CONTENT)

"""Zendesk's Organizations API, `/api/v2/organizations`: the customers tickets belong to and SLA
conditions name (`organization_id`, and `organization.custom_fields.<key>` through
`organization_fields`). Agents read, admins write.

Departures from Zendesk:
- `external_id` is unique regardless of case, as in Zendesk; null or blank clears it.
- `details`, `notes`, `domain_names`, `tags`, `group_id`, `shared_tickets` and
  `shared_comments` are not kept and are not answered (sent, they are ignored).
- `organization_fields` values must be strings, numbers, booleans or null; an update merges
  the fields it sends into the stored ones, as Zendesk does.
- Deleting is refused (422) while tickets or SLA policy conditions name the organization
  (Zendesk deletes it and leaves the references). Its users leave it, as in Zendesk.
"""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from slaweb.api.errors import invalid, root_object
from slaweb.api.fields import StrictCharField
from slaweb.api.output import Link, Timestamp, output_context, serialize_many
from slaweb.api.pagination import paginate
from slaweb.api.permissions import AgentReadsAdminWrites
from slaweb.api.schema import PAGINATION_PARAMETERS, paginated, with_errors
from tickets import account_services
from tickets.models import Organization


class OrganizationFieldsField(serializers.DictField):
    """`{"key": value}` with scalar values: what `organization.custom_fields.<key>` reads."""

    def to_internal_value(self, data: Any) -> dict[str, Any]:
        problem = account_services.organization_fields_problem(data)
        if problem is not None:
            raise serializers.ValidationError(problem)
        return dict(data)


class OrganizationInputSerializer(serializers.Serializer[Any]):
    name = StrictCharField(max_length=255)
    organization_fields = OrganizationFieldsField(required=False)
    external_id = StrictCharField(required=False, allow_null=True, allow_blank=True, max_length=255)

    def validate_external_id(self, external_id: str | None) -> str | None:
        return external_id or None


# Needs `context["root"]`.
class OrganizationOutputSerializer(serializers.Serializer[Organization]):
    url = Link("/api/v2/organizations/{obj.pk}.json")
    id = serializers.IntegerField()
    name = serializers.CharField()
    external_id = serializers.CharField(allow_null=True)
    organization_fields = serializers.DictField()
    created_at = Timestamp()
    updated_at = Timestamp()


OrganizationEnvelope = inline_serializer(
    "OrganizationResponse", {"organization": OrganizationOutputSerializer()}
)
OrganizationRequest = inline_serializer(
    "OrganizationRequest", {"organization": OrganizationInputSerializer()}
)
OrganizationListEnvelope = paginated(
    "OrganizationListResponse", "organizations", OrganizationOutputSerializer(many=True)
)


def _one(request: Request, organization: Organization, code: int = status.HTTP_200_OK) -> Response:
    body = OrganizationOutputSerializer(organization, context=output_context(request)).data
    return Response({"organization": body}, status=code)


def _validated(request: Request, organization: Organization | None = None) -> dict[str, Any]:
    data = root_object(request, "organization")
    serializer = OrganizationInputSerializer(
        organization, data=data, partial=organization is not None
    )
    serializer.is_valid(raise_exception=True)
    return dict(serializer.validated_data)


class OrganizationListCreateApi(APIView):
    permission_classes = [AgentReadsAdminWrites]

    @extend_schema(
        operation_id="ListOrganizations",
        parameters=PAGINATION_PARAMETERS,
        responses=with_errors({200: OrganizationListEnvelope}),
    )
    def get(self, request: Request) -> Response:
        context = output_context(request)
        return paginate(
            request,
            Organization.objects.all(),
            key="organizations",
            serialize=lambda rows: serialize_many(OrganizationOutputSerializer, rows, context),
        )

    @extend_schema(
        operation_id="CreateOrganization",
        request=OrganizationRequest,
        responses=with_errors({201: OrganizationEnvelope}, writes=True),
    )
    def post(self, request: Request) -> Response:
        data = _validated(request)
        try:
            organization = account_services.organization_create(**data)
        except account_services.AccountWriteRefused as error:
            raise invalid(error.field, error.description) from None
        response = _one(request, organization, status.HTTP_201_CREATED)
        response["Location"] = response.data["organization"]["url"]
        return response


class OrganizationDetailApi(APIView):
    permission_classes = [AgentReadsAdminWrites]

    @extend_schema(
        operation_id="ShowOrganization",
        responses=with_errors({200: OrganizationEnvelope}, lookup=True),
    )
    def get(self, request: Request, organization_id: str) -> Response:
        return _one(request, Organization.objects.get(pk=int(organization_id)))

    @extend_schema(
        operation_id="UpdateOrganization",
        request=OrganizationRequest,
        responses=with_errors({200: OrganizationEnvelope}, writes=True, lookup=True),
    )
    def put(self, request: Request, organization_id: str) -> Response:
        data = _validated(request, Organization.objects.get(pk=int(organization_id)))
        try:
            organization = account_services.organization_update(
                organization_id=int(organization_id), data=data
            )
        except account_services.AccountWriteRefused as error:
            raise invalid(error.field, error.description) from None
        return _one(request, organization)

    @extend_schema(
        operation_id="DeleteOrganization",
        request=None,
        responses=with_errors({204: None}, writes=True, lookup=True),
    )
    def delete(self, request: Request, organization_id: str) -> Response:
        try:
            account_services.organization_delete(organization_id=int(organization_id))
        except account_services.AccountWriteRefused as error:
            raise invalid(error.field, error.description) from None
        return Response(status=status.HTTP_204_NO_CONTENT)

"""Zendesk's Brands API, `/api/v2/brands`: the brands tickets come in through and SLA conditions
name (`brand_id`). Agents read, admins write.

`name` and `subdomain` are required on creation, as in Zendesk; a subdomain is kept
lower-cased (Zendesk's own example sends "Brand1") and is unique among the brands. The Ruby
client deletes a brand by first saving it with `active: false`; both steps work.

Departures from Zendesk:
- Deleting is refused (422) while tickets or SLA policy conditions name the brand. Zendesk
  moves open tickets to the default brand and leaves the rest; slaweb has no default brand.
  A deleted brand's support addresses stay, without a brand.
- Lists are in id order (Zendesk: by name), so that cursor pages are stable.
- slaweb keeps no host mapping, logo, signature template, help center or ticket forms per
  brand: `brand_url`, `host_mapping`, `logo`, `signature_template`, `has_help_center`,
  `help_center_state`, `ticket_form_ids` and `default` are not answered (sent, they are
  ignored). `is_deleted` is always false.
"""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from slaweb.api.errors import invalid, root_object
from slaweb.api.fields import StrictBooleanField, StrictCharField
from slaweb.api.output import Link, Timestamp, output_context, serialize_many
from slaweb.api.pagination import paginate
from slaweb.api.permissions import AgentReadsAdminWrites
from slaweb.api.schema import PAGINATION_PARAMETERS, paginated, with_errors
from tickets import account_services
from tickets.models import Brand


class BrandInputSerializer(serializers.Serializer[Any]):
    name = StrictCharField(max_length=255)
    subdomain = StrictCharField(max_length=63)
    active = StrictBooleanField(required=False)


# Needs `context["root"]`.
class BrandOutputSerializer(serializers.Serializer[Brand]):
    url = Link("/api/v2/brands/{obj.pk}.json")
    id = serializers.IntegerField()
    name = serializers.CharField()
    subdomain = serializers.CharField()
    active = serializers.BooleanField()
    is_deleted = serializers.SerializerMethodField()
    created_at = Timestamp()
    updated_at = Timestamp()

    def get_is_deleted(self, brand: Brand) -> bool:
        return False


BrandEnvelope = inline_serializer("BrandResponse", {"brand": BrandOutputSerializer()})
BrandRequest = inline_serializer("BrandRequest", {"brand": BrandInputSerializer()})
BrandListEnvelope = paginated("BrandListResponse", "brands", BrandOutputSerializer(many=True))


def _one(request: Request, brand: Brand, code: int = status.HTTP_200_OK) -> Response:
    body = BrandOutputSerializer(brand, context=output_context(request)).data
    return Response({"brand": body}, status=code)


def _validated(request: Request, brand: Brand | None = None) -> dict[str, Any]:
    data = root_object(request, "brand")
    serializer = BrandInputSerializer(brand, data=data, partial=brand is not None)
    serializer.is_valid(raise_exception=True)
    return dict(serializer.validated_data)


class BrandListCreateApi(APIView):
    permission_classes = [AgentReadsAdminWrites]

    @extend_schema(
        operation_id="ListBrands",
        parameters=PAGINATION_PARAMETERS,
        responses=with_errors({200: BrandListEnvelope}),
    )
    def get(self, request: Request) -> Response:
        context = output_context(request)
        return paginate(
            request,
            Brand.objects.all(),
            key="brands",
            serialize=lambda rows: serialize_many(BrandOutputSerializer, rows, context),
        )

    @extend_schema(
        operation_id="CreateBrand",
        request=BrandRequest,
        responses=with_errors({201: BrandEnvelope}, writes=True),
    )
    def post(self, request: Request) -> Response:
        data = _validated(request)
        try:
            brand = account_services.brand_create(**data)
        except account_services.AccountWriteRefused as error:
            raise invalid(error.field, error.description) from None
        response = _one(request, brand, status.HTTP_201_CREATED)
        response["Location"] = response.data["brand"]["url"]
        return response


class BrandDetailApi(APIView):
    permission_classes = [AgentReadsAdminWrites]

    @extend_schema(
        operation_id="ShowBrand", responses=with_errors({200: BrandEnvelope}, lookup=True)
    )
    def get(self, request: Request, brand_id: str) -> Response:
        return _one(request, Brand.objects.get(pk=int(brand_id)))

    @extend_schema(
        operation_id="UpdateBrand",
        request=BrandRequest,
        responses=with_errors({200: BrandEnvelope}, writes=True, lookup=True),
    )
    def put(self, request: Request, brand_id: str) -> Response:
        data = _validated(request, Brand.objects.get(pk=int(brand_id)))
        try:
            brand = account_services.brand_update(brand_id=int(brand_id), data=data)
        except account_services.AccountWriteRefused as error:
            raise invalid(error.field, error.description) from None
        return _one(request, brand)

    @extend_schema(
        operation_id="DeleteBrand",
        request=None,
        responses=with_errors({204: None}, writes=True, lookup=True),
    )
    def delete(self, request: Request, brand_id: str) -> Response:
        try:
            account_services.brand_delete(brand_id=int(brand_id))
        except account_services.AccountWriteRefused as error:
            raise invalid(error.field, error.description) from None
        return Response(status=status.HTTP_204_NO_CONTENT)

"""Zendesk's Custom Ticket Statuses API, `/api/v2/custom_statuses`: the statuses tickets take
(`custom_status_id`) within the status categories SLA metrics follow. Everyone signed in reads
(as in Zendesk, end users too), admins write. There is no delete, as in Zendesk: deactivate.

The list is not paginated, as in Zendesk, and comes in workflow order (new to solved, then
oldest first); `status_categories` (comma-separated), `active` and `default` filter it.

Rules, as Zendesk's: a status keeps its category for life (`status_category` in an update may
only repeat it), each category has exactly one default, and the default is always active.
Labels are at most 48 characters; a blank `end_user_label` is the agent label.

Departures from Zendesk:
- No dynamic content: `raw_*` repeat the labels and descriptions.
- A category's default moves with Zendesk's bulk request, `PUT /api/v2/custom_status/default`
  (`{"ids": "1,2"}`), and also with `default: true` in an update of the new default, which
  Zendesk's update does not take.
- Ticket form statuses (which statuses a form offers) are not kept: every form offers all.
"""

from __future__ import annotations

from typing import Any

from django.utils import timezone
from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import serializers, status
from rest_framework.permissions import SAFE_METHODS, BasePermission
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from slaweb.api.errors import BadRequest, invalid, root_object
from slaweb.api.fields import StrictBooleanField, StrictCharField
from slaweb.api.output import Timestamp, serialize_many
from slaweb.api.permissions import IsAdmin
from slaweb.api.schema import with_errors
from tickets import custom_statuses
from tickets.models import CustomStatus
from tickets.models.fields import STATUS_CATEGORY_ORDER

DESCRIPTION_MAX_LENGTH = 65_536


class AnyoneReadsAdminWrites(BasePermission):
    """Zendesk lets end users list and show custom statuses; only admins write them."""

    def has_permission(self, request: Request, view: Any) -> bool:
        user = request.user
        if user is None or not user.is_authenticated:
            return False
        return request.method in SAFE_METHODS or bool(getattr(user, "is_admin", False))


class CustomStatusInputSerializer(serializers.Serializer[Any]):
    """The `custom_status` object; an update is partial."""

    status_category = serializers.ChoiceField(
        choices=STATUS_CATEGORY_ORDER,
        help_text="Required to create; fixed afterwards (an update may only repeat it)",
    )
    agent_label = StrictCharField(max_length=CustomStatus.LABEL_MAX_LENGTH)
    end_user_label = StrictCharField(
        max_length=CustomStatus.LABEL_MAX_LENGTH,
        required=False,
        allow_blank=True,
        help_text="Blank: the agent label",
    )
    description = StrictCharField(
        max_length=DESCRIPTION_MAX_LENGTH, required=False, allow_blank=True
    )
    end_user_description = StrictCharField(
        max_length=DESCRIPTION_MAX_LENGTH, required=False, allow_blank=True
    )
    active = StrictBooleanField(required=False)
    default = StrictBooleanField(
        required=False,
        help_text="In an update, true makes this its category's default; a default cannot be "
        "made false (make another status the default)",
    )


class CustomStatusOutputSerializer(serializers.Serializer[CustomStatus]):
    id = serializers.IntegerField()
    status_category = serializers.ChoiceField(choices=STATUS_CATEGORY_ORDER)
    agent_label = serializers.CharField()
    raw_agent_label = serializers.CharField(source="agent_label")
    end_user_label = serializers.CharField()
    raw_end_user_label = serializers.CharField(source="end_user_label")
    description = serializers.CharField()
    raw_description = serializers.CharField(source="description")
    end_user_description = serializers.CharField()
    raw_end_user_description = serializers.CharField(source="end_user_description")
    active = serializers.BooleanField()
    default = serializers.BooleanField()
    created_at = Timestamp()
    updated_at = Timestamp()


CustomStatusEnvelope = inline_serializer(
    "CustomStatusResponse", {"custom_status": CustomStatusOutputSerializer()}
)
CustomStatusRequest = inline_serializer(
    "CustomStatusRequest", {"custom_status": CustomStatusInputSerializer()}
)
CustomStatusListEnvelope = inline_serializer(
    "CustomStatusListResponse",
    {"custom_statuses": CustomStatusOutputSerializer(many=True)},
)


def _one(custom_status: CustomStatus, code: int = status.HTTP_200_OK) -> Response:
    body = CustomStatusOutputSerializer(custom_status).data
    return Response({"custom_status": body}, status=code)


def _flag(request: Request, name: str) -> bool | None:
    value = request.query_params.get(name)
    if value is None:
        return None
    if value not in ("true", "false"):
        raise BadRequest("InvalidParameter", f"{name} is not valid: true or false")
    return value == "true"


def _categories(request: Request) -> list[str] | None:
    value = request.query_params.get("status_categories")
    if value is None:
        return None
    categories = [part.strip() for part in value.split(",") if part.strip()]
    unknown = [c for c in categories if c not in STATUS_CATEGORY_ORDER]
    if not categories or unknown:
        raise BadRequest(
            "InvalidParameter",
            f"status_categories is not valid: a comma-separated list of "
            f"{', '.join(STATUS_CATEGORY_ORDER)}",
        )
    return categories


class CustomStatusListCreateApi(APIView):
    permission_classes = [AnyoneReadsAdminWrites]

    @extend_schema(
        operation_id="ListCustomStatuses",
        parameters=[
            OpenApiParameter(
                "status_categories",
                str,
                description="Only these categories: a comma-separated list of new, open, "
                "pending, hold, solved",
            ),
            OpenApiParameter("active", bool, description="Only active (true) or inactive"),
            OpenApiParameter("default", bool, description="Only defaults (true) or the others"),
        ],
        responses=with_errors({200: CustomStatusListEnvelope}),
    )
    def get(self, request: Request) -> Response:
        rows = custom_statuses.custom_statuses(
            categories=_categories(request),
            active=_flag(request, "active"),
            default=_flag(request, "default"),
        )
        return Response(
            {"custom_statuses": serialize_many(CustomStatusOutputSerializer, rows)},
        )

    @extend_schema(
        operation_id="CreateCustomStatus",
        request=CustomStatusRequest,
        responses=with_errors({201: CustomStatusEnvelope}, writes=True),
    )
    def post(self, request: Request) -> Response:
        serializer = CustomStatusInputSerializer(data=root_object(request, "custom_status"))
        serializer.is_valid(raise_exception=True)
        try:
            created = custom_statuses.custom_status_create(
                data=dict(serializer.validated_data), now=timezone.now()
            )
        except custom_statuses.CustomStatusRefused as error:
            raise invalid(error.field, error.description) from None
        return _one(created, status.HTTP_201_CREATED)


class CustomStatusDetailApi(APIView):
    permission_classes = [AnyoneReadsAdminWrites]

    @extend_schema(
        operation_id="ShowCustomStatus",
        responses=with_errors({200: CustomStatusEnvelope}, lookup=True),
    )
    def get(self, request: Request, custom_status_id: str) -> Response:
        return _one(CustomStatus.objects.get(pk=int(custom_status_id)))

    @extend_schema(
        operation_id="UpdateCustomStatus",
        request=CustomStatusRequest,
        responses=with_errors({200: CustomStatusEnvelope}, writes=True, lookup=True),
    )
    def put(self, request: Request, custom_status_id: str) -> Response:
        CustomStatus.objects.get(pk=int(custom_status_id))  # 404 before validation
        serializer = CustomStatusInputSerializer(
            data=root_object(request, "custom_status"), partial=True
        )
        serializer.is_valid(raise_exception=True)
        try:
            updated = custom_statuses.custom_status_update(
                custom_status_id=int(custom_status_id),
                data=dict(serializer.validated_data),
                now=timezone.now(),
            )
        except custom_statuses.CustomStatusRefused as error:
            raise invalid(error.field, error.description) from None
        return _one(updated)


DefaultsRequest = inline_serializer(
    "CustomStatusDefaultsRequest",
    {
        "ids": serializers.CharField(
            help_text="Comma-separated ids of the statuses to make their categories' defaults"
        )
    },
)


def _ids(request: Request) -> list[int]:
    data = request.data
    value = data.get("ids") if isinstance(data, dict) else None
    if not isinstance(value, str):
        raise BadRequest(
            "InvalidRequest", "The request body must be a JSON object with an 'ids' string"
        )
    parts = [part.strip() for part in value.split(",") if part.strip()]
    if not all(part.isdigit() and len(part) <= 18 for part in parts):
        raise invalid("ids", "Ids: is not a comma-separated list of custom status ids")
    return [int(part) for part in parts]


class CustomStatusDefaultsApi(APIView):
    """`PUT /api/v2/custom_status/default`: Zendesk's one way to change categories' defaults."""

    permission_classes = [IsAdmin]

    @extend_schema(
        operation_id="BulkUpdateDefaultCustomStatus",
        request=DefaultsRequest,
        responses=with_errors(
            {200: inline_serializer("CustomStatusDefaultsResponse", {})}, writes=True
        ),
    )
    def put(self, request: Request) -> Response:
        ids = _ids(request)
        try:
            custom_statuses.custom_status_defaults_set(ids=ids, now=timezone.now())
        except custom_statuses.CustomStatusRefused as error:
            raise invalid(error.field, error.description) from None
        return Response({})

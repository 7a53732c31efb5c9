"""Zendesk's Users API, for the people tickets and conditions refer to."""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from policies.engine.vocabulary import Role
from slaweb.api.errors import root_object
from slaweb.api.fields import StrictBooleanField, StrictCharField, StrictIntegerField
from slaweb.api.output import Link, RailsTimeZone, Timestamp, output_context, serialize_many
from slaweb.api.pagination import paginate
from slaweb.api.permissions import IsAdmin, IsAgent, IsAuthenticatedUser
from slaweb.api.schema import PAGINATION_PARAMETERS, paginated, with_errors
from slaweb.timezones import resolve_time_zone
from tickets import services
from tickets.api.access import signed_in
from tickets.models import Group, Organization, User


class UserInputSerializer(serializers.Serializer[Any]):
    name = StrictCharField(max_length=255)
    email = serializers.EmailField(max_length=254)
    role = serializers.ChoiceField(choices=[r.value for r in Role], required=False)
    password = StrictCharField(required=False, min_length=8, max_length=128, write_only=True)
    organization_id = StrictIntegerField(allow_null=True, required=False)
    default_group_id = StrictIntegerField(allow_null=True, required=False)
    time_zone = StrictCharField(required=False, max_length=64)
    user_fields = serializers.DictField(required=False)
    active = StrictBooleanField(required=False)

    def validate_email(self, email: str) -> str:
        email = email.strip().lower()
        existing = User.objects.filter(email=email)
        if self.instance is not None:
            existing = existing.exclude(pk=self.instance.pk)
        if existing.exists():
            raise serializers.ValidationError("is already being used by another user")
        return email

    def validate_organization_id(self, value: int | None) -> int | None:
        if value is not None and not Organization.objects.filter(pk=value).exists():
            raise serializers.ValidationError(f"organization {value} does not exist")
        return value

    def validate_default_group_id(self, value: int | None) -> int | None:
        if value is not None and not Group.objects.filter(pk=value).exists():
            raise serializers.ValidationError(f"group {value} does not exist")
        return value

    def validate_time_zone(self, value: str) -> str:
        zone = resolve_time_zone(value)
        if zone is None:
            raise serializers.ValidationError(f"{value!r} is not a known time zone")
        return zone

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        role = attrs.get("role", self.instance.role if self.instance else Role.END_USER)
        if attrs.get("default_group_id") is not None and role == Role.END_USER:
            raise serializers.ValidationError(
                {"default_group_id": ["only agents and admins belong to groups"]}
            )
        return attrs


# Needs `context["root"]`.
class UserOutputSerializer(serializers.Serializer[User]):
    id = serializers.IntegerField()
    url = Link("/api/v2/users/{obj.pk}.json")
    name = serializers.CharField()
    email = serializers.EmailField()
    role = serializers.ChoiceField(choices=[r.value for r in Role])
    active = serializers.BooleanField()
    default_group_id = serializers.IntegerField(allow_null=True)
    organization_id = serializers.IntegerField(allow_null=True)
    time_zone = RailsTimeZone()
    iana_time_zone = serializers.CharField(source="time_zone")
    user_fields = serializers.DictField()
    created_at = Timestamp()
    updated_at = Timestamp()


UserEnvelope = inline_serializer("UserResponse", {"user": UserOutputSerializer()})
UserRequest = inline_serializer("UserRequest", {"user": UserInputSerializer()})
UserListEnvelope = paginated("UserListResponse", "users", UserOutputSerializer(many=True))


def _one(request: Request, user: User, code: int = status.HTTP_200_OK) -> Response:
    body = UserOutputSerializer(user, context=output_context(request)).data
    return Response({"user": body}, status=code)


class UserListCreateApi(APIView):
    def get_permissions(self) -> list[Any]:
        return [IsAgent()] if self.request.method == "GET" else [IsAdmin()]

    @extend_schema(
        operation_id="ListUsers",
        parameters=PAGINATION_PARAMETERS,
        responses=with_errors({200: UserListEnvelope}),
    )
    def get(self, request: Request) -> Response:
        context = output_context(request)
        queryset = User.objects.all()
        role = request.query_params.get("role")
        if role:
            queryset = queryset.filter(role=role)
        return paginate(
            request,
            queryset,
            key="users",
            serialize=lambda rows: serialize_many(UserOutputSerializer, rows, context),
        )

    @extend_schema(
        operation_id="CreateUser",
        request=UserRequest,
        responses=with_errors({201: UserEnvelope}, writes=True),
    )
    def post(self, request: Request) -> Response:
        serializer = UserInputSerializer(data=root_object(request, "user"))
        serializer.is_valid(raise_exception=True)
        user = services.user_create(**serializer.validated_data)
        response = _one(request, user, status.HTTP_201_CREATED)
        response["Location"] = response.data["user"]["url"]
        return response


class UserDetailApi(APIView):
    def get_permissions(self) -> list[Any]:
        return [IsAuthenticatedUser()] if self.request.method == "GET" else [IsAdmin()]

    @extend_schema(operation_id="ShowUser", responses=with_errors({200: UserEnvelope}, lookup=True))
    def get(self, request: Request, user_id: str) -> Response:
        if not signed_in(request).is_agent and int(user_id) != signed_in(request).pk:
            self.permission_denied(request)
        return _one(request, User.objects.get(pk=int(user_id)))

    @extend_schema(
        operation_id="UpdateUser",
        request=UserRequest,
        responses=with_errors({200: UserEnvelope}, writes=True, lookup=True),
    )
    def put(self, request: Request, user_id: str) -> Response:
        user = User.objects.get(pk=int(user_id))
        serializer = UserInputSerializer(user, data=root_object(request, "user"), partial=True)
        serializer.is_valid(raise_exception=True)
        user = services.user_update(user_id=user.pk, data=dict(serializer.validated_data))
        return _one(request, user)


class UserMeApi(APIView):
    permission_classes = [IsAuthenticatedUser]

    @extend_schema(operation_id="ShowCurrentUser", responses=with_errors({200: UserEnvelope}))
    def get(self, request: Request) -> Response:
        return _one(request, signed_in(request))

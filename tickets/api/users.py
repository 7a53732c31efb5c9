"""Zendesk's Users API, for the people tickets and conditions refer to: list (by role, external
id), show, show_many, search, create, create_or_update, update and delete.

Agents read every user, admins write them, end users read only themselves and see only the
keys Zendesk shows an end user (no notes, details, tags or agent settings).

Departures from Zendesk:
- Keys for features slaweb does not have are answered with the one value they can have here
  (`moderator`, `only_private_comments`, `suspended`, `chat_only`, `shared`, `shared_agent`,
  `report_csv`, `two_factor_auth_enabled` false; `photo`, `custom_role_id` null), and a write
  asking for another value is a 422 instead of being kept and ignored.
  `ticket_restriction` and `restricted_agent` follow from the role (end users reach the
  tickets they requested, agents and admins every ticket). `remote_photo_url` and
  `agent_brand_ids` are write-only in Zendesk and never answered.
- `locale_id` is 1 for en-US (Zendesk's id for it) and null for any other locale: slaweb keeps
  the BCP 47 tag, not Zendesk's locale table; on input only `locale_id` 1 is understood.
- `last_login_at` is the last admin-site sign-in or API or OAuth token use (to 5 minutes);
  password sign-ins to the API are not recorded.
- Deleted users (`active` false) are left out of the list and search, as Zendesk moves them to
  its deleted users; show and show_many still answer them. There is no permanent delete.
- Agents and admins need an email address; end users may have none.
- Search understands free text (name, email, phone, notes) and `field:value` terms for email,
  name, role, external_id, tags (or tag), phone, notes, details, organization and type:user,
  all of them required; `*` is a wildcard in email and external_id and ignored elsewhere.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from datetime import datetime
from functools import reduce
from operator import or_
from typing import Any

from django.db.models import OuterRef, Q, QuerySet, Subquery
from django.utils import timezone
from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    extend_schema_field,
    inline_serializer,
)
from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from policies.engine.vocabulary import Role
from slaweb.api.errors import BadRequest, RecordInvalid, invalid, root_object
from slaweb.api.fields import StrictBooleanField, StrictCharField, StrictIntegerField
from slaweb.api.output import Link, RailsTimeZone, Timestamp, output_context, serialize_many
from slaweb.api.pagination import paginate
from slaweb.api.permissions import IsAdmin, IsAgent, IsAuthenticatedUser
from slaweb.api.schema import PAGINATION_PARAMETERS, paginated, with_errors
from tickets import services
from tickets.api.access import signed_in
from tickets.api.output import AlwaysFalse, AlwaysNullInteger
from tickets.models import ApiToken, Group, Organization, User
from tickets.models.accounts import OAuthToken

ROLES = [role.value for role in Role]
EN_US_LOCALE_ID = 1  # Zendesk's id for en-US, the only locale id slaweb knows
MAX_MANY = 100

# Zendesk keys that are writable there but name a feature slaweb does not have: a write may
# only repeat the value slaweb answers (or, for the write-only ones, an empty one).
FIXED_KEYS: dict[str, tuple[Any, ...]] = {
    "moderator": (False,),
    "only_private_comments": (False,),
    "suspended": (False,),
    "custom_role_id": (None,),
    "photo": (None,),
    "remote_photo_url": (None, ""),
    "agent_brand_ids": (None, []),
    "identities": (None, []),
    "organization": (None,),
}
FIXED_HINTS = {
    "suspended": "delete the user to stop it signing in",
    "organization": "send organization_id",
    "identities": "slaweb keeps one email per user: send email",
}

LOCALE = re.compile(r"[A-Za-z]{2,3}(?:-[A-Za-z0-9]{1,8})*")
PHONE = re.compile(r"\+?[0-9 ().\-/]+(?:\s*(?:x|ext\.?)\s*[0-9]{1,6})?", re.IGNORECASE)


def ticket_restriction(role: str) -> str | None:
    """Which tickets the role reaches: end users the ones they requested, others all."""
    return "requested" if role == Role.END_USER else None


def _same(value: Any, allowed: Any) -> bool:
    return type(value) is type(allowed) and value == allowed


# Input ----------------------------------------------------------------------------------------


class ExternalIdField(serializers.CharField):
    """A string, or an integer taken as its digits: Zendesk keeps external ids as text."""

    def to_internal_value(self, data: Any) -> str:
        if isinstance(data, int) and not isinstance(data, bool):
            data = str(data)
        if not isinstance(data, str):
            self.fail("invalid")
        return super().to_internal_value(data)


class UserInputSerializer(serializers.Serializer[Any]):
    name = StrictCharField(max_length=255)
    email = serializers.EmailField(
        max_length=254,
        required=False,
        allow_null=True,
        allow_blank=True,
        help_text="Optional for end users; agents and admins need one",
    )
    role = serializers.ChoiceField(choices=ROLES, required=False)
    password = StrictCharField(
        required=False,
        max_length=128,
        write_only=True,
        help_text="Follows the password rules: 8 characters or more, not a common password",
    )
    organization_id = StrictIntegerField(allow_null=True, required=False)
    default_group_id = StrictIntegerField(allow_null=True, required=False)
    time_zone = StrictCharField(required=False, max_length=64)
    user_fields = serializers.DictField(required=False)
    active = StrictBooleanField(required=False)
    external_id = ExternalIdField(
        max_length=255,
        required=False,
        allow_null=True,
        allow_blank=True,
        help_text="Unique, whatever its case",
    )
    locale = StrictCharField(required=False, max_length=35, help_text="A BCP 47 tag: en-US")
    locale_id = StrictIntegerField(
        required=False,
        allow_null=True,
        help_text="Only 1 (en-US) is known; ignored when locale is sent",
    )
    phone = StrictCharField(required=False, allow_null=True, allow_blank=True, max_length=50)
    shared_phone_number = StrictBooleanField(required=False, allow_null=True)
    verified = StrictBooleanField(required=False)
    tags = serializers.ListField(
        child=StrictCharField(max_length=80), required=False, max_length=200
    )
    alias = StrictCharField(required=False, allow_blank=True, max_length=255)
    details = StrictCharField(required=False, allow_blank=True, max_length=65_536)
    notes = StrictCharField(required=False, allow_blank=True, max_length=65_536)
    signature = StrictCharField(required=False, allow_blank=True, max_length=65_536)

    def validate_organization_id(self, value: int | None) -> int | None:
        if value is not None and not Organization.objects.filter(pk=value).exists():
            raise serializers.ValidationError(f"organization {value} does not exist")
        return value

    def validate_default_group_id(self, value: int | None) -> int | None:
        if value is not None and not Group.objects.filter(pk=value).exists():
            raise serializers.ValidationError(f"group {value} does not exist")
        return value

    def validate_locale(self, value: str) -> str:
        if not LOCALE.fullmatch(value):
            raise serializers.ValidationError(f"{value!r} is not a BCP 47 tag such as en-US")
        return value

    def validate_phone(self, value: str | None) -> str | None:
        if not value:
            return None
        if not PHONE.fullmatch(value) or sum(c.isdigit() for c in value) < 3:
            raise serializers.ValidationError(f"{value!r} is not a phone number")
        return value

    def validate_tags(self, tags: list[str]) -> list[str]:
        clean: list[str] = []
        for tag in tags:
            words = tag.strip().lower().split()
            if len(words) != 1 or '"' in tag or "\\" in tag:
                raise serializers.ValidationError(f"{tag!r} is not a single tag")
            if words[0] not in clean:
                clean.append(words[0])
        return clean

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        instance: User | None = self.instance
        role = attrs.get("role", instance.role if instance else Role.END_USER)
        errors: dict[str, list[str]] = {}
        if attrs.get("signature") and role == Role.END_USER:
            errors["signature"] = ["only agents and admins have signatures"]
        locale_id = attrs.pop("locale_id", None)
        if "locale" not in attrs and locale_id is not None:
            if locale_id != EN_US_LOCALE_ID:
                errors["locale_id"] = [
                    f"slaweb knows only locale_id {EN_US_LOCALE_ID} (en-US): send locale, "
                    "a BCP 47 tag"
                ]
            attrs["locale"] = "en-US"
        initial = self.initial_data if isinstance(self.initial_data, Mapping) else {}
        for key, allowed in FIXED_KEYS.items():
            if key in initial and not any(_same(initial[key], value) for value in allowed):
                hint = FIXED_HINTS.get(key, f"it is always {json.dumps(allowed[0])} here")
                errors[key] = [f"is not supported by slaweb: {hint}"]
        derived = {
            "ticket_restriction": ticket_restriction(role),
            "restricted_agent": role == Role.END_USER,
        }
        for key, value in derived.items():
            if key in initial and not _same(initial[key], value):
                errors[key] = [f"follows from the role here: it is {json.dumps(value)} for {role}"]
        if errors:
            raise serializers.ValidationError(errors)
        return attrs


def _refused(error: services.UserWriteRefused) -> RecordInvalid:
    return invalid(error.field, error.description, error.code)


# Output ---------------------------------------------------------------------------------------


@extend_schema_field({"type": ["object", "null"], "additionalProperties": True})
class NoPhoto(serializers.DictField):
    """Null: slaweb keeps no profile pictures."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs["allow_null"] = True
        super().__init__(**kwargs)

    def get_attribute(self, instance: Any) -> None:
        return None


class LocaleId(serializers.IntegerField):
    def __init__(self, **kwargs: Any) -> None:
        kwargs["allow_null"] = True
        super().__init__(**kwargs)

    def get_attribute(self, instance: User) -> int | None:
        return EN_US_LOCALE_ID if instance.locale.lower() == "en-us" else None


class SharedPhoneNumber(serializers.BooleanField):
    """Null while the user has no phone, as in Zendesk."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs["allow_null"] = True
        super().__init__(**kwargs)

    def get_attribute(self, instance: User) -> bool | None:
        if instance.phone is None:
            return None
        return bool(instance.shared_phone_number)


class RoleType(serializers.IntegerField):
    """Zendesk's role_type: 4 for an admin; null for agents without a custom role and end users."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs["allow_null"] = True
        super().__init__(**kwargs)

    def get_attribute(self, instance: User) -> int | None:
        return 4 if instance.is_admin else None


class TicketRestriction(serializers.ChoiceField):
    def __init__(self, **kwargs: Any) -> None:
        kwargs["allow_null"] = True
        super().__init__(choices=["requested"], **kwargs)

    def get_attribute(self, instance: User) -> str | None:
        return ticket_restriction(instance.role)


class RestrictedAgent(serializers.BooleanField):
    def get_attribute(self, instance: User) -> bool:
        return instance.role == Role.END_USER


class LastLoginAt(Timestamp):
    """The latest of the admin-site sign-in and the uses of the user's API and OAuth tokens
    (annotated by `user_rows`)."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs["allow_null"] = True
        super().__init__(**kwargs)

    def get_attribute(self, instance: User) -> datetime | None:
        moments = [
            instance.last_login,
            getattr(instance, "api_token_used_at", None),
            getattr(instance, "oauth_token_used_at", None),
        ]
        known = [moment for moment in moments if moment is not None]
        return max(known) if known else None


# Needs `context["root"]`; `context["end_user"]` keeps only the keys an end user sees.
class UserOutputSerializer(serializers.Serializer[User]):
    """A user as Zendesk answers one. Agents and admins see every key; an end user sees only
    the required ones, the keys of Zendesk's user object for end users."""

    id = serializers.IntegerField()
    url = Link("/api/v2/users/{obj.pk}.json")
    name = serializers.CharField()
    email = serializers.EmailField(allow_null=True, help_text="Null when the user has none")
    created_at = Timestamp()
    updated_at = Timestamp()
    time_zone = RailsTimeZone()
    iana_time_zone = serializers.CharField(source="time_zone")
    phone = serializers.CharField(allow_null=True)
    shared_phone_number = SharedPhoneNumber()
    photo = NoPhoto()
    locale_id = LocaleId(help_text="1 for en-US; null for locales slaweb has no id for")
    locale = serializers.CharField()
    organization_id = serializers.IntegerField(allow_null=True)
    role = serializers.ChoiceField(choices=ROLES)
    verified = serializers.BooleanField()
    external_id = serializers.CharField(allow_null=True, required=False)
    tags = serializers.ListField(child=serializers.CharField(), required=False)
    alias = serializers.CharField(allow_blank=True, required=False)
    active = serializers.BooleanField(required=False, help_text="False once deleted")
    shared = AlwaysFalse(required=False)
    shared_agent = AlwaysFalse(required=False)
    last_login_at = LastLoginAt(required=False)
    two_factor_auth_enabled = AlwaysFalse(required=False)
    signature = serializers.CharField(allow_blank=True, required=False)
    details = serializers.CharField(allow_blank=True, required=False)
    notes = serializers.CharField(allow_blank=True, required=False)
    role_type = RoleType(required=False)
    custom_role_id = AlwaysNullInteger(required=False)
    moderator = AlwaysFalse(required=False)
    ticket_restriction = TicketRestriction(required=False)
    only_private_comments = AlwaysFalse(required=False)
    restricted_agent = RestrictedAgent(required=False)
    suspended = AlwaysFalse(required=False)
    chat_only = AlwaysFalse(required=False)
    default_group_id = serializers.IntegerField(allow_null=True, required=False)
    report_csv = AlwaysFalse(required=False)
    user_fields = serializers.DictField(required=False)

    def to_representation(self, instance: User) -> dict[str, Any]:
        data: dict[str, Any] = super().to_representation(instance)
        if self.context.get("end_user"):
            shown = {name for name, field in self.fields.items() if field.required}
            return {key: value for key, value in data.items() if key in shown}
        return data


UserEnvelope = inline_serializer("UserResponse", {"user": UserOutputSerializer()})
UserRequest = inline_serializer("UserRequest", {"user": UserInputSerializer()})
UserListEnvelope = paginated("UserListResponse", "users", UserOutputSerializer(many=True))
UsersEnvelope = inline_serializer("UsersResponse", {"users": UserOutputSerializer(many=True)})


def user_rows() -> QuerySet[User]:
    """Users with what `last_login_at` reads: when their tokens were last used."""
    api = ApiToken.objects.filter(user=OuterRef("pk"), last_used_at__isnull=False)
    oauth = OAuthToken.objects.filter(user=OuterRef("pk"), last_used_at__isnull=False)
    return User.objects.annotate(
        api_token_used_at=Subquery(api.order_by("-last_used_at").values("last_used_at")[:1]),
        oauth_token_used_at=Subquery(oauth.order_by("-last_used_at").values("last_used_at")[:1]),
    )


def _context(request: Request) -> dict[str, Any]:
    return output_context(request, end_user=not signed_in(request).is_agent)


def _one(
    request: Request, user_id: int, code: int = status.HTTP_200_OK, *, location: bool = False
) -> Response:
    user = user_rows().get(pk=user_id)
    body = UserOutputSerializer(user, context=_context(request)).data
    response = Response({"user": body}, status=code)
    if location:
        response["Location"] = body["url"]
    return response


def _page(request: Request, rows: QuerySet[User]) -> Response:
    context = _context(request)
    return paginate(
        request,
        rows,
        key="users",
        serialize=lambda page: serialize_many(UserOutputSerializer, page, context),
    )


# Filters and search ---------------------------------------------------------------------------


def _roles(request: Request) -> list[str]:
    """The roles asked for with `role` or `role[]`, repeated (zenpy) or comma-joined (node)."""
    raw = request.query_params.getlist("role") + request.query_params.getlist("role[]")
    roles = [part.strip() for item in raw for part in item.split(",") if part.strip()]
    unknown = sorted(set(roles) - set(ROLES))
    if unknown:
        raise BadRequest(
            "InvalidParameter", f"role must be end-user, agent or admin, not {', '.join(unknown)}"
        )
    return roles


def _list_filter(request: Request) -> Q:
    condition = Q(active=True)
    roles = _roles(request)
    if roles:
        condition &= Q(role__in=roles)
    external_id = request.query_params.get("external_id")
    if external_id:
        condition &= Q(external_id__iexact=external_id)
    permission_set = request.query_params.get("permission_set")
    if permission_set:
        if not permission_set.isdigit():
            raise BadRequest("InvalidParameter", "permission_set must be a custom role id")
        condition &= Q(pk__in=[])  # slaweb has no custom roles
    return condition


# One query term: `field:value`, `field:"quoted value"`, `"quoted words"` or a word.
SEARCH_TERM = re.compile(r'(?:(?P<field>[A-Za-z_]+):)?(?:"(?P<quoted>[^"]*)"?|(?P<bare>\S+))')
CONTAINS_TERMS = {
    "name": "name",
    "phone": "phone",
    "notes": "notes",
    "details": "details",
    "organization": "organization__name",
}
FREE_TEXT = ("name", "email", "phone", "notes")


def _wildcard(field: str, value: str) -> Q:
    """`field` equal to `value` whatever its case; `*` matches any characters."""
    if "*" not in value:
        return Q(**{f"{field}__iexact": value})
    pattern = ".*".join(re.escape(part) for part in value.split("*"))
    return Q(**{f"{field}__iregex": f"^{pattern}$"})


def _has_tag(tag: str) -> Q:
    # Tags are single words without quotes or backslashes, so the quoted tag appears in the
    # stored JSON list only as that element (escaped or not, depending on the database).
    return Q(tags__icontains=json.dumps(tag)) | Q(
        tags__icontains=json.dumps(tag, ensure_ascii=False)
    )


def _term(field: str, value: str, whole: str) -> Q:
    if field in ("email", "external_id"):
        return _wildcard(field, value.lower() if field == "email" else value)
    if field in CONTAINS_TERMS:
        return Q(**{f"{CONTAINS_TERMS[field]}__icontains": value.replace("*", "")})
    if field == "role":
        return Q(role=value.lower())
    if field in ("tags", "tag"):
        return _has_tag(value.lower())
    if field == "type":
        return Q() if value.lower() == "user" else Q(pk__in=[])
    text = (value if not field else whole).replace("*", "").replace('"', "")
    return reduce(or_, (Q(**{f"{name}__icontains": text}) for name in FREE_TEXT))


def search_filter(query: str) -> Q:
    """Every term of a Zendesk search query, all of them required."""
    condition = Q()
    for match in SEARCH_TERM.finditer(query):
        value = match["quoted"] if match["quoted"] is not None else match["bare"]
        if value:
            condition &= _term((match["field"] or "").lower(), value, match[0])
    return condition


def _listed(raw: str, name: str) -> list[str]:
    values = list(dict.fromkeys(part.strip() for part in raw.split(",") if part.strip()))
    if not values or len(values) > MAX_MANY:
        raise BadRequest("InvalidParameter", f"{name} must list 1 to {MAX_MANY} values")
    return values


# Views ----------------------------------------------------------------------------------------

LIST_PARAMETERS = [
    OpenApiParameter("role", str, enum=ROLES, description="Only users with this role"),
    OpenApiParameter(
        "role[]",
        str,
        many=True,
        description="Only users with one of these roles: repeated, or joined with commas",
    ),
    OpenApiParameter(
        "permission_set", int, description="A custom role id: slaweb has none, so no users"
    ),
    OpenApiParameter("external_id", str, description="The user with this external id, any case"),
    *PAGINATION_PARAMETERS,
]


class UserListCreateApi(APIView):
    def get_permissions(self) -> list[Any]:
        return [IsAgent()] if self.request.method == "GET" else [IsAdmin()]

    @extend_schema(
        operation_id="ListUsers",
        parameters=LIST_PARAMETERS,
        responses=with_errors({200: UserListEnvelope}),
    )
    def get(self, request: Request) -> Response:
        return _page(request, user_rows().filter(_list_filter(request)))

    @extend_schema(
        operation_id="CreateUser",
        request=UserRequest,
        responses=with_errors({201: UserEnvelope}, writes=True),
    )
    def post(self, request: Request) -> Response:
        serializer = UserInputSerializer(data=root_object(request, "user"))
        serializer.is_valid(raise_exception=True)
        try:
            user = services.user_create(**serializer.validated_data)
        except services.UserWriteRefused as refused:
            raise _refused(refused) from None
        return _one(request, user.pk, status.HTTP_201_CREATED, location=True)


class UserShowManyApi(APIView):
    permission_classes = [IsAgent]

    @extend_schema(
        operation_id="ShowManyUsers",
        parameters=[
            OpenApiParameter("ids", str, description="Up to 100 user ids, joined with commas"),
            OpenApiParameter(
                "external_ids", str, description="Up to 100 external ids, joined with commas"
            ),
        ],
        responses=with_errors({200: UsersEnvelope}),
    )
    def get(self, request: Request) -> Response:
        params = request.query_params
        if ("ids" in params) == ("external_ids" in params):
            raise BadRequest("InvalidParameter", "Send either ids or external_ids")
        if "ids" in params:
            values = _listed(params["ids"], "ids")
            if not all(v.isdigit() and 0 < int(v) < 2**62 for v in values):
                raise BadRequest("InvalidParameter", "ids must be user ids joined with commas")
            ids = [int(v) for v in values]
            users = list(user_rows().filter(pk__in=ids))
            users.sort(key=lambda user: ids.index(user.pk))
        else:
            wanted = [v.lower() for v in _listed(params["external_ids"], "external_ids")]
            matching = reduce(or_, (Q(external_id__iexact=v) for v in wanted))
            users = list(user_rows().filter(matching))
            users.sort(key=lambda user: wanted.index((user.external_id or "").lower()))
        return Response({"users": serialize_many(UserOutputSerializer, users, _context(request))})


class UserSearchApi(APIView):
    permission_classes = [IsAgent]

    @extend_schema(
        operation_id="SearchUsers",
        parameters=[
            OpenApiParameter(
                "query",
                str,
                description="Free text (name, email, phone, notes) and field:value terms: "
                "email, name, role, external_id, tags, phone, notes, details, organization",
            ),
            OpenApiParameter("external_id", str, description="An external id, any case"),
            *PAGINATION_PARAMETERS,
        ],
        responses=with_errors({200: UserListEnvelope}),
    )
    def get(self, request: Request) -> Response:
        query = request.query_params.get("query", "").strip()
        external_id = request.query_params.get("external_id", "").strip()
        if bool(query) == bool(external_id):
            raise BadRequest("InvalidParameter", "Send either query or external_id")
        rows = user_rows().filter(active=True)
        if external_id:
            rows = rows.filter(external_id__iexact=external_id)
        else:
            rows = rows.filter(search_filter(query))
        return _page(request, rows)


class UserCreateOrUpdateApi(APIView):
    permission_classes = [IsAdmin]

    @extend_schema(
        operation_id="CreateOrUpdateUser",
        request=UserRequest,
        responses=with_errors(
            {
                200: OpenApiResponse(UserEnvelope, description="An existing user, updated"),
                201: OpenApiResponse(UserEnvelope, description="A new user"),
            },
            writes=True,
        ),
    )
    def post(self, request: Request) -> Response:
        data = root_object(request, "user")
        email = data.get("email") if isinstance(data.get("email"), str) else None
        external_id = data.get("external_id")
        if isinstance(external_id, int) and not isinstance(external_id, bool):
            external_id = str(external_id)
        key = external_id.strip() if isinstance(external_id, str) else None
        existing = services.user_matching(email=email, external_id=key)
        serializer = UserInputSerializer(existing, data=data, partial=existing is not None)
        serializer.is_valid(raise_exception=True)
        try:
            if existing is not None:
                data = dict(serializer.validated_data)
                user = services.user_update(user_id=existing.pk, data=data, keep_an_admin=True)
                return _one(request, user.pk, location=True)
            user = services.user_create(**serializer.validated_data)
        except services.UserWriteRefused as refused:
            raise _refused(refused) from None
        return _one(request, user.pk, status.HTTP_201_CREATED, location=True)


class UserDetailApi(APIView):
    def get_permissions(self) -> list[Any]:
        return [IsAuthenticatedUser()] if self.request.method == "GET" else [IsAdmin()]

    @extend_schema(operation_id="ShowUser", responses=with_errors({200: UserEnvelope}, lookup=True))
    def get(self, request: Request, user_id: str) -> Response:
        if not signed_in(request).is_agent and int(user_id) != signed_in(request).pk:
            self.permission_denied(request)
        return _one(request, int(user_id))

    @extend_schema(
        operation_id="UpdateUser",
        request=UserRequest,
        responses=with_errors({200: UserEnvelope}, writes=True, lookup=True),
    )
    def put(self, request: Request, user_id: str) -> Response:
        user = User.objects.get(pk=int(user_id))
        serializer = UserInputSerializer(user, data=root_object(request, "user"), partial=True)
        serializer.is_valid(raise_exception=True)
        try:
            services.user_update(
                user_id=user.pk, data=dict(serializer.validated_data), keep_an_admin=True
            )
        except services.UserWriteRefused as refused:
            raise _refused(refused) from None
        return _one(request, user.pk)

    @extend_schema(
        operation_id="DeleteUser",
        description="Soft delete: the user stays, with `active` false, and can no longer sign "
        "in; its API tokens go and its OAuth tokens are revoked. A request body is ignored. "
        "Nobody deletes themselves or the account's last admin (422).",
        request=None,
        responses=with_errors({200: UserEnvelope}, writes=True, lookup=True),
    )
    def delete(self, request: Request, user_id: str) -> Response:
        try:
            user = services.user_delete(
                user_id=int(user_id), by_user_id=signed_in(request).pk, at=timezone.now()
            )
        except services.UserWriteRefused as refused:
            raise _refused(refused) from None
        return _one(request, user.pk)


class UserMeApi(APIView):
    permission_classes = [IsAuthenticatedUser]

    @extend_schema(operation_id="ShowCurrentUser", responses=with_errors({200: UserEnvelope}))
    def get(self, request: Request) -> Response:
        return _one(request, signed_in(request).pk)

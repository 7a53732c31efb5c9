"""Zendesk's OAuth Tokens API, `/api/v2/oauth/tokens`: the access tokens clients send as
`Authorization: Bearer {token}` (see `tickets.authentication.ZendeskBearerAuthentication`).

Admins create tokens (for themselves) and see and revoke everyone's; agents see and revoke
their own; end users are refused. The token itself is shown once, as `full_token` in the
answer to its creation; afterwards `token` holds only its first 10 characters.

Departures from Zendesk:
- slaweb has no OAuth clients: `client_id` is accepted, kept and echoed, never checked
  (Zendesk needs an existing client), and may be left out.
- Scopes are checked on creation: an unknown one is a 422 (Zendesk creates the token, which
  then answers 403 to everything). `impersonate` is accepted and grants nothing.
- Tokens never expire and have no refresh token: `expires_at`, `refresh_token` and
  `refresh_token_expires_at` are null.
- End users get 403 on every route (Zendesk lets them show and revoke tokens they hold, which
  only an admin can create).
- `url` is the token's own address here, `/api/v2/oauth/tokens/{id}.json`.
"""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django.utils import timezone
from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    inline_serializer,
)
from rest_framework import exceptions, serializers, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from slaweb.api.errors import BadRequest, root_object
from slaweb.api.fields import StrictCharField, StrictIntegerField
from slaweb.api.output import Link, Timestamp, output_context, serialize_many
from slaweb.api.pagination import paginate
from slaweb.api.permissions import IsAdmin, IsAgent
from slaweb.api.schema import PAGINATION_PARAMETERS, paginated, with_errors
from tickets import services
from tickets.api.access import signed_in
from tickets.models.accounts import OAuthToken, oauth_scope_problem

MAX_SCOPES = 50


class OAuthTokenInputSerializer(serializers.Serializer[Any]):
    client_id = StrictIntegerField(
        required=False,
        allow_null=True,
        min_value=1,
        max_value=2**63 - 1,
        help_text="Kept and echoed; slaweb has no OAuth clients to check it against",
    )
    scopes = serializers.ListField(
        child=StrictCharField(max_length=64),
        allow_empty=False,
        max_length=MAX_SCOPES,
        help_text="`read`, `write`, `impersonate`, or `{resource}:read|write` (or a bare "
        "`{resource}` for both), e.g. `tickets:read`",
    )

    def validate_scopes(self, scopes: list[str]) -> list[str]:
        problems = [problem for scope in scopes if (problem := oauth_scope_problem(scope))]
        if problems:
            raise serializers.ValidationError(problems)
        return list(dict.fromkeys(scopes))


class NullCharField(serializers.CharField):
    """A key Zendesk answers that slaweb has no value for: always null."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(allow_null=True, **kwargs)

    def get_attribute(self, instance: Any) -> None:
        return None


class NullTimestamp(Timestamp):
    """A moment slaweb never has (tokens do not expire): always null."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(allow_null=True, **kwargs)

    def get_attribute(self, instance: Any) -> None:
        return None


# Needs `context["root"]`.
class OAuthTokenOutputSerializer(serializers.Serializer[OAuthToken]):
    url = Link("/api/v2/oauth/tokens/{obj.pk}.json")
    id = serializers.IntegerField()
    user_id = serializers.IntegerField()
    client_id = serializers.IntegerField(
        allow_null=True, help_text="As sent on creation (slaweb has no OAuth clients)"
    )
    token = serializers.CharField(
        source="prefix", help_text="The first 10 characters of the access token"
    )
    refresh_token = NullCharField(help_text="Refresh tokens are not used")
    scopes = serializers.ListField(child=serializers.CharField())
    created_at = Timestamp()
    expires_at = NullTimestamp(help_text="Tokens do not expire; they can be revoked")
    used_at = Timestamp(
        source="last_used_at",
        allow_null=True,
        help_text="When the token last signed a request in (to within 5 minutes)",
    )
    refresh_token_expires_at = NullTimestamp()


class FullToken(serializers.CharField):
    """The whole access token, from `context["full_token"]`: it is not stored."""

    def get_attribute(self, instance: Any) -> str:
        full: str = self.context["full_token"]
        return full


# Needs `context["root"]` and `context["full_token"]`.
class CreatedOAuthTokenOutputSerializer(OAuthTokenOutputSerializer):
    full_token = FullToken(
        help_text="The whole access token, for `Authorization: Bearer`: shown only here"
    )


OAuthTokenEnvelope = inline_serializer(
    "OAuthTokenResponse", {"token": OAuthTokenOutputSerializer()}
)
CreatedOAuthTokenEnvelope = inline_serializer(
    "CreatedOAuthTokenResponse", {"token": CreatedOAuthTokenOutputSerializer()}
)
OAuthTokenListEnvelope = paginated(
    "OAuthTokenListResponse", "tokens", OAuthTokenOutputSerializer(many=True)
)
OAuthTokenRequest = inline_serializer("OAuthTokenRequest", {"token": OAuthTokenInputSerializer()})

# A refused bearer token answers OAuth's error body rather than the Basic one.
UNAUTHORIZED = OpenApiResponse(
    inline_serializer(
        "OAuthAuthenticationError",
        {
            "error": serializers.CharField(),
            "error_description": serializers.CharField(required=False),
        },
    ),
    description="Missing or wrong credentials; a refused bearer token answers "
    '`{"error": "invalid_token", "error_description": ...}`',
)


def _errors(responses: dict[int, Any], **kwargs: bool) -> dict[int, Any]:
    return {**with_errors(responses, **kwargs), 401: UNAUTHORIZED}


def _visible(request: Request) -> QuerySet[OAuthToken]:
    """The tokens in force the caller may see: everyone's for admins, their own for agents."""
    tokens = OAuthToken.objects.filter(revoked_at__isnull=True)
    caller = signed_in(request)
    return tokens if caller.is_admin else tokens.filter(user=caller)


def _get(request: Request, oauth_token_id: str) -> OAuthToken:
    return _visible(request).get(pk=int(oauth_token_id))


def _answer(request: Request, token: OAuthToken) -> Response:
    body = OAuthTokenOutputSerializer(token, context=output_context(request)).data
    return Response({"token": body})


def _token_object(request: Request) -> dict[str, Any]:
    """The token to create: under a `token` key, or the body itself (node-zendesk's
    `oauthtokens.create` sends it unwrapped)."""
    data = request.data
    if isinstance(data, dict) and "token" in data:
        return root_object(request, "token")
    if isinstance(data, dict):
        return data
    raise BadRequest("InvalidRequest", "The request body must be a JSON object")


class OAuthTokenListCreateApi(APIView):
    def get_permissions(self) -> list[Any]:
        return [IsAgent()] if self.request.method == "GET" else [IsAdmin()]

    @extend_schema(
        operation_id="ListOAuthTokens",
        description="Tokens in force: every user's for admins, their own for agents. Only the "
        "first 10 characters of each token are shown.",
        parameters=[
            OpenApiParameter("client_id", int, description="Only tokens created with it"),
            *PAGINATION_PARAMETERS,
        ],
        responses=_errors({200: OAuthTokenListEnvelope}),
    )
    def get(self, request: Request) -> Response:
        tokens = _visible(request)
        client_id = request.query_params.get("client_id")
        if client_id:
            if not client_id.isdigit() or len(client_id) > 18:
                raise BadRequest("InvalidValue", "client_id must be a positive integer")
            tokens = tokens.filter(client_id=int(client_id))
        context = output_context(request)
        return paginate(
            request,
            tokens,
            key="tokens",
            serialize=lambda rows: serialize_many(OAuthTokenOutputSerializer, rows, context),
        )

    @extend_schema(
        operation_id="CreateOAuthToken",
        description="A new access token for the signed-in admin. The body may also be the "
        "token object without the `token` key. `full_token` is in this answer only.",
        request=OAuthTokenRequest,
        responses=_errors({201: CreatedOAuthTokenEnvelope}, writes=True),
    )
    def post(self, request: Request) -> Response:
        serializer = OAuthTokenInputSerializer(data=_token_object(request))
        serializer.is_valid(raise_exception=True)
        token, full_token = services.oauth_token_create(
            user=signed_in(request),
            scopes=serializer.validated_data["scopes"],
            client_id=serializer.validated_data.get("client_id"),
        )
        context = output_context(request, full_token=full_token)
        body = CreatedOAuthTokenOutputSerializer(token, context=context).data
        response = Response({"token": body}, status=status.HTTP_201_CREATED)
        response["Location"] = body["url"]
        return response


class OAuthTokenDetailApi(APIView):
    permission_classes = [IsAgent]

    @extend_schema(
        operation_id="ShowOAuthToken",
        responses=_errors({200: OAuthTokenEnvelope}, lookup=True),
    )
    def get(self, request: Request, oauth_token_id: str) -> Response:
        return _answer(request, _get(request, oauth_token_id))

    @extend_schema(
        operation_id="RevokeOAuthToken",
        description="The token is refused from now on.",
        request=None,
        responses=_errors({204: None}, lookup=True),
    )
    def delete(self, request: Request, oauth_token_id: str) -> Response:
        token = _get(request, oauth_token_id)
        services.oauth_token_revoke(token_id=token.pk, at=timezone.now())
        return Response(status=status.HTTP_204_NO_CONTENT)


class OAuthTokenCurrentApi(APIView):
    permission_classes = [IsAgent]

    @extend_schema(
        operation_id="ShowCurrentOAuthToken",
        description="The token this request signed in with (`Authorization: Bearer`); 404 "
        "for a request signed in otherwise.",
        responses=_errors({200: OAuthTokenEnvelope}, lookup=True),
    )
    def get(self, request: Request) -> Response:
        if not isinstance(request.auth, OAuthToken):
            raise exceptions.NotFound()
        return _answer(request, request.auth)

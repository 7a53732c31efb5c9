"""OpenAPI pieces shared by every endpoint: the auth schemes and Zendesk's error bodies."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from drf_spectacular.extensions import OpenApiAuthenticationExtension
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, inline_serializer
from rest_framework import serializers


# drf-spectacular's OpenApiAuthenticationExtension registers subclasses in an unannotated
# __init_subclass__, which every subclass statement calls.
class BasicAuthScheme(OpenApiAuthenticationExtension):  # type: ignore[no-untyped-call]
    target_class = "tickets.authentication.ZendeskBasicAuthentication"
    name = "basicAuth"

    def get_security_definition(self, auto_schema: Any) -> dict[str, str]:
        return {
            "type": "http",
            "scheme": "basic",
            "description": "`{email}/token:{api_token}` or `{email}:{password}`",
        }


class BearerAuthScheme(OpenApiAuthenticationExtension):  # type: ignore[no-untyped-call]
    """The Basic authenticator also takes OAuth access tokens (`Authorization: Bearer`), so
    it stands for both schemes, either one; this wins over BasicAuthScheme and includes it."""

    target_class = "tickets.authentication.ZendeskBasicAuthentication"
    name = ["basicAuth", "bearerAuth"]
    priority = 1

    def get_security_requirement(self, auto_schema: Any) -> list[dict[str, list[Any]]]:
        return [{"basicAuth": []}, {"bearerAuth": []}]

    def get_security_definition(self, auto_schema: Any) -> list[dict[str, str]]:
        basic_scheme = BasicAuthScheme(self.target)  # type: ignore[no-untyped-call]
        basic = basic_scheme.get_security_definition(auto_schema)
        bearer = {
            "type": "http",
            "scheme": "bearer",
            "description": "An OAuth access token from `POST /api/v2/oauth/tokens`",
        }
        return [basic, bearer]


class SessionAuthScheme(OpenApiAuthenticationExtension):  # type: ignore[no-untyped-call]
    target_class = "tickets.authentication.ZendeskSessionAuthentication"
    name = "cookieAuth"

    def get_security_definition(self, auto_schema: Any) -> dict[str, str]:
        return {"type": "apiKey", "in": "cookie", "name": "sessionid"}


_problem = inline_serializer(
    "ErrorDetail", {"description": serializers.CharField(), "error": serializers.CharField()}
)
RECORD_INVALID = inline_serializer(
    "RecordInvalidError",
    {
        "error": serializers.CharField(),
        "description": serializers.CharField(),
        "details": serializers.DictField(child=serializers.ListField(child=_problem)),
    },
)
SIMPLE_ERROR = inline_serializer(
    "Error", {"error": serializers.CharField(), "description": serializers.CharField()}
)
UNAUTHORIZED = inline_serializer("AuthenticationError", {"error": serializers.CharField()})
FORBIDDEN = inline_serializer(
    "ForbiddenError",
    {
        "error": inline_serializer(
            "ForbiddenErrorBody",
            {"title": serializers.CharField(), "message": serializers.CharField()},
        )
    },
)


def with_errors(
    responses: Mapping[Any, Any], *, writes: bool = False, lookup: bool = False
) -> dict[Any, Any]:
    """The success responses (by status, or by status and media type) plus the errors an
    endpoint can answer with."""
    errors: dict[Any, Any] = {
        401: OpenApiResponse(UNAUTHORIZED, description="Missing or wrong credentials"),
        403: OpenApiResponse(FORBIDDEN, description="Not allowed for this role"),
        405: OpenApiResponse(SIMPLE_ERROR, description="Method not allowed"),
        400: OpenApiResponse(SIMPLE_ERROR, description="Malformed request"),
        429: OpenApiResponse(
            SIMPLE_ERROR,
            description="Over the rate limit, or too many failed sign-ins: retry after the "
            "`Retry-After` seconds",
        ),
    }
    if writes:
        errors[415] = OpenApiResponse(SIMPLE_ERROR, description="Body is not JSON")
        errors[422] = OpenApiResponse(RECORD_INVALID, description="Validation errors")
    if lookup:
        errors[404] = OpenApiResponse(SIMPLE_ERROR, description="No such record")
    return {**responses, **errors}


def paginated(name: str, key: str, item: serializers.BaseSerializer[Any]) -> Any:
    """A list response in either of Zendesk's pagination shapes (offset or cursor)."""
    return inline_serializer(
        name,
        {
            key: item,
            "next_page": serializers.URLField(allow_null=True, required=False),
            "previous_page": serializers.URLField(allow_null=True, required=False),
            "count": serializers.IntegerField(required=False),
            "meta": serializers.JSONField(required=False),
            "links": serializers.JSONField(required=False),
        },
    )


PAGINATION_PARAMETERS = [
    OpenApiParameter("page", int, description="Offset pagination: page number"),
    OpenApiParameter("per_page", int, description="Offset pagination: 1 to 100"),
    OpenApiParameter("page[size]", int, description="Cursor pagination: 1 to 100"),
    OpenApiParameter("page[after]", str, description="Cursor pagination"),
    OpenApiParameter("page[before]", str, description="Cursor pagination"),
]

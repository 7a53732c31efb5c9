"""Zendesk's error envelopes: every failure answers in the shape clients parse."""

from __future__ import annotations

import logging
from typing import Any

from django.conf import settings
from django.core.exceptions import ObjectDoesNotExist, RequestDataTooBig, SuspiciousOperation
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.http import Http404, HttpRequest, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from rest_framework import exceptions
from rest_framework.request import Request
from rest_framework.response import Response

FORBIDDEN_MESSAGE = (
    "You do not have access to this page. Please contact the account owner of this help desk "
    "for further help."
)


class RecordInvalid(exceptions.APIException):
    """422 with Zendesk's `details`, keyed by field: {"title": [{"description", "error"}]}."""

    status_code = 422
    default_detail = "Record validation errors"

    def __init__(self, details: dict[str, list[dict[str, str]]]) -> None:
        super().__init__()
        self.details = details


class ZendeskError(exceptions.APIException):
    """An error answered as Zendesk's `{"error", "description"}` with `status_code`."""

    def __init__(self, error: str, description: str) -> None:
        super().__init__(description)
        self.error = error
        self.description = description


class BadRequest(ZendeskError):
    status_code = 400


class Conflict(ZendeskError):
    status_code = 409


def invalid(field: str, description: str, error: str = "InvalidValue") -> RecordInvalid:
    return RecordInvalid({field: [{"description": description, "error": error}]})


def record_invalid_body(details: dict[str, list[dict[str, str]]]) -> dict[str, Any]:
    return {"error": "RecordInvalid", "description": "Record validation errors", "details": details}


class NulInUrl(SuspiciousOperation):
    """A NUL character in a request's path or query string: PostgreSQL text cannot hold one."""


class UrlTooLong(SuspiciousOperation):
    """A query string longer than any request line the server reads."""


def bad_request_body(exception: Exception) -> dict[str, str]:
    """Zendesk's body for a request Django refuses to read (a SuspiciousOperation: a body
    over DATA_UPLOAD_MAX_MEMORY_SIZE, too many fields, a host not allowed, a NUL in the URL,
    a query too long)."""
    if isinstance(exception, RequestDataTooBig):
        limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
        return {"error": "RequestTooLarge", "description": f"The body is over {limit:,} bytes"}
    if isinstance(exception, NulInUrl):
        return {
            "error": "BadRequest",
            "description": "The path and query may not contain NUL (%00) characters",
        }
    if isinstance(exception, UrlTooLong):
        return {"error": "BadRequest", "description": str(exception)}
    return {"error": "BadRequest", "description": "The request cannot be read"}


def _details_from_drf(detail: Any, prefix: str = "") -> dict[str, list[dict[str, str]]]:
    """Flatten a DRF ValidationError tree into Zendesk's field-keyed details."""
    out: dict[str, list[dict[str, str]]] = {}

    def walk(node: Any, key: str, path: str) -> None:
        if isinstance(node, dict):
            for name, child in node.items():
                top = key or ("base" if name == "non_field_errors" else str(name))
                if isinstance(name, int) or str(name).isdigit():
                    walk(child, top, f"{path}[{name}]")
                else:
                    walk(child, top, f"{path}.{name}" if path else str(name))
        elif isinstance(node, list):
            for index, child in enumerate(node):
                nested = isinstance(child, dict | list)
                walk(child, key, f"{path}[{index}]" if nested else path)
        else:
            field = key or "base"
            label = path.replace("_", " ").capitalize() if path else "Record"
            code = getattr(node, "code", "invalid")
            error = {"blank": "BlankValue", "required": "BlankValue"}.get(code, "InvalidValue")
            out.setdefault(field, []).append({"description": f"{label}: {node}", "error": error})

    walk(detail, prefix, "")
    return out


def zendesk_exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    """Every API error in Zendesk's shape; anything unexpected stays a 500 (a bug)."""
    headers: dict[str, str] = {}
    if isinstance(exc, Http404 | ObjectDoesNotExist):
        exc = exceptions.NotFound()
    elif isinstance(exc, DjangoPermissionDenied):
        exc = exceptions.PermissionDenied()

    if isinstance(exc, exceptions.NotAuthenticated | exceptions.AuthenticationFailed):
        request = context.get("request")
        authenticator = getattr(request, "_authenticator", None) or _first_authenticator(context)
        header = authenticator.authenticate_header(request) if authenticator else None
        if header:
            headers["WWW-Authenticate"] = header
        return Response({"error": "Couldn't authenticate you"}, status=401, headers=headers)
    body: dict[str, Any]
    if isinstance(exc, exceptions.PermissionDenied):
        body = {"error": {"title": "Forbidden", "message": FORBIDDEN_MESSAGE}}
        return Response(body, status=403)
    if isinstance(exc, exceptions.NotFound):
        return Response({"error": "RecordNotFound", "description": "Not found"}, status=404)
    if isinstance(exc, RecordInvalid):
        return Response(record_invalid_body(exc.details), status=422)
    if isinstance(exc, exceptions.ValidationError):
        return Response(record_invalid_body(_details_from_drf(exc.detail)), status=422)
    if isinstance(exc, ZendeskError):
        return Response(
            {"error": exc.error, "description": exc.description}, status=exc.status_code
        )
    if isinstance(exc, SuspiciousOperation):
        # Logged where Django logs what it refuses, then answered in Zendesk's shape (Django
        # would answer its HTML page, or with DEBUG on its debug page).
        logging.getLogger(f"django.security.{type(exc).__name__}").error(str(exc))
        return Response(bad_request_body(exc), status=400)
    if isinstance(exc, exceptions.ParseError):
        body = {"error": "InvalidJSON", "description": f"The request body is not valid JSON: {exc}"}
        return Response(body, status=400)
    if isinstance(exc, exceptions.MethodNotAllowed):
        allowed = context["view"].allowed_methods if context.get("view") else []
        body = {"error": "InvalidEndpoint", "description": str(exc.detail)}
        return Response(body, status=405, headers={"Allow": ", ".join(allowed)})
    if isinstance(exc, exceptions.UnsupportedMediaType):
        body = {
            "error": "UnsupportedMediaType",
            "description": "Send JSON with Content-Type: application/json",
        }
        return Response(body, status=415)
    if isinstance(exc, exceptions.Throttled):
        # Throttled.__init__ sets `wait`; djangorestframework-stubs does not declare it.
        wait = int(exc.wait or 1)  # type: ignore[attr-defined]
        return Response(
            {"error": "TooManyRequests", "description": f"Rate limited. Retry in {wait} s."},
            status=429,
            headers={"Retry-After": str(wait)},
        )
    if isinstance(exc, exceptions.APIException):
        body = {"error": type(exc).__name__, "description": str(exc.detail)}
        return Response(body, status=exc.status_code)
    return None


def _first_authenticator(context: dict[str, Any]) -> Any:
    view = context.get("view")
    authenticators = view.get_authenticators() if view else []
    return authenticators[0] if authenticators else None


# Exempt: it changes nothing, and a POST to a wrong URL is a JSON 404, not an HTML CSRF 403.
@csrf_exempt
def json_not_found(request: HttpRequest, exception: Exception | None = None) -> JsonResponse:
    return JsonResponse({"error": "InvalidEndpoint", "description": "Not found"}, status=404)


def json_server_error(request: HttpRequest) -> JsonResponse:
    return JsonResponse(
        {"error": "InternalError", "description": "Something went wrong"}, status=500
    )


def root_object(request: Request, key: str) -> dict[str, Any]:
    """The object under the Zendesk root key (`{"sla_policy": {...}}`), or a 400."""
    data = request.data
    if not isinstance(data, dict) or key not in data:
        raise BadRequest(
            "InvalidRequest", f"The request body must be a JSON object with a '{key}' key"
        )
    inner = data[key]
    if not isinstance(inner, dict):
        raise BadRequest("InvalidRequest", f"'{key}' must be a JSON object")
    return inner

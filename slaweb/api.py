"""Zendesk's conventions for every API response: error envelopes and pagination."""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Callable, Sequence
from typing import Any

from django.core.exceptions import ObjectDoesNotExist
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.db import models
from django.db.models import Q
from django.http import Http404, HttpRequest, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from rest_framework import exceptions
from rest_framework.parsers import JSONParser
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


class BadRequest(exceptions.APIException):
    status_code = 400

    def __init__(self, error: str, description: str) -> None:
        super().__init__(description)
        self.error = error
        self.description = description


def invalid(field: str, description: str, error: str = "InvalidValue") -> RecordInvalid:
    return RecordInvalid({field: [{"description": description, "error": error}]})


def record_invalid_body(details: dict[str, list[dict[str, str]]]) -> dict[str, Any]:
    return {"error": "RecordInvalid", "description": "Record validation errors", "details": details}


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
    if isinstance(exc, exceptions.PermissionDenied):
        body = {"error": {"title": "Forbidden", "message": FORBIDDEN_MESSAGE}}
        return Response(body, status=403)
    if isinstance(exc, exceptions.NotFound):
        return Response({"error": "RecordNotFound", "description": "Not found"}, status=404)
    if isinstance(exc, RecordInvalid):
        return Response(record_invalid_body(exc.details), status=422)
    if isinstance(exc, exceptions.ValidationError):
        return Response(record_invalid_body(_details_from_drf(exc.detail)), status=422)
    if isinstance(exc, BadRequest):
        return Response({"error": exc.error, "description": exc.description}, status=400)
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
        wait = int(exc.wait or 1)
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


# Pagination -----------------------------------------------------------------------------------

MAX_PER_PAGE = 100
MAX_OFFSET_RECORDS = 10_000


def _positive_int(raw: str, name: str, maximum: int | None = None) -> int:
    try:
        value = int(raw)
    except (TypeError, ValueError):
        raise BadRequest(
            "InvalidPaginationParameter", f"{name} must be a positive integer"
        ) from None
    if value < 1 or (maximum is not None and value > maximum):
        limit = f" no larger than {maximum}" if maximum else ""
        raise BadRequest("InvalidPaginationParameter", f"{name} must be a positive integer{limit}")
    return value


def _page_url(request: Request, **params: str | int) -> str:
    query = request.query_params.copy()
    for name in ("page", "per_page", "page[size]", "page[after]", "page[before]"):
        query.pop(name, None)
    for name, value in params.items():
        query[name] = str(value)
    return request.build_absolute_uri(request.path) + "?" + query.urlencode(safe="[]")


def _encode_cursor(values: Sequence[Any]) -> str:
    return base64.urlsafe_b64encode(json.dumps(list(values)).encode()).decode().rstrip("=")


def _decode_cursor(raw: str, width: int) -> list[Any]:
    try:
        padded = raw + "=" * (-len(raw) % 4)
        values = json.loads(base64.urlsafe_b64decode(padded.encode()))
    except (ValueError, binascii.Error, UnicodeDecodeError):
        raise BadRequest("InvalidPaginationParameter", "The cursor is not valid") from None
    if not isinstance(values, list) or len(values) != width:
        raise BadRequest("InvalidPaginationParameter", "The cursor is not valid")
    if not all(isinstance(v, int) and not isinstance(v, bool) and 0 <= v < 2**62 for v in values):
        raise BadRequest("InvalidPaginationParameter", "The cursor is not valid")
    return values


def _after(fields: Sequence[str], values: Sequence[Any], reverse: bool = False) -> Q:
    """Rows strictly after (or before) `values` in the order of `fields` (all ascending)."""
    op = "lt" if reverse else "gt"
    condition = Q()
    for index, field in enumerate(fields):
        step = Q(**{f"{f}": v for f, v in zip(fields[:index], values[:index], strict=True)})
        step &= Q(**{f"{field}__{op}": values[index]})
        condition |= step
    return condition


def paginate(
    request: Request,
    queryset: models.QuerySet[Any],
    *,
    key: str,
    serialize: Callable[[list[Any]], list[dict[str, Any]]],
    order: Sequence[str] = ("id",),
) -> Response:
    """Zendesk pagination: offset (`page`, `per_page`) or cursor (`page[size]` and friends).

    `order` lists integer fields, all ascending, ending in a unique one.
    """
    params = request.query_params
    queryset = queryset.order_by(*order)
    if any(name in params for name in ("page[size]", "page[after]", "page[before]")):
        size = _positive_int(
            params.get("page[size]", str(MAX_PER_PAGE)), "page[size]", MAX_PER_PAGE
        )
        before = params.get("page[before]")
        after = params.get("page[after]")
        if before:
            cursor = _decode_cursor(before, len(order))
            window = queryset.filter(_after(order, cursor, reverse=True)).order_by(
                *[f"-{f}" for f in order]
            )
            rows = list(window[: size + 1])
            has_more = len(rows) > size
            rows = list(reversed(rows[:size]))
        else:
            if after:
                queryset = queryset.filter(_after(order, _decode_cursor(after, len(order))))
            rows = list(queryset[: size + 1])
            has_more = len(rows) > size
            rows = rows[:size]
        first = _encode_cursor([getattr(rows[0], f) for f in order]) if rows else None
        last = _encode_cursor([getattr(rows[-1], f) for f in order]) if rows else None
        more_after = has_more if not before else bool(rows)
        more_before = has_more if before else bool(after and rows)
        body = {
            key: serialize(rows),
            "meta": {"has_more": has_more, "after_cursor": last, "before_cursor": first},
            "links": {
                "next": _page_url(request, **{"page[size]": size, "page[after]": last})
                if more_after and last
                else None,
                "prev": _page_url(request, **{"page[size]": size, "page[before]": first})
                if more_before and first
                else None,
            },
        }
        return Response(body)

    page = _positive_int(params.get("page", "1"), "page")
    per_page = _positive_int(params.get("per_page", str(MAX_PER_PAGE)), "per_page", MAX_PER_PAGE)
    if page * per_page > MAX_OFFSET_RECORDS:
        raise BadRequest(
            "InvalidPaginationParameter",
            f"Offset pagination is limited to {MAX_OFFSET_RECORDS} records; use page[size] cursors",
        )
    count = queryset.count()
    start = (page - 1) * per_page
    rows = list(queryset[start : start + per_page]) if start < count else []
    body = {
        key: serialize(rows),
        "next_page": _page_url(request, page=page + 1, per_page=per_page)
        if start + per_page < count
        else None,
        "previous_page": _page_url(request, page=page - 1, per_page=per_page) if page > 1 else None,
        "count": count,
    }
    return Response(body)


class ZendeskJSONParser(JSONParser):
    """JSON bodies, refusing what would otherwise fail deep inside: NUL characters (PostgreSQL
    text cannot hold them) and nesting too deep for the decoder."""

    def parse(self, stream: Any, media_type: str | None = None, parser_context: Any = None) -> Any:
        try:
            data = super().parse(stream, media_type, parser_context)
        except RecursionError:
            raise exceptions.ParseError("nested too deeply") from None
        if _has_nul(data):
            raise exceptions.ParseError("strings may not contain NUL (\\u0000) characters")
        return data


def _has_nul(value: Any) -> bool:
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            if "\x00" in item:
                return True
        elif isinstance(item, dict):
            stack.extend(item.keys())
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
    return False

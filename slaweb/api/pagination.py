"""Zendesk's pagination: offset (`page`, `per_page`) and cursor (`page[size]`, `page[after]`,
`page[before]`), with absolute links built from the request's host."""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Callable, Sequence
from typing import Any

from django.db import models
from django.db.models import Q
from rest_framework.request import Request
from rest_framework.response import Response

from slaweb.api.errors import BadRequest

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


def _cursor_url(request: Request, size: int, direction: str, cursor: str) -> str:
    params: dict[str, str | int] = {"page[size]": size, direction: cursor}
    return _page_url(request, **params)


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
        body: dict[str, Any] = {
            key: serialize(rows),
            "meta": {"has_more": has_more, "after_cursor": last, "before_cursor": first},
            "links": {
                "next": _cursor_url(request, size, "page[after]", last)
                if more_after and last
                else None,
                "prev": _cursor_url(request, size, "page[before]", first)
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
    rows = []
    if start < count:
        # The page's keys first (an index scan, however deep the offset), then only its rows:
        # skipping `start` whole rows would read and sort every one of them.
        page_keys = queryset.values("pk")[start : start + per_page]
        rows = list(queryset.filter(pk__in=page_keys))
    body = {
        key: serialize(rows),
        "next_page": _page_url(request, page=page + 1, per_page=per_page)
        if start + per_page < count
        else None,
        "previous_page": _page_url(request, page=page - 1, per_page=per_page) if page > 1 else None,
        "count": count,
    }
    return Response(body)


def base_url(request: Request) -> str:
    return request.build_absolute_uri("/").rstrip("/")

"""Request normalisation before URL resolution."""

from __future__ import annotations

import logging
from collections.abc import Callable

from django.core.exceptions import DisallowedHost
from django.http import HttpRequest, HttpResponse

from slaweb.api.errors import NulInUrl, UrlTooLong
from slaweb.views import bad_request


class ApiTrailingSlashMiddleware:
    """Zendesk answers `/api/v2/tickets/` as it answers `/api/v2/tickets`: an API path's
    trailing slash is dropped before routing, so every route (and its `.json` form) takes one
    without the URL patterns, the reverse lookups or the schema knowing about it."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.path_info.startswith("/api/v2/") and request.path_info.endswith("/"):
            request.path_info = request.path_info.rstrip("/")
            request.path = request.path.rstrip("/")
        return self.get_response(request)


# The longest query string read, as gunicorn (its `limit_request_line`) reads no longer request
# line: beyond it a search or lookup would only fail (SQLite takes LIKE patterns of at most
# 50,000 characters), so the development server refuses it too.
MAX_QUERY_LENGTH = 4094


class UnreadableUrlMiddleware:
    """A URL nothing should read is refused with a 400 before anything does (API clients get
    Zendesk's error body, pages the plain 400 page): a host not in ALLOWED_HOSTS, a NUL
    character in the path or the query string (PostgreSQL text cannot hold one), or a query
    string over MAX_QUERY_LENGTH."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        try:
            request.get_host()
        except DisallowedHost as refused:
            # Logged and answered here as Django does in production, also with DEBUG on
            # (`make run`), where Django would show its debug page to an API client.
            logging.getLogger("django.security.DisallowedHost").error(str(refused))
            return bad_request(request, refused)
        if len(request.META.get("QUERY_STRING", "")) > MAX_QUERY_LENGTH:
            return bad_request(
                request, UrlTooLong(f"The query is over {MAX_QUERY_LENGTH:,} characters")
            )
        query = request.GET.lists()
        if "\x00" in request.path_info or any(
            "\x00" in key or any("\x00" in value for value in values) for key, values in query
        ):
            return bad_request(request, NulInUrl("a NUL character in the URL"))
        return self.get_response(request)

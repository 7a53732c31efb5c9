"""Request normalisation before URL resolution."""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse

from slaweb.api.errors import NulInUrl
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


class NulInUrlMiddleware:
    """A NUL character in the path or the query string is refused with a 400 before anything
    reads it (API clients get Zendesk's error body, pages the plain 400 page): PostgreSQL text
    cannot hold one, so a search or lookup with it would fail as a server error."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        query = request.GET.lists()
        if "\x00" in request.path_info or any(
            "\x00" in key or any("\x00" in value for value in values) for key, values in query
        ):
            return bad_request(request, NulInUrl("a NUL character in the URL"))
        return self.get_response(request)

"""Request normalisation before URL resolution."""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse


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

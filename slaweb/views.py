from django.http import HttpRequest, HttpResponse
from django.views import defaults

from slaweb.api.errors import json_server_error


def server_error(request: HttpRequest) -> HttpResponse:
    """API clients get JSON even from an unexpected failure; pages get the plain error page."""
    if request.path.startswith("/api/"):
        return json_server_error(request)
    return defaults.server_error(request)

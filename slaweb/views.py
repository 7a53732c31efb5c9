from django.contrib import admin
from django.http import HttpRequest, HttpResponse, HttpResponseForbidden, JsonResponse
from django.template.loader import render_to_string
from django.views import defaults

from slaweb.api.errors import bad_request_body, json_server_error


def server_error(request: HttpRequest) -> HttpResponse:
    """API clients get JSON even from an unexpected failure; pages get the plain error page."""
    if request.path.startswith("/api/"):
        return json_server_error(request)
    return defaults.server_error(request)


def bad_request(request: HttpRequest, exception: Exception) -> HttpResponse:
    """What Django refuses outside an API view's own error handling: API clients get
    Zendesk's error body, pages the plain error page."""
    if not request.path.startswith("/api/"):
        return defaults.bad_request(request, exception)
    return JsonResponse(bad_request_body(exception), status=400)


def permission_denied(request: HttpRequest, exception: Exception) -> HttpResponse:
    """A page someone may not open: for the admin site, its own page with the header, the
    sidebar and a way back, still answering 403."""
    if not request.path.startswith("/admin/") or not getattr(request.user, "is_staff", False):
        # Outside the admin's frame (nobody signed in to it): the plain page.
        plain = defaults.ERROR_PAGE_TEMPLATE % {"title": "403 Forbidden", "details": ""}
        return HttpResponseForbidden(plain)
    request.current_app = admin.site.name
    context = {
        **admin.site.each_context(request),
        "title": "You can't open this page",
        "subtitle": None,
        "back_url": _same_site_referer(request),
    }
    return HttpResponseForbidden(render_to_string("403.html", context, request=request))


def _same_site_referer(request: HttpRequest) -> str | None:
    """The page the person came from, when it is one of ours (never an outside address)."""
    referer = request.headers.get("Referer", "")
    origin = f"{request.scheme}://{request.get_host()}/"
    if referer.startswith(origin) and referer != request.build_absolute_uri():
        return "/" + referer[len(origin) :]
    return None

from django.contrib import admin
from django.urls import include, path, re_path
from django.views.generic import RedirectView
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

from slaweb.api.errors import json_not_found

api_v2 = [
    path("", include("policies.api.urls")),
    path("", include("tickets.api.urls")),
]

urlpatterns = [
    path("api/v2/", include(api_v2)),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="schema"), name="api-docs"),
    # Anything else under /api/ answers in JSON, never with an HTML page.
    re_path(r"^api/", json_not_found),
    path("admin/reports/", include("tickets.admin.urls")),
    path("admin/", admin.site.urls),
    path("", RedirectView.as_view(pattern_name="admin:index", permanent=False)),
]

handler400 = "slaweb.views.bad_request"
handler403 = "slaweb.views.permission_denied"
handler500 = "slaweb.views.server_error"

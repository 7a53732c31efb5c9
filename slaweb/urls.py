from django.contrib import admin
from django.urls import include, path, re_path
from django.views.generic import RedirectView
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

from slaweb.api import json_not_found
from tickets.admin_backtest import backtest_view
from tickets.admin_reports import reports_view

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
    path("admin/reports/", admin.site.admin_view(reports_view), name="sla-reports"),
    path("admin/reports/backtest/", admin.site.admin_view(backtest_view), name="sla-backtest-page"),
    path("admin/", admin.site.urls),
    path("", RedirectView.as_view(pattern_name="admin:index", permanent=False)),
]

handler500 = "slaweb.views.server_error"

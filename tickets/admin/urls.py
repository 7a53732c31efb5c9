"""The report, backtest and history rewrite pages, under /admin/reports/."""

from django.contrib import admin
from django.urls import path

from tickets.admin.backtest import backtest_view
from tickets.admin.history_rewrite import history_rewrite_view
from tickets.admin.reports import reports_view

urlpatterns = [
    path("", admin.site.admin_view(reports_view), name="sla-reports"),
    path("backtest/", admin.site.admin_view(backtest_view), name="sla-backtest-page"),
    path(
        "history-rewrite/",
        admin.site.admin_view(history_rewrite_view),
        name="sla-history-rewrite",
    ),
]

"""The report and backtest pages, under /admin/reports/."""

from django.contrib import admin
from django.urls import path

from tickets.admin.backtest import backtest_view
from tickets.admin.reports import reports_view

urlpatterns = [
    path("", admin.site.admin_view(reports_view), name="sla-reports"),
    path("backtest/", admin.site.admin_view(backtest_view), name="sla-backtest-page"),
]

"""`GET /api/v2/slas/reports`: SLA achievement, breaches and reply/resolution times, as JSON or
CSV. The figures come from `tickets.reports.sla_report`, shared with the admin dashboard."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable
from typing import Any

from django.http import HttpResponse
from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.negotiation import BaseContentNegotiation
from rest_framework.parsers import BaseParser
from rest_framework.renderers import BaseRenderer
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from policies.engine.vocabulary import Priority
from slaweb.api.errors import BadRequest
from slaweb.api.output import Timestamp
from slaweb.api.permissions import IsAgent
from slaweb.api.schema import with_errors
from slaweb.timezones import resolve_time_zone
from tickets.reports import (
    GROUPINGS,
    INTERVALS,
    KINDS,
    REPORT_METRICS,
    Filters,
    Report,
    ReportRow,
    figure_names,
    report_from_params,
    report_rows,
    row_figures,
)

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


class Duration(serializers.FloatField):
    """One of a row's `durations`, in seconds; null without fulfilled targets of its kind."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("allow_null", True)
        super().__init__(**kwargs)

    def bind(self, field_name: str, parent: Any) -> None:
        super().bind(field_name, parent)
        self.source_attrs = ["durations", field_name]


class _IgnoreFormatSuffix(BaseContentNegotiation):
    """JSON for everything DRF renders (errors included); `format=csv` and `.csv` are handled
    by the view itself, so DRF must not answer them with a 404 for a missing renderer."""

    def select_parser(self, request: Request, parsers: Iterable[BaseParser]) -> BaseParser | None:
        return next(iter(parsers), None)

    def select_renderer(
        self, request: Request, renderers: Iterable[BaseRenderer], format_suffix: str | None = None
    ) -> tuple[BaseRenderer, str]:
        first = next(iter(renderers))
        return first, first.media_type


def _cell(value: Any) -> Any:
    """Empty for none; text a spreadsheet would run as a formula (a policy titled "=1+1")
    gets a leading apostrophe, as OWASP advises for CSV exports."""
    if value is None:
        return ""
    if isinstance(value, str) and value[:1] in FORMULA_STARTS:
        return "'" + value
    return value


def report_csv(report: Report) -> str:
    """One line per row: the total, then the groups, then the periods; empty cells for none."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    names = figure_names()
    writer.writerow(["section", *names])
    for section, row in report_rows(report):
        figures = row_figures(row)
        writer.writerow([section, *(_cell(figures[n]) for n in names)])
    return out.getvalue()


def csv_filename(report: Report) -> str:
    start = report.start.strftime("%Y%m%dT%H%M%SZ")
    end = report.end.strftime("%Y%m%dT%H%M%SZ")
    return f"sla-report-{report.group_by}-{report.interval}-{start}-{end}.csv"


def csv_response(report: Report) -> HttpResponse:
    response = HttpResponse(report_csv(report), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{csv_filename(report)}"'
    return response


class SlaReportRowSerializer(serializers.Serializer[ReportRow]):
    key = serializers.JSONField(help_text="The group's id or name, or the period's first date")
    label = serializers.CharField()  # type: ignore[assignment]  # not Field.label
    achieved = serializers.IntegerField()
    breached = serializers.IntegerField()
    in_progress = serializers.IntegerField()
    achieved_percent = serializers.FloatField(
        allow_null=True, help_text="achieved / (achieved + breached), in percent"
    )
    reply_median_seconds = Duration()
    reply_p90_seconds = Duration()
    reply_business_median_seconds = Duration()
    reply_business_p90_seconds = Duration()
    resolution_median_seconds = Duration()
    resolution_p90_seconds = Duration()
    resolution_business_median_seconds = Duration()
    resolution_business_p90_seconds = Duration()
    ownership_median_seconds = Duration()
    ownership_p90_seconds = Duration()
    ownership_business_median_seconds = Duration()
    ownership_business_p90_seconds = Duration()


class SlaReportFiltersSerializer(serializers.Serializer[Filters]):
    kind = serializers.ChoiceField(
        choices=KINDS,
        help_text="sla: the SLA policies' targets; group_sla: the group SLA policies' group "
        "ownership time targets",
    )
    policy_id = serializers.IntegerField(allow_null=True)
    group_sla_policy_id = serializers.CharField(source="group_policy_id", allow_null=True)
    metric = serializers.CharField(allow_null=True)
    priority = serializers.CharField(allow_null=True)
    group_id = serializers.IntegerField(allow_null=True)


class SlaReportSerializer(serializers.Serializer[Report]):
    start_time = Timestamp(source="start")
    end_time = Timestamp(source="end")
    time_zone = serializers.CharField()
    group_by = serializers.ChoiceField(choices=GROUPINGS)
    interval = serializers.ChoiceField(choices=INTERVALS)
    filters = SlaReportFiltersSerializer()
    total = SlaReportRowSerializer()
    groups = SlaReportRowSerializer(many=True)
    series = SlaReportRowSerializer(many=True)


ReportResponse = inline_serializer("SlaReportResponse", {"report": SlaReportSerializer()})
_time_help = (
    "ISO 8601 (without an offset: in `time_zone`; a date alone: its local midnight) or Unix seconds"
)


class SlaReportApi(APIView):
    """SLA targets settled in [start_time, end_time): achieved (fulfilled, never breached),
    breached (breached, fulfilled or not; a running target past its deadline counts as
    breached at it), and in progress (neither; left out of the rate). The achievement rate is
    achieved / (achieved + breached) (spec §9.1).

    One kind of target per report: `kind=sla` (the default), the SLA policies' targets, or
    `kind=group_sla`, the group SLA policies' group ownership time targets (one per stretch a
    group held a ticket), so a team's hand-offs never move the customer's achievement rate.
    `metric=group_ownership_time` or `group_sla_policy_id` imply `group_sla`, `policy_id` or
    another metric imply `sla`; a filter of the other kind is a 400.

    A target belongs to the time its status was settled (`breached_at`, else `fulfilled_at`),
    as Explore's "SLA update - Date"; one still in progress to its activation. Reply times are
    those of fulfilled first and next reply targets, resolution times those of fulfilled total
    resolution targets, ownership times those of fulfilled group ownership time targets, in
    calendar and business seconds (median and 90th percentile, interpolated as
    `percentile_cont`). Priority is the ticket's current one; the group is the ticket's current
    one for SLA targets and the group that held the ticket for group SLA targets.
    """

    permission_classes = [IsAgent]
    content_negotiation_class = _IgnoreFormatSuffix

    @extend_schema(
        operation_id="ShowSlaReport",
        description=__doc__,
        parameters=[
            OpenApiParameter("start_time", str, description=f"{_time_help}; default 30 days ago"),
            OpenApiParameter("end_time", str, description=f"{_time_help}; default now"),
            OpenApiParameter(
                "time_zone",
                str,
                description="IANA or Rails name; days and weeks are local to it. Default: "
                "your profile's time zone",
            ),
            OpenApiParameter(
                "kind",
                str,
                enum=KINDS,
                description="sla: SLA policy targets; group_sla: group SLA policy targets. "
                "Default: from the filters, else sla",
            ),
            OpenApiParameter("group_by", str, enum=GROUPINGS, default="policy"),
            OpenApiParameter("interval", str, enum=INTERVALS, default="day"),
            OpenApiParameter("policy_id", int, description="An SLA policy (kind sla)"),
            OpenApiParameter(
                "group_sla_policy_id", str, description="A group SLA policy (kind group_sla)"
            ),
            OpenApiParameter("metric", str, enum=list(REPORT_METRICS)),
            OpenApiParameter("priority", str, enum=[p.value for p in Priority]),
            OpenApiParameter(
                "group_id",
                int,
                description="SLA targets: the ticket's current group; group SLA targets: the "
                "group that held the ticket",
            ),
            OpenApiParameter(
                "format", str, enum=["json", "csv"], description="`csv`: the same rows as CSV"
            ),
        ],
        responses=with_errors(
            {
                (200, "application/json"): ReportResponse,
                (200, "text/csv"): OpenApiTypes.STR,
            }
        ),
    )
    def get(self, request: Request, format: str | None = None) -> Response | HttpResponse:
        asked = request.query_params.get("format") or "json"
        if asked not in ("json", "csv"):
            raise BadRequest("InvalidValue", "format must be json or csv")
        wanted = format or asked
        user_zone = getattr(request.user, "time_zone", "UTC") or "UTC"
        report = report_from_params(
            request.query_params,
            now=timezone.now(),
            default_time_zone=resolve_time_zone(user_zone) or "UTC",
        )
        if wanted == "csv":
            return csv_response(report)
        return Response({"report": SlaReportSerializer(report).data})


class SlaReportCsvApi(SlaReportApi):
    """`/api/v2/slas/reports.csv`: the report as CSV (documented on the main operation)."""

    @extend_schema(exclude=True)
    def get(self, request: Request, format: str | None = None) -> Response | HttpResponse:
        return super().get(request, format="csv")

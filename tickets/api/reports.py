"""`GET /api/v2/slas/reports`: SLA achievement, breaches and reply/resolution times, as JSON or
CSV. The figures come from `tickets.reports.sla_report`, shared with the admin dashboard."""

from __future__ import annotations

import csv
import io
import re
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

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

from policies.engine.vocabulary import Metric, Priority
from slaweb.api.errors import BadRequest
from slaweb.api.permissions import IsAgent
from slaweb.api.schema import with_errors
from slaweb.api.timestamps import iso
from slaweb.timezones import resolve_time_zone
from tickets.reports import (
    GROUPINGS,
    INTERVALS,
    Filters,
    Report,
    figure_names,
    report_rows,
    row_figures,
    sla_report,
)

DEFAULT_DAYS = 30
# Longer periods are refused: a daily series stays a few hundred points and the query bounded.
MAX_DAYS = 3 * 366
# Times from the Unix epoch to a year before the end of the calendar, so local dates and weeks
# in any time zone stay representable.
EARLIEST = datetime(1970, 1, 1, tzinfo=UTC)
LATEST = datetime(9999, 1, 1, tzinfo=UTC)
MAX_ID = 2**63 - 1
UNIX_SECONDS = re.compile(r"-?[0-9]{1,12}")
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


class _IgnoreFormatSuffix(BaseContentNegotiation):
    """JSON for everything DRF renders (errors included); `format=csv` and `.csv` are handled
    by the view itself, so DRF must not answer them with a 404 for a missing renderer."""

    def select_parser(self, request: Request, parsers: list[BaseParser]) -> BaseParser | None:
        return parsers[0] if parsers else None

    def select_renderer(
        self, request: Request, renderers: list[BaseRenderer], format_suffix: str | None = None
    ) -> tuple[BaseRenderer, str]:
        return renderers[0], renderers[0].media_type


def _moment(raw: str, name: str, zone: ZoneInfo) -> datetime:
    """ISO 8601 (an offset, `Z`, or none: local to the report's time zone; a bare date is
    its local midnight) or Unix seconds."""
    value = raw.strip()
    if UNIX_SECONDS.fullmatch(value):
        seconds = int(value)
        if not 0 <= seconds <= LATEST.timestamp():
            raise BadRequest("InvalidValue", f"{name} is out of range")
        return datetime.fromtimestamp(seconds, UTC)
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        raise BadRequest(
            "InvalidValue", f"{name} must be an ISO 8601 time or Unix seconds"
        ) from None
    try:
        if parsed.tzinfo is None:
            parsed = parsed.replace(tzinfo=zone)
        moment = parsed.astimezone(UTC)
    except (OverflowError, ValueError):
        raise BadRequest("InvalidValue", f"{name} is out of range") from None
    if not EARLIEST <= moment <= LATEST:
        raise BadRequest("InvalidValue", f"{name} is out of range")
    return moment


def _choice(params: Any, name: str, choices: tuple[str, ...], default: str | None) -> str | None:
    raw = params.get(name)
    if raw is None or raw == "":
        return default
    if raw not in choices:
        raise BadRequest("InvalidValue", f"{name} must be one of: {', '.join(choices)}")
    return raw


def _identifier(params: Any, name: str) -> int | None:
    raw = params.get(name)
    if raw is None or raw == "":
        return None
    if not raw.isascii() or not raw.isdigit() or not 1 <= int(raw) <= MAX_ID:
        raise BadRequest("InvalidValue", f"{name} must be a positive integer")
    return int(raw)


def report_from_params(params: Any, *, now: datetime, default_time_zone: str = "UTC") -> Report:
    """Validate the query parameters (400 in Zendesk's shape) and run the report."""
    zone_name = params.get("time_zone") or default_time_zone
    iana = resolve_time_zone(zone_name)
    if iana is None:
        raise BadRequest("InvalidValue", "time_zone must be an IANA or Rails time zone name")
    zone = ZoneInfo(iana)
    end = _moment(params["end_time"], "end_time", zone) if params.get("end_time") else now
    if params.get("start_time"):
        start = _moment(params["start_time"], "start_time", zone)
    else:
        start = end - timedelta(days=DEFAULT_DAYS)
    if start >= end:
        raise BadRequest("InvalidValue", "start_time must be before end_time")
    if end - start > timedelta(days=MAX_DAYS):
        raise BadRequest("InvalidValue", f"The period may be at most {MAX_DAYS} days long")
    group_by = _choice(params, "group_by", GROUPINGS, "policy")
    interval = _choice(params, "interval", INTERVALS, "day")
    filters = Filters(
        policy_id=_identifier(params, "policy_id"),
        metric=_choice(params, "metric", tuple(m.value for m in Metric), None),
        priority=_choice(params, "priority", tuple(p.value for p in Priority), None),
        group_id=_identifier(params, "group_id"),
    )
    return sla_report(
        start=start,
        end=end,
        now=now,
        time_zone=iana,
        group_by=group_by or "policy",
        interval=interval or "day",
        filters=filters,
    )


def report_to_dict(report: Report) -> dict[str, Any]:
    filters = report.filters
    return {
        "start_time": iso(report.start),
        "end_time": iso(report.end),
        "time_zone": report.time_zone,
        "group_by": report.group_by,
        "interval": report.interval,
        "filters": {
            "policy_id": filters.policy_id,
            "metric": filters.metric,
            "priority": filters.priority,
            "group_id": filters.group_id,
        },
        "total": row_figures(report.total),
        "groups": [row_figures(row) for row in report.groups],
        "series": [row_figures(row) for row in report.series],
    }


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


class SlaReportRowSerializer(serializers.Serializer):
    key = serializers.JSONField(help_text="The group's id or name, or the period's first date")
    label = serializers.CharField()
    achieved = serializers.IntegerField()
    breached = serializers.IntegerField()
    in_progress = serializers.IntegerField()
    achieved_percent = serializers.FloatField(
        allow_null=True, help_text="achieved / (achieved + breached), in percent"
    )
    reply_median_seconds = serializers.FloatField(allow_null=True)
    reply_p90_seconds = serializers.FloatField(allow_null=True)
    reply_business_median_seconds = serializers.FloatField(allow_null=True)
    reply_business_p90_seconds = serializers.FloatField(allow_null=True)
    resolution_median_seconds = serializers.FloatField(allow_null=True)
    resolution_p90_seconds = serializers.FloatField(allow_null=True)
    resolution_business_median_seconds = serializers.FloatField(allow_null=True)
    resolution_business_p90_seconds = serializers.FloatField(allow_null=True)


ReportResponse = inline_serializer(
    "SlaReportResponse",
    {
        "report": inline_serializer(
            "SlaReport",
            {
                "start_time": serializers.DateTimeField(),
                "end_time": serializers.DateTimeField(),
                "time_zone": serializers.CharField(),
                "group_by": serializers.ChoiceField(choices=GROUPINGS),
                "interval": serializers.ChoiceField(choices=INTERVALS),
                "filters": serializers.DictField(),
                "total": SlaReportRowSerializer(),
                "groups": SlaReportRowSerializer(many=True),
                "series": SlaReportRowSerializer(many=True),
            },
        )
    },
)
_time_help = (
    "ISO 8601 (without an offset: in `time_zone`; a date alone: its local midnight) or Unix seconds"
)


class SlaReportApi(APIView):
    """SLA targets settled in [start_time, end_time): achieved (fulfilled, never breached),
    breached (breached, fulfilled or not; a running target past its deadline counts as
    breached at it), and in progress (neither; left out of the rate). The achievement rate is
    achieved / (achieved + breached) (spec §9.1).

    A target belongs to the time its status was settled (`breached_at`, else `fulfilled_at`),
    as Explore's "SLA update - Date"; one still in progress to its activation. Reply times are
    those of fulfilled first and next reply targets, resolution times those of fulfilled total
    resolution targets, in calendar and business seconds (median and 90th percentile,
    interpolated as `percentile_cont`). Priority and group are the ticket's current ones.
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
            OpenApiParameter("group_by", str, enum=GROUPINGS, default="policy"),
            OpenApiParameter("interval", str, enum=INTERVALS, default="day"),
            OpenApiParameter("policy_id", int),
            OpenApiParameter("metric", str, enum=[m.value for m in Metric]),
            OpenApiParameter("priority", str, enum=[p.value for p in Priority]),
            OpenApiParameter("group_id", int),
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
        return Response({"report": report_to_dict(report)})


class SlaReportCsvApi(SlaReportApi):
    """`/api/v2/slas/reports.csv`: the report as CSV (documented on the main operation)."""

    @extend_schema(exclude=True)
    def get(self, request: Request, format: str | None = None) -> Response | HttpResponse:
        return super().get(request, format="csv")

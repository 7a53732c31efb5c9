"""Zendesk's Schedules (business hours) API, with slaweb's extensions: intervals that cross
midnight, partial-day holidays, and IANA time zone names besides Rails names."""

from __future__ import annotations

from datetime import datetime, time
from typing import Any

from django.utils import timezone
from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from policies import selectors, services
from policies.inputs import HolidayInputSerializer, ScheduleInputSerializer, WorkweekInputSerializer
from policies.models import Holiday, Schedule, ScheduleInterval
from slaweb.api.errors import BadRequest, root_object
from slaweb.api.output import Link, RailsTimeZone, Timestamp, output_context, serialize_many
from slaweb.api.pagination import base_url
from slaweb.api.permissions import AgentReadsAdminWrites
from slaweb.api.schema import with_errors


class IntervalOutput(serializers.Serializer[ScheduleInterval]):
    start_time = serializers.IntegerField()
    end_time = serializers.IntegerField()


# Give it schedules with their intervals prefetched (`policies.selectors.schedule_queryset`).
class ScheduleOutputSerializer(serializers.Serializer[Schedule]):
    id = serializers.IntegerField()
    name = serializers.CharField()
    time_zone = RailsTimeZone(help_text="Rails name where one exists, else IANA")
    iana_time_zone = serializers.CharField(source="time_zone")
    intervals = IntervalOutput(many=True)
    created_at = Timestamp()
    updated_at = Timestamp()


class WorkweekOutputSerializer(serializers.Serializer[Schedule]):
    intervals = IntervalOutput(many=True)


class ClockTime(serializers.CharField):
    """A time of day, HH:MM, with :SS only when the seconds are not zero."""

    def to_representation(self, value: Any) -> str:
        moment: time = value
        return moment.strftime("%H:%M:%S" if moment.second else "%H:%M")


# Needs `context["root"]`.
class HolidayOutputSerializer(serializers.Serializer[Holiday]):
    id = serializers.IntegerField()
    url = Link("/api/v2/business_hours/schedules/{obj.schedule_id}/holidays/{obj.pk}.json")
    name = serializers.CharField()
    start_date = serializers.DateField()
    end_date = serializers.DateField()
    start_time = ClockTime(allow_null=True)
    end_time = ClockTime(allow_null=True)


ScheduleEnvelope = inline_serializer("ScheduleResponse", {"schedule": ScheduleOutputSerializer()})
HolidayEnvelope = inline_serializer("HolidayResponse", {"holiday": HolidayOutputSerializer()})


def _schedule(schedule_id: str | int) -> Schedule:
    return selectors.schedule_queryset().get(pk=int(schedule_id))


def _one(schedule_id: int, code: int = status.HTTP_200_OK) -> Response:
    body = ScheduleOutputSerializer(_schedule(schedule_id)).data
    return Response({"schedule": body}, status=code)


def _holiday(request: Request, holiday: Holiday, code: int = status.HTTP_200_OK) -> Response:
    body = HolidayOutputSerializer(holiday, context=output_context(request)).data
    return Response({"holiday": body}, status=code)


def _validated(serializer: serializers.Serializer[Any]) -> dict[str, Any]:
    serializer.is_valid(raise_exception=True)
    return dict(serializer.validated_data)


class ScheduleListCreateApi(APIView):
    permission_classes = [AgentReadsAdminWrites]

    @extend_schema(
        operation_id="ListSchedules",
        responses=with_errors(
            {
                200: inline_serializer(
                    "ScheduleListResponse", {"schedules": ScheduleOutputSerializer(many=True)}
                )
            }
        ),
    )
    def get(self, request: Request) -> Response:
        schedules = selectors.schedule_queryset().order_by("id")
        return Response({"schedules": serialize_many(ScheduleOutputSerializer, schedules)})

    @extend_schema(
        operation_id="CreateSchedule",
        request=inline_serializer("ScheduleRequest", {"schedule": ScheduleInputSerializer()}),
        responses=with_errors({201: ScheduleEnvelope}, writes=True),
    )
    def post(self, request: Request) -> Response:
        data = _validated(ScheduleInputSerializer(data=root_object(request, "schedule")))
        schedule = services.schedule_create(**data)
        response = _one(schedule.pk, status.HTTP_201_CREATED)
        response["Location"] = (
            f"{base_url(request)}/api/v2/business_hours/schedules/{schedule.pk}.json"
        )
        return response


class ScheduleDetailApi(APIView):
    permission_classes = [AgentReadsAdminWrites]

    @extend_schema(
        operation_id="ShowSchedule", responses=with_errors({200: ScheduleEnvelope}, lookup=True)
    )
    def get(self, request: Request, schedule_id: str) -> Response:
        return _one(int(schedule_id))

    @extend_schema(
        operation_id="UpdateSchedule",
        request=inline_serializer("ScheduleUpdateRequest", {"schedule": ScheduleInputSerializer()}),
        responses=with_errors({200: ScheduleEnvelope}, writes=True, lookup=True),
    )
    def put(self, request: Request, schedule_id: str) -> Response:
        schedule = _schedule(schedule_id)
        serializer = ScheduleInputSerializer(data=root_object(request, "schedule"), partial=True)
        services.schedule_update(schedule_id=schedule.pk, data=_validated(serializer))
        return _one(int(schedule_id))

    @extend_schema(
        operation_id="DeleteSchedule", request=None, responses=with_errors({204: None}, lookup=True)
    )
    def delete(self, request: Request, schedule_id: str) -> Response:
        services.schedule_delete(schedule_id=int(schedule_id))
        return Response(status=status.HTTP_204_NO_CONTENT)


class ScheduleWorkweekApi(APIView):
    permission_classes = [AgentReadsAdminWrites]

    @extend_schema(
        operation_id="UpdateScheduleIntervals",
        request=inline_serializer("WorkweekRequest", {"workweek": WorkweekInputSerializer()}),
        responses=with_errors(
            {200: inline_serializer("WorkweekResponse", {"workweek": WorkweekOutputSerializer()})},
            writes=True,
            lookup=True,
        ),
    )
    def put(self, request: Request, schedule_id: str) -> Response:
        schedule = _schedule(schedule_id)
        data = _validated(WorkweekInputSerializer(data=root_object(request, "workweek")))
        services.schedule_set_workweek(schedule_id=schedule.pk, intervals=data["intervals"])
        return Response({"workweek": WorkweekOutputSerializer(_schedule(schedule_id)).data})


def _holiday_context(now: datetime, holiday: Holiday | None = None) -> dict[str, Any]:
    context: dict[str, Any] = {"now": now}
    if holiday is not None:
        context["current"] = {
            "start_date": holiday.start_date,
            "end_date": holiday.end_date,
            "start_time": holiday.start_time,
            "end_time": holiday.end_time,
        }
    return context


class HolidayListCreateApi(APIView):
    permission_classes = [AgentReadsAdminWrites]

    @extend_schema(
        operation_id="ListScheduleHolidays",
        parameters=[
            OpenApiParameter("start_date", str, description="Holidays ending on or after"),
            OpenApiParameter("end_date", str, description="Holidays starting on or before"),
        ],
        responses=with_errors(
            {
                200: inline_serializer(
                    "HolidayListResponse", {"holidays": HolidayOutputSerializer(many=True)}
                )
            },
            lookup=True,
        ),
    )
    def get(self, request: Request, schedule_id: str) -> Response:
        schedule = _schedule(schedule_id)
        dates = serializers.DateField(required=False)
        holidays = schedule.holidays.all()
        try:
            if request.query_params.get("start_date"):
                start = dates.to_internal_value(request.query_params["start_date"])
                holidays = holidays.filter(end_date__gte=start)
            if request.query_params.get("end_date"):
                end = dates.to_internal_value(request.query_params["end_date"])
                holidays = holidays.filter(start_date__lte=end)
        except serializers.ValidationError:
            raise BadRequest(
                "InvalidParameter", "start_date and end_date must be YYYY-MM-DD"
            ) from None
        body = serialize_many(HolidayOutputSerializer, holidays, output_context(request))
        return Response({"holidays": body})

    @extend_schema(
        operation_id="CreateScheduleHoliday",
        request=inline_serializer("HolidayRequest", {"holiday": HolidayInputSerializer()}),
        responses=with_errors({201: HolidayEnvelope}, writes=True, lookup=True),
    )
    def post(self, request: Request, schedule_id: str) -> Response:
        schedule = _schedule(schedule_id)
        serializer = HolidayInputSerializer(
            data=root_object(request, "holiday"), context=_holiday_context(timezone.now())
        )
        holiday = services.holiday_create(schedule_id=schedule.pk, **_validated(serializer))
        response = _holiday(request, holiday, status.HTTP_201_CREATED)
        response["Location"] = response.data["holiday"]["url"]
        return response


class HolidayDetailApi(APIView):
    permission_classes = [AgentReadsAdminWrites]

    def _holiday(self, schedule_id: str, holiday_id: str) -> Holiday:
        return Holiday.objects.get(pk=int(holiday_id), schedule_id=int(schedule_id))

    @extend_schema(
        operation_id="ShowScheduleHoliday",
        responses=with_errors({200: HolidayEnvelope}, lookup=True),
    )
    def get(self, request: Request, schedule_id: str, holiday_id: str) -> Response:
        holiday = self._holiday(schedule_id, holiday_id)
        return _holiday(request, holiday)

    @extend_schema(
        operation_id="UpdateScheduleHoliday",
        request=inline_serializer("HolidayUpdateRequest", {"holiday": HolidayInputSerializer()}),
        responses=with_errors({200: HolidayEnvelope}, writes=True, lookup=True),
    )
    def put(self, request: Request, schedule_id: str, holiday_id: str) -> Response:
        holiday = self._holiday(schedule_id, holiday_id)
        serializer = HolidayInputSerializer(
            data=root_object(request, "holiday"),
            partial=True,
            context=_holiday_context(timezone.now(), holiday),
        )
        updated = services.holiday_update(
            schedule_id=holiday.schedule_id, holiday_id=holiday.pk, data=_validated(serializer)
        )
        return _holiday(request, updated)

    @extend_schema(
        operation_id="DeleteScheduleHoliday",
        request=None,
        responses=with_errors({204: None}, lookup=True),
    )
    def delete(self, request: Request, schedule_id: str, holiday_id: str) -> Response:
        services.holiday_delete(schedule_id=int(schedule_id), holiday_id=int(holiday_id))
        return Response(status=status.HTTP_204_NO_CONTENT)

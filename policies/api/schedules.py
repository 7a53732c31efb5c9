"""Zendesk's Schedules (business hours) API, with slaweb's extensions: intervals that cross
midnight, partial-day holidays, and IANA time zone names besides Rails names."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.utils import timezone
from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from policies import selectors, services
from policies.inputs import HolidayInputSerializer, ScheduleInputSerializer, WorkweekInputSerializer
from policies.models import Holiday, Schedule
from slaweb.api.errors import BadRequest, root_object
from slaweb.api.pagination import base_url
from slaweb.api.permissions import AgentReadsAdminWrites
from slaweb.api.schema import with_errors
from slaweb.api.timestamps import iso
from slaweb.timezones import rails_name


class IntervalOutput(serializers.Serializer):
    start_time = serializers.IntegerField()
    end_time = serializers.IntegerField()


class ScheduleOutputSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    time_zone = serializers.CharField(help_text="Rails name where one exists, else IANA")
    iana_time_zone = serializers.CharField()
    intervals = IntervalOutput(many=True)
    created_at = serializers.DateTimeField()
    updated_at = serializers.DateTimeField()


class HolidayOutputSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    url = serializers.CharField()
    name = serializers.CharField()
    start_date = serializers.DateField()
    end_date = serializers.DateField()
    start_time = serializers.CharField(allow_null=True)
    end_time = serializers.CharField(allow_null=True)


def schedule_to_dict(schedule: Schedule) -> dict[str, Any]:
    return {
        "id": schedule.pk,
        "name": schedule.name,
        "time_zone": rails_name(schedule.time_zone) or schedule.time_zone,
        "iana_time_zone": schedule.time_zone,
        "intervals": [
            {"start_time": i.start_time, "end_time": i.end_time} for i in schedule.intervals.all()
        ],
        "created_at": iso(schedule.created_at),
        "updated_at": iso(schedule.updated_at),
    }


def holiday_to_dict(holiday: Holiday, root: str) -> dict[str, Any]:
    def hhmm(moment: Any) -> str | None:
        return moment.strftime("%H:%M:%S" if moment.second else "%H:%M") if moment else None

    return {
        "id": holiday.pk,
        "url": (
            f"{root}/api/v2/business_hours/schedules/{holiday.schedule_id}"
            f"/holidays/{holiday.pk}.json"
        ),
        "name": holiday.name,
        "start_date": holiday.start_date.isoformat(),
        "end_date": holiday.end_date.isoformat(),
        "start_time": hhmm(holiday.start_time),
        "end_time": hhmm(holiday.end_time),
    }


ScheduleEnvelope = inline_serializer("ScheduleResponse", {"schedule": ScheduleOutputSerializer()})
HolidayEnvelope = inline_serializer("HolidayResponse", {"holiday": HolidayOutputSerializer()})


def _schedule(schedule_id: str) -> Schedule:
    return selectors.schedule_queryset().get(pk=int(schedule_id))


def _validated(serializer: serializers.Serializer) -> dict[str, Any]:
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
        return Response({"schedules": [schedule_to_dict(s) for s in schedules]})

    @extend_schema(
        operation_id="CreateSchedule",
        request=inline_serializer("ScheduleRequest", {"schedule": ScheduleInputSerializer()}),
        responses=with_errors({201: ScheduleEnvelope}, writes=True),
    )
    def post(self, request: Request) -> Response:
        data = _validated(ScheduleInputSerializer(data=root_object(request, "schedule")))
        schedule = services.schedule_create(**data)
        response = Response(
            {"schedule": schedule_to_dict(_schedule(schedule.pk))}, status=status.HTTP_201_CREATED
        )
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
        return Response({"schedule": schedule_to_dict(_schedule(schedule_id))})

    @extend_schema(
        operation_id="UpdateSchedule",
        request=inline_serializer("ScheduleUpdateRequest", {"schedule": ScheduleInputSerializer()}),
        responses=with_errors({200: ScheduleEnvelope}, writes=True, lookup=True),
    )
    def put(self, request: Request, schedule_id: str) -> Response:
        schedule = _schedule(schedule_id)
        serializer = ScheduleInputSerializer(data=root_object(request, "schedule"), partial=True)
        services.schedule_update(schedule_id=schedule.pk, data=_validated(serializer))
        return Response({"schedule": schedule_to_dict(_schedule(schedule_id))})

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
            {200: inline_serializer("WorkweekResponse", {"workweek": WorkweekInputSerializer()})},
            writes=True,
            lookup=True,
        ),
    )
    def put(self, request: Request, schedule_id: str) -> Response:
        schedule = _schedule(schedule_id)
        data = _validated(WorkweekInputSerializer(data=root_object(request, "workweek")))
        services.schedule_set_workweek(schedule_id=schedule.pk, intervals=data["intervals"])
        intervals = schedule_to_dict(_schedule(schedule_id))["intervals"]
        return Response({"workweek": {"intervals": intervals}})


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
        root = base_url(request)
        return Response({"holidays": [holiday_to_dict(h, root) for h in holidays]})

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
        body = {"holiday": holiday_to_dict(holiday, base_url(request))}
        response = Response(body, status=status.HTTP_201_CREATED)
        response["Location"] = body["holiday"]["url"]
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
        return Response({"holiday": holiday_to_dict(holiday, base_url(request))})

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
        return Response({"holiday": holiday_to_dict(updated, base_url(request))})

    @extend_schema(
        operation_id="DeleteScheduleHoliday",
        request=None,
        responses=with_errors({204: None}, lookup=True),
    )
    def delete(self, request: Request, schedule_id: str, holiday_id: str) -> Response:
        services.holiday_delete(schedule_id=int(schedule_id), holiday_id=int(holiday_id))
        return Response(status=status.HTTP_204_NO_CONTENT)

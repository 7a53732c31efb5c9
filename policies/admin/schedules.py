"""Admin pages for business-hours schedules and holidays.

The editor is one page: name, time zone, the weekly intervals and the holidays, saved together by
`services.schedule_save` after the API's own serializers have validated them, so the page and the
API accept and reject exactly the same schedules. Agents get the same page read-only. Holidays
can also come from an iCal (.ics) file: uploaded, previewed, then confirmed.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from typing import Any, TypeVar, cast
from zoneinfo import ZoneInfo, available_timezones

from django import forms
from django.contrib import admin, messages
from django.core import signing
from django.core.exceptions import PermissionDenied
from django.db.models import Count, QuerySet, Subquery
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import URLPattern, path, reverse
from django.utils import timezone
from django.utils.html import format_html

from policies import ical, services
from policies.inputs import HOLIDAY_WINDOW, HolidayInputSerializer, ScheduleInputSerializer
from policies.models import Holiday, Schedule
from slaweb.timezones import RAILS_TO_IANA, rails_name, resolve_time_zone

WEEK = 10_080
DAY = 1_440
# Zendesk counts from Sunday; people read weeks from Monday.
DAY_CHOICES = [
    (1, "Monday"),
    (2, "Tuesday"),
    (3, "Wednesday"),
    (4, "Thursday"),
    (5, "Friday"),
    (6, "Saturday"),
    (0, "Sunday"),
]
IMPORT_SALT = "slaweb.schedule.ical-import"
IMPORT_MAX_AGE = 3600


def _offset_label(iana: str, now: datetime) -> str:
    offset = now.astimezone(ZoneInfo(iana)).utcoffset() or timedelta(0)
    minutes = int(offset.total_seconds()) // 60
    sign = "-" if minutes < 0 else "+"
    return f"(UTC{sign}{abs(minutes) // 60:02d}:{abs(minutes) % 60:02d})"


@lru_cache(maxsize=1)
def _iana_names() -> list[str]:
    """IANA names the API keeps as they are ("UTC" is the Rails name for Etc/UTC)."""
    return [name for name in available_timezones() if resolve_time_zone(name) == name]


@lru_cache(maxsize=2)
def _zone_choices(hour: datetime) -> list[tuple[str, list[tuple[str, str]]]]:
    """Rails names with their current offset, then every IANA name; recomputed each hour."""
    rails = sorted(
        RAILS_TO_IANA.items(),
        key=lambda item: (hour.astimezone(ZoneInfo(item[1])).utcoffset(), item[0]),
    )
    return [
        ("Zendesk names", [(name, f"{_offset_label(iana, hour)} {name}") for name, iana in rails]),
        ("IANA names", [(iana, iana) for iana in sorted(_iana_names())]),
    ]


def time_zone_choices() -> list[tuple[str, list[tuple[str, str]]]]:
    return _zone_choices(timezone.now().astimezone(UTC).replace(minute=0, second=0, microsecond=0))


def _clock(minutes: int) -> time:
    return time(minutes // 60, minutes % 60)


def interval_initial(start: int, end: int) -> dict[str, Any]:
    """A stored interval as the editor's row: weekday and time at each end."""
    start_day, start_clock = divmod(start % WEEK, DAY)
    end_day, end_clock = divmod(end % WEEK, DAY)
    return {
        "start_day": start_day,
        "start_time": _clock(start_clock),
        "end_day": end_day,
        "end_time": _clock(end_clock),
    }


class ScheduleForm(forms.Form):
    name = forms.CharField(max_length=255)
    time_zone = forms.ChoiceField(
        help_text="Zendesk (Rails) names and IANA names are both accepted."
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # A copy of the ChoiceField declared above.
        cast(forms.ChoiceField, self.fields["time_zone"]).choices = time_zone_choices()


def _time_input() -> forms.TimeInput:
    return forms.TimeInput(attrs={"type": "time"}, format="%H:%M")


def _date_input() -> forms.DateInput:
    return forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


class _RowForm(forms.Form):
    removed = False  # set on rows the page sent back removed


class IntervalForm(_RowForm):
    start_day = forms.TypedChoiceField(choices=DAY_CHOICES, coerce=int)
    start_time = forms.TimeField(widget=_time_input())
    end_day = forms.TypedChoiceField(choices=DAY_CHOICES, coerce=int)
    end_time = forms.TimeField(widget=_time_input())

    def minutes(self) -> tuple[int, int]:
        """(start_time, end_time) as stored: minutes since Sunday 00:00.

        An end at or before the start is in the following week, so Saturday 22:00 to Sunday
        06:00 wraps the week end (9960, 10440), as the API allows.
        """
        data = self.cleaned_data
        start = data["start_day"] * DAY + data["start_time"].hour * 60 + data["start_time"].minute
        end = data["end_day"] * DAY + data["end_time"].hour * 60 + data["end_time"].minute
        if end <= start:
            end += WEEK
        return start, end

    def length_label(self) -> str:
        """How long the interval is ("8 h", "7 h 30 min"), when the row is complete."""
        if self.is_bound:
            if not self.is_valid():
                return ""
            start, end = self.minutes()
        else:
            initial = self.initial
            if not initial:
                return ""
            start = initial["start_day"] * DAY + _minutes_of(initial["start_time"])
            end = initial["end_day"] * DAY + _minutes_of(initial["end_time"])
            end += WEEK if end <= start else 0
        return length_words(end - start)


def length_words(minutes: int) -> str:
    hours, rest = divmod(minutes, 60)
    if hours and rest:
        return f"{hours} h {rest} min"
    return f"{hours} h" if hours else f"{rest} min"


def _minutes_of(moment: time) -> int:
    return moment.hour * 60 + moment.minute


class HolidayForm(_RowForm):
    id = forms.IntegerField(required=False, widget=forms.HiddenInput)
    name = forms.CharField(max_length=255, required=False)
    start_date = forms.DateField(required=False, widget=_date_input())
    end_date = forms.DateField(required=False, widget=_date_input())
    start_time = forms.TimeField(required=False, widget=_time_input())
    end_time = forms.TimeField(required=False, widget=_time_input())

    def is_blank(self) -> bool:
        return not any(self.cleaned_data.get(name) for name in self.fields)

    def clean(self) -> dict[str, Any]:
        super().clean()
        cleaned = self.cleaned_data
        if any(cleaned.get(name) for name in self.fields if name != "id"):
            for name in ("name", "start_date", "end_date"):
                if not cleaned.get(name) and name not in self.errors:
                    self.add_error(name, "This field is required.")
        return cleaned


_RowFormT = TypeVar("_RowFormT", bound=_RowForm)


class _RowFormSet(forms.BaseFormSet[_RowFormT]):
    deletion_widget = forms.HiddenInput

    def is_removed(self, form: _RowFormT) -> bool:
        """Whether the page sent the row back marked for deletion."""
        # BaseFormSet._should_delete_form is Django's, left out of django-stubs.
        return bool(self._should_delete_form(form))  # type: ignore[attr-defined]

    def mark_removed(self) -> None:
        """Rows removed on the page stay hidden when it comes back with errors."""
        for form in self.forms:
            form.removed = self.is_removed(form)

    def live_forms(self) -> list[_RowFormT]:
        return [form for form in self.forms if not self.is_removed(form)]


# formset_factory returns a subclass of the formset it is given, which its stub types as the
# plain BaseFormSet.
IntervalFormSet = cast(
    "type[_RowFormSet[IntervalForm]]",
    forms.formset_factory(IntervalForm, formset=_RowFormSet, extra=0, can_delete=True),
)
HolidayFormSet = cast(
    "type[_RowFormSet[HolidayForm]]",
    forms.formset_factory(HolidayForm, formset=_RowFormSet, extra=0, can_delete=True),
)


# The API speaks of minutes from Monday 00:00; the page of days and times.
_INTERVAL_WORDS = (
    (
        re.compile(r": end_minute \d+ must be greater than start_minute \d+"),
        " must end after it starts",
    ),
    (
        re.compile(r": end_minute \d+ must be at most 11520 \(Monday 00:00 next week\)"),
        " must end by Monday 00:00 of the next week",
    ),
    (re.compile(r": longer than a week \(\d+ > 10080 minutes\)"), " is longer than a week"),
    (re.compile(r": start_minute \d+ must be between 0 and 10079"), " must start within the week"),
)


def _interval_message(message: str, index: int) -> str:
    """The API names rows intervals[n] and times in minutes; on the page each row speaks for
    itself, in days and times."""

    def name(match: re.Match[str]) -> str:
        return "this interval" if int(match.group(1)) == index else "another interval"

    text = re.sub(r"intervals\[(\d+)\]", name, message)
    for pattern, words in _INTERVAL_WORDS:
        text = pattern.sub(words, text)
    return text[:1].upper() + text[1:]


def _holiday_initial(holiday: Holiday) -> dict[str, Any]:
    return {
        "id": holiday.pk,
        "name": holiday.name,
        "start_date": holiday.start_date,
        "end_date": holiday.end_date,
        "start_time": holiday.start_time,
        "end_time": holiday.end_time,
    }


HOLIDAY_FIELD_WORDS = {
    "name": "Name",
    "start_date": "Start date",
    "end_date": "End date",
    "start_time": "Start time",
    "end_time": "End time",
}
HOLIDAY_MESSAGES = {
    "must be on or after start_date": "End date must be on or after the start date.",
    "must be no earlier than two years ago": "Start date must be no earlier than two years ago.",
    "must be no later than two years from now": "End date must be no later than two years "
    "from now.",
}


def holiday_message(field: str, problem: str) -> str:
    """The API's message about a holiday field, as a sentence that names the field in words."""
    if problem in HOLIDAY_MESSAGES:
        return HOLIDAY_MESSAGES[problem]
    if problem.startswith("holiday ends before it starts"):
        return "The holiday ends before it starts: make the end time later than the start time."
    if problem[:1].isupper():
        return problem  # already a sentence ("This field is required.")
    words = HOLIDAY_FIELD_WORDS.get(field, "This holiday")
    return f"{words} {problem}" + ("" if problem.endswith(".") else ".")


def _holiday_errors(form: forms.Form, errors: dict[str, Any]) -> None:
    for key, problems in errors.items():
        target = key if key in form.fields and key != "id" else None
        form.add_error(target, [holiday_message(key, str(p)) for p in problems])


class ScheduleEditor:
    """The editor's three parts, bound to a request's data or to a schedule's current state."""

    def __init__(self, schedule: Schedule | None, data: Any = None) -> None:
        self.schedule = schedule
        self.interval_errors: list[str] = []
        self.save_error = ""
        if schedule is not None:
            tz = rails_name(schedule.time_zone) or schedule.time_zone
            initial = {"name": schedule.name, "time_zone": tz}
            intervals = [(i.start_time, i.end_time) for i in schedule.intervals.all()]
            holidays = [_holiday_initial(h) for h in schedule.holidays.all()]
        else:
            initial = {"time_zone": "UTC"}
            intervals = list(services.DEFAULT_WORKWEEK)
            holidays = []
        self.current = {h.pk: h for h in schedule.holidays.all()} if schedule else {}
        # Bound rows stand on their own: the page may have been loaded before someone else's
        # change, so they are never compared with today's rows by position.
        bound = data is not None
        self.form = ScheduleForm(data, initial=initial)
        self.intervals = IntervalFormSet(
            data,
            prefix="intervals",
            initial=None if bound else [interval_initial(s, e) for s, e in sorted(intervals)],
        )
        self.holidays = HolidayFormSet(data, prefix="holidays", initial=None if bound else holidays)

    def disable(self) -> None:
        for form in [self.form, *self.intervals.forms, *self.holidays.forms]:
            for field in form.fields.values():
                field.disabled = True

    def validate(self, now: datetime) -> dict[str, Any] | None:
        """The arguments for services.schedule_save, or None with errors on the rows."""
        valid = self.form.is_valid()
        valid = self.intervals.is_valid() and valid
        valid = self.holidays.is_valid() and valid
        self.intervals.mark_removed()
        self.holidays.mark_removed()
        rows = [
            form
            for form in self.intervals.live_forms()
            if not form.errors and form.cleaned_data.get("start_time") is not None
        ]
        schedule = ScheduleInputSerializer(
            data={
                "name": self.form.cleaned_data.get("name", self.form.data.get("name", "")),
                "time_zone": self.form.data.get("time_zone", ""),
                "intervals": [
                    {"start_time": start, "end_time": end}
                    for start, end in (f.minutes() for f in rows)
                ],
            }
        )
        if not schedule.is_valid():
            valid = False
            for key, problems in schedule.errors.items():
                if key in ("name", "time_zone"):
                    if key not in self.form.errors:
                        self.form.add_error(key, [str(p) for p in problems])
                    continue
                for problem in problems:
                    indexes = [int(i) for i in re.findall(r"intervals\[(\d+)\]", str(problem))]
                    if not indexes:
                        self.interval_errors.append(str(problem))
                    for index in dict.fromkeys(indexes):
                        rows[index].add_error(None, _interval_message(str(problem), index))
        added: list[dict[str, Any]] = []
        changed: list[tuple[int, dict[str, Any]]] = []
        deleted: list[int] = []
        for form in self.holidays.forms:
            if self.holidays.is_removed(form):
                if form.is_valid() and form.cleaned_data.get("id") in self.current:
                    deleted.append(form.cleaned_data["id"])
                continue
            if form.errors or form.is_blank():
                continue
            holiday_id = form.cleaned_data.get("id")
            fields = {k: v for k, v in form.cleaned_data.items() if k not in ("id", "DELETE")}
            if holiday_id:
                if holiday_id not in self.current:
                    valid = False
                    form.add_error(None, "This holiday was deleted meanwhile; remove the row.")
                    continue
                if _holiday_initial(self.current[holiday_id]) == {"id": holiday_id, **fields}:
                    continue  # untouched: an old holiday may be out of today's window by now
            serializer = HolidayInputSerializer(data=fields, context={"now": now})
            if not serializer.is_valid():
                valid = False
                _holiday_errors(form, serializer.errors)
                continue
            validated = dict(serializer.validated_data)
            if holiday_id:
                changed.append((holiday_id, validated))
            else:
                added.append(validated)
        if not valid:
            return None
        return {
            "name": schedule.validated_data["name"],
            "time_zone": schedule.validated_data["time_zone"],
            "intervals": schedule.validated_data["intervals"],
            "holidays_added": added,
            "holidays_changed": changed,
            "holidays_deleted": deleted,
        }

    def has_errors(self) -> bool:
        return bool(
            self.form.errors
            or self.interval_errors
            or self.save_error
            or any(form.errors for form in self.intervals.forms)
            or any(form.errors for form in self.holidays.forms)
            or self.intervals.non_form_errors()
            or self.holidays.non_form_errors()
        )


def _holiday_key(name: str, start: date, end: date) -> tuple[str, str, str]:
    return (name, start.isoformat(), end.isoformat())


def _classify(
    schedule: Schedule, found: list[ical.IcalHoliday], now: datetime
) -> tuple[list[dict[str, Any]], list[ical.IcalHoliday], list[tuple[str, str]]]:
    """(holidays to add, duplicates skipped, (name, reason) for events that cannot be added)."""
    seen = {
        _holiday_key(*row)
        for row in schedule.holidays.values_list("name", "start_date", "end_date")
    }
    new: list[dict[str, Any]] = []
    duplicates: list[ical.IcalHoliday] = []
    invalid: list[tuple[str, str]] = []
    for holiday in found:
        key = _holiday_key(holiday.name, holiday.start_date, holiday.end_date)
        if key in seen:
            duplicates.append(holiday)
            continue
        serializer = HolidayInputSerializer(data=holiday.as_fields(), context={"now": now})
        if not serializer.is_valid():
            reasons = "; ".join(
                f"{field.replace('_', ' ')} {problem}"
                for field, problems in serializer.errors.items()
                for problem in problems
            )
            invalid.append((f"{holiday.name} ({holiday.start_date})", reasons))
            continue
        seen.add(key)
        new.append(dict(serializer.validated_data))
    return new, duplicates, invalid


def _payload(holidays: list[dict[str, Any]], schedule: Schedule) -> str:
    rows = [
        {
            key: value.isoformat() if isinstance(value, date | time) else value
            for key, value in row.items()
        }
        for row in holidays
    ]
    return signing.dumps({"schedule": schedule.pk, "holidays": rows}, salt=IMPORT_SALT)


def _unpayload(token: str, schedule: Schedule) -> list[ical.IcalHoliday]:
    data = signing.loads(token, salt=IMPORT_SALT, max_age=IMPORT_MAX_AGE)
    if data.get("schedule") != schedule.pk:
        raise signing.BadSignature("the preview was for another schedule")
    return [
        ical.IcalHoliday(
            row["name"],
            date.fromisoformat(row["start_date"]),
            date.fromisoformat(row["end_date"]),
            time.fromisoformat(row["start_time"]) if row.get("start_time") else None,
            time.fromisoformat(row["end_time"]) if row.get("end_time") else None,
        )
        for row in data["holidays"]
    ]


@admin.register(Schedule)
class ScheduleAdmin(admin.ModelAdmin[Schedule]):
    list_display = [
        "name",
        "zone",
        "interval_count",
        "holiday_count",
        "default_marker",
        "updated_at",
    ]
    list_display_links = ["name"]
    ordering = ["id"]
    search_fields = ["name"]
    editor_template = "admin/policies/schedule/editor.html"
    import_template = "admin/policies/schedule/import_holidays.html"

    def get_queryset(self, request: HttpRequest) -> QuerySet[Schedule]:
        first = Schedule.objects.order_by("id").values("id")[:1]
        return (
            super()
            .get_queryset(request)
            .annotate(
                intervals_total=Count("intervals", distinct=True),
                holidays_total=Count("holidays", distinct=True),
                default_id=Subquery(first),
            )
        )

    @admin.display(description="time zone", ordering="time_zone")
    def zone(self, obj: Schedule) -> str:
        name = rails_name(obj.time_zone)
        return f"{name} ({obj.time_zone})" if name else obj.time_zone

    @admin.display(description="intervals", ordering="intervals_total")
    def interval_count(self, obj: Schedule) -> int:
        return obj.intervals_total  # type: ignore[attr-defined,no-any-return]

    @admin.display(description="holidays", ordering="holidays_total")
    def holiday_count(self, obj: Schedule) -> int:
        return obj.holidays_total  # type: ignore[attr-defined,no-any-return]

    @admin.display(description="default")
    def default_marker(self, obj: Schedule) -> str:
        if obj.pk == obj.default_id:  # type: ignore[attr-defined]
            return format_html('<span class="sched-default">{}</span>', "Default")
        return ""

    def get_urls(self) -> list[URLPattern]:
        opts = self.model._meta
        name = f"{opts.app_label}_{opts.model_name}_import_holidays"
        return [
            path(
                "<path:object_id>/import-holidays/",
                self.admin_site.admin_view(self.import_holidays_view),
                name=name,
            ),
            *super().get_urls(),
        ]

    # Deletes go through the service so open tickets are recomputed.
    def delete_model(self, request: HttpRequest, obj: Schedule) -> None:
        services.schedule_delete(schedule_id=obj.pk)

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[Schedule]) -> None:
        for pk in list(queryset.values_list("pk", flat=True)):
            services.schedule_delete(schedule_id=pk)

    def add_view(
        self, request: HttpRequest, form_url: str = "", extra_context: dict[str, Any] | None = None
    ) -> HttpResponse:
        if not self.has_add_permission(request):
            raise PermissionDenied
        return self._editor(request, None, can_change=True)

    def change_view(
        self,
        request: HttpRequest,
        object_id: str,
        form_url: str = "",
        extra_context: dict[str, Any] | None = None,
    ) -> HttpResponse:
        schedule = self.get_object(request, object_id)
        if schedule is None:
            return self._missing(request, object_id)
        if not self.has_view_or_change_permission(request, schedule):
            raise PermissionDenied
        return self._editor(
            request, schedule, can_change=self.has_change_permission(request, schedule)
        )

    def _missing(self, request: HttpRequest, object_id: str) -> HttpResponse:
        """The admin's answer for an id with no schedule: back to the list, with a message."""
        # ModelAdmin._get_obj_does_not_exist_redirect is Django's, left out of django-stubs.
        response: HttpResponse = self._get_obj_does_not_exist_redirect(  # type: ignore[attr-defined]
            request, self.model._meta, object_id
        )
        return response

    def _editor(
        self, request: HttpRequest, schedule: Schedule | None, *, can_change: bool
    ) -> HttpResponse:
        if schedule is not None:
            schedule = Schedule.objects.prefetch_related("intervals", "holidays").get(
                pk=schedule.pk
            )
        status = 200
        if request.method == "POST":
            if not can_change:
                raise PermissionDenied
            editor = ScheduleEditor(schedule, request.POST)
            arguments = editor.validate(timezone.now())
            if arguments is not None:
                try:
                    saved = services.schedule_save(
                        schedule_id=schedule.pk if schedule else None, **arguments
                    )
                except Holiday.DoesNotExist:
                    editor.save_error = (
                        "A holiday on this page was deleted meanwhile; nothing was saved. "
                        "Reload the page and make your changes again."
                    )
                else:
                    return self._saved(request, saved, added=schedule is None)
            status = 400
        else:
            editor = ScheduleEditor(schedule)
        if not can_change:
            editor.disable()
        opts = self.model._meta
        if schedule is None:
            title = "Add schedule"
        else:
            title = "Change schedule" if can_change else "View schedule"
        context = {
            **self.admin_site.each_context(request),
            "title": title,
            "subtitle": str(schedule) if schedule else None,
            "opts": opts,
            "app_label": opts.app_label,
            "original": schedule,
            "editor": editor,
            "can_change": can_change,
            "has_delete_permission": schedule is not None
            and self.has_delete_permission(request, schedule),
            "day_choices": DAY_CHOICES,
            "import_url": (
                reverse("admin:policies_schedule_import_holidays", args=[schedule.pk])
                if schedule
                else None
            ),
        }
        request.current_app = self.admin_site.name
        return TemplateResponse(request, self.editor_template, context, status=status)

    def _saved(self, request: HttpRequest, schedule: Schedule, *, added: bool) -> HttpResponse:
        if added:
            self.log_addition(request, schedule, [{"added": {}}])
        else:
            self.log_change(request, schedule, [{"changed": {"fields": ["schedule"]}}])
        messages.success(request, f"The schedule “{schedule.name}” was saved.")
        if "_continue" in request.POST:
            target = reverse("admin:policies_schedule_change", args=[schedule.pk])
        else:
            target = reverse("admin:policies_schedule_changelist")
        return HttpResponseRedirect(target)

    def import_holidays_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        schedule = self.get_object(request, object_id)
        if schedule is None:
            return self._missing(request, object_id)
        if not self.has_change_permission(request, schedule):
            raise PermissionDenied
        opts = self.model._meta
        context: dict[str, Any] = {
            **self.admin_site.each_context(request),
            "title": "Import holidays",
            "subtitle": schedule.name,
            "opts": opts,
            "app_label": opts.app_label,
            "original": schedule,
            "zone": rails_name(schedule.time_zone) or schedule.time_zone,
            "change_url": reverse("admin:policies_schedule_change", args=[schedule.pk]),
            "error": "",
            "file_name": "",
        }
        request.current_app = self.admin_site.name
        now = timezone.now()
        if request.method != "POST":
            return TemplateResponse(request, self.import_template, context)
        if "payload" in request.POST:
            return self._import_confirmed(request, schedule, context, now)
        upload = request.FILES.get("ics")
        if upload is None:
            context["error"] = "Choose an iCal (.ics) file to import."
            return TemplateResponse(request, self.import_template, context, status=400)
        today = timezone.localdate(now, ZoneInfo(schedule.time_zone))
        try:
            parsed = ical.parse_holidays(
                upload.read(ical.MAX_BYTES + 1),
                time_zone=schedule.time_zone,
                window=(today - HOLIDAY_WINDOW, today + HOLIDAY_WINDOW),
            )
        except ical.IcalError as error:
            context["error"] = f"{upload.name}: {error} Nothing was imported."
            return TemplateResponse(request, self.import_template, context, status=400)
        new, duplicates, invalid = _classify(schedule, parsed.holidays, now)
        context.update(
            file_name=upload.name,
            new=new,
            duplicates=duplicates,
            invalid=parsed.skipped + invalid,
            payload=_payload(new, schedule) if new else "",
        )
        return TemplateResponse(request, self.import_template, context)

    def _import_confirmed(
        self, request: HttpRequest, schedule: Schedule, context: dict[str, Any], now: datetime
    ) -> HttpResponse:
        try:
            found = _unpayload(request.POST["payload"], schedule)
        except (signing.BadSignature, KeyError, TypeError, ValueError):
            context["error"] = "The preview has expired or was altered; upload the file again."
            return TemplateResponse(request, self.import_template, context, status=400)
        # Checked again: holidays may have been added since the preview.
        new, duplicates, invalid = _classify(schedule, found, now)
        if new:
            services.holidays_add(schedule_id=schedule.pk, holidays=new)
            self.log_change(request, schedule, [{"changed": {"fields": ["holidays"]}}])
        text = f"Imported {len(new)} holiday{'s' if len(new) != 1 else ''}"
        if duplicates or invalid:
            text += f"; skipped {len(duplicates) + len(invalid)} already there or not valid"
        messages.success(request, f"{text}.")
        return HttpResponseRedirect(f"{context['change_url']}#holidays")

from django.urls import re_path

from policies.api import group_slas, schedules, views

ULID = r"[0-9A-HJKMNP-TV-Z]{26}"

# Every route answers with and without the `.json` suffix that Zendesk clients append (and with a
# trailing slash: slaweb.middleware).
urlpatterns = [
    re_path(r"^slas/policies(?:\.json)?$", views.PolicyListCreateApi.as_view(), name="policy-list"),
    re_path(
        r"^slas/policies/reorder(?:\.json)?$",
        views.PolicyReorderApi.as_view(),
        name="policy-reorder",
    ),
    re_path(
        r"^slas/policies/definitions(?:\.json)?$",
        views.PolicyDefinitionsApi.as_view(),
        name="policy-definitions",
    ),
    re_path(
        r"^slas/policies/(?P<policy_id>[0-9]{1,18})(?:\.json)?$",
        views.PolicyDetailApi.as_view(),
        name="policy-detail",
    ),
    re_path(
        r"^group_slas/policies(?:\.json)?$",
        group_slas.GroupSlaPolicyListCreateApi.as_view(),
        name="group-sla-policy-list",
    ),
    re_path(
        r"^group_slas/policies/reorder(?:\.json)?$",
        group_slas.GroupSlaPolicyReorderApi.as_view(),
        name="group-sla-policy-reorder",
    ),
    re_path(
        r"^group_slas/policies/definitions(?:\.json)?$",
        group_slas.GroupSlaPolicyDefinitionsApi.as_view(),
        name="group-sla-policy-definitions",
    ),
    re_path(
        rf"^group_slas/policies/(?P<policy_id>{ULID})(?:\.json)?$",
        group_slas.GroupSlaPolicyDetailApi.as_view(),
        name="group-sla-policy-detail",
    ),
    re_path(
        r"^business_hours/schedules(?:\.json)?$",
        schedules.ScheduleListCreateApi.as_view(),
        name="schedule-list",
    ),
    re_path(
        r"^business_hours/schedules/(?P<schedule_id>[0-9]{1,18})(?:\.json)?$",
        schedules.ScheduleDetailApi.as_view(),
        name="schedule-detail",
    ),
    re_path(
        r"^business_hours/schedules/(?P<schedule_id>[0-9]{1,18})/workweek(?:\.json)?$",
        schedules.ScheduleWorkweekApi.as_view(),
        name="schedule-workweek",
    ),
    re_path(
        r"^business_hours/schedules/(?P<schedule_id>[0-9]{1,18})/holidays(?:\.json)?$",
        schedules.HolidayListCreateApi.as_view(),
        name="holiday-list",
    ),
    re_path(
        r"^business_hours/schedules/(?P<schedule_id>[0-9]{1,18})/holidays/"
        r"(?P<holiday_id>[0-9]{1,18})(?:\.json)?$",
        schedules.HolidayDetailApi.as_view(),
        name="holiday-detail",
    ),
]

from django.urls import re_path

from tickets.api import (
    audits,
    backtest,
    brands,
    groups,
    impact,
    imports,
    jobs,
    metric_events,
    oauth_tokens,
    objectives,
    organizations,
    recomputes,
    reports,
    ticket_fields,
    ticket_metrics,
    tickets,
    users,
)
from tickets.notifications import api as notification_rules

ID = r"(?P<ticket_id>[0-9]{1,18})"

urlpatterns = [
    re_path(
        r"^slas/policies/impact(?:\.json)?$",
        impact.PolicyImpactApi.as_view(),
        name="policy-impact",
    ),
    re_path(r"^users(?:\.json)?$", users.UserListCreateApi.as_view(), name="user-list"),
    re_path(r"^users/me(?:\.json)?$", users.UserMeApi.as_view(), name="user-me"),
    re_path(
        r"^users/show_many(?:\.json)?$", users.UserShowManyApi.as_view(), name="user-show-many"
    ),
    re_path(r"^users/search(?:\.json)?$", users.UserSearchApi.as_view(), name="user-search"),
    re_path(
        r"^users/create_or_update(?:\.json)?$",
        users.UserCreateOrUpdateApi.as_view(),
        name="user-create-or-update",
    ),
    re_path(
        r"^users/(?P<user_id>[0-9]{1,18})(?:\.json)?$",
        users.UserDetailApi.as_view(),
        name="user-detail",
    ),
    re_path(
        r"^oauth/tokens(?:\.json)?$",
        oauth_tokens.OAuthTokenListCreateApi.as_view(),
        name="oauth-token-list",
    ),
    re_path(
        r"^oauth/tokens/current(?:\.json)?$",
        oauth_tokens.OAuthTokenCurrentApi.as_view(),
        name="oauth-token-current",
    ),
    re_path(
        r"^oauth/tokens/(?P<oauth_token_id>[0-9]{1,18})(?:\.json)?$",
        oauth_tokens.OAuthTokenDetailApi.as_view(),
        name="oauth-token-detail",
    ),
    re_path(r"^tickets(?:\.json)?$", tickets.TicketListCreateApi.as_view(), name="ticket-list"),
    re_path(
        r"^tickets/show_many(?:\.json)?$",
        tickets.TicketShowManyApi.as_view(),
        name="ticket-show-many",
    ),
    re_path(
        r"^tickets/create_many(?:\.json)?$",
        jobs.TicketCreateManyApi.as_view(),
        name="ticket-create-many",
    ),
    re_path(
        r"^tickets/update_many(?:\.json)?$",
        jobs.TicketUpdateManyApi.as_view(),
        name="ticket-update-many",
    ),
    re_path(rf"^tickets/{ID}(?:\.json)?$", tickets.TicketDetailApi.as_view(), name="ticket-detail"),
    re_path(
        rf"^tickets/{ID}/comments(?:\.json)?$",
        tickets.TicketCommentsApi.as_view(),
        name="ticket-comments",
    ),
    re_path(
        rf"^tickets/{ID}/audits(?:\.json)?$",
        audits.TicketAuditListApi.as_view(),
        name="ticket-audit-list",
    ),
    re_path(
        rf"^tickets/{ID}/audits/(?P<audit_id>[0-9]{{1,18}})(?:\.json)?$",
        audits.TicketAuditDetailApi.as_view(),
        name="ticket-audit-detail",
    ),
    re_path(
        rf"^tickets/{ID}/sla_explanation(?:\.json)?$",
        tickets.TicketSlaExplanationApi.as_view(),
        name="ticket-sla-explanation",
    ),
    re_path(
        rf"^tickets/{ID}/metrics(?:\.json)?$",
        ticket_metrics.TicketMetricOfTicketApi.as_view(),
        name="ticket-metrics-of-ticket",
    ),
    re_path(
        r"^ticket_metrics(?:\.json)?$",
        ticket_metrics.TicketMetricListApi.as_view(),
        name="ticket-metric-list",
    ),
    re_path(
        r"^ticket_metrics/(?P<ticket_metric_id>[0-9]{1,18})(?:\.json)?$",
        ticket_metrics.TicketMetricDetailApi.as_view(),
        name="ticket-metric-detail",
    ),
    re_path(
        r"^slas/recomputes(?:\.json)?$",
        recomputes.RecomputeListApi.as_view(),
        name="recompute-list",
    ),
    re_path(
        r"^slas/recomputes/(?P<recompute_id>[0-9]{1,18})(?:\.json)?$",
        recomputes.RecomputeDetailApi.as_view(),
        name="recompute-detail",
    ),
    re_path(
        r"^slas/notification_rules(?:\.json)?$",
        notification_rules.NotificationRuleListCreateApi.as_view(),
        name="notification-rule-list",
    ),
    re_path(
        r"^slas/notification_rules/(?P<rule_id>[0-9]{1,18})(?:\.json)?$",
        notification_rules.NotificationRuleDetailApi.as_view(),
        name="notification-rule-detail",
    ),
    re_path(r"^slas/reports(?:\.json)?$", reports.SlaReportApi.as_view(), name="sla-report"),
    re_path(r"^slas/backtest(?:\.json)?$", backtest.SlaBacktestApi.as_view(), name="sla-backtest"),
    re_path(r"^slas/reports\.csv$", reports.SlaReportCsvApi.as_view(), name="sla-report-csv"),
    re_path(
        r"^slas/objectives(?:\.json)?$",
        objectives.ObjectiveListCreateApi.as_view(),
        name="objective-list",
    ),
    re_path(
        r"^slas/objectives/(?P<objective_id>[0-9]{1,18})(?:\.json)?$",
        objectives.ObjectiveDetailApi.as_view(),
        name="objective-detail",
    ),
    re_path(
        r"^incremental/ticket_metric_events(?:\.json)?$",
        metric_events.TicketMetricEventsApi.as_view(),
        name="ticket-metric-events",
    ),
    re_path(
        r"^imports/tickets(?:\.json)?$", imports.TicketImportApi.as_view(), name="ticket-import"
    ),
    re_path(
        r"^imports/tickets/create_many(?:\.json)?$",
        imports.TicketBulkImportApi.as_view(),
        name="ticket-import-many",
    ),
    re_path(
        r"^ticket_fields(?:\.json)?$",
        ticket_fields.TicketFieldListCreateApi.as_view(),
        name="ticket-field-list",
    ),
    re_path(
        r"^ticket_fields/(?P<ticket_field_id>[0-9]{1,18})(?:\.json)?$",
        ticket_fields.TicketFieldDetailApi.as_view(),
        name="ticket-field-detail",
    ),
    re_path(
        r"^ticket_fields/(?P<ticket_field_id>[0-9]{1,18})/options(?:\.json)?$",
        ticket_fields.TicketFieldOptionListCreateApi.as_view(),
        name="ticket-field-option-list",
    ),
    re_path(
        r"^ticket_fields/(?P<ticket_field_id>[0-9]{1,18})/options/(?P<option_id>[0-9]{1,18})"
        r"(?:\.json)?$",
        ticket_fields.TicketFieldOptionDetailApi.as_view(),
        name="ticket-field-option-detail",
    ),
    re_path(r"^groups(?:\.json)?$", groups.GroupListCreateApi.as_view(), name="group-list"),
    re_path(
        r"^groups/(?P<group_id>[0-9]{1,18})(?:\.json)?$",
        groups.GroupDetailApi.as_view(),
        name="group-detail",
    ),
    re_path(
        r"^organizations(?:\.json)?$",
        organizations.OrganizationListCreateApi.as_view(),
        name="organization-list",
    ),
    re_path(
        r"^organizations/(?P<organization_id>[0-9]{1,18})(?:\.json)?$",
        organizations.OrganizationDetailApi.as_view(),
        name="organization-detail",
    ),
    re_path(r"^brands(?:\.json)?$", brands.BrandListCreateApi.as_view(), name="brand-list"),
    re_path(
        r"^brands/(?P<brand_id>[0-9]{1,18})(?:\.json)?$",
        brands.BrandDetailApi.as_view(),
        name="brand-detail",
    ),
    re_path(r"^job_statuses(?:\.json)?$", jobs.JobStatusListApi.as_view(), name="job-status-list"),
    re_path(
        r"^job_statuses/show_many(?:\.json)?$",
        jobs.JobStatusShowManyApi.as_view(),
        name="job-status-show-many",
    ),
    re_path(
        r"^job_statuses/(?P<job_status_id>[A-Za-z0-9]{1,64})(?:\.json)?$",
        jobs.JobStatusDetailApi.as_view(),
        name="job-status-detail",
    ),
]

from __future__ import annotations

from collections.abc import Iterator
from functools import partial
from typing import TYPE_CHECKING, Any, Literal, TypeVar

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.views.main import ORDER_VAR, ChangeList
from django.contrib.auth.models import Group as PermissionGroup
from django.db import models
from django.db.models import Exists, F, Model, QuerySet
from django.http import HttpRequest, HttpResponse
from django.template.loader import render_to_string
from django.urls import URLPattern, path, reverse
from django.utils import timezone
from django.utils.html import format_html

from policies.engine.vocabulary import METRIC_TITLES, Metric, Priority
from policies.models import GROUP_OWNERSHIP_TIME, metric_title
from slaweb.forms import JSONField
from tickets import services
from tickets.admin.ticket_page import (
    CATEGORY_TITLES,
    attach_badge_data,
    js_time,
    sla_poll_view,
    status_label,
    ticket_badge,
    ticket_page_view,
    viewer_zone,
)
from tickets.custom_statuses import (
    CustomStatusRefused,
    custom_status_check,
    custom_status_create,
    custom_status_update,
    custom_statuses,
)
from tickets.models import (
    OPEN_STATUSES,
    ApiToken,
    CustomField,
    CustomStatus,
    ServiceLevelObjective,
    SlaNotification,
    SlaRecompute,
    SupportAddress,
    Ticket,
    TicketForm,
    TicketMetricEvent,
)
from tickets.models.objectives import ONE_POLICY
from tickets.objective_inputs import NO_POLICY, ObjectiveInputSerializer
from tickets.objectives import objective_create, objective_delete, objective_update
from tickets.selectors import (
    QUEUE_SECTION,
    QUEUE_SECTION_KEYS,
    QUEUE_SECTION_TITLES,
    breached_targets,
    queue_order,
    queue_section_counts,
    tickets_of_agent_groups,
    with_queue_section,
)

if TYPE_CHECKING:
    from django.contrib.admin.filters import _ListFilterChoices

# Roles, not Django's permission groups, decide what people may do; `Group` here is the
# support team a ticket is assigned to.
admin.site.unregister(PermissionGroup)


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin[ApiToken]):
    """Tokens are created here and shown once; deleting one revokes it."""

    list_display = ["prefix", "user", "description", "created_at", "last_used_at"]
    list_select_related = ["user"]
    search_fields = ["user__email", "description"]
    fields = ["user", "description"]
    readonly_fields = []

    def has_change_permission(self, request: HttpRequest, obj: ApiToken | None = None) -> bool:
        return False

    def save_model(self, request: HttpRequest, obj: ApiToken, form: Any, change: bool) -> None:
        token = services.api_token_create(user=obj.user, description=obj.description)
        created = ApiToken.objects.get(token_hash=ApiToken.hash(token))
        obj.pk = created.pk
        messages.warning(
            request,
            f"API token for {obj.user.email}: {token} — copy it now, it will not be shown again.",
        )


@admin.register(TicketForm)
class TicketFormAdmin(admin.ModelAdmin[TicketForm]):
    list_display = ["name", "position", "active"]


@admin.register(CustomField)
class CustomFieldAdmin(admin.ModelAdmin[CustomField]):
    formfield_overrides = {models.JSONField: {"form_class": JSONField}}
    list_display = ["title", "owner", "key", "type"]
    list_filter = ["owner", "type"]


class CustomStatusForm(forms.ModelForm[CustomStatus]):
    """Checked by the rules the API's writes follow, each error beside its field."""

    class Meta:
        model = CustomStatus
        fields = [
            "status_category",
            "agent_label",
            "end_user_label",
            "description",
            "end_user_description",
            "active",
            "default",
        ]
        help_texts = {
            "status_category": "Fixed once the status exists: SLA metrics follow it.",
            "agent_label": "At most 48 characters.",
            "end_user_label": "At most 48 characters; blank: the agent label.",
            "default": "The status a ticket gets when it is given only the category. Each "
            "category has one, always active; making this one the default replaces it.",
        }

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if self.errors:
            return data
        existing = self.instance if self.instance.pk else None
        names = [n for n in self.Meta.fields if n in data and n in self.fields]
        values = {name: data[name] for name in names}
        if existing is not None and values.get("default") is False and not existing.default:
            values.pop("default")
        try:
            custom_status_check(status=existing, data=values)
        except CustomStatusRefused as error:
            self.add_error(error.field if error.field in self.fields else None, str(error))
        self.validated = values
        return data


@admin.register(CustomStatus)
class CustomStatusAdmin(admin.ModelAdmin[CustomStatus]):
    """Written through tickets.custom_statuses, the API's code path. No delete, as in Zendesk:
    tickets keep their statuses; deactivate one instead."""

    form = CustomStatusForm
    list_display = ["agent_label", "status_category", "end_user_label", "active", "default"]
    list_filter = ["status_category", "active"]

    def get_queryset(self, request: HttpRequest) -> QuerySet[CustomStatus]:
        return custom_statuses()

    def get_ordering(self, request: HttpRequest) -> list[Any]:
        return ["category_rank", "id"]  # workflow order, annotated by custom_statuses()

    def get_readonly_fields(
        self, request: HttpRequest, obj: CustomStatus | None = None
    ) -> list[str]:
        return ["status_category"] if obj is not None else []

    def has_delete_permission(self, request: HttpRequest, obj: CustomStatus | None = None) -> bool:
        return False

    def save_model(self, request: HttpRequest, obj: CustomStatus, form: Any, change: bool) -> None:
        now = timezone.now()
        if change:
            saved = custom_status_update(custom_status_id=obj.pk, data=form.validated, now=now)
        else:
            saved = custom_status_create(data=form.validated, now=now)
        obj.pk = saved.pk


@admin.register(SupportAddress)
class SupportAddressAdmin(admin.ModelAdmin[SupportAddress]):
    list_display = ["email", "name", "brand"]
    list_select_related = ["brand"]


_ModelT = TypeVar("_ModelT", bound=Model)


class ReadOnlyAdmin(admin.ModelAdmin[_ModelT]):
    """Records written only by slaweb itself: visible here, changed only through services."""

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: _ModelT | None = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: _ModelT | None = None) -> bool:
        return False


class _NamedDefaultFilter(admin.SimpleListFilter):
    """A filter whose "nothing chosen" choice says what it then shows (`unfiltered`)."""

    unfiltered = "All"

    def choices(self, changelist: ChangeList) -> Iterator[_ListFilterChoices]:
        name = str(self.parameter_name)
        yield {
            "selected": self.value() is None,
            "query_string": changelist.get_query_string(remove=[name]),
            "display": self.unfiltered,
        }
        for lookup, title in self.lookup_choices:
            yield {
                "selected": self.value() == lookup,
                "query_string": changelist.get_query_string({name: lookup}),
                "display": title,
            }


class OpenStatusFilter(_NamedDefaultFilter):
    """The queue shows open tickets (new, open, pending, on-hold) unless asked otherwise."""

    title = "status"
    parameter_name = "status"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
        return [("all", "All"), *[(s, s.capitalize()) for s in ("solved", "closed")]]

    unfiltered = "Open (new, open, pending, on-hold)"

    def queryset(self, request: HttpRequest, queryset: QuerySet[Ticket]) -> QuerySet[Ticket]:
        value = self.value()
        if value is None:
            # A list of ids (the policy impact preview links here) shows them whatever status.
            if "id__in" in request.GET:
                return queryset
            return queryset.filter(status__in=OPEN_STATUSES)
        if value == "all":
            return queryset
        return queryset.filter(status=value)


class BreachedFilter(admin.SimpleListFilter):
    title = "breached"
    parameter_name = "breached"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
        return [("yes", "Breached"), ("no", "Not breached")]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Ticket]) -> QuerySet[Ticket]:
        breached = breached_targets(now=timezone.now())
        if self.value() == "yes":
            return queryset.filter(Exists(breached))
        if self.value() == "no":
            return queryset.exclude(Exists(breached))
        return queryset


class ViewFilter(_NamedDefaultFilter):
    """All tickets, the signed-in agent's own, or their groups'. Shown as tabs above the list."""

    title = "view"
    parameter_name = "view"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
        return [("mine", "My tickets"), ("groups", "My groups")]

    unfiltered = "All tickets"

    def queryset(self, request: HttpRequest, queryset: QuerySet[Ticket]) -> QuerySet[Ticket]:
        user_id = request.user.pk
        if self.value() == "mine":
            return queryset.filter(assignee_id=user_id)
        if self.value() == "groups" and user_id is not None:
            return tickets_of_agent_groups(queryset, user_id)
        return queryset


class SectionFilter(admin.SimpleListFilter):
    """One section of the agent home: breaching next, already breached, or not running."""

    title = "SLA"
    parameter_name = "sla"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
        return [(QUEUE_SECTION_KEYS[s], title) for s, title in QUEUE_SECTION_TITLES.items()]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Ticket]) -> QuerySet[Ticket]:
        sections = {key: section for section, key in QUEUE_SECTION_KEYS.items()}
        value = self.value()
        if value in sections:
            return queryset.filter(**{QUEUE_SECTION: sections[value]})
        return queryset


class PolicyFilter(admin.RelatedOnlyFieldListFilter):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.title = "SLA policy"


class QueueChangeList(ChangeList):
    """The agent home: the queue in sections, with the views as tabs and each section's count.

    Each ticket on the page gets `queue_badge` (its badge, with a tooltip in the viewer's
    zone) and `queue_heading` (the section title on the first ticket of each section)."""

    def get_results(self, request: HttpRequest) -> None:
        super().get_results(request)
        tickets = list(self.result_list)
        self.result_list = tickets
        attach_badge_data(tickets)
        now, zone = timezone.now(), viewer_zone(request.user)
        previous = None
        for ticket in tickets:
            ticket.queue_badge = ticket_badge(ticket, now, zone)
            section = ticket.queue_section
            heading = QUEUE_SECTION_TITLES[section] if section != previous else None
            ticket.queue_heading = heading
            previous = section
        self.row_headings = [t.queue_heading for t in tickets]
        # Counted over the other filters, so every section's link says what it would show.
        unsectioned = self.get_queryset(request, exclude_parameters=["sla"])
        counts = queue_section_counts(unsectioned)
        chosen = self.params.get("sla")
        self.section_links = [
            {
                "key": QUEUE_SECTION_KEYS[section],
                "title": title,
                "count": counts[section],
                "selected": chosen == QUEUE_SECTION_KEYS[section],
                "query_string": self.get_query_string({"sla": QUEUE_SECTION_KEYS[section]}),
            }
            for section, title in QUEUE_SECTION_TITLES.items()
        ]
        self.all_sections_query_string = self.get_query_string(remove=["sla"])
        views = [spec for spec in self.filter_specs if isinstance(spec, ViewFilter)]
        self.view_tabs = list(views[0].choices(self)) if views else []
        # The filters beside the view tabs and the sections, which have their own controls.
        tabbed = {ViewFilter.parameter_name, SectionFilter.parameter_name}
        others = [name for name in self.get_filters_params() if name not in tabbed]
        self.other_filters_active = bool(others)
        self.clear_other_filters_qs = self.get_query_string(remove=others)

    def get_ordering_field_columns(self) -> dict[int, Literal["desc", "asc"]]:
        # The default order is an expression the admin cannot map to a column: mark the badges.
        if ORDER_VAR not in self.params:
            return {self.list_display.index("sla"): "asc"}
        return super().get_ordering_field_columns()


# Sorting by the badge column: the soonest deadline of a running target, already breached ones
# included (spec §4.3: most breached first); tickets with nothing running last. The default
# order is the agent home's sections instead (tickets.selectors.queue_order).
NEXT_SLA = F("sla_due_at").asc(nulls_last=True)


@admin.register(Ticket)
class TicketAdmin(admin.ModelAdmin[Ticket]):
    """The agent queue (the change list) and the ticket page (the change view).

    Tickets are written only through tickets.services, the API's code path: the ticket page's
    form calls ticket_update; there is no add or delete here.
    """

    list_display = [
        "id",
        "subject_link",
        "sla",
        "status_name",
        "priority",
        "requester_name",
        "assignee_name",
        "group",
        "sla_policy",
    ]
    list_display_links = None
    list_filter = [
        ViewFilter,
        SectionFilter,
        OpenStatusFilter,
        "group",
        ("assignee", admin.RelatedOnlyFieldListFilter),
        "priority",
        ("sla_policy", PolicyFilter),
        BreachedFilter,
    ]
    list_select_related = ["requester", "assignee", "group", "sla_policy", "custom_status"]
    search_fields = ["subject", "requester__email"]
    ordering = ["id"]
    list_per_page = 50
    change_list_template = "admin/tickets/ticket/change_list.html"

    def get_queryset(self, request: HttpRequest) -> QuerySet[Ticket]:
        # Without the carried states (see ticket_rows): the queue never shows them.
        queryset = super().get_queryset(request).defer("sla_state", "metrics_state")
        return with_queue_section(queryset, now=timezone.now())

    def get_changelist(self, request: HttpRequest, **kwargs: Any) -> type[ChangeList]:
        return QueueChangeList

    def get_ordering(self, request: HttpRequest) -> list[Any]:
        # Here rather than in `ordering`, whose system check knows only model fields.
        return queue_order()

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Ticket | None = None) -> bool:
        return False

    def get_urls(self) -> list[URLPattern]:
        poll = self.admin_site.admin_view(partial(sla_poll_view, self))
        return [path("sla/", poll, name="tickets_ticket_sla"), *super().get_urls()]

    def change_view(
        self,
        request: HttpRequest,
        object_id: str,
        form_url: str = "",
        extra_context: dict[str, Any] | None = None,
    ) -> HttpResponse:
        return ticket_page_view(self, request, object_id, extra_context)

    def changelist_view(
        self, request: HttpRequest, extra_context: dict[str, Any] | None = None
    ) -> HttpResponse:
        context = {
            "title": "Agent home",
            "poll_url": reverse("admin:tickets_ticket_sla"),
            "now_iso": js_time(timezone.now()),
            **(extra_context or {}),
        }
        return super().changelist_view(request, context)

    @admin.display(description="subject", ordering="subject")
    def subject_link(self, ticket: Ticket) -> str:
        url = reverse("admin:tickets_ticket_change", args=[ticket.pk])
        return format_html('<a href="{}">{}</a>', url, ticket.subject or f"Ticket #{ticket.pk}")

    @admin.display(description="next SLA breach", ordering=NEXT_SLA)
    def sla(self, ticket: Ticket) -> str:
        # QueueChangeList gives each ticket its badge, all with one `now` and the viewer's zone.
        badge = getattr(ticket, "queue_badge", None)
        if badge is None and not hasattr(ticket, "queue_badge"):
            badge = ticket_badge(ticket, timezone.now())
        return render_to_string(
            "admin/tickets/ticket/_sla_badge.html", {"badge": badge, "ticket_id": ticket.pk}
        )

    # The custom status's label, with its category on hover.
    @admin.display(description="status", ordering="status")
    def status_name(self, ticket: Ticket) -> str:
        category = CATEGORY_TITLES.get(ticket.status, ticket.status)
        label = status_label(ticket)
        if label == category:
            return category
        assert ticket.custom_status is not None  # a label other than the category's is its own
        return format_html(
            '<span title="Status category: {}">{}</span>',
            category,
            ticket.custom_status.agent_label,
        )

    @admin.display(description="requester", ordering="requester__name")
    def requester_name(self, ticket: Ticket) -> str:
        return ticket.requester.name or ticket.requester.email or "-"

    @admin.display(description="assignee", ordering="assignee__name")
    def assignee_name(self, ticket: Ticket) -> str:
        return ticket.assignee.name if ticket.assignee else "-"


# Shown, and read-only: a tuple fits both attributes' types.
_RECOMPUTE_PART_FIELDS = (
    "status",
    "last_ticket_id",
    "until_ticket_id",
    "done",
    "total",
    "changed",
    "error",
)


class SlaRecomputePartInline(admin.TabularInline[SlaRecompute, SlaRecompute]):
    model = SlaRecompute
    fk_name = "parent"
    verbose_name = "part"
    fields = _RECOMPUTE_PART_FIELDS
    readonly_fields = _RECOMPUTE_PART_FIELDS
    extra = 0
    can_delete = False

    def has_add_permission(self, request: HttpRequest, obj: SlaRecompute | None = None) -> bool:
        return False


@admin.register(SlaRecompute)
class SlaRecomputeAdmin(ReadOnlyAdmin[SlaRecompute]):
    list_display = ["id", "reason", "status", "progress", "changed", "effective_at", "finished_at"]
    list_filter = ["reason", "status"]
    inlines = [SlaRecomputePartInline]

    def get_queryset(self, request: HttpRequest) -> QuerySet[SlaRecompute]:
        # Parts show on their run's page.
        return super().get_queryset(request).filter(parent__isnull=True)

    @admin.display(description="progress")
    def progress(self, run: SlaRecompute) -> str:
        return f"{run.done} / {run.total}"


@admin.register(TicketMetricEvent)
class TicketMetricEventAdmin(ReadOnlyAdmin[TicketMetricEvent]):
    list_display = ["id", "ticket_id", "metric", "instance_id", "type", "time", "deleted"]
    list_filter = ["type", "metric", "deleted"]
    search_fields = ["ticket_id"]


# The whole row, read-only (a tuple fits both attributes' types).
_NOTIFICATION_FIELDS = (
    "ticket",
    "objective",
    "episode_ended_at",
    "metric",
    "instance_id",
    "kind",
    "rule",
    "policy",
    "status",
    "attempts",
    "breach_at",
    "fire_at",
    "next_attempt_at",
    "queued_at",
    "delivered_at",
    "last_error",
    "payload",
    "created_at",
    "updated_at",
)


@admin.register(SlaNotification)
class SlaNotificationAdmin(ReadOnlyAdmin[SlaNotification]):
    """The delivery log: every scheduled, sent, retried, failed or cancelled notification."""

    list_display = [
        "id",
        "ticket_id",
        "objective_id",
        "metric",
        "instance_id",
        "kind",
        "rule",
        "status",
        "attempts",
        "fire_at",
        "next_attempt_at",
        "delivered_at",
        "short_error",
    ]
    list_filter = ["status", "kind", ("rule", admin.RelatedOnlyFieldListFilter)]
    list_select_related = ["rule"]
    search_fields = ["ticket__id"]
    date_hierarchy = "fire_at"
    fields = _NOTIFICATION_FIELDS
    readonly_fields = _NOTIFICATION_FIELDS

    @admin.display(description="last error")
    def short_error(self, row: SlaNotification) -> str:
        return row.last_error if len(row.last_error) <= 80 else row.last_error[:79] + "…"


class ServiceLevelObjectiveForm(forms.ModelForm[ServiceLevelObjective]):
    """Validated by the API's input serializer, so both refuse exactly the same objectives."""

    metric = forms.ChoiceField(
        choices=[("", "All metrics")]
        + [(m.value, METRIC_TITLES[m]) for m in Metric]
        + [(GROUP_OWNERSHIP_TIME, metric_title(GROUP_OWNERSHIP_TIME))],
        required=False,
    )
    priority = forms.ChoiceField(
        choices=[("", "All priorities")] + [(p.value, p.value.capitalize()) for p in Priority],
        required=False,
    )

    class Meta:
        model = ServiceLevelObjective
        fields = [
            "title",
            "policy",
            "group_policy",
            "metric",
            "priority",
            "target_rate",
            "window_days",
        ]
        help_texts = {
            "policy": "An SLA policy's targets, or leave empty and choose a group SLA policy",
            "group_policy": "A group SLA policy's group ownership time, instead of an SLA policy",
            "target_rate": "Percent of settled targets achieved, above 0 and below 100",
            "window_days": "The rolling window, 1 to 365 days",
        }

    def clean(self) -> dict[str, Any]:
        super().clean()
        data = self.cleaned_data
        if self.errors:
            return data
        group_policy = data.get("group_policy")
        serializer = ObjectiveInputSerializer(
            data={
                "title": data.get("title") or "",
                "policy_id": data["policy"].pk if data.get("policy") else None,
                "group_sla_policy_id": group_policy.pk if group_policy else None,
                "metric": data.get("metric") or None,
                "priority": data.get("priority") or None,
                "target_rate": data.get("target_rate"),
                "window_days": data.get("window_days"),
            }
        )
        if not serializer.is_valid():
            names = {"policy_id": "policy", "group_sla_policy_id": "group_policy"}
            for name, problems in serializer.errors.items():
                field = names.get(name, name)
                # The API names its keys; the form, the choices beside this message.
                words = [ONE_POLICY if p == NO_POLICY else p for p in problems]
                self.add_error(field if field in self.fields else None, words)
            return data
        self.validated = dict(serializer.validated_data)
        return data


@admin.register(ServiceLevelObjective)
class ServiceLevelObjectiveAdmin(admin.ModelAdmin[ServiceLevelObjective]):
    """Writes go through tickets.objectives; the rate and budget are on the SLA dashboard."""

    form = ServiceLevelObjectiveForm
    list_display = [
        "title",
        "policy",
        "group_policy",
        "metric",
        "priority",
        "target_rate",
        "window_days",
    ]
    list_select_related = ["policy", "group_policy"]
    list_filter = ["policy", "group_policy"]
    search_fields = ["title"]

    def save_model(
        self, request: HttpRequest, obj: ServiceLevelObjective, form: Any, change: bool
    ) -> None:
        now = timezone.now()
        if change:
            saved = objective_update(objective_id=obj.pk, data=form.validated, now=now)
        else:
            saved = objective_create(data=form.validated, now=now)
        obj.pk = saved.pk

    def delete_model(self, request: HttpRequest, obj: ServiceLevelObjective) -> None:
        objective_delete(objective_id=obj.pk)

    def delete_queryset(
        self, request: HttpRequest, queryset: QuerySet[ServiceLevelObjective]
    ) -> None:
        for pk in queryset.values_list("pk", flat=True):
            objective_delete(objective_id=pk)

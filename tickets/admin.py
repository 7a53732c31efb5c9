from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.http import HttpRequest

from tickets import services
from tickets.models import (
    ApiToken,
    Brand,
    CustomField,
    CustomStatus,
    Group,
    Organization,
    SlaRecompute,
    SupportAddress,
    Ticket,
    TicketAudit,
    TicketField,
    TicketFieldOption,
    TicketForm,
    TicketMetricEvent,
    TicketSlaTarget,
    User,
)


class UserAdminForm(forms.ModelForm):
    password1 = forms.CharField(
        label="New password",
        required=False,
        widget=forms.PasswordInput,
        help_text="Leave empty to keep the current password.",
    )

    class Meta:
        model = User
        fields = [
            "name",
            "email",
            "role",
            "organization",
            "default_group",
            "time_zone",
            "active",
            "user_fields",
        ]


@admin.register(User)
class UserAdmin(admin.ModelAdmin):
    form = UserAdminForm
    list_display = ["name", "email", "role", "organization", "active"]
    list_filter = ["role", "active"]
    search_fields = ["name", "email"]
    list_select_related = ["organization"]

    def save_model(self, request: HttpRequest, obj: User, form: Any, change: bool) -> None:
        data = {name: form.cleaned_data[name] for name in form.Meta.fields}
        data["organization_id"] = data.pop("organization").pk if data["organization"] else None
        group = data.pop("default_group")
        data["default_group_id"] = group.pk if group else None
        password = form.cleaned_data.get("password1") or None
        if change:
            data["password"] = password
            saved = services.user_update(user_id=obj.pk, data=data)
        else:
            saved = services.user_create(password=password, **data)
        obj.pk = saved.pk


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    """Tokens are created here and shown once; deleting one revokes it."""

    list_display = ["prefix", "user", "description", "created_at", "last_used_at"]
    list_select_related = ["user"]
    search_fields = ["user__email", "description"]
    fields = ["user", "description"]
    readonly_fields: list[str] = []

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def save_model(self, request: HttpRequest, obj: ApiToken, form: Any, change: bool) -> None:
        token = services.api_token_create(user=obj.user, description=obj.description)
        created = ApiToken.objects.get(token_hash=ApiToken.hash(token))
        obj.pk = created.pk
        messages.warning(
            request,
            f"API token for {obj.user.email}: {token} — copy it now, it will not be shown again.",
        )


@admin.register(Group)
class GroupAdmin(admin.ModelAdmin):
    list_display = ["name", "description"]
    search_fields = ["name"]
    filter_horizontal = ["agents"]

    def formfield_for_manytomany(self, db_field: Any, request: HttpRequest, **kwargs: Any) -> Any:
        if db_field.name == "agents":
            kwargs["queryset"] = User.objects.filter(role__in=["agent", "admin"])
        return super().formfield_for_manytomany(db_field, request, **kwargs)


@admin.register(Organization)
class OrganizationAdmin(admin.ModelAdmin):
    list_display = ["name", "created_at"]
    search_fields = ["name"]


@admin.register(Brand)
class BrandAdmin(admin.ModelAdmin):
    list_display = ["name", "subdomain", "active"]


@admin.register(TicketForm)
class TicketFormAdmin(admin.ModelAdmin):
    list_display = ["name", "position", "active"]


class TicketFieldOptionInline(admin.TabularInline):
    model = TicketFieldOption
    extra = 1


@admin.register(TicketField)
class TicketFieldAdmin(admin.ModelAdmin):
    list_display = ["title", "type", "position", "active"]
    list_filter = ["type", "active"]
    inlines = [TicketFieldOptionInline]


@admin.register(CustomField)
class CustomFieldAdmin(admin.ModelAdmin):
    list_display = ["title", "owner", "key", "type"]
    list_filter = ["owner", "type"]


@admin.register(CustomStatus)
class CustomStatusAdmin(admin.ModelAdmin):
    list_display = ["agent_label", "status_category", "active", "default"]
    list_filter = ["status_category", "active"]


@admin.register(SupportAddress)
class SupportAddressAdmin(admin.ModelAdmin):
    list_display = ["email", "name", "brand"]
    list_select_related = ["brand"]


class ReadOnlyAdmin(admin.ModelAdmin):
    """Records written only by slaweb itself: visible here, changed only through services."""

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class SlaTargetInline(admin.TabularInline):
    model = TicketSlaTarget
    fields = [
        "metric",
        "instance_id",
        "stage",
        "target_seconds",
        "business_hours",
        "activated_at",
        "breach_at",
        "breached",
        "fulfilled_at",
        "paused_seconds",
    ]
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class AuditInline(admin.TabularInline):
    model = TicketAudit
    fields = ["created_at", "author", "via_id", "comment", "revision"]
    readonly_fields = fields
    extra = 0
    can_delete = False
    ordering = ["created_at", "id"]

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Ticket)
class TicketAdmin(ReadOnlyAdmin):
    list_display = [
        "id",
        "subject",
        "status",
        "priority",
        "requester",
        "assignee",
        "group",
        "sla_policy",
        "next_breach_at",
    ]
    list_filter = ["status", "priority", "group", "sla_policy"]
    list_select_related = ["requester", "assignee", "group", "sla_policy"]
    search_fields = ["subject", "requester__email"]
    ordering = ["next_breach_at", "id"]
    inlines = [SlaTargetInline, AuditInline]


@admin.register(SlaRecompute)
class SlaRecomputeAdmin(ReadOnlyAdmin):
    list_display = ["id", "reason", "status", "progress", "changed", "effective_at", "finished_at"]
    list_filter = ["reason", "status"]

    @admin.display(description="progress")
    def progress(self, run: SlaRecompute) -> str:
        return f"{run.done} / {run.total}"


@admin.register(TicketMetricEvent)
class TicketMetricEventAdmin(ReadOnlyAdmin):
    list_display = ["id", "ticket_id", "metric", "instance_id", "type", "time", "deleted"]
    list_filter = ["type", "metric", "deleted"]
    search_fields = ["ticket_id"]

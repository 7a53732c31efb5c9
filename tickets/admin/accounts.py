"""The account's pages: users, groups, organizations, brands and ticket fields.

Saves and deletes go through the services the API calls, so both refuse the same things. What
a service refuses (a name just taken, the account's last admin, a record still in use) is shown
on the page, never a failure: a form comes back with what the admin typed, a delete page lists
what still uses the record instead of offering to delete it.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, TypeVar, cast

from django import forms
from django.contrib import admin, messages
from django.db import transaction
from django.db.models import Model, QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.utils.text import capfirst

from slaweb.forms import JSONObjectField, RecordsField
from tickets import account_services, services
from tickets.models import Brand, Group, Organization, TicketField, TicketFieldOption, User
from tickets.refusals import WriteRefused

M = TypeVar("M", bound=Model)


class _ShowsRefusal(forms.BaseForm):
    """A form that shows a service's refusal of what it was submitted with, beside the
    form's field for the service's key (`field_of`) or above the form."""

    refusal: WriteRefused
    field_of: dict[str, str]

    def clean(self) -> dict[str, Any]:
        data = cast(dict[str, Any], super().clean())
        field = self.field_of.get(self.refusal.field, self.refusal.field)
        if field in self.fields:
            self.add_error(field, str(self.refusal))
        else:
            self.add_error(None, self.refusal.description)
        return data


class ServiceWrites(admin.ModelAdmin[M]):
    """Writes through the account's services. Subclasses name what still uses a record
    (`uses`) and how it is deleted (`delete_record`); saves are theirs to route."""

    # The form's field for a service's key, where their names differ.
    refusal_fields: dict[str, str] = {}
    delete_confirmation_template = "admin/tickets/in_use_delete_confirmation.html"
    delete_selected_confirmation_template = "admin/tickets/in_use_delete_selected_confirmation.html"

    def uses(self, pk: int) -> list[str]:
        raise NotImplementedError

    def delete_record(self, pk: int) -> None:
        raise NotImplementedError

    def changeform_view(
        self,
        request: HttpRequest,
        object_id: str | None = None,
        form_url: str = "",
        extra_context: dict[str, Any] | None = None,
    ) -> HttpResponse:
        try:
            return super().changeform_view(request, object_id, form_url, extra_context)
        except WriteRefused as refusal:
            # The write rolled back: the same submission again, its form showing the refusal.
            request.service_refusal = refusal  # type: ignore[attr-defined]
            return super().changeform_view(request, object_id, form_url, extra_context)

    def get_form(
        self, request: HttpRequest, obj: M | None = None, change: bool = False, **kwargs: Any
    ) -> Any:
        form = super().get_form(request, obj, change, **kwargs)
        refusal = getattr(request, "service_refusal", None)
        if refusal is None:
            return form
        shows = {"refusal": refusal, "field_of": self.refusal_fields}
        return type(form.__name__, (_ShowsRefusal, form), shows)

    def get_deleted_objects(
        self, objs: Sequence[M] | QuerySet[M], request: HttpRequest
    ) -> tuple[list[Any], dict[str, int], set[str], list[Any]]:
        """The records themselves (what they own goes with them or stays, as the service
        decides), or, while anything still uses one, what does."""
        chosen = list(objs)
        name = str(capfirst(self.opts.verbose_name))
        protected = [f"{name} “{obj}”: {use}" for obj in chosen for use in self.uses(obj.pk)]
        perms_needed = set() if self.has_delete_permission(request) else {name}
        listed = [f"{name}: {obj}" for obj in chosen]
        return listed, {str(self.opts.verbose_name_plural): len(chosen)}, perms_needed, protected

    def delete_model(self, request: HttpRequest, obj: M) -> None:
        self.delete_record(obj.pk)

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[M]) -> None:
        for pk in list(queryset.values_list("pk", flat=True)):  # all or none: see changelist_view
            self.delete_record(pk)

    def delete_view(
        self, request: HttpRequest, object_id: str, extra_context: dict[str, Any] | None = None
    ) -> HttpResponse:
        try:
            return super().delete_view(request, object_id, extra_context)
        except WriteRefused as refusal:
            # Something started using the record since the page was shown: it shows that now.
            self.message_user(request, refusal.description, messages.ERROR)
            return HttpResponseRedirect(request.get_full_path())

    def changelist_view(
        self, request: HttpRequest, extra_context: dict[str, Any] | None = None
    ) -> HttpResponse:
        try:
            # One transaction: a refused bulk delete also takes back the history entries
            # Django writes before deleting.
            with transaction.atomic():
                return super().changelist_view(request, extra_context)
        except WriteRefused as refusal:
            self.message_user(request, refusal.description, messages.ERROR)
            return HttpResponseRedirect(request.get_full_path())


class UserAdminForm(forms.ModelForm[User]):
    password1 = forms.CharField(
        label="New password",
        required=False,
        strip=False,
        widget=forms.PasswordInput,
        help_text="Leave empty to keep the current password.",
    )
    user_fields = JSONObjectField(required=False, help_text="A JSON object; empty for none.")

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
        help_texts = {
            "time_zone": "An IANA name (Europe/Berlin) or Zendesk's (Eastern Time (US & Canada))",
        }


@admin.register(User)
class UserAdmin(ServiceWrites[User]):
    """Users are deactivated, not deleted (as the API's delete does); the last active admin
    keeps the role."""

    form = UserAdminForm
    refusal_fields = {
        "password": "password1",
        "default_group_id": "default_group",
        "organization_id": "organization",
    }
    list_display = ["name", "email", "role", "organization", "active"]
    list_filter = ["role", "active"]
    search_fields = ["name", "email"]
    list_select_related = ["organization"]

    def has_delete_permission(self, request: HttpRequest, obj: User | None = None) -> bool:
        return False

    def save_model(self, request: HttpRequest, obj: User, form: Any, change: bool) -> None:
        data = {name: form.cleaned_data[name] for name in UserAdminForm.Meta.fields}
        organization = data.pop("organization")
        data["organization_id"] = organization.pk if organization else None
        group = data.pop("default_group")
        data["default_group_id"] = group.pk if group else None
        password = form.cleaned_data.get("password1") or None
        if change:
            data["password"] = password
            saved = services.user_update(user_id=obj.pk, data=data, keep_an_admin=True)
        else:
            saved = services.user_create(password=password, **data)
        obj.pk = saved.pk


@admin.register(Group)
class GroupAdmin(ServiceWrites[Group]):
    """Deleting a group marks it deleted, as Zendesk does; it is refused while tickets,
    users, notification rules or policy conditions name the group."""

    list_display = ["name", "description"]
    search_fields = ["name"]
    filter_horizontal = ["agents"]

    def formfield_for_manytomany(self, db_field: Any, request: HttpRequest, **kwargs: Any) -> Any:
        if db_field.name == "agents":
            kwargs["queryset"] = User.objects.filter(role__in=["agent", "admin"])
            kwargs["form_class"] = RecordsField
        return super().formfield_for_manytomany(db_field, request, **kwargs)

    def save_model(self, request: HttpRequest, obj: Group, form: Any, change: bool) -> None:
        data = {"name": form.cleaned_data["name"], "description": form.cleaned_data["description"]}
        if change:
            saved = account_services.group_update(group_id=obj.pk, data=data)
        else:
            saved = account_services.group_create(**data)
        obj.pk = saved.pk  # the agents are saved next, on this group

    def uses(self, pk: int) -> list[str]:
        return account_services.group_uses(pk)

    def delete_record(self, pk: int) -> None:
        account_services.group_delete(group_id=pk)


class OrganizationAdminForm(forms.ModelForm[Organization]):
    organization_fields = JSONObjectField(
        required=False, help_text="A JSON object; empty for none."
    )

    class Meta:
        model = Organization
        fields = ["name", "external_id", "organization_fields"]


@admin.register(Organization)
class OrganizationAdmin(ServiceWrites[Organization]):
    """Deleting an organization is refused while tickets or policy conditions name it; its
    users leave it."""

    form = OrganizationAdminForm
    list_display = ["name", "created_at"]
    search_fields = ["name"]

    def save_model(self, request: HttpRequest, obj: Organization, form: Any, change: bool) -> None:
        data = {name: form.cleaned_data[name] for name in OrganizationAdminForm.Meta.fields}
        if change:
            saved = account_services.organization_update(
                organization_id=obj.pk, data=data, merge_fields=False
            )
        else:
            saved = account_services.organization_create(**data)
        obj.pk = saved.pk

    def uses(self, pk: int) -> list[str]:
        return account_services.organization_uses(pk)

    def delete_record(self, pk: int) -> None:
        account_services.organization_delete(organization_id=pk)


@admin.register(Brand)
class BrandAdmin(ServiceWrites[Brand]):
    """Deleting a brand is refused while tickets or policy conditions name it."""

    list_display = ["name", "subdomain", "active"]
    fields = ["name", "subdomain", "active"]

    def save_model(self, request: HttpRequest, obj: Brand, form: Any, change: bool) -> None:
        data = {name: form.cleaned_data[name] for name in ("name", "subdomain", "active")}
        if change:
            saved = account_services.brand_update(brand_id=obj.pk, data=data)
        else:
            saved = account_services.brand_create(**data)
        obj.pk = saved.pk

    def uses(self, pk: int) -> list[str]:
        return account_services.brand_uses(pk)

    def delete_record(self, pk: int) -> None:
        account_services.brand_delete(brand_id=pk)


class TicketFieldOptionInline(admin.TabularInline[TicketFieldOption, TicketField]):
    model = TicketFieldOption
    extra = 1


@admin.register(TicketField)
class TicketFieldAdmin(ServiceWrites[TicketField]):
    """Deleting a field is refused while policy conditions name it or tickets carry a value
    for it (deactivate it instead)."""

    list_display = ["title", "type", "position", "active"]
    list_filter = ["type", "active"]
    inlines = [TicketFieldOptionInline]

    def get_readonly_fields(self, request: HttpRequest, obj: TicketField | None = None) -> Any:
        return ["type"] if obj is not None else []  # as the API: a field keeps its type

    def save_model(self, request: HttpRequest, obj: TicketField, form: Any, change: bool) -> None:
        data = {name: form.cleaned_data[name] for name in ("title", "active", "position")}
        if change:
            saved = account_services.ticket_field_update(field_id=obj.pk, data=data)
        else:
            saved = account_services.ticket_field_create(type=form.cleaned_data["type"], **data)
        obj.pk = saved.pk

    def save_related(self, request: HttpRequest, form: Any, formsets: Any, change: bool) -> None:
        """The options inline is the field's whole option list, saved by the service, which
        keeps the options (and tags) policy conditions name."""
        (options,) = formsets
        items = []
        for option_form in options.forms:
            data = option_form.cleaned_data
            if not data or data.get("DELETE"):
                continue
            item = {"name": data["name"], "value": data["value"], "position": data["position"]}
            if option_form.instance.pk is not None:
                item["id"] = option_form.instance.pk
            items.append(item)
        items.sort(key=lambda item: item["position"])
        account_services.ticket_field_update(
            field_id=form.instance.pk, data={"custom_field_options": items}
        )

    def construct_change_message(
        self, request: HttpRequest, form: Any, formsets: Any, add: bool = False
    ) -> list[dict[str, Any]]:
        # The options were saved by the service, not by their formset: the history says
        # that they changed, not which.
        message = super().construct_change_message(request, form, [], add)
        if any(formset.has_changed() for formset in formsets):
            message.append({"changed": {"fields": ["options"]}})
        return message

    def uses(self, pk: int) -> list[str]:
        return account_services.ticket_field_uses(pk)

    def delete_record(self, pk: int) -> None:
        account_services.ticket_field_delete(field_id=pk)

"""The admin site: its pages grouped as support work, and who may open which.

The apps register their pages as usual (`@admin.register`); this site arranges them into
sections (Work, Service levels, Alerts, Reports, People, Settings, System) for the home page
and the sidebar, and narrows what agents reach:

- the System section (SLA recomputes, raw metric events, background task results) is for
  admins only;
- API tokens: an agent sees and opens only their own.

Models are named here by their labels ("tickets.apitoken"), never imported: the project
layer knows no app.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.contrib import admin
from django.core.exceptions import ValidationError
from django.db.models import Model, QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from django.urls import NoReverseMatch, URLPattern, URLResolver, path, reverse


@dataclass(frozen=True)
class Entry:
    """One line of a section: a model's list page (`model`, as "app_label.model_name") or a
    page of its own (`url_name`)."""

    name: str
    model: str = ""
    url_name: str = ""
    admins_only: bool = False


@dataclass(frozen=True)
class Section:
    slug: str
    name: str
    entries: tuple[Entry, ...]


SECTIONS: tuple[Section, ...] = (
    Section("work", "Work", (Entry("Agent home", model="tickets.ticket"),)),
    Section(
        "service-levels",
        "Service levels",
        (
            Entry("SLA policies", model="policies.policy"),
            Entry("Group SLA policies", model="policies.groupslapolicy"),
            Entry("Business hours", model="policies.schedule"),
            Entry("Rewrite SLA history", url_name="sla-history-rewrite", admins_only=True),
        ),
    ),
    Section(
        "alerts",
        "Alerts",
        (
            Entry("Notification rules", model="tickets.notificationrule"),
            Entry("Delivery log", model="tickets.slanotification"),
        ),
    ),
    Section(
        "reports",
        "Reports",
        (
            Entry("SLA reports", url_name="sla-reports"),
            Entry("Objectives", model="tickets.servicelevelobjective"),
            Entry("Backtest draft policies", url_name="sla-backtest-page", admins_only=True),
        ),
    ),
    Section(
        "people",
        "People",
        (
            Entry("Users", model="tickets.user"),
            Entry("Groups", model="tickets.group"),
            Entry("Organizations", model="tickets.organization"),
        ),
    ),
    Section(
        "settings",
        "Settings",
        (
            Entry("Brands", model="tickets.brand"),
            Entry("Support addresses", model="tickets.supportaddress"),
            Entry("Ticket forms", model="tickets.ticketform"),
            Entry("Ticket fields", model="tickets.ticketfield"),
            Entry("User and organization fields", model="tickets.customfield"),
            Entry("Custom ticket statuses", model="tickets.customstatus"),
            Entry("API tokens", model="tickets.apitoken"),
        ),
    ),
    Section(
        "system",
        "System",
        (
            Entry("SLA recomputes", model="tickets.slarecompute"),
            Entry("SLA metric events", model="tickets.ticketmetricevent"),
            Entry("Background tasks", model="django_tasks_database.dbtaskresult"),
        ),
    ),
)

# Pages only admins may open: the workings behind the SLA numbers, not support work.
ADMINS_ONLY: frozenset[str] = frozenset(
    {"tickets.slarecompute", "tickets.ticketmetricevent", "django_tasks_database.dbtaskresult"}
)

# Records an agent may see only when they own them: model label -> the owner's foreign key.
OWN_ROWS_ONLY: dict[str, str] = {"tickets.apitoken": "user"}

# Where a model's page goes when no section names it, so a new page is never lost.
MORE = Section("more", "More", ())


def _label(model: type[Model]) -> str:
    return f"{model._meta.app_label}.{model._meta.model_name}"


def _is_admin(request: HttpRequest) -> bool:
    return bool(getattr(request.user, "is_superuser", False))


class AdminsOnlyMixin:
    """A model's pages that only admins open: hidden from agents, and 403 if they try."""

    def has_module_permission(self, request: HttpRequest) -> bool:
        return _is_admin(request) and super().has_module_permission(request)  # type: ignore[misc]

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return _is_admin(request) and super().has_view_permission(request, obj)  # type: ignore[misc]

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return _is_admin(request) and super().has_change_permission(request, obj)  # type: ignore[misc]

    def has_add_permission(self, request: HttpRequest, *args: Any) -> bool:
        return _is_admin(request) and super().has_add_permission(request, *args)  # type: ignore[misc]

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return _is_admin(request) and super().has_delete_permission(request, obj)  # type: ignore[misc]


class OwnRowsOnlyMixin:
    """Agents list only their own records and may not open anyone else's (403)."""

    owner_field = "user"

    def get_queryset(self, request: HttpRequest) -> QuerySet[Any]:
        rows: QuerySet[Any] = super().get_queryset(request)  # type: ignore[misc]
        if _is_admin(request):
            return rows
        return rows.filter(**{self.owner_field: request.user.pk})

    def _owned(self, request: HttpRequest, obj: Any) -> bool:
        owner_id = getattr(obj, f"{self.owner_field}_id", None)
        return obj is None or _is_admin(request) or owner_id == request.user.pk

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return self._owned(request, obj) and super().has_view_permission(request, obj)  # type: ignore[misc]

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return self._owned(request, obj) and super().has_change_permission(request, obj)  # type: ignore[misc]

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return self._owned(request, obj) and super().has_delete_permission(request, obj)  # type: ignore[misc]

    def get_object(self, request: HttpRequest, object_id: str, from_field: Any = None) -> Any:
        # Look the record up among all of them, so someone else's token answers 403 (the
        # permission check above) rather than "does not exist".
        queryset = self.model._default_manager.all()  # type: ignore[attr-defined]
        model = queryset.model
        field = model._meta.pk if from_field is None else model._meta.get_field(from_field)
        try:
            return queryset.get(**{field.name: field.to_python(object_id)})
        except (model.DoesNotExist, ValidationError, ValueError):
            return None


class SlawebAdminSite(admin.AdminSite):
    site_header = "slaweb"
    site_title = "slaweb"
    index_title = "Home"

    def register(self, model_or_iterable: Any, admin_class: Any = None, **options: Any) -> None:
        models = [model_or_iterable] if isinstance(model_or_iterable, type) else model_or_iterable
        for model in models:
            chosen = admin_class or admin.ModelAdmin
            label = _label(model)
            if label in ADMINS_ONLY:
                chosen = type(chosen.__name__, (AdminsOnlyMixin, chosen), {})
            if label in OWN_ROWS_ONLY:
                owner = OWN_ROWS_ONLY[label]
                chosen = type(chosen.__name__, (OwnRowsOnlyMixin, chosen), {"owner_field": owner})
            super().register(model, chosen, **options)

    def get_app_list(
        self, request: HttpRequest, app_label: str | None = None
    ) -> list[dict[str, Any]]:
        """The home page and the sidebar: sections of support work. An app's own page
        (/admin/tickets/) still lists that app's models."""
        if app_label is not None:
            return super().get_app_list(request, app_label)
        return [section for section in self.sections(request) if section["models"]]

    def sections(self, request: HttpRequest) -> list[dict[str, Any]]:
        # What this person may open, by model label, as Django's app list describes it.
        reachable: dict[str, dict[str, Any]] = {}
        for app in super().get_app_list(request):
            for model in app["models"]:
                reachable[_label(model["model"])] = model
        placed: set[str] = set()
        result = []
        for section in SECTIONS:
            entries = []
            for entry in section.entries:
                if entry.admins_only and not _is_admin(request):
                    continue
                if entry.model:
                    placed.add(entry.model)
                    if entry.model in reachable:
                        entries.append({**reachable[entry.model], "name": entry.name})
                    continue
                try:
                    url = reverse(entry.url_name)
                except NoReverseMatch:
                    continue
                entries.append(
                    {
                        "name": entry.name,
                        "object_name": entry.url_name.replace("-", ""),
                        "admin_url": url,
                        "add_url": None,
                        "view_only": True,
                        "perms": {"view": True},
                    }
                )
            result.append(self._section_dict(section, entries))
        unplaced = [model for label, model in reachable.items() if label not in placed]
        result.append(self._section_dict(MORE, unplaced))
        return result

    def _section_dict(self, section: Section, models: list[dict[str, Any]]) -> dict[str, Any]:
        return {
            "name": section.name,
            "app_label": section.slug,
            "app_url": reverse(
                "admin:section", kwargs={"slug": section.slug}, current_app=self.name
            ),
            "has_module_perms": True,
            "models": models,
        }

    def get_urls(self) -> list[URLResolver | URLPattern]:
        own = [path("section/<slug:slug>/", self.admin_view(self.section_view), name="section")]
        return own + super().get_urls()

    def section_view(self, request: HttpRequest, slug: str) -> HttpResponse:
        chosen = [s for s in self.get_app_list(request) if s["app_label"] == slug]
        if not chosen:
            raise Http404("No such section")
        request.current_app = self.name
        context = {
            **self.each_context(request),
            "title": chosen[0]["name"],
            "subtitle": None,
            "app_list": chosen,
            "app_label": slug,
        }
        return TemplateResponse(request, "admin/app_index.html", context)

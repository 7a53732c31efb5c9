"""Custom ticket statuses: reading and writing them, and each category's default.

A custom status belongs to one status category (new, open, pending, hold, solved), and SLA
metrics follow only the category. So a status keeps its category for life (Zendesk's rule):
an edit changes labels, descriptions and whether it is offered, never what a ticket's history
measured. Every category has exactly one default, always active: the status a ticket gets when
it is given only a category.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Case, IntegerField, QuerySet, Value, When

from tickets.account_services import AccountWriteRefused
from tickets.models import CustomStatus
from tickets.models.fields import STATUS_CATEGORY_ORDER, SYSTEM_STATUSES

MAX_PER_ACCOUNT = 300  # Zendesk's limits
MAX_PER_CATEGORY = 100

# What an edit may change; the category is fixed at creation, the default moves only by making
# another status the default.
EDITABLE = ("agent_label", "end_user_label", "description", "end_user_description", "active")


class CustomStatusRefused(AccountWriteRefused):
    """A write the custom status rules refuse; `field` is the request key it is about."""


def category_of(status: str) -> str:
    """The category whose statuses a ticket of this status has: closed tickets stay solved."""
    return "solved" if status == "closed" else status


def _category_rank() -> Case:
    return Case(
        *[When(status_category=c, then=Value(i)) for i, c in enumerate(STATUS_CATEGORY_ORDER)],
        output_field=IntegerField(),
    )


def custom_statuses(
    *,
    categories: Sequence[str] | None = None,
    active: bool | None = None,
    default: bool | None = None,
) -> QuerySet[CustomStatus]:
    """The statuses in workflow order (new to solved, then oldest first), filtered as Zendesk's
    list filters them; None leaves a filter out."""
    rows = CustomStatus.objects.all()
    if categories is not None:
        rows = rows.filter(status_category__in=categories)
    if active is not None:
        rows = rows.filter(active=active)
    if default is not None:
        rows = rows.filter(default=default)
    return rows.annotate(category_rank=_category_rank()).order_by("category_rank", "id")


def custom_status_default(status: str) -> CustomStatus:
    """The default status of the category of `status` (a ticket status: closed is solved).
    Created as the system status when the category has none, which only happens where the
    table was emptied since the migrations ran (as test databases are)."""
    category = category_of(status)
    existing = CustomStatus.objects.filter(status_category=category, default=True).first()
    if existing is not None:
        return existing
    _, agent_label, end_user_label = next(s for s in SYSTEM_STATUSES if s[0] == category)
    try:
        with transaction.atomic():
            return CustomStatus.objects.create(
                status_category=category,
                agent_label=agent_label,
                end_user_label=end_user_label,
                default=True,
            )
    except IntegrityError:  # a concurrent write created it first
        return CustomStatus.objects.get(status_category=category, default=True)


def _check_labels(data: dict[str, Any]) -> None:
    for name in ("agent_label", "end_user_label"):
        if name in data and len(data[name]) > CustomStatus.LABEL_MAX_LENGTH:
            raise CustomStatusRefused(
                name, f"is too long (at most {CustomStatus.LABEL_MAX_LENGTH} characters)"
            )
    if "agent_label" in data and not data["agent_label"].strip():
        raise CustomStatusRefused("agent_label", "cannot be blank")


def custom_status_check(*, status: CustomStatus | None, data: dict[str, Any]) -> None:
    """Raise CustomStatusRefused when `data` may not create a status (`status` None) or
    change `status`; the writes below check the same, so a form can say it beside its fields."""
    _check_labels(data)
    if status is None:
        category = data.get("status_category")
        if category not in STATUS_CATEGORY_ORDER:
            raise CustomStatusRefused(
                "status_category", f"must be one of {', '.join(STATUS_CATEGORY_ORDER)}"
            )
        if "agent_label" not in data:
            raise CustomStatusRefused("agent_label", "cannot be blank")
        if data.get("default"):
            raise CustomStatusRefused(
                "default", "a new status is not a default; make it the default with an update"
            )
        if CustomStatus.objects.count() >= MAX_PER_ACCOUNT:
            raise CustomStatusRefused("base", f"an account has at most {MAX_PER_ACCOUNT} statuses")
        if CustomStatus.objects.filter(status_category=category).count() >= MAX_PER_CATEGORY:
            raise CustomStatusRefused(
                "status_category", f"a category has at most {MAX_PER_CATEGORY} statuses"
            )
        return
    if "status_category" in data and data["status_category"] != status.status_category:
        raise CustomStatusRefused(
            "status_category",
            f"cannot change: this status is {status.status_category}, and tickets' SLA history "
            "was measured by it (create a status in the other category instead)",
        )
    make_default = data.get("default")
    if make_default is False and status.default:
        raise CustomStatusRefused(
            "default", "a category always has a default: make another status the default"
        )
    if (status.default or make_default is True) and data.get("active") is False:
        raise CustomStatusRefused(
            "active", "the default status of a category cannot be deactivated"
        )
    if make_default is True and not data.get("active", status.active):
        raise CustomStatusRefused("default", "an inactive status cannot be the default")


@transaction.atomic
def custom_status_create(*, data: dict[str, Any], now: datetime) -> CustomStatus:
    """A new status, not a default (another status becomes the default by an edit). `data`
    has `status_category` and `agent_label`, and may have the other editable fields; a blank
    `end_user_label` is the agent label, so end users always read a name. Raises
    CustomStatusRefused."""
    # Locked, so two creations cannot both pass the limits.
    list(CustomStatus.objects.select_for_update().values_list("pk", flat=True))
    custom_status_check(status=None, data=data)
    values = {name: data[name] for name in EDITABLE if name in data}
    if not values.get("end_user_label", "").strip():
        values["end_user_label"] = values["agent_label"]
    return CustomStatus.objects.create(
        status_category=data["status_category"],
        default=False,
        created_at=now,
        updated_at=now,
        **values,
    )


@transaction.atomic
def custom_status_update(
    *, custom_status_id: int, data: dict[str, Any], now: datetime
) -> CustomStatus:
    """Change the editable fields. `status_category` may be given only as it is. `default`
    true makes this the category's default (the old default stays, no longer the default);
    false is refused on the default: a category always has one. The default is always active.
    Raises CustomStatus.DoesNotExist and CustomStatusRefused."""
    status = CustomStatus.objects.select_for_update().get(pk=custom_status_id)
    custom_status_check(status=status, data=data)
    values = {name: data[name] for name in EDITABLE if name in data}
    if "end_user_label" in values and not values["end_user_label"].strip():
        values["end_user_label"] = values.get("agent_label", status.agent_label)
    if data.get("default") is True and not status.default:
        _replace_defaults([status], now=now)
        status.default = True
    for name, value in values.items():
        setattr(status, name, value)
    status.updated_at = now
    status.save()
    return status


def _replace_defaults(statuses: Sequence[CustomStatus], *, now: datetime) -> None:
    """Unmark the defaults of these statuses' categories (the caller marks the new ones)."""
    categories = [s.status_category for s in statuses]
    old = CustomStatus.objects.filter(status_category__in=categories, default=True)
    old.exclude(pk__in=[s.pk for s in statuses]).update(default=False, updated_at=now)


@transaction.atomic
def custom_status_defaults_set(*, ids: Sequence[int], now: datetime) -> list[CustomStatus]:
    """Make each of these statuses its category's default, all or none (Zendesk's bulk
    request): at most one per category, each active; the other categories keep theirs.
    Raises CustomStatusRefused (field `ids`)."""
    if not ids:
        raise CustomStatusRefused("ids", "name at least one custom status")
    rows = {s.pk: s for s in CustomStatus.objects.select_for_update().filter(pk__in=ids)}
    missing = [str(i) for i in ids if i not in rows]
    if missing:
        raise CustomStatusRefused("ids", f"no custom status {', '.join(missing)}")
    chosen = [rows[i] for i in dict.fromkeys(ids)]
    inactive = [str(s.pk) for s in chosen if not s.active]
    if inactive:
        raise CustomStatusRefused(
            "ids", f"an inactive status cannot be the default ({', '.join(inactive)})"
        )
    categories = [s.status_category for s in chosen]
    twice = sorted({c for c in categories if categories.count(c) > 1}, key=categories.index)
    if twice:
        raise CustomStatusRefused(
            "ids", f"a category has one default, and two were named for {', '.join(twice)}"
        )
    _replace_defaults(chosen, now=now)
    changed = [s for s in chosen if not s.default]
    for status in changed:
        status.default = True
        status.updated_at = now
    CustomStatus.objects.bulk_update(changed, ["default", "updated_at"])
    return chosen

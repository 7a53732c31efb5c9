"""Writes to the records SLA conditions name: ticket fields and their drop-down options,
groups, organizations and brands.

Nothing is ever left pointing at a record that is gone. A record that tickets, users,
notification rules or SLA policy conditions still refer to is not deleted (`StillReferenced`),
and neither is a drop-down option a condition names; nor may such an option change its tag, or
its field be deactivated, since conditions match on both. These checks run under the lock the
policy services take for every policy write, so a policy saved at the same moment waits.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Iterator, Sequence
from typing import Any

from django.db import IntegrityError, models, transaction
from django.db.models import Max

from policies.engine.conditions import as_values
from policies.models import PolicyCondition, PolicyOrderLock, PolicyRevision
from slaweb.db import retry_on_conflict
from tickets.models import (
    Brand,
    Group,
    NotificationRule,
    Organization,
    Ticket,
    TicketAudit,
    TicketField,
    TicketFieldOption,
    User,
)
from tickets.refusals import WriteRefused

# Where Zendesk puts a new custom field: after every field placed by hand.
NEW_FIELD_POSITION = 9999


class AccountWriteRefused(WriteRefused):
    """A write to a group, organization, brand or ticket field the account does not allow."""


class NameTaken(AccountWriteRefused):
    def __init__(self, field: str = "name") -> None:
        super().__init__(field, "has already been taken")


class StillReferenced(AccountWriteRefused):
    def __init__(self, field: str, what: str, uses: Sequence[str]) -> None:
        super().__init__(field, f"{what} is still in use: {'; '.join(uses)}")
        self.uses = list(uses)


# What refers to a record -----------------------------------------------------------------------


def _lock_conditions() -> None:
    """Take the lock every policy write takes, so conditions cannot change under the checks."""
    PolicyOrderLock.objects.select_for_update().get_or_create(pk=1)


def _plural(count: int, noun: str) -> str:
    return f"{count} {noun}" if count == 1 else f"{count} {noun}s"


def _policies_naming(fields: Sequence[str], value_id: int | None = None) -> list[str]:
    """Titles of the policies with a condition on one of `fields`; with `value_id`, only those
    whose value names that id (alone or in an array, as a string or an integer)."""
    titles: list[str] = []
    conditions = PolicyCondition.objects.filter(field__in=list(fields)).order_by(
        "policy__position", "policy_id"
    )
    for title, value in conditions.values_list("policy__title", "value"):
        if value_id is not None and str(value_id) not in as_values(value):
            continue
        if title not in titles:
            titles.append(title)
    return titles


def _policy_uses(fields: Sequence[str], value_id: int | None = None) -> list[str]:
    return [
        f"SLA policy {title!r} names it in a condition"
        for title in _policies_naming(fields, value_id)
    ]


def _count_use(queryset: models.QuerySet[Any], noun: str, template: str) -> list[str]:
    """`template` with "{}" replaced by the count of `noun`s, when there are any."""
    count = queryset.count()
    return [template.format(_plural(count, noun))] if count else []


def _condition_fields(field_id: int) -> tuple[str, str]:
    """The names a condition on ticket field `field_id` may have (current and legacy)."""
    return (f"ticket_fields_{field_id}", f"custom_fields_{field_id}")


# What a brand's subdomain may be, as in Zendesk: a DNS label, lower case.
SUBDOMAIN_RE = re.compile(r"^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$")
MAX_FIELD_KEY = 64
MAX_FIELD_TEXT = 65_536


def organization_fields_problem(fields: Any) -> str | None:
    """What is wrong with an organization's `organization_fields`, or None: keys of at most
    MAX_FIELD_KEY characters with scalar values (what `organization.custom_fields.<key>` in
    a condition reads)."""
    if not isinstance(fields, dict):
        return "must be an object of field keys and values"
    for key, value in fields.items():
        if not key or len(key) > MAX_FIELD_KEY:
            return f"{key!r} is not a field key"
        if not isinstance(value, str | int | float | bool | None):
            return f"{key}: a value is a string, a number, true, false or null"
        if isinstance(value, float) and not math.isfinite(value):
            return f"{key}: {value} is not a number"
        if isinstance(value, str) and len(value) > MAX_FIELD_TEXT:
            return f"{key}: the value is too long"
    return None


def _checked(instance: Group | Organization | Brand) -> None:
    """The account's rules for a group, organization or brand about to be saved: names (and
    an organization's external id) unique whatever their case, a brand's subdomain a DNS
    label of its own, an organization's fields scalar."""
    named = type(instance)._default_manager.filter(name__iexact=instance.name)
    if named.exclude(pk=instance.pk).exists():
        raise NameTaken()
    if isinstance(instance, Organization):
        problem = organization_fields_problem(instance.organization_fields)
        if problem is not None:
            raise AccountWriteRefused("organization_fields", problem)
        external_id = instance.external_id
        others = Organization.objects.exclude(pk=instance.pk)
        if external_id and others.filter(external_id__iexact=external_id).exists():
            raise NameTaken("external_id")
    if isinstance(instance, Brand) and instance.subdomain:
        instance.subdomain = instance.subdomain.lower()
        if not SUBDOMAIN_RE.match(instance.subdomain):
            raise AccountWriteRefused(
                "subdomain", "is letters, digits and hyphens, not starting or ending with a hyphen"
            )
        if Brand.objects.exclude(pk=instance.pk).filter(subdomain=instance.subdomain).exists():
            raise NameTaken("subdomain")


def _saved(instance: Group | Organization | Brand) -> None:
    """Save after the account's rules (`_checked`), turning a name another request has just
    taken into `NameTaken`."""
    _checked(instance)
    try:
        with transaction.atomic():
            instance.save()
    except IntegrityError:
        _checked(instance)  # a concurrent write took a unique key first: says which
        raise


# Groups --------------------------------------------------------------------------------------


@retry_on_conflict
@transaction.atomic
def group_create(*, name: str, description: str = "") -> Group:
    group = Group(name=name, description=description)
    _saved(group)
    return group


@retry_on_conflict
@transaction.atomic
def group_update(*, group_id: int, data: dict[str, Any]) -> Group:
    """Partial update of `name` and `description`; raises Group.DoesNotExist."""
    group = Group.objects.select_for_update().get(pk=group_id)
    for attribute in ("name", "description"):
        if attribute in data:
            setattr(group, attribute, data[attribute])
    _saved(group)
    return group


def group_uses(group_id: int) -> list[str]:
    """What still names the group, in words; deleting it is refused while there is any."""
    uses = _policy_uses(("group_id",), group_id)
    uses += _count_use(Ticket.objects.filter(group_id=group_id), "ticket", "{} assigned to it")
    uses += _count_use(
        User.objects.filter(default_group_id=group_id), "user", "it is the default group of {}"
    )
    uses += [
        f"notification rule {title!r} assigns breached tickets to it"
        for title in NotificationRule.objects.filter(set_group_id=group_id).values_list(
            "title", flat=True
        )
    ]
    return uses


@retry_on_conflict
@transaction.atomic
def group_delete(*, group_id: int) -> None:
    """Marks the group deleted. Raises Group.DoesNotExist (for a deleted one too), or
    StillReferenced while tickets, agents' default group, notification rules or policy
    conditions name the group."""
    _lock_conditions()
    group = Group.objects.select_for_update().get(pk=group_id)
    uses = group_uses(group.pk)
    if uses:
        raise StillReferenced("base", f"Group {group.name!r}", uses)
    # Zendesk keeps a deleted group, marked; nothing names it any more, and lists leave it out.
    group.deleted = True
    group.save(update_fields=["deleted", "updated_at"])


# Organizations --------------------------------------------------------------------------------


@retry_on_conflict
@transaction.atomic
def organization_create(
    *,
    name: str,
    organization_fields: dict[str, Any] | None = None,
    external_id: str | None = None,
) -> Organization:
    organization = Organization(
        name=name, organization_fields=organization_fields or {}, external_id=external_id
    )
    _saved(organization)
    return organization


@retry_on_conflict
@transaction.atomic
def organization_update(
    *, organization_id: int, data: dict[str, Any], merge_fields: bool = True
) -> Organization:
    """Partial update; `organization_fields` merge into the stored ones key by key, as in
    Zendesk's API (or, without `merge_fields`, replace them, as the admin's form shows them
    all). Raises Organization.DoesNotExist."""
    organization = Organization.objects.select_for_update().get(pk=organization_id)
    for attribute in ("name", "external_id"):
        if attribute in data:
            setattr(organization, attribute, data[attribute])
    if "organization_fields" in data:
        kept = organization.organization_fields if merge_fields else {}
        organization.organization_fields = {**kept, **data["organization_fields"]}
    _saved(organization)
    return organization


def organization_uses(organization_id: int) -> list[str]:
    """What still names the organization, in words; deleting it is refused while there is any."""
    uses = _policy_uses(("organization_id",), organization_id)
    uses += _count_use(Ticket.objects.filter(organization_id=organization_id), "ticket", "{} in it")
    return uses


@retry_on_conflict
@transaction.atomic
def organization_delete(*, organization_id: int) -> None:
    """Its users leave it, as in Zendesk. Raises Organization.DoesNotExist, or StillReferenced
    while tickets or policy conditions name it."""
    _lock_conditions()
    organization = Organization.objects.select_for_update().get(pk=organization_id)
    uses = organization_uses(organization.pk)
    if uses:
        raise StillReferenced("base", f"Organization {organization.name!r}", uses)
    organization.delete()


# Brands --------------------------------------------------------------------------------------


@retry_on_conflict
@transaction.atomic
def brand_create(*, name: str, subdomain: str, active: bool = True) -> Brand:
    if not subdomain:
        raise AccountWriteRefused("subdomain", "is required")
    brand = Brand(name=name, subdomain=subdomain, active=active)
    _saved(brand)
    return brand


@retry_on_conflict
@transaction.atomic
def brand_update(*, brand_id: int, data: dict[str, Any]) -> Brand:
    """Partial update of `name`, `subdomain` and `active`; raises Brand.DoesNotExist."""
    brand = Brand.objects.select_for_update().get(pk=brand_id)
    if "subdomain" in data and not data["subdomain"]:
        raise AccountWriteRefused("subdomain", "is required")
    for attribute in ("name", "subdomain", "active"):
        if attribute in data:
            setattr(brand, attribute, data[attribute])
    _saved(brand)
    return brand


def brand_uses(brand_id: int) -> list[str]:
    """What still names the brand, in words; deleting it is refused while there is any."""
    uses = _policy_uses(("brand_id",), brand_id)
    uses += _count_use(Ticket.objects.filter(brand_id=brand_id), "ticket", "{} in it")
    return uses


@retry_on_conflict
@transaction.atomic
def brand_delete(*, brand_id: int) -> None:
    """Its support addresses lose their brand. Raises Brand.DoesNotExist, or StillReferenced
    while tickets or policy conditions name it."""
    _lock_conditions()
    brand = Brand.objects.select_for_update().get(pk=brand_id)
    uses = brand_uses(brand.pk)
    if uses:
        raise StillReferenced("base", f"Brand {brand.name!r}", uses)
    brand.delete()


# Ticket fields and their options -------------------------------------------------------------


def _named_options(
    conditions: Iterable[tuple[str, dict[str, Any]]], fields: Sequence[str]
) -> dict[int, list[str]]:
    """Option id -> titles of the policies whose conditions on `fields` name it, from
    (title, condition) pairs."""
    named: dict[int, list[str]] = {}
    for title, condition in conditions:
        if condition.get("field") not in fields:
            continue
        for item in as_values(condition.get("value")):
            if item is not None and item.isdigit() and title not in named.get(int(item), []):
                named.setdefault(int(item), []).append(title)
    return named


def _replayed_conditions() -> Iterator[tuple[str, dict[str, Any]]]:
    """(title, condition) of every policy revision a ticket not yet closed was saved under:
    replaying such a ticket compiles them with the options as they are now (id to tag)."""
    replayed = TicketAudit.objects.exclude(ticket__status="closed").values("revision_id")
    for policies in PolicyRevision.objects.filter(pk__in=replayed).values_list(
        "policies", flat=True
    ):
        for policy in policies:
            for condition in [*policy["filter"].get("all", ()), *policy["filter"].get("any", ())]:
                yield policy["title"], condition


def _option_uses(field_id: int) -> dict[int, list[str]]:
    """What names each option of field `field_id`, by option id: policy conditions now, and
    earlier policy versions that tickets still to be replayed were saved under. Such options
    must stay, with their tags."""
    fields = _condition_fields(field_id)
    current = PolicyCondition.objects.filter(field__in=fields).order_by(
        "policy__position", "policy_id"
    )
    now = _named_options(
        (
            (title, {"field": field, "value": value})
            for title, field, value in current.values_list("policy__title", "field", "value")
        ),
        fields,
    )
    earlier = _named_options(_replayed_conditions(), fields)
    uses: dict[int, list[str]] = {}
    for option_id in now.keys() | earlier.keys():
        titles = now.get(option_id, [])
        uses[option_id] = [f"SLA policy {title!r} names it in a condition" for title in titles]
        uses[option_id] += [
            f"an earlier version of SLA policy {title!r}, which tickets not yet closed were "
            "saved under, names it"
            for title in earlier.get(option_id, [])
            if title not in titles
        ]
    return uses


def _set_options(field: TicketField, items: Sequence[dict[str, Any]]) -> None:
    """Make `items` the field's whole option list, in their order. An item is the option with
    its `id` if it has one, else the field's option with its `value`, else a new option;
    options left out are deleted (as Zendesk's PUT does)."""
    existing = {option.pk: option for option in field.options.select_for_update()}
    claimed: dict[int, TicketFieldOption] = {}
    for item in items:
        if item.get("id") is not None:
            if item["id"] not in existing:
                raise AccountWriteRefused(
                    "custom_field_options", f"option {item['id']} is not one of this field's"
                )
            claimed[id(item)] = existing[item["id"]]
    taken = {option.pk for option in claimed.values()}
    by_value = {o.value: o for o in existing.values() if o.pk not in taken}
    for item in items:
        if id(item) not in claimed and item["value"] in by_value:
            claimed[id(item)] = by_value.pop(item["value"])
    kept = {option.pk for option in claimed.values()}

    problems: list[str] = []
    named = _option_uses(field.pk)
    removed = [option for pk, option in existing.items() if pk not in kept]
    for gone in removed:
        problems += [f"option {gone.value!r}: {use}" for use in named.get(gone.pk, [])]
    for item in items:
        retagged = claimed.get(id(item))
        if retagged is not None and retagged.value != item["value"]:
            problems += [
                f"option {retagged.value!r} (its tag cannot change): {use}"
                for use in named.get(retagged.pk, [])
            ]
    if problems:
        raise StillReferenced("custom_field_options", "The field's options", problems)

    TicketFieldOption.objects.filter(pk__in=[option.pk for option in removed]).delete()
    # Tags are unique within a field: park the changing ones first, so two options may swap.
    changing = [
        claimed[id(item)]
        for item in items
        if id(item) in claimed and claimed[id(item)].value != item["value"]
    ]
    for option in changing:
        option.value = f"moving {option.pk}"  # a tag never holds a space
        option.save(update_fields=["value"])
    for index, item in enumerate(items):
        option = claimed.get(id(item)) or TicketFieldOption(field=field)
        option.name = item["name"]
        option.value = item["value"]
        option.position = item.get("position", index)
        option.save()


@retry_on_conflict
@transaction.atomic
def ticket_field_create(
    *,
    title: str,
    type: str = "text",
    active: bool = True,
    position: int | None = None,
    custom_field_options: Sequence[dict[str, Any]] = (),
) -> TicketField:
    field = TicketField.objects.create(
        title=title,
        type=type,
        active=active,
        position=NEW_FIELD_POSITION if position is None else position,
    )
    if custom_field_options:
        _set_options(field, custom_field_options)
    return field


@retry_on_conflict
@transaction.atomic
def ticket_field_update(*, field_id: int, data: dict[str, Any]) -> TicketField:
    """Partial update of `title`, `active` and `position`; a `custom_field_options` list
    replaces the options. Deactivating a field conditions name is refused (StillReferenced):
    conditions may name active drop-downs only. Raises TicketField.DoesNotExist."""
    _lock_conditions()
    field = TicketField.objects.select_for_update().get(pk=field_id)
    if data.get("active") is False and field.active:
        uses = _policy_uses(_condition_fields(field.pk))
        if uses:
            raise StillReferenced("active", f"Ticket field {field.title!r}", uses)
    for attribute in ("title", "active", "position"):
        if attribute in data:
            setattr(field, attribute, data[attribute])
    field.save()
    if "custom_field_options" in data:
        _set_options(field, data["custom_field_options"])
    return field


def ticket_field_uses(field_id: int) -> list[str]:
    """What still needs the ticket field, in words; deleting it is refused while there is any."""
    uses = _policy_uses(_condition_fields(field_id))
    uses += _count_use(
        Ticket.objects.filter(custom_fields__has_key=str(field_id)), "ticket", "a value on {}"
    )
    earlier = _named_options(_replayed_conditions(), _condition_fields(field_id))
    titles = {title for option_titles in earlier.values() for title in option_titles}
    now = set(_policies_naming(_condition_fields(field_id)))
    uses += [
        f"an earlier version of SLA policy {title!r}, which tickets not yet closed were saved "
        "under, names its options"
        for title in sorted(titles - now)
    ]
    return uses


@retry_on_conflict
@transaction.atomic
def ticket_field_delete(*, field_id: int) -> None:
    """Raises TicketField.DoesNotExist, or StillReferenced while policy conditions name the
    field or tickets carry a value for it (deactivate it instead)."""
    _lock_conditions()
    field = TicketField.objects.select_for_update().get(pk=field_id)
    uses = ticket_field_uses(field.pk)
    if uses:
        raise StillReferenced("base", f"Ticket field {field.title!r}", uses)
    field.delete()


@retry_on_conflict
@transaction.atomic
def ticket_field_option_save(
    *, field_id: int, data: dict[str, Any]
) -> tuple[TicketFieldOption, bool]:
    """Zendesk's create-or-update of one option: the field's option with `data["id"]` is
    updated, else a new one goes last. Returns the option and whether it is new. Raises
    TicketField.DoesNotExist, NameTaken("value") or StillReferenced (a named option's tag)."""
    _lock_conditions()
    field = TicketField.objects.select_for_update().get(pk=field_id)
    option_id = data.get("id")
    option = field.options.filter(pk=option_id).first() if option_id is not None else None
    created = option is None
    if option is None:
        last = field.options.aggregate(last=Max("position"))["last"]
        option = TicketFieldOption(field=field, position=0 if last is None else last + 1)
    elif option.value != data["value"]:
        uses = _option_uses(field.pk).get(option.pk, [])
        if uses:
            raise StillReferenced("value", f"Option {option.value!r}", uses)
    option.name = data["name"]
    option.value = data["value"]
    if data.get("position") is not None:
        option.position = data["position"]
    # The field's row lock orders every write to its options, so this check holds at save.
    if field.options.exclude(pk=option.pk).filter(value=option.value).exists():
        raise NameTaken("value")
    option.save()
    return option, created


@retry_on_conflict
@transaction.atomic
def ticket_field_option_delete(*, field_id: int, option_id: int) -> None:
    """Raises TicketFieldOption.DoesNotExist, or StillReferenced while conditions name it."""
    _lock_conditions()
    option = TicketFieldOption.objects.select_for_update().get(pk=option_id, field_id=field_id)
    uses = _option_uses(field_id).get(option.pk, [])
    if uses:
        raise StillReferenced("base", f"Option {option.value!r}", uses)
    option.delete()

"""Reads: policies with everything an API response or the engine needs, in a fixed number of
queries, and the condition definitions built from the account's live data."""

from __future__ import annotations

import functools
from typing import Any

from django.db.models import Prefetch, QuerySet

from policies.engine import clock
from policies.engine.conditions import (
    CUSTOM_FIELD_OPERATORS,
    CUSTOM_FIELD_VALUE_TYPES,
    OPERATOR_TITLES,
    STATIC_FIELDS,
    compile_filter,
)
from policies.engine.types import PolicySpec, Target
from policies.engine.vocabulary import (
    ROLE_IDS,
    TICKET_TYPE_IDS,
    VIA_CHANNELS,
    Metric,
    Priority,
    Role,
)
from policies.models import (
    Holiday,
    Policy,
    PolicyCondition,
    PolicyMetric,
    PolicyRevision,
    Schedule,
)
from tickets.models import (
    Brand,
    CustomField,
    CustomStatus,
    Group,
    Organization,
    SupportAddress,
    TicketField,
    TicketFieldOption,
    TicketForm,
    User,
)


def policy_queryset() -> QuerySet[Policy]:
    return Policy.objects.prefetch_related(
        Prefetch("conditions", queryset=PolicyCondition.objects.order_by("group", "index")),
        Prefetch("metrics", queryset=PolicyMetric.objects.order_by("index", "id")),
    )


def policy_get(*, policy_id: int) -> Policy:
    """Raises Policy.DoesNotExist."""
    return policy_queryset().get(pk=policy_id)


def policy_filter_dict(policy: Policy) -> dict[str, list[dict[str, Any]]]:
    result: dict[str, list[dict[str, Any]]] = {"all": [], "any": []}
    for condition in policy.conditions.all():
        result[condition.group].append(
            {"field": condition.field, "operator": condition.operator, "value": condition.value}
        )
    return result


def policy_metrics_list(policy: Policy) -> list[dict[str, Any]]:
    """The policy's targets in the API's input shape (exact seconds)."""
    return [
        {
            "priority": m.priority,
            "metric": m.metric,
            "target_in_seconds": m.target_seconds,
            "business_hours": m.business_hours,
        }
        for m in policy.metrics.all()
    ]


def policy_snapshot(policy: Policy) -> dict[str, Any]:
    """What a revision keeps of a policy: everything the engine needs, nothing more."""
    return {
        "id": policy.pk,
        "title": policy.title,
        "description": policy.description,
        "position": policy.position,
        "filter": policy_filter_dict(policy),
        "policy_metrics": policy_metrics_list(policy),
        "metric_settings": policy.metric_settings or {},
    }


def draft_snapshots(data: dict[str, Any], policy_id: int | None) -> list[dict[str, Any]]:
    """The policy list as it would be with `data` saved (validated input, as for update or
    create); the draft gets id 0 when it is new."""
    snapshots = [policy_snapshot(policy) for policy in policy_queryset()]
    if policy_id is not None:
        index = next(i for i, snap in enumerate(snapshots) if snap["id"] == policy_id)
        draft = snapshots.pop(index)
    else:
        draft = {
            "id": 0,
            "title": "",
            "description": None,
            "filter": {"all": [], "any": []},
            "policy_metrics": [],
            "metric_settings": {},
            "position": len(snapshots) + 1,
        }
    for key in ("title", "description", "filter", "metric_settings"):
        if key in data:
            draft[key] = data[key]
    if "policy_metrics" in data:
        draft["policy_metrics"] = [
            {
                "priority": m["priority"],
                "metric": m["metric"],
                "target_in_seconds": m["target_seconds"],
                "business_hours": m["business_hours"],
            }
            for m in data["policy_metrics"]
        ]
    position = data.get("position", draft["position"])
    index = max(0, min(position - 1, len(snapshots)))
    snapshots.insert(index, draft)
    for number, snap in enumerate(snapshots, start=1):
        snap["position"] = number
    return snapshots


def specs_from_snapshots(
    snapshots: list[dict[str, Any]], option_values: dict[str, str]
) -> tuple[PolicySpec, ...]:
    return tuple(
        PolicySpec(
            id=snap["id"],
            title=snap["title"],
            description=snap["description"],
            position=snap["position"],
            matches=compile_filter(snap["filter"], option_values),
            targets={
                (Priority(m["priority"]), Metric(m["metric"])): Target(
                    m["target_in_seconds"], m["business_hours"]
                )
                for m in snap["policy_metrics"]
            },
            metric_settings=snap["metric_settings"],
        )
        for snap in snapshots
    )


def revision_specs(revision_id: int, digest: str) -> tuple[PolicySpec, ...]:
    """A revision's policies compiled for the engine, cached by their content."""
    return _compiled_revision(digest, revision_id)


@functools.lru_cache(maxsize=64)
def _compiled_revision(digest: str, revision_id: int) -> tuple[PolicySpec, ...]:
    revision = PolicyRevision.objects.get(pk=revision_id)
    return specs_from_snapshots(revision.policies, dropdown_option_values())


def current_revision_id() -> int | None:
    return PolicyRevision.objects.order_by("-id").values_list("id", flat=True).first()


def dropdown_option_values() -> dict[str, str]:
    """Option id (as text) -> the tag value tickets carry, for compiling dropdown conditions."""
    return {str(pk): value for pk, value in TicketFieldOption.objects.values_list("pk", "value")}


# Definitions ----------------------------------------------------------------------------------


def _item(field: str, values: dict[str, Any], **overrides: Any) -> dict[str, Any]:
    rule = STATIC_FIELDS.get(field)
    title = overrides.pop("title", rule.title if rule else field)
    operators = overrides.pop("operators", rule.operators if rule else ())
    item = {
        "group": overrides.pop("group", rule.group if rule else "ticket"),
        "operators": [{"title": OPERATOR_TITLES[op], "value": op} for op in operators],
        "target": None,
        "title": title,
        "title_for_field": title,
        "value": field,
        "output_key": overrides.pop("output_key", rule.output_key if rule else None),
        "values": values,
    }
    return item


def _listed(entries: list[tuple[Any, str]]) -> dict[str, Any]:
    return {"list": [{"title": title, "value": value} for value, title in entries], "type": "list"}


NONE_ENTRY: tuple[Any, str] = (None, "-")


def definition_items() -> list[dict[str, Any]]:
    """The condition fields a policy filter may use, with operators and allowed values."""
    agents = list(
        User.objects.filter(role__in=[Role.AGENT, Role.ADMIN], active=True).values_list(
            "pk", "name"
        )
    )
    users = list(User.objects.filter(active=True).values_list("pk", "name"))
    type_entries: list[tuple[Any, str]] = [(0, "-")]
    type_entries += [(type_id, t.value.capitalize()) for t, type_id in TICKET_TYPE_IDS.items()]
    channels = sorted(VIA_CHANNELS.items())
    items = [
        _item("brand_id", _listed(list(Brand.objects.values_list("pk", "name")))),
        _item("ticket_form_id", _listed(list(TicketForm.objects.values_list("pk", "name")))),
        _item("ticket_type_id", _listed(type_entries)),
        _item(
            "type",
            _listed([NONE_ENTRY] + [(t.value, t.value.capitalize()) for t in TICKET_TYPE_IDS]),
        ),
        _item("group_id", _listed([NONE_ENTRY, *Group.objects.values_list("pk", "name")])),
        _item(
            "assignee_id",
            _listed(
                [NONE_ENTRY, ("requester_id", "(requester)"), ("current_user", "(current user)")]
                + agents
            ),
        ),
        _item(
            "requester_id",
            _listed([("assignee_id", "(assignee)"), ("current_user", "(current user)")] + users),
        ),
        _item(
            "organization_id",
            _listed([NONE_ENTRY, *Organization.objects.values_list("pk", "name")]),
        ),
        _item("current_tags", {"list": [], "type": "text", "css_class": "large"}),
        _item("via_id", _listed(channels)),
        _item("current_via_id", _listed(channels)),
        _item(
            "recipient",
            _listed([(a, a) for a in SupportAddress.objects.values_list("email", flat=True)]),
        ),
        _item(
            "ticket_is_public",
            _listed(
                [
                    ("public", "Ticket has public comments"),
                    ("private", "Ticket has no public comments"),
                ]
            ),
        ),
        _item(
            "exact_created_at",
            {"list": [], "type": "datetime", "labels": {"default": "YYYY-MM-DD hh:mm"}},
        ),
        _item(
            "custom_status_id",
            _listed(
                [
                    (s.pk, f"{s.agent_label} ({s.status_category})")
                    for s in CustomStatus.objects.all()
                ]
            ),
        ),
        _item(
            "requester_role",
            _listed(
                [
                    (ROLE_IDS[Role.AGENT], "(agent)"),
                    (ROLE_IDS[Role.END_USER], "(end-user)"),
                    (ROLE_IDS[Role.ADMIN], "(admin)"),
                ]
            ),
        ),
    ]
    for field in TicketField.objects.filter(type="tagger", active=True).prefetch_related("options"):
        entries = [NONE_ENTRY] + [(o.pk, o.name) for o in field.options.all()]
        items.append(
            _item(
                f"ticket_fields_{field.pk}",
                _listed(entries),
                title=field.title,
                operators=("includes", "not_includes"),
                output_key=f"ticket_fields_{field.pk}",
            )
        )
    for custom in CustomField.objects.all():
        value_type = CUSTOM_FIELD_VALUE_TYPES.get(custom.type, "text")
        if custom.type == "checkbox":
            values = _listed([("true", "Checked"), ("false", "Unchecked")])
        elif custom.type == "dropdown":
            values = _listed([NONE_ENTRY] + [(o["value"], o["name"]) for o in custom.options])
        else:
            values = {"list": [], "type": value_type}
        prefix = "requester" if custom.owner == "user" else "organization"
        items.append(
            _item(
                f"{prefix}.custom_fields.{custom.key}",
                values,
                title=custom.title,
                group=prefix,
                operators=CUSTOM_FIELD_OPERATORS[custom.type],
                output_key=f"{prefix}.custom_fields.{custom.key}",
            )
        )
    return items


def policy_definitions() -> dict[str, Any]:
    items = definition_items()
    return {"definitions": {"all": items, "any": items}}


# Schedules ------------------------------------------------------------------------------------


def schedule_queryset() -> QuerySet[Schedule]:
    return Schedule.objects.prefetch_related("intervals", "holidays")


def default_schedule() -> Schedule | None:
    """The first schedule is the account's default; None means calendar time."""
    return schedule_queryset().order_by("id").first()


def schedule_for_engine(schedule: Schedule) -> clock.Schedule:
    return clock.Schedule(
        schedule.time_zone,
        [clock.WeeklyInterval(i.start_time, i.end_time) for i in schedule.intervals.all()],
        [holiday_for_engine(h) for h in schedule.holidays.all()],
    )


def holiday_for_engine(holiday: Holiday) -> clock.Holiday:
    return clock.Holiday(holiday.start_date, holiday.end_date, holiday.start_time, holiday.end_time)

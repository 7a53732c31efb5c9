"""Reads shared by the tickets' services and interfaces: the account's schedule, the condition
definitions built from its live data, and policy revisions compiled with its dropdown values."""

from __future__ import annotations

import functools
from collections import defaultdict
from collections.abc import Sequence
from datetime import datetime
from typing import Any, NamedTuple

from django.db.models import (
    Case,
    Count,
    Exists,
    F,
    IntegerField,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Value,
    When,
)

from policies import selectors as policy_selectors
from policies.engine.business_time import Schedule
from policies.engine.conditions import (
    CUSTOM_FIELD_OPERATORS,
    CUSTOM_FIELD_VALUE_TYPES,
    OPERATOR_TITLES,
    STATIC_FIELDS,
)
from policies.engine.group_ownership import GroupPolicySpec
from policies.engine.types import PolicySpec
from policies.engine.vocabulary import (
    ROLE_IDS,
    TICKET_TYPE_IDS,
    VIA_CHANNELS,
    Role,
)
from policies.models import GROUP_OWNERSHIP_TIME, PolicyRevision
from tickets.models import (
    Brand,
    CustomField,
    CustomStatus,
    Group,
    Organization,
    SupportAddress,
    Ticket,
    TicketField,
    TicketFieldOption,
    TicketForm,
    TicketSlaTarget,
    User,
)


def ticket_rows() -> QuerySet[Ticket]:
    """Tickets as the API and the queue show them: without the carried SLA and metrics
    states, which only saves and metrics read and which are kilobytes of JSON per ticket."""
    return Ticket.objects.defer("sla_state", "metrics_state")


class SlaTargetRow(NamedTuple):
    """What the `include=slas` side-load and the queue's badges read of a target: plain rows,
    which load several times faster than models (a page of 100 tickets has 300 or more)."""

    ticket_id: int
    metric: str
    instance_id: int
    policy_id: int | None
    group_id: int | None
    stage: str
    breach_at: datetime | None
    breached: bool


def sla_target_rows(ticket_ids: Sequence[int]) -> dict[int, list[SlaTargetRow]]:
    """The SLA targets of these tickets by ticket, each ticket's in (metric, instance) order:
    one query (none without tickets)."""
    by_ticket: dict[int, list[SlaTargetRow]] = defaultdict(list)
    if ticket_ids:
        rows = (
            TicketSlaTarget.objects.filter(ticket_id__in=list(ticket_ids))
            .order_by("ticket_id", "metric", "instance_id")
            .values_list(*SlaTargetRow._fields)
        )
        for row in rows:
            by_ticket[row[0]].append(SlaTargetRow._make(row))
    return by_ticket


def account_schedule() -> Schedule | None:
    """Business-hour targets count on the default schedule; without one, calendar time."""
    schedule = policy_selectors.default_schedule()
    return policy_selectors.schedule_for_engine(schedule) if schedule else None


def dropdown_option_values() -> dict[str, str]:
    """Option id (as text) -> the tag value tickets carry, for compiling dropdown conditions."""
    return {str(pk): value for pk, value in TicketFieldOption.objects.values_list("pk", "value")}


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
    """A list of choices. Ids are strings (`"10001"`), as Zendesk's reference and OpenAPI file
    give them, so clients generated from that file accept the answer; filters take either."""
    return {
        "list": [
            {"title": title, "value": str(value) if isinstance(value, int) else value}
            for value, title in entries
        ],
        "type": "list",
    }


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


def revision_specs(revision_id: int, digest: str) -> tuple[PolicySpec, ...]:
    """A revision's policies compiled for the engine, cached by their content."""
    return _compiled_revision(digest, revision_id)


@functools.lru_cache(maxsize=64)
def _compiled_revision(digest: str, revision_id: int) -> tuple[PolicySpec, ...]:
    revision = PolicyRevision.objects.get(pk=revision_id)
    return policy_selectors.specs_from_snapshots(revision.policies, dropdown_option_values())


def revision_group_specs(revision_id: int, digest: str) -> tuple[GroupPolicySpec, ...]:
    """A revision's group SLA policies compiled for the engine, cached by their content (the
    revision's digest covers them)."""
    return _compiled_group_revision(digest, revision_id)


@functools.lru_cache(maxsize=64)
def _compiled_group_revision(digest: str, revision_id: int) -> tuple[GroupPolicySpec, ...]:
    snapshots = PolicyRevision.objects.values_list("group_policies", flat=True).get(pk=revision_id)
    return policy_selectors.group_specs_from_snapshots(snapshots)


def policy_input_context() -> dict[str, Any]:
    """What `PolicyInputSerializer` validates conditions against: the account's fields."""
    return {
        "definitions": definition_items(),
        "ticket_field_ids": frozenset(TicketField.objects.values_list("pk", flat=True)),
    }


# The agent home ------------------------------------------------------------------------------

# The sections of the agent home, in the order they are shown: what breaches next is worked
# first; the already breached follow (still owed, but no longer preventable); last the tickets
# with no running target (nothing measured, or every target paused or fulfilled).
QUEUE_NEXT = 0
QUEUE_BREACHED = 1
QUEUE_NOT_RUNNING = 2
QUEUE_SECTION_TITLES = {
    QUEUE_NEXT: "Breaching next",
    QUEUE_BREACHED: "Already breached",
    QUEUE_NOT_RUNNING: "No running SLA target",
}
QUEUE_SECTION_KEYS = {QUEUE_NEXT: "next", QUEUE_BREACHED: "breached", QUEUE_NOT_RUNNING: "none"}
# The annotation `with_queue_section` adds (a name the type checker's model cannot know).
QUEUE_SECTION = "queue_section"


def breached_targets(*, now: datetime) -> QuerySet[TicketSlaTarget]:
    """For a ticket queryset (OuterRef): the open targets of its applied policy and of the
    group holding it past their deadline at `now`, recorded as breached or not yet (the clock
    may not have reached them)."""
    return TicketSlaTarget.objects.filter(
        Q(breached=True) | Q(breach_at__lte=now),
        Q(policy_id=OuterRef("sla_policy_id"))
        | Q(
            metric=GROUP_OWNERSHIP_TIME,
            group_id=OuterRef("group_id"),
            group_policy_id__isnull=False,
        ),
        ticket_id=OuterRef("pk"),
        stage__in=["active", "paused"],
        fulfilled_at__isnull=True,
    )


def with_queue_section(tickets: QuerySet[Ticket], *, now: datetime) -> QuerySet[Ticket]:
    """Annotate `queue_section` (QUEUE_NEXT, QUEUE_BREACHED or QUEUE_NOT_RUNNING) and
    `breached_since`, the earliest deadline among the ticket's breached targets.

    A ticket with any breached target is breached, even if another target still runs: its
    badge (the soonest deadline) already shows it late. The others are "next" when a target
    runs towards a deadline (`sla_due_at`, kept by every save, is then after `now`).
    """
    breached = breached_targets(now=now)
    return tickets.annotate(
        breached_since=Subquery(breached.order_by("breach_at").values("breach_at")[:1]),
        **{
            QUEUE_SECTION: Case(
                When(Exists(breached), then=Value(QUEUE_BREACHED)),
                When(sla_due_at__gt=now, then=Value(QUEUE_NEXT)),
                default=Value(QUEUE_NOT_RUNNING),
                output_field=IntegerField(),
            )
        },
    )


def queue_order() -> list[Any]:
    """The agent home's order, over `with_queue_section`: the sections in turn; inside them,
    the soonest deadline first, then the most recently breached first (the smallest lateness
    on the badge: "-5m" before "-14d", as the one breached minutes ago is the one a customer is
    still waiting on at their desk), then by id."""
    return [
        F(QUEUE_SECTION).asc(),
        Case(When(**{QUEUE_SECTION: QUEUE_NEXT}, then=F("sla_due_at"))).asc(nulls_last=True),
        F("breached_since").desc(nulls_last=True),
        "id",
    ]


def queue_section_counts(tickets: QuerySet[Ticket]) -> dict[int, int]:
    """How many of `tickets` (annotated by `with_queue_section`) are in each section."""
    counts = dict.fromkeys(QUEUE_SECTION_TITLES, 0)
    rows = tickets.order_by().values(QUEUE_SECTION).annotate(count=Count("id"))
    for row in rows:
        counts[row[QUEUE_SECTION]] = row["count"]
    return counts


def tickets_of_agent_groups(tickets: QuerySet[Ticket], user_id: int) -> QuerySet[Ticket]:
    """The tickets assigned to a group the agent is a member of."""
    return tickets.filter(group__in=Group.objects.filter(agents__id=user_id).values("pk"))

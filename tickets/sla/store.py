"""Between stored tickets and the SLA engine: evaluate a ticket's audits, store what comes out.

Every path that changes a ticket's SLA (a save, an import, the breach clock, a recompute after a
policy or schedule edit) writes through `sla_store_many`, one ticket at a time through
`ticket_sla_refresh` or a batch at a time, so there is one way SLA rows and metric events are
written.

A ticket carries the engine's state after its last audit (`Ticket.sla_state`): a save feeds the
engine only the audits after it, so its cost does not grow with the ticket's age. Only a change
to history replays it whole: an import, an explicit rewrite, a state this engine version did
not write, or audits older than the state's last one. `sla_check` compares both ways.
"""

from __future__ import annotations

import dataclasses
import hashlib
from collections import Counter, defaultdict
from collections.abc import Iterable, Iterator, Sequence
from datetime import datetime, timedelta
from typing import Any, NamedTuple, Protocol, TypeVar, cast

from django.db import connection, models, transaction
from django.db.models import Q
from django.db.models.expressions import RawSQL
from psycopg.types.json import set_json_dumps

from policies.engine.business_time import Schedule
from policies.engine.group_ownership import (
    GroupMetricEvent,
    GroupOwnership,
    GroupOwnershipReplay,
    GroupPolicySpec,
)
from policies.engine.history import SAME_SCHEDULE, Comment, TicketUpdate
from policies.engine.metrics import (
    HistoryError,
    MetricEvent,
    MetricInstance,
    StateError,
    TicketSla,
    carried_update,
    evaluate,
    resume,
)
from policies.engine.types import PolicySpec, TicketFacts
from policies.engine.vocabulary import Priority, Role, StatusCategory
from policies.models import GROUP_OWNERSHIP_TIME, GroupSlaPolicy, Policy, PolicyRevision
from policies.selectors import schedule_from_snapshot
from slaweb.fields import json_text
from tickets.models import OPEN_STATUSES, Ticket, TicketAudit, TicketMetricEvent, TicketSlaTarget
from tickets.selectors import revision_group_specs, revision_specs
from tickets.sla.notification_schedule import TargetRow, notifications_schedule
from tickets.sla.publishing import publish, stamp_new_events


def ticket_snapshot(ticket: Ticket, *, has_public_comment: bool) -> dict[str, Any]:
    """The fields conditions and metrics read, as JSON, from a saved ticket."""
    requester = ticket.requester
    organization = ticket.organization
    return {
        "status": ticket.status,
        "custom_status_id": ticket.custom_status_id,
        "priority": ticket.priority,
        "type": ticket.type,
        "brand_id": ticket.brand_id,
        "ticket_form_id": ticket.ticket_form_id,
        "group_id": ticket.group_id,
        "assignee_id": ticket.assignee_id,
        "requester_id": ticket.requester_id,
        "submitter_id": ticket.submitter_id,
        "organization_id": ticket.organization_id,
        "requester_role": requester.role,
        "submitter_role": ticket.submitter.role,
        "via_id": ticket.via_id,
        "recipient": ticket.recipient or None,
        "is_public": has_public_comment,
        "tags": sorted(ticket.tags),
        "custom_fields": {str(k): v for k, v in ticket.custom_fields.items()},
        "requester_fields": dict(requester.user_fields or {}),
        "organization_fields": dict(organization.organization_fields or {}) if organization else {},
    }


def facts_from_snapshot(
    ticket_id: int, created_at: datetime, snapshot: dict[str, Any], current_via_id: int
) -> TicketFacts:
    return TicketFacts(
        ticket_id=ticket_id,
        created_at=created_at,
        status=StatusCategory(snapshot["status"]),
        custom_status_id=snapshot["custom_status_id"],
        priority=Priority(snapshot["priority"]) if snapshot["priority"] else None,
        type=snapshot["type"],
        brand_id=snapshot["brand_id"],
        ticket_form_id=snapshot["ticket_form_id"],
        group_id=snapshot["group_id"],
        assignee_id=snapshot["assignee_id"],
        requester_id=snapshot["requester_id"],
        submitter_id=snapshot["submitter_id"],
        organization_id=snapshot["organization_id"],
        requester_role=Role(snapshot["requester_role"]),
        submitter_role=Role(snapshot["submitter_role"]),
        via_id=snapshot["via_id"],
        current_via_id=current_via_id,
        recipient=snapshot["recipient"],
        is_public=snapshot["is_public"],
        tags=frozenset(snapshot["tags"]),
        custom_fields={int(k): v for k, v in snapshot["custom_fields"].items()},
        requester_fields=snapshot["requester_fields"],
        organization_fields=snapshot["organization_fields"],
    )


class SavedAudit(Protocol):
    """What turning an audit into an engine update reads of it (ReplayAudit)."""

    @property
    def created_at(self) -> datetime: ...
    @property
    def via_id(self) -> int: ...
    @property
    def snapshot(self) -> dict[str, Any] | None: ...
    @property
    def comment_id(self) -> int | None: ...
    @property
    def comment_author_id(self) -> int | None: ...
    @property
    def comment_public(self) -> bool | None: ...
    @property
    def comment_author_role(self) -> str: ...


def audit_update(
    ticket: Ticket,
    audit: SavedAudit,
    previous: TicketUpdate | None,
    policies: tuple[PolicySpec, ...] = (),
    schedule: Schedule | None | object = SAME_SCHEDULE,
) -> TicketUpdate:
    """One audit as an engine update. An audit without a snapshot is a configuration edit
    reaching the ticket: it left the ticket's fields as they were after `previous`."""
    comment = None
    if audit.comment_id is not None:
        # A comment's author and visibility are NOT NULL: present whenever the comment is.
        comment = Comment(
            author_id=cast(int, audit.comment_author_id),
            author_role=Role(audit.comment_author_role),
            public=cast(bool, audit.comment_public),
        )
    if audit.snapshot is not None:
        facts = facts_from_snapshot(ticket.pk, ticket.created_at, audit.snapshot, audit.via_id)
    elif previous is not None:
        facts = dataclasses.replace(previous.facts, current_via_id=audit.via_id)
    else:
        raise ValueError(f"the first audit of ticket {ticket.pk} has no snapshot to start from")
    return TicketUpdate(
        audit.created_at,
        facts,
        comment,
        policies,
        schedule,  # type: ignore[arg-type]
        edit=audit.snapshot is None,
    )


def revision_schedule(revision_id: int, digest: str) -> Schedule | None:
    """A revision's schedule for the engine: one object per content, so an unchanged schedule
    is the same object from update to update (the engine compares them by identity)."""
    schedule = _SCHEDULES.get(digest, _SCHEDULES)
    if schedule is _SCHEDULES:
        snapshot = PolicyRevision.objects.values_list("schedule", flat=True).get(pk=revision_id)
        schedule = _SCHEDULES[digest] = schedule_from_snapshot(snapshot)
        while len(_SCHEDULES) > 64:
            del _SCHEDULES[next(iter(_SCHEDULES))]
    return cast(Schedule | None, schedule)


# Schedules by content digest, oldest first.
_SCHEDULES: dict[str, Any] = {}


def ticket_history(ticket: Ticket, audits: Sequence[ReplayAudit]) -> list[TicketUpdate]:
    """The engine's view of a ticket: one update per audit, each with its own revision's
    policies and schedule."""
    updates: list[TicketUpdate] = []
    for audit in audits:
        specs = revision_specs(audit.revision_id, audit.revision_digest)
        schedule = revision_schedule(audit.revision_id, audit.revision_schedule_digest)
        previous = updates[-1] if updates else None
        updates.append(audit_update(ticket, audit, previous, specs, schedule))
    return updates


class ReplayAudit(NamedTuple):
    """What replaying needs of an audit: plain rows load several times faster than models."""

    id: int
    ticket_id: int
    created_at: datetime
    via_id: int
    author_id: int | None
    revision_id: int
    revision_digest: str
    revision_schedule_digest: str
    snapshot: dict[str, Any] | None
    comment_id: int | None
    comment_author_id: int | None
    comment_public: bool | None
    comment_author_role: str


def audits_for_replay(tickets: Any) -> Iterator[ReplayAudit]:
    """Audits of `tickets` (ids or a queryset) in replay order."""
    return replay_rows(TicketAudit.objects.filter(ticket__in=tickets))


def replay_rows(audits: models.QuerySet[TicketAudit]) -> Iterator[ReplayAudit]:
    """`audits` in replay order, as plain rows."""
    rows = audits.order_by("ticket_id", "created_at", "id").values_list(
        "id",
        "ticket_id",
        "created_at",
        "via_id",
        "author_id",
        "revision_id",
        "revision__digest",
        "revision__schedule_digest",
        "snapshot",
        "comment_id",
        "comment__author_id",
        "comment__public",
        "comment_author_role",
    )
    return map(ReplayAudit._make, rows)


def audits_by_ticket(tickets: Any) -> dict[int, list[ReplayAudit]]:
    """The audits of `tickets` (ids or a queryset) in replay order, by ticket: one query."""
    groups: dict[int, list[ReplayAudit]] = defaultdict(list)
    for row in audits_for_replay(tickets):
        groups[row.ticket_id].append(row)
    return groups


def ticket_audits(ticket: Ticket) -> list[ReplayAudit]:
    return list(audits_for_replay([ticket.pk]))


def ticket_sla_evaluate(
    ticket: Ticket,
    *,
    now: datetime,
    schedule: Schedule | None,
    audits: Sequence[ReplayAudit] | None = None,
) -> TicketSla:
    history = ticket_history(ticket, ticket_audits(ticket) if audits is None else audits)
    return replay(history, schedule=schedule, now=now)


def replay(
    history: list[TicketUpdate], *, schedule: Schedule | None, now: datetime, carry: bool = False
) -> TicketSla:
    """The engine's evaluation of a history as of `now`, or as of its last save when that is
    later: a save committed after the caller read the clock belongs to the history too."""
    if history and history[-1].at > now:
        now = history[-1].at
    return evaluate(history, schedule=schedule, now=now, carry=carry)


# A rule, not a person, re-evaluated the ticket: the via of a configuration edit's audit.
EDIT_VIA = 8


@dataclasses.dataclass(frozen=True)
class Edit:
    """A configuration edit reaching a ticket: the revision it brings, from `at` on."""

    at: datetime
    revision_id: int
    revision_digest: str
    schedule_digest: str

    def update(self, previous: TicketUpdate) -> TicketUpdate:
        return edit_update(
            previous,
            self.at,
            revision_specs(self.revision_id, self.revision_digest),
            revision_schedule(self.revision_id, self.schedule_digest),
        )

    def group_policies(self) -> tuple[GroupPolicySpec, ...]:
        return revision_group_specs(self.revision_id, self.revision_digest)


def edit_update(
    previous: TicketUpdate,
    at: datetime,
    policies: tuple[PolicySpec, ...],
    schedule: Schedule | None | object = SAME_SCHEDULE,
) -> TicketUpdate:
    """A configuration edit after `previous`, as `audit_update` will read its audit back: the
    same fields, via a rule, never before the last save."""
    return TicketUpdate(
        max(at, previous.at),
        dataclasses.replace(previous.facts, current_via_id=EDIT_VIA),
        None,
        policies,
        schedule,  # type: ignore[arg-type]
        edit=True,
    )


@dataclasses.dataclass(frozen=True)
class Evaluation:
    """A ticket's SLA, and what its next save continues from."""

    result: TicketSla
    last_audit_id: int | None  # None: the last update is an edit whose audit is not written
    revision: tuple[int, str, str]  # of the last update: id, policies' and schedule's digests
    edit_at: datetime | None = None  # when the edit's audit is dated
    group_state: dict[str, Any] | None = None  # group ownership's, once group SLAs are in use

    def state(self, audit_id: int | None = None) -> dict[str, Any] | None:
        """`Ticket.sla_state` after storing this evaluation (`audit_id`: the edit's audit)."""
        last = self.last_audit_id if audit_id is None else audit_id
        if self.result.state is None or last is None:
            return None
        state = {"engine": self.result.state, "audit": last, "revision": list(self.revision)}
        if self.group_state is not None:
            state["group"] = self.group_state
        return state


def _with_group(
    result: TicketSla,
    updates: Sequence[TicketUpdate],
    group_policies: Sequence[tuple[GroupPolicySpec, ...]],
    saved: dict[str, Any] | None,
    schedule: Schedule | None,
    now: datetime,
) -> tuple[TicketSla, dict[str, Any] | None]:
    """`result` with the ticket's group ownership beside it, and the state to carry.

    `group_policies` are the group policies in force at each of `updates`, preceded, when
    continuing from a carried state `saved`, by those in force at its last update (as is
    `schedule`; a whole replay starts without one, its updates bring theirs). Group
    ownership is measured once group SLA policies are in use: from the first revision that has
    any, each ticket is replayed once from its creation and carried on from there.
    """
    if saved is None and not any(group_policies):
        return result, None
    if updates and updates[-1].at > now:
        now = updates[-1].at
    if saved is None:
        replay = GroupOwnershipReplay(group_policies.__getitem__, schedule=schedule)
    else:
        base = saved.get("updates")
        if not isinstance(base, int):
            raise StateError("the group state's update count must be a number")
        replay = GroupOwnershipReplay.load(
            saved, lambda index: group_policies[index - base + 1], schedule=schedule
        )
    replay.feed(updates)
    return dataclasses.replace(result, group=replay.result(now)), replay.dump()


def evaluate_stored(
    ticket: Ticket,
    *,
    now: datetime,
    edit: Edit | None = None,
    audits: Sequence[ReplayAudit] | None = None,
    new_audits: Sequence[ReplayAudit] | None = None,
) -> Evaluation:
    """The ticket's SLA as of `now` (with `edit` reaching it, if given): continued from its
    carried state when it has a usable one (`new_audits`: the audits after it, if already
    read), else replayed from its `audits` (default: all)."""
    saved = ticket.sla_state
    if audits is None and isinstance(saved, dict):
        try:
            return _continue(ticket, saved, now=now, edit=edit, new_audits=new_audits)
        except (StateError, HistoryError, LookupError, OverflowError, TypeError, ValueError):
            pass  # not a state this engine can continue: replay the whole history
    audits = ticket_audits(ticket) if audits is None else audits
    history = ticket_history(ticket, audits)
    group_policies = [revision_group_specs(a.revision_id, a.revision_digest) for a in audits]
    last = audits[-1]
    revision = (last.revision_id, last.revision_digest, last.revision_schedule_digest)
    last_audit_id: int | None = last.id
    edit_at = None
    if edit is not None:
        history.append(edit.update(history[-1]))
        group_policies.append(edit.group_policies())
        revision = (edit.revision_id, edit.revision_digest, edit.schedule_digest)
        last_audit_id, edit_at = None, history[-1].at
    result = replay(history, schedule=None, now=now, carry=True)
    result, group_state = _with_group(result, history, group_policies, None, None, now)
    return Evaluation(result, last_audit_id, revision, edit_at, group_state)


def carried_audit_id(ticket: Ticket) -> int | None:
    """The last audit the ticket's carried state has seen, if it has a state."""
    saved = ticket.sla_state
    if isinstance(saved, dict) and isinstance(saved.get("audit"), int):
        return int(saved["audit"])
    return None


def carried_revision_id(ticket: Ticket) -> int | None:
    """The revision of the last update the ticket's carried state has seen, if it has one."""
    saved = ticket.sla_state
    if isinstance(saved, dict) and isinstance(saved.get("revision"), list):
        return int(saved["revision"][0])
    return None


def audits_after_states(tickets: Sequence[Ticket]) -> dict[int, list[ReplayAudit]]:
    """For tickets with a carried state, the audits after it, by ticket: one query."""
    bounds = [(t.pk, audit_id) for t in tickets if (audit_id := carried_audit_id(t)) is not None]
    found: dict[int, list[ReplayAudit]] = {ticket_id: [] for ticket_id, _ in bounds}
    if bounds:
        audits = past_each_bound(TicketAudit.objects.all(), "id", "bigint", bounds, ">")
        for audit in replay_rows(audits):
            found[audit.ticket_id].append(audit)
    return found


_MODELS = TypeVar("_MODELS", bound=models.Model)


def _unnest(*sql_types: str) -> str:
    """`unnest(...)` over one array parameter per type, each bound in binary (%b): as text,
    psycopg spells out every timestamp, several times slower."""
    return "unnest(" + ", ".join(f"%b::{sql_type}[]" for sql_type in sql_types) + ")"


def past_each_bound(
    rows: models.QuerySet[_MODELS],
    column: str,
    sql_type: str,
    bounds: Sequence[tuple[int, Any]],
    operator: str,
) -> models.QuerySet[_MODELS]:
    """`rows` whose `column` is past their own ticket's bound (`operator` is ">" or ">="), in
    one query: on PostgreSQL by joining the bounds as an array, elsewhere by or-ing them (and
    for one ticket, a save's case, as a plain range its index answers)."""
    if connection.vendor == "postgresql" and len(bounds) > 1:
        table = connection.ops.quote_name(rows.model._meta.db_table)
        # One index seek per ticket (OFFSET 0 keeps the planner from merging the lateral
        # into a join that walks each ticket's every row).
        sql = (
            f"SELECT r.id FROM {_unnest('bigint', sql_type)} AS b(ticket, bound) "
            f"CROSS JOIN LATERAL (SELECT id FROM {table} WHERE ticket_id = b.ticket "
            f"AND {column} {operator} b.bound OFFSET 0) r"
        )
        ids, values = zip(*bounds, strict=True)
        return rows.filter(pk__in=RawSQL(sql, [list(ids), list(values)]))
    lookup = f"{column}__{'gt' if operator == '>' else 'gte'}"
    wanted = Q()
    for ticket_id, value in bounds:
        wanted |= Q(ticket_id=ticket_id, **{lookup: value})
    return rows.filter(wanted)


def _continue(
    ticket: Ticket,
    saved: dict[str, Any],
    *,
    now: datetime,
    edit: Edit | None,
    new_audits: Sequence[ReplayAudit] | None,
) -> Evaluation:
    engine = saved["engine"]
    audit_id = int(saved["audit"])
    revision_id, digest, schedule_digest = saved["revision"]
    policies = revision_specs(revision_id, digest)
    schedule = revision_schedule(revision_id, schedule_digest)
    last_at, facts = carried_update(engine)
    previous = TicketUpdate(last_at, facts, None, policies, schedule)
    if new_audits is None:
        new_audits = list(replay_rows(TicketAudit.objects.filter(ticket=ticket, pk__gt=audit_id)))
    updates: list[TicketUpdate] = []
    group_policies = [revision_group_specs(revision_id, digest)]
    for audit in new_audits:
        specs = revision_specs(audit.revision_id, audit.revision_digest)
        audit_schedule = revision_schedule(audit.revision_id, audit.revision_schedule_digest)
        updates.append(
            audit_update(ticket, audit, updates[-1] if updates else previous, specs, audit_schedule)
        )
        group_policies.append(revision_group_specs(audit.revision_id, audit.revision_digest))
    revision = (revision_id, digest, schedule_digest)
    last_audit_id: int | None = audit_id
    if new_audits:
        last = new_audits[-1]
        revision = (last.revision_id, last.revision_digest, last.revision_schedule_digest)
        last_audit_id = last.id
    edit_at = None
    if edit is not None:
        updates.append(edit.update(updates[-1] if updates else previous))
        group_policies.append(edit.group_policies())
        revision = (edit.revision_id, edit.revision_digest, edit.schedule_digest)
        last_audit_id, edit_at = None, updates[-1].at
    if updates and updates[-1].at > now:
        now = updates[-1].at
    result = resume(engine, updates, policies=policies, schedule=schedule, now=now)
    group_saved = saved.get("group")
    if group_saved is None and any(group_policies):
        raise StateError("group SLAs came into use after the state: replay from the creation")
    result, group_state = _with_group(result, updates, group_policies, group_saved, schedule, now)
    return Evaluation(result, last_audit_id, revision, edit_at, group_state)


def instances_of(result: TicketSla) -> list[MetricInstance | GroupOwnership]:
    """The metric instances and, beside them, the group ownership instances of a result."""
    group = result.group.instances if result.group is not None else ()
    return [*result.instances, *group]


def events_of(result: TicketSla) -> Sequence[MetricEvent | GroupMetricEvent]:
    """The metric events and group ownership events of a result, in time order (at one
    instant, the metrics' first)."""
    if result.group is None or not result.group.events:
        return result.events
    return sorted([*result.events, *result.group.events], key=lambda event: event.time)


def retracted_of(result: TicketSla) -> list[tuple[str, int, datetime]]:
    """Earlier breach events a carried result deleted: (event metric, instance id, time)."""
    retracted = [(str(metric), instance, time) for metric, instance, time in result.retracted]
    if result.group is not None:
        retracted.extend((GROUP_OWNERSHIP_TIME, *item) for item in result.group.retracted)
    return retracted


def next_breach_of(result: TicketSla) -> datetime | None:
    """The soonest deadline among the running targets, the ticket's and its group's."""
    group = result.group.next_breach_at if result.group is not None else None
    return min(filter(None, (result.next_breach_at, group)), default=None)


def event_keys(result: TicketSla, now: datetime) -> list[tuple[tuple[Any, ...], Any]]:
    """Each event with a key that is stable between evaluations: identical events at one
    instant are told apart by their order of emission."""
    seen: Counter[tuple[Any, ...]] = Counter()
    keyed = []
    for event in events_of(result):
        if event.time > now:
            continue
        base = (str(event.metric), event.instance_id, str(event.type), event.time)
        keyed.append(((*base, seen[base]), event))
        seen[base] += 1
    return keyed


TARGET_COLUMNS = (
    "ticket_id",
    "metric",
    "instance_id",
    "policy_id",
    "group_policy_id",
    "group_id",
    "target_seconds",
    "business_hours",
    "stage",
    "activated_at",
    "breach_at",
    "fulfilled_at",
    "breached",
    "breached_at",
    "paused_seconds",
    "elapsed_calendar_seconds",
    "elapsed_business_seconds",
)
EVENT_COLUMNS = (
    "ticket_id",
    "metric",
    "instance_id",
    "type",
    "time",
    "ordinal",
    "sla",
    "status",
    "deleted",
)


def _concrete_field(model: type[models.Model], name: str) -> tuple[models.Field[Any, Any], str]:
    """`model`'s field `name` and its column: only a field with a column can be inserted."""
    field = model._meta.get_field(name)
    if not isinstance(field, models.Field) or field.column is None:
        raise ValueError(f"{model.__name__}.{name} has no column")
    return field, field.column


def insert_rows(
    model: type[models.Model], fields: Sequence[str], rows: Iterable[Sequence[Any]]
) -> None:
    """Insert plain rows (values in `fields` order, foreign keys by id, JSON as Python values)
    in one statement.

    A recompute writes several rows per ticket for a hundred thousand tickets; on PostgreSQL
    a binary COPY does that several times faster than building model instances for
    bulk_create (and than a text COPY, which spells out every timestamp).
    """
    concrete = [_concrete_field(model, name) for name in fields]
    columns = [field for field, _ in concrete]
    if connection.vendor != "postgresql":
        _bulk_create(model, columns, rows)
        return
    table = connection.ops.quote_name(model._meta.db_table)
    names = ", ".join(connection.ops.quote_name(column) for _, column in concrete)
    types = _type_names(columns)
    with (
        connection.cursor() as cursor,
        cursor.cursor.copy(f"COPY {table} ({names}) FROM STDIN (FORMAT BINARY)") as copy,
    ):
        set_json_dumps(json_text, context=cursor.cursor)
        copy.set_types(types)
        for row in rows:
            copy.write_row(row)


def _type_names(columns: Sequence[models.Field[Any, Any]]) -> list[str]:
    """The columns' PostgreSQL type names, as psycopg knows them ("varchar(32)" is a varchar)."""
    return [str(field.db_type(connection)).partition("(")[0].strip() for field in columns]


def _bulk_create(
    model: type[models.Model],
    columns: Sequence[models.Field[Any, Any]],
    rows: Iterable[Sequence[Any]],
    **options: Any,
) -> list[models.Model]:
    """Plain rows as `model` instances through bulk_create (databases without COPY)."""
    return model._default_manager.bulk_create(
        (
            model(**{field.attname: value for field, value in zip(columns, row, strict=True)})
            for row in rows
        ),
        **options,
    )


def upsert_rows(
    model: type[models.Model],
    fields: Sequence[str],
    unique: Sequence[str],
    rows: Sequence[Sequence[Any]],
) -> None:
    """Insert plain rows (as `insert_rows`), or update the row already holding their values of
    the `unique` fields, in one statement.

    A row that would be updated to the values it holds is left alone on PostgreSQL (only
    locked): rewriting it would leave a dead row version and new index entries behind.
    """
    if not rows:
        return
    concrete = [_concrete_field(model, name) for name in fields]
    columns = [field for field, _ in concrete]
    keys = [_concrete_field(model, name)[0] for name in unique]
    quote = connection.ops.quote_name
    key_names = [quote(column) for field, column in concrete if field in keys]
    changing = [quote(column) for field, column in concrete if field not in keys]
    if connection.vendor != "postgresql":
        _bulk_create(
            model,
            columns,
            rows,
            update_conflicts=True,
            unique_fields=[field.name for field in keys],
            update_fields=[field.name for field in columns if field not in keys],
        )
        return
    table = quote(model._meta.db_table)
    names = [quote(column) for _, column in concrete]
    with connection.cursor() as cursor:
        set_json_dumps(json_text, context=cursor.cursor)
        cursor.execute(
            f"INSERT INTO {table} AS t ({', '.join(names)}) "
            f"SELECT * FROM {_unnest(*_type_names(columns))} "
            f"ON CONFLICT ({', '.join(key_names)}) DO UPDATE SET "
            + ", ".join(f"{name} = EXCLUDED.{name}" for name in changing)
            + f" WHERE ({', '.join(f't.{name}' for name in changing)}) IS DISTINCT FROM "
            f"({', '.join(f'EXCLUDED.{name}' for name in changing)})",
            [list(column) for column in zip(*rows, strict=True)],
        )


def insert_rows_with_ids(
    model: type[models.Model], fields: Sequence[str], rows: Sequence[Sequence[Any]]
) -> list[int]:
    """`insert_rows`, returning the new rows' ids in `rows` order: on PostgreSQL they are
    drawn from the table's sequence first, in one query, so COPY can write them."""
    if connection.vendor != "postgresql":
        columns = [_concrete_field(model, name)[0] for name in fields]
        return [cast(int, instance.pk) for instance in _bulk_create(model, columns, rows)]
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT nextval(pg_get_serial_sequence(%s, 'id')) FROM generate_series(1, %s)",
            [model._meta.db_table, len(rows)],
        )
        ids = [row[0] for row in cursor.fetchall()]
    insert_rows(model, ("id", *fields), ((pk, *row) for pk, row in zip(ids, rows, strict=True)))
    return ids


def sla_store_many(
    results: Sequence[tuple[Ticket, TicketSla]],
    *,
    now: datetime,
    rewritten: bool = False,
    with_metrics_state: bool = False,
) -> None:
    """Replace each ticket's SLA rows with its result and append its new metric events, in a
    fixed number of queries for the whole batch.

    Events are append-only: ones already stored stay (only their `deleted` flag may change, which
    publishes them again in the incremental export), so storing the same result twice writes
    nothing, and the unique key makes a concurrent writer fail rather than record an event twice.
    When the history was `rewritten` on purpose, stored breaches the result no longer has are
    marked deleted. With `with_metrics_state`, the tickets' `metrics_state` (carried by the
    save just before) is written with the SLA columns. Call inside a transaction.
    """
    if not results:
        return
    all_results = results
    ticket_ids = [ticket.pk for ticket, _ in results]
    wanted_policies = {
        policy_id
        for _, result in results
        for policy_id in [result.policy.id if result.policy else None]
        + [i.policy_id for i in result.instances]
        if policy_id is not None
    }
    live_policy_ids = set(
        Policy.objects.filter(pk__in=wanted_policies).values_list("pk", flat=True)
    )
    wanted_group_policies = {
        i.policy_id
        for _, result in results
        if result.group is not None
        for i in result.group.instances
        if i.policy_id is not None
    }
    live_group_policy_ids = set(
        GroupSlaPolicy.objects.filter(pk__in=wanted_group_policies).values_list("pk", flat=True)
        if wanted_group_policies
        else ()
    )

    def policy_columns(i: MetricInstance | GroupOwnership) -> tuple[Any, Any, Any]:
        """The instance's policy, group policy and group columns (a gone policy: none)."""
        if isinstance(i, GroupOwnership):
            group_policy = i.policy_id if i.policy_id in live_group_policy_ids else None
            return None, group_policy, i.group_id
        return (i.policy_id if i.policy_id in live_policy_ids else None), None, None

    carried = {ticket.pk for ticket, result in results if result.continued_from is not None}
    TicketSlaTarget.objects.filter(
        ticket_id__in=[pk for pk in ticket_ids if pk not in carried]
    ).delete()
    # A carried result reports the instances that could still change: the rest stay stored,
    # those it reports are updated in place, and those it reports without a target go.
    _delete_targets(
        (ticket.pk, str(i.metric), i.instance_id)
        for ticket, result in results
        if ticket.pk in carried
        for i in instances_of(result)
        if i.target is None
    )
    rows = [
        (
            ticket.pk,
            str(i.metric),
            i.instance_id,
            *policy_columns(i),
            i.target.seconds,
            i.target.business_hours,
            str(i.stage),
            i.activated_at,
            i.breach_at,
            i.fulfilled_at,
            i.breached,
            i.breached_at,
            i.paused_seconds,
            i.elapsed_calendar_seconds,
            i.elapsed_business_seconds,
        )
        for ticket, result in results
        for i in instances_of(result)
        if i.target is not None
    ]
    insert_rows(TicketSlaTarget, TARGET_COLUMNS, (row for row in rows if row[0] not in carried))
    upsert_rows(
        TicketSlaTarget,
        TARGET_COLUMNS,
        ("ticket_id", "metric", "instance_id"),
        [row for row in rows if row[0] in carried],
    )
    carried_events = _carried_events(
        [(ticket, result) for ticket, result in results if ticket.pk in carried], now
    )
    results = [(ticket, result) for ticket, result in results if ticket.pk not in carried]
    keyed = {ticket.pk: event_keys(result, now) for ticket, result in results}
    # Tickets whose stored events are a known prefix of the fresh ones only need the rest
    # appended; the others (history rewritten by an import, flags flipped, digest unknown)
    # compare against what is stored.
    appended: dict[int, int] = {}
    reflagged: set[int] = set()
    digests: dict[int, str] = {}
    for ticket, _ in results:
        keys, count, known = keyed[ticket.pk], ticket.sla_events_stored, ticket.sla_events_digest
        prefix, digests[ticket.pk] = _events_digests(keys, min(count, len(keys)))
        if rewritten:
            continue
        if known and count <= len(keys) and prefix[:KEYS_DIGEST] == known[:KEYS_DIGEST]:
            appended[ticket.pk] = count
            if prefix != known:  # the same events, but some deleted flags changed
                reflagged.add(ticket.pk)
    compared = [ticket.pk for ticket, _ in results if ticket.pk not in appended]
    # Only keys and flags of stored events: loading them as model instances costs more than
    # everything else in a recompute.
    stored: dict[tuple[Any, ...], tuple[int, bool]] = {}
    if compared or reflagged:
        # The engine deletes only breach events, so only those can need their flag changed.
        wanted = Q(ticket_id__in=compared) | Q(ticket_id__in=reflagged, type="breach")
        stored = {
            (ticket_id, metric, instance_id, kind, moment, ordinal): (pk, deleted)
            for pk, ticket_id, metric, instance_id, kind, moment, ordinal, deleted in (
                TicketMetricEvent.objects.filter(wanted).values_list(
                    "pk", "ticket_id", "metric", "instance_id", "type", "time", "ordinal", "deleted"
                )
            )
        }
    new: list[tuple[Any, ...]] = []
    flips: dict[bool, list[int]] = {True: [], False: []}
    for ticket, _ in results:
        keys = keyed[ticket.pk]
        if ticket.pk in appended:
            # Stored: the first `count`, of which only the breach events were read back.
            count = appended[ticket.pk]
            compare, unsaved = keys[:count] if ticket.pk in reflagged else [], keys[count:]
        else:
            compare, unsaved = keys, []
        for key, event in compare:
            existing = stored.pop((ticket.pk, *key), None)
            if existing is not None and existing[1] != event.deleted:
                flips[event.deleted].append(existing[0])
            elif existing is None and ticket.pk not in appended:
                unsaved.append((key, event))
        new.extend(
            (
                ticket.pk,
                *key,
                dict(event.sla) if event.sla is not None else None,
                dict(event.status) if event.status is not None else None,
                event.deleted,
            )
            for key, event in unsaved
        )
        ticket.sla_events_stored = len(keys)
        ticket.sla_events_digest = digests[ticket.pk]
    # Stored events the fresh result no longer has stay (events are append-only), so those
    # tickets' stored events are no longer a prefix of anything: digest unknown.
    leftover = {ticket_id for ticket_id, *_ in stored}
    if rewritten:
        flips[True].extend(
            pk
            for (_, _, _, kind, _, _), (pk, deleted) in stored.items()
            if kind == "breach" and not deleted
        )
    for ticket, _ in results:
        if ticket.pk in leftover:
            ticket.sla_events_digest = ""
    new.extend(carried_events.new)
    for deleted, ids in carried_events.flips.items():
        flips[deleted].extend(ids)
    results = all_results

    for ticket, result in results:
        policy_id = result.policy.id if result.policy else None
        ticket.sla_policy_id = policy_id if policy_id in live_policy_ids else None
        is_open = ticket.status in OPEN_STATUSES
        ticket.next_breach_at = next_breach_of(result) if is_open else None
        ticket.sla_due_at = None
        if is_open:
            # The running deadlines the queue sorts by: the applied policy's and that of the
            # group holding the ticket (its open ownership), breached ones included.
            ticket.sla_due_at = min(
                (
                    i.breach_at
                    for i in instances_of(result)
                    if i.target is not None
                    and i.breach_at is not None
                    and str(i.stage) == "active"
                    and (
                        i.fulfilled_at is None and i.policy_id in live_group_policy_ids
                        if isinstance(i, GroupOwnership)
                        else i.policy_id == ticket.sla_policy_id is not None
                    )
                ),
                default=None,
            )
    _tickets_update_sla([ticket for ticket, _ in results], with_metrics_state=with_metrics_state)
    notifications_schedule(
        (
            TargetRow(
                ticket.pk,
                str(i.metric),
                i.instance_id,
                policy_columns(i)[0],
                i.target.seconds,
                i.target.business_hours,
                str(i.stage),
                i.breach_at,
                *policy_columns(i)[1:],  # the group SLA policy and the holding group
            )
            for ticket, result in results
            for i in instances_of(result)
            if i.target is not None
        ),
        ticket_ids=ticket_ids,
        now=now,
    )
    # Events last, as the publishing lock is held from their stamp until the transaction
    # commits: new events are inserted with their place in the incremental export, and
    # flipped flags move their events to its end.
    if new:
        first_seq, published_at = stamp_new_events()
        insert_rows(
            TicketMetricEvent,
            (*EVENT_COLUMNS, "published_seq", "published_at"),
            ((*row, first_seq + n, published_at) for n, row in enumerate(new)),
        )
    for deleted, ids in flips.items():
        if ids:
            TicketMetricEvent.objects.filter(pk__in=ids).update(deleted=deleted)
    if flips[True] or flips[False]:
        publish(changed=flips[True] + flips[False])


class _CarriedEvents(NamedTuple):
    new: list[tuple[Any, ...]]
    flips: dict[bool, list[int]]


def _carried_events(results: Sequence[tuple[Ticket, TicketSla]], now: datetime) -> _CarriedEvents:
    """The rows to insert and the flags to flip for carried results, reading back only each
    ticket's events since its last update (one query) and the breaches they retract.

    A carried result's events are those since its state's last update: at that instant the
    stored ones came from that update (so identical new ones count after them), and after it
    they are breaches the clock recorded, which the result gives again and are skipped.
    """
    out = _CarriedEvents([], {True: [], False: []})
    if not results:
        return out
    retracted = Q()
    for ticket, result in results:
        for event_metric, event_instance, moment in retracted_of(result):
            retracted |= Q(
                ticket_id=ticket.pk,
                metric=event_metric,
                instance_id=event_instance,
                type="breach",
                time=moment,
                deleted=False,
            )
    stored: dict[int, dict[tuple[Any, ...], tuple[int, bool]]] = defaultdict(dict)
    for (
        pk,
        ticket_id,
        metric,
        instance_id,
        kind,
        moment,
        ordinal,
        deleted,
    ) in past_each_bound(
        TicketMetricEvent.objects.all(),
        "time",
        "timestamptz",
        [(ticket.pk, _events_read_from(result)) for ticket, result in results],
        ">=",
    ).values_list("pk", "ticket_id", "metric", "instance_id", "type", "time", "ordinal", "deleted"):
        stored[ticket_id][(metric, instance_id, kind, moment, ordinal)] = (pk, deleted)
    for ticket, result in results:
        known = stored[ticket.pk]
        seen = Counter(key[:4] for key in known if key[3] == result.continued_from)
        for event in events_of(result):
            if event.time > now:
                continue
            base = (str(event.metric), event.instance_id, str(event.type), event.time)
            key = (*base, seen[base])
            seen[base] += 1
            existing = known.get(key)
            if existing is None:
                out.new.append(
                    (
                        ticket.pk,
                        *key,
                        dict(event.sla) if event.sla is not None else None,
                        dict(event.status) if event.status is not None else None,
                        event.deleted,
                    )
                )
            elif existing[1] != event.deleted:
                out.flips[event.deleted].append(existing[0])
        # Carried tickets' stored events are no longer a known prefix of a full replay's.
        ticket.sla_events_digest = ""
    if retracted:
        out.flips[True].extend(
            TicketMetricEvent.objects.filter(retracted).values_list("pk", flat=True)
        )
    return out


def _events_read_from(result: TicketSla) -> datetime:
    """Where a carried result's stored events are read from: its state's instant when it has
    new events there (their ordinals count after the stored ones), else just after it."""
    start = cast(datetime, result.continued_from)
    if any(event.time == start for event in events_of(result)):
        return start
    return start + timedelta(microseconds=1)


def _delete_targets(keys: Iterable[tuple[int, str, int]]) -> None:
    """Delete target rows by (ticket, metric, instance), a few hundred per statement."""
    wanted = list(keys)
    table = connection.ops.quote_name(TicketSlaTarget._meta.db_table)
    if not wanted:
        return
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                f"DELETE FROM {table} AS t USING {_unnest('bigint', 'text', 'integer')} "
                "AS v(ticket, metric, instance) WHERE t.ticket_id = v.ticket "
                "AND t.metric = v.metric AND t.instance_id = v.instance",
                [list(column) for column in zip(*wanted, strict=True)],
            )
            return
        for start in range(0, len(wanted), 300):
            chunk = wanted[start : start + 300]
            rows = ", ".join(["(%s, %s, %s)"] * len(chunk))
            cursor.execute(
                f"DELETE FROM {table} WHERE (ticket_id, metric, instance_id) IN ({rows})",
                [value for key in chunk for value in key],
            )


KEYS_DIGEST = 32  # hex characters of the keys' digest; the flags' digest follows


def _events_digests(keyed: Sequence[tuple[tuple[Any, ...], Any]], count: int) -> tuple[str, str]:
    """Digests of the first `count` events and of all: of their keys, then of which are
    deleted, in hex, the same in every process."""
    keys = hashlib.blake2b(digest_size=KEYS_DIGEST // 2)
    flags = hashlib.blake2b(digest_size=KEYS_DIGEST // 2)
    prefix = keys.hexdigest() + flags.hexdigest() if count == 0 else ""
    for n, ((metric, instance_id, kind, moment, ordinal), event) in enumerate(keyed, start=1):
        keys.update(f"{metric}|{instance_id}|{kind}|{moment.timestamp()}|{ordinal};".encode())
        if event.deleted:
            flags.update(n.to_bytes(4))
        if n == count:
            prefix = keys.hexdigest() + flags.hexdigest()
    return prefix, keys.hexdigest() + flags.hexdigest()


def _tickets_update_sla(tickets: Sequence[Ticket], *, with_metrics_state: bool = False) -> None:
    """Write the tickets' SLA columns (and, `with_metrics_state`, their metrics state) in one
    statement on PostgreSQL (one per ticket elsewhere); bulk_update's CASE expression grows
    with the batch. Both states in one statement: a save leaves one row version fewer."""
    table = connection.ops.quote_name(Ticket._meta.db_table)
    columns = (
        "sla_policy_id",
        "next_breach_at",
        "sla_due_at",
        "sla_events_stored",
        "sla_events_digest",
        "pk",
    )
    states = ["sla_state", *(["metrics_state"] if with_metrics_state else [])]
    # Each state as the text its column stores (None stays NULL).
    state_fields = [_concrete_field(Ticket, name)[0] for name in states]
    state_texts = {
        field.name: [field.get_prep_value(getattr(t, field.name)) for t in tickets]
        for field in state_fields
    }
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            types = ("bigint", "timestamptz", "timestamptz", "integer", "text", "bigint")
            arrays = _unnest(*types, *["text"] * len(states))
            cursor.execute(
                f"UPDATE {table} AS t SET sla_policy_id = v.policy, next_breach_at = v.next, "
                "sla_due_at = v.due, sla_events_stored = v.stored, sla_events_digest = v.digest, "
                + ", ".join(f"{name} = v.{name}" for name in states)
                + f" FROM {arrays} AS v(policy, next, due, stored, digest, id, "
                + f"{', '.join(states)}) WHERE t.id = v.id",
                [
                    *([getattr(t, name) for t in tickets] for name in columns),
                    *state_texts.values(),
                ],
            )
        else:
            assignments = ", ".join(f"{name} = %s" for name in states)
            cursor.executemany(
                f"UPDATE {table} SET sla_policy_id = %s, next_breach_at = %s, sla_due_at = %s, "
                f"sla_events_stored = %s, sla_events_digest = %s, {assignments} WHERE id = %s",
                [
                    (
                        *(getattr(t, name) for name in columns[:5]),
                        *(state_texts[name][n] for name in states),
                        t.pk,
                    )
                    for n, t in enumerate(tickets)
                ],
            )


def ticket_sla_refresh(
    ticket: Ticket, *, now: datetime, whole: bool = False, with_metrics_state: bool = False
) -> TicketSla:
    """Evaluate the ticket's SLA after its latest audits (the whole history when `whole`, for
    an import) and store it (with its carried metrics state, `with_metrics_state`)."""
    evaluation = evaluate_stored(ticket, now=now, audits=ticket_audits(ticket) if whole else None)
    ticket.sla_state = evaluation.state()
    # No savepoint: nothing rolls back to one here (a failure fails the caller's transaction).
    with transaction.atomic(savepoint=False):
        sla_store_many(
            [(ticket, evaluation.result)], now=now, with_metrics_state=with_metrics_state
        )
    return evaluation.result

"""Policy and schedule edits reach open tickets: recompute them in the background.

Zendesk applies an edited policy only when each ticket is next updated (spec §2); slaweb
re-evaluates the open tickets an edit can affect right away. The rule is that of a ledger:

* What happened stays happened. An edit acts from its moment on: it is recorded as a
  re-evaluation audit at the edit, which gives running targets their new deadlines; a
  breach already recorded keeps its time, and time already run keeps its schedule's measure.
* No-ops write nothing. A ticket whose policy, targets, deadlines and breaches come out as
  stored gets no audit, no event, no change; tickets the edit cannot affect (by comparing the
  revisions) are not even evaluated.
* Bursts collapse. A run that finds a newer run queued stops and hands its work over.
* Rewriting the past is explicit (`tickets.sla.rewrite`), never a side effect of an edit.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import Exists, F, Max, OuterRef, Q
from django.dispatch import receiver
from django.utils import timezone
from django_tasks import task

from policies.engine.group_ownership import (
    GroupOwnership,
    GroupPolicySpec,
    GroupSla,
    evaluate_group_ownership,
)
from policies.engine.history import TicketUpdate
from policies.engine.metrics import TicketSla
from policies.engine.types import PolicySpec, Target
from policies.models import PolicyRevision
from policies.signals import policies_revised
from slaweb.db import retry_on_conflict
from slaweb.memory import collector_paused
from tickets.models import (
    OPEN_STATUSES,
    HistoryRewrite,
    SlaRecompute,
    Ticket,
    TicketAudit,
    TicketMetricEvent,
    TicketSlaTarget,
)
from tickets.selectors import revision_group_specs, revision_specs
from tickets.sla.store import (
    EDIT_VIA,
    Edit,
    Evaluation,
    ReplayAudit,
    audits_after_states,
    audits_by_ticket,
    carried_revision_id,
    edit_update,
    evaluate_stored,
    event_keys,
    insert_rows_with_ids,
    instances_of,
    replay,
    sla_store_many,
    ticket_audits,
    ticket_history,
)

BATCH = 500
# What replaying and storing need of a ticket.
STORE_FIELDS = (
    "id",
    "created_at",
    "status",
    "sla_policy_id",
    "sla_events_stored",
    "sla_events_digest",
    "sla_state",
)


def sla_signature(result: TicketSla) -> tuple[Any, ...]:
    """What an agent would see change: the policy, each target, its deadline and breach."""
    return (
        result.policy.id if result.policy else None,
        tuple(
            sorted(
                (str(i.metric), i.instance_id, i.target, i.breach_at, i.breached, str(i.stage))
                for i in instances_of(result)
                if i.target is not None
            )
        ),
    )


def _open_tickets_after(last_id: int) -> Iterable[Ticket]:
    """The next batch of open tickets, with what replaying needs of them."""
    return (
        Ticket.objects.filter(status__in=OPEN_STATUSES, pk__gt=last_id)
        .only("id", "created_at", "status", "sla_policy_id")
        .order_by("pk")[:BATCH]
    )


# Runs smaller than this stay in one piece: splitting them gains less than it costs.
MIN_PART = 5_000


def recompute_start(
    *, reason: str, effective_at: datetime, revision_id: int | None = None
) -> SlaRecompute:
    """Record a run over every open ticket and enqueue its work, split into parts that
    several workers can take side by side when there are many tickets."""
    open_tickets = Ticket.objects.filter(status__in=OPEN_STATUSES)
    if revision_id is not None:
        open_tickets = open_tickets.filter(affected_by(PolicyRevision.objects.get(pk=revision_id)))
    total = open_tickets.count()
    run = SlaRecompute.objects.create(
        reason=reason,
        revision_id=revision_id,
        effective_at=effective_at.replace(microsecond=0),
        total=total,
    )
    count = max(1, min(settings.SLA_RECOMPUTE_PARTS, total // MIN_PART))
    work = [run]
    if count > 1:
        # Each part ends at the id of its last ticket; the last part has no end, so tickets
        # opened meanwhile are covered too (their own saves evaluate them anyway).
        ids = open_tickets.order_by("pk").values_list("pk", flat=True)
        ends = [ids[total * n // count - 1] for n in range(1, count)]
        starts = [0, *ends]
        work = SlaRecompute.objects.bulk_create(
            SlaRecompute(
                parent=run,
                reason=reason,
                revision_id=revision_id,
                effective_at=run.effective_at,
                last_ticket_id=start,
                until_ticket_id=end,
                total=total * (n + 1) // count - total * n // count,
            )
            for n, (start, end) in enumerate(zip(starts, [*ends, None], strict=True))
        )
    ids_to_run = [part.pk for part in work]
    transaction.on_commit(lambda: [recompute_task.enqueue(pk) for pk in ids_to_run])
    return run


@receiver(policies_revised, dispatch_uid="tickets.sla.recompute.policies_changed")
def policies_changed(*, revision_id: int, **_: Any) -> SlaRecompute:
    revision = PolicyRevision.objects.get(pk=revision_id)
    return recompute_start(
        reason="policies", effective_at=revision.created_at, revision_id=revision_id
    )


# A running recompute saves its place after every batch (well under a minute); one that has
# not for this long lost its worker.
STALE_AFTER = timedelta(minutes=2)


def recompute_run(*, recompute_id: int, now: datetime | None = None) -> SlaRecompute:
    """Process a run (or one part of it) to the end from its saved place; safe to call again
    after a crash. Each batch is evaluated as of `now`, or, without one, as of the moment the
    batch starts, so a long run records breaches when it finds them.

    The run is claimed first, so two workers never work one run at the same time: only a
    queued run, or a running one whose worker has gone quiet, can be taken over. A run split
    into parts has no work of its own; its parts add their progress to it.
    """
    run = SlaRecompute.objects.select_related("revision").get(pk=recompute_id)
    if run.parts.exists():
        return run
    claimed = (
        SlaRecompute.objects.filter(pk=run.pk)
        .filter(
            Q(status="queued") | Q(status="running", updated_at__lt=timezone.now() - STALE_AFTER)
        )
        .update(status="running", updated_at=timezone.now())
    )
    if not claimed:
        return run
    if run.parent_id is not None:
        SlaRecompute.objects.filter(pk=run.parent_id, status="queued").update(status="running")
    edit = None
    tickets = Ticket.objects.filter(status__in=OPEN_STATUSES)
    if _handed_over(run, now or timezone.now()):
        return run
    if run.revision is not None:
        edit = Edit(
            run.effective_at, run.revision.pk, run.revision.digest, run.revision.schedule_digest
        )
        tickets = tickets.filter(affected_by(run.revision))
    if run.until_ticket_id is not None:
        tickets = tickets.filter(pk__lte=run.until_ticket_id)
    while True:
        if _handed_over(run, now or timezone.now()):
            return run
        batch = list(
            tickets.filter(pk__gt=run.last_ticket_id)
            .order_by("pk")
            .values_list("pk", flat=True)[:BATCH]
        )
        if not batch:
            break
        with collector_paused():
            _recompute_and_record(batch, run, edit, now or timezone.now())
        run.refresh_from_db(fields=["last_ticket_id", "done", "changed", "updated_at"])
    with transaction.atomic():
        run.status = "done"
        run.finished_at = now or timezone.now()
        run.save(update_fields=["status", "finished_at", "updated_at"])
        if run.parent_id is not None:
            # The last part to finish finishes the run; the lock orders parts finishing at once.
            parent = SlaRecompute.objects.select_for_update().get(pk=run.parent_id)
            if not parent.parts.exclude(status="done").exists():
                parent.status = "done"
                parent.finished_at = run.finished_at
                parent.save(update_fields=["status", "finished_at", "updated_at"])
    return run


def _handed_over(run: SlaRecompute, now: datetime) -> bool:
    """Stop a run that a newer edit has overtaken: the newer run covers its tickets too (it
    compares against every revision since the last finished run), so finishing this one would
    only write states about to be replaced."""
    top = run.parent_id or run.pk
    newer = SlaRecompute.objects.filter(parent__isnull=True, revision__isnull=False, pk__gt=top)
    if run.revision_id is None or not newer.exists():
        return False
    SlaRecompute.objects.filter(pk__in=[run.pk, top]).exclude(status="done").update(
        status="replaced", finished_at=now, updated_at=timezone.now()
    )
    run.status = "replaced"
    return True


def affected_by(revision: PolicyRevision) -> Q:
    """The open tickets whose SLA `revision` can change, as a filter.

    A ticket evaluated under an older revision keeps its policy unless a policy now ahead of
    it is new, has new conditions or moved ahead of it, or its own policy changed or went;
    a ticket with a priority but no policy can only gain one from a new or changed filter;
    only business-hours targets hear a schedule change; a change of group SLA policies reaches
    every ticket a group holds. A ticket without a priority has no
    targets to change: its next save applies the newest revision. Compared against every
    revision since the last finished run, since a run handed over may have stopped halfway.
    """
    finished = (
        SlaRecompute.objects.filter(parent__isnull=True, status="done", revision_id__lt=revision.pk)
        .order_by("-revision_id")
        .values_list("revision_id", flat=True)
        .first()
    )
    older = PolicyRevision.objects.filter(pk__lt=revision.pk)
    if finished is not None:
        older = older.filter(pk__gte=finished)
    if older.count() > MAX_COMPARED:
        # Edits faster than their runs finish: rather than compare with each, consider every
        # ticket that has targets (the evaluation still writes nothing where nothing changed).
        return Q(priority__isnull=False)
    policy_ids: set[int] = set()
    unmatched = schedule = groups = False
    for old in older.only("policies", "group_policies", "schedule_digest").iterator():
        changed, gained = policy_changes(old.policies, revision.policies)
        policy_ids |= changed
        unmatched = unmatched or gained
        schedule = schedule or old.schedule_digest != revision.schedule_digest
        groups = groups or old.group_policies != revision.group_policies
    wanted = Q(sla_policy_id__in=policy_ids)
    if unmatched:
        wanted |= Q(priority__isnull=False, sla_policy_id__isnull=True)
    if groups:
        # Group SLA policies changed: any ticket a group holds may gain, change or lose its
        # group target.
        wanted |= Q(group_id__isnull=False)
    if schedule:
        wanted |= Q(
            Exists(
                TicketSlaTarget.objects.filter(
                    ticket_id=OuterRef("pk"), business_hours=True
                ).exclude(stage="achieved")
            )
        )
    return wanted if policy_ids or unmatched or schedule or groups else Q(pk__in=[])


# Revisions compared at most when picking the tickets an edit can affect.
MAX_COMPARED = 20

# What decides which tickets a policy picks, and what it then promises them.
_MATCHING = ("filter",)
_PROMISE = ("filter", "policy_metrics", "metric_settings")


def policy_changes(
    old: Sequence[dict[str, Any]], new: Sequence[dict[str, Any]]
) -> tuple[set[int], bool]:
    """Between two policy lists (revision snapshots, in position order): the ids of the old
    policies whose tickets may change policy or targets, and whether a ticket that matched
    nothing may now match. Titles, descriptions and moves that overtake nothing change nothing.
    """

    def key(snapshot: dict[str, Any], fields: tuple[str, ...]) -> str:
        return json.dumps([snapshot.get(f) for f in fields], sort_keys=True)

    old_by_id = {p["id"]: p for p in old}
    new_ids = [p["id"] for p in new]
    # Policies in the new list that could pick tickets they did not pick before.
    fresh = {
        p["id"]
        for p in new
        if p["id"] not in old_by_id or key(p, _MATCHING) != key(old_by_id[p["id"]], _MATCHING)
    }
    new_by_id = {p["id"]: p for p in new}
    old_ids = [p["id"] for p in old]
    changed: set[int] = set()
    for index, policy_id in enumerate(old_ids):
        current = new_by_id.get(policy_id)
        if current is None or key(current, _PROMISE) != key(old_by_id[policy_id], _PROMISE):
            changed.add(policy_id)
            continue
        ahead_before = set(old_ids[:index])
        ahead_now = new_ids[: new_ids.index(policy_id)]
        if any(p in fresh or p not in ahead_before for p in ahead_now):
            changed.add(policy_id)
    gained = bool(fresh) or any(p not in new_by_id for p in old_by_id)
    return changed, gained


@retry_on_conflict
@transaction.atomic
def _recompute_and_record(
    batch: list[int], run: SlaRecompute, edit: Edit | None, now: datetime
) -> None:
    """One batch and the run's progress, committed together: a crash repeats nothing."""
    changed = _recompute_batch(batch, run, edit, now)
    progress = {"done": F("done") + len(batch), "changed": F("changed") + changed}
    SlaRecompute.objects.filter(pk=run.pk).update(
        last_ticket_id=batch[-1], updated_at=timezone.now(), **progress
    )
    if run.parent_id is not None:
        SlaRecompute.objects.filter(pk=run.parent_id).update(updated_at=timezone.now(), **progress)


def _recompute_batch(
    ticket_ids: list[int], run: SlaRecompute, edit: Edit | None, now: datetime
) -> int:
    """Re-evaluate a batch of open tickets and store the ones whose SLA changed, in a fixed
    number of queries. Each continues from its carried state (the edit is one more update);
    tickets without one are replayed. Tickets saved since the change already follow it."""
    # Found by id alone: before PostgreSQL has counted a fresh import, a status condition can
    # make it scan every open ticket for each batch.
    tickets = [
        ticket
        for ticket in Ticket.objects.select_for_update()
        .only(*STORE_FIELDS)
        .filter(pk__in=ticket_ids)
        .order_by("pk")
        if ticket.status in OPEN_STATUSES
    ]
    after_states = audits_after_states(tickets)
    replayed = audits_by_ticket([t.pk for t in tickets if t.pk not in after_states])
    stored: dict[int, list[list[Any]]] = defaultdict(list)
    for ticket_id, *row in TicketSlaTarget.objects.filter(ticket_id__in=ticket_ids).values_list(
        "ticket_id",
        "metric",
        "instance_id",
        "target_seconds",
        "business_hours",
        "breach_at",
        "breached",
        "stage",
    ):
        stored[ticket_id].append(row)
    changed: list[tuple[Ticket, Evaluation]] = []
    for ticket in tickets:
        newer = after_states.get(ticket.pk) or replayed.get(ticket.pk) or []
        last_revision = newer[-1].revision_id if newer else carried_revision_id(ticket)
        ticket_edit = edit
        if edit is not None and last_revision is not None and last_revision >= edit.revision_id:
            ticket_edit = None
        evaluation = evaluate_stored(
            ticket,
            now=now,
            edit=ticket_edit,
            audits=replayed.get(ticket.pk),
            new_audits=after_states.get(ticket.pk),
        )
        if _unchanged(ticket, stored[ticket.pk], evaluation.result):
            continue
        changed.append((ticket, evaluation))
    # The edits' audits first: each ticket's state names the audit it has seen last.
    edits = [(t, e) for t, e in changed if e.edit_at is not None]
    audits = insert_rows_with_ids(
        TicketAudit,
        ("ticket", "created_at", "via_id", "revision", "snapshot", "comment_author_role"),
        [
            (ticket.pk, evaluation.edit_at, EDIT_VIA, evaluation.revision[0], None, "")
            for ticket, evaluation in edits
        ],
    )
    audit_of = {ticket.pk: audit for (ticket, _), audit in zip(edits, audits, strict=True)}
    for ticket, evaluation in changed:
        ticket.sla_state = evaluation.state(audit_of.get(ticket.pk))
    sla_store_many([(ticket, evaluation.result) for ticket, evaluation in changed], now=now)
    return len(changed)


def _unchanged(ticket: Ticket, rows: Sequence[Sequence[Any]], result: TicketSla) -> bool:
    """Whether the stored targets already say what `result` says (a carried result speaks
    only of the instances that could change; the others are settled)."""
    if result.continued_from is not None:
        keys = {(str(i.metric), i.instance_id) for i in instances_of(result)}
        rows = [row for row in rows if (row[0], row[1]) in keys]
    return stored_signature(ticket, rows) == sla_signature(result)


def stored_signature(ticket: Ticket, rows: Sequence[Sequence[Any]]) -> tuple[Any, ...]:
    """The signature of stored target rows (metric, instance, seconds, business, breach_at,
    breached, stage), comparable with `sla_signature` of a fresh result."""
    return (
        ticket.sla_policy_id,
        tuple(
            sorted(
                (metric, instance, Target(seconds, business), breach_at, breached, stage)
                for metric, instance, seconds, business, breach_at, breached, stage in rows
            )
        ),
    )


@task()
def recompute_task(recompute_id: int) -> None:
    recompute_run(recompute_id=recompute_id)


# A ticket's answer to a draft: what would change (keys of the impact's counts), and the
# policy before and after; None when nothing can change.
Comparison = tuple[list[str], Any, Any] | None


def impact_of(*, specs: tuple[PolicySpec, ...], now: datetime, listed: int = 500) -> dict[str, Any]:
    """What a draft policy list would do to open tickets now, without writing anything."""

    def compare(audits: Sequence[ReplayAudit], history: list[TicketUpdate]) -> Comparison:
        before = replay(history, schedule=None, now=now)
        after = replay([*history, edit_update(history[-1], now, specs)], schedule=None, now=now)
        return (
            _differences(before, after),
            before.policy.id if before.policy else None,
            after.policy.id if after.policy else None,
        )

    return _impact(compare, listed=listed)


def group_impact_of(
    *, group_specs: tuple[GroupPolicySpec, ...], now: datetime, listed: int = 500
) -> dict[str, Any]:
    """What a draft group policy list would do to open tickets now, without writing anything:
    the draft reaches each ticket as a configuration edit at `now`, with the SLA policies of
    its last save unchanged, so only the group holding it can see a different policy, target
    or breach (ownership that ended before now is history the edit cannot touch)."""

    def compare(audits: Sequence[ReplayAudit], history: list[TicketUpdate]) -> Comparison:
        if history[-1].facts.group_id is None:
            return None  # no group holds the ticket: no ownership for the draft to measure
        live = [revision_group_specs(a.revision_id, a.revision_digest) for a in audits]
        at = max(now, history[-1].at)
        before = evaluate_group_ownership(history, live.__getitem__, schedule=None, now=at)
        last = audits[-1]
        edit = edit_update(history[-1], at, revision_specs(last.revision_id, last.revision_digest))
        after = evaluate_group_ownership(
            [*history, edit], [*live, group_specs].__getitem__, schedule=None, now=at
        )
        held_before, held_after = _held(before), _held(after)
        return (
            _ownership_differences(held_before, held_after),
            held_before.policy_id if held_before else None,
            held_after.policy_id if held_after else None,
        )

    return _impact(compare, listed=listed)


def _impact(
    compare: Callable[[Sequence[ReplayAudit], list[TicketUpdate]], Comparison], *, listed: int
) -> dict[str, Any]:
    """Each open ticket's history given to `compare`, the answers counted and the changed
    tickets listed (the first `listed`)."""
    counts = {
        "policy_changes": 0,
        "target_changes": 0,
        "newly_breached": 0,
        "no_longer_breached": 0,
    }
    affected: list[dict[str, Any]] = []
    open_tickets = changed_tickets = 0
    last_id = 0
    while True:
        batch = list(_open_tickets_after(last_id))
        if not batch:
            break
        last_id = batch[-1].pk
        batch_audits = audits_by_ticket([ticket.pk for ticket in batch])
        for ticket in batch:
            open_tickets += 1
            audits = batch_audits[ticket.pk]
            answer = compare(audits, ticket_history(ticket, audits))
            if answer is None:
                continue
            changes, policy_before, policy_after = answer
            for change in changes:
                counts[change] += 1
            changed_tickets += bool(changes)
            if changes and len(affected) < listed:
                affected.append(
                    {
                        "id": ticket.pk,
                        "policy_before": policy_before,
                        "policy_after": policy_after,
                        "changes": changes,
                    }
                )
    return {
        "open_tickets": open_tickets,
        "changed_tickets": changed_tickets,
        **counts,
        "tickets": affected,
        "truncated": changed_tickets > len(affected),
    }


def _differences(before: TicketSla, after: TicketSla) -> list[str]:
    changes = []
    if (before.policy.id if before.policy else None) != (after.policy.id if after.policy else None):
        changes.append("policy_changes")

    def targets(result: TicketSla) -> set[tuple[Any, ...]]:
        return {(str(i.metric), i.instance_id, i.target) for i in instances_of(result) if i.target}

    if targets(before) != targets(after):
        changes.append("target_changes")

    def breached(result: TicketSla) -> set[tuple[str, int]]:
        return {
            (str(i.metric), i.instance_id) for i in instances_of(result) if i.target and i.breached
        }

    if breached(after) - breached(before):
        changes.append("newly_breached")
    if breached(before) - breached(after):
        changes.append("no_longer_breached")
    return changes


def _held(group: GroupSla) -> GroupOwnership | None:
    """The ownership still running: the group holding the ticket now."""
    return next((i for i in reversed(group.instances) if not i.ended_by), None)


def _ownership_differences(
    before: GroupOwnership | None, after: GroupOwnership | None
) -> list[str]:
    if before is None or after is None:
        return []  # the edit changes no field, so it cannot start or end an ownership
    changes = []
    if before.policy_id != after.policy_id:
        changes.append("policy_changes")
    if before.target != after.target:
        changes.append("target_changes")
    if after.breached and not before.breached:
        changes.append("newly_breached")
    if before.breached and not after.breached:
        changes.append("no_longer_breached")
    return changes


def ticket_sla_drift(ticket: Ticket, *, now: datetime, grace_seconds: int = 5) -> list[str]:
    """Differences between a ticket's stored SLA and a fresh replay of its history (each
    save and edit with its own revision's policies and schedule); empty when they agree.
    Breaches due in the last `grace_seconds` are the clock's to record, not drift."""
    audits = ticket_audits(ticket)
    evaluation = evaluate_stored(ticket, now=now, audits=audits)
    result = evaluation.result
    problems = []
    # The state the next save continues from must be the one a full replay leaves.
    saved = ticket.sla_state
    if saved is not None:
        differing: list[str] = []
        for part, replayed in (("engine", result.state), ("group", evaluation.group_state)):
            carried = saved.get(part) if isinstance(saved, dict) else None
            replayed = replayed or {}
            differing.extend(
                key if part == "engine" else f"group {key}"
                for key in sorted(set(replayed) | set(carried or {}))
                if not isinstance(carried, dict) or carried.get(key) != replayed.get(key)
            )
        if not isinstance(saved, dict) or saved.get("audit") != audits[-1].id:
            differing.append("audit")
        if differing:
            problems.append(
                f"carried SLA state differs from a full replay's in {', '.join(differing)}"
            )
    fresh_rows = {
        (str(i.metric), i.instance_id): (i.target, i.breach_at, str(i.stage))
        for i in instances_of(result)
        if i.target is not None
    }
    stored_rows = {
        (r.metric, r.instance_id): (
            Target(r.target_seconds, r.business_hours) if r.target_seconds else None,
            r.breach_at,
            r.stage,
        )
        for r in ticket.sla_targets.all()
    }
    for target_key in sorted(set(fresh_rows) | set(stored_rows)):
        if fresh_rows.get(target_key) != stored_rows.get(target_key):
            stored, fresh = stored_rows.get(target_key), fresh_rows.get(target_key)
            metric, instance_id = target_key
            problems.append(f"target {metric}#{instance_id}: stored {stored}, fresh {fresh}")
    cutoff = now - timedelta(seconds=grace_seconds)
    fresh_events = {key for key, _ in event_keys(result, now) if key[3] <= cutoff}
    stored_events: dict[tuple[Any, ...], int] = {
        tuple(key): pk
        for pk, *key in TicketMetricEvent.objects.filter(
            ticket_id=ticket.pk, time__lte=cutoff
        ).values_list("pk", "metric", "instance_id", "type", "time", "ordinal")
    }
    for key in sorted(fresh_events - stored_events.keys(), key=str):
        problems.append(f"missing event {key[0]}#{key[1]} {key[2]} at {key[3].isoformat()}")
    unexpected = stored_events.keys() - fresh_events
    # A history rewrite keeps the events recorded before it (a breach that no longer happened
    # is only marked deleted), which a replay of the rewritten history lacks by design: those
    # that existed when a rewrite covering the ticket ran are no drift.
    kept_up_to = None
    if unexpected:
        rewrites = HistoryRewrite.objects.filter(
            since__lte=ticket.created_at, last_ticket_id__gte=ticket.pk
        )
        kept_up_to = rewrites.aggregate(last=Max("last_event_id"))["last"]
    for key in sorted(unexpected, key=str):
        if kept_up_to is None or stored_events[key] > kept_up_to:
            problems.append(f"unexpected event {key[0]}#{key[1]} {key[2]} at {key[3].isoformat()}")
    return problems


def resume_stale_recomputes() -> list[int]:
    """Enqueue again the runs (or parts) whose worker died (a killed worker leaves its task
    running)."""
    stale = list(
        SlaRecompute.objects.filter(
            status__in=["queued", "running"],
            updated_at__lt=timezone.now() - STALE_AFTER,
            parts__isnull=True,
        ).values_list("pk", flat=True)
    )
    for run_id in stale:
        recompute_task.enqueue(run_id)
    return stale
